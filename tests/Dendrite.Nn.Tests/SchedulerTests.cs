using Dendrite.Nn;
using Dendrite.Nn.Optim;

namespace Dendrite.Tests;

/// <summary>Learning-rate schedules against torch.optim.lr_scheduler (the rate after construction and after each
/// step) and gradient clipping against torch.nn.utils.</summary>
public class SchedulerTests
{
    public static TheoryData<string> Cases => NnFixture.Names("schedulers");

    private static LrScheduler Make(string name, Optimizer opt) => name switch
    {
        "step" => new StepLr(opt, stepSize: 3, gamma: 0.5),
        "exponential" => new ExponentialLr(opt, gamma: 0.8),
        "cosine" => new CosineLr(opt, totalSteps: 10, minFactor: 0.1), // η_min = 0.01 = 0.1·η₀
        "warmup" => new WarmupLr(opt, warmupSteps: 4), // torch: LinearLR(start_factor=1/4, total_iters=3)
        "plateau" => new ReduceLrOnPlateau(opt, factor: 0.5, patience: 2, threshold: 1e-4, minLr: 0.02),
        _ => throw new KeyNotFoundException($"no Dendrite scheduler for fixture case {name}"),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Scheduler_MatchesTorchRates(string name)
    {
        var c = NnFixture.Entry("schedulers", name);
        var opt = new Sgd([new Parameter(Tensor.Zeros(1))], lr: c.GetProperty("lr0").GetDouble());
        var sched = Make(name, opt);
        var lrs = c.GetProperty("lrs").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        double[]? metrics = c.TryGetProperty("metrics", out var m)
            ? m.EnumerateArray().Select(v => v.GetDouble()).ToArray()
            : null;
        var got = new List<double> { opt.Groups[0].Lr };
        for (int e = 1; e < lrs.Length; e++)
        {
            if (sched is ReduceLrOnPlateau plateau) plateau.Step(metrics![e - 1]);
            else sched.Step();
            got.Add(opt.Groups[0].Lr);
        }
        for (int e = 0; e < lrs.Length; e++)
        {
            Assert.True(Math.Abs(got[e] - lrs[e]) <= 1e-12 + 1e-9 * lrs[e],
                $"{name}: lr after {e} steps is {got[e]:R}, torch {lrs[e]:R} (all: {string.Join(", ", got)})");
        }
    }

    [Fact]
    public void Schedulers_ScaleEveryGroupFromItsOwnRate()
    {
        var opt = new Sgd([new ParamGroup([new Parameter(Tensor.Zeros(1))], lr: 1),
            new ParamGroup([new Parameter(Tensor.Zeros(1))], lr: 0.1)], lr: 0.5);
        var s = new StepLr(opt, stepSize: 1, gamma: 0.5);
        s.Step();
        Assert.Equal(0.5, opt.Groups[0].Lr, 12);
        Assert.Equal(0.05, opt.Groups[1].Lr, 12);
        Assert.Throws<InvalidOperationException>(() => new ReduceLrOnPlateau(opt).Step());
    }

    [Fact]
    public void Warmup_HandsOverToTheFollowingSchedule()
    {
        var opt = new Sgd([new Parameter(Tensor.Zeros(1))], lr: 1);
        var warm = new WarmupLr(opt, 2, new ExponentialLr(opt, 0.5));
        // factors: warm-up 1/2, 2/2, then 0.5^(t - 2)
        Assert.Equal(0.5, opt.Groups[0].Lr); // set at construction: the first epoch already warms up
        Assert.Equal(1.0, warm.Factor(2));
        Assert.Equal(0.25, warm.Factor(4));
        warm.Step();
        Assert.Equal(1.0, opt.Groups[0].Lr);
    }

    public static TheoryData<string> ClipCases => NnFixture.Names("clip");

    [Theory]
    [MemberData(nameof(ClipCases))]
    public void Clip_MatchesTorch(string name)
    {
        var c = NnFixture.Entry("clip", name);
        var before = c.GetProperty("before").EnumerateArray().Select(NnFixture.ToTensor).ToArray();
        var ps = before.Select(g => new Parameter(Tensor.ZerosLike(g))).ToArray();
        for (int i = 0; i < ps.Length; i++) ps[i].Grad = before[i].Clone();
        double limit = c.GetProperty("limit").GetDouble();
        if (c.GetProperty("kind").GetString() == "norm")
        {
            double norm = Clip.GradNorm(ps, limit);
            double torchNorm = c.GetProperty("total_norm").GetDouble();
            Assert.True(Math.Abs(norm - torchNorm) <= 1e-5 * torchNorm, $"{name}: norm {norm}, torch {torchNorm}");
        }
        else
        {
            Clip.GradValue(ps, limit);
        }
        var after = c.GetProperty("after").EnumerateArray().ToArray();
        for (int i = 0; i < ps.Length; i++) NnFixture.AssertClose(ps[i].Grad!, after[i], $"{name}: gradient {i}");
    }
}
