namespace Dendrite.Distributions;

/// <summary>Bernoulli(p): P(X = 1) = p, P(X = 0) = 1 − p.</summary>
public sealed class Bernoulli : Distribution, ICumulative
{
    /// <summary>Bernoulli with a tensor of probabilities in [0, 1].</summary>
    public Bernoulli(Tensor probs)
    {
        DType = CommonType("Bernoulli", probs);
        Require("Bernoulli", "probs", probs, p => p is >= 0 and <= 1, "in [0, 1]");
        Probs = Cast(probs);
        BatchShape = [.. probs.Shape];
    }

    /// <summary>Bernoulli(p) as a float32 scalar.</summary>
    public Bernoulli(double probs) : this(Param(probs)) { }

    /// <summary>p.</summary>
    public Tensor Probs { get; }

    /// <summary>p.</summary>
    public override Tensor Mean => Probs;

    /// <summary>p(1 − p).</summary>
    public override Tensor Variance => Probs * (1 - Probs);

    /// <summary>−p log p − (1 − p) log(1 − p).</summary>
    public override Tensor Entropy() => -(XLogX(Probs) + XLogX(1 - Probs));

    /// <summary>x log p + (1 − x) log(1 − p) for x ∈ {0, 1}.</summary>
    public override Tensor LogProb(Tensor value)
    {
        var v = Cast(value);
        var logP = XLogY(v, Probs) + XLogY(1 - v, 1 - Probs);
        return Support(v.Eq(0).Or(v.Eq(1)), logP);
    }

    /// <summary>0 below 0, 1 − p on [0, 1), 1 from 1 on.</summary>
    public Tensor Cdf(Tensor value)
    {
        var v = Cast(value);
        var one = Tensor.Scalar(1, DType);
        return Tensor.Where(v.Lt(0), Tensor.Scalar(0, DType), Tensor.Where(v.Lt(1), 1 - Probs, one));
    }

    /// <inheritdoc/>
    public override Tensor Sample(ReadOnlySpan<int> sampleShape, Generator? generator = null)
    {
        var g = generator ?? Generator.Default;
        int[] shape = ExtendedShape(sampleShape);
        double[] p = Flat(Probs);
        var x = new double[Shapes.Numel(shape)];
        for (int i = 0; i < x.Length; i++) x[i] = g.NextDouble() < p[i % p.Length] ? 1 : 0;
        return Wrap(x, shape);
    }

    // x log x with 0 log 0 = 0; x log y with 0 log 0 = 0 (so p = 0 or 1 gives finite log-probabilities).
    internal static Tensor XLogX(Tensor x) => XLogY(x, x);

    internal static Tensor XLogY(Tensor x, Tensor y)
    {
        var zero = Tensor.Scalar(0, x.DType);
        var safe = Tensor.Where(x.Eq(0), Tensor.Scalar(1, y.DType), y);
        return Tensor.Where(x.Eq(0), zero, x * safe.Log());
    }
}

/// <summary>Binomial(n, p): the number of successes in n independent Bernoulli(p) trials,
/// P(X = k) = C(n, k) p^k (1 − p)^(n−k).</summary>
public sealed class Binomial : Distribution, ICumulative
{
    /// <summary>Binomial with <paramref name="totalCount"/> trials and a tensor of probabilities in [0, 1].</summary>
    public Binomial(int totalCount, Tensor probs)
    {
        if (totalCount < 0)
            throw new ArgumentOutOfRangeException(nameof(totalCount), $"Binomial: totalCount must be >= 0, got " +
                $"{totalCount}");
        DType = CommonType("Binomial", probs);
        Require("Binomial", "probs", probs, p => p is >= 0 and <= 1, "in [0, 1]");
        TotalCount = totalCount;
        Probs = Cast(probs);
        BatchShape = [.. probs.Shape];
    }

    /// <summary>Binomial(n, p) with a float32 scalar p.</summary>
    public Binomial(int totalCount, double probs) : this(totalCount, Param(probs)) { }

    /// <summary>n.</summary>
    public int TotalCount { get; }

    /// <summary>p.</summary>
    public Tensor Probs { get; }

    /// <summary>np.</summary>
    public override Tensor Mean => Probs * TotalCount;

    /// <summary>np(1 − p).</summary>
    public override Tensor Variance => Probs * (1 - Probs) * TotalCount;

    /// <summary>−Σₖ P(k) log P(k) over the support 0 … n.</summary>
    public override Tensor Entropy()
    {
        var lp = LogProb(SupportValues(TotalCount + 1));   // (n + 1, batch…)
        return -(lp.Exp() * Tensor.Where(lp.Eq(double.NegativeInfinity), Tensor.Scalar(0, DType), lp)).Sum(0);
    }

