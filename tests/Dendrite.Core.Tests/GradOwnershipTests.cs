namespace Dendrite.Tests;

/// <summary>A leaf keeps a gradient made by backward instead of copying it only when nothing else can reach that
/// memory: gradients shared between inputs, the caller's own gradient, views of an upstream gradient that another
/// tensor keeps, and gradients a hook has seen are copied.</summary>
public class GradOwnershipTests
{
    [Fact]
    public void SharedGradientOfAdd_LeavesDistinctGradients()
    {
        var a = Tensor.From([1f, 2f], 2).RequireGrad();
        var b = Tensor.From([3f, 4f], 2).RequireGrad();
        (a + b).Backward(Tensor.From([1f, 1f], 2));
        Assert.NotSame(a.Grad!.Storage, b.Grad!.Storage);
        (a * 3).Sum().Backward();
        Assert.Equal([4f, 4f], a.Grad.ToFloatArray());
        Assert.Equal([1f, 1f], b.Grad.ToFloatArray());
    }

    [Fact]
    public void CallersGradient_IsNeverKept()
    {
        var x = Tensor.From([1f, 2f], 2).RequireGrad();
        var g = Tensor.From([5f, 6f], 2);
        x.Backward(g);
        Assert.NotSame(g.Storage, x.Grad!.Storage);
        var y = Tensor.From([1f, 2f], 2).RequireGrad();
        var h = Tensor.From([7f, 8f], 2);
        y.Reshape(1, 2).Backward(h.Reshape(1, 2));
        h.CopyFrom(Tensor.From([0f, 0f], 2));
        Assert.Equal([7f, 8f], y.Grad!.ToFloatArray());
    }

    [Fact]
    public void RetainedIntermediate_DoesNotShareWithLeaf()
    {
        // m's gradient is fresh, but m keeps it as m.Grad, so the view of it that Reshape passes on to x is copied.
        var x = Tensor.From([1f, 2f, 3f], 3).RequireGrad();
        var m = x.Reshape(1, 3).RetainGrad();
        (m * 2).Sum().Backward();
        Assert.NotSame(m.Grad!.Storage, x.Grad!.Storage);
        (x * 1).Sum().Backward();
        Assert.Equal([3f, 3f, 3f], x.Grad.ToFloatArray());
        Assert.Equal([2f, 2f, 2f], m.Grad.ToFloatArray());
    }

    [Fact]
    public void FreshGradient_IsKeptWithoutACopy_UnlessAHookSawIt()
    {
        // The same graph with and without a hook on the leaf: the hook's run must make exactly one more storage
        // (the copy the leaf keeps), and the hook's tensor must not become the leaf's gradient.
        long Created(bool hook)
        {
            var x = Tensor.From([1f, 2f, 3f], 3).RequireGrad();
            Tensor? seen = null;
            if (hook) x.RegisterHook(g => seen = g);
            var y = (x * 2).Sum();
            long before = Storage.NextSerial;
            y.Backward();
            long made = Storage.NextSerial - before;
            Assert.Equal([2f, 2f, 2f], x.Grad!.ToFloatArray());
            if (hook)
            {
                Assert.NotSame(seen!.Storage, x.Grad.Storage);
                seen.CopyFrom(Tensor.Zeros(3));
                Assert.Equal([2f, 2f, 2f], x.Grad.ToFloatArray());
            }
            return made;
        }
        Assert.Equal(Created(hook: false) + 1, Created(hook: true));
    }

    [Fact]
    public void GradientMadeInsideAScope_OutlivesIt()
    {
        var x = Tensor.From([1f, 2f], 2).RequireGrad();
        using (var scope = TensorScope.Begin())
        {
            (x * 4).Sum().Backward();
        }
        Assert.Equal([4f, 4f], x.Grad!.ToFloatArray());
    }

    [Fact]
    public void RentedGradient_LeavesTheScopeWithTheLeaf()
    {
        // Inside a scope the fresh gradient is pooled memory; the leaf keeps that memory (no copy) and the scope's
        // end must not take it back.
        var x = Tensor.From([1f, 2f, 3f], 3).RequireGrad();
        Storage made;
        using (var scope = TensorScope.Begin())
        {
            var y = (x * 5).Sum();
            long before = Storage.NextSerial;
            y.Backward();
            made = x.GradUnread!.Storage;
            Assert.True(made.Serial >= before);
            Assert.True(made.Adopted);
        }
        Assert.True(made.IsAlive);
        Assert.Same(made, x.Grad!.Storage);
        Assert.Equal([5f, 5f, 5f], x.Grad.ToFloatArray());
    }

    [Fact]
    public void UnreadGradient_GoesBackToThePool_WhenCleared()
    {
        var x = Tensor.From([1f, 2f, 3f], 3).RequireGrad();
        for (int step = 1; step <= 3; step++)
        {
            using (var scope = TensorScope.Begin())
            {
                (x * step).Sum().Backward();
            }
            var kept = x.GradUnread!;
            Assert.True(kept.Storage.IsAlive);
            x.Grad = null;
            Assert.False(kept.Storage.IsAlive);
        }
        using (var scope = TensorScope.Begin())
        {
            (x * 7).Sum().Backward();
        }
        Assert.Equal([7f, 7f, 7f], x.Grad!.ToFloatArray());
    }

    [Fact]
    public void ReadGradient_StaysValid_AfterClearingAndLaterSteps()
    {
        var x = Tensor.From([1f, 2f], 2).RequireGrad();
        using (var scope = TensorScope.Begin())
        {
            (x * 3).Sum().Backward();
        }
        var first = x.Grad!;
        x.Grad = null;
        Assert.True(first.Storage.IsAlive);
        for (int step = 0; step < 3; step++)
        {
            using var scope = TensorScope.Begin();
            (x * 9).Sum().Backward();
            x.Grad = null;
        }
        Assert.Equal([3f, 3f], first.ToFloatArray());
    }

    [Fact]
    public void GradientSetByTheCaller_IsNeverReleased()
    {
        var x = Tensor.From([1f, 2f], 2).RequireGrad();
        using (var scope = TensorScope.Begin())
        {
            (x * 3).Sum().Backward();
            var mine = Tensor.From([8f, 9f], 2);
            x.Grad = mine;
            x.Grad = null;
            Assert.Equal([8f, 9f], mine.ToFloatArray());
        }
    }
}
