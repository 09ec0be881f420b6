using System.Text.Json;
using Dendrite.Nn;
using static Dendrite.Tests.Transformers.TransformerFixture;

namespace Dendrite.Tests.Transformers;

/// <summary>TransformerEncoderLayer, TransformerDecoderLayer (post- and pre-norm) and the encoder–decoder
/// Transformer against torch.nn's (tools/make_transformer_fixtures.py): state-dict names, outputs and every
/// gradient.</summary>
public class TransformerLayerTests
{
    public static TheoryData<string> EncoderCases => Names("encoder");

    public static TheoryData<string> DecoderCases => Names("decoder");

    private static Tensor Leaf(JsonElement e, string key)
    {
        var t = Get(e, key);
        t.RequiresGrad = true;
        return t;
    }

    private static Tensor? Optional(JsonElement e, string key) => e.TryGetProperty(key, out var v) ? ToTensor(v) : null;

    private static void CheckGrads(Module m, JsonElement e)
    {
        var parameters = m.NamedParameters().ToDictionary(x => x.Name, x => x.Parameter);
        foreach (var gp in e.GetProperty("grads").EnumerateObject())
            NnFixture.AssertClose(parameters[gp.Name].Grad!, ToTensor(gp.Value), "grad " + gp.Name, atol: 2e-5);
    }

    [Theory]
    [MemberData(nameof(EncoderCases))]
    public void EncoderLayer_MatchesPyTorch(string name)
    {
        var e = Entry("encoder", name);
        var act = e.GetProperty("activation").GetString() == "gelu"
            ? TransformerActivation.Gelu
            : TransformerActivation.Relu;
        var layer = new TransformerEncoderLayer(e.GetProperty("embed").GetInt32(), e.GetProperty("heads").GetInt32(),
            e.GetProperty("ff").GetInt32(), dropout: 0, act, batchFirst: e.GetProperty("batch_first").GetBoolean(),
            normFirst: e.GetProperty("norm_first").GetBoolean());
        Assert.True(layer.LoadStateDict(ToStateDict(e.GetProperty("state_dict"))).IsExact);
        var x = Leaf(e, "x");
        var y = layer.Forward(x, Optional(e, "src_mask"), Optional(e, "src_key_padding_mask"));
        NnFixture.AssertClose(y, Get(e, "y"), "y");
        (y * Get(e, "r")).Sum().Backward();
        NnFixture.AssertClose(x.Grad!, Get(e, "grad_x"), "dx", atol: 2e-5);
        CheckGrads(layer, e);
    }

    [Theory]
    [MemberData(nameof(DecoderCases))]
    public void DecoderLayer_MatchesPyTorch(string name)
    {
        var e = Entry("decoder", name);
        var layer = new TransformerDecoderLayer(e.GetProperty("embed").GetInt32(), e.GetProperty("heads").GetInt32(),
            e.GetProperty("ff").GetInt32(), dropout: 0, batchFirst: e.GetProperty("batch_first").GetBoolean(),
            normFirst: e.GetProperty("norm_first").GetBoolean());
        Assert.True(layer.LoadStateDict(ToStateDict(e.GetProperty("state_dict"))).IsExact);
        var (tgt, mem) = (Leaf(e, "tgt"), Leaf(e, "memory"));
        var y = layer.Forward(tgt, mem, Get(e, "tgt_mask"), memoryKeyPaddingMask: Get(e, "memory_key_padding_mask"));
        NnFixture.AssertClose(y, Get(e, "y"), "y");
        (y * Get(e, "r")).Sum().Backward();
        NnFixture.AssertClose(tgt.Grad!, Get(e, "grad_tgt"), "dtgt", atol: 2e-5);
        NnFixture.AssertClose(mem.Grad!, Get(e, "grad_memory"), "dmemory", atol: 2e-5);
        CheckGrads(layer, e);
    }

    [Fact]
    public void Transformer_MatchesPyTorch()
    {
        var e = Entry("transformer", "transformer");
        var m = new Transformer(e.GetProperty("embed").GetInt32(), e.GetProperty("heads").GetInt32(),
            e.GetProperty("encoder_layers").GetInt32(), e.GetProperty("decoder_layers").GetInt32(),
            e.GetProperty("ff").GetInt32(), dropout: 0, batchFirst: true, generator: new Generator(1));
        var state = ToStateDict(e.GetProperty("state_dict"));
        Assert.Equal(state.Keys.Order(), m.StateDict().Keys.Order());
        Assert.True(m.LoadStateDict(state).IsExact);
        var (src, tgt) = (Leaf(e, "src"), Leaf(e, "tgt"));
        var mask = Transformer.GenerateSquareSubsequentMask(tgt.Size(1));
        Assert.Equal(Get(e, "tgt_mask").ToArray<float>(), mask.ToArray<float>());
        var pad = Get(e, "src_key_padding_mask");
        var y = m.Forward(src, tgt, tgtMask: mask, srcKeyPaddingMask: pad, memoryKeyPaddingMask: pad);
        NnFixture.AssertClose(y, Get(e, "y"), "y", atol: 2e-5);
        (y * Get(e, "r")).Sum().Backward();
        NnFixture.AssertClose(src.Grad!, Get(e, "grad_src"), "dsrc", atol: 5e-5);
        NnFixture.AssertClose(tgt.Grad!, Get(e, "grad_tgt"), "dtgt", atol: 5e-5);
        CheckGrads(m, e);
    }

    [Fact]
    public void EncoderLayer_GradcheckPreNormGelu()
    {
        var layer = new TransformerEncoderLayer(4, 2, 8, dropout: 0, TransformerActivation.Gelu, batchFirst: true,
            normFirst: true, generator: new Generator(3));
        var x = Tensor.Randn([2, 3, 4], new Generator(4));
        Gradcheck.Assert(t => layer.Forward(t[0], Transformer.GenerateSquareSubsequentMask(3).To(DType.Float64)), x);
    }
}
