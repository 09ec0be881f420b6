namespace Dendrite;

// Sampling from categorical distributions (language-model decoding, weighted sampling of data).
public partial class Tensor
{
    /// <summary>Draws <paramref name="numSamples"/> category indices (Int64) per row of non-negative
    /// <paramref name="probabilities"/> ([n] or [rows, n]; weights need not sum to 1), with or without
    /// replacement, from <paramref name="generator"/> (the default one when null). Without replacement a drawn
    /// category's weight drops to zero for the rest of its row.   Result: [numSamples] or [rows, numSamples]</summary>
    public static Tensor Multinomial(Tensor probabilities, int numSamples, bool replacement = false,
        Generator? generator = null)
    {
        var p = probabilities;
        string s = Shapes.Format(p.shape);
        if (p.Rank is < 1 or > 2)
            throw new ArgumentException($"Multinomial: probabilities must be [n] or [rows, n], got {s}");
        if (!p.DType.IsFloating())
            throw new ArgumentException($"Multinomial: probabilities must be floating point, got {p.DType}");
        int n = p.shape[^1], rows = p.Rank == 2 ? p.shape[0] : 1;
        if (numSamples <= 0)
            throw new ArgumentOutOfRangeException(nameof(numSamples), $"Multinomial: numSamples must be positive, got {numSamples}");
        if (!replacement && numSamples > n)
            throw new ArgumentException(
                $"Multinomial: cannot draw {numSamples} samples without replacement from {n} categories in {s}");
        var g = generator ?? Generator.Default;
        double[] w = p.ToArray<double>();
        var y = Empty(DType.Int64, p.Rank == 2 ? [rows, numSamples] : [numSamples]);
        var ys = y.Span<long>();
        var cdf = new double[n];
        for (int r = 0; r < rows; r++)
        {
            var row = w.AsSpan(r * n, n);
            int nonzero = 0;
            foreach (double v in row)
            {
                if (!(v >= 0) || double.IsInfinity(v))
                    throw new ArgumentException($"Multinomial: row {r} of {s} has a negative, infinite or NaN weight {v}");
                if (v > 0) nonzero++;
            }
            if (nonzero == 0) throw new ArgumentException($"Multinomial: row {r} of {s} has no positive weight");
            if (!replacement && nonzero < numSamples)
                throw new ArgumentException(
                    $"Multinomial: row {r} of {s} has {nonzero} positive weights, fewer than {numSamples} samples without replacement");
            for (int k = 0; k < numSamples; k++)
            {
                if (k == 0 || !replacement) Cumulative(row, cdf);
                int pick = Draw(cdf, g.NextDouble() * cdf[^1]);
                ys[r * numSamples + k] = pick;
                if (!replacement) row[pick] = 0;
            }
        }
        return y;
    }

    private static void Cumulative(ReadOnlySpan<double> w, double[] cdf)
    {
        double acc = 0;
        for (int i = 0; i < w.Length; i++) cdf[i] = acc += w[i];
    }

    // The first category whose cumulative weight exceeds u (categories of weight zero are never picked).
    private static int Draw(double[] cdf, double u)
    {
        int lo = 0, hi = cdf.Length - 1;
        while (lo < hi)
        {
            int mid = (lo + hi) >> 1;
            if (cdf[mid] > u) hi = mid;
            else lo = mid + 1;
        }
        return lo;
    }
}
