using System.Text.Json;
using Dendrite.Models;
using Dendrite.Nn;

namespace Dendrite.Tests.Models;

/// <summary>
/// The CNN zoo against torchvision (tests/fixtures/zoo.json, from tools/make_zoo_fixtures.py): parameter counts,
/// state-dict names and shapes, and eval-mode logits on a small input after every weight was set by the formula the
/// script documents (so no weight file is needed). Large models are only built, never run at 224×224.
/// </summary>
public class ZooTests
{
    private static readonly Lazy<JsonDocument> Document = new(() => JsonDocument.Parse(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "zoo.json"))));

    private static JsonElement Models => Document.Value.RootElement.GetProperty("models");

    /// <summary>Every torchvision model the fixture describes.</summary>
    public static IEnumerable<object[]> TorchvisionNames =>
        Models.EnumerateObject().Select(p => new object[] { p.Name });

    /// <summary>The models with a parity run.</summary>
    public static IEnumerable<object[]> ParityNames => Document.Value.RootElement.GetProperty("parity")
        .EnumerateArray().Select(p => new object[] { p.GetProperty("model").GetString()! });

    /// <summary>One CNN of each family and form at small input (the deepest variants of a family add only blocks).
    /// </summary>
    public static TheoryData<string> SmallNames =>
    [
        "lenet5", "lenet5_modern", "alexnet", "alexnet_paper", "zfnet", "vgg11_bn", "googlenet_aux", "resnet18",
        "resnet50", "inception_v3", "inception_v3_aux", "xception", "mobilenet_v1", "mobilenet_v2", "densenet121",
    ];

    [Fact]
    public void Fixture_Header()
    {
        var h = Document.Value.RootElement.GetProperty("header");
        Assert.Equal("tools/make_zoo_fixtures.py", h.GetProperty("generator").GetString());
        Assert.StartsWith("0.14", h.GetProperty("torchvision").GetString());
    }

    /// <summary>Every model is built whole, except the VGGs other than VGG-16 (± BN): their 124M-parameter classifier
    /// is the same code as VGG-16's, so they are built without it and compared on everything else (count included:
    /// torchvision's count less its classifier's).</summary>
    [Theory]
    [MemberData(nameof(TorchvisionNames))]
    public void Model_MatchesTorchvisionCountNamesAndShapes(string name)
    {
        var expected = Models.GetProperty(name);
        bool headless = name.StartsWith("vgg", StringComparison.Ordinal) &&
            !name.StartsWith("vgg16", StringComparison.Ordinal);
        var model = headless
            ? Zoo.Create(name, new ZooOptions(IncludeTop: false))
            : Zoo.Get(name).Create();
        var state = expected.GetProperty("state").EnumerateArray()
            .Select(e => (Name: e[0].GetString()!, Shape: e[1].EnumerateArray().Select(d => d.GetInt32()).ToArray()))
            .Where(e => !headless || !e.Name.StartsWith("classifier.", StringComparison.Ordinal)).ToList();
        long count = expected.GetProperty("params").GetInt64();
        if (headless)
        {
            count -= Models.GetProperty(name).GetProperty("state").EnumerateArray()
                .Where(e => e[0].GetString()!.StartsWith("classifier.", StringComparison.Ordinal))
                .Sum(e => e[1].EnumerateArray().Aggregate(1L, (a, d) => a * d.GetInt32()));
        }
        Assert.Equal(count, model.ParameterCount());
        var want = state.Select(e => $"{e.Name} {Shapes.Format(e.Shape)}").Order(StringComparer.Ordinal).ToList();
        var have = model.StateDict().Select(kv => $"{kv.Key} {Shapes.Format(kv.Value.Shape)}")
            .Order(StringComparer.Ordinal).ToList();
        Assert.Equal(want, have);
    }

    [Theory]
    [MemberData(nameof(ParityNames))]
    public void Forward_MatchesTorchvisionLogits(string name)
    {
        var run = Document.Value.RootElement.GetProperty("parity").EnumerateArray()
            .First(p => p.GetProperty("model").GetString() == name);
        var logits = run.GetProperty("logits").EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();
        int classes = run.GetProperty("shape")[1].GetInt32();
        var model = Zoo.Create(name, new ZooOptions(NumClasses: classes));
        var order = Models.GetProperty(name).GetProperty("state").EnumerateArray().Select(e => e[0].GetString()!);
        SetFormulaWeights(model, order);
        model.Eval();
        var input = ZooFormula.Input(run.GetProperty("input").EnumerateArray().Select(e => e.GetInt32()).ToArray());
        Tensor y;
        using (Autograd.NoGrad()) y = ((ILayer)model).Call(input);
        Assert.Equal(run.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray(), y.Shape.ToArray());
        var got = y.ToArray<float>();
        double scale = Math.Max(1, logits.Max(v => Math.Abs(v)));
        double worst = got.Zip(logits, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(worst <= 1e-4 * scale, $"{name}: max |Δ| {worst:G4} over logits of scale {scale:G4}");
    }

    [Theory]
    [InlineData("alexnet_paper", 60_965_224L)]
    [InlineData("xception", 22_855_952L)]
    [InlineData("lenet5", 61_706L)]
    [InlineData("lenet5_modern", 61_706L)]
    [InlineData("mobilenet_v1", 4_231_976L)]
    public void Model_HasThePapersParameterCount(string name, long count) =>
        Assert.Equal(count, Zoo.Get(name).Create().ParameterCount());

    [Theory]
    [MemberData(nameof(SmallNames))]
    public void SmallInput_RunsForwardAndBackward_WithAndWithoutTop(string name)
    {
        bool lenet = name.StartsWith("lenet", StringComparison.Ordinal);
        int[] shape = lenet ? [2, 1, 28, 28] : [2, 3, 32, 32];
        var options = new ZooOptions(NumClasses: 7, InChannels: shape[1], SmallInput: true);
        if (name == "inception_v3_aux")
        {
            Assert.Throws<ArgumentException>(() => Zoo.Create(name, options));
            return;
        }
        var model = Zoo.Create(name, options);
        var x = ZooFormula.Input(shape);
        var y = ((ILayer)model).Call(x);
        Assert.Equal([2, 7], y.Shape.ToArray());
        y.Sum().Backward();
        // Auxiliary heads only run inside ForwardWithAux.
        Assert.All(model.NamedParameters().Where(p => !p.Name.StartsWith("aux", StringComparison.OrdinalIgnoreCase)),
            p => Assert.True(p.Parameter.Grad is not null, $"{name}: {p.Name}"));
        var headless = Zoo.Create(name, options with { IncludeTop = false });
        model.Eval();
        headless.Eval();
        using (Autograd.NoGrad())
        {
            var features = ((ILayer)headless).Call(x);
            Assert.Equal(4, features.Rank);
            Assert.Equal(2, features.Size(0));
        }
        Assert.True(headless.ParameterCount() < model.ParameterCount());
    }

    [Fact]
    public void ReplacingTheHead_KeepsTorchvisionsName()
    {
        var model = ResNet.ResNet18(new ZooOptions(NumClasses: 10, SmallInput: true));
        model.Fc = new Linear(model.Features, 3);
        Assert.Equal([3, 512], model.StateDict()["fc.weight"].Shape.ToArray());
        Assert.Contains(model.Parameters(), p => ReferenceEquals(p, model.Fc.Weight));
        Assert.Equal([2, 3], model.Forward(ZooFormula.Input([2, 3, 32, 32])).Shape.ToArray());
    }

    [Fact]
    public void Summary_EndsWithTotal_ForASmallZooModel()
    {
        var model = Zoo.Create("resnet18", new ZooOptions(NumClasses: 10, SmallInput: true));
        string text = Summary.Of(model, [1, 3, 32, 32]);
        Assert.Contains("layer4", text, StringComparison.Ordinal);
        Assert.Contains(model.ParameterCount().ToString("N0", System.Globalization.CultureInfo.InvariantCulture),
            text, StringComparison.Ordinal);
    }

    [Fact]
    public void ParityCheck_PassesOnTorchvisionLogits_AndFailsOnOthers()
    {
        var run = Document.Value.RootElement.GetProperty("parity").EnumerateArray()
            .First(p => p.GetProperty("model").GetString() == "mobilenet_v2");
        var model = Zoo.Create("mobilenet_v2", new ZooOptions(NumClasses: 10));
        var tensors = new Dictionary<string, Tensor>();
        int k = 0;
        foreach (var e in Models.GetProperty("mobilenet_v2").GetProperty("state").EnumerateArray())
        {
            string key = e[0].GetString()!;
            tensors[key] = key.EndsWith("num_batches_tracked", StringComparison.Ordinal)
                ? Tensor.Zeros(DType.Int64)
                : ZooFormula.Weight(k++, key, model.StateDict()[key].Shape.ToArray());
        }
        tensors[ZooParity.InputKey] = ZooFormula.Input(
            run.GetProperty("input").EnumerateArray().Select(d => d.GetInt32()).ToArray());
        var logits = run.GetProperty("logits").EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();
        tensors[ZooParity.LogitsKey] = Tensor.From(logits, 2, 10);
        var meta = new Dictionary<string, string> { ["model"] = "mobilenet_v2", ["num_classes"] = "10" };
        Assert.True(ZooParity.Verify(tensors, meta).Passed);

        logits[3] += 0.01f;
        tensors[ZooParity.LogitsKey] = Tensor.From(logits, 2, 10);
        var bad = ZooParity.Verify(tensors, meta);
        Assert.False(bad.Passed);
        Assert.InRange(bad.MaxAbsError, 0.009, 0.011);

        tensors.Remove("features.18.1.running_var");
        var e2 = Assert.Throws<ArgumentException>(() => ZooParity.Verify(tensors, meta));
        Assert.Contains("features.18.1.running_var", e2.Message, StringComparison.Ordinal);
    }

    // Sets every parameter and buffer by the formula, numbering tensors in torchvision's state-dict order.
    private static void SetFormulaWeights(Module model, IEnumerable<string> torchOrder)
    {
        var state = model.StateDict();
        var values = new Dictionary<string, Tensor>();
        int k = 0;
        foreach (string key in torchOrder)
        {
            if (key.EndsWith("num_batches_tracked", StringComparison.Ordinal))
            {
                values[key] = state[key];
                continue;
            }
            values[key] = ZooFormula.Weight(k++, key, state[key].Shape.ToArray());
        }
        var result = model.LoadStateDict(values);
        Assert.True(result.IsExact, string.Join(", ", result.MissingKeys.Concat(result.UnexpectedKeys)));
    }

}

