namespace Dendrite.Nn;

/// <summary>Batch normalisation (Ioffe &amp; Szegedy, 2015) over the batch (and length) of (N, C) or (N, C, L)
/// inputs. Training uses the batch statistics and updates running estimates with <c>momentum</c> (the running
/// variance uses the unbiased batch variance, as PyTorch); evaluation uses the running estimates.</summary>
public sealed class BatchNorm1d(int numFeatures, double eps = 1e-5, double momentum = 0.1) : Module, ILayer
{
    /// <summary>γ, [C], init 1.</summary>
    public Parameter Weight { get; } = Init.Ones([numFeatures]);

    /// <summary>β, [C], init 0.</summary>
    public Parameter Bias { get; } = Init.Zeros([numFeatures]);

    /// <summary>Running mean, [C].</summary>
    public Tensor RunningMean { get; } = Tensor.Zeros(numFeatures);

    /// <summary>Running variance, [C].</summary>
    public Tensor RunningVar { get; } = Tensor.Ones(numFeatures);

    /// <summary>Number of batches seen in training (Int64 scalar).</summary>
    public Tensor NumBatchesTracked { get; } = Tensor.Zeros(DType.Int64);

    /// <inheritdoc/>
    public Tensor Forward(Tensor x)
    {
        if (x.Rank is not (2 or 3) || x.Size(1) != Weight.Numel)
            throw new ArgumentException($"BatchNorm1d: expected (N, {Weight.Numel}) or (N, {Weight.Numel}, L), got {Shapes.Format(x.Shape)}");
        int[] axes = x.Rank == 2 ? [0] : [0, 2];
        int[] view = x.Rank == 2 ? [1, -1] : [1, -1, 1];
        return Normalize(this, x, axes, view, Weight, Bias, RunningMean, RunningVar, NumBatchesTracked, eps, momentum);
    }

    // Shared by BatchNorm1d and BatchNorm2d: statistics over `axes`, parameters reshaped to `view`.
    internal static Tensor Normalize(Module m, Tensor x, int[] axes, int[] view, Tensor weight, Tensor bias,
        Tensor runningMean, Tensor runningVar, Tensor numBatchesTracked, double eps, double momentum)
    {
        Tensor mean, var;
        if (m.Training && x.DType == DType.Float32)
        {
            // Fused kernels: statistics in one pass, normalise + affine in one, a fused backward.
            var y = x.BatchNormTrain(weight, bias, eps, out var batchMean, out var batchVar);
            int count = x.Numel / x.Size(1);
            using var _ = Autograd.NoGrad();
            runningMean.CopyFrom(runningMean * (1 - momentum) + batchMean * momentum);
            runningVar.CopyFrom(runningVar * (1 - momentum) +
                batchVar * (momentum * count / Math.Max(1, count - 1)));
            numBatchesTracked.AddInPlace(Tensor.Scalar(1, DType.Int64));
            return y;
        }
        if (m.Training)
        {
            mean = x.Mean(axes, keepDim: true);
            var = x.Var(axes, keepDim: true, correction: 0);
            int n = x.Numel / x.Size(1);
            using var _ = Autograd.NoGrad();
            runningMean.CopyFrom(runningMean * (1 - momentum) + mean.Reshape(-1) * momentum);
            runningVar.CopyFrom(runningVar * (1 - momentum) + var.Reshape(-1) * (momentum * n / Math.Max(1, n - 1)));
            numBatchesTracked.AddInPlace(Tensor.Scalar(1, DType.Int64));
        }
        else
        {
            mean = runningMean.Reshape(view);
            var = runningVar.Reshape(view);
        }
        return (x - mean) / (var + eps).Sqrt() * weight.Reshape(view) + bias.Reshape(view);
    }
}

/// <summary>Batch normalisation of images (N, C, H, W): statistics per channel over N, H and W; running estimates
/// as <see cref="BatchNorm1d"/>.</summary>
public sealed class BatchNorm2d(int numFeatures, double eps = 1e-5, double momentum = 0.1) : Module, ILayer
{
    /// <summary>γ, [C], init 1.</summary>
    public Parameter Weight { get; } = Init.Ones([numFeatures]);

    /// <summary>β, [C], init 0.</summary>
    public Parameter Bias { get; } = Init.Zeros([numFeatures]);

    /// <summary>Running mean, [C].</summary>
    public Tensor RunningMean { get; } = Tensor.Zeros(numFeatures);

    /// <summary>Running variance, [C].</summary>
    public Tensor RunningVar { get; } = Tensor.Ones(numFeatures);

    /// <summary>Number of batches seen in training (Int64 scalar).</summary>
    public Tensor NumBatchesTracked { get; } = Tensor.Zeros(DType.Int64);

    /// <inheritdoc/>
    public Tensor Forward(Tensor x)
    {
        if (x.Rank != 4 || x.Size(1) != Weight.Numel)
            throw new ArgumentException(
                $"BatchNorm2d: expected (N, {Weight.Numel}, H, W), got {Shapes.Format(x.Shape)}");
        return BatchNorm1d.Normalize(this, x, [0, 2, 3], [1, -1, 1, 1], Weight, Bias, RunningMean, RunningVar,
            NumBatchesTracked, eps, momentum);
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

    /// <inheritdoc/>
    public Tensor Forward(Tensor x)
    {
        int k = normalizedShape.Length;
        var axes = Enumerable.Range(x.Rank - k, k).ToArray();
        var mean = x.Mean(axes, keepDim: true);
        var var = x.Var(axes, keepDim: true, correction: 0);
        return (x - mean) / (var + eps).Sqrt() * Weight + Bias;
    }
}
