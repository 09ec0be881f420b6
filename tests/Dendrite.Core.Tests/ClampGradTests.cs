namespace Dendrite.Tests;

/// <summary>Clamp's fused float32 backward against the composed one (what a recorded backward builds): bounds on
/// both sides, one side, values on the bounds, NaN, a strided input, the threads' split of a large tensor, and a
/// second derivative.</summary>
public class ClampGradTests
{
    private static float[] Gradient(Tensor x, double? min, double? max, Tensor r, bool recorded)
    {
        var leaf = x.Detach().Clone().RequireGrad();
        var input = x.IsContiguous ? leaf : leaf.Transpose(0, 1).Contiguous().Transpose(0, 1);
        var loss = (input.Clamp(min, max) * r).Sum();
        return recorded
            ? Autograd.Grad(loss, leaf, createGraph: true).Detach().ToArray<float>()
            : Grad(loss, leaf);
    }

    private static float[] Grad(Tensor loss, Tensor leaf)
    {
        loss.Backward();
        return leaf.Grad!.ToArray<float>();
    }

    [Theory]
    [InlineData(45, 0.0, 6.0)]
    [InlineData(45, -0.5, null)]
    [InlineData(45, null, 0.25)]
    [InlineData(300_003, 0.0, 6.0)]
    public void Fused_EqualsComposed(int n, double? min, double? max)
    {
        var data = (Tensor.Randn([n], new Generator(7)) * 4).ToArray<float>();
        data[0] = 0f;
        data[1] = 6f;
        data[2] = float.NaN;
        data[3] = -0.5f;
        data[4] = 0.25f;
        var x = Tensor.From(data, n);
        var r = Tensor.Randn([n], new Generator(8));
        Assert.Equal(Gradient(x, min, max, r, recorded: true), Gradient(x, min, max, r, recorded: false));
    }

    [Fact]
    public void Fused_ReadsAStridedGradient()
    {
        var x = (Tensor.Randn([6, 9], new Generator(9)) * 5).Transpose(0, 1).RequireGrad();
        var r = Tensor.Randn([9, 6], new Generator(10));
        (x.Clamp(0, 6) * r).Sum().Backward();
        float[] xs = x.Contiguous().ToArray<float>(), rs = r.ToArray<float>();
        var expected = xs.Select((v, i) => v >= 0 && v <= 6 ? rs[i] : 0f).ToArray();
        Assert.Equal(expected, x.Grad!.Contiguous().ToArray<float>());
    }

    [Fact]
    public void SecondDerivative_OfAClampedSquare()
    {
        // L = Σ clamp(x, 0, 6)²: dL/dx = 2·clamp(x)·[0 ≤ x ≤ 6], d²L/dx² = 2 inside, 0 outside.
        var x = Tensor.From(new[] { -1f, 0.5f, 3f, 7f }, 4).RequireGrad();
        var y = x.Clamp(0, 6);
        var first = Autograd.Grad((y * y).Sum(), x, createGraph: true);
        var second = Autograd.Grad(first.Sum(), x);
        Assert.Equal(new[] { 0f, 2f, 2f, 0f }, second.ToArray<float>());
    }
}
