namespace Dendrite.Tests;

// The fused Linear op against its composite definition act(x·Wᵀ + b), in values and gradients.
public class LinearTests
{
    private static void AssertClose(Tensor expected, Tensor actual, double tol = 1e-4)
    {
        Assert.Equal(expected.Shape.ToArray(), actual.Shape.ToArray());
        var e = expected.ToArray<double>();
        var a = actual.ToArray<double>();
        for (int i = 0; i < e.Length; i++) Assert.True(Math.Abs(e[i] - a[i]) <= tol * (1 + Math.Abs(e[i])), $"element {i}: {e[i]} vs {a[i]}");
    }

    [Theory]
    [InlineData(FusedActivation.None, true, false)]
    [InlineData(FusedActivation.Relu, true, false)]
    [InlineData(FusedActivation.None, false, false)]
    [InlineData(FusedActivation.Relu, true, true)]
    public void Linear_FusedEqualsComposite(FusedActivation act, bool withBias, bool transposedInput)
    {
        var g = new Generator(21);
        var x0 = transposedInput ? Tensor.Randn([7, 2, 5], g).Permute(1, 0, 2) : Tensor.Randn([2, 7, 5], g);
        var w0 = Tensor.Randn([4, 5], g);
        var b0 = Tensor.Randn([4], g);
        var r = Tensor.Randn([2, 7, 4], g);

        (Tensor Y, Tensor Dx, Tensor Dw, Tensor? Db) Run(bool fused)
        {
            var x = x0.Detach().Clone().RequireGrad();
            var w = w0.Clone().RequireGrad();
            var b = b0.Clone().RequireGrad();
            Tensor y;
            if (fused)
            {
                y = x.Linear(w, withBias ? b : null, act);
            }
            else
            {
                y = x.MatMul(w.T);
                if (withBias) y += b;
                if (act == FusedActivation.Relu) y = y.Relu();
            }
            (y * r).Sum().Backward();
            return (y, x.Grad!, w.Grad!, withBias ? b.Grad : null);
        }

        var f = Run(true);
        var c = Run(false);
        AssertClose(c.Y, f.Y);
        AssertClose(c.Dx, f.Dx);
        AssertClose(c.Dw, f.Dw);
        if (withBias) AssertClose(c.Db!, f.Db!);
    }

    [Fact]
    public void Linear_GradMatchesFiniteDifference()
    {
        var g = new Generator(3);
        Gradcheck.Assert(t => t[0].Linear(t[1], t[2], FusedActivation.Relu),
            Tensor.Randn([3, 4], g), Tensor.Randn([2, 4], g), Tensor.Randn([2], g));
    }

    [Fact]
    public void Linear_ShapeErrorsNameTheOp()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.Zeros(8, 3).Linear(Tensor.Zeros(2, 4)));
        Assert.Contains("Linear: input [8,3] has 3 features, weight [2,4] expects 4", e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensor.Zeros(8, 4).Linear(Tensor.Zeros(2, 4), Tensor.Zeros(3)));
        Assert.Contains("bias [3]", e.Message);
    }
}
