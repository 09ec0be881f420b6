using System.Text.Json;

namespace Dendrite.Nn.Tests.Layers;

/// <summary>Convolution, pooling and normalisation layers: output shapes, parameter counts, PyTorch state-dict
/// names, default init bounds, padding modes, and batch-norm statistics.</summary>
public class ConvTests
{
    [Fact]
    public void Conv2d_ShapesParamsAndNames()
    {
        var conv = new Conv2d(3, 16, 3, stride: 2, padding: 1);
        Assert.Equal(16 * 3 * 9 + 16, conv.ParameterCount());
        Assert.Equal(["weight", "bias"], conv.StateDict().Keys.ToArray());
        Assert.Equal([8, 16, 16, 16], conv.Forward(Tensor.Zeros(8, 3, 32, 32)).Shape.ToArray());
        // kaiming_uniform(a = √5) gives the bound 1/√fanIn = 1/√27 for weight and bias alike.
        double bound = 1 / Math.Sqrt(27);
        Assert.True(conv.Weight.Abs().Max().Item() <= bound && conv.Weight.Abs().Max().Item() > bound / 2);
        Assert.True(conv.Bias!.Abs().Max().Item() <= bound);

        var depthwise = new Conv2d(8, 8, 3, padding: 1, groups: 8, bias: false);
        Assert.Equal(8 * 9, depthwise.ParameterCount());
        Assert.Equal([2, 8, 5, 5], depthwise.Forward(Tensor.Zeros(2, 8, 5, 5)).Shape.ToArray());
        Assert.Throws<ArgumentException>(() => new Conv2d(6, 4, 3, groups: 4));
    }

    [Theory]
    [InlineData("valid", 1, 8)]
    [InlineData("same", 1, 10)]
    [InlineData("same", 2, 10)]
    [InlineData("causal", 3, 10)]
    public void Conv1d_PaddingModes(string mode, int dilation, int expectedLength)
    {
        var conv = new Conv1d(2, 4, 3, mode, dilation: dilation);
        Assert.Equal([3, 4, expectedLength], conv.Forward(Tensor.Randn([3, 2, 10])).Shape.ToArray());
    }

    [Fact]
    public void Conv1d_CausalOutputIgnoresTheFuture()
    {
        var conv = new Conv1d(1, 1, 3, "causal", dilation: 2);
        var x = Tensor.Randn([1, 1, 12], new Generator(1));
        var y1 = conv.Forward(x).ToFloatArray();
        x[0, 0, 7] = 100;
        var y2 = conv.Forward(x).ToFloatArray();
        for (int t = 0; t < 7; t++) Assert.Equal(y1[t], y2[t]);
        Assert.NotEqual(y1[7], y2[7]);
        Assert.Throws<ArgumentException>(() => new Conv1d(1, 1, 3, "full"));
        Assert.Throws<ArgumentException>(() => new Conv1d(1, 1, 3, "same", stride: 2));
    }

    [Fact]
    public void ConvTranspose2d_ShapesAndNames()
    {
        var deconv = new ConvTranspose2d(16, 8, 4, stride: 2, padding: 1);
        Assert.Equal([16, 8, 4, 4], deconv.Weight.Shape.ToArray());
        Assert.Equal(16 * 8 * 16 + 8, deconv.ParameterCount());
        Assert.Equal(["weight", "bias"], deconv.StateDict().Keys.ToArray());
        Assert.Equal([2, 8, 14, 14], deconv.Forward(Tensor.Zeros(2, 16, 7, 7)).Shape.ToArray());
    }

    [Fact]
    public void Pooling_Shapes()
    {
        var x = Tensor.Randn([2, 3, 9, 9]);
        Assert.Equal([2, 3, 4, 4], new MaxPool2d(2).Forward(x).Shape.ToArray());
        Assert.Equal([2, 3, 5, 5], new MaxPool2d(2, ceilMode: true).Forward(x).Shape.ToArray());
        Assert.Equal([2, 3, 5, 5], new AvgPool2d(3, 2, padding: 1).Forward(x).Shape.ToArray());
        Assert.Equal([2, 3, 1, 1], new AdaptiveAvgPool2d(1).Forward(x).Shape.ToArray());
        Assert.Equal([2, 3, 6, 4], new AdaptiveAvgPool2d(6, 4).Forward(x).Shape.ToArray());
        Assert.Equal([2, 3], new GlobalAvgPool().Forward(x).Shape.ToArray());
        var s = Tensor.Randn([2, 3, 11]);
        Assert.Equal([2, 3, 5], new MaxPool1d(3, 2).Forward(s).Shape.ToArray());
        Assert.Equal([2, 3, 2], new AvgPool1d(4).Forward(s).Shape.ToArray());
        Assert.Equal(0, new MaxPool2d(2).ParameterCount());
    }

