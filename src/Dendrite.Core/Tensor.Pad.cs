namespace Dendrite;

/// <summary>What <see cref="Tensor.Pad(int[], PadMode, double)"/> puts in the border.</summary>
public enum PadMode
{
    /// <summary>A constant value.</summary>
    Constant,

    /// <summary>The input mirrored about its edge samples, which are not repeated: [a b c] → b [a b c] b.</summary>
    Reflect,

    /// <summary>The edge samples repeated: [a b c] → a [a b c] c.</summary>
    Replicate,

    /// <summary>The input wrapped around: [a b c] → c [a b c] a.</summary>
    Circular,
}

// Border padding for convolutions and signal processing, like torch.nn.functional.pad. Non-constant modes map
// every output position of a padded dimension to an input position and take the rows with IndexSelect, whose
// gradient (an index-add) sums the border's gradient back onto the samples it copied.
public partial class Tensor
{
    /// <summary>Pads the last pads.Length / 2 dimensions (pairs (before, after) starting from the last dimension,
    /// as F.pad). Constant mode takes any number of dimensions and negative amounts (crops); reflect, replicate
    /// and circular pad the last 1 to 3 dimensions by non-negative amounts.   dx: the border's gradient summed
    /// onto the input samples it copied</summary>
    public Tensor Pad(int[] pads, PadMode mode, double value = 0)
    {
        if (mode == PadMode.Constant) return Pad(pads.AsSpan(), value);
        string op = $"Pad({mode})";
        if (pads.Length % 2 != 0 || pads.Length == 0 || pads.Length > 6 || pads.Length / 2 > Rank)
            throw new ArgumentException(
                $"{op}: {pads.Length} amounts given for {Shapes.Format(shape)}; need pairs for 1 to 3 trailing " +
                "dimensions");
        var y = this;
        for (int i = 0; i < pads.Length / 2; i++)
        {
            int d = Rank - 1 - i, n = shape[d], before = pads[2 * i], after = pads[2 * i + 1];
            if (before < 0 || after < 0)
                throw new ArgumentException(
                    $"{op}: negative amounts {before},{after} for dimension {d} of {Shapes.Format(shape)}");
            bool tooLarge = mode switch
            {
                PadMode.Reflect => before >= n || after >= n,
                PadMode.Circular => before > n || after > n,
                _ => n == 0,
            };
            if (tooLarge)
                throw new ArgumentException(
                    $"{op}: amounts {before},{after} do not fit dimension {d} of size {n} in {Shapes.Format(shape)}");
            if (before == 0 && after == 0) continue;
            var index = new long[before + n + after];
            for (int o = 0; o < index.Length; o++) index[o] = Source(o - before, n, mode);
            y = y.IndexSelect(d, From(index));
        }
        return ReferenceEquals(y, this) ? Clone() : y;
    }

    // The input position that padded position i (in [-before, n + after)) copies.
    private static long Source(int i, int n, PadMode mode) => mode switch
    {
        PadMode.Reflect => i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i,
        PadMode.Replicate => Math.Clamp(i, 0, n - 1),
        _ => ((i % n) + n) % n,
    };
}