    /// <summary>log C(n, k) + k log p + (n − k) log(1 − p) for integer 0 ≤ k ≤ n.</summary>
    public override Tensor LogProb(Tensor value)
    {
        var k = Cast(value);
        double n = TotalCount;
        var safeK = k.Clamp(0, n);
        var logChoose = SpecialFunctions.LogGamma(Tensor.Scalar(n + 1, DType)) - SpecialFunctions.LogGamma(safeK + 1)
            - SpecialFunctions.LogGamma(n - safeK + 1);
        var logP = logChoose + Bernoulli.XLogY(safeK, Probs) + Bernoulli.XLogY(n - safeK, 1 - Probs);
        var inSupport = k.Ge(Tensor.Scalar(0, DType)).And(k.Le(Tensor.Scalar(n, DType))).And(k.Eq(k.Floor()));
        return Support(inSupport, logP);
    }

    /// <summary>Σ_{j ≤ x} P(j), a finite sum (no gradient).</summary>
    public Tensor Cdf(Tensor value) => DiscreteCdf(this, value, (p, k) => k > TotalCount ? 0 :
        Math.Exp(SpecialFunctions.LogGamma(TotalCount + 1) - SpecialFunctions.LogGamma(k + 1)
            - SpecialFunctions.LogGamma(TotalCount - k + 1) + XLog(k, p) + XLog(TotalCount - k, 1 - p)), Probs,
        maxK: _ => TotalCount);

    /// <summary>Draws by geometric jumps between successes (exact, O(n·min(p, 1 − p)) each).</summary>
    public override Tensor Sample(ReadOnlySpan<int> sampleShape, Generator? generator = null)
    {
        var g = generator ?? Generator.Default;
        int[] shape = ExtendedShape(sampleShape);
        double[] p = Flat(Probs);
        var x = new double[Shapes.Numel(shape)];
        for (int i = 0; i < x.Length; i++) x[i] = Sampling.Binomial(g, TotalCount, p[i % p.Length]);
        return Wrap(x, shape);
    }

    // 0, 1, …, count−1 as a column (count, 1, 1, …) that broadcasts against the batch shape.
    internal Tensor SupportValues(int count)
    {
        int[] shape = [count, .. Enumerable.Repeat(1, BatchShape.Length)];
        return Tensor.Arange(count, DType).Reshape(shape);
    }

    internal static double XLog(double x, double y) => x == 0 ? 0 : x * Math.Log(y);

    // P(X ≤ v) for a distribution on 0, 1, 2, … with one parameter per batch element, by summing the pmf.
    internal static Tensor DiscreteCdf(Distribution d, Tensor value, Func<double, int, double> pmf, Tensor parameter,
        Func<double, int> maxK)
    {
        using var _ = Autograd.NoGrad();
        var shape = Shapes.Broadcast("Cdf", value.Shape, d.BatchShape);
        double[] v = value.Detach().To(DType.Float64).Expand(shape).ToArray<double>();
        double[] p = parameter.Detach().To(DType.Float64).Expand(shape).ToArray<double>();
        var c = new double[v.Length];
        for (int i = 0; i < v.Length; i++)
        {
            if (double.IsNaN(v[i]))
            {
                c[i] = double.NaN;
                continue;
            }
            if (v[i] < 0) continue;
            int top = (int)Math.Min(Math.Floor(v[i]), maxK(p[i]));
            double sum = 0;
            for (int k = 0; k <= top; k++) sum += pmf(p[i], k);
            c[i] = Math.Min(1, sum);
            if (Math.Floor(v[i]) > maxK(p[i])) c[i] = 1;
        }
        return Tensor.From(c, shape).To(d.DType);
    }
}

/// <summary>Poisson(λ): P(X = k) = λ^k e^(−λ) / k! for k = 0, 1, 2, …</summary>
public sealed class Poisson : Distribution, ICumulative
{
    /// <summary>Poisson with a tensor of rates ≥ 0.</summary>
    public Poisson(Tensor rate)
    {
        DType = CommonType("Poisson", rate);
        Require("Poisson", "rate", rate, r => r >= 0 && double.IsFinite(r), "finite and non-negative");
        Rate = Cast(rate);
        BatchShape = [.. rate.Shape];
    }

    /// <summary>Poisson(λ) as a float32 scalar.</summary>
    public Poisson(double rate) : this(Param(rate)) { }

    /// <summary>λ.</summary>
    public Tensor Rate { get; }

    /// <summary>λ.</summary>
    public override Tensor Mean => Rate;

    /// <summary>λ.</summary>
    public override Tensor Variance => Rate;

    /// <summary>−Σₖ P(k) log P(k), summed over k ≤ λmax + 20√λmax + 30 (the tail beyond is below 1e-30).</summary>
    public override Tensor Entropy()
    {
        double max = Flat(Rate).DefaultIfEmpty(0).Max();
        int count = (int)Math.Ceiling(max + 20 * Math.Sqrt(max) + 30);
        int[] shape = [count, .. Enumerable.Repeat(1, BatchShape.Length)];
        var lp = LogProb(Tensor.Arange(count, DType).Reshape(shape));
        return -(lp.Exp() * Tensor.Where(lp.Eq(double.NegativeInfinity), Tensor.Scalar(0, DType), lp)).Sum(0);
    }

