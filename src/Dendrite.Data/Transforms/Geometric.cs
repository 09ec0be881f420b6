// Flips and the padded random crop: geometric transforms that move whole pixels, so they need no interpolation.

namespace Dendrite.Data.Transforms;

/// <summary>Mirrors the image left to right with probability <paramref name="probability"/>.</summary>
public sealed class HorizontalFlip(double probability = 0.5) : ITransform
{
    /// <summary>Chance of a flip.</summary>
    public double Probability { get; } = probability;

    /// <inheritdoc/>
    public void Apply(Span<float> image, ImageShape shape, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        if (generator.NextDouble() >= Probability) return;
        for (int r = 0; r < shape.Channels * shape.Height; r++) image.Slice(r * shape.Width, shape.Width).Reverse();
    }
}

/// <summary>Mirrors the image top to bottom with probability <paramref name="probability"/>.</summary>
public sealed class VerticalFlip(double probability = 0.5) : ITransform
{
    /// <summary>Chance of a flip.</summary>
    public double Probability { get; } = probability;

    /// <inheritdoc/>
    public void Apply(Span<float> image, ImageShape shape, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        if (generator.NextDouble() >= Probability) return;
        int h = shape.Height, w = shape.Width;
        Span<float> row = w <= 512 ? stackalloc float[w] : new float[w];
        for (int c = 0; c < shape.Channels; c++)
        {
            var plane = image.Slice(c * shape.Plane, shape.Plane);
            for (int i = 0; i < h / 2; i++)
            {
                var top = plane.Slice(i * w, w);
                var bottom = plane.Slice((h - 1 - i) * w, w);
                top.CopyTo(row);
                bottom.CopyTo(top);
                row.CopyTo(bottom);
            }
        }
    }
}

/// <summary>Pads the image by <paramref name="padding"/> pixels on every side (filled by <paramref name="fill"/>)
/// and crops a window of the original size at a random position: a shift by a whole number of pixels in
/// [−padding, padding] on each axis (the CIFAR augmentation of He et al., 2016).</summary>
public sealed class RandomCrop(int padding, FillMode fill = FillMode.Constant, float value = 0) : ITransform
{
    /// <summary>Pixels of padding on each side.</summary>
    public int Padding { get; } = padding >= 0 ? padding
        : throw new ArgumentOutOfRangeException(nameof(padding), $"RandomCrop: padding must be >= 0, got {padding}");

    /// <summary>What fills the padding.</summary>
    public FillMode Fill { get; } = fill;

    /// <summary>The value of <see cref="FillMode.Constant"/> padding.</summary>
    public float Value { get; } = value;

    /// <inheritdoc/>
    public void Apply(Span<float> image, ImageShape shape, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        // The window's top-left corner in padded coordinates is (top, left) in [0, 2·padding]; in the original
        // image's coordinates it is shifted by −padding.
        int dy = (int)generator.NextInt64(0, 2 * Padding + 1) - Padding;
        int dx = (int)generator.NextInt64(0, 2 * Padding + 1) - Padding;
        Shift(image, shape, dy, dx, Fill, Value);
    }

    /// <summary>Output (i, j) = input (i + <paramref name="dy"/>, j + <paramref name="dx"/>), outside the image
    /// filled by <paramref name="fill"/>.</summary>
    internal static void Shift(Span<float> image, ImageShape shape, int dy, int dx, FillMode fill, float value)
    {
        if (dy == 0 && dx == 0) return;
        int h = shape.Height, w = shape.Width;
        var source = System.Buffers.ArrayPool<float>.Shared.Rent(shape.Size);
        try
        {
            image.CopyTo(source);
            for (int c = 0; c < shape.Channels; c++)
            {
                var p = new ReadOnlySpan<float>(source, c * shape.Plane, shape.Plane);
                var q = image.Slice(c * shape.Plane, shape.Plane);
                for (int i = 0; i < h; i++)
                {
                    for (int j = 0; j < w; j++) q[i * w + j] = Affine.Fetch(p, i + dy, j + dx, h, w, fill, value);
                }
            }
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(source);
        }
    }
}
