namespace Dendrite;

/// <summary>
/// Descriptive statistics of a sample, following PyTorch's definitions: <see cref="Median"/> is the lower of the
/// two middle values for an even count (torch.median), <see cref="Quantile"/> interpolates linearly between order
/// statistics (torch.quantile's default), <see cref="Mode"/> picks the smallest of equally frequent values,
/// <see cref="Histogram"/> counts like torch.histc, and <see cref="Covariance"/> / <see cref="Correlation"/> take
/// variables in rows and observations in columns (torch.cov, torch.corrcoef). Whole-tensor statistics flatten
/// their input and return a double.
/// </summary>
public static class Statistics
{
    /// <summary>The arithmetic mean of all elements.</summary>
    public static double Mean(Tensor x) => Values("Mean", x).Average();

    /// <summary>Σ(x − x̄)² / (n − correction); correction 1 is the unbiased sample variance, 0 the population
    /// one.</summary>
    public static double Variance(Tensor x, int correction = 1)
    {
        double[] v = Values("Variance", x);
        if (v.Length - correction <= 0)
            throw new ArgumentException($"Variance: {v.Length} values with correction {correction}");
        double mean = v.Average(), ss = 0;
        foreach (double a in v) ss += (a - mean) * (a - mean);
        return ss / (v.Length - correction);
    }

    /// <summary>√<see cref="Variance"/>.</summary>
    public static double StandardDeviation(Tensor x, int correction = 1) => Math.Sqrt(Variance(x, correction));

    /// <summary>The lower median: the ⌊(n − 1)/2⌋-th smallest value (torch.median).</summary>
    public static double Median(Tensor x)
    {
        double[] v = Sorted("Median", x);
        return v[(v.Length - 1) / 2];
    }

    /// <summary>The most frequent value; the smallest of them on ties.</summary>
    public static double Mode(Tensor x)
    {
        double[] v = Sorted("Mode", x);
        double best = v[0];
        int bestCount = 0;
        for (int i = 0; i < v.Length;)
        {
            int j = i;
            while (j < v.Length && v[j] == v[i]) j++;
            if (j - i > bestCount)
            {
                bestCount = j - i;
                best = v[i];
            }
            i = j;
        }
        return best;
    }

    /// <summary>The q-quantile by linear interpolation: with h = q(n − 1), x₍⌊h⌋₎ + (h − ⌊h⌋)(x₍⌊h⌋+1₎ −
    /// x₍⌊h⌋₎).</summary>
    public static double Quantile(Tensor x, double q) => Quantiles(x, [q])[0];