    /// <summary>k log λ − λ − log k! for integer k ≥ 0.</summary>
    public override Tensor LogProb(Tensor value)
    {
        var k = Cast(value);
        var safeK = k.Clamp(min: 0);
        var logP = Bernoulli.XLogY(safeK, Rate) - Rate - SpecialFunctions.LogGamma(safeK + 1);
        return Support(k.Ge(Tensor.Scalar(0, DType)).And(k.Eq(k.Floor())), logP);
    }

    /// <summary>Σ_{j ≤ x} P(j), a finite sum (no gradient).</summary>
    public Tensor Cdf(Tensor value) => Binomial.DiscreteCdf(this, value, (rate, k) =>
        Math.Exp(Binomial.XLog(k, rate) - rate - SpecialFunctions.LogGamma(k + 1)), Rate, maxK: _ => int.MaxValue - 1);

    /// <summary>Draws by counting exponential arrivals (λ &lt; 10) or Hörmann's PTRS rejection (λ ≥ 10).</summary>
    public override Tensor Sample(ReadOnlySpan<int> sampleShape, Generator? generator = null)
    {
        var g = generator ?? Generator.Default;
        int[] shape = ExtendedShape(sampleShape);
        double[] rate = Flat(Rate);
        var x = new double[Shapes.Numel(shape)];
        for (int i = 0; i < x.Length; i++) x[i] = Sampling.Poisson(g, rate[i % rate.Length]);
        return Wrap(x, shape);
    }
}

/// <summary>Categorical over K classes: P(X = k) = pₖ. Probabilities are normalised along the last axis; samples
/// are Int64 class indices. Mean and variance are those of the index as a number in 0 … K − 1 (torch leaves them
/// undefined; SciPy's rv_discrete gives these).</summary>
public sealed class Categorical : Distribution
{
    /// <summary>Categorical with non-negative weights (…, K), normalised to sum to 1 along the last axis.</summary>
    public Categorical(Tensor probs)
    {
        if (probs.Rank < 1) throw new ArgumentException("Categorical: probs must have at least one axis (…, K)");
        DType = CommonType("Categorical", probs);
        Require("Categorical", "probs", probs, p => p >= 0 && double.IsFinite(p), "finite and non-negative");
        var p = Cast(probs);
        Probs = p / p.Sum(-1, keepDim: true);
        BatchShape = [.. probs.Shape[..^1]];
        NumClasses = probs.Shape[^1];
    }

    /// <summary>Categorical with probabilities softmax(logits) along the last axis.</summary>
    public static Categorical FromLogits(Tensor logits) => new(logits.Softmax(-1));

    /// <summary>Normalised probabilities (…, K).</summary>
    public Tensor Probs { get; }

    /// <summary>K.</summary>
    public int NumClasses { get; }

    private Tensor Classes => Tensor.Arange(NumClasses, DType);

    /// <summary>Σₖ k·pₖ.</summary>
    public override Tensor Mean => (Probs * Classes).Sum(-1);

    /// <summary>Σₖ k²·pₖ − mean².</summary>
    public override Tensor Variance
    {
        get
        {
            var m = Mean;
            return (Probs * Classes * Classes).Sum(-1) - m * m;
        }
    }

    /// <summary>−Σₖ pₖ log pₖ.</summary>
    public override Tensor Entropy() => -Bernoulli.XLogX(Probs).Sum(-1);

    /// <summary>log p_value for integer class indices in 0 … K − 1.</summary>
    public override Tensor LogProb(Tensor value)
    {
        var shape = Shapes.Broadcast("Categorical.LogProb", value.Shape, BatchShape);
        var index = value.To(DType.Int64).Expand(shape).Contiguous().Unsqueeze(-1);
        var logP = Probs.Log().Expand([.. shape, NumClasses]);
        return logP.Gather(-1, index).Squeeze(-1);
    }

    /// <summary>Draws Int64 class indices by inverting each row's cumulative probabilities.</summary>
    public override Tensor Sample(ReadOnlySpan<int> sampleShape, Generator? generator = null)
    {
        var g = generator ?? Generator.Default;
        int[] shape = [.. sampleShape, .. BatchShape];
        double[] p;
        using (Autograd.NoGrad()) p = Probs.Detach().ToArray<double>();
        int k = NumClasses, rows = p.Length / k;
        var cdf = new double[p.Length];
        for (int r = 0; r < rows; r++)
        {
            double sum = 0;
            for (int j = 0; j < k; j++) cdf[r * k + j] = sum += p[r * k + j];
        }
        var y = Tensor.Zeros(DType.Int64, shape);
        var ys = y.AsSpan<long>();
        for (int i = 0; i < ys.Length; i++)
        {
            int r = i % rows;
            var row = cdf.AsSpan(r * k, k);
            double u = g.NextDouble() * row[^1];
            int idx = row.BinarySearch(u);
            // BinarySearch gives the first element > u (as ~index) when u is not present; equal means the next one.
            idx = idx >= 0 ? idx + 1 : ~idx;
            while (idx < k - 1 && p[r * k + idx] == 0) idx++;
            ys[i] = Math.Min(idx, k - 1);
        }
        return y;
    }
}
