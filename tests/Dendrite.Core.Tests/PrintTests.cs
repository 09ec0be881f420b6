namespace Dendrite.Tests;

/// <summary>ToString: NumPy-like values followed by shape and dtype.</summary>
public class PrintTests
{
    [Fact]
    public void Print_Matrix()
    {
        var s = Tensor.From([1f, -2.5f, 3f, 4f, 5f, 6.25f], 2, 3).ToString();
        Assert.Equal(
            "tensor([[ 1.0000, -2.5000,  3.0000],\n        [ 4.0000,  5.0000,  6.2500]], shape=[2,3], dtype=Float32)",
            s);
    }

    [Fact]
    public void Print_Scalar()
    {
        Assert.Equal("tensor(3.5000, shape=[], dtype=Float32)", Tensor.Scalar(3.5).ToString());
    }

    [Fact]
    public void Print_Int64()
    {
        Assert.Equal("tensor([  1, -20,   3], shape=[3], dtype=Int64)", Tensor.From([1L, -20L, 3L], 3).ToString());
    }

    [Fact]
    public void Print_Bool()
    {
        Assert.Equal("tensor([ True, False], shape=[2], dtype=Bool)", Tensor.From([true, false], 2).ToString());
    }

    [Fact]
    public void Print_LargeTensorIsElided()
    {
        var s = Tensor.Arange(2000, DType.Int64).Reshape(40, 50).ToString();
        Assert.Contains("...", s);
        Assert.StartsWith("tensor([[   0,    1,    2, ...,   47,   48,   49],", s);
        Assert.Contains("1999]]", s);
        Assert.DoesNotContain(" 1000,", s);
        Assert.True(s.Length < 1000, $"elided text should be short, got {s.Length} characters");
        Assert.EndsWith("shape=[40,50], dtype=Int64)", s);
    }

    [Fact]
    public void Print_GradFnShown()
    {
        var x = Tensor.Ones(2).RequireGrad();
        Assert.Contains("requires_grad=true", x.ToString());
        Assert.Contains("grad_fn=Mul", (x * 2).ToString());
    }
}
