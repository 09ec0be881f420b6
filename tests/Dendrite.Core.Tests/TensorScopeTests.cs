namespace Dendrite.Tests;

/// <summary>TensorScope returns intermediates to the pool; Keep lets a tensor outlive its scope.</summary>
public class TensorScopeTests
{
    [Fact]
    public void TensorUsedAfterScope_ThrowsClearError()
    {
        Tensor t;
        using (TensorScope.Begin())
        {
            t = Tensor.Ones(3) * 2;
        }
        Assert.False(t.Storage.IsAlive);
        var ex = Assert.Throws<InvalidOperationException>(() => t.ToFloatArray());
        Assert.Contains("TensorScope", ex.Message);
        Assert.Contains("Keep", ex.Message);
        Assert.Throws<InvalidOperationException>(() => (t + 1).ToFloatArray());
        Assert.Contains("released", t.ToString());
    }

    [Fact]
    public void Keep_LetsTensorSurvive()
    {
        Tensor kept;
        using (var scope = TensorScope.Begin())
        {
            var tmp = Tensor.Ones(3) * 2;
            kept = scope.Keep(tmp + 1);
        }
        Assert.Equal([3f, 3f, 3f], kept.ToFloatArray());
    }

    [Fact]
    public void Keep_InNestedScopeMovesToParent()
    {
        Tensor kept;
        using (var outer = TensorScope.Begin())
        {
            Tensor inner;
            using (var s = TensorScope.Begin())
            {
                inner = s.Keep(Tensor.Full(4, 2));
            }
            Assert.Equal([4f, 4f], inner.ToFloatArray());
            kept = inner;
        }
        Assert.False(kept.Storage.IsAlive);
    }

    [Fact]
    public void LeafGradient_OutlivesScope()
    {
        var w = Tensor.From([1f, 2f], 2).RequireGrad();
        using (TensorScope.Begin())
        {
            (w * w).Sum().Backward();
        }
        Assert.Equal([2f, 4f], w.Grad!.ToFloatArray());
    }

    [Fact]
    public void Scopes_MustEndInOrder()
    {
        var outer = TensorScope.Begin();
        var inner = TensorScope.Begin();
        Assert.Throws<InvalidOperationException>(() => outer.Dispose());
        inner.Dispose();
        outer.Dispose();
    }
}
