namespace Dendrite.Distributions;

/// <summary>Normal (Gaussian) N(μ, σ²): p(x) = exp(−(x − μ)² / 2σ²) / (σ√(2π)). Reparameterised: x = μ + σε with
/// ε ~ N(0, 1), so gradients of a loss on samples reach <see cref="Loc"/> and <see cref="Scale"/>.</summary>
public sealed class Normal : Distribution, ICumulative, IReparameterized
{
    private static readonly double HalfLog2Pi = 0.5 * Math.Log(2 * Math.PI);

    /// <summary>N(loc, scale²) with tensor parameters (broadcast to the batch shape); scale &gt; 0.</summary>
    public Normal(Tensor loc, Tensor scale)
    {
        DType = CommonType("Normal", loc, scale);
        Require("Normal", "scale", scale, s => s > 0, "positive");
        Loc = Cast(loc);
        Scale = Cast(scale);
        BatchShape = Broadcast("Normal", loc, scale);
    }

    /// <summary>N(loc, scale²) as float32 scalars.</summary>
    public Normal(double loc = 0, double scale = 1) : this(Param(loc), Param(scale)) { }

    /// <summary>μ.</summary>
    public Tensor Loc { get; }

    /// <summary>σ.</summary>
    public Tensor Scale { get; }

    /// <inheritdoc/>
    public override Tensor Mean => Loc.Expand(BatchShape);

    /// <inheritdoc/>
    public override Tensor Variance => (Scale * Scale).Expand(BatchShape);

    /// <summary>H = ½ + ½ log 2π + log σ.</summary>
    public override Tensor Entropy() => (Scale.Log() + (0.5 + HalfLog2Pi)).Expand(BatchShape);

    /// <summary>log p(x) = −(x − μ)² / 2σ² − log σ − ½ log 2π.</summary>
    public override Tensor LogProb(Tensor value)
    {
        var z = (Cast(value) - Loc) / Scale;
        return z * z * -0.5 - Scale.Log() - HalfLog2Pi;
    }

    /// <summary>Φ((x − μ)/σ) = ½(1 + erf((x − μ) / σ√2)).</summary>
    public Tensor Cdf(Tensor value) => (((Cast(value) - Loc) / (Scale * Math.Sqrt(2))).Erf() + 1) * 0.5;

    /// <inheritdoc/>
    public Tensor RSample(ReadOnlySpan<int> sampleShape, Generator? generator = null) =>
        Loc + Tensor.Randn(ExtendedShape(sampleShape), generator, dtype: DType) * Scale;

    /// <inheritdoc/>
    public override Tensor Sample(ReadOnlySpan<int> sampleShape, Generator? generator = null)
    {
        using var _ = Autograd.NoGrad();
        return RSample(sampleShape, generator).Detach();
    }
}

/// <summary>Continuous uniform U(low, high): p(x) = 1 / (high − low) on [low, high). Reparameterised:
/// x = low + (high − low)·u with u ~ U(0, 1).</summary>
public sealed class Uniform : Distribution, ICumulative, IReparameterized
{
    /// <summary>U(low, high) with tensor parameters; low &lt; high everywhere.</summary>
    public Uniform(Tensor low, Tensor high)
    {
        DType = CommonType("Uniform", low, high);
        Low = Cast(low);
        High = Cast(high);
        BatchShape = Broadcast("Uniform", low, high);
        using (Autograd.NoGrad()) Require("Uniform", "high − low", (high - low).Detach(), d => d > 0, "positive");
    }

    /// <summary>U(low, high) as float32 scalars.</summary>
    public Uniform(double low = 0, double high = 1) : this(Param(low), Param(high)) { }

    /// <summary>The lower bound (included).</summary>
    public Tensor Low { get; }

    /// <summary>The upper bound (excluded).</summary>
    public Tensor High { get; }

    /// <inheritdoc/>
    public override Tensor Mean => ((Low + High) * 0.5).Expand(BatchShape);

    /// <summary>(high − low)² / 12.</summary>
    public override Tensor Variance => ((High - Low) * (High - Low) / 12).Expand(BatchShape);

    /// <summary>log(high − low).</summary>
    public override Tensor Entropy() => (High - Low).Log().Expand(BatchShape);

    /// <inheritdoc/>
    public override Tensor LogProb(Tensor value)
    {
        var v = Cast(value);
        return Support(v.Ge(Low).And(v.Lt(High)), -(High - Low).Log());
    }

