using System.Text.Json;
using Dendrite.Tests;

namespace Dendrite.Nn.Tests.Recurrent;

/// <summary>Rnn, Lstm, Gru and their cells against torch.nn (tests/fixtures/rnn.json from
/// tools/make_rnn_fixtures.py): outputs, final states and gradients after a weight transplant, for 1 and 2 layers,
/// one and two directions, time- and batch-first, with and without lengths; finite differences for every cell and
/// for the sequence op with lengths in both directions.</summary>
public class RecurrentTests
{
    private static readonly Lazy<JsonDocument> Document = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "rnn.json"))));

    public static TheoryData<string> LayerCases => Names("layers");

    public static TheoryData<string> CellCases => Names("cells");

    private static TheoryData<string> Names(string section)
    {
        var data = new TheoryData<string>();
        foreach (var e in Document.Value.RootElement.GetProperty(section).EnumerateArray())
            data.Add(e.GetProperty("name").GetString()!);
        return data;
    }

    private static JsonElement Entry(string section, string name) => Document.Value.RootElement.GetProperty(section)
        .EnumerateArray().First(e => e.GetProperty("name").GetString() == name);

    private static Tensor T(JsonElement e, string key) => NnFixture.ToTensor(e.GetProperty(key));

    private static void Close(Tensor actual, JsonElement e, string key, string what) =>
        NnFixture.AssertClose(actual, e.GetProperty(key), $"{what}: {key}", atol: 1e-4, rtol: 1e-4);

    private static RecurrentLayer MakeLayer(JsonElement e)
    {
        int i = e.GetProperty("input").GetInt32(), h = e.GetProperty("hidden").GetInt32();
        int layers = e.GetProperty("layers").GetInt32();
        bool bi = e.GetProperty("bidirectional").GetBoolean(), bf = e.GetProperty("batch_first").GetBoolean();
        return e.GetProperty("mode").GetString() switch
        {
            "lstm" => new Lstm(i, h, layers, batchFirst: bf, bidirectional: bi),
            "gru" => new Gru(i, h, layers, batchFirst: bf, bidirectional: bi),
            var m => new Rnn(i, h, layers, relu: m == "rnn_relu", batchFirst: bf, bidirectional: bi),
        };
    }

    [Theory]
    [MemberData(nameof(LayerCases))]
    public void Layer_MatchesTorch(string name)
    {
        var e = Entry("layers", name);
        var layer = MakeLayer(e);
        Assert.Equal(e.GetProperty("names").EnumerateArray().Select(v => v.GetString()!),
            layer.StateDict().Keys);
        layer.LoadStateDict(NnFixture.ToStateDict(e.GetProperty("state_dict")));
        var x = T(e, "x").RequireGrad();
        bool lstm = layer is Lstm, withState = e.TryGetProperty("h0", out _);
        var h0 = withState ? T(e, "h0").RequireGrad() : null;
        var c0 = withState && lstm ? T(e, "c0").RequireGrad() : null;
        int[]? lengths = e.TryGetProperty("lengths", out var l) ? l.EnumerateArray().Select(v => v.GetInt32()).ToArray()
            : null;
        var (output, state) = layer.Forward(x, h0 is null ? null : new RecurrentState(h0, c0), lengths);
        Close(output, e, "out", name);
        Close(state.H, e, "h_n", name);
        var loss = (output * T(e, "r")).Sum() + (state.H * T(e, "rh")).Sum();
        if (lstm)
        {
            Close(state.C!, e, "c_n", name);
            loss += (state.C! * T(e, "rc")).Sum();
        }
        loss.Backward();
        Close(x.Grad!, e, "grad_x", name);
        if (h0 is not null) Close(h0.Grad!, e, "grad_h0", name);
        if (c0 is not null) Close(c0.Grad!, e, "grad_c0", name);
        foreach (var (pname, p) in layer.NamedParameters()) Close(p.Grad!, e.GetProperty("grads"), pname, name);
    }

    [Theory]
    [MemberData(nameof(CellCases))]
    public void Cell_MatchesTorch(string name)
    {
        var e = Entry("cells", name);
        int i = e.GetProperty("input").GetInt32(), h = e.GetProperty("hidden").GetInt32();
        string mode = e.GetProperty("mode").GetString()!;
        RecurrentCell cell = mode switch
        {
            "lstm" => new LstmCell(i, h),
            "gru" => new GruCell(i, h),
            _ => new RnnCell(i, h, relu: mode == "rnn_relu"),
        };
        Assert.Equal(["weight_ih", "weight_hh", "bias_ih", "bias_hh"], cell.StateDict().Keys);
        cell.LoadStateDict(NnFixture.ToStateDict(e.GetProperty("state_dict")));
        var x = T(e, "x").RequireGrad();
        var h0 = T(e, "h0").RequireGrad();
        Tensor loss;
        Tensor? c0 = null;
        if (cell is LstmCell lc)
        {
            c0 = T(e, "c0").RequireGrad();
            var (hn, cn) = lc.Forward(x, h0, c0);
            Close(hn, e, "h_n", name);
            Close(cn, e, "c_n", name);
            loss = (hn * T(e, "rh")).Sum() + (cn * T(e, "rc")).Sum();
        }
        else
        {
            var hn = cell is GruCell gc ? gc.Forward(x, h0) : ((RnnCell)cell).Forward(x, h0);
            Close(hn, e, "h_n", name);
            loss = (hn * T(e, "rh")).Sum();
        }
        loss.Backward();
        Close(x.Grad!, e, "grad_x", name);
        Close(h0.Grad!, e, "grad_h0", name);
        if (c0 is not null) Close(c0.Grad!, e, "grad_c0", name);
        foreach (var (pname, p) in cell.NamedParameters()) Close(p.Grad!, e.GetProperty("grads"), pname, name);
    }

    [Theory]
    [InlineData("RnnTanh")]
    [InlineData("RnnRelu")]
    [InlineData("Lstm")]
    [InlineData("Gru")]
    public void Cell_GradientMatchesFiniteDifferences(string cell)
    {
        var kind = Enum.Parse<CellKind>(cell);
        // one step: x (2, 3), h, c (2, 4); every input and weight checked
        var g = new Generator(7);
        int G = RecurrentCellKernels.Gates(kind) * 4;
        Tensor[] inputs =
        [
            Tensor.Randn([1, 2, 3], g), Tensor.Randn([G, 3], g) * 0.5, Tensor.Randn([G, 4], g) * 0.5,
            Tensor.Randn([G], g) * 0.5, Tensor.Randn([G], g) * 0.5, Tensor.Randn([2, 4], g), Tensor.Randn([2, 4], g),
        ];
        Gradcheck.Assert(xs => Sum(kind, xs, null, false), inputs);
    }

    [Theory]
    [InlineData("RnnTanh", false)]
    [InlineData("Lstm", false)]
    [InlineData("Lstm", true)]
    [InlineData("Gru", true)]
    public void Sequence_GradientMatchesFiniteDifferencesWithLengths(string cell, bool reverse)
    {
        var kind = Enum.Parse<CellKind>(cell);
        var g = new Generator(11);
        int G = RecurrentCellKernels.Gates(kind) * 3;
        Tensor[] inputs =
        [
            Tensor.Randn([4, 3, 2], g), Tensor.Randn([G, 2], g) * 0.5, Tensor.Randn([G, 3], g) * 0.5,
            Tensor.Randn([G], g) * 0.5, Tensor.Randn([G], g) * 0.5, Tensor.Randn([3, 3], g), Tensor.Randn([3, 3], g),
        ];
        Gradcheck.Assert(xs => Sum(kind, xs, [4, 1, 3], reverse), inputs);
    }

    // Σ of every output weighted by a fixed pattern, so each output element has its own weight.
    private static Tensor Sum(CellKind kind, Tensor[] xs, int[]? lengths, bool reverse)
    {
        var r = RecurrentScan.Run(kind, xs[0], xs[1], xs[2], xs[3], xs[4], xs[5],
            kind == CellKind.Lstm ? xs[6] : null, lengths, reverse);
        var total = r[0].Sum() * 0.1 + (r[1] * r[1]).Sum();
        return kind == CellKind.Lstm ? total + (r[2] * 0.3).Sum() : total;
    }

    [Fact]
    public void Lengths_PaddedStepsChangeNothing()
    {
        var lstm = new Lstm(2, 3, 2, bidirectional: true, batchFirst: true, generator: new Generator(3));
        var x = Tensor.Randn([2, 5, 2], new Generator(4));
        int[] lengths = [5, 2];
        var (y1, s1) = lstm.Forward(x, lengths: lengths);
        var x2 = x.Clone();
        for (int t = 2; t < 5; t++) x2[1, t, 0] = 100;
        var (y2, s2) = lstm.Forward(x2, lengths: lengths);
        Assert.Equal(y1.ToFloatArray(), y2.ToFloatArray());
        Assert.Equal(s1.H.ToFloatArray(), s2.H.ToFloatArray());
        Assert.Equal(s1.C!.ToFloatArray(), s2.C!.ToFloatArray());
        Assert.All(y1.Narrow(0, 1, 1).Narrow(1, 2, 3).ToFloatArray(), v => Assert.Equal(0f, v));
        // the short entry alone, unpadded, gives the same numbers
        var (yShort, sShort) = lstm.Forward(x.Narrow(0, 1, 1).Narrow(1, 0, 2));
        Assert.Equal(yShort.ToFloatArray(), y1.Narrow(0, 1, 1).Narrow(1, 0, 2).ToFloatArray());
        Assert.Equal(sShort.H.ToFloatArray(), s1.H.Narrow(1, 1, 1).ToFloatArray());
    }

    [Fact]
    public void Dropout_OnlyBetweenLayersInTraining()
    {
        var gru = new Gru(2, 8, 2, dropout: 0.5, generator: new Generator(5));
        var x = Tensor.Randn([3, 2, 2], new Generator(6));
        var (a, _) = gru.Forward(x);
        var (b, _) = gru.Forward(x);
        Assert.NotEqual(a.ToFloatArray(), b.ToFloatArray());
        gru.Eval();
        Assert.Equal(gru.Forward(x).Output.ToFloatArray(), gru.Forward(x).Output.ToFloatArray());
        var single = new Gru(2, 8, 1, dropout: 0.5, generator: new Generator(5));
        Assert.Equal(single.Forward(x).Output.ToFloatArray(), single.Forward(x).Output.ToFloatArray());
    }

    [Fact]
    public void Errors_NameTheLayerAndShapes()
    {
        var lstm = new Lstm(3, 4, 2);
        var e1 = Assert.Throws<ArgumentException>(() => lstm.Forward(Tensor.Zeros(5, 2, 7)));
        Assert.Contains("Lstm: input [5,2,7]", e1.Message, StringComparison.Ordinal);
        var e2 = Assert.Throws<ArgumentException>(() =>
            lstm.Forward(Tensor.Zeros(5, 2, 3), new RecurrentState(Tensor.Zeros(1, 2, 4), Tensor.Zeros(2, 2, 4))));
        Assert.Contains("h0 [1,2,4]", e2.Message, StringComparison.Ordinal);
        var e3 = Assert.Throws<ArgumentException>(() => lstm.Forward(Tensor.Zeros(5, 2, 3), lengths: [5, 6]));
        Assert.Contains("lengths[1] = 6", e3.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new GruCell(3, 4).Forward(Tensor.Zeros(2, 3), Tensor.Zeros(3, 4)));
    }

    [Fact]
    public void TruncatedBptt_CarriesDetachedState()
    {
        var rnn = new Rnn(1, 4, generator: new Generator(8));
        var stream = Tensor.Randn([10, 2, 1], new Generator(9));
        var (full, _) = rnn.Forward(stream);
        var pieces = new List<float>();
        RecurrentState? state = null;
        foreach (var chunk in TruncatedBptt.Chunks(stream, 4))
        {
            var (y, s) = rnn.Forward(chunk, state);
            Assert.True(y.RequiresGrad);
            y.Sum().Backward();
            state = s.Detach();
            Assert.Null(state.H.GradFn);
            pieces.AddRange(y.ToFloatArray());
        }
        Assert.Equal([4, 4, 2], TruncatedBptt.Chunks(stream, 4).Select(c => c.Shape[0]).ToArray());
        var want = full.ToFloatArray();
        for (int i = 0; i < want.Length; i++) Assert.Equal(want[i], pieces[i], 5);
    }
}
