using System.Text.Json;
using Dendrite.Nn;
using static Dendrite.Tests.Transformers.TransformerFixture;

namespace Dendrite.Tests.Transformers;

/// <summary>Scaled dot-product attention, multi-head attention, LayerNorm, GELU and the positional encodings against
/// tools/make_transformer_fixtures.py (PyTorch 1.13), and their gradients against finite differences.</summary>
public class AttentionTests
{
    public static TheoryData<string> AttentionCases => Names("attention");

    public static TheoryData<string> MhaCases => Names("mha");

    private static Tensor Leaf(JsonElement e, string key)
    {
        var t = Get(e, key);
        t.RequiresGrad = true;
        return t;
    }

    [Theory]
    [MemberData(nameof(AttentionCases))]
    public void ScaledDotProduct_MatchesPyTorch(string name)
    {
        var e = Entry("attention", name);
        var (q, k, v) = (Leaf(e, "q"), Leaf(e, "k"), Leaf(e, "v"));
        var mask = e.TryGetProperty("mask", out var m) ? ToTensor(m) : null;
        var y = Attention.ScaledDotProduct(q, k, v, out var w, mask, causal: e.GetProperty("causal").GetBoolean());
        NnFixture.AssertClose(y, Get(e, "y"), "y");
        NnFixture.AssertClose(w, Get(e, "weights"), "weights");
        (y * Get(e, "r")).Sum().Backward();
        NnFixture.AssertClose(q.Grad!, Get(e, "grad_q"), "dq");
        NnFixture.AssertClose(k.Grad!, Get(e, "grad_k"), "dk");
        NnFixture.AssertClose(v.Grad!, Get(e, "grad_v"), "dv");
    }

    [Fact]
    public void ScaledDotProduct_GradcheckWithCausalAndPaddingMasks()
    {
        var g = new Generator(11);
        var q = Tensor.Randn([2, 2, 4, 3], g);
        var k = Tensor.Randn([2, 2, 6, 3], g);
        var v = Tensor.Randn([2, 2, 6, 5], g);
        var pad = Tensor.From([true, true, true, true, true, true, true, true, true, false, false, false], 2, 1, 1, 6);
        Gradcheck.Assert(x => Attention.ScaledDotProduct(x[0], x[1], x[2], causal: true), q, k, v);
        Gradcheck.Assert(x => Attention.ScaledDotProduct(x[0], x[1], x[2], pad), q, k, v);
        var additive = Tensor.Randn([4, 6], g);
        Gradcheck.Assert(x => Attention.ScaledDotProduct(x[0], x[1], x[2], additive, causal: true, scale: 0.7),
            q, k, v);
        // a negative scale is applied before the boolean mask, so masked keys still get no weight
        Gradcheck.Assert(x => Attention.ScaledDotProduct(x[0], x[1], x[2], pad, causal: true, scale: -0.5),
            q, k, v);
    }

    [Fact]
    public void ScaledDotProduct_ScaleFoldedIntoSoftmaxEqualsComposite()
    {
        // softmax(q·kᵀ·s + causal)·v written with elementary ops, on q, k, v strided views of one projection
        var g = new Generator(21);
        var qkv = Tensor.Randn([2, 5, 3, 2, 4], g);
        Tensor Part(Tensor t, int i) => t.Select(2, i).Transpose(1, 2);              // (B, H, T, hs)
        var a = qkv.Clone().RequireGrad();
        var b = qkv.Clone().RequireGrad();
        var r = Tensor.Randn([2, 2, 5, 4], g);
        var fused = Attention.ScaledDotProduct(Part(a, 0), Part(a, 1), Part(a, 2), causal: true, scale: 0.3);
        var mask = Tensor.Ones(5, 5).Tril().Eq(1.0);
        var scores = Part(b, 0).MatMul(Part(b, 1).Transpose(-2, -1)) * 0.3;
        var composite = Tensor.Where(mask, scores, Tensor.Scalar(double.NegativeInfinity, DType.Float32)).Softmax(-1)
            .MatMul(Part(b, 2));
        NnFixture.AssertClose(fused, composite, "forward", atol: 1e-5);
        (fused * r).Sum().Backward();
        (composite * r).Sum().Backward();
        NnFixture.AssertClose(a.Grad!, b.Grad!, "dqkv", atol: 1e-5);
    }

