namespace Dendrite.Nn;

// Pooling layers over the trailing spatial dimensions: (N, C, H, W) for 2-D, (N, C, L) for 1-D. No parameters.
// The stride defaults to the kernel size, as in PyTorch.

/// <summary>Max over KH×KW windows.   (N, C, H, W) → (N, C, OH, OW).</summary>
public sealed class MaxPool2d : Module, ILayer
{
    private readonly (int H, int W) kernel, stride, padding, dilation;
    private readonly bool ceilMode;

    /// <summary>A square window of side <paramref name="kernelSize"/>.</summary>
    public MaxPool2d(int kernelSize, int? stride = null, int padding = 0, int dilation = 1, bool ceilMode = false)
        : this((kernelSize, kernelSize), stride is int s ? (s, s) : null, (padding, padding), (dilation, dilation),
            ceilMode)
    {
    }

    /// <summary>A KH×KW window with per-dimension stride (default: the kernel), padding and dilation.</summary>
    public MaxPool2d((int H, int W) kernelSize, (int H, int W)? stride = null, (int H, int W) padding = default,
        (int H, int W)? dilation = null, bool ceilMode = false)
    {
        (kernel, this.stride, this.padding, this.dilation, this.ceilMode) =
            (kernelSize, stride ?? kernelSize, padding, dilation ?? (1, 1), ceilMode);
    }

    /// <inheritdoc/>
    public Tensor Forward(Tensor x) => x.MaxPool2d(kernel, stride, padding, dilation, ceilMode);

    /// <summary>The pooled values and the flat index h·W + w of each maximum in its plane (for
    /// <see cref="MaxUnpool2d"/>).</summary>
    public (Tensor Values, Tensor Indices) ForwardWithIndices(Tensor x) =>
        x.MaxPool2dWithIndices(kernel, stride, padding, dilation, ceilMode);
}

/// <summary>Mean over KH×KW windows; the divisor counts padding unless <c>countIncludePad</c> is false.
///   (N, C, H, W) → (N, C, OH, OW).</summary>
public sealed class AvgPool2d : Module, ILayer
{
    private readonly (int H, int W) kernel, stride, padding;
    private readonly bool ceilMode, countIncludePad;

    /// <summary>A square window of side <paramref name="kernelSize"/>.</summary>
    public AvgPool2d(int kernelSize, int? stride = null, int padding = 0, bool ceilMode = false,
        bool countIncludePad = true)
        : this((kernelSize, kernelSize), stride is int s ? (s, s) : null, (padding, padding), ceilMode,
            countIncludePad)
    {
    }

    /// <summary>A KH×KW window with per-dimension stride (default: the kernel) and padding.</summary>
    public AvgPool2d((int H, int W) kernelSize, (int H, int W)? stride = null, (int H, int W) padding = default,
        bool ceilMode = false, bool countIncludePad = true)
    {
        (kernel, this.stride, this.padding, this.ceilMode, this.countIncludePad) =
            (kernelSize, stride ?? kernelSize, padding, ceilMode, countIncludePad);
    }

    /// <inheritdoc/>
    public Tensor Forward(Tensor x) => x.AvgPool2d(kernel, stride, padding, ceilMode, countIncludePad);
}

/// <summary>Max over windows of K.   (N, C, L) → (N, C, OL).</summary>
public sealed class MaxPool1d(int kernelSize, int? stride = null, int padding = 0, int dilation = 1,
    bool ceilMode = false) : Module, ILayer
{
    /// <inheritdoc/>
    public Tensor Forward(Tensor x) => x.MaxPool1d(kernelSize, stride, padding, dilation, ceilMode);
}

/// <summary>Mean over windows of K.   (N, C, L) → (N, C, OL).</summary>
public sealed class AvgPool1d(int kernelSize, int? stride = null, int padding = 0, bool ceilMode = false,
    bool countIncludePad = true) : Module, ILayer
{
    /// <inheritdoc/>
    public Tensor Forward(Tensor x) => x.AvgPool1d(kernelSize, stride, padding, ceilMode, countIncludePad);
}

