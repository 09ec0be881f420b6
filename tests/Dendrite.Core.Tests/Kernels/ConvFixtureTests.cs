using System.Text.Json;

namespace Dendrite.Tests.Kernels;

/// <summary>
/// Convolution and pooling against PyTorch: the cases of tests/fixtures/conv.json (tools/make_conv_fixtures.py).
/// Each checks torch's forward outputs (pooling indices included) and torch's gradients of Σ out·r.
/// </summary>
[Trait("Category", "Kernels")]
public class ConvFixtureTests
{
    private const double Tol = 1e-4;

    private static readonly Lazy<JsonDocument> Document = new(() => JsonDocument.Parse(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "conv.json"))));

    private static IEnumerable<JsonElement> All => Document.Value.RootElement.GetProperty("cases").EnumerateArray();

    public static IEnumerable<object[]> CaseNames => All
        .Where(c => Ops.ContainsKey(c.GetProperty("op").GetString()!))
        .Select(c => new object[] { c.GetProperty("name").GetString()! });

    private static readonly Dictionary<string, Func<Tensor[], JsonElement, Tensor[]>> Ops = new()
    {
        ["conv2d"] = (x, a) => [x[0].Conv2d(x[1], x.Length > 2 ? x[2] : null, Pair(a, "stride"), Pair(a, "padding"),
            Pair(a, "dilation"), Int(a, "groups"))],
        ["conv1d"] = (x, a) => [x[0].Conv1d(x[1], x[2], Int(a, "stride"), Int(a, "padding"), Int(a, "dilation"),
            Int(a, "groups"))],
        ["conv_transpose2d"] = (x, a) => [x[0].ConvTranspose2d(x[1], x[2], Pair(a, "stride"), Pair(a, "padding"),
            Pair(a, "outputPadding"), Int(a, "groups"), Pair(a, "dilation"))],
        ["max_pool2d"] = (x, a) =>
        {
            var (v, i) = x[0].MaxPool2dWithIndices(Pair(a, "kernel"), Pair(a, "stride"), Pair(a, "padding"),
                Pair(a, "dilation"), a.GetProperty("ceilMode").GetBoolean());
            return [v, i];
        },
        ["avg_pool2d"] = (x, a) => [x[0].AvgPool2d(Pair(a, "kernel"), Pair(a, "stride"), Pair(a, "padding"),
            a.GetProperty("ceilMode").GetBoolean(), a.GetProperty("countIncludePad").GetBoolean())],
        ["max_pool1d"] = (x, a) =>
        {
            var (v, i) = x[0].MaxPool1dWithIndices(Int(a, "kernel"), Int(a, "stride"), Int(a, "padding"),
                Int(a, "dilation"), a.GetProperty("ceilMode").GetBoolean());
            return [v, i];
        },
        ["avg_pool1d"] = (x, a) => [x[0].AvgPool1d(Int(a, "kernel"), Int(a, "stride"), Int(a, "padding"),
            a.GetProperty("ceilMode").GetBoolean(), a.GetProperty("countIncludePad").GetBoolean())],
        ["adaptive_avg_pool2d"] = (x, a) => [x[0].AdaptiveAvgPool2d(Int(a, "outH"), Int(a, "outW"))],
        ["local_response_norm"] = (x, a) => [x[0].LocalResponseNorm(Int(a, "size"), Dbl(a, "alpha"), Dbl(a, "beta"),
            Dbl(a, "k"))],
    };

    [Fact]
    public void Fixture_HeaderAndCoverage()
    {
        var h = Document.Value.RootElement.GetProperty("header");
        Assert.Equal("tools/make_conv_fixtures.py", h.GetProperty("generator").GetString());
        Assert.StartsWith("1.13", h.GetProperty("torch").GetString());
        Assert.Equal(h.GetProperty("cases").GetInt32(), All.Count());
        var used = All.Select(c => c.GetProperty("op").GetString()!).ToHashSet();
        Assert.All(Ops.Keys, k => Assert.Contains(k, used));
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Op_MatchesTorch(string name)
    {
        var c = All.First(e => e.GetProperty("name").GetString() == name);
        var inputs = c.GetProperty("inputs").EnumerateArray().Select(e => Load(e).RequireGrad()).ToArray();
        var outs = Ops[c.GetProperty("op").GetString()!](inputs, c.GetProperty("args"));
        var expected = c.GetProperty("outputs").EnumerateArray().ToArray();
        Assert.Equal(expected.Length, outs.Length);
        for (int i = 0; i < outs.Length; i++)
        {
            if (outs[i].DType == DType.Int64)
                Assert.Equal(Load(expected[i], DType.Int64).ToArray<long>(), outs[i].ToArray<long>());
            else
                ConvTests.AssertClose(Load(expected[i]), outs[i], Tol);
        }
        var rs = c.GetProperty("r").EnumerateArray().Select(e => Load(e)).ToArray();
        var floats = outs.Where(o => o.DType.IsFloating()).ToArray();
        floats.Zip(rs, (o, r) => (o * r).Sum()).Aggregate((a, b) => a + b).Backward();
        var grads = c.GetProperty("grads").EnumerateArray().ToArray();
        for (int i = 0; i < inputs.Length; i++)
            ConvTests.AssertClose(Load(grads[i]), inputs[i].Grad ?? Tensor.ZerosLike(inputs[i]), Tol);
    }

    internal static Tensor Load(JsonElement e, DType dtype = DType.Float32)
    {
        var shape = e.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        var data = e.GetProperty("data").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        return Tensor.From(data, shape).To(dtype);
    }

    private static int Int(JsonElement a, string name) => a.GetProperty(name).GetInt32();

    private static double Dbl(JsonElement a, string name) => a.GetProperty(name).GetDouble();

    private static (int, int) Pair(JsonElement a, string name)
    {
        var v = a.GetProperty(name).EnumerateArray().Select(x => x.GetInt32()).ToArray();
        return (v[0], v[1]);
    }
}
