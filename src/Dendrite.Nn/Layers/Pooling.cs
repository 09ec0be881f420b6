namespace Dendrite.Nn;

// Pooling layers over the trailing spatial dimensions: (N, C, H, W) for 2-D, (N, C, L) for 1-D. No parameters.
// The stride defaults to the kernel size, as in PyTorch.

/// <summary>Max over K×K windows.   (N, C, H, W) → (N, C, OH, OW).</summary>
public sealed class MaxPool2d(int kernelSize, int? stride = null, int padding = 0, int dilation = 1,
    bool ceilMode = false) : Module, ILayer
{
    /// <inheritdoc/>
    public Tensor Forward(Tensor x) => x.MaxPool2d((kernelSize, kernelSize),
        (stride ?? kernelSize, stride ?? kernelSize), (padding, padding), (dilation, dilation), ceilMode);
}

/// <summary>Mean over K×K windows; the divisor counts padding unless <c>countIncludePad</c> is false.
///   (N, C, H, W) → (N, C, OH, OW).</summary>
public sealed class AvgPool2d(int kernelSize, int? stride = null, int padding = 0, bool ceilMode = false,
    bool countIncludePad = true) : Module, ILayer
{
    /// <inheritdoc/>
    public Tensor Forward(Tensor x) => x.AvgPool2d((kernelSize, kernelSize),
        (stride ?? kernelSize, stride ?? kernelSize), (padding, padding), ceilMode, countIncludePad);
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
