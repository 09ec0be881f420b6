namespace Dendrite.Tests;

/// <summary>Bad input gets an error that names the op and the shapes or axis involved.</summary>
public class ErrorTests
{
    [Fact]
    public void MatMul_InnerMismatchNamesBothShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Zeros(64, 784).MatMul(Tensor.Zeros(512, 10)));
        Assert.Contains("MatMul", ex.Message);
        Assert.Contains("[64,784] x [512,10]", ex.Message);
        Assert.Contains("inner dimensions 784 and 512 differ", ex.Message);
    }

    [Fact]
    public void MatMul_BatchMismatchNamesOp()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 3, 4).MatMul(Tensor.Zeros(5, 4, 2)));
        Assert.Contains("MatMul", ex.Message);
        Assert.Contains("[2]", ex.Message);
        Assert.Contains("[5]", ex.Message);
    }

    [Fact]
    public void Broadcast_FailureNamesOpAndShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 3).Add(Tensor.Zeros(4)));
        Assert.Contains("Add", ex.Message);
        Assert.Contains("[2,3]", ex.Message);
        Assert.Contains("[4]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 3).Mul(Tensor.Zeros(3, 2)));
        Assert.Contains("Mul", ex.Message);
        Assert.Contains("[3,2]", ex.Message);
    }

    [Fact]
    public void Reduction_BadAxisNamesOpAndRank()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Zeros(2, 3).Sum(2));
        Assert.Contains("Sum", ex.Message);
        Assert.Contains("axis 2", ex.Message);
        Assert.Contains("rank 2", ex.Message);
        ex = Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Zeros(2, 3).Softmax(-3));
        Assert.Contains("Softmax", ex.Message);
        Assert.Contains("axis -3", ex.Message);
    }

    [Fact]
    public void View_BadAxisNamesOp()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Zeros(2, 3).Transpose(0, 5));
        Assert.Contains("Transpose", ex.Message);
        ex = Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Zeros(2, 3).Unsqueeze(4));
        Assert.Contains("Unsqueeze", ex.Message);
    }

    [Fact]
    public void Reshape_MismatchNamesBothShapes()
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => Tensor.Zeros(2, 3).Reshape(4, 2));
        Assert.Contains("Reshape", ex.Message);
        Assert.Contains("[2,3]", ex.Message);
        Assert.Contains("[4,2]", ex.Message);
        ex = Assert.ThrowsAny<ArgumentException>(() => Tensor.Zeros(2, 3).Reshape(-1, 4));
        Assert.Contains("Reshape", ex.Message);
    }

    [Fact]
    public void Cat_MismatchNamesOp()
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => Tensor.Cat([Tensor.Zeros(2, 3), Tensor.Zeros(2, 4)]));
        Assert.Contains("Cat", ex.Message);
    }

    [Fact]
    public void Gather_IndexOutOfRangeIsReported()
    {
        var idx = Tensor.From([0L, 5L], 1, 2);
        var ex = Assert.ThrowsAny<Exception>(() => Tensor.Zeros(2, 3).Gather(1, idx));
        Assert.Contains("Gather", ex.Message);
    }
}
