namespace Dendrite.Distributions;

// Probability distributions in the manner of torch.distributions: parameters are tensors that broadcast to a batch
// shape, Sample(sampleShape) returns sampleShape ++ batchShape ++ eventShape, and LogProb, Mean, Variance and
// Entropy are tensor expressions, so they are differentiable in the parameters. Draws come from a seeded Generator
// through one loop per call over a span (no virtual call per element), in float64, and are returned in the
// parameters' dtype.

/// <summary>A family of probability distributions with tensor parameters (batched by broadcasting).</summary>
public abstract class Distribution
{
    /// <summary>The shape the parameters broadcast to: one distribution per element.</summary>
    public int[] BatchShape { get; protected init; } = [];

    /// <summary>The shape of one draw ([] for univariate distributions, [d] for a d-variate one).</summary>
    public int[] EventShape { get; protected init; } = [];

    /// <summary>The floating-point type of the parameters, of samples and of every result.</summary>
    public DType DType { get; protected init; } = DType.Float32;

    /// <summary>E[X].   → batchShape ++ eventShape</summary>
    public abstract Tensor Mean { get; }

    /// <summary>Var[X] (per coordinate for multivariate distributions).</summary>
    public abstract Tensor Variance { get; }

    /// <summary>√Var[X].</summary>
    public Tensor Stddev => Variance.Sqrt();

    /// <summary>The (differential) entropy H = −E[log p(X)] in nats.   → batchShape</summary>
    public abstract Tensor Entropy();

    /// <summary>log p(value): the log of the pmf or pdf, −∞ outside the support.   value: (…, batchShape ++
    /// eventShape) broadcastable → (…, batchShape)</summary>
    public abstract Tensor LogProb(Tensor value);

    /// <summary>p(value): the pmf (discrete) or pdf (continuous), exp of <see cref="LogProb"/>.</summary>
    public Tensor Prob(Tensor value) => LogProb(value).Exp();

    /// <summary>Draws without gradient: sampleShape ++ batchShape ++ eventShape, from <paramref name="generator"/>
    /// (the default generator when null).</summary>
    public abstract Tensor Sample(ReadOnlySpan<int> sampleShape, Generator? generator = null);

    /// <summary>One draw per distribution of the batch.   → batchShape ++ eventShape</summary>
    public Tensor Sample(Generator? generator = null) => Sample([], generator);

    /// <summary>sampleShape ++ batchShape ++ eventShape.</summary>
    protected int[] ExtendedShape(ReadOnlySpan<int> sampleShape) => [.. sampleShape, .. BatchShape, .. EventShape];

    /// <summary>A constant scalar parameter.</summary>
    protected static Tensor Param(double value, DType dtype = DType.Float32) => Tensor.Scalar(value, dtype);

    /// <summary>The common dtype of the parameters (all must be floating-point).</summary>
    protected static DType CommonType(string name, params Tensor[] parameters)
    {
        foreach (var p in parameters)
        {
            if (!p.DType.IsFloating())
                throw new ArgumentException($"{name}: parameters must be floating-point, got {p.DType}");
        }
        return parameters.Any(p => p.DType == DType.Float64) ? DType.Float64 : DType.Float32;
    }

    /// <summary>The broadcast shape of the parameters.</summary>
    protected static int[] Broadcast(string name, params Tensor[] parameters)
    {
        int[] shape = [];
        foreach (var p in parameters) shape = Shapes.Broadcast(name, shape, p.Shape);
        return shape;
    }

    /// <summary>A parameter's values expanded to the batch shape, as float64 (no gradient).</summary>
    protected double[] Flat(Tensor parameter)
    {
        using var _ = Autograd.NoGrad();
        return parameter.Detach().Expand(BatchShape).ToArray<double>();
    }

    /// <summary>Wraps float64 draws as a tensor of <paramref name="shape"/> in the distribution's dtype.</summary>
    protected Tensor Wrap(double[] values, int[] shape) => Tensor.From(values, shape).To(DType);

    /// <summary><paramref name="value"/> in the distribution's dtype.</summary>
    protected Tensor Cast(Tensor value) => value.DType == DType ? value : value.To(DType);

    /// <summary>log p where <paramref name="inSupport"/> holds, −∞ elsewhere.</summary>
    protected Tensor Support(Tensor inSupport, Tensor logProb)
    {
        var shape = Shapes.Broadcast("LogProb", inSupport.Shape, logProb.Shape);
        var minusInf = Tensor.Full(double.NegativeInfinity, DType, shape);
        return Tensor.Where(inSupport.Expand(shape), logProb.Expand(shape), minusInf);
    }

    /// <summary>Checks that every value of a parameter satisfies <paramref name="ok"/>.</summary>
    protected static void Require(string name, string parameter, Tensor value, Func<double, bool> ok, string rule)
    {
        double[] v;
        using (Autograd.NoGrad()) v = value.Detach().ToArray<double>();
        foreach (double a in v)
        {
            if (!ok(a))
                throw new ArgumentException($"{name}: {parameter} must be {rule}, got {a} in a tensor of shape " +
                    Shapes.Format(value.Shape));
        }
    }
}

/// <summary>A distribution whose cumulative distribution function has a closed form (or a finite sum).</summary>
public interface ICumulative
{
    /// <summary>P(X ≤ value), element-wise.</summary>
    Tensor Cdf(Tensor value);
}

/// <summary>A distribution with reparameterised sampling: X = g(θ, ε) with ε from a fixed distribution, so
/// gradients flow from the samples to the parameters θ (the VAE's reparameterisation trick).</summary>
public interface IReparameterized
{
    /// <summary>Draws with gradients to the parameters: sampleShape ++ batchShape ++ eventShape.</summary>
    Tensor RSample(ReadOnlySpan<int> sampleShape, Generator? generator = null);
}