    [Fact]
    public void ScaledDotProduct_FullyMaskedRowIsZeroAndDropoutIsInverted()
    {
        var g = new Generator(2);
        var q = Tensor.Randn([1, 3, 4], g);
        var k = Tensor.Randn([1, 5, 4], g);
        var v = Tensor.Randn([1, 5, 2], g);
        q.RequiresGrad = true;
        var none = Tensor.From(new bool[15], 1, 3, 5);
        var y = Attention.ScaledDotProduct(q, k, v, out var w, none);
        Assert.All(y.ToArray<float>(), x => Assert.Equal(0f, x));
        Assert.All(w.ToArray<float>(), x => Assert.Equal(0f, x));
        y.Sum().Backward();
        Assert.All(q.Grad!.ToArray<float>(), x => Assert.Equal(0f, x));
        // dropout keeps the expectation: average over many draws ≈ the output without dropout
        using var _ = Autograd.NoGrad();
        var plain = Attention.ScaledDotProduct(q, k, v).ToArray<float>();
        var sum = new double[plain.Length];
        for (int i = 0; i < 400; i++)
        {
            var d = Attention.ScaledDotProduct(q, k, v, dropout: 0.3, generator: g).ToArray<float>();
            for (int j = 0; j < d.Length; j++) sum[j] += d[j] / 400;
        }
        for (int j = 0; j < plain.Length; j++) Assert.Equal(plain[j], sum[j], 0.15);
        var ex = Assert.Throws<ArgumentException>(() => Attention.ScaledDotProduct(q, k.Narrow(2, 0, 3), v));
        Assert.Contains("ScaledDotProductAttention: q and k widths differ", ex.Message);
        Assert.Contains("[1,3,4]", ex.Message.Replace(" ", ""));
    }

    [Theory]
    [MemberData(nameof(MhaCases))]
    public void MultiheadAttention_MatchesPyTorch(string name)
    {
        var e = Entry("mha", name);
        var m = new MultiheadAttention(e.GetProperty("embed").GetInt32(), e.GetProperty("heads").GetInt32(),
            batchFirst: e.GetProperty("batch_first").GetBoolean());
        Assert.True(m.LoadStateDict(ToStateDict(e.GetProperty("state_dict"))).IsExact);
        var (q, k, v) = (Leaf(e, "query"), Leaf(e, "key"), Leaf(e, "value"));
        var kpm = e.TryGetProperty("key_padding_mask", out var p) ? ToTensor(p) : null;
        var am = e.TryGetProperty("attn_mask", out var a) ? ToTensor(a) : null;
        var (y, w) = m.Forward(q, k, v, kpm, needWeights: true, attnMask: am);
        NnFixture.AssertClose(y, Get(e, "y"), "y");
        NnFixture.AssertClose(w!, Get(e, "weights"), "weights");
        (y * Get(e, "r")).Sum().Backward();
        NnFixture.AssertClose(q.Grad!, Get(e, "grad_query"), "dquery");
        NnFixture.AssertClose(k.Grad!, Get(e, "grad_key"), "dkey");
        NnFixture.AssertClose(v.Grad!, Get(e, "grad_value"), "dvalue");
        var parameters = m.NamedParameters().ToDictionary(x => x.Name, x => x.Parameter);
        foreach (var gp in e.GetProperty("grads").EnumerateObject())
            NnFixture.AssertClose(parameters[gp.Name].Grad!, ToTensor(gp.Value), "grad " + gp.Name);
    }

    [Fact]
    public void MultiheadAttention_SelfAttentionGradcheck()
    {
        var m = new MultiheadAttention(6, 2, batchFirst: true, generator: new Generator(4));
        var x = Tensor.Randn([2, 3, 6], new Generator(5));
        var pad = Tensor.From([false, false, false, false, false, true], 2, 3);
        Gradcheck.Assert(t => m.Forward(t[0], t[0], t[0], pad, needWeights: false, isCausal: true).Output, x);
    }

    public static TheoryData<string> LayerNormCases => Names("layernorm");

