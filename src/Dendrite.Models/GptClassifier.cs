using Dendrite.Nn;

namespace Dendrite.Models;

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
