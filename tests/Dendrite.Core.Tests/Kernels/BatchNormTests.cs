using Xunit;

namespace Dendrite.Tests;

[Trait("Category", "Kernels")]
public class BatchNormTests
{
    // The fused float32 batch norm against the composite ops (mean, var, subtract, divide, scale, shift) run in
    // float64: values, batch statistics and the gradients of x, γ and β.
    [Theory]
    [InlineData(4, 3, 5, 7)]
    [InlineData(2, 5, 1, 33)]
    [InlineData(3, 2, 0, 0)]
    public void BatchNormTrain_MatchesComposite(int n, int c, int h, int w)
    {
        var gen = new Generator(5);
        int[] shape = h == 0 ? [n, c] : [n, c, h, w];
        var x = (Tensor.Randn(shape, gen) * 3 + 10).Detach();
        var gamma = Tensor.Randn([c], gen);
        var beta = Tensor.Randn([c], gen);
        var r = Tensor.Randn(shape, new Generator(9));
        var fused = Run(x, gamma, beta, r);
        var composite = Run(x.To(DType.Float64), gamma.To(DType.Float64), beta.To(DType.Float64),
            r.To(DType.Float64));
        for (int i = 0; i < fused.Length; i++) AssertClose(composite[i], fused[i], 2e-4);
    }

    [Fact]
    public void BatchNormTrain_Gradchecks()
    {
        var gen = new Generator(2);
        var x = Tensor.Randn([3, 2, 2, 3], gen, dtype: DType.Float64).RequireGrad();
        var gamma = Tensor.Randn([2], gen, dtype: DType.Float64).RequireGrad();
        var beta = Tensor.Randn([2], gen, dtype: DType.Float64).RequireGrad();
        Gradcheck.Assert(t => t[0].BatchNormTrain(t[1], t[2], 1e-5, out _, out _), [x, gamma, beta]);
    }

    [Fact]
    public void BatchNormTrain_ErrorNamesOpAndShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            Tensor.Zeros(2, 3, 4).BatchNormTrain(Tensor.Ones(4), Tensor.Zeros(4), 1e-5, out _, out _));
        Assert.Contains("BatchNormTrain", ex.Message);
        Assert.Contains("[2,3,4]", ex.Message);
    }

    private static Tensor[] Run(Tensor x, Tensor gamma, Tensor beta, Tensor r)
    {
        x = x.Clone().RequireGrad();
        gamma = gamma.Clone().RequireGrad();
        beta = beta.Clone().RequireGrad();
        var y = x.BatchNormTrain(gamma, beta, 1e-5, out var mean, out var var);
        (y * r).Sum().Backward();
        return [y, mean, var, x.Grad!, gamma.Grad!, beta.Grad!];
    }

    private static void AssertClose(Tensor expected, Tensor actual, double tol)
    {
        Assert.Equal(expected.Shape.ToArray(), actual.Shape.ToArray());
        var e = expected.To(DType.Float64).ToArray<double>();
        var a = actual.To(DType.Float64).ToArray<double>();
        for (int i = 0; i < e.Length; i++)
        {
            Assert.True(Math.Abs(e[i] - a[i]) <= tol * (1 + Math.Abs(e[i])), $"element {i}: {a[i]} vs {e[i]}");
        }
    }
}
