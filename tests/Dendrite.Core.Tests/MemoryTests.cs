namespace Dendrite.Tests;

public class MemoryTests
{
    private static void Step(Tensor x, Tensor w, Tensor b)
    {
        using var scope = TensorScope.Begin();
        var loss = (x.MatMul(w) + b).Tanh().Sum();
        loss.Backward();
    }

    [Fact]
    public void TrainingStep_SteadyStateAllocatesFewBytes()
    {
        var g = new Generator(7);
        var x = Tensor.Randn([8, 16], g);
        var w = Tensor.Randn([16, 4], g).RequireGrad();
        var b = Tensor.Zeros(4).RequireGrad();
        for (int i = 0; i < 50; i++) Step(x, w, b);
        long before = GC.GetAllocatedBytesForCurrentThread();
        const int steps = 1000;
        for (int i = 0; i < steps; i++) Step(x, w, b);
        long perStep = (GC.GetAllocatedBytesForCurrentThread() - before) / steps;
        Assert.True(perStep < 4096, $"{perStep} bytes allocated per step");
    }
}
