namespace Dendrite.Tests;

public class SmokeTests
{
    [Fact]
    public void AddBroadcast_Values()
    {
        var a = Tensor.From([1f, 2, 3, 4, 5, 6], 2, 3);
        var b = Tensor.From([10f, 20, 30], 3);
        Assert.Equal(new float[] { 11, 22, 33, 14, 25, 36 }, (a + b).ToFloatArray());
    }

    [Fact]
    public void MatMul_GradMatchesFiniteDifference()
    {
        var a = Tensor.Randn([3, 4], new Generator(1));
        var b = Tensor.Randn([4, 5], new Generator(2));
        Gradcheck.Assert(x => x[0].MatMul(x[1]).Tanh(), a, b);
    }

    [Fact]
    public void Softmax_GradMatchesFiniteDifference()
    {
        var a = Tensor.Randn([3, 4], new Generator(1));
        Gradcheck.Assert(x => x[0].Softmax(0) * 3 + x[0].LogSoftmax(1), a);
    }

    [Fact]
    public void Print_Readable()
    {
        var s = Tensor.From([1f, 2, 3, 4], 2, 2).ToString();
        Assert.Contains("[[1.0000, 2.0000],", s);
    }
}
