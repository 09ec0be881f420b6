using Dendrite.Models;
using Dendrite.Nn;

namespace Dendrite.Tests;

/// <summary>The module system: snake_case names, state dicts, strict loading errors, freezing, train/eval.</summary>
public class ModuleTests
{
    private sealed class Net : Module, ILayer
    {
        public Linear Fc1 { get; } = new(3, 4);
        public BatchNorm1d Bn { get; } = new(4);
        public ModuleList<Linear> Heads { get; } = new([new Linear(4, 2), new Linear(4, 1, bias: false)]);
        public Parameter Scale { get; } = Init.Ones([1]);
        [StateName("tail")]
        public Dropout Last { get; } = new(0.5);

        public Tensor Forward(Tensor x) => Last.Forward(Bn.Forward(Fc1.Forward(x))) * Scale;
    }

    [Theory]
    [InlineData("WeightIhL0", "weight_ih_l0")]
    [InlineData("Fc1", "fc1")]
    [InlineData("RunningMean", "running_mean")]
    [InlineData("NumBatchesTracked", "num_batches_tracked")]
    [InlineData("Weight", "weight")]
    [InlineData("BiasHhL1", "bias_hh_l1")]
    [InlineData("QKVProj", "qkv_proj")]
    public void SnakeCase_Cases(string name, string expected) => Assert.Equal(expected, Module.SnakeCase(name));

    [Fact]
    public void StateDict_NamesAndOrder()
    {
        var net = new Net();
        Assert.Equal(["scale", "fc1.weight", "fc1.bias", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var",
            "bn.num_batches_tracked", "heads.0.weight", "heads.0.bias", "heads.1.weight"], net.StateDict().Keys);
        Assert.Equal(["", "fc1", "bn", "heads", "heads.0", "heads.1", "tail"], net.NamedModules().Select(m => m.Name));
        Assert.Equal(["bn.running_mean", "bn.running_var", "bn.num_batches_tracked"],
            net.NamedBuffers().Select(b => b.Name));
        Assert.Equal(1 + 12 + 4 + 4 + 4 + 8 + 2 + 4, net.ParameterCount());
    }

    [Fact]
    public void Sequential_ChildrenNamedByIndexSkippingNothing()
    {
        var seq = new Sequential(new Linear(2, 3), new Relu(), new Linear(3, 1));
        Assert.Equal(["0.weight", "0.bias", "2.weight", "2.bias"], seq.StateDict().Keys);
        Assert.Equal([5, 1], seq.Forward(Tensor.Zeros(5, 2)).Shape.ToArray());
    }

    [Fact]
    public void LoadStateDict_CopiesValuesAndRoundTrips()
    {
        var a = new Net();
        var b = new Net();
        b.LoadStateDict(a.StateDict());
        var loaded = b.StateDict();
        foreach (var (name, t) in a.StateDict()) Assert.Equal(t.ToArray<double>(), loaded[name].ToArray<double>());
        Assert.NotSame(a.Fc1.Weight, b.Fc1.Weight);
    }

    [Fact]
    public void LoadStateDict_StrictErrorsNameKeysAndShapes()
    {
        var net = new Net();
        var state = net.StateDict();
        var missing = new Dictionary<string, Tensor>(state);
        missing.Remove("bn.running_var");
        missing["extra.weight"] = Tensor.Zeros(1);
        var e = Assert.Throws<ArgumentException>(() => net.LoadStateDict(missing));
        Assert.Contains("missing keys [bn.running_var]", e.Message);
        Assert.Contains("unexpected keys [extra.weight]", e.Message);
        net.LoadStateDict(missing, strict: false); // ignores both

        var wrong = new Dictionary<string, Tensor>(state) { ["fc1.weight"] = Tensor.Zeros(3, 4) };
        e = Assert.Throws<ArgumentException>(() => net.LoadStateDict(wrong));
        Assert.Contains("'fc1.weight'", e.Message);
        Assert.Contains("[4,3] in the model", e.Message);
        Assert.Contains("[3,4] in the state dict", e.Message);
        Assert.Throws<ArgumentException>(() => net.LoadStateDict(wrong, strict: false));
    }

    [Fact]
    public void FreezeUnfreeze_ControlsGradientsAndTrainableCount()
    {
        var net = new Net();
        long all = net.ParameterCount();
        net.Fc1.Freeze();
        Assert.Equal(all - 16, net.ParameterCount(trainableOnly: true));
        net.Forward(Tensor.Randn([4, 3], new Generator(1))).Sum().Backward();
        Assert.Null(net.Fc1.Weight.Grad);
        Assert.NotNull(net.Bn.Weight.Grad);
        net.ZeroGrad();
        Assert.All(net.Bn.Weight.Grad!.ToFloatArray(), v => Assert.Equal(0f, v)); // zeroed in place, buffer kept
        net.Freeze();
        Assert.Equal(0, net.ParameterCount(trainableOnly: true));
        net.Unfreeze();
        Assert.Equal(all, net.ParameterCount(trainableOnly: true));
    }

    [Fact]
    public void TrainEval_PropagatesToEveryDescendant()
    {
        var net = new Net();
        Assert.All(net.NamedModules(), m => Assert.True(m.Module.Training));
        net.Eval();
        Assert.All(net.NamedModules(), m => Assert.False(m.Module.Training));
        var x = Tensor.Randn([6, 3], new Generator(2));
        Assert.Equal(net.Forward(x).ToArray<float>(), net.Forward(x).ToArray<float>()); // no dropout, running stats
        net.Train();
        Assert.True(net.Last.Training && net.Heads[1].Training);
    }

    [Fact]
    public void Mlp_NamesCountAndShapes()
    {
        var mlp = Mlp.FashionMnist();
        Assert.Equal(784L * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10, mlp.ParameterCount());
        Assert.Equal(["layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias", "layers.4.weight",
            "layers.4.bias"], mlp.StateDict().Keys);
        Assert.Equal([2, 10], mlp.Forward(Tensor.Zeros(2, 1, 28, 28)).Shape.ToArray());
        var dropout = new Mlp(new MlpConfig(4, [5], 2, "relu", Dropout: 0.5));
        Assert.Equal(["layers.0.weight", "layers.0.bias", "layers.3.weight", "layers.3.bias"],
            dropout.StateDict().Keys);
        var e = Assert.Throws<ArgumentException>(() => new Mlp(new MlpConfig(Activation: "swoosh")));
        Assert.Contains("swoosh", e.Message);
    }
}
