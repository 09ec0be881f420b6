namespace Dendrite.Tests;

/// <summary>Version counters: every in-place write counts, and a backward that reads a tensor written after it was
/// saved fails naming the op and the tensor.</summary>
public class InPlaceTests
{
    [Fact]
    public void Version_CountsEveryInPlaceWrite()
    {
        var t = Tensor.Zeros(4);
        int v = t.Version;
        t.Fill(1);
        t.AddInPlace(Tensor.Ones(4));
        t.MulInPlace(2);
        t.CopyFrom(Tensor.Ones(4));
        t[0] = 3;
        _ = t.AsSpan<float>();
        Assert.Equal(v + 6, t.Version);
        _ = t.AsReadOnlySpan<float>();
        _ = t[1];
        Assert.Equal(v + 6, t.Version);
        // views share the counter with their base
        var view = t.Slice(0, 1, 3);
        view.Fill(0);
        Assert.Equal(v + 7, t.Version);
        Assert.Equal(t.Version, view.Version);
    }

    [Fact]
    public void Backward_SavedInputModifiedInPlace_FailsNamingTheOp()
    {
        var x = Tensor.From([1f, 2f, 3f], 3).RequireGrad();
        var a = x * 2;
        var y = a * x;
        a.MulInPlace(3);
        var e = Assert.Throws<InvalidOperationException>(() => y.Sum().Backward());
        Assert.Equal("Mul backward: one of the variables needed for gradient computation has been modified by an " +
            $"inplace operation: input 0 of Mul [3] is at version {a.Version}; expected version {a.Version - 1}",
            e.Message);
    }

    [Fact]
    public void Backward_SavedOutputModifiedInPlace_FailsNamingTheOp()
    {
        var x = Tensor.From([0.1f, 0.2f], 2).RequireGrad();
        var y = x.Tanh();
        var loss = y.Sum();
        y.Fill(0);
        var e = Assert.Throws<InvalidOperationException>(() => loss.Backward());
        Assert.StartsWith("Tanh backward: one of the variables needed for gradient computation", e.Message);
        Assert.Contains("the output of Tanh [2]", e.Message);
    }

    [Fact]
    public void Backward_WriteThroughViewOrSpan_IsSeen()
    {
        var x = Tensor.From([1f, 2f, 3f, 4f], 4).RequireGrad();
        var e1 = x.Exp();
        var loss = e1.Sum();
        e1.Slice(0, 0, 2).Fill(0);
        Assert.Contains("Exp backward", Assert.Throws<InvalidOperationException>(() => loss.Backward()).Message);

        var w = Tensor.From([1f, 2f], 2).RequireGrad();
        var b = Tensor.From([3f, 4f], 2);
        var p = (w * b).Sum();
        b.AsSpan<float>()[0] = 5;
        Assert.Contains("input 1 of Mul [2]", Assert.Throws<InvalidOperationException>(() => p.Backward()).Message);
    }

    [Fact]
    public void Backward_UnsavedInputModifiedInPlace_IsFine()
    {
        // Add's backward reads neither input, so writing one afterwards does not matter
        var x = Tensor.From([1f, 2f], 2).RequireGrad();
        var a = x * 2;
        var y = a + x;
        a.AddInPlace(Tensor.Ones(2));
        y.Sum().Backward();
        Assert.Equal([3f, 3f], x.Grad!.ToFloatArray());
    }

    [Fact]
    public void Backward_AfterFailure_LeavesNoPendingGradients()
    {
        var x = Tensor.From([1f, 2f], 2).RequireGrad();
        var a = x * 3;
        var y = (a * a).Sum() + (x * 5).Sum();
        a.Fill(0);
        Assert.Throws<InvalidOperationException>(() => y.Backward());
        (x * 2).Sum().Backward();
        Assert.Equal([2f, 2f], x.Grad!.ToFloatArray());
    }

    [Fact]
    public void Backward_SecondTimeThroughKeptGraph_AddsTheSameGradient()
    {
        var x = Tensor.From([1f, 2f], 2).RequireGrad();
        var loss = (x.Tanh() * x).Sum();
        loss.Backward();
        var once = x.Grad!.ToFloatArray();
        loss.Backward();
        var twice = x.Grad!.ToFloatArray();
        Assert.Equal(2 * once[0], twice[0], 5);
        Assert.Equal(2 * once[1], twice[1], 5);
    }

    [Fact]
    public void Backward_AfterScopeReleasedSavedTensors_FailsClearly()
    {
        var x = Tensor.From([1f, 2f], 2).RequireGrad();
        Tensor loss;
        using (var scope = TensorScope.Begin())
        {
            loss = scope.Keep(x.Exp().Sum());
            loss.Backward();
        }
        var e = Assert.Throws<InvalidOperationException>(() => loss.Backward());
        Assert.Contains("Exp backward: the output of Exp [2] was released", e.Message);
    }

    [Fact]
    public void InPlaceUnderNoGrad_OptimizerStyleUpdateThenNewStep_Works()
    {
        var w = Tensor.From([1f, 2f], 2).RequireGrad();
        for (int step = 0; step < 3; step++)
        {
            var loss = (w * w).Sum();
            loss.Backward();
            using (Autograd.NoGrad()) w.AddInPlace(w.Grad!.Mul(Tensor.Scalar(-0.1)));
            w.Grad!.Fill(0);
        }
        // w ← w·(1 - 0.2) three times
        Assert.Equal(0.512f, w.ToFloatArray()[0], 5);
    }
}
