using System.Text.Json;
using Dendrite.Models;
using Dendrite.Nn;

namespace Dendrite.Tests.Models;

/// <summary>The CIFAR ResNets of He et al. (2015, §4.2): parameter counts by the paper's architecture, and outputs,
/// training-mode outputs and input gradients against the PyTorch network of tools/make_cifar_resnet_fixtures.py
/// (tests/fixtures/cifar_resnet.json), weights set by the zoo formula.</summary>
public class CifarResNetTests
{
    private static readonly Lazy<JsonDocument> Document = new(() => JsonDocument.Parse(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "cifar_resnet.json"))));

    private static JsonElement Cases => Document.Value.RootElement.GetProperty("cases");

    /// <summary>The fixture's cases run on an input.</summary>
    public static TheoryData<string> RunNames => [.. Cases.EnumerateObject()
        .Where(c => c.Value.TryGetProperty("input", out _)).Select(c => c.Name)];

    /// <summary>Every fixture case.</summary>
    public static TheoryData<string> AllNames => [.. Cases.EnumerateObject().Select(c => c.Name)];

    // The architecture of §4.2 counted by hand: a 3×3 stem C → 16k (no bias) and its batch norm (2 per channel);
    // per stage s of widths w = 16k, 32k, 64k entered with in = 16k, 16k, 32k channels: the first block's
    // convolutions 9·in·w + 9·w², the other n − 1 blocks' 2·9·w², and 2 batch norms of 2w per block; option A
    // shortcuts have no parameters; then the linear layer 64k·K + K.
    private static long PapersCount(int n, int k, int inChannels, int classes)
    {
        long[] widths = [16L * k, 32L * k, 64L * k], ins = [16L * k, 16L * k, 32L * k];
        long count = 9L * inChannels * 16 * k + 2 * 16 * k;
        for (int s = 0; s < 3; s++)
            count += 9 * ins[s] * widths[s] + (2 * n - 1) * 9 * widths[s] * widths[s] + n * 2 * 2 * widths[s];
        return count + 64L * k * classes + classes;
    }

    [Theory]
    [InlineData(3, 1, 3, 10)]
    [InlineData(5, 1, 3, 10)]
    [InlineData(7, 1, 3, 10)]
    [InlineData(9, 1, 3, 10)]
    [InlineData(18, 1, 3, 10)]
    [InlineData(3, 1, 1, 10)]
    [InlineData(1, 4, 3, 100)]
    public void ParameterCount_IsThePapersArchitecture(int n, int width, int inChannels, int classes)
    {
        var model = new CifarResNet(n, new ZooOptions(NumClasses: classes, InChannels: inChannels), width);
        Assert.Equal(PapersCount(n, width, inChannels, classes), model.ParameterCount());
        Assert.Equal(6 * n + 2, model.Depth);
    }

    // He et al. 2015, Table 6: 0.27 M, 0.46 M, 0.66 M, 0.85 M, 1.7 M parameters.
    [Theory]
    [InlineData("resnet20", 0.27, 2)]
    [InlineData("resnet32", 0.46, 2)]
    [InlineData("resnet44", 0.66, 2)]
    [InlineData("resnet56", 0.85, 2)]
    [InlineData("resnet110", 1.7, 1)]
    public void ZooEntries_HaveTheCountsOfTable6(string name, double millions, int digits) =>
        Assert.Equal(millions, Math.Round(Zoo.Get(name).Create().ParameterCount() / 1e6, digits));

    [Fact]
    public void OptionB_AddsTwoProjections()
    {
        var b = new CifarResNet(3, new ZooOptions(NumClasses: 10, InChannels: 1), shortcut: ShortcutKind.B);
        // 16 → 32 and 32 → 64: a 1×1 convolution and a batch norm each.
        Assert.Equal(PapersCount(3, 1, 1, 10) + 16 * 32 + 2 * 32 + 32 * 64 + 2 * 64, b.ParameterCount());
    }

    [Theory]
    [MemberData(nameof(AllNames))]
    public void ParameterCount_EqualsPyTorchs(string name)
    {
        var c = Cases.GetProperty(name);
        Assert.Equal(c.GetProperty("params").GetInt64(), Build(c).ParameterCount());
    }

    [Theory]
    [MemberData(nameof(RunNames))]
    public void Outputs_AndInputGradient_MatchPyTorch(string name)
    {
        var c = Cases.GetProperty(name);
        var model = Build(c);
        var order = c.GetProperty("state").EnumerateArray().Select(e => e[0].GetString()!).ToList();
        var state = model.StateDict();
        Assert.Equal(order, state.Keys);
        foreach (var e in c.GetProperty("state").EnumerateArray())
        {
            Assert.Equal(e[1].EnumerateArray().Select(d => d.GetInt32()).ToArray(),
                state[e[0].GetString()!].Shape.ToArray());
        }
        var values = new Dictionary<string, Tensor>();
        int k = 0;
        foreach (string key in order)
        {
            values[key] = key.EndsWith("num_batches_tracked", StringComparison.Ordinal)
                ? state[key]
                : ZooFormula.Weight(k++, key, state[key].Shape.ToArray());
        }
        Assert.True(model.LoadStateDict(values).IsExact);
        var shape = c.GetProperty("input").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var x = ZooFormula.Input(shape);
        model.Eval();
        using (Autograd.NoGrad()) Close(name + " eval", Floats(c, "eval_logits"), ((ILayer)model).Call(x));
        model.Train();
        var input = x.Clone();
        input.RequiresGrad = true;
        var y = ((ILayer)model).Call(input);
        Close(name + " train", Floats(c, "train_logits"), y);
        y.Sum().Backward();
        Close(name + " input gradient", Floats(c, "input_grad"), input.Grad!);
    }

    [Theory]
    [InlineData(28, 7)]
    [InlineData(32, 8)]
    public void Shapes_QuarterTheResolution_AndTheHeadIsReplaceable(int size, int last)
    {
        var options = new ZooOptions(NumClasses: 10, InChannels: 1);
        var model = CifarResNet.ResNet20(options);
        var x = Tensor.Randn([2, 1, size, size], new Generator(1));
        var y = model.Forward(x);
        Assert.Equal([2, 10], y.Shape.ToArray());
        y.Sum().Backward();
        Assert.All(model.NamedParameters(), p => Assert.True(p.Parameter.Grad is not null, p.Name));
        var headless = CifarResNet.ResNet20(options with { IncludeTop = false });
        Assert.Null(headless.Fc);
        using (Autograd.NoGrad()) Assert.Equal([2, 64, last, last], headless.Forward(x).Shape.ToArray());
        headless.Fc = new Linear(headless.Features, 3);
        using (Autograd.NoGrad()) Assert.Equal([2, 3], headless.Forward(x).Shape.ToArray());
    }

    [Fact]
    public void OptionAShortcut_SubsamplesAndPadsWithZeroChannels_WithItsGradient()
    {
        // The option A path on its own (the block applies it to its input): x[:, :, ::2, ::2], then zero channels.
        var g = new Generator(3);
        var x = Tensor.Randn([2, 2, 5, 6], g, dtype: DType.Float64);
        static Tensor ShortcutA(Tensor t) =>
            t.Slice(2, 0, t.Size(2), 2).Slice(3, 0, t.Size(3), 2).Pad([0, 0, 0, 0, 0, 3], PadMode.Constant);
        var s = ShortcutA(x);
        Assert.Equal([2, 5, 3, 3], s.Shape.ToArray());
        Assert.Equal(x[1, 1, 4, 2], s[1, 1, 2, 1]);
        Assert.Equal(0.0, s.Narrow(1, 2, 3).Abs().Sum().Item());
        Gradcheck.Assert(t => ShortcutA(t[0]), x);
        // A block whose convolutions are zero passes relu(shortcut) through, so the identity is exact.
        var block = new CifarBlock(2, 5, 2);
        using (Autograd.NoGrad())
        {
            block.Conv1.Weight.Fill(0);
            block.Conv2.Weight.Fill(0);
            var input = Tensor.Randn([2, 2, 5, 6], g);
            var expected = ShortcutA(input).Relu().ToArray<float>();
            Assert.Equal(expected, block.Forward(input).ToArray<float>());
        }
    }

    [Fact]
    public void WrongInputs_AreRefusedWithTheShapes()
    {
        var model = CifarResNet.ResNet20(new ZooOptions(NumClasses: 10, InChannels: 1));
        var e = Assert.Throws<ArgumentException>(() => model.Forward(Tensor.Zeros(2, 3, 28, 28)));
        Assert.Contains("(N, 1, H, W)", e.Message, StringComparison.Ordinal);
        Assert.Contains("[2,3,28,28]", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new CifarResNet(0));
        Assert.Throws<ArgumentException>(() => new CifarResNet(3, width: 0));
        Assert.Throws<ArgumentException>(() => new CifarBlock(16, 32, 3));
    }

    private static CifarResNet Build(JsonElement c) => new(c.GetProperty("blocks").GetInt32(),
        new ZooOptions(NumClasses: c.GetProperty("classes").GetInt32(),
            InChannels: c.GetProperty("in_channels").GetInt32()),
        c.GetProperty("width").GetInt32(),
        c.GetProperty("option").GetString() == "B" ? ShortcutKind.B : ShortcutKind.A);

    private static float[] Floats(JsonElement c, string key) =>
        [.. c.GetProperty(key).EnumerateArray().Select(v => (float)v.GetDouble())];

    private static void Close(string what, float[] expected, Tensor got)
    {
        var values = got.ToArray<float>();
        Assert.Equal(expected.Length, values.Length);
        double scale = Math.Max(1, expected.Max(v => Math.Abs(v)));
        double worst = values.Zip(expected, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(worst <= 1e-4 * scale, $"{what}: max |Δ| {worst:G4} over values of scale {scale:G4}");
    }
}
