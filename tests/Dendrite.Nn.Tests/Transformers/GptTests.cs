using Dendrite.Models;
using Dendrite.Nn;

namespace Dendrite.Tests.Transformers;

/// <summary>The GPT against the GPT-2 of tools/make_transformer_fixtures.py (Hugging Face's computation written
/// out in PyTorch) on the same weights: state-dict names, logits and every parameter's gradient within 1e-4; then
/// generation with the key/value cache against full recomputation, and the sampling rules.</summary>
public class GptTests
{
    private static (Gpt Model, System.Text.Json.JsonElement Entry) Fixture()
    {
        var e = TransformerFixture.Entry("gpt2", "gpt2");
        var c = e.GetProperty("config");
        var config = new GptConfig(c.GetProperty("vocab_size").GetInt32(), c.GetProperty("n_positions").GetInt32(),
            c.GetProperty("n_layer").GetInt32(), c.GetProperty("n_head").GetInt32(), c.GetProperty("n_embd").GetInt32(),
            LayerNormEps: c.GetProperty("layer_norm_epsilon").GetDouble());
        var model = new Gpt(config, new Generator(1));
        var result = model.LoadStateDict(TransformerFixture.ToStateDict(e.GetProperty("state_dict")));
        Assert.True(result.IsExact);
        return (model, e);
    }

    [Fact]
    public void Gpt_StateDictNamesAreHuggingFaceGpt2()
    {
        var model = new Gpt(new GptConfig(50, 16, 2, 4, 32), new Generator(1));
        var names = model.StateDict().Keys.ToHashSet();
        var torch = TransformerFixture.Entry("gpt2", "gpt2").GetProperty("state_dict").EnumerateObject()
            .Select(p => p.Name).ToHashSet();
        Assert.Equal(torch.Order(), names.Order());
        Assert.Contains("transformer.h.1.attn.c_attn.weight", names);
        Assert.Equal([32, 96], model.StateDict()["transformer.h.0.attn.c_attn.weight"].Shape.ToArray());
        Assert.Same(model.Transformer.Wte.Weight, model.LmHead.Weight);
        // the tied head is one parameter: V·E is counted once
        Assert.Equal(model.Parameters().Count(), model.NamedParameters(removeDuplicate: true).Count());
    }

    [Fact]
    public void Gpt_LogitsAndGradientsMatchPyTorch()
    {
        var (model, e) = Fixture();
        var ids = TransformerFixture.Get(e, "ids");
        var logits = model.Forward(ids);
        NnFixture.AssertClose(logits, TransformerFixture.Get(e, "logits"), "logits", atol: 1e-4, rtol: 1e-4);
        var loss = Losses.CrossEntropy(logits.Reshape(-1, 50), TransformerFixture.Get(e, "targets").Reshape(-1));
        Assert.Equal(e.GetProperty("loss").GetDouble(), loss.Item(), 1e-4);
        loss.Backward();
        var parameters = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        foreach (var g in e.GetProperty("grads").EnumerateObject())
            NnFixture.AssertClose(parameters[g.Name].Grad!, TransformerFixture.ToTensor(g.Value), "grad " + g.Name,
                atol: 1e-4, rtol: 1e-4);
    }

    [Fact]
    public void Gpt_CachedForwardEqualsFullForward()
    {
        var (model, e) = Fixture();
        model.Eval();
        var ids = TransformerFixture.Get(e, "ids").Narrow(0, 0, 1);              // (1, 16)
        using var _ = Autograd.NoGrad();
        var full = model.Forward(ids);
        var cache = new KvCache(model.Config);
        var first = model.Forward(ids.Narrow(1, 0, 9), cache);
        Assert.Equal(9, cache.Length);
        NnFixture.AssertClose(first, full.Narrow(1, 0, 9), "prefix", atol: 1e-5);
        for (int t = 9; t < 16; t++)
        {
            var step = model.Forward(ids.Narrow(1, t, 1), cache);
            NnFixture.AssertClose(step, full.Narrow(1, t, 1), $"cached step {t}", atol: 1e-5);
        }
        var over = Assert.Throws<ArgumentException>(() => model.Forward(ids.Narrow(1, 0, 1), cache));
        Assert.Contains("exceed the context of 16", over.Message);
    }

