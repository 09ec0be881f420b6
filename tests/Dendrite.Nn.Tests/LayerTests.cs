using System.Text.Json;
using Dendrite.Models;
using Dendrite.Nn;

namespace Dendrite.Tests;

/// <summary>Layers: weight transplant from PyTorch (outputs, gradients, state-dict names, running statistics),
/// shapes, parameter counts, train/eval behaviour and finite-difference gradients.</summary>
public class LayerTests
{
    public static TheoryData<string> Cases => NnFixture.Names("layers");

    /// <summary>The Dendrite module of a fixture case (same configuration as the torch module).</summary>
    private static Module Make(string name, JsonElement args) => name switch
    {
        "linear" or "linear_nobias_batched" =>
            new Linear(args.GetProperty("in").GetInt32(), args.GetProperty("out").GetInt32(),
                args.GetProperty("bias").GetBoolean()),
        "batchnorm1d_train_3d" => new BatchNorm1d(3, momentum: args.GetProperty("momentum").GetDouble()),
        "batchnorm1d_train_2d" or "batchnorm1d_eval" => new BatchNorm1d(args.GetProperty("features").GetInt32()),
        "layernorm" or "layernorm_2d" =>
            new LayerNorm(args.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()).ToArray()),
        "embedding" => new Embedding(args.GetProperty("num").GetInt32(), args.GetProperty("dim").GetInt32()),
        "prelu_channels" or "prelu_shared" => new PRelu(args.GetProperty("num").GetInt32()),
        "mlp_tanh" => new Mlp(new MlpConfig(4, [5, 3], 2, "tanh")),
        _ => throw new KeyNotFoundException($"no Dendrite module for fixture case {name}"),
    };

    private static Tensor Forward(Module m, Tensor x) => ((ILayer)m).Forward(x);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Layer_StateDictNamesMatchTorch(string name)
    {
        var c = NnFixture.Entry("layers", name);
        var m = Make(name, c.GetProperty("args"));
        var expected = c.GetProperty("state_names").EnumerateArray().Select(v => v.GetString()!).ToArray();
        Assert.Equal(expected, m.StateDict().Keys.ToArray());
        long count = c.GetProperty("param_grads").EnumerateObject().Sum(p => (long)NnFixture.ToTensor(p.Value).Numel);
        Assert.Equal(count, m.ParameterCount());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Layer_WeightTransplantMatchesTorch(string name)
    {
        var c = NnFixture.Entry("layers", name);
        var m = Make(name, c.GetProperty("args"));
        m.LoadStateDict(NnFixture.ToStateDict(c.GetProperty("state")));
        m.Train(c.GetProperty("train").GetBoolean());
        var x = NnFixture.ToTensor(c.GetProperty("input"));
        if (x.DType.IsFloating()) x.RequireGrad();

        var y = Forward(m, x);
        NnFixture.AssertClose(y, c.GetProperty("output"), $"{name}: output");
        (y * NnFixture.ToTensor(c.GetProperty("r"))).Sum().Backward();

        var parameters = m.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        foreach (var g in c.GetProperty("param_grads").EnumerateObject())
        {
            var grad = parameters[g.Name].Grad;
            Assert.True(grad is not null, $"{name}: {g.Name} has no gradient");
            NnFixture.AssertClose(grad!, g.Value, $"{name}: gradient of {g.Name}");
        }
        if (c.TryGetProperty("input_grad", out var dx)) NnFixture.AssertClose(x.Grad!, dx, $"{name}: input gradient");
        var state = m.StateDict();
        foreach (var s in c.GetProperty("state_after").EnumerateObject())
            NnFixture.AssertClose(state[s.Name], s.Value, $"{name}: {s.Name} after the forward");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Layer_GradientsMatchFiniteDifferences(string name)
    {
        var c = NnFixture.Entry("layers", name);
        var m = Make(name, c.GetProperty("args"));
        m.LoadStateDict(NnFixture.ToStateDict(c.GetProperty("state")));
        m.Train(c.GetProperty("train").GetBoolean());
        LayerHarness.ToFloat64(m);
        var x = NnFixture.ToTensor(c.GetProperty("input"));
        if (x.DType.IsFloating()) x = x.To(DType.Float64);
        LayerHarness.AssertParameterGradients(m, () => Forward(m, x));
        if (x.DType.IsFloating())
        {
            var result = Gradcheck.Check(xs => Forward(m, xs[0]), [x]);
            Assert.True(result.Passed, $"{name}: input {result}");
        }
    }

    [Fact]
    public void Linear_ShapesAndInit()
    {
        var layer = new Linear(8, 3);
        Assert.Equal([2, 5, 3], layer.Forward(Tensor.Zeros(2, 5, 8)).Shape.ToArray());
        Assert.Equal(8 * 3 + 3, layer.ParameterCount());
        Assert.Equal(8 * 3, new Linear(8, 3, bias: false).ParameterCount());
        double bound = 1 / Math.Sqrt(8);
        Assert.All(layer.Weight.ToArray<float>(), w => Assert.InRange(w, -bound, bound));
        var e = Assert.Throws<ArgumentException>(() => layer.Forward(Tensor.Zeros(2, 7)));
        Assert.Contains("Linear", e.Message);
        Assert.Contains("[2,7]", e.Message);
    }

    [Fact]
    public void FlattenIdentity_Shapes()
    {
        var x = Tensor.Zeros(2, 3, 4, 5);
        Assert.Equal([2, 60], new Flatten().Forward(x).Shape.ToArray());
        Assert.Equal([2, 12, 5], new Flatten(1, 2).Forward(x).Shape.ToArray());
        Assert.Same(x, new Identity().Forward(x));
        Assert.Equal(0, new Flatten().ParameterCount());
        Assert.Empty(new Identity().StateDict());
    }

    [Fact]
    public void Dropout_TrainScalesKeptElementsEvalIsIdentity()
    {
        var drop = new Dropout(0.25, new Generator(3));
        var x = Tensor.Ones(100, 100);
        var y = drop.Forward(x).ToArray<float>();
        Assert.All(y, v => Assert.True(v == 0 || Math.Abs(v - 1 / 0.75) < 1e-6, $"kept value {v}"));
        double dropped = y.Count(v => v == 0) / (double)y.Length;
        Assert.InRange(dropped, 0.23, 0.27);
        Assert.InRange(y.Average(), 0.97, 1.03); // inverted dropout keeps the expectation
        drop.Eval();
        Assert.Equal(x.ToArray<float>(), drop.Forward(x).ToArray<float>());
        Assert.Throws<ArgumentOutOfRangeException>(() => new Dropout(1.0));
    }

    [Fact]
    public void BatchNorm1d_TrainUsesBatchStatisticsEvalUsesRunning()
    {
        var bn = new BatchNorm1d(2);
        var x = Tensor.From(new float[] { 1, 10, 3, 20, 5, 30 }, 3, 2);
        var train = bn.Forward(x);
        var mean = train.Mean([0]).ToArray<float>();
        Assert.All(mean, v => Assert.True(Math.Abs(v) < 1e-6));
        Assert.Equal(1L, (long)bn.NumBatchesTracked.Item());
        // running mean moves 10 % toward the batch mean (3, 20); running variance toward the unbiased one (4, 100)
        NnFixture.AssertClose(bn.RunningMean, Tensor.From(new float[] { 0.3f, 2f }, 2), "running_mean");
        NnFixture.AssertClose(bn.RunningVar, Tensor.From(new float[] { 0.9f + 0.4f, 0.9f + 10f }, 2), "running_var");
        bn.Eval();
        var eval = bn.Forward(x);
        Assert.Equal(1L, (long)bn.NumBatchesTracked.Item());
        double expected = (1 - 0.3) / Math.Sqrt(1.3 + 1e-5);
        Assert.True(Math.Abs(eval[0, 0] - expected) < 1e-5, $"eval output {eval[0, 0]}, expected {expected}");
        Assert.NotEqual(train.ToArray<float>(), eval.ToArray<float>());
        var e = Assert.Throws<ArgumentException>(() => bn.Forward(Tensor.Zeros(3, 4)));
        Assert.Contains("BatchNorm1d", e.Message);
        Assert.Contains("[3,4]", e.Message);
    }

    [Fact]
    public void Embedding_LooksUpRows()
    {
        var emb = new Embedding(5, 3);
        var ids = Tensor.From(new long[] { 4, 0, 4, 2, 1, 3 }, 2, 3);
        var y = emb.Forward(ids);
        Assert.Equal([2, 3, 3], y.Shape.ToArray());
        for (int j = 0; j < 3; j++) Assert.Equal(emb.Weight[4, j], y.Select(0, 0).Select(0, 0)[j]);
        Assert.Equal(15, emb.ParameterCount());
    }

    [Fact]
    public void Activations_ModulesHaveNoParametersExceptPRelu()
    {
        ILayer[] layers = [new BinaryStep(), new LinearActivation(), new Sigmoid(), new Nn.Tanh(), new Relu(),
            new LeakyRelu(), new Elu(), new Gelu(), new Gelu(true), new Silu(), new Softmax(), new LogSoftmax()];
        var x = Tensor.Randn([3, 4], new Generator(1));
        foreach (var l in layers)
        {
            Assert.Equal([3, 4], l.Forward(x).Shape.ToArray());
            Assert.Equal(0, ((Module)l).ParameterCount());
        }
        var prelu = new PRelu(4);
        Assert.Equal(["weight"], prelu.StateDict().Keys);
        Assert.All(prelu.Weight.ToArray<float>(), w => Assert.Equal(0.25f, w));
    }
}
