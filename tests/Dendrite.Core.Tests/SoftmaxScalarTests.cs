namespace Dendrite.Tests;

public class SoftmaxScalarTests
{
    [Fact]
    public void Softmax_OfAScalar_IsOne_LogSoftmax_IsZero()
    {
        Assert.Equal(1.0, Tensor.Scalar(3.5).Softmax(0).Item());
        Assert.Equal(0.0, Tensor.Scalar(3.5).LogSoftmax(-1).Item());
    }
}