    [Theory]
    [MemberData(nameof(LayerNormCases))]
    public void LayerNorm_MatchesPyTorch(string name)
    {
        var e = Entry("layernorm", name);
        int[] shape = e.GetProperty("normalized").EnumerateArray().Select(x => x.GetInt32()).ToArray();
        var ln = new LayerNorm(shape);
        using (Autograd.NoGrad())
        {
            ln.Weight.CopyFrom(Get(e, "weight"));
            ln.Bias.CopyFrom(Get(e, "bias"));
        }
        var x = Leaf(e, "x");
        var y = ln.Call(x);
        NnFixture.AssertClose(y, Get(e, "y"), "y");
        (y * Get(e, "r")).Sum().Backward();
        NnFixture.AssertClose(x.Grad!, Get(e, "grad_x"), "dx");
        NnFixture.AssertClose(ln.Weight.Grad!, Get(e, "grad_weight"), "dweight");
        NnFixture.AssertClose(ln.Bias.Grad!, Get(e, "grad_bias"), "dbias");
    }

    [Fact]
    public void LayerNorm_GradcheckAndEqualsComposite()
    {
        var g = new Generator(8);
        var x = Tensor.Randn([3, 2, 5], g);
        var w = Tensor.Randn([2, 5], g);
        var b = Tensor.Randn([2, 5], g);
        Gradcheck.Assert(t => t[0].LayerNorm([2, 5], t[1], t[2], 1e-5), x, w, b);
        Gradcheck.Assert(t => t[0].LayerNorm([5]), x);
        // fused = composite (x − μ)/√(σ² + ε)·γ + β, forward and gradients
        var xa = x.Clone();
        xa.RequiresGrad = true;
        var xb = x.Clone();
        xb.RequiresGrad = true;
        var r = Tensor.Randn([3, 2, 5], g);
        var fused = xa.LayerNorm([2, 5], w, b);
        int[] axes = [1, 2];
        var composite = (xb - xb.Mean(axes, true)) / (xb.Var(axes, true, correction: 0) + 1e-5).Sqrt() * w + b;
        NnFixture.AssertClose(fused, composite, "forward", atol: 1e-5);
        (fused * r).Sum().Backward();
        (composite * r).Sum().Backward();
        NnFixture.AssertClose(xa.Grad!, xb.Grad!, "dx", atol: 1e-5);
        var ex = Assert.Throws<ArgumentException>(() => x.LayerNorm([4]));
        Assert.Contains("LayerNorm: input [3,2,5] does not end with the normalised shape [4]", ex.Message);
    }

    public static TheoryData<string> GeluCases => Names("gelu");

    [Theory]
    [MemberData(nameof(GeluCases))]
    public void Gelu_MatchesPyTorchAndGradcheck(string name)
    {
        var e = Entry("gelu", name);
        bool tanh = name == "tanh";
        var x = Leaf(e, "x");
        var y = Functional.Gelu(x, tanh);
        NnFixture.AssertClose(y, Get(e, "y"), "y");
        (y * Get(e, "r")).Sum().Backward();
        NnFixture.AssertClose(x.Grad!, Get(e, "grad_x"), "dx");
        Gradcheck.Assert(t => Functional.Gelu(t[0], tanh), Get(e, "x").Narrow(0, 0, 16));
    }

    [Fact]
    public void Sinusoidal_MatchesFormulaAndAddsToInput()
    {
        var e = Entry("positional", "sinusoidal");
        var table = SinusoidalPositionalEncoding.Table(e.GetProperty("length").GetInt32(),
            e.GetProperty("d").GetInt32());
        NnFixture.AssertClose(table, Get(e, "table"), "table", atol: 1e-6);
        var pe = new SinusoidalPositionalEncoding(8, 12);
        Assert.Empty(pe.StateDict());
        var x = Tensor.Randn([2, 5, 8], new Generator(1));
        NnFixture.AssertClose(pe.Forward(x, 3), x + table.Narrow(0, 3, 5), "x + pe", atol: 1e-6);
        Gradcheck.Assert(t => pe.Forward(t[0], 2), x);
        Assert.Throws<ArgumentException>(() => pe.Forward(x, 8));
    }

    [Fact]
    public void Learned_AddsRowsAndGradcheck()
    {
        var pe = new LearnedPositionalEmbedding(10, 4, new Generator(1));
        Assert.Equal(["weight"], pe.StateDict().Keys);
        var x = Tensor.Randn([2, 3, 4], new Generator(2));
        NnFixture.AssertClose(pe.Forward(x, 2), x + pe.Weight.Detach().Narrow(0, 2, 3), "x + W");
        Gradcheck.Assert(t => t[0] + t[1].Narrow(0, 1, 3), x, pe.Weight.Detach().Clone());
        Gradcheck.Assert(t => pe.Forward(t[0], 1), x);
    }

