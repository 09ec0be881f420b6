using Dendrite.Nn;
using Dendrite.Nn.Optim;

namespace Dendrite.Tests;

public class ScheduleResumeTests
{
    private static Sgd Opt() => new([new Parameter(Tensor.Zeros(2))], lr: 1.0);

    [Fact]
    public void MultiStep_DividesAtEachMilestone()
    {
        var opt = Opt();
        var s = new MultiStepLr(opt, [2, 4], gamma: 0.5);
        var rates = new List<double> { opt.Groups[0].Lr };
        for (int i = 0; i < 5; i++)
        {
            s.Step();
            rates.Add(opt.Groups[0].Lr);
        }
        Assert.Equal([1, 1, 0.5, 0.5, 0.25, 0.25], rates);
    }

    [Fact]
    public void Restore_ContinuesWhereAnUninterruptedScheduleWouldBe()
    {
        var a = Opt();
        var sa = new CosineLr(a, totalSteps: 10);
        for (int i = 0; i < 6; i++) sa.Step();
        var b = Opt();
        var sb = new CosineLr(b, totalSteps: 10);
        sb.Restore(6);
        Assert.Equal(a.Groups[0].Lr, b.Groups[0].Lr, 12);
        sa.Step();
        sb.Step();
        Assert.Equal(a.Groups[0].Lr, b.Groups[0].Lr, 12);
    }
}
