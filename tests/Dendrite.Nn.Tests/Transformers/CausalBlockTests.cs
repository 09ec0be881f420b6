using Dendrite.Nn;

namespace Dendrite.Tests.Transformers;

/// <summary>Causal attention longer than one 64-row block, where the products skip the blocks above the diagonal:
/// against the same attention written with elementary ops (the mask, Softmax and MatMul), at lengths that are not
/// a multiple of the block, with more keys than queries (a cache) and more queries than keys.</summary>
public class CausalBlockTests
{
    // softmax(q·kᵀ·s + causal)·v with elementary ops; query i sees keys j ≤ i + S − T, and a row that sees none
    // (i < T − S) is zero: its scores are left unmasked and its weights multiplied by 0
    private static Tensor Composite(Tensor q, Tensor k, Tensor v, double scale)
    {
        int T = q.Size(-2), S = k.Size(-2);
        var see = Tensor.Ones(q.DType, T, S).Tril(S - T);
        var seesAny = see.Sum(-1, keepDim: true).Gt(0.0).To(q.DType);                  // (T, 1)
        var open = (see + (1 - seesAny)).Gt(0.0);
        var scores = q.MatMul(k.Transpose(-2, -1)) * scale;
        var p = Tensor.Where(open, scores, Tensor.Scalar(double.NegativeInfinity, q.DType)).Softmax(-1) * seesAny;
        return p.MatMul(v);
    }

    [Theory]
    [InlineData(70, 70, DType.Float32)]
    [InlineData(64, 64, DType.Float32)]
    [InlineData(65, 65, DType.Float32)]
    [InlineData(128, 128, DType.Float32)]
    [InlineData(150, 200, DType.Float32)]
    [InlineData(140, 90, DType.Float32)]
    [InlineData(70, 70, DType.Float64)]
    [InlineData(140, 90, DType.Float64)]
    public void ScaledDotProduct_CausalBlocksEqualComposite(int T, int S, DType dtype)
    {
        // q from a (B, T, H, D) layout and k, v from one (B, S, 2, H, D) projection: strided views, as in a model
        var g = new Generator((ulong)(T * 100 + S));
        var qSource = Tensor.Randn([2, T, 3, 5], g, dtype: dtype);
        var kvSource = Tensor.Randn([2, S, 2, 3, 5], g, dtype: dtype);
        var r = Tensor.Randn([2, 3, T, 5], g, dtype: dtype);
        var (a, b) = (qSource.Clone().RequireGrad(), qSource.Clone().RequireGrad());
        var (c, d) = (kvSource.Clone().RequireGrad(), kvSource.Clone().RequireGrad());
        var fused = Attention.ScaledDotProduct(a.Transpose(1, 2), c.Select(2, 0).Transpose(1, 2),
            c.Select(2, 1).Transpose(1, 2), out var weights, causal: true);
        var composite = Composite(b.Transpose(1, 2), d.Select(2, 0).Transpose(1, 2), d.Select(2, 1).Transpose(1, 2),
            1 / Math.Sqrt(5));
        double tol = dtype == DType.Float32 ? 2e-5 : 1e-12;
        NnFixture.AssertClose(fused, composite, "y", atol: tol);
        using (Autograd.NoGrad())
        {
            var see = Tensor.Ones(T, S).Tril(S - T);
            NnFixture.AssertClose(weights * see, weights, "weights above the diagonal are zero", atol: 0, rtol: 0);
        }
        (fused * r).Sum().Backward();
        (composite * r).Sum().Backward();
        NnFixture.AssertClose(a.Grad!, b.Grad!, "dq", atol: tol);
        NnFixture.AssertClose(c.Grad!, d.Grad!, "dk and dv", atol: tol);
    }

    [Fact]
    public void ScaledDotProduct_CausalBlocksGradcheck()
    {
        var g = new Generator(17);
        var q = Tensor.Randn([1, 1, 67, 2], g);
        var k = Tensor.Randn([1, 1, 67, 2], g);
        var v = Tensor.Randn([1, 1, 67, 2], g);
        Gradcheck.Assert(x => Attention.ScaledDotProduct(x[0], x[1], x[2], causal: true), q, k, v);
        // more queries than keys: the first rows see nothing and get zeros; a floating mask prescales q
        var kShort = Tensor.Randn([1, 1, 60, 2], g);
        var vShort = Tensor.Randn([1, 1, 60, 2], g);
        var additive = Tensor.Randn([67, 60], g);
        Gradcheck.Assert(x => Attention.ScaledDotProduct(x[0], x[1], x[2], additive, causal: true, scale: 0.8),
            q, kShort, vShort);
    }

    [Fact]
    public void ScaledDotProduct_CausalBlocksWithDropoutGiveFiniteGradients()
    {
        // the blocks above the diagonal are never written: nothing of that memory may reach the gradients
        var g = new Generator(4);
        var q = Tensor.Randn([2, 2, 130, 4], g).RequireGrad();
        var k = Tensor.Randn([2, 2, 130, 4], g).RequireGrad();
        var v = Tensor.Randn([2, 2, 130, 4], g).RequireGrad();
        var y = Attention.ScaledDotProduct(q, k, v, causal: true, dropout: 0.2, generator: g);
        y.Sum().Backward();
        foreach (var t in new[] { y, q.Grad!, k.Grad!, v.Grad! })
            Assert.All(t.ToArray<float>(), x => Assert.True(float.IsFinite(x)));
        // row 0 sees key 0 only: its output is v[0] (dropped or scaled by 1/0.8)
        var y0 = y.Narrow(2, 0, 1).ToArray<float>();
        var v0 = v.Narrow(2, 0, 1).ToArray<float>();
        for (int i = 0; i < y0.Length; i++) Assert.True(y0[i] == 0 || Math.Abs(y0[i] - v0[i] / 0.8f) < 1e-5);
    }
}