    [Fact]
    public void BatchNorm2d_TrainAndEval()
    {
        var bn = new BatchNorm2d(3);
        Assert.Equal(["weight", "bias", "running_mean", "running_var", "num_batches_tracked"],
            bn.StateDict().Keys.ToArray());
        var x = Tensor.Randn([4, 3, 5, 5], new Generator(2), mean: 2, std: 3);
        var y = bn.Forward(x);
        // Training output: zero mean, unit (biased) variance per channel.
        var m = y.Mean([0, 2, 3]).ToArray<float>();
        var v = y.Var([0, 2, 3], correction: 0).ToArray<float>();
        for (int c = 0; c < 3; c++)
        {
            Assert.Equal(0, m[c], 1e-4);
            Assert.Equal(1, v[c], 1e-3);
        }
        // Running stats move 10% toward the batch mean and unbiased variance.
        var bm = x.Mean([0, 2, 3]).ToArray<float>();
        var bv = x.Var([0, 2, 3], correction: 1).ToArray<float>();
        for (int c = 0; c < 3; c++)
        {
            Assert.Equal(0.1 * bm[c], bn.RunningMean[c], 1e-5);
            Assert.Equal(0.9 + 0.1 * bv[c], bn.RunningVar[c], 1e-4);
        }
        bn.Eval();
        var e = bn.Forward(x);
        Assert.Equal((x[1, 2, 3, 4] - bn.RunningMean[2]) / Math.Sqrt(bn.RunningVar[2] + 1e-5), e[1, 2, 3, 4], 1e-4);
        Assert.Throws<ArgumentException>(() => bn.Forward(Tensor.Zeros(4, 2, 5, 5)));
    }

    [Fact]
    public void LocalResponseNorm_KeepsShape()
    {
        var x = Tensor.Randn([2, 5, 4, 4]);
        Assert.Equal(x.Shape.ToArray(), new LocalResponseNorm(3).Forward(x).Shape.ToArray());
    }

    [Fact]
    public void BatchNorm2d_MatchesTorch()
    {
        // tests/fixtures/conv.json, case batch_norm2d (tools/make_conv_fixtures.py): one training step.
        string path = Path.Combine(AppContext.BaseDirectory, "fixtures", "conv.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var c = doc.RootElement.GetProperty("cases").EnumerateArray()
            .First(e => e.GetProperty("name").GetString() == "batch_norm2d");
        var inputs = c.GetProperty("inputs").EnumerateArray().Select(Load).ToArray();
        var bn = new BatchNorm2d(3);
        bn.Weight.CopyFrom(inputs[1]);
        bn.Bias.CopyFrom(inputs[2]);
        var x = inputs[0].RequireGrad();
        var y = bn.Forward(x);
        AssertClose(Load(c.GetProperty("outputs")[0]), y);
        (y * Load(c.GetProperty("r")[0])).Sum().Backward();
        var grads = c.GetProperty("grads");
        AssertClose(Load(grads[0]), x.Grad!);
        AssertClose(Load(grads[1]), bn.Weight.Grad!);
        AssertClose(Load(grads[2]), bn.Bias.Grad!);
        AssertClose(Load(c.GetProperty("running")[0]), bn.RunningMean);
        AssertClose(Load(c.GetProperty("running")[1]), bn.RunningVar);
    }

    private static Tensor Load(JsonElement e)
    {
        var shape = e.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        var data = e.GetProperty("data").EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();
        return Tensor.From(data, shape);
    }

    private static void AssertClose(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.Shape.ToArray(), actual.Shape.ToArray());
        var e = expected.ToFloatArray();
        var a = actual.ToFloatArray();
        for (int i = 0; i < e.Length; i++)
        {
            Assert.True(Math.Abs(e[i] - a[i]) <= 1e-4 * (1 + Math.Abs(e[i])), $"element {i}: expected {e[i]}, got {a[i]}");
        }
    }
}