/// <summary>Average pooling to a fixed output size whatever the input size.
///   (N, C, H, W) → (N, C, outH, outW).</summary>
public sealed class AdaptiveAvgPool2d(int outH, int outW) : Module, ILayer
{
    /// <summary>A square output of side <paramref name="outputSize"/>.</summary>
    public AdaptiveAvgPool2d(int outputSize)
        : this(outputSize, outputSize)
    {
    }

    /// <inheritdoc/>
    public Tensor Forward(Tensor x) => x.AdaptiveAvgPool2d(outH, outW);
}

/// <summary>Mean over every dimension after the channels (Keras' GlobalAveragePooling).   (N, C, *) → (N, C).</summary>
public sealed class GlobalAvgPool : Module, ILayer
{
    /// <inheritdoc/>
    public Tensor Forward(Tensor x)
    {
        if (x.Rank < 3)
            throw new ArgumentException(
                $"GlobalAvgPool: expected (N, C, *) with a spatial dimension, got {Shapes.Format(x.Shape)}");
        return x.Mean(Enumerable.Range(2, x.Rank - 2).ToArray());
    }
}

/// <summary>Max pooling to a fixed output size whatever the input size.   (N, C, H, W) → (N, C, outH, outW).
/// </summary>
public sealed class AdaptiveMaxPool2d(int outH, int outW) : Module, ILayer
{
    /// <summary>A square output of side <paramref name="outputSize"/>.</summary>
    public AdaptiveMaxPool2d(int outputSize)
        : this(outputSize, outputSize)
    {
    }

    /// <inheritdoc/>
    public Tensor Forward(Tensor x) => x.AdaptiveMaxPool2d(outH, outW);
}

/// <summary>Maximum over every dimension after the channels (Keras' GlobalMaxPooling).   (N, C, *) → (N, C).</summary>
public sealed class GlobalMaxPool : Module, ILayer
{
    /// <inheritdoc/>
    public Tensor Forward(Tensor x)
    {
        if (x.Rank < 3)
            throw new ArgumentException(
                $"GlobalMaxPool: expected (N, C, *) with a spatial dimension, got {Shapes.Format(x.Shape)}");
        return x.Max(Enumerable.Range(2, x.Rank - 2).ToArray());
    }
}

/// <summary>The partial inverse of <see cref="MaxPool2d"/>: puts each value back where its maximum came from
/// (the indices of <see cref="MaxPool2d.ForwardWithIndices"/>), zeros elsewhere.   (N, C, H, W) → (N, C, OH, OW),
/// OH = (H-1)·stride - 2·padding + kernel unless an output size is given.</summary>
public sealed class MaxUnpool2d : Module
{
    private readonly (int H, int W) kernel, stride, padding;

    /// <summary>A square window of side <paramref name="kernelSize"/>; stride defaults to it.</summary>
    public MaxUnpool2d(int kernelSize, int? stride = null, int padding = 0)
        : this((kernelSize, kernelSize), stride is int s ? (s, s) : null, (padding, padding))
    {
    }

    /// <summary>A KH×KW window.</summary>
    public MaxUnpool2d((int H, int W) kernelSize, (int H, int W)? stride = null, (int H, int W) padding = default)
    {
        (kernel, this.stride, this.padding) = (kernelSize, stride ?? kernelSize, padding);
    }

    /// <summary>Unpools <paramref name="x"/> with the pool's <paramref name="indices"/>; <paramref name="outputSize"/>
    /// overrides the computed (OH, OW) (the pooled input's size when ceil mode or odd sizes made it ambiguous).
    /// </summary>
    public Tensor Forward(Tensor x, Tensor indices, (int H, int W)? outputSize = null) => outputSize is { } size
        ? x.MaxUnpool2d(indices, size.H, size.W)
        : x.MaxUnpool2d(indices, kernel, stride, padding);
}
