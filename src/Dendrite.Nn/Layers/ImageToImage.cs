namespace Dendrite.Nn;

// Two layers of the image-to-image networks (super-resolution, unpaired translation), both compositions of tensor
// ops, so their gradients come from the ops they are made of.
// Shapes: (N, C, H, W) images.

/// <summary>Sub-pixel convolution's rearrangement (Shi et al., 2016, "Real-Time Single Image and Video
/// Super-Resolution Using an Efficient Sub-Pixel Convolutional Neural Network"; PyTorch's nn.PixelShuffle):
/// y[n, c, h·r + i, w·r + j] = x[n, c·r² + i·r + j, h, w].   (N, C·r², H, W) → (N, C, H·r, W·r)</summary>
public sealed class PixelShuffle : Module, ILayer
{
    private readonly int factor;

    /// <summary>The upscale factor r.</summary>
    public PixelShuffle(int upscaleFactor)
    {
        if (upscaleFactor < 1)
            throw new ArgumentOutOfRangeException(nameof(upscaleFactor),
                $"PixelShuffle: upscale factor {upscaleFactor} must be at least 1");
        factor = upscaleFactor;
    }

    /// <inheritdoc/>
    public Tensor Forward(Tensor x)
    {
        int r = factor;
        if (x.Rank != 4 || x.Size(1) % (r * r) != 0)
            throw new ArgumentException(
                $"PixelShuffle: expected (N, C·{r * r}, H, W), got {Shapes.Format(x.Shape)}");
        int n = x.Size(0), c = x.Size(1) / (r * r), h = x.Size(2), w = x.Size(3);
        return x.Reshape(n, c, r, r, h, w)   // (N, C, i, j, H, W)
            .Permute(0, 1, 4, 2, 5, 3)       // (N, C, H, i, W, j)
            .Reshape(n, c, h * r, w * r);
    }
}

/// <summary>Instance normalisation without affine parameters (Ulyanov, Vedaldi &amp; Lempitsky, 2016; PyTorch's
/// nn.InstanceNorm2d defaults): each map of each image is normalised by its own mean and biased variance,
/// y = (x − μ) / √(σ² + ε), in training and evaluation alike. CycleGAN's generators use it.
///   (N, C, H, W) → same</summary>
public sealed class InstanceNorm2d(double eps = 1e-5) : Module, ILayer
{
    /// <inheritdoc/>
    public Tensor Forward(Tensor x)
    {
        if (x.Rank != 4)
            throw new ArgumentException($"InstanceNorm2d: expected (N, C, H, W), got {Shapes.Format(x.Shape)}");
        var mean = x.Mean([2, 3], keepDim: true);
        var centred = x - mean;
        var variance = (centred * centred).Mean([2, 3], keepDim: true);
        return centred / (variance + eps).Sqrt();
    }
}
