namespace Dendrite.Tests.Linalg;

/// <summary>Singular, non-square, non-definite and non-floating inputs fail with the op and the shape named;
/// singular matrices still have a determinant.</summary>
public class LinalgErrorTests
{
    private static readonly Tensor Singular = Tensor.From([1.0, 2, 3, 2, 4, 6, 1, 0, 1], 3, 3);

    private static void Throws<TException>(Action act, params string[] parts) where TException : Exception
    {
        var e = Assert.Throws<TException>(act);
        foreach (var p in parts) Assert.Contains(p, e.Message);
    }

    [Fact]
    public void Inv_Singular_NamesOpAndMatrix()
    {
        Throws<ArgumentException>(() => Dendrite.Linalg.Inv(Singular), "Inv", "singular", "[3,3]");
        var batch = Tensor.Stack([Tensor.Eye(3, dtype: DType.Float64), Singular]);
        Throws<ArgumentException>(() => Dendrite.Linalg.Inv(batch), "Inv", "matrix 1 of [2,3,3]", "singular");
    }

    [Fact]
    public void Solve_SingularOrMismatched_NamesOpAndShapes()
    {
        Throws<ArgumentException>(() => Dendrite.Linalg.Solve(Singular, Tensor.Ones(DType.Float64, 3)), "Solve",
            "singular");
        Throws<ArgumentException>(() => Dendrite.Linalg.Solve(Tensor.Eye(3), Tensor.Ones(4, 2)), "Solve", "[3,3]",
            "[4,2]");
        Throws<ArgumentException>(() => Dendrite.Linalg.Solve(Tensor.Ones(3, 4), Tensor.Ones(3, 2)), "Solve",
            "square");
    }

    [Fact]
    public void NonSquare_NamesOpAndShape()
    {
        var a = Tensor.Ones(2, 3, 4);
        Throws<ArgumentException>(() => Dendrite.Linalg.Det(a), "Det", "square", "[2,3,4]");
        Throws<ArgumentException>(() => Dendrite.Linalg.Cholesky(a), "Cholesky", "square");
        Throws<ArgumentException>(() => Dendrite.Linalg.Eigh(a), "Eigh", "square");
        Throws<ArgumentException>(() => Dendrite.Linalg.Lu(a), "Lu", "square");
        Throws<ArgumentException>(() => Dendrite.Linalg.Svd(Tensor.Ones(4)), "Svd", "[4]");
    }

    [Fact]
    public void Cholesky_NotPositiveDefinite_SaysSo()
    {
        var a = Tensor.Stack([Tensor.Eye(2), Tensor.From([1f, 2, 2, 1], 2, 2)]);
        Throws<ArgumentException>(() => Dendrite.Linalg.Cholesky(a), "Cholesky", "matrix 1 of [2,2,2]",
            "not positive definite");
    }

    [Fact]
    public void IntegerInput_IsRefused()
    {
        Throws<ArgumentException>(() => Dendrite.Linalg.Det(Tensor.From([1L, 0, 0, 1], 2, 2)), "Det", "Int64");
    }

    [Fact]
    public void OpWithoutGradient_RefusesTrackedInput()
    {
        var a = Tensor.Eye(3).RequireGrad();
        Throws<NotSupportedException>(() => Dendrite.Linalg.Qr(a), "Qr", "Detach");
        using (Autograd.NoGrad()) Assert.Equal(3, Dendrite.Linalg.Qr(a).Q.Size(0));
    }

    [Fact]
    public void Det_Singular_IsZero()
    {
        Assert.Equal(0, Dendrite.Linalg.Det(Singular).Item(), 12);
        var (sign, logAbs) = Dendrite.Linalg.Slogdet(Singular);
        Assert.Equal(0, sign.Item());
        Assert.True(double.IsNegativeInfinity(logAbs.Item()));
        Assert.Equal(0, Dendrite.Linalg.MatrixRank(Singular).Item() - 2);
    }

    [Fact]
    public void Det_SecondDerivative_MatchesFiniteDifferences()
    {
        // d det(A)/dA = det(A)·A⁻ᵀ is built from Tensor ops, so it can be differentiated again: the gradient of
        // Σ r·(d det/dA) is compared with central differences of the first derivative.
        double[] values = [2.0, 0.5, 0.1, 0.3, 1.5, -0.2, 0.4, 0.1, 3.0];
        var r = Tensor.Randn([3, 3], new Generator(9), dtype: DType.Float64);
        double Weighted(double[] v)
        {
            var x = Tensor.From(v, 3, 3).RequireGrad();
            return (Autograd.Grad([Dendrite.Linalg.Det(x)], [x])[0]! * r).Sum().Item();
        }
        var a = Tensor.From(values, 3, 3).RequireGrad();
        var first = Autograd.Grad([Dendrite.Linalg.Det(a)], [a], createGraph: true)[0]!;
        var second = Autograd.Grad([(first * r).Sum()], [a])[0]!.ToArray<double>();
        const double eps = 1e-6;
        for (int i = 0; i < values.Length; i++)
        {
            var plus = (double[])values.Clone();
            var minus = (double[])values.Clone();
            plus[i] += eps;
            minus[i] -= eps;
            double numeric = (Weighted(plus) - Weighted(minus)) / (2 * eps);
            Assert.True(Math.Abs(second[i] - numeric) <= 1e-6 + 1e-4 * Math.Abs(numeric),
                $"element {i}: double backward {second[i]}, finite differences {numeric}");
        }
    }
}