/// <summary>The weight and input formulas of tools/make_zoo_fixtures.py (see its docstring).</summary>
internal static class ZooFormula
{
    public static Tensor Weight(int k, string name, int[] shape)
    {
        long n = 1;
        foreach (int d in shape) n *= d;
        var v = new float[n];
        var (offset, scale) = name.EndsWith("running_var", StringComparison.Ordinal) ? (1.0, 0.5)
            : name.EndsWith("running_mean", StringComparison.Ordinal) ? (0.0, 0.2)
            : shape.Length == 1 && name.EndsWith(".weight", StringComparison.Ordinal) ? (1.0, 0.2)
            : shape.Length == 1 ? (0.0, 0.1)
            : (0.0, Math.Sqrt(6.0 / (n / shape[0])));
        // (i·7919 + k·104729 + 17) mod 2003, stepped by 7919 mod 2003 = 1910 instead of multiplied.
        long r = ((long)k * 104729 + 17) % 2003;
        for (long i = 0; i < n; i++)
        {
            double u = (r - 1001) / 1001.0;
            v[i] = (float)(offset == 0 ? u * scale : offset + scale * u);
            r += 1910;
            if (r >= 2003) r -= 2003;
        }
        return Tensor.From(v, shape);
    }

    public static Tensor Input(int[] shape)
    {
        int n = shape.Aggregate(1, (a, b) => a * b);
        var v = new float[n];
        for (long i = 0; i < n; i++) v[i] = (float)(((i * 131 + 7) % 97 - 48) / 48.0);
        return Tensor.From(v, shape);
    }
}