    public static TheoryData<string> RotaryCases => ["rotary_offset0", "rotary_offset7"];

    [Theory]
    [MemberData(nameof(RotaryCases))]
    public void Rotary_MatchesPyTorchAndGradcheck(string name)
    {
        var e = Entry("positional", name);
        var rope = new RotaryEmbedding(8, 16, e.GetProperty("base").GetDouble());
        var x = Leaf(e, "x");
        int offset = e.GetProperty("offset").GetInt32();
        var y = rope.Forward(x, offset);
        NnFixture.AssertClose(y, Get(e, "y"), "y");
        (y * Get(e, "r")).Sum().Backward();
        NnFixture.AssertClose(x.Grad!, Get(e, "grad_x"), "dx");
        Gradcheck.Assert(t => rope.Forward(t[0], offset), Get(e, "x"));
        // relative: q·k after rotation depends only on the positions' difference
        var q = Tensor.Randn([1, 1, 1, 8], new Generator(3));
        var k = Tensor.Randn([1, 1, 1, 8], new Generator(4));
        double Dot(int pq, int pk) => (rope.Forward(q, pq) * rope.Forward(k, pk)).Sum().Item();
        Assert.Equal(Dot(3, 1), Dot(9, 7), 1e-4);
    }
}

/// <summary>The fused ops against their composite definitions.</summary>
public class FusedTransformerOpTests
{
    [Fact]
    public void GeluTanh_FusedEqualsComposite()
    {
        var x = Tensor.Randn([3, 1500], new Generator(9)) * 3;
        var a = x.Clone();
        a.RequiresGrad = true;
        var b = x.Clone();
        b.RequiresGrad = true;
        var r = Tensor.Randn([3, 1500], new Generator(10));
        var fused = Functional.Gelu(a, tanh: true);
        var composite = Functional.GeluTanhComposite(b);
        NnFixture.AssertClose(fused, composite, "forward", atol: 1e-6);
        (fused * r).Sum().Backward();
        (composite * r).Sum().Backward();
        NnFixture.AssertClose(a.Grad!, b.Grad!, "dx", atol: 1e-5);
    }

    [Fact]
    public void GeluTanh_FusedEqualsCompositeOnThreads()
    {
        // 64 blocks and a ragged tail: the blocks are split across threads
        var x = Tensor.Randn([65 * 1024 + 17], new Generator(19)) * 3;
        var a = x.Clone().RequireGrad();
        var b = x.Clone().RequireGrad();
        var r = Tensor.Randn([65 * 1024 + 17], new Generator(20));
        var fused = Functional.Gelu(a, tanh: true);
        NnFixture.AssertClose(fused, Functional.GeluTanhComposite(b), "forward", atol: 1e-6);
        (fused * r).Sum().Backward();
        (Functional.GeluTanhComposite(b) * r).Sum().Backward();
        NnFixture.AssertClose(a.Grad!, b.Grad!, "dx", atol: 1e-5);
    }

    [Fact]
    public void Linear_TransposedWeightViewEqualsMatMul()
    {
        var g = new Generator(12);
        var x = Tensor.Randn([5, 7], g).RequireGrad();
        var w = Tensor.Randn([7, 3], g).RequireGrad();       // (in, out), used as w.T
        var bias = Tensor.Randn([3], g).RequireGrad();
        var x2 = x.Detach().Clone().RequireGrad();
        var w2 = w.Detach().Clone().RequireGrad();
        var b2 = bias.Detach().Clone().RequireGrad();
        var r = Tensor.Randn([5, 3], g);
        var fused = x.Linear(w.T, bias);
        var reference = x2.MatMul(w2) + b2;
        NnFixture.AssertClose(fused, reference, "forward", atol: 1e-5);
        (fused * r).Sum().Backward();
        (reference * r).Sum().Backward();
        NnFixture.AssertClose(w.Grad!, w2.Grad!, "dw", atol: 1e-5);
        NnFixture.AssertClose(x.Grad!, x2.Grad!, "dx", atol: 1e-5);
        NnFixture.AssertClose(bias.Grad!, b2.Grad!, "db", atol: 1e-5);
        Assert.True(w.Grad!.IsContiguous);
    }
}
