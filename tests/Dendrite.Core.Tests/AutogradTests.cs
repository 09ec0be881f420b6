namespace Dendrite.Tests;

/// <summary>Graph behaviour: accumulation, broadcasting, Detach, NoGrad, retained gradients, hooks, views.</summary>
public class AutogradTests
{
    [Fact]
    public void Backward_AccumulatesAcrossCalls()
    {
        var x = Tensor.From([1f, 2f, 3f], 3).RequireGrad();
        (x * 3).Sum().Backward();
        Assert.Equal([3f, 3f, 3f], x.Grad!.ToFloatArray());
        (x * x).Sum().Backward();
        // 3 + 2x
        Assert.Equal([5f, 7f, 9f], x.Grad!.ToFloatArray());
    }

    [Fact]
    public void Backward_BroadcastGradientSummedToInputShape()
    {
        var a = Tensor.From([1f, 2f, 3f, 4f, 5f, 6f], 2, 3).RequireGrad();
        var b = Tensor.From([10f, 20f, 30f], 1, 3).RequireGrad();
        var c = Tensor.From([2f, 3f], 2, 1).RequireGrad();
        ((a + b) * c).Sum().Backward();
        Assert.Equal([1, 3], b.Grad!.Shape.ToArray());
        Assert.Equal([5f, 5f, 5f], b.Grad.ToFloatArray());
        Assert.Equal([2, 1], c.Grad!.Shape.ToArray());
        // row sums of a + b: 66 and 75
        Assert.Equal([66f, 75f], c.Grad.ToFloatArray());
        Assert.Equal([2f, 2f, 2f, 3f, 3f, 3f], a.Grad!.ToFloatArray());
    }

    [Fact]
    public void Detach_StopsGradients()
    {
        var x = Tensor.From([1f, 2f], 2).RequireGrad();
        var d = (x * 2).Detach();
        Assert.False(d.RequiresGrad);
        (x * d).Sum().Backward();
        // d is treated as a constant: d/dx (x·d) = d = 2x
        Assert.Equal([2f, 4f], x.Grad!.ToFloatArray());
    }

    [Fact]
    public void NoGrad_RecordsNothing()
    {
        var x = Tensor.From([1f, 2f], 2).RequireGrad();
        Tensor y;
        using (Autograd.NoGrad())
        {
            y = (x * x).Exp().Sum();
            Assert.False(Autograd.IsEnabled);
        }
        Assert.True(Autograd.IsEnabled);
        Assert.False(y.RequiresGrad);
        Assert.Null(y.GradFn);
        Assert.Throws<InvalidOperationException>(() => y.Backward());
    }

    [Fact]
    public void RetainGrad_KeepsIntermediateGradient()
    {
        var x = Tensor.From([1f, 2f, 3f], 3).RequireGrad();
        var h = (x * 2).RetainGrad();
        var other = x * 5;
        (h * h).Sum().Backward();
        // dL/dh = 2h = 4x
        Assert.Equal([4f, 8f, 12f], h.Grad!.ToFloatArray());
        Assert.Null(other.Grad);
        Assert.Equal([8f, 16f, 24f], x.Grad!.ToFloatArray());
    }

    [Fact]
    public void RegisterHook_SeesIntermediateGradient()
    {
        var x = Tensor.From([1f, -1f], 2).RequireGrad();
        var h = x.Tanh();
        float[]? seen = null;
        int calls = 0;
        h.RegisterHook(g =>
        {
            seen = g.ToFloatArray();
            calls++;
        });
        (h * Tensor.From([3f, 4f], 2)).Sum().Backward();
        Assert.Equal(1, calls);
        Assert.Equal([3f, 4f], seen!);
    }

    [Fact]
    public void Backward_NonScalarWithoutGradientThrows()
    {
        var x = Tensor.From([1f, 2f], 2).RequireGrad();
        var ex = Assert.Throws<ArgumentException>(() => (x * 2).Backward());
        Assert.Contains("[2]", ex.Message);
        Assert.Contains("not a scalar", ex.Message);
    }

    [Fact]
    public void Backward_NonScalarWithGradient()
    {
        var x = Tensor.From([1f, 2f], 2).RequireGrad();
        (x * 2).Backward(Tensor.From([1f, 10f], 2));
        Assert.Equal([2f, 20f], x.Grad!.ToFloatArray());
        Assert.Throws<ArgumentException>(() => (x * 2).Backward(Tensor.Ones(3)));
    }

    [Fact]
    public void Backward_ThroughViewOfView()
    {
        var x = Tensor.Arange(12).Reshape(3, 4).RequireGrad();
        // column 1..2 of the transpose, then every other row: elements x[0,1], x[2,1], x[0,2], x[2,2]
        var v = x.T.Slice(0, 1, 3).Slice(1, 0, 3, 2);
        Assert.Equal([1f, 9f, 2f, 10f], v.ToFloatArray());
        (v * Tensor.From([1f, 2f, 3f, 4f], 2, 2)).Sum().Backward();
        Assert.Equal([0f, 1f, 3f, 0f, 0f, 0f, 0f, 0f, 0f, 2f, 4f, 0f], x.Grad!.ToFloatArray());
    }

    [Fact]
    public void Gradcheck_DetectsAWrongGradient()
    {
        // A function whose recorded gradient is wrong on purpose: Detach hides half of x·x from autograd.
        var x = Tensor.From([0.5, 1.5], 2);
        var r = Gradcheck.Check(xs => xs[0] * xs[0].Detach(), [x]);
        Assert.False(r.Passed);
    }
}
