using System.Text.Json;

namespace Dendrite.Nn.Tests.Layers;

/// <summary>The CNN layers beside the convolution kernels (rectangular and "same" Conv2d, ConvTranspose1d, adaptive
/// and global max pooling, MaxUnpool2d, Upsample, ZeroPad2d, rectangular pools, Dropout2d): outputs and gradients
/// against PyTorch (tests/fixtures/cnn_layers.json from tools/make_cnn_layer_fixtures.py), finite-difference
/// checks of the new differentiable ops, and error messages.</summary>
public class CnnLayerTests
{
    private const double Tol = 1e-4;

    private static readonly Lazy<JsonDocument> Document = new(() => JsonDocument.Parse(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "cnn_layers.json"))));

    private static IEnumerable<JsonElement> All => Document.Value.RootElement.GetProperty("cases").EnumerateArray();

    /// <summary>Every fixture case.</summary>
    public static TheoryData<string> CaseNames => [.. All.Select(c => c.GetProperty("name").GetString()!)];

    // Each op returns the output and the tensors whose gradients match the fixture's inputs, in order.
    private static readonly Dictionary<string, Func<Tensor[], JsonElement, (Tensor Y, Tensor[] GradOf)>> Ops = new()
    {
        ["conv2d_same"] = (x, a) =>
        {
            var (kh, kw) = Pair(a, "kernel");
            var conv = new Conv2d(x[0].Size(1), x[1].Size(0), (kh, kw), "same", dilation: Pair(a, "dilation"));
            Load(conv, x[1], x[2]);
            return (conv.Forward(x[0]), [x[0], conv.Weight, conv.Bias!]);
        },
        ["conv2d_edges"] = (x, a) =>
        {
            var e = Ints(a, "edges");
            var conv = new Conv2d(x[0].Size(1), x[1].Size(0), Pair(a, "kernel"), Pair(a, "stride"),
                (e[0], e[1], e[2], e[3]), (1, 1));
            Load(conv, x[1], x[2]);
            return (conv.Forward(x[0]), [x[0], conv.Weight, conv.Bias!]);
        },
        ["conv_transpose1d"] = (x, a) =>
        {
            var conv = new ConvTranspose1d(x[1].Size(0), x[1].Size(1) * Int(a, "groups"), x[1].Size(2),
                Int(a, "stride"), Int(a, "padding"), Int(a, "outputPadding"), Int(a, "groups"),
                dilation: Int(a, "dilation"));
            Load(conv, x[1], x[2]);
            return (conv.Forward(x[0]), [x[0], conv.Weight, conv.Bias!]);
        },
        ["adaptive_max_pool2d"] = (x, a) =>
        {
            var (h, w) = Pair(a, "out");
            return (new AdaptiveMaxPool2d(h, w).Forward(x[0]), x);
        },
        ["global_max_pool"] = (x, _) => (new GlobalMaxPool().Forward(x[0]), x),
        ["max_unpool2d"] = (x, a) =>
        {
            var idx = Tensor(a.GetProperty("indices")).To(DType.Int64);
            var unpool = new MaxUnpool2d(Pair(a, "kernel"), Pair(a, "stride"), Pair(a, "padding"));
            var size = a.GetProperty("outputSize");
            var y = size.ValueKind == JsonValueKind.Null
                ? unpool.Forward(x[0], idx)
                : unpool.Forward(x[0], idx, (size[0].GetInt32(), size[1].GetInt32()));
            return (y, x);
        },
        ["upsample"] = (x, a) =>
        {
            var mode = a.GetProperty("mode").GetString() == "nearest"
                ? InterpolateMode.Nearest
                : InterpolateMode.Linear;
            return (new Upsample(a.GetProperty("scale").GetDouble(), mode).Forward(x[0]), x);
        },
        ["upsample_size"] = (x, a) => (new Upsample(Pair(a, "size"), InterpolateMode.Linear,
            a.GetProperty("alignCorners").GetBoolean()).Forward(x[0]), x),
        ["zero_pad2d"] = (x, a) =>
        {
            var p = Ints(a, "pads");
            return (new ZeroPad2d(p[0], p[1], p[2], p[3]).Forward(x[0]), x);
        },
        ["max_pool2d_rect"] = (x, a) => (new MaxPool2d(Pair(a, "kernel"), Pair(a, "stride"), Pair(a, "padding"),
            ceilMode: a.GetProperty("ceilMode").GetBoolean()).Forward(x[0]), x),
        ["avg_pool2d_rect"] = (x, a) => (new AvgPool2d(Pair(a, "kernel"), Pair(a, "stride"), Pair(a, "padding"),
            a.GetProperty("ceilMode").GetBoolean(), a.GetProperty("countIncludePad").GetBoolean()).Forward(x[0]), x),
    };

    [Fact]
    public void Fixture_HeaderAndCoverage()
    {
        var h = Document.Value.RootElement.GetProperty("header");
        Assert.Equal("tools/make_cnn_layer_fixtures.py", h.GetProperty("generator").GetString());
        Assert.StartsWith("1.13", h.GetProperty("torch").GetString());
        Assert.Equal(h.GetProperty("cases").GetInt32(), All.Count());
        var used = All.Select(c => c.GetProperty("op").GetString()!).ToHashSet();
        Assert.Equal(Ops.Keys.Order(), used.Order());
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Layer_MatchesTorch(string name)
    {
        var c = All.First(e => e.GetProperty("name").GetString() == name);
        var inputs = c.GetProperty("inputs").EnumerateArray().Select(e => Tensor(e).RequireGrad()).ToArray();
        var (y, gradOf) = Ops[c.GetProperty("op").GetString()!](inputs, c.GetProperty("args"));
        AssertClose(Tensor(c.GetProperty("outputs")[0]), y, name);
        (y * Tensor(c.GetProperty("r")[0])).Sum().Backward();
        var grads = c.GetProperty("grads").EnumerateArray().ToArray();
        Assert.Equal(grads.Length, gradOf.Length);
        for (int i = 0; i < grads.Length; i++)
            AssertClose(Tensor(grads[i]), gradOf[i].Grad ?? Dendrite.Tensor.ZerosLike(gradOf[i]), $"{name} grad {i}");
    }

    [Fact]
    public void ConvTranspose1d_Gradcheck()
    {
        var g = new Generator(3);
        Gradcheck.Assert(t => t[0].ConvTranspose1d(t[1], t[2], stride: 2, padding: 1, outputPadding: 1, groups: 2),
            Dendrite.Tensor.Randn([2, 4, 5], g, dtype: DType.Float64).RequireGrad(),
            Dendrite.Tensor.Randn([4, 2, 3], g, dtype: DType.Float64).RequireGrad(),
            Dendrite.Tensor.Randn([4], g, dtype: DType.Float64).RequireGrad());
    }

    [Fact]
    public void Conv2d_PerEdgePadding_Gradcheck()
    {
        var g = new Generator(4);
        Gradcheck.Assert(t => t[0].Conv2d(t[1], t[2], (1, 2), (2, 0, 1, 1), (1, 1)),
            Dendrite.Tensor.Randn([1, 2, 5, 6], g, dtype: DType.Float64).RequireGrad(),
            Dendrite.Tensor.Randn([3, 2, 2, 3], g, dtype: DType.Float64).RequireGrad(),
            Dendrite.Tensor.Randn([3], g, dtype: DType.Float64).RequireGrad());
    }

    [Fact]
    public void AdaptiveMaxPool2d_Gradcheck()
    {
        var g = new Generator(5);
        Gradcheck.Assert(t => t[0].AdaptiveMaxPool2d(2, 3), Dendrite.Tensor.Randn([2, 2, 5, 7], g, dtype: DType.Float64)
            .RequireGrad());
    }

    [Fact]
    public void MaxUnpool2d_Gradcheck_AndInvertsThePool()
    {
        var g = new Generator(6);
        var x = Dendrite.Tensor.Randn([2, 3, 4, 6], g, dtype: DType.Float64);
        var (v, idx) = x.MaxPool2dWithIndices((2, 2));
        Gradcheck.Assert(t => t[0].MaxUnpool2d(idx, (2, 2)), v.Detach().RequireGrad());
        // Unpooling then pooling again gives back the pooled values.
        var again = v.MaxUnpool2d(idx, (2, 2)).MaxPool2d((2, 2));
        Assert.Equal(v.ToArray<double>(), again.ToArray<double>());
    }

    [Fact]
    public void Dropout2d_DropsWholeChannels_AndIsTheIdentityInEval()
    {
        var layer = new Dropout2d(0.5, new Generator(7));
        var x = Dendrite.Tensor.Ones(4, 64, 3, 3);
        var y = layer.Forward(x).ToArray<float>();
        int dropped = 0;
        for (int plane = 0; plane < 4 * 64; plane++)
        {
            var values = y.AsSpan(plane * 9, 9).ToArray().Distinct().ToArray();
            Assert.Single(values);
            Assert.True(values[0] is 0f or 2f, $"plane {plane}: {values[0]}");
            if (values[0] == 0) dropped++;
        }
        Assert.InRange(dropped, 256 * 0.35, 256 * 0.65);
        layer.Eval();
        Assert.Same(x, layer.Forward(x));
    }

    [Fact]
    public void Conv2d_ModesAndErrors()
    {
        var x = Dendrite.Tensor.Zeros(1, 3, 9, 8);
        Assert.Equal([1, 4, 9, 8], new Conv2d(3, 4, (4, 3), "same").Forward(x).Shape.ToArray());
        Assert.Equal([1, 4, 6, 6], new Conv2d(3, 4, (4, 3), "valid").Forward(x).Shape.ToArray());
        var e = Assert.Throws<ArgumentException>(() => new Conv2d(3, 4, (3, 3), "same", stride: (2, 2)));
        Assert.Contains("stride 1", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => new Conv2d(3, 4, (3, 3), "full"));
        Assert.Contains("\"full\"", e.Message, StringComparison.Ordinal);
        var conv = new Conv2d(3, 4, (1, 7), (1, 1), (0, 3));
        Assert.Equal(3 * 4 * 7 + 4, conv.ParameterCount());
        Assert.Equal([2, 4, 5, 9], conv.Forward(Dendrite.Tensor.Zeros(2, 3, 5, 9)).Shape.ToArray());
    }

    [Fact]
    public void MaxUnpool2d_NamesTheBadIndex()
    {
        var v = Dendrite.Tensor.Ones(1, 1, 1, 1);
        var e = Assert.Throws<ArgumentException>(() => v.MaxUnpool2d(Dendrite.Tensor.From(new long[] { 9 }, 1, 1, 1, 1),
            2, 2));
        Assert.Contains("index 9", e.Message, StringComparison.Ordinal);
    }

    private static void Load(Module layer, Tensor weight, Tensor bias)
    {
        var r = layer.LoadStateDict(new Dictionary<string, Tensor> { ["weight"] = weight, ["bias"] = bias });
        Assert.True(r.IsExact);
    }

    private static Tensor Tensor(JsonElement e)
    {
        var shape = e.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        var data = e.GetProperty("data").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        return Dendrite.Tensor.From(data, shape).To(DType.Float32);
    }

    private static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        Assert.Equal(expected.Shape.ToArray(), actual.Shape.ToArray());
        var a = expected.ToArray<float>();
        var b = actual.Contiguous().ToArray<float>();
        for (int i = 0; i < a.Length; i++)
        {
            Assert.True(Math.Abs(a[i] - b[i]) <= Tol * (1 + Math.Abs(a[i])),
                $"{what}[{i}]: expected {a[i]}, got {b[i]}");
        }
    }

    private static int Int(JsonElement a, string name) => a.GetProperty(name).GetInt32();

    private static int[] Ints(JsonElement a, string name) =>
        a.GetProperty(name).EnumerateArray().Select(x => x.GetInt32()).ToArray();

    private static (int, int) Pair(JsonElement a, string name)
    {
        var v = Ints(a, name);
        return (v[0], v[1]);
    }
}