    /// <summary>clamp((x − low) / (high − low), 0, 1).</summary>
    public Tensor Cdf(Tensor value) => ((Cast(value) - Low) / (High - Low)).Clamp(0, 1);

    /// <inheritdoc/>
    public Tensor RSample(ReadOnlySpan<int> sampleShape, Generator? generator = null) =>
        Low + Tensor.Rand(ExtendedShape(sampleShape), generator, dtype: DType) * (High - Low);

    /// <inheritdoc/>
    public override Tensor Sample(ReadOnlySpan<int> sampleShape, Generator? generator = null)
    {
        using var _ = Autograd.NoGrad();
        return RSample(sampleShape, generator).Detach();
    }
}

/// <summary>Exponential with rate λ: p(x) = λe^(−λx) for x ≥ 0. Reparameterised: x = −log(u)/λ.</summary>
public sealed class Exponential : Distribution, ICumulative, IReparameterized
{
    /// <summary>Exponential(rate) with a tensor rate &gt; 0.</summary>
    public Exponential(Tensor rate)
    {
        DType = CommonType("Exponential", rate);
        Require("Exponential", "rate", rate, r => r > 0, "positive");
        Rate = Cast(rate);
        BatchShape = [.. rate.Shape];
    }

    /// <summary>Exponential(rate) as a float32 scalar.</summary>
    public Exponential(double rate = 1) : this(Param(rate)) { }

    /// <summary>λ.</summary>
    public Tensor Rate { get; }

    /// <summary>1/λ.</summary>
    public override Tensor Mean => 1 / Rate;

    /// <summary>1/λ².</summary>
    public override Tensor Variance => 1 / (Rate * Rate);

    /// <summary>1 − log λ.</summary>
    public override Tensor Entropy() => 1 - Rate.Log();

    /// <summary>log λ − λx on x ≥ 0.</summary>
    public override Tensor LogProb(Tensor value)
    {
        var v = Cast(value);
        return Support(v.Ge(Tensor.Scalar(0, DType)), Rate.Log() - Rate * v);
    }

    /// <summary>1 − e^(−λx) for x ≥ 0, else 0.</summary>
    public Tensor Cdf(Tensor value) => 1 - (-Rate * Cast(value).Clamp(min: 0)).Exp();

    /// <inheritdoc/>
    public Tensor RSample(ReadOnlySpan<int> sampleShape, Generator? generator = null)
    {
        var g = generator ?? Generator.Default;
        int[] shape = ExtendedShape(sampleShape);
        var e = new double[Shapes.Numel(shape)];
        for (int i = 0; i < e.Length; i++) e[i] = Sampling.Exponential(g);
        return Wrap(e, shape) / Rate;
    }

    /// <inheritdoc/>
    public override Tensor Sample(ReadOnlySpan<int> sampleShape, Generator? generator = null)
    {
        using var _ = Autograd.NoGrad();
        return RSample(sampleShape, generator).Detach();
    }
}

/// <summary>Gamma with concentration α and rate β: p(x) = β^α x^(α−1) e^(−βx) / Γ(α) for x &gt; 0.</summary>
public sealed class Gamma : Distribution
{
    /// <summary>Gamma(α, β) with tensor parameters, both &gt; 0.</summary>
    public Gamma(Tensor concentration, Tensor rate)
    {
        DType = CommonType("Gamma", concentration, rate);
        Require("Gamma", "concentration", concentration, a => a > 0, "positive");
        Require("Gamma", "rate", rate, r => r > 0, "positive");
        Concentration = Cast(concentration);
        Rate = Cast(rate);
        BatchShape = Broadcast("Gamma", concentration, rate);
    }

    /// <summary>Gamma(α, β) as float32 scalars.</summary>
    public Gamma(double concentration, double rate = 1) : this(Param(concentration), Param(rate)) { }

    /// <summary>α.</summary>
    public Tensor Concentration { get; }

    /// <summary>β.</summary>
    public Tensor Rate { get; }

    /// <summary>α/β.</summary>
    public override Tensor Mean => (Concentration / Rate).Expand(BatchShape);

    /// <summary>α/β².</summary>
    public override Tensor Variance => (Concentration / (Rate * Rate)).Expand(BatchShape);

    /// <summary>α − log β + log Γ(α) + (1 − α)ψ(α).</summary>
    public override Tensor Entropy()
    {
        var a = Concentration;
        return (a - Rate.Log() + SpecialFunctions.LogGamma(a) + (1 - a) * SpecialFunctions.Digamma(a))
            .Expand(BatchShape);
    }

