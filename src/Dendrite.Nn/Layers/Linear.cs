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
/// Init (PyTorch's default): N(0, 1), with the padding row (when given) set to zero. The padding row never
/// receives a gradient, so it stays what it is (PyTorch's padding_idx); <paramref name="freeze"/> makes the whole
/// table untrainable (pretrained vectors).</summary>
public sealed class Embedding(int numEmbeddings, int embeddingDim, int? paddingIndex = null, bool freeze = false)
    : Module, ILayer
{
    /// <summary>[numEmbeddings, embeddingDim].</summary>
    public Parameter Weight { get; } = Table(numEmbeddings, embeddingDim, paddingIndex, freeze);

    /// <summary>The id whose row is padding (no gradient), or null.</summary>
    public int? PaddingIndex { get; } = paddingIndex;

    /// <summary>An embedding holding <paramref name="weights"/> (numEmbeddings, embeddingDim), frozen by
    /// default.</summary>
    public static Embedding FromPretrained(Tensor weights, bool freeze = true, int? paddingIndex = null)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (weights.Rank != 2)
            throw new ArgumentException(
                $"Embedding.FromPretrained: weights {Shapes.Format(weights.Shape)} must be 2-D");
        var e = new Embedding(weights.Shape[0], weights.Shape[1], paddingIndex, freeze);
        using (Autograd.NoGrad()) e.Weight.CopyFrom(weights);
        return e;
    }

    /// <inheritdoc/>
    public Tensor Forward(Tensor x)
    {
        var y = Weight.IndexSelect(0, x);
        if (PaddingIndex is not int pad || !y.RequiresGrad) return y;
        // the padding positions read the same row, but cut from the graph, so the row gets no gradient
        return Tensor.Where(x.Eq(pad).Unsqueeze(-1), Weight.Detach().IndexSelect(0, x), y);
    }

    private static Parameter Table(int num, int dim, int? paddingIndex, bool freeze)
    {
        if (paddingIndex is int p && (p < 0 || p >= num))
            throw new ArgumentOutOfRangeException(nameof(paddingIndex),
                $"Embedding: paddingIndex {p} is not an id of a table of {num} rows");
        var w = Init.Normal([num, dim], 1);
        if (paddingIndex is int pad)
        {
            using var _ = Autograd.NoGrad();
            w.Select(0, pad).Fill(0);
        }
        w.RequiresGrad = !freeze;
        return w;
    }
}
