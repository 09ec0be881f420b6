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
            throw new ArgumentOutOfRangeException(nameof(numSamples),
                $"Multinomial: numSamples must be positive, got {numSamples}");
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
                    throw new ArgumentException(
                        $"Multinomial: row {r} of {s} has a negative, infinite or NaN weight {v}");
                if (v > 0) nonzero++;
            }
            if (nonzero == 0) throw new ArgumentException($"Multinomial: row {r} of {s} has no positive weight");
            if (!replacement && nonzero < numSamples)
                throw new ArgumentException(
                    $"Multinomial: row {r} of {s} has {nonzero} positive weights, fewer than {numSamples} samples " +
                    "without replacement");
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

// Bulk fills for the random creation functions: one call per tensor instead of one SetFlat per element. They draw
// exactly the values, in exactly the order, of the element-by-element calls (NextDouble, NextGaussian with its
// spare), so seeded runs and fixtures are unchanged; only the per-element dispatch is gone.
public sealed partial class Generator
{
    internal void FillUniform(Span<float> dst, double low, double high)
    {
        double width = high - low;
        for (int i = 0; i < dst.Length; i++) dst[i] = (float)(low + width * NextDouble());
    }

    internal void FillUniform(Span<double> dst, double low, double high)
    {
        double width = high - low;
        for (int i = 0; i < dst.Length; i++) dst[i] = low + width * NextDouble();
    }

    internal void FillNormal(Span<float> dst, double mean, double std)
    {
        for (int i = 0; i < dst.Length; i++) dst[i] = (float)(mean + std * NextGaussian());
    }

    internal void FillNormal(Span<double> dst, double mean, double std)
    {
        for (int i = 0; i < dst.Length; i++) dst[i] = mean + std * NextGaussian();
    }

    internal void FillBernoulli(Span<float> dst, double p)
    {
        for (int i = 0; i < dst.Length; i++) dst[i] = NextDouble() < p ? 1 : 0;
    }

    internal void FillBernoulli(Span<double> dst, double p)
    {
        for (int i = 0; i < dst.Length; i++) dst[i] = NextDouble() < p ? 1 : 0;
    }

    // Element i is 1 with probability p[i].
    internal void FillBernoulli(Span<float> dst, ReadOnlySpan<float> p)
    {
        for (int i = 0; i < dst.Length; i++) dst[i] = NextDouble() < p[i] ? 1 : 0;
    }

    internal void FillBernoulli(Span<double> dst, ReadOnlySpan<double> p)
    {
        for (int i = 0; i < dst.Length; i++) dst[i] = NextDouble() < p[i] ? 1 : 0;
    }

    internal void FillBernoulli(Span<float> dst, ReadOnlySpan<double> p)
    {
        for (int i = 0; i < dst.Length; i++) dst[i] = NextDouble() < p[i] ? 1 : 0;
    }
}