    /// <summary>α log β + (α − 1) log x − βx − log Γ(α) on x &gt; 0.</summary>
    public override Tensor LogProb(Tensor value)
    {
        var v = Cast(value);
        var a = Concentration;
        var logP = a * Rate.Log() + (a - 1) * v.Log() - Rate * v - SpecialFunctions.LogGamma(a);
        return Support(v.Gt(Tensor.Scalar(0, DType)), logP);
    }

    /// <summary>Draws by Marsaglia and Tsang's method (boosted for α &lt; 1), divided by β.</summary>
    public override Tensor Sample(ReadOnlySpan<int> sampleShape, Generator? generator = null)
    {
        var g = generator ?? Generator.Default;
        int[] shape = ExtendedShape(sampleShape);
        double[] alpha = Flat(Concentration), rate = Flat(Rate);
        var x = new double[Shapes.Numel(shape)];
        for (int i = 0; i < x.Length; i++)
        {
            int j = i % alpha.Length;
            x[i] = Sampling.Gamma(g, alpha[j]) / rate[j];
        }
        return Wrap(x, shape);
    }
}

/// <summary>Beta(α, β) on (0, 1): p(x) = x^(α−1)(1 − x)^(β−1) / B(α, β).</summary>
public sealed class Beta : Distribution
{
    /// <summary>Beta(α, β) with tensor parameters, both &gt; 0.</summary>
    public Beta(Tensor alpha, Tensor beta)
    {
        DType = CommonType("Beta", alpha, beta);
        Require("Beta", "alpha", alpha, a => a > 0, "positive");
        Require("Beta", "beta", beta, b => b > 0, "positive");
        Alpha = Cast(alpha);
        BetaParameter = Cast(beta);
        BatchShape = Broadcast("Beta", alpha, beta);
    }

    /// <summary>Beta(α, β) as float32 scalars.</summary>
    public Beta(double alpha, double beta) : this(Param(alpha), Param(beta)) { }

    /// <summary>α (torch's concentration1).</summary>
    public Tensor Alpha { get; }

    /// <summary>β (torch's concentration0).</summary>
    public Tensor BetaParameter { get; }

    /// <summary>α / (α + β).</summary>
    public override Tensor Mean => (Alpha / (Alpha + BetaParameter)).Expand(BatchShape);

    /// <summary>αβ / ((α + β)²(α + β + 1)).</summary>
    public override Tensor Variance
    {
        get
        {
            var s = Alpha + BetaParameter;
            return (Alpha * BetaParameter / (s * s * (s + 1))).Expand(BatchShape);
        }
    }

    /// <summary>log B(α, β) − (α − 1)ψ(α) − (β − 1)ψ(β) + (α + β − 2)ψ(α + β).</summary>
    public override Tensor Entropy()
    {
        Tensor a = Alpha, b = BetaParameter;
        return (SpecialFunctions.LogBeta(a, b) - (a - 1) * SpecialFunctions.Digamma(a)
            - (b - 1) * SpecialFunctions.Digamma(b) + (a + b - 2) * SpecialFunctions.Digamma(a + b)).Expand(BatchShape);
    }

    /// <summary>(α − 1) log x + (β − 1) log(1 − x) − log B(α, β) on 0 &lt; x &lt; 1.</summary>
    public override Tensor LogProb(Tensor value)
    {
        var v = Cast(value);
        var logP = (Alpha - 1) * v.Log() + (BetaParameter - 1) * (1 - v).Log()
            - SpecialFunctions.LogBeta(Alpha, BetaParameter);
        return Support(v.Gt(Tensor.Scalar(0, DType)).And(v.Lt(Tensor.Scalar(1, DType))), logP);
    }

    /// <summary>Draws X / (X + Y) with X ~ Gamma(α, 1), Y ~ Gamma(β, 1).</summary>
    public override Tensor Sample(ReadOnlySpan<int> sampleShape, Generator? generator = null)
    {
        var g = generator ?? Generator.Default;
        int[] shape = ExtendedShape(sampleShape);
        double[] a = Flat(Alpha), b = Flat(BetaParameter);
        var x = new double[Shapes.Numel(shape)];
        for (int i = 0; i < x.Length; i++)
        {
            int j = i % a.Length;
            double ga = Sampling.Gamma(g, a[j]), gb = Sampling.Gamma(g, b[j]);
            x[i] = ga / (ga + gb);
        }
        return Wrap(x, shape);
    }
}
