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
        Tensor mean, var;
        if (Training)
        {
            mean = x.Mean(axes, keepDim: true);
            var = x.Var(axes, keepDim: true, correction: 0);
            int n = x.Numel / x.Size(1);
            using var _ = Autograd.NoGrad();
            RunningMean.CopyFrom(RunningMean * (1 - momentum) + mean.Reshape(-1) * momentum);
            RunningVar.CopyFrom(RunningVar * (1 - momentum) + var.Reshape(-1) * (momentum * n / Math.Max(1, n - 1)));
            NumBatchesTracked.AddInPlace(Tensor.Scalar(1, DType.Int64));
        }
        else
        {
            mean = RunningMean.Reshape(view);
            var = RunningVar.Reshape(view);
        }
        return (x - mean) / (var + eps).Sqrt() * Weight.Reshape(view) + Bias.Reshape(view);
    }
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
