namespace Dendrite.Nn;

/// <summary>Batch normalisation (Ioffe &amp; Szegedy, 2015): per-channel statistics over every dimension but the
/// channel one (dimension 1). Training uses the batch statistics and updates running estimates with
/// <c>momentum</c> (the running variance uses the unbiased batch variance, as PyTorch); evaluation uses the running
/// estimates. Float32 training runs fused kernels (one-pass statistics, one-pass normalise + affine, fused backward).</summary>
public abstract class BatchNorm(int numFeatures, double eps, double momentum) : Module
{
    /// <summary>γ, [C], init 1.</summary>
    public Parameter Weight { get; } = Init.Ones([numFeatures]);

    /// <summary>β, [C], init 0.</summary>
    public Parameter Bias { get; } = Init.Zeros([numFeatures]);

    /// <summary>Running mean, [C].</summary>
    public Tensor RunningMean { get; } = KeepBuffer(Tensor.Zeros(numFeatures));

    /// <summary>Running variance, [C].</summary>
    public Tensor RunningVar { get; } = KeepBuffer(Tensor.Ones(numFeatures));

    /// <summary>Number of batches seen in training (Int64 scalar).</summary>
    public Tensor NumBatchesTracked { get; } = KeepBuffer(Tensor.Zeros(DType.Int64));

    /// <summary>ε added to the variance.</summary>
    public double Eps => eps;

    /// <summary>Normalises x, whose channels are dimension 1 and whose statistics run over <paramref name="axes"/>;
    /// parameters are reshaped to <paramref name="view"/> to broadcast.</summary>
    protected Tensor Normalize(Tensor x, int[] axes, int[] view)
    {
        if (Training && x.Numel / Math.Max(1, x.Size(1)) <= 1)
            throw new ArgumentException($"{GetType().Name}: Expected more than 1 value per channel when training, " +
                $"got input {Shapes.Format(x.Shape)}; batch statistics need at least two values per channel (use a " +
                "larger batch, or call Eval() to normalise with the running estimates)");
        if (Training && x.DType == DType.Float32)
        {
            var y = x.BatchNormTrain(Weight, Bias, eps, out var batchMean, out var batchVar);
            UpdateRunning(batchMean, batchVar, x.Numel / x.Size(1));
            return y;
        }
        Tensor mean, var;
        if (Training)
        {
            mean = x.Mean(axes, keepDim: true);
            var = x.Var(axes, keepDim: true, correction: 0);
            UpdateRunning(mean.Reshape(-1), var.Reshape(-1), x.Numel / x.Size(1));
        }
        else if (x.DType == Weight.DType && x.DType == RunningMean.DType && x.DType == RunningVar.DType)
        {
            // One fused pass when no gradient is recorded, the composite ops below otherwise.
            return x.BatchNormInference(RunningMean, RunningVar, Weight, Bias, eps);
        }
        else
        {
            mean = RunningMean.Reshape(view);
            var = RunningVar.Reshape(view);
        }
        return (x - mean) / (var + eps).Sqrt() * Weight.Reshape(view) + Bias.Reshape(view);
    }

    private void UpdateRunning(Tensor batchMean, Tensor batchVar, int count)
    {
        using var _ = Autograd.NoGrad();
        RunningMean.CopyFrom(RunningMean * (1 - momentum) + batchMean * momentum);
        RunningVar.CopyFrom(RunningVar * (1 - momentum) + batchVar * (momentum * count / Math.Max(1, count - 1)));
        NumBatchesTracked.AddInPlace(Tensor.Scalar(1, DType.Int64));
    }
}

/// <summary>Batch normalisation of (N, C) or (N, C, L) inputs.</summary>
public sealed class BatchNorm1d(int numFeatures, double eps = 1e-5, double momentum = 0.1)
    : BatchNorm(numFeatures, eps, momentum), ILayer
{
    /// <inheritdoc/>
    public Tensor Forward(Tensor x)
    {
        if (x.Rank is not (2 or 3) || x.Size(1) != Weight.Numel)
            throw new ArgumentException(
                $"BatchNorm1d: expected (N, {Weight.Numel}) or (N, {Weight.Numel}, L), got {Shapes.Format(x.Shape)}");
        return x.Rank == 2 ? Normalize(x, [0], [1, -1]) : Normalize(x, [0, 2], [1, -1, 1]);
    }
}

/// <summary>Batch normalisation of images (N, C, H, W): statistics per channel over N, H and W.</summary>
public sealed class BatchNorm2d(int numFeatures, double eps = 1e-5, double momentum = 0.1)
    : BatchNorm(numFeatures, eps, momentum), ILayer
{
    /// <inheritdoc/>
    public Tensor Forward(Tensor x)
    {
        if (x.Rank != 4 || x.Size(1) != Weight.Numel)
            throw new ArgumentException($"BatchNorm2d: expected (N, {Weight.Numel}, H, W), got {Shapes.Format(x.Shape)}");
        return Normalize(x, [0, 2, 3], [1, -1, 1, 1]);
    }
}

/// <summary>Local response normalisation across channels (Krizhevsky et al., 2012; AlexNet):
/// y = x / (k + α/n · Σ x²)^β over n neighbouring channels.   (N, C, *) → same.</summary>
public sealed class LocalResponseNorm(int size, double alpha = 1e-4, double beta = 0.75, double k = 1) : Module, ILayer
{
    /// <inheritdoc/>
    public Tensor Forward(Tensor x) => x.LocalResponseNorm(size, alpha, beta, k);
}

/// <summary>Layer normalisation (Ba et al., 2016) over the trailing <c>normalizedShape</c> dimensions, with a
/// learned elementwise scale and shift.</summary>
public sealed class LayerNorm(int[] normalizedShape, double eps = 1e-5) : Module, ILayer
{
    /// <summary>Normalises over the last dimension of size <paramref name="features"/>.</summary>
    public LayerNorm(int features, double eps = 1e-5)
        : this([features], eps)
    {
    }

    /// <summary>γ, init 1.</summary>
    public Parameter Weight { get; } = Init.Ones(normalizedShape);

    /// <summary>β, init 0.</summary>
    public Parameter Bias { get; } = Init.Zeros(normalizedShape);

    /// <summary>ε added to the variance.</summary>
    public double Eps { get; } = eps;

    /// <inheritdoc/>
    public Tensor Forward(Tensor x) => x.LayerNorm(normalizedShape, Weight, Bias, Eps); // fused, one pass each way
}
