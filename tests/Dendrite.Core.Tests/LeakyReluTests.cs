namespace Dendrite.Tests;

/// <summary>The fused float32 leaky ReLU against its composed form (Where(x &gt; 0, x, slope·x)): values and
/// gradients on a vector-length tail, at zero, on NaN, on a strided view, across the threads' split of a large
/// tensor, and under a second derivative. The values against torch are in Dendrite.Nn.Tests' activation fixtures.
/// </summary>
public class LeakyReluTests
{
    private static Tensor Composed(Tensor x, double slope) => Tensor.Where(x.Gt(0), x, x * slope);

    private static void AssertSame(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.Shape.ToArray(), actual.Shape.ToArray());
        float[] e = expected.Contiguous().ToArray<float>(), a = actual.Contiguous().ToArray<float>();
        for (int i = 0; i < e.Length; i++) Assert.True(e[i].Equals(a[i]), $"element {i}: {e[i]} against {a[i]}");
    }

    [Theory]
    [InlineData(37, 0.2)]
    [InlineData(300_001, 0.01)]
    [InlineData(16, 1.5)]
    public void Fused_EqualsComposed(int n, double slope)
    {
        var data = Tensor.Randn([n], new Generator(3)).ToArray<float>();
        data[0] = 0f;
        data[1] = -0f;
        data[n - 1] = float.NaN;
        var x1 = Tensor.From(data, n).RequireGrad();
        var x2 = Tensor.From(data, n).RequireGrad();
        var r = Tensor.Randn([n], new Generator(4));
        var y1 = x1.LeakyRelu(slope);
        var y2 = Composed(x2, slope);
        AssertSame(y2, y1);
        (y1 * r).Sum().Backward();
        (y2 * r).Sum().Backward();
        AssertSame(x2.Grad!, x1.Grad!);
        Assert.True(float.IsNaN(y1.ToArray<float>()[n - 1]));
    }

    [Fact]
    public void Fused_ReadsAStridedView()
    {
        var x = Tensor.Randn([8, 6], new Generator(5)).Transpose(0, 1).RequireGrad();
        var y = x.LeakyRelu(0.3);
        AssertSame(Composed(x, 0.3), y);
        y.Sum().Backward();
        AssertSame(Tensor.Where(x.Gt(0), Tensor.OnesLike(x), Tensor.OnesLike(x) * 0.3), x.Grad!);
    }

    [Fact]
    public void SecondDerivative_IsRecorded()
    {
        // d/dx of (dL/dx · x) with L = Σ leaky(x)·x: the first gradient is built from recorded ops.
        var x = Tensor.From(new[] { -2f, -0.5f, 0.5f, 3f }, 4).RequireGrad();
        var first = Autograd.Grad((x.LeakyRelu(0.1) * x).Sum(), x, createGraph: true);
        var second = Autograd.Grad(first.Sum(), x);
        // L = Σ x² (x > 0) or 0.1 x² (x < 0): dL/dx = 2x or 0.2x, d²L/dx² = 2 or 0.2.
        Assert.Equal(new[] { 0.2f, 0.2f, 2f, 2f }, second.ToArray<float>());
    }

    [Fact]
    public void Errors_NameTheOp()
    {
        var e = Assert.Throws<NotSupportedException>(() => Tensor.From(new long[] { 1, 2 }, 2).LeakyRelu());
        Assert.Contains("LeakyRelu", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Tensor.Zeros(2).LeakyRelu(double.NaN));
    }
}
