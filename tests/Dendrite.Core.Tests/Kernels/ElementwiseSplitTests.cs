namespace Dendrite.Tests;

/// <summary>Element-wise ops on large contiguous operands of one shape run in flat ranges across threads; every
/// element must match the scalar formula, whatever the split, and views that are not flat keep the strided loop.
/// </summary>
[Trait("Category", "Kernels")]
public class ElementwiseSplitTests
{
    // Odd length, above the split threshold, so ranges end inside a vector.
    private const int N = Tensor.ParallelElements * 2 + 37;

    private static Tensor Random(int seed, params int[] shape) => Tensor.Randn(shape, new Generator((ulong)seed));

    [Fact]
    public void Unary_MatchesScalarFormula()
    {
        var x = Random(1, N);
        var xs = x.ToFloatArray();
        var relu = x.Relu().ToFloatArray();
        var neg = x.Neg().ToFloatArray();
        for (int i = 0; i < N; i++)
        {
            Assert.Equal(Math.Max(xs[i], 0f), relu[i]);
            Assert.Equal(-xs[i], neg[i]);
        }
    }

    [Fact]
    public void Binary_MatchesScalarFormula()
    {
        var a = Random(2, 3, N / 3);
        var b = Random(3, 3, N / 3);
        float[] av = a.ToFloatArray(), bv = b.ToFloatArray();
        float[] sum = (a + b).ToFloatArray(), prod = (a * b).ToFloatArray();
        for (int i = 0; i < av.Length; i++)
        {
            Assert.Equal(av[i] + bv[i], sum[i]);
            Assert.Equal(av[i] * bv[i], prod[i]);
        }
    }

    [Fact]
    public void InPlaceOnItself_AndOnAnOffsetView()
    {
        var t = Random(4, N);
        var before = t.ToFloatArray();
        t.AddInPlace(t);
        var doubled = t.ToFloatArray();
        for (int i = 0; i < N; i++) Assert.Equal(before[i] * 2, doubled[i]);

        // A view that starts inside a larger storage (same shape as its operand, different memory).
        var big = Random(5, N + 11);
        var view = big.Narrow(0, 11, N);
        var other = Random(6, N);
        float[] v0 = view.ToFloatArray(), o = other.ToFloatArray();
        view.AddInPlace(other);
        var all = big.ToFloatArray();
        for (int i = 0; i < N; i++) Assert.Equal(v0[i] + o[i], all[i + 11]);
    }

    [Fact]
    public void ReluGradient_MatchesMask()
    {
        var x = Random(7, N).RequireGrad();
        var g = Random(8, N);
        x.Relu().Backward(g);
        float[] xs = x.ToFloatArray(), gs = g.ToFloatArray(), dx = x.Grad!.ToFloatArray();
        for (int i = 0; i < N; i++) Assert.Equal(xs[i] > 0 ? gs[i] : 0f, dx[i]);
    }

    [Fact]
    public void BroadcastAndStridedOperands_StillCorrect()
    {
        var a = Random(9, 4, N / 4);
        var row = Random(10, N / 4);
        float[] av = a.ToFloatArray(), rv = row.ToFloatArray(), s = (a + row).ToFloatArray();
        for (int i = 0; i < av.Length; i++) Assert.Equal(av[i] + rv[i % rv.Length], s[i]);
        var t = Random(11, N / 4, 4).T;
        float[] tv = t.Contiguous().ToFloatArray(), r = (t * 2).ToFloatArray();
        for (int i = 0; i < tv.Length; i++) Assert.Equal(tv[i] * 2, r[i]);
    }
}
