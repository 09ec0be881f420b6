using Dendrite.Nn;

namespace Dendrite.Models;

/// <summary>How <see cref="GptClassifier"/> turns a sequence's hidden states into one vector.</summary>
public enum GptPooling
{
    /// <summary>The final hidden state of the last real token, which has attended to the whole sequence (GPT's
    /// fine-tuning, Radford et al. 2018, §3.2).</summary>
    LastToken,

    /// <summary>The mean of the final hidden states of the real tokens.</summary>
    Mean,
}

/// <summary>A sequence classifier on a GPT's body (Radford et al. 2018, §3.2): the final hidden states are pooled
/// (by default the last real token's) and go through a linear layer. Padding goes at the end of each sequence; with
/// the causal mask no real token attends to it, so no padding mask is needed.
/// ids (B, T) Int64 padded at the end, lengths (B) Int64 → logits (B, classes).</summary>
public sealed class GptClassifier : Module
{
    /// <summary>A classifier on <paramref name="gpt"/> (its language-model head is kept but unused) with a new
    /// head of <paramref name="classes"/> outputs, initialised N(0, 0.02) with zero bias as GPT-2's layers.</summary>
    public GptClassifier(Gpt gpt, int classes, Generator? g = null, GptPooling pooling = GptPooling.LastToken)
    {
        ArgumentNullException.ThrowIfNull(gpt);
        if (classes < 1) throw new ArgumentOutOfRangeException(nameof(classes), $"GptClassifier: {classes} classes");
        Gpt = gpt;
        Pooling = pooling;
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

    /// <summary>How the hidden states are pooled.</summary>
    public GptPooling Pooling { get; }

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
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(lengths);
        if (ids.Rank != 2 || ids.DType != DType.Int64)
            throw new ArgumentException($"GptClassifier: ids must be Int64 (B, T), got {ids.DType} " +
                Shapes.Format(ids.Shape));
        int b = ids.Size(0), t = ids.Size(1);
        var span = lengths.To(DType.Int64).Contiguous().AsReadOnlySpan<long>();
        if (lengths.Rank != 1 || span.Length != b)
            throw new ArgumentException($"GptClassifier: lengths {Shapes.Format(lengths.Shape)} for ids " +
                $"{Shapes.Format(ids.Shape)}: expected ({b})");
        for (int i = 0; i < b; i++)
        {
            if (span[i] < 1 || span[i] > t)
                throw new ArgumentException($"GptClassifier: length {span[i]} of sequence {i} not in [1, {t}]");
        }
        var h = Hidden(ids);                                                              // (B, T, E)
        int e = h.Size(2);
        Tensor pooled;
        if (Pooling == GptPooling.LastToken)
        {
            var last = new long[b];
            for (int i = 0; i < b; i++) last[i] = i * (long)t + span[i] - 1;
            pooled = h.Reshape(b * t, e).IndexSelect(0, Tensor.From(last, b));             // (B, E)
        }
        else
        {
            // weights 1/length on the real positions, 0 on the padding: the pooled vector is their mean
            var w = new float[b * t];
            for (int i = 0; i < b; i++)
            {
                for (int j = 0; j < span[i]; j++) w[i * t + j] = 1f / span[i];
            }
            pooled = (h * Tensor.From(w, b, t, 1)).Sum(1);                                  // (B, E)
        }
        return Head.Forward(pooled);                                                      // (B, classes)
    }
}
