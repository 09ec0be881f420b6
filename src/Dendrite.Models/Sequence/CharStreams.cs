using Dendrite.Nn;
using Dendrite.Nn.Optim;

namespace Dendrite.Models.Sequence;

/// <summary>
/// Training and evaluating a <see cref="CharLanguageModel"/> on one long text, the way char-rnn does: the text is
/// cut into B contiguous streams side by side, and each stream is read in chunks of a few dozen steps with
/// truncated backpropagation through time (the state is carried from chunk to chunk, detached), so the model sees
/// long contexts while each backward pass stays short.   text ids (N) → inputs, targets (B, N / B).
/// </summary>
public static class CharStreams
{
    /// <summary>The text's ids as <paramref name="batch"/> parallel streams: inputs x[b, t] = ids[b·L + t] and
    /// targets y[b, t] = ids[b·L + t + 1], L = (N − 1) / B (the tail that does not fill a stream is dropped).
    /// </summary>
    public static (Tensor Inputs, Tensor Targets) Split(long[] ids, int batch)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (batch <= 0) throw new ArgumentOutOfRangeException(nameof(batch), $"CharStreams: batch {batch}");
        int L = (ids.Length - 1) / batch;
        if (L < 1)
            throw new ArgumentException($"CharStreams: {ids.Length} characters cannot fill {batch} streams");
        var x = new long[batch * L];
        var y = new long[batch * L];
        for (int b = 0; b < batch; b++)
        {
            ids.AsSpan(b * L, L).CopyTo(x.AsSpan(b * L));
            ids.AsSpan(b * L + 1, L).CopyTo(y.AsSpan(b * L));
        }
        return (Tensor.From(x, batch, L), Tensor.From(y, batch, L));
    }

    /// <summary>One pass over the streams in chunks of <paramref name="bptt"/> steps (at most
    /// <paramref name="maxChunks"/> of them): forward, cross-entropy, backward, gradient norm clipped to
    /// <paramref name="clip"/>, optimizer step. Returns the mean training loss in nats per character.</summary>
    public static double TrainEpoch(CharLanguageModel model, Tensor inputs, Tensor targets, Optimizer optimizer,
        int bptt = 64, double clip = 1.0, int? maxChunks = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        model.Train();
        RecurrentState? state = null;
        double total = 0;
        int chunks = 0;
        foreach (var (x, y) in TruncatedBptt.Chunks(inputs, targets, bptt, timeDim: 1))
        {
            if (chunks == maxChunks) break;
            using var scope = TensorScope.Begin();
            optimizer.ZeroGrad();
            var (loss, next) = model.Loss(x, y, state);
            loss.Backward();
            Clip.GradNorm(model.Parameters(), clip);
            optimizer.Step();
            state = next.Detach();
            scope.Keep(state.H);
            if (state.C is not null) scope.Keep(state.C);
            total += loss.Item();
            chunks++;
        }
        return total / Math.Max(chunks, 1);
    }

    /// <summary>Mean cross-entropy in nats per character over all the streams' targets, without gradients, carrying
    /// the state across chunks. Divide by ln 2 for bits per character.</summary>
    public static double Evaluate(CharLanguageModel model, Tensor inputs, Tensor targets, int bptt = 256)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputs);
        model.Eval();
        using var _ = Autograd.NoGrad();
        RecurrentState? state = null;
        double total = 0;
        long count = 0;
        foreach (var (x, y) in TruncatedBptt.Chunks(inputs, targets, bptt, timeDim: 1))
        {
            var (loss, next) = model.Loss(x.Contiguous(), y.Contiguous(), state);
            state = next;
            total += loss.Item() * x.Numel;
            count += x.Numel;
        }
        model.Train();
        return total / count;
    }
}