    [Fact]
    public void Generate_GreedyMatchesArgmaxOfFullRecomputation()
    {
        var (model, _) = Fixture();
        int[] prompt = [3, 14, 15, 9];
        var got = model.Generate(prompt, 20, SamplingOptions.Greedy, new Generator(0)).ToList();
        Assert.Equal(20, got.Count);
        // Reference: recompute the whole window each step (no cache); past the context, the same refill rule
        // as Generate (the last half context), so both see the same positions.
        var tokens = new List<int>(prompt);
        var window = new List<int>(prompt);
        using var _ = Autograd.NoGrad();
        model.Eval();
        for (int i = 0; i < 20; i++)
        {
            var ids = Tensor.From(window.Select(t => (long)t).ToArray(), 1, window.Count);
            var last = model.Forward(ids).Select(1, window.Count - 1).ToArray<float>();
            int next = Array.IndexOf(last, last.Max());
            Assert.Equal(next, got[i]);
            tokens.Add(next);
            window.Add(next);
            if (window.Count > 16) window = tokens.TakeLast(8).ToList();
        }
    }

    [Fact]
    public void Generate_SameSeedSameTokens_AndStreams()
    {
        var model = new Gpt(new GptConfig(20, 8, 1, 2, 8), new Generator(3));
        var options = new SamplingOptions(Temperature: 0.9, TopK: 10, TopP: 0.9);
        var a = model.Generate([1, 2], 30, options, new Generator(42)).ToList();
        var b = model.Generate([1, 2], 30, options, new Generator(42)).ToList();
        Assert.Equal(a, b);
        Assert.All(a, t => Assert.InRange(t, 0, 19));
        Assert.True(model.Training, "Generate restores training mode");
        // lazily streamed: taking 3 tokens computes only those
        Assert.Equal(a.Take(3), model.Generate([1, 2], 1000, options, new Generator(42)).Take(3));
        Assert.Throws<ArgumentException>(() => model.Generate([25], 3, options, new Generator(1)));
    }

    [Fact]
    public void Sampling_TopKTopPAndTemperature()
    {
        float[] logits = [0f, 2f, 1f, -1f, 2f];
        Assert.Equal(1, Sampling.Next(logits, SamplingOptions.Greedy, new Generator(1)));   // tie → smaller id
        var g = new Generator(7);
        var counts = new int[5];
        for (int i = 0; i < 4000; i++) counts[Sampling.Next(logits, new SamplingOptions(TopK: 2), g)]++;
        Assert.Equal(0, counts[0] + counts[2] + counts[3]);
        Assert.InRange(counts[1] / 4000.0, 0.45, 0.55);
        // p = softmax: [.0826, .6103(1 and 4 share), ...]; the nucleus 0.5 keeps ids 1 and 4 only
        Array.Clear(counts);
        for (int i = 0; i < 4000; i++) counts[Sampling.Next(logits, new SamplingOptions(TopP: 0.5), g)]++;
        Assert.Equal(4000, counts[1] + counts[4]);
        // a low temperature concentrates on the top two
        Array.Clear(counts);
        for (int i = 0; i < 2000; i++) counts[Sampling.Next(logits, new SamplingOptions(Temperature: 0.05), g)]++;
        Assert.Equal(2000, counts[1] + counts[4]);
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            Sampling.Next(logits, new SamplingOptions(TopP: 0), new Generator(1)));
    }

    [Fact]
    public void Gpt_OverfitsOneBatch()
    {
        var model = new Gpt(new GptConfig(12, 8, 2, 2, 16), new Generator(5));
        var ids = Tensor.From(new long[] { 1, 5, 2, 7, 3, 3, 9, 0, 4, 4, 8, 1, 6, 2, 11, 10 }, 2, 8);
        var x = ids.Narrow(1, 0, 7);
        var y = ids.Narrow(1, 1, 7);
        var opt = new Dendrite.Nn.Optim.Adam(model.Parameters(), lr: 1e-2);
        double first = 0, last = 0;
        for (int step = 0; step < 60; step++)
        {
            var loss = Losses.CrossEntropy(model.Forward(x.Contiguous()).Reshape(-1, 12), y.Contiguous().Reshape(-1));
            if (step == 0) first = loss.Item();
            last = loss.Item();
            opt.ZeroGrad();
            loss.Backward();
            opt.Step();
        }
        Assert.True(last < 0.1 * first, $"loss {first} → {last}");
    }
}

