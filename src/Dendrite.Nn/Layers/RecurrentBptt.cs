namespace Dendrite.Nn;

/// <summary>
/// Truncated backpropagation through time (Williams and Peng, 1990) for streams too long to unroll: cut the stream
/// into chunks of a few steps, run each chunk from the state the previous one ended in, and carry that state
/// detached (<see cref="RecurrentState.Detach"/>), so each backward pass reaches back at most one chunk while the
/// forward pass still sees the whole history.
/// <code>
/// RecurrentState? state = null;
/// foreach (var (x, y) in TruncatedBptt.Chunks(inputs, targets, 35))
/// {
///     var (h, s) = lstm.Forward(x, state);
///     state = s.Detach();
///     var loss = Losses.Mse(head.Forward(h), y); …
/// }
/// </code>
/// </summary>
public static class TruncatedBptt
{
    /// <summary>Consecutive views of <paramref name="stream"/> of <paramref name="steps"/> steps along
    /// <paramref name="timeDim"/> (0 for (T, B, ·), 1 for batch-first); the last may be shorter.</summary>
    public static IEnumerable<Tensor> Chunks(Tensor stream, int steps, int timeDim = 0)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (steps <= 0) throw new ArgumentOutOfRangeException(nameof(steps), $"TruncatedBptt: steps {steps} <= 0");
        if (timeDim < 0 || timeDim >= stream.Rank)
            throw new ArgumentOutOfRangeException(nameof(timeDim),
                $"TruncatedBptt: time dimension {timeDim} is not an axis of {Shapes.Format(stream.Shape)}");
        return Iterate(stream, steps, timeDim);
    }

    /// <summary>Inputs and targets cut at the same steps; both must have the same length along
    /// <paramref name="timeDim"/>.</summary>
    public static IEnumerable<(Tensor X, Tensor Y)> Chunks(Tensor inputs, Tensor targets, int steps, int timeDim = 0)
    {
        ArgumentNullException.ThrowIfNull(targets);
        var xs = Chunks(inputs, steps, timeDim);
        if (targets.Rank <= timeDim || targets.Shape[timeDim] != inputs.Shape[timeDim])
            throw new ArgumentException($"TruncatedBptt: inputs {Shapes.Format(inputs.Shape)} and targets " +
                $"{Shapes.Format(targets.Shape)} differ in length along dimension {timeDim}");
        return xs.Zip(Iterate(targets, steps, timeDim));
    }

    private static IEnumerable<Tensor> Iterate(Tensor stream, int steps, int timeDim)
    {
        int total = stream.Shape[timeDim];
        for (int start = 0; start < total; start += steps)
            yield return stream.Narrow(timeDim, start, Math.Min(steps, total - start));
    }
}
