namespace Dendrite.Nn;

// Shapes: N batch, * any further dimensions.

/// <summary>y = x·Wᵀ + b.   x: (N, *, inFeatures) → y: (N, *, outFeatures).
/// Init (PyTorch's default): W, b ~ U(±1/√inFeatures).</summary>
public sealed class Linear(int inFeatures, int outFeatures, bool bias = true) : Module, ILayer
{
    /// <summary>[outFeatures, inFeatures].</summary>
    public Parameter Weight { get; } = Init.Uniform([outFeatures, inFeatures], 1 / Math.Sqrt(inFeatures));

    /// <summary>[outFeatures], or null without bias.</summary>
    public Parameter? Bias { get; } = bias ? Init.Uniform([outFeatures], 1 / Math.Sqrt(inFeatures)) : null;

    /// <inheritdoc/>
    public Tensor Forward(Tensor x)
    {
        if (x.Size(-1) != Weight.Size(1))
            throw new ArgumentException($"Linear: input {Shapes.Format(x.Shape)} has {x.Size(-1)} features, the layer expects {Weight.Size(1)}");
        return x.Linear(Weight, Bias); // fused: the bias is accumulated by the GEMM itself
    }

    /// <inheritdoc/>
    public override string ToString() => $"Linear({Weight.Size(1)}, {Weight.Size(0)}, bias={Bias is not null})";
}

/// <summary>Merges dimensions startDim..endDim.   (N, C, H, W) → (N, C·H·W) by default.</summary>
public sealed class Flatten(int startDim = 1, int endDim = -1) : Module, ILayer
{
    /// <inheritdoc/>
    public Tensor Forward(Tensor x) => x.Flatten(startDim, endDim);
}

/// <summary>Returns its input.</summary>
public sealed class Identity : Module, ILayer
{
    /// <inheritdoc/>
    public Tensor Forward(Tensor x) => x;
}

/// <summary>Inverted dropout (Srivastava et al., 2014): in training, zeroes each element with probability p and
/// scales the rest by 1/(1-p); in evaluation, the identity.</summary>
public sealed class Dropout(double p = 0.5, Generator? generator = null) : Module, ILayer
{
    /// <summary>Drop probability.</summary>
    public double P { get; } = p is >= 0 and < 1 ? p : throw new ArgumentOutOfRangeException(nameof(p), $"Dropout: p must be in [0, 1), got {p}");

    /// <inheritdoc/>
    public Tensor Forward(Tensor x)
    {
        if (!Training || P == 0) return x;
        var mask = Tensor.Bernoulli(1 - P, x.Shape, generator, x.DType);
        return x * mask * (1 / (1 - P));
    }
}

/// <summary>A lookup table: integer ids → rows of the weight.   ids: (*) Int64 → (*, embeddingDim).
/// Init (PyTorch's default): N(0, 1).</summary>
public sealed class Embedding(int numEmbeddings, int embeddingDim) : Module, ILayer
{
    /// <summary>[numEmbeddings, embeddingDim].</summary>
    public Parameter Weight { get; } = Init.Normal([numEmbeddings, embeddingDim], 1);

    /// <inheritdoc/>
    public Tensor Forward(Tensor x) => Weight.IndexSelect(0, x);
}
