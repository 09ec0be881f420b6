using System.Globalization;
using Dendrite.Nn;

namespace Dendrite.Models;

// A GPT checkpoint is a safetensors file of the model's state dict (GPT-2's names) whose metadata says how to
// rebuild it: generator=gpt (so `dendrite generate` knows it), the sizes under GPT-2's config names (n_layer,
// n_head, n_embd, n_positions, vocab_size, layer_norm_epsilon) and, written by whoever trained it, the tokenizer
// (tokenizer=bytes|chars|bpe|gpt2 plus its vocabulary, see Dendrite.Data.Tokenizers).

/// <summary>GPT sizes to and from checkpoint metadata, and a model rebuilt from a checkpoint.</summary>
public static class GptCheckpoint
{
    /// <summary>The value of the <c>generator</c> metadata key of a GPT checkpoint.</summary>
    public const string Kind = "gpt";

    /// <summary>The metadata that rebuilds a model of <paramref name="config"/>.</summary>
    public static Dictionary<string, string> Metadata(GptConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        string I(int v) => v.ToString(CultureInfo.InvariantCulture);
        return new Dictionary<string, string>
        {
            ["generator"] = Kind,
            ["n_layer"] = I(config.Layers),
            ["n_head"] = I(config.Heads),
            ["n_embd"] = I(config.Embedding),
            ["n_positions"] = I(config.Context),
            ["vocab_size"] = I(config.VocabSize),
            ["layer_norm_epsilon"] = config.LayerNormEps.ToString("R", CultureInfo.InvariantCulture),
            ["tied_head"] = config.TiedHead ? "true" : "false",
        };
    }

    /// <summary>The sizes that <see cref="Metadata"/> wrote (dropout 0: a loaded model is for inference or
    /// fine-tuning, which sets its own). Throws naming the missing or malformed key.</summary>
    public static GptConfig Config(IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        string Get(string key) => metadata.TryGetValue(key, out var v)
            ? v
            : throw new ArgumentException($"gpt checkpoint: the metadata has no '{key}' key");
        int Int(string key) => int.TryParse(Get(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v)
            ? v
            : throw new ArgumentException($"gpt checkpoint: metadata '{key}' = '{Get(key)}' is not an integer");
        double eps = metadata.TryGetValue("layer_norm_epsilon", out var e)
            ? double.Parse(e, CultureInfo.InvariantCulture)
            : 1e-5;
        bool tied = !metadata.TryGetValue("tied_head", out var t) || t == "true";
        var config = new GptConfig(Int("vocab_size"), Int("n_positions"), Int("n_layer"), Int("n_head"),
            Int("n_embd"), LayerNormEps: eps, TiedHead: tied);
        config.Validate();
        return config;
    }

    /// <summary>A model of the checkpoint's sizes holding its weights (every name and shape checked before any is
    /// copied).</summary>
    public static Gpt Load(IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var model = new Gpt(Config(metadata), new Generator(0));
        model.LoadStateDict(tensors);
        return model;
    }
}

/// <summary>A sequence classifier on a GPT's body (Radford et al. 2018, §3.2): the final hidden state of each
/// sequence's last real token, which has attended to the whole sequence, goes through a linear layer.
/// ids (B, T) Int64 padded at the end, lengths (B) Int64 → logits (B, classes).</summary>
public sealed class GptClassifier : Module
{
    /// <summary>A classifier on <paramref name="gpt"/> (its language-model head is kept but unused) with a new
    /// head of <paramref name="classes"/> outputs.</summary>
    public GptClassifier(Gpt gpt, int classes, Generator? g = null)
    {
        ArgumentNullException.ThrowIfNull(gpt);
        Gpt = gpt;
        Head = new Linear(gpt.Config.Embedding, classes);
        using (Autograd.NoGrad())
        {
            Head.Weight.CopyFrom(Tensor.Randn([classes, gpt.Config.Embedding], g) * 0.02);  // GPT-2's init
            Head.Bias!.CopyFrom(Tensor.Zeros([classes]));
        }
    }

    /// <summary>The pre-trained (or fresh) body.</summary>
    public Gpt Gpt { get; }

    /// <summary>The classification head [classes, E].</summary>
    public Linear Head { get; }

    /// <summary>Final hidden states.   ids (B, T) → (B, T, E)</summary>
    public Tensor Hidden(Tensor ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var body = Gpt.Transformer;
        int t = ids.Size(1);
        if (t > Gpt.Config.Context)
            throw new ArgumentException($"GptClassifier: {t} positions exceed the context of {Gpt.Config.Context}");
        var x = body.Drop.Call(body.Wte.Call(ids) + body.Wpe.Weight.Narrow(0, 0, t));  // (B, T, E)
        foreach (var block in body.H) x = block.Forward(x);
        return body.LnF.Call(x);
    }

    /// <summary>Class logits.   ids (B, T), lengths (B) → (B, classes)</summary>
    public Tensor Forward(Tensor ids, Tensor lengths)
    {
        ArgumentNullException.ThrowIfNull(lengths);
        var h = Hidden(ids);
        int b = h.Size(0), t = h.Size(1), e = h.Size(2);
        var last = new long[b];
        var span = lengths.Contiguous().AsReadOnlySpan<long>();
        if (span.Length != b)
            throw new ArgumentException($"GptClassifier: {span.Length} lengths for a batch of {b}");
        for (int i = 0; i < b; i++)
        {
            if (span[i] < 1 || span[i] > t)
                throw new ArgumentException($"GptClassifier: length {span[i]} of sequence {i} not in [1, {t}]");
            last[i] = i * (long)t + span[i] - 1;
        }
        var pooled = h.Reshape(b * t, e).IndexSelect(0, Tensor.From(last, b));            // (B, E)
        return Head.Forward(pooled);                                                      // (B, classes)
    }
}
