namespace Dendrite.Tests.Linalg;

/// <summary>The examples of docs/linear-algebra.md, with the values the page states.</summary>
public class LinalgDocsTests
{
    [Fact]
    public void Docs_SolveAndInvert()
    {
        var a = Tensor.From([4.0, 1, 2, 3], 2, 2);
        var b = Tensor.From([1.0, 2], 2);
        Assert.Equal([0.1, 0.6], Dendrite.Linalg.Solve(a, b).ToArray<double>().Select(v => Math.Round(v, 12)));
        Assert.Equal(10, Dendrite.Linalg.Det(a).Item(), 12);
        var (sign, logAbs) = Dendrite.Linalg.Slogdet(a);
        Assert.Equal(1, sign.Item());
        Assert.Equal(Math.Log(10), logAbs.Item(), 12);
        Assert.Equal([0.3, -0.1, -0.2, 0.4], Dendrite.Linalg.Inv(a).ToArray<double>().Select(v => Math.Round(v, 12)));
        var e = Assert.Throws<ArgumentException>(() => Dendrite.Linalg.Inv(Tensor.From([1.0, 2, 2, 4], 2, 2)));
        Assert.Equal("Inv: the matrix [2,2] is singular (U[1,1] = 0 in its LU factorization)", e.Message);
        e = Assert.Throws<ArgumentException>(() => Dendrite.Linalg.Det(Tensor.Ones(2, 3, 4)));
        Assert.Equal("Det: expects square matrices (*, n, n), got [2,3,4]", e.Message);
    }

    [Fact]
    public void Docs_FactorizationsAndNorms()
    {
        var m = Tensor.Randn([8, 5, 3], new Generator(0), dtype: DType.Float64);
        var (q, r) = Dendrite.Linalg.Qr(m);
        Assert.Equal([8, 5, 3], q.Shape.ToArray());
        Assert.Equal([8, 3, 3], r.Shape.ToArray());
        Assert.All(Dendrite.Linalg.MatrixRank(m).ToArray<long>(), k => Assert.Equal(3, k));
        var (re, im) = Dendrite.Linalg.Eigvals(Tensor.From([0.0, -1, 1, 0], 2, 2));
        Assert.Equal([0.0, 0.0], re.ToArray<double>().Select(v => Math.Round(v, 12) + 0.0));
        Assert.Equal([-1.0, 1.0], im.ToArray<double>().Select(v => Math.Round(v, 12)));

        var v2 = Tensor.From([3.0, -4], 2);
        Assert.Equal(5, Dendrite.Linalg.VectorNorm(v2).Item(), 12);
        Assert.Equal(7, Dendrite.Linalg.VectorNorm(v2, 1).Item(), 12);
        Assert.Equal(4, Dendrite.Linalg.VectorNorm(v2, double.PositiveInfinity).Item(), 12);
        var a2 = Tensor.From([1.0, -2, 3, 4], 2, 2);
        Assert.Equal(Math.Sqrt(30), Dendrite.Linalg.MatrixNorm(a2).Item(), 12);
        Assert.Equal(6, Dendrite.Linalg.MatrixNorm(a2, 1).Item(), 12);
        Assert.Equal(7, Dendrite.Linalg.MatrixNorm(a2, double.PositiveInfinity).Item(), 12);
        Assert.Equal(5, Dendrite.Linalg.Trace(a2).Item(), 12);
    }

    [Fact]
    public void Docs_Gradients()
    {
        var x = Tensor.From([2.0, 0.5, 0.3, 1.5], 2, 2).RequireGrad();
        Dendrite.Linalg.Det(x).Backward();
        Assert.Equal([1.5, -0.3, -0.5, 2], x.Grad!.ToArray<double>().Select(v => Math.Round(v, 12)));
        var y = Tensor.Randn([4, 3], new Generator(1), dtype: DType.Float64).RequireGrad();
        var (uy, sy, _) = Dendrite.Linalg.Svd(y);
        (sy.Sum() + (uy * uy).Select(0, 0).Sum()).Backward();
        Assert.NotNull(y.Grad);
        Gradcheck.Assert(t => Dendrite.Linalg.Svdvals(t[0]), y.Detach());
    }
}
