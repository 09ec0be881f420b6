namespace Dendrite.Nn;

// Layers that reshape feature maps without learning anything: resizing, zero borders and channel dropout.
// Shapes: (N, C, H, W) images.

/// <summary>Resizes feature maps by a scale factor or to a fixed size (PyTorch's nn.Upsample): nearest or bilinear
/// (<see cref="InterpolateMode.Linear"/>, optionally with aligned corners).   (N, C, H, W) → (N, C, OH, OW).</summary>
public sealed class Upsample : Module, ILayer
{
    private readonly int[]? size;
    private readonly double[]? scale;
    private readonly InterpolateMode mode;
    private readonly bool alignCorners;

    /// <summary>Output = ⌊input · <paramref name="scaleFactor"/>⌋ in every spatial dimension.</summary>
    public Upsample(double scaleFactor, InterpolateMode mode = InterpolateMode.Nearest, bool alignCorners = false)
    {
        if (!(scaleFactor > 0))
            throw new ArgumentOutOfRangeException(nameof(scaleFactor), $"Upsample: scale {scaleFactor} must be > 0");
        (scale, this.mode, this.alignCorners) = ([scaleFactor], mode, alignCorners);
    }

    /// <summary>A fixed output size (OH, OW).</summary>
    public Upsample((int H, int W) size, InterpolateMode mode = InterpolateMode.Nearest, bool alignCorners = false)
    {
        if (size.H < 1 || size.W < 1)
            throw new ArgumentOutOfRangeException(nameof(size), $"Upsample: size {size} must be positive");
        (this.size, this.mode, this.alignCorners) = ([size.H, size.W], mode, alignCorners);
    }

    /// <inheritdoc/>
    public Tensor Forward(Tensor x) => x.Interpolate(size, scale is null ? null : [scale[0], scale[0]], mode,
        alignCorners);
}

/// <summary>Zero padding of the two spatial dimensions, per edge.   (N, C, H, W) → (N, C, H + top + bottom,
/// W + left + right). Negative amounts crop.</summary>
public sealed class ZeroPad2d(int left, int right, int top, int bottom) : Module, ILayer
{
    /// <summary>The same amount on every edge.</summary>
    public ZeroPad2d(int padding)
        : this(padding, padding, padding, padding)
    {
    }

    /// <inheritdoc/>
    public Tensor Forward(Tensor x)
    {
        if (x.Rank < 2)
            throw new ArgumentException($"ZeroPad2d: expected (*, H, W), got {Shapes.Format(x.Shape)}");
        return x.Pad([left, right, top, bottom]);
    }
}

/// <summary>Channel dropout (Tompson et al., 2015; PyTorch's Dropout2d, Keras' SpatialDropout2D): in training,
/// zeroes whole feature maps with probability p and scales the others by 1/(1-p), because neighbouring pixels of
/// one map are too correlated for element dropout to regularise; in evaluation, the identity.
///   (N, C, H, W) → same.</summary>
public sealed class Dropout2d(double p = 0.5, Generator? generator = null) : Module, ILayer
{
    /// <summary>Drop probability of a channel.</summary>
    public double P { get; } = p is >= 0 and < 1
        ? p
        : throw new ArgumentOutOfRangeException(nameof(p), $"Dropout2d: p must be in [0, 1), got {p}");

    /// <inheritdoc/>
    public Tensor Forward(Tensor x)
    {
        if (x.Rank is not (3 or 4))
            throw new ArgumentException($"Dropout2d: expected (N, C, H, W) or (C, H, W), got {Shapes.Format(x.Shape)}");
        if (!Training || P == 0) return x;
        int[] maskShape = x.Rank == 4 ? [x.Size(0), x.Size(1), 1, 1] : [x.Size(0), 1, 1];
        var mask = Tensor.Bernoulli(1 - P, maskShape, generator, x.DType);
        return x * mask * (1 / (1 - P));
    }
}
