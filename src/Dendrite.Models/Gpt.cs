using Dendrite.Nn;

namespace Dendrite.Models;

// GPT: a decoder-only Transformer trained to predict the next token (Radford et al., 2018, "Improving Language
// Understanding by Generative Pre-Training"; GPT-2: Radford et al., 2019, "Language Models are Unsupervised
// Multitask Learners"). The layout is GPT-2's: pre-norm blocks (LayerNorm before attention and before the MLP), a
// final LayerNorm, learned positions, GELU (tanh form, "gelu_new"), the output projection tied to the token
// embedding. State-dict names are those Hugging Face's GPT2LMHeadModel writes (transformer.h.0.attn.c_attn.weight,
// ...), with its Conv1D layout (weights stored [in, out]), so a GPT-2 safetensors file loads as it is.
// The fixture reference is tools/make_transformer_fixtures.py, a GPT-2 written out in PyTorch.
//
// Shapes: B batch, T time (≤ Context), E embedding, H heads, hs = E/H head size, V vocabulary.

/// <summary>A GPT's sizes.</summary>
/// <param name="VocabSize">V, the number of token ids.</param>
/// <param name="Context">The longest sequence (the number of learned positions).</param>
/// <param name="Layers">Transformer blocks.</param>
/// <param name="Heads">Attention heads per block; must divide <paramref name="Embedding"/>.</param>
/// <param name="Embedding">E, the width of the residual stream.</param>
/// <param name="Dropout">Dropout on embeddings, attention weights and residual branches (GPT-2: 0.1).</param>
/// <param name="LayerNormEps">ε of every LayerNorm.</param>
/// <param name="TiedHead">The output projection is the token embedding (Press and Wolf, 2017).</param>
public sealed record GptConfig(int VocabSize, int Context, int Layers, int Heads, int Embedding,
    double Dropout = 0.0, double LayerNormEps = 1e-5, bool TiedHead = true)
{
    /// <summary>GPT-2 small: 12 layers, 12 heads, E 768, context 1024, 50257 tokens, dropout 0.1 (124M
    /// parameters).</summary>
    public static GptConfig Gpt2Small { get; } = new(50257, 1024, 12, 12, 768, Dropout: 0.1);

    /// <summary>The size of the benchmark of ../shared/reference/gpt.py: 4 layers, 4 heads, E 128, context 128,
    /// the given vocabulary.</summary>
    public static GptConfig Small(int vocabSize) => new(vocabSize, 128, 4, 4, 128);

    /// <summary>The sizes as checkpoint metadata under GPT-2's config names (vocab_size, n_positions, n_layer,
    /// n_head, n_embd, layer_norm_epsilon, activation_function gelu_new) plus dropout and tied_head.</summary>
    public Dictionary<string, string> ToMetadata() => new()
    {
        ["vocab_size"] = Invariant(VocabSize),
        ["n_positions"] = Invariant(Context),
        ["n_layer"] = Invariant(Layers),
        ["n_head"] = Invariant(Heads),
        ["n_embd"] = Invariant(Embedding),
        ["layer_norm_epsilon"] = Invariant(LayerNormEps),
        ["activation_function"] = "gelu_new",
        ["dropout"] = Invariant(Dropout),
        ["tied_head"] = TiedHead ? "true" : "false",
    };

    /// <summary>Reads the sizes that <see cref="ToMetadata"/> writes (and that GPT-2 parity files carry); a missing
    /// or malformed key is named in the error. dropout and tied_head are optional (0, true).</summary>
    public static GptConfig FromMetadata(IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        int Int(string key) => metadata.TryGetValue(key, out var s) &&
            int.TryParse(s, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture,
                out int v)
            ? v
            : throw new ArgumentException($"GPT metadata: '{key}' is missing or not an integer");
        double Real(string key, double fallback) => !metadata.TryGetValue(key, out var s)
            ? fallback
            : double.TryParse(s, System.Globalization.NumberStyles.Float,
                System.Globalization.CultureInfo.InvariantCulture, out double v)
                ? v
                : throw new ArgumentException($"GPT metadata: '{key}' = '{s}' is not a number");
        if (metadata.TryGetValue("activation_function", out var act) && act != "gelu_new")
            throw new ArgumentException($"GPT metadata: activation_function '{act}' is not supported (gelu_new is)");
        bool tied = !metadata.TryGetValue("tied_head", out var t) || t != "false";
        var config = new GptConfig(Int("vocab_size"), Int("n_positions"), Int("n_layer"), Int("n_head"), Int("n_embd"),
            Real("dropout", 0), Real("layer_norm_epsilon", 1e-5), tied);
        config.Validate();
        return config;
    }

    private static string Invariant(IFormattable value) =>
        value.ToString(null, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Checks the sizes, naming the one that is wrong.</summary>
    public void Validate()
    {
        if (VocabSize < 1 || Context < 1 || Layers < 0 || Heads < 1 || Embedding < 1)
            throw new ArgumentException($"GptConfig: sizes must be positive: {this}");
        if (Embedding % Heads != 0)
            throw new ArgumentException($"GptConfig: {Heads} heads do not divide the embedding width {Embedding}");
        if (Dropout is < 0 or >= 1)
            throw new ArgumentException($"GptConfig: dropout must be in [0, 1), got {Dropout}");
    }
}

/// <summary>GPT-2's "Conv1D": a fully connected layer whose weight is stored [in, out] (y = x·W + b).
/// x (*, in) → (*, out). Init: W ~ N(0, std), b = 0.</summary>
public sealed class GptConv1D : Module, ILayer
{
    /// <summary>A layer from <paramref name="inFeatures"/> to <paramref name="outFeatures"/>, W ~ N(0, std).</summary>
    public GptConv1D(int inFeatures, int outFeatures, double std, Generator? g)
    {
        Weight = Init.Normal([inFeatures, outFeatures], std, g);
        Bias = Init.Zeros([outFeatures]);
    }

    /// <summary>[in, out].</summary>
    public Parameter Weight { get; }

    /// <summary>[out].</summary>
    public Parameter Bias { get; }

    /// <inheritdoc/>
    public Tensor Forward(Tensor x)
    {
        int inF = Weight.Size(0), outF = Weight.Size(1);
        if (x.Rank == 0 || x.Size(-1) != inF)
            throw new ArgumentException($"GptConv1D: input {Shapes.Format(x.Shape)} has " +
                $"{(x.Rank == 0 ? 0 : x.Size(-1))} features, the layer expects {inF}");
        int[] outShape = [.. x.Shape[..^1], outF];
        // Flattened to one matrix so the product is a single GEMM with the bias accumulated by it; the weight enters
        // as a transposed view, which Linear reads in place.
        return x.Reshape(-1, inF).Linear(Weight.T, Bias).Reshape(outShape);
    }
}

/// <summary>Keys and values of every layer for the positions seen so far, so that generating one more token costs
/// one position's work instead of the whole sequence's. The buffers are allocated once (B, H, Context, hs) and
/// written in place.</summary>
public sealed class KvCache
{
    /// <summary>An empty cache for <paramref name="config"/> and <paramref name="batch"/> sequences.</summary>
    public KvCache(GptConfig config, int batch = 1)
    {
        ArgumentNullException.ThrowIfNull(config);
        int hs = config.Embedding / config.Heads;
        Keys = new Tensor[config.Layers];
        Values = new Tensor[config.Layers];
        for (int i = 0; i < config.Layers; i++)
        {
            Keys[i] = TensorScope.Outside(() => Tensor.Zeros(batch, config.Heads, config.Context, hs));
            Values[i] = TensorScope.Outside(() => Tensor.Zeros(batch, config.Heads, config.Context, hs));
        }
        Batch = batch;
        Capacity = config.Context;
    }

    /// <summary>Keys per layer, (B, H, Context, hs); the first <see cref="Length"/> positions are filled.</summary>
    public Tensor[] Keys { get; }

    /// <summary>Values per layer, (B, H, Context, hs).</summary>
    public Tensor[] Values { get; }

    /// <summary>Sequences in the batch.</summary>
    public int Batch { get; }

    /// <summary>Positions the cache can hold (the model's context).</summary>
    public int Capacity { get; }

    /// <summary>Positions filled.</summary>
    public int Length { get; internal set; }

    /// <summary>Forgets every position (the buffers are reused).</summary>
    public void Clear() => Length = 0;
}

/// <summary>Causal multi-head self-attention in GPT-2's fused layout: one projection to q, k, v (c_attn, [E, 3E]),
/// one back (c_proj).   x (B, T, E) → (B, T, E)</summary>
public sealed class GptAttention : Module
{
    private readonly int heads;
    private readonly double dropout;
    private readonly Generator? generator;

    /// <summary>The projections of a block of <paramref name="config"/>; c_proj gets GPT-2's scaled init
    /// 0.02/√(2·layers), so the residual stream's variance does not grow with depth.</summary>
    public GptAttention(GptConfig config, Generator? g)
    {
        ArgumentNullException.ThrowIfNull(config);
        int e = config.Embedding;
        heads = config.Heads;
        dropout = config.Dropout;
        CAttn = new GptConv1D(e, 3 * e, 0.02, g);
        CProj = new GptConv1D(e, e, 0.02 / Math.Sqrt(2 * Math.Max(1, config.Layers)), g);
        ResidDropout = new Dropout(config.Dropout, g);
        generator = g;
    }

    /// <summary>x → q, k, v: weight [E, 3E].</summary>
    public GptConv1D CAttn { get; }

    /// <summary>The output projection: weight [E, E].</summary>
    public GptConv1D CProj { get; }

    /// <summary>Dropout on the output.</summary>
    public Dropout ResidDropout { get; }

    /// <summary>The attention weights of the last forward, (B, H, T, S), kept when <see cref="KeepWeights"/> is
    /// set (for plotting attention maps).</summary>
    public Tensor? LastWeights { get; private set; }

    /// <summary>Keep the attention weights of each forward in <see cref="LastWeights"/>.</summary>
    public bool KeepWeights { get; set; }

    /// <summary>Attention over x (and, with a cache, over the positions before it).
    /// x (B, T, E) → (B, T, E)</summary>
    public Tensor Forward(Tensor x, KvCache? cache = null, int layer = 0)
    {
        int b = x.Size(0), t = x.Size(1), e = x.Size(2), hs = e / heads;
        var qkv = CAttn.Forward(x);                                                  // (B, T, 3E)
        var q = qkv.Narrow(2, 0, e).Reshape(b, t, heads, hs).Transpose(1, 2);        // (B, H, T, hs)
        var k = qkv.Narrow(2, e, e).Reshape(b, t, heads, hs).Transpose(1, 2);
        var v = qkv.Narrow(2, 2 * e, e).Reshape(b, t, heads, hs).Transpose(1, 2);
        if (cache is not null)
        {
            int start = cache.Length;
            using (Autograd.NoGrad())
            {
                cache.Keys[layer].Narrow(2, start, t).CopyFrom(k);
                cache.Values[layer].Narrow(2, start, t).CopyFrom(v);
            }
            k = cache.Keys[layer].Narrow(2, 0, start + t);                              // (B, H, S, hs)
            v = cache.Values[layer].Narrow(2, 0, start + t);
        }
        double p = Training ? dropout : 0;
        var y = Attention.ScaledDotProduct(q, k, v, out var weights, causal: true, dropout: p,
            generator: generator);                                                    // (B, H, T, hs)
        LastWeights = KeepWeights ? weights : null;
        y = y.Transpose(1, 2).Reshape(b, t, e);                                       // (B, T, E)
        return ResidDropout.Call(CProj.Forward(y));
    }
}

/// <summary>The position-wise MLP: E → 4E → GELU (tanh) → E.</summary>
public sealed class GptMlp : Module, ILayer
{
    /// <summary>The two layers of a block of <paramref name="config"/>.</summary>
    public GptMlp(GptConfig config, Generator? g)
    {
        ArgumentNullException.ThrowIfNull(config);
        int e = config.Embedding;
        CFc = new GptConv1D(e, 4 * e, 0.02, g);
        CProj = new GptConv1D(4 * e, e, 0.02 / Math.Sqrt(2 * Math.Max(1, config.Layers)), g);
        Dropout = new Dropout(config.Dropout, g);
    }

    /// <summary>E → 4E.</summary>
    public GptConv1D CFc { get; }

    /// <summary>4E → E.</summary>
    public GptConv1D CProj { get; }

    /// <summary>Dropout on the output.</summary>
    public Dropout Dropout { get; }

    /// <inheritdoc/>
    public Tensor Forward(Tensor x) =>
        Dropout.Call(CProj.Forward(Functional.Gelu(CFc.Forward(x), tanh: true)));    // (B, T, E)
}

/// <summary>A pre-norm Transformer block: x + attn(ln_1(x)), then + mlp(ln_2(x)).</summary>
public sealed class GptBlock : Module
{
    /// <summary>A block of <paramref name="config"/>.</summary>
    public GptBlock(GptConfig config, Generator? g)
    {
        ArgumentNullException.ThrowIfNull(config);
        Ln1 = new LayerNorm(config.Embedding, config.LayerNormEps);
        Attn = new GptAttention(config, g);
        Ln2 = new LayerNorm(config.Embedding, config.LayerNormEps);
        Mlp = new GptMlp(config, g);
    }

    /// <summary>LayerNorm before attention.</summary>
    [StateName("ln_1")]
    public LayerNorm Ln1 { get; }

    /// <summary>Causal self-attention.</summary>
    public GptAttention Attn { get; }

    /// <summary>LayerNorm before the MLP.</summary>
    [StateName("ln_2")]
    public LayerNorm Ln2 { get; }

    /// <summary>The MLP.</summary>
    public GptMlp Mlp { get; }

    /// <summary>x (B, T, E) → (B, T, E).</summary>
    public Tensor Forward(Tensor x, KvCache? cache = null, int layer = 0)
    {
        x = x + Attn.Forward(Ln1.Call(x), cache, layer);
        return x + Mlp.Call(Ln2.Call(x));
    }
}

/// <summary>The body (GPT-2's "transformer"): token and position embeddings, the blocks, the final LayerNorm.
/// </summary>
public sealed class GptBody : Module
{
    /// <summary>The body of <paramref name="config"/>.</summary>
    public GptBody(GptConfig config, Generator? g)
    {
        ArgumentNullException.ThrowIfNull(config);
        Wte = new Embedding(config.VocabSize, config.Embedding);
        Wpe = new Embedding(config.Context, config.Embedding);
        using (Autograd.NoGrad())
        {
            Wte.Weight.CopyFrom(Tensor.Randn([config.VocabSize, config.Embedding], g) * 0.02);  // GPT-2's init
            Wpe.Weight.CopyFrom(Tensor.Randn([config.Context, config.Embedding], g) * 0.01);
        }
        Drop = new Dropout(config.Dropout, g);
        H = [.. Enumerable.Range(0, config.Layers).Select(_ => new GptBlock(config, g))];
        LnF = new LayerNorm(config.Embedding, config.LayerNormEps);
    }

    /// <summary>Token embedding [V, E].</summary>
    public Embedding Wte { get; }

    /// <summary>Position embedding [Context, E].</summary>
    public Embedding Wpe { get; }

    /// <summary>Dropout on the summed embeddings.</summary>
    public Dropout Drop { get; }

    /// <summary>The blocks, h.0 … h.{L-1}.</summary>
    public IReadOnlyList<GptBlock> H { get; }

    /// <summary>The final LayerNorm.</summary>
    public LayerNorm LnF { get; }
}

/// <summary>The output projection to the vocabulary, [V, E]: the token embedding itself when tied.</summary>
public sealed class GptHead(Parameter weight) : Module
{
    /// <summary>[V, E].</summary>
    public Parameter Weight { get; } = weight;
}

/// <summary>A GPT language model.   ids (B, T) Int64 → logits (B, T, V)</summary>
public sealed class Gpt : Module
{
    /// <summary>A model of <paramref name="config"/>, initialised as GPT-2 is (N(0, 0.02), the residual projections
    /// scaled by 1/√(2·layers)), from <paramref name="g"/> (the default generator when null).</summary>
    public Gpt(GptConfig config, Generator? g = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        Transformer = new GptBody(config, g);
        LmHead = new GptHead(config.TiedHead
            ? Transformer.Wte.Weight
            : Init.Normal([config.VocabSize, config.Embedding], 0.02, g));
    }

    /// <summary>The sizes.</summary>
    public GptConfig Config { get; }

    /// <summary>Embeddings, blocks and the final LayerNorm.</summary>
    public GptBody Transformer { get; }

    /// <summary>The output projection (tied to transformer.wte when <see cref="GptConfig.TiedHead"/>).</summary>
    public GptHead LmHead { get; }

    /// <summary>Builds a model from checkpoint metadata (<see cref="GptConfig.FromMetadata"/>) and loads
    /// <paramref name="tensors"/> strictly by GPT-2's names. Accepted as Hugging Face writes them: keys without the
    /// "transformer." prefix (GPT2Model files), lm_head.weight absent when the head is tied, and the causal-mask
    /// buffers attn.bias / attn.masked_bias (ignored). Other keys that are not model state (those starting with
    /// "__") are ignored too.</summary>
    public static Gpt FromStateDict(IReadOnlyDictionary<string, Tensor> tensors,
        IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var config = GptConfig.FromMetadata(metadata);
        var model = new Gpt(config, new Generator(0));
        bool prefixed = tensors.Keys.Any(k => k.StartsWith("transformer.", StringComparison.Ordinal));
        var state = new Dictionary<string, Tensor>();
        foreach (var (key, value) in tensors)
        {
            if (key.StartsWith("__", StringComparison.Ordinal)) continue;
            if (key.EndsWith(".attn.bias", StringComparison.Ordinal) ||
                key.EndsWith(".attn.masked_bias", StringComparison.Ordinal))
                continue;
            string name = prefixed || key.StartsWith("lm_head.", StringComparison.Ordinal) ? key : "transformer." + key;
            state[name] = value.DType == DType.Float32 ? value : value.To(DType.Float32);
        }
        if (config.TiedHead && !state.ContainsKey("lm_head.weight") &&
            state.TryGetValue("transformer.wte.weight", out var wte))
            state["lm_head.weight"] = wte;
        var result = model.LoadStateDict(state, strict: false);
        if (!result.IsExact)
            throw new ArgumentException($"GPT state dict does not match {config}: missing " +
                $"[{string.Join(", ", result.MissingKeys.Take(8))}], unexpected " +
                $"[{string.Join(", ", result.UnexpectedKeys.Take(8))}]");
        return model;
    }

    /// <summary>Next-token logits for every position.   ids (B, T) Int64, T ≤ Context → (B, T, V)</summary>
    public Tensor Forward(Tensor ids) => Forward(ids, null);

    /// <summary>As <see cref="Forward(Tensor)"/>, for positions that continue those in <paramref name="cache"/>
    /// (which is then extended by T). Without a cache the positions start at 0.</summary>
    public Tensor Forward(Tensor ids, KvCache? cache)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Rank != 2 || ids.DType != DType.Int64)
            throw new ArgumentException($"Gpt: ids must be Int64 (B, T), got {ids.DType} {Shapes.Format(ids.Shape)}");
        int b = ids.Size(0), t = ids.Size(1), start = cache?.Length ?? 0;
        if (t == 0) throw new ArgumentException("Gpt: ids (B, T) need T ≥ 1");
        if (start + t > Config.Context)
            throw new ArgumentException($"Gpt: {start + t} positions ({start} cached + {t} new) exceed the " +
                $"context of {Config.Context}");
        if (cache is not null && cache.Batch != b)
            throw new ArgumentException($"Gpt: the cache holds {cache.Batch} sequences, ids are " +
                Shapes.Format(ids.Shape));
        var tok = Transformer.Wte.Call(ids);                                      // (B, T, E)
        var pos = Transformer.Wpe.Weight.Narrow(0, start, t);                     // (T, E)
        var x = Transformer.Drop.Call(tok + pos);
        for (int i = 0; i < Transformer.H.Count; i++) x = Transformer.H[i].Forward(x, cache, i);
        if (cache is not null) cache.Length = start + t;
        x = Transformer.LnF.Call(x);
        return x.Linear(LmHead.Weight);                                          // (B, T, V)
    }

    /// <summary>Continues <paramref name="prompt"/> by up to <paramref name="maxTokens"/> tokens, yielding each as
    /// soon as it is drawn. Runs in evaluation mode without gradients, with a key/value cache written in place:
    /// each new token costs one position. When the context is full, the cache is refilled from the last half
    /// context of tokens. The same <paramref name="g"/> seed gives the same tokens.</summary>
    public IEnumerable<int> Generate(IReadOnlyList<int> prompt, int maxTokens, SamplingOptions options, Generator g)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(g);
        options.Validate();
        if (prompt.Count == 0) throw new ArgumentException("Gpt.Generate: the prompt needs at least one token");
        if (maxTokens < 0) throw new ArgumentOutOfRangeException(nameof(maxTokens), "Gpt.Generate: maxTokens < 0");
        foreach (int id in prompt)
        {
            if (id < 0 || id >= Config.VocabSize)
                throw new ArgumentException($"Gpt.Generate: token {id} is outside the vocabulary of " +
                    $"{Config.VocabSize}");
        }
        return GenerateIterator(prompt, maxTokens, options, g);
    }

    private IEnumerable<int> GenerateIterator(IReadOnlyList<int> prompt, int maxTokens, SamplingOptions options,
        Generator g)
    {
        var tokens = new List<int>(prompt);
        var cache = new KvCache(Config);
        float[] last = new float[Config.VocabSize];
        int window = Math.Min(tokens.Count, Config.Context);
        Step(tokens.Skip(tokens.Count - window), cache, last);
        for (int n = 0; n < maxTokens; n++)
        {
            int next = Sampling.Next(last, options, g);
            yield return next;
            tokens.Add(next);
            if (n == maxTokens - 1) break;
            if (cache.Length == Config.Context)
            {
                cache.Clear();
                int keep = Math.Max(1, Config.Context / 2);
                Step(tokens.Skip(tokens.Count - keep), cache, last);
            }
            else Step([next], cache, last);
        }
    }

    // One forward of the given ids through the cache, in evaluation mode; the last position's logits go to `last`.
    private void Step(IEnumerable<int> ids, KvCache cache, float[] last)
    {
        long[] data = [.. ids.Select(i => (long)i)];
        bool wasTraining = Training;
        if (wasTraining) this.Eval();
        try
        {
            using var scope = TensorScope.Begin();
            using var _ = Autograd.NoGrad();
            var x = Tensor.From(data, 1, data.Length);
            var logits = Forward(x, cache);                                      // (1, t, V)
            logits.Select(1, logits.Size(1) - 1).Reshape(-1).Contiguous().AsReadOnlySpan<float>().CopyTo(last);
        }
        finally
        {
            if (wasTraining) this.Train();
        }
    }
}
