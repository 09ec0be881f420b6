namespace Dendrite.Nn.Optim;

/// <summary>Sets the learning rate of every group from its initial rate, once per <see cref="Step"/> (per epoch
/// unless said otherwise). <see cref="Factor"/> is the multiplier after <c>t</c> steps; as in torch, construction
/// already sets the rate of step 0 (a warm-up starts low in the first epoch).</summary>
public abstract class LrScheduler
{
    /// <summary>Attaches to <paramref name="optimizer"/> and sets every group's rate to initial × Factor(0).
    /// Subclass state that Factor reads is initialised before this runs (primary-constructor captures and field
    /// initialisers precede the base constructor call).</summary>
    protected LrScheduler(Optimizer optimizer)
    {
        Optimizer = optimizer;
        Apply();
    }

    /// <summary>Number of steps taken.</summary>
    public int Epoch { get; protected set; }

    /// <summary>The optimizer whose rates are set.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>Learning-rate multiplier after <paramref name="t"/> steps.</summary>
    public abstract double Factor(int t);

    /// <summary>Advances one step and sets the rates.</summary>
    public virtual void Step()
    {
        Epoch++;
        Apply();
    }

    /// <summary>Moves the schedule to <paramref name="epoch"/> steps taken (a resumed run) and sets the rates.</summary>
    public void Restore(int epoch)
    {
        Epoch = epoch;
        Apply();
    }

    /// <summary>Sets every group's rate to initial × Factor(Epoch).</summary>
    protected void Apply()
    {
        foreach (var g in Optimizer.Groups) g.Lr = g.InitialLr * Factor(Epoch);
    }
}

/// <summary>Multiplies the rate by γ every <c>stepSize</c> steps: η = η₀ γ^⌊t/stepSize⌋.</summary>
public sealed class StepLr(Optimizer optimizer, int stepSize, double gamma = 0.1) : LrScheduler(optimizer)
{
    /// <inheritdoc/>
    public override double Factor(int t) => Math.Pow(gamma, t / stepSize);
}

/// <summary>Multiplies the rate by γ at each of the given milestones: η = η₀ γ^(number of milestones ≤ t).</summary>
public sealed class MultiStepLr(Optimizer optimizer, int[] milestones, double gamma = 0.1) : LrScheduler(optimizer)
{
    /// <inheritdoc/>
    public override double Factor(int t) => Math.Pow(gamma, milestones.Count(m => m <= t));
}

/// <summary>η = η₀ γᵗ.</summary>
public sealed class ExponentialLr(Optimizer optimizer, double gamma) : LrScheduler(optimizer)
{
    /// <inheritdoc/>
    public override double Factor(int t) => Math.Pow(gamma, t);
}

/// <summary>Cosine annealing (Loshchilov &amp; Hutter, 2016): η = η_min + (η₀ - η_min)(1 + cos(πt/T))/2, held at
/// η_min after T steps. <c>minFactor</c> is η_min/η₀.</summary>
public sealed class CosineLr(Optimizer optimizer, int totalSteps, double minFactor = 0) : LrScheduler(optimizer)
{
    /// <inheritdoc/>
    public override double Factor(int t) =>
        minFactor + (1 - minFactor) * (1 + Math.Cos(Math.PI * Math.Min(t, totalSteps) / totalSteps)) / 2;
}

/// <summary>Linear warm-up from η₀/warmupSteps to η₀ over the first steps, then another schedule's factor (or
/// constant), counted from the end of the warm-up.</summary>
public sealed class WarmupLr(Optimizer optimizer, int warmupSteps, LrScheduler? after = null) : LrScheduler(optimizer)
{
    /// <inheritdoc/>
    public override double Factor(int t) => t < warmupSteps
        ? (t + 1.0) / warmupSteps
        : after?.Factor(t - warmupSteps) ?? 1;
}

/// <summary>Divides the rate by 1/factor when a monitored metric (lower is better) has not improved by more than
/// a relative threshold for <c>patience</c> steps; never below <c>minLr</c>.</summary>
public sealed class ReduceLrOnPlateau(Optimizer optimizer, double factor = 0.1, int patience = 10, double threshold = 1e-4,
    double minLr = 0) : LrScheduler(optimizer)
{
    private double best = double.PositiveInfinity;
    private int bad;
    private double scale = 1;

    /// <inheritdoc/>
    public override double Factor(int t) => scale;

    /// <summary>Reports the metric of the step just finished (e.g. validation loss).</summary>
    public void Step(double metric)
    {
        Epoch++;
        if (metric < best * (1 - threshold))
        {
            best = metric;
            bad = 0;
        }
        else if (++bad > patience)
        {
            scale *= factor;
            bad = 0;
        }
        foreach (var g in Optimizer.Groups) g.Lr = Math.Max(minLr, g.InitialLr * scale);
    }

    /// <summary>Plateau scheduling needs a metric: call <see cref="Step(double)"/>.</summary>
    public override void Step() =>
        throw new InvalidOperationException("ReduceLrOnPlateau: call Step(metric) with the monitored value");
}

/// <summary>Gradient clipping, applied between Backward and Step.</summary>
public static class Clip
{
    /// <summary>Scales all gradients so their joint L2 norm is at most <paramref name="maxNorm"/>; returns the norm
    /// before clipping.</summary>
    public static double GradNorm(IEnumerable<Parameter> parameters, double maxNorm)
    {
        var ps = parameters.Where(p => p.Grad is not null).ToList();
        double sq = 0;
        foreach (var p in ps)
        {
            foreach (float g in p.Grad!.Contiguous().AsReadOnlySpan<float>()) sq += (double)g * g;
        }
        double norm = Math.Sqrt(sq);
        double coef = maxNorm / (norm + 1e-6);
        if (coef < 1)
        {
            foreach (var p in ps) p.Grad!.MulInPlace(coef);
        }
        return norm;
    }

    /// <summary>Clamps every gradient element to [-clipValue, clipValue].</summary>
    public static void GradValue(IEnumerable<Parameter> parameters, double clipValue)
    {
        foreach (var p in parameters)
        {
            if (p.Grad is null) continue;
            var s = p.Grad.AsSpan<float>();
            float c = (float)clipValue;
            for (int i = 0; i < s.Length; i++) s[i] = Math.Clamp(s[i], -c, c);
        }
    }
}