/// <summary>GPT-2 parity files for <c>dendrite zoo verify</c> and checkpoints: metadata round trip, Hugging Face
/// key variants, clear errors.</summary>
public class GptParityTests
{
    private static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) ParityFile()
    {
        var e = TransformerFixture.Entry("gpt2", "gpt2");
        var tensors = TransformerFixture.ToStateDict(e.GetProperty("state_dict"));
        tensors.Remove("lm_head.weight");                      // Hugging Face files often leave the tied head out
        tensors[ZooParity.InputKey] = TransformerFixture.Get(e, "ids");
        tensors[ZooParity.LogitsKey] = TransformerFixture.Get(e, "logits");
        var metadata = e.GetProperty("config").EnumerateObject()
            .ToDictionary(p => p.Name, p => p.Value.GetRawText());
        metadata["model"] = "gpt2";
        metadata["activation_function"] = "gelu_new";
        return (tensors, metadata);
    }

    [Fact]
    public void ZooParity_AcceptsGpt2Files()
    {
        var (tensors, metadata) = ParityFile();
        var r = ZooParity.Verify(tensors, metadata);
        Assert.True(r.Passed, $"max relative error {r.MaxRelError}");
        Assert.Equal("gpt2", r.Model);
        // GPT2Model files carry no "transformer." prefix, and may carry the causal-mask buffers
        var bare = tensors.ToDictionary(kv => kv.Key.StartsWith("transformer.", StringComparison.Ordinal)
            ? kv.Key["transformer.".Length..] : kv.Key, kv => kv.Value);
        bare["h.0.attn.bias"] = Tensor.Ones(1, 1, 16, 16);
        Assert.True(ZooParity.Verify(bare, metadata).Passed);
        // a wrong logit fails, a wrong activation or a missing key is named
        var logits = tensors[ZooParity.LogitsKey].Clone();
        logits[0, 0, 0] += 1;
        Assert.False(ZooParity.Verify(new Dictionary<string, Tensor>(tensors) { [ZooParity.LogitsKey] = logits },
            metadata).Passed);
        var relu = new Dictionary<string, string>(metadata) { ["activation_function"] = "relu" };
        Assert.Contains("activation_function 'relu'",
            Assert.Throws<ArgumentException>(() => ZooParity.Verify(tensors, relu)).Message);
        var noHeads = new Dictionary<string, string>(metadata);
        noHeads.Remove("n_head");
        Assert.Contains("'n_head' is missing", Assert.Throws<ArgumentException>(() =>
            ZooParity.Verify(tensors, noHeads)).Message);
        var missing = new Dictionary<string, Tensor>(tensors);
        missing.Remove("transformer.h.1.mlp.c_fc.weight");
        Assert.Contains("transformer.h.1.mlp.c_fc.weight", Assert.Throws<ArgumentException>(() =>
            ZooParity.Verify(missing, metadata)).Message);
    }

    [Fact]
    public void Config_MetadataRoundTrip()
    {
        var c = new GptConfig(256, 64, 3, 4, 32, Dropout: 0.1, LayerNormEps: 1e-6, TiedHead: false);
        Assert.Equal(c, GptConfig.FromMetadata(c.ToMetadata()));
        var model = new Gpt(c, new Generator(1));
        Assert.NotSame(model.Transformer.Wte.Weight, model.LmHead.Weight);
        var copy = Gpt.FromStateDict(model.StateDict(), c.ToMetadata());
        var ids = Tensor.From(new long[] { 1, 200, 3 }, 1, 3);
        using var _ = Autograd.NoGrad();
        NnFixture.AssertClose(copy.Eval().Forward(ids), model.Eval().Forward(ids), "reloaded", atol: 0);
    }
}
