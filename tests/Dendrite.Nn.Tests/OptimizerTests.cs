using Dendrite.Nn;
using Dendrite.Nn.Optim;

namespace Dendrite.Tests;

/// <summary>Every optimizer follows torch.optim's trajectory on the fixture's least-squares problem
/// mse(x·wᵀ + b, y) for 20 steps, within 1e-5 relative; parameter groups; state round trip.</summary>
public class OptimizerTests
{
    public static TheoryData<string> Runs
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var r in NnFixture.Section("optimizers").GetProperty("runs").EnumerateArray())
                data.Add(r.GetProperty("name").GetString()!);
            return data;
        }
    }

    /// <summary>The fixture run <paramref name="name"/> with Dendrite's optimizer (same hyper-parameters).</summary>
    private static Optimizer Make(string name, Parameter w, Parameter b) => name switch
    {
        "sgd" => new Sgd([w, b], lr: 0.1),
        "sgd_weight_decay" => new Sgd([w, b], lr: 0.1, weightDecay: 0.05),
        "momentum" => new Momentum([w, b], lr: 0.05, momentum: 0.9),
        "momentum_dampening" => new Momentum([w, b], lr: 0.05, momentum: 0.8, dampening: 0.3, weightDecay: 0.01),
        "nesterov" => new Momentum([w, b], lr: 0.05, momentum: 0.9, nesterov: true),
        "adagrad" => new Adagrad([w, b], lr: 0.3, lrDecay: 0.05),
        "adagrad_wd_init" => new Adagrad([w, b], lr: 0.3, weightDecay: 0.1, initialAccumulator: 0.5),
        "rmsprop" => new RmsProp([w, b], lr: 0.01, alpha: 0.9),
        "rmsprop_momentum" => new RmsProp([w, b], lr: 0.01, alpha: 0.9, momentum: 0.8, weightDecay: 0.02),
        "adam" => new Adam([w, b], lr: 0.05),
        "adam_weight_decay" => new Adam([w, b], lr: 0.05, beta1: 0.8, beta2: 0.95, weightDecay: 0.1),
        "adamw" => new AdamW([w, b], lr: 0.05, weightDecay: 0.1),
        "groups_momentum" => new Momentum([new ParamGroup([w], lr: 0.02), new ParamGroup([b])], lr: 0.2, momentum: 0.9),
        "groups_adam" => new Adam([new ParamGroup([w]), new ParamGroup([b], lr: 0.005)], lr: 0.05),
        _ => throw new KeyNotFoundException($"no Dendrite optimizer for fixture run {name}"),
    };

    [Theory]
    [MemberData(nameof(Runs))]
    public void Optimizer_FollowsTorchTrajectory(string name)
    {
        var problem = NnFixture.Section("optimizers").GetProperty("problem");
        var x = NnFixture.ToTensor(problem.GetProperty("x"));
        var y = NnFixture.ToTensor(problem.GetProperty("y"));
        var w = new Parameter(NnFixture.ToTensor(problem.GetProperty("w0")));
        var b = new Parameter(NnFixture.ToTensor(problem.GetProperty("b0")));
        var opt = Make(name, w, b);
        var run = NnFixture.Section("optimizers").GetProperty("runs").EnumerateArray()
            .First(r => r.GetProperty("name").GetString() == name);
        int step = 0;
        double worst = 0;
        foreach (var expected in run.GetProperty("trajectory").EnumerateArray())
        {
            step++;
            opt.ZeroGrad();
            Losses.Mse(x.MatMul(w.T) + b, y).Backward();
            opt.Step();
            var e = expected.EnumerateArray().ToArray();
            worst = Math.Max(worst, RelativeError(w, e[0]));
            worst = Math.Max(worst, RelativeError(b, e[1]));
            Assert.True(worst <= 1e-5, $"{name}: step {step}: relative error {worst:g3}");
        }
        Assert.Equal(20, step);
    }

    /// <summary>max |actual - expected| / max |expected|: the error relative to the parameter's scale, so an
    /// element passing near zero is not judged by its own tiny magnitude.</summary>
    private static double RelativeError(Tensor actual, System.Text.Json.JsonElement expected)
    {
        double[] got = actual.ToArray<double>(), want = NnFixture.ToTensor(expected).ToArray<double>();
        double scale = want.Max(Math.Abs), err = 0;
        for (int i = 0; i < want.Length; i++) err = Math.Max(err, Math.Abs(got[i] - want[i]));
        return err / scale;
    }

    [Fact]
    public void Optimizer_SkipsParametersWithoutGradient()
    {
        var w = new Parameter(Tensor.Ones(2));
        var frozen = new Parameter(Tensor.Ones(2));
        var opt = new Adam([w, frozen], lr: 0.1);
        (w * 3).Sum().Backward();
        opt.Step();
        Assert.Equal(new float[] { 1, 1 }, frozen.ToArray<float>());
        Assert.Equal(0, opt.StateOf(frozen).Step);
        Assert.Equal(1, opt.StateOf(w).Step);
        Assert.All(w.ToArray<float>(), v => Assert.True(Math.Abs(v - 0.9f) < 1e-6));
    }

    [Fact]
    public void Optimizer_RejectsNegativeRateAndNonFloat32()
    {
        var w = new Parameter(Tensor.Ones(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd([w], lr: -1));
        var e = Assert.Throws<ArgumentException>(() => new Sgd([new Parameter(Tensor.Ones(DType.Float64, 3))], 0.1));
        Assert.Contains("Float64", e.Message);
        Assert.Contains("[3]", e.Message);
        Assert.Throws<ArgumentException>(() => new Momentum([w], 0.1, momentum: 0.9, nesterov: true, dampening: 0.1));
    }

    [Fact]
    public void Optimizer_StateDictRoundTripContinuesIdentically()
    {
        var x = Tensor.Randn([8, 3], new Generator(2));
        Parameter w1 = new(Tensor.Ones(1, 3)), w2 = new(Tensor.Ones(1, 3));
        var a = new Adam([w1], lr: 0.05);
        void Step(Optimizer o, Parameter w)
        {
            o.ZeroGrad();
            x.MatMul(w.T).Pow(2).Mean().Backward();
            o.Step();
        }
        for (int i = 0; i < 3; i++) Step(a, w1);
        w2.CopyFrom(w1);
        var b = new Adam([w2], lr: 0.05);
        b.LoadStateDict(a.StateDict());
        Step(a, w1);
        Step(b, w2);
        Assert.Equal(w1.ToArray<float>(), w2.ToArray<float>());
        Assert.Equal(4, b.StateOf(w2).Step);
    }
}