    /// <summary><see cref="Quantile"/> for several q in [0, 1], sorting once.</summary>
    public static double[] Quantiles(Tensor x, IReadOnlyList<double> q)
    {
        double[] v = Sorted("Quantile", x);
        var result = new double[q.Count];
        for (int i = 0; i < q.Count; i++)
        {
            if (!(q[i] is >= 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(q), $"Quantile: q must be in " +
                $"[0, 1], got {q[i]}");
            double h = q[i] * (v.Length - 1);
            int lo = (int)Math.Floor(h), hi = Math.Min(lo + 1, v.Length - 1);
            result[i] = v[lo] + (h - lo) * (v[hi] - v[lo]);
        }
        return result;
    }

    /// <summary>Counts in <paramref name="bins"/> equal-width bins over [min, max] (the last bin includes max;
    /// values outside are ignored). With min = max (the default) the range is the data's own (torch.histc).
    /// Returns the counts and the bins + 1 edges.</summary>
    public static (long[] Counts, double[] Edges) Histogram(Tensor x, int bins = 100, double min = 0, double max = 0)
    {
        if (bins < 1) throw new ArgumentOutOfRangeException(nameof(bins), $"Histogram: bins must be >= 1, got {bins}");
        double[] v = Values("Histogram", x);
        if (min == max)
        {
            min = v.Min();
            max = v.Max();
        }
        if (min == max)
        {
            min -= 1;
            max += 1;
        }
        if (!(min < max)) throw new ArgumentException($"Histogram: min {min} is greater than max {max}");
        var counts = new long[bins];
        double width = (max - min) / bins;
        foreach (double a in v)
        {
            if (!(a >= min && a <= max)) continue;
            int b = (int)((a - min) / width);
            counts[Math.Min(b, bins - 1)]++;
        }
        var edges = new double[bins + 1];
        for (int i = 0; i <= bins; i++) edges[i] = min + i * width;
        return (counts, edges);
    }

    /// <summary>The covariance matrix of variables in rows and observations in columns (torch.cov).
    /// x: (vars, n) or (n) → (vars, vars) or a scalar, float64</summary>
    public static Tensor Covariance(Tensor x, int correction = 1)
    {
        var (data, rows, n) = Matrix("Covariance", x);
        if (n - correction <= 0) throw new ArgumentException($"Covariance: {n} observations with correction " +
            $"{correction}");
        var mean = new double[rows];
        for (int r = 0; r < rows; r++) mean[r] = data.AsSpan(r * n, n).ToArray().Average();
        var c = new double[rows * rows];
        for (int a = 0; a < rows; a++)
        {
            for (int b = a; b < rows; b++)
            {
                double s = 0;
                for (int i = 0; i < n; i++) s += (data[a * n + i] - mean[a]) * (data[b * n + i] - mean[b]);
                c[a * rows + b] = c[b * rows + a] = s / (n - correction);
            }
        }
        return x.Rank == 1 ? Tensor.Scalar(c[0], DType.Float64) : Tensor.From(c, rows, rows);
    }

    /// <summary>Pearson correlation coefficients of variables in rows (torch.corrcoef), clipped to [−1, 1].
    /// x: (vars, n) → (vars, vars), float64</summary>
    public static Tensor Correlation(Tensor x)
    {
        var cov = Covariance(x).ToArray<double>();
        int rows = (int)Math.Round(Math.Sqrt(cov.Length));
        var r = new double[cov.Length];
        for (int a = 0; a < rows; a++)
        {
            for (int b = 0; b < rows; b++)
                r[a * rows + b] = Math.Clamp(cov[a * rows + b] / Math.Sqrt(cov[a * rows + a] * cov[b * rows + b]),
                    -1, 1);
        }
        return x.Rank == 1 ? Tensor.Scalar(r[0], DType.Float64) : Tensor.From(r, rows, rows);
    }

    /// <summary>Pearson's r between two samples of equal length.</summary>
    public static double Pearson(Tensor a, Tensor b)
    {
        double[] x = Values("Pearson", a), y = Values("Pearson", b);
        if (x.Length != y.Length)
            throw new ArgumentException($"Pearson: samples of {Shapes.Format(a.Shape)} and {Shapes.Format(b.Shape)} " +
                $"differ in length");
        return Correlation(Tensor.Stack([Tensor.From(x, x.Length), Tensor.From(y, y.Length)])).ToArray<double>()[1];
    }

    /// <summary>The Kolmogorov–Smirnov distance sup |Fₙ(x) − F(x)| between the sample's empirical cdf and
    /// <paramref name="cdf"/> (the statistic of scipy.stats.kstest).</summary>
    public static double KolmogorovSmirnov(Tensor x, Func<double, double> cdf)
    {
        double[] v = Sorted("KolmogorovSmirnov", x);
        double d = 0;
        int n = v.Length;
        for (int i = 0; i < n; i++)
        {
            double f = cdf(v[i]);
            d = Math.Max(d, Math.Max((i + 1.0) / n - f, f - (double)i / n));
        }
        return d;
    }

    /// <summary>The standard normal cdf Φ(x) = ½(1 + erf(x/√2)).</summary>
    public static double NormalCdf(double x) => 0.5 * (1 + Tensor.ErfScalar(x / Math.Sqrt(2)));

    private static double[] Values(string op, Tensor x)
    {
        if (x.Numel == 0) throw new ArgumentException($"{op}: the tensor {Shapes.Format(x.Shape)} is empty");
        using var _ = Autograd.NoGrad();
        var v = x.Detach().ToArray<double>();
        if (v.Any(double.IsNaN)) throw new ArgumentException($"{op}: the tensor {Shapes.Format(x.Shape)} holds NaN");
        return v;
    }

    private static double[] Sorted(string op, Tensor x)
    {
        var v = Values(op, x);
        Array.Sort(v);
        return v;
    }

    private static (double[] Data, int Rows, int N) Matrix(string op, Tensor x)
    {
        if (x.Rank is < 1 or > 2)
            throw new ArgumentException($"{op}: expects (vars, observations) or (observations), got " +
                $"{Shapes.Format(x.Shape)}");
        var v = Values(op, x);
        return x.Rank == 1 ? (v, 1, v.Length) : (v, x.Shape[0], x.Shape[1]);
    }
}
