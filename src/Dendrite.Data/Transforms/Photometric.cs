// Transforms that change pixel values, not positions: random erasing (occlusion), brightness and contrast, noise.

namespace Dendrite.Data.Transforms;

/// <summary>With probability <see cref="Probability"/>, sets a random rectangle of the image to
/// <see cref="Value"/> (Zhong et al., 2020, "Random Erasing Data Augmentation"; torchvision's RandomErasing): its
/// area a fraction of the image uniform in <see cref="Scale"/>, its aspect ratio (height / width) log-uniform in
/// <see cref="Ratio"/>; up to ten draws are made to find one that fits, else the image is left as it is.</summary>
public sealed record RandomErasing : ITransform
{
    /// <summary>Chance that a rectangle is erased.</summary>
    public double Probability { get; init; } = 0.5;

    /// <summary>Range of the erased area as a fraction of the image.</summary>
    public (double Min, double Max) Scale { get; init; } = (0.02, 0.33);

    /// <summary>Range of the aspect ratio (height / width).</summary>
    public (double Min, double Max) Ratio { get; init; } = (0.3, 3.3);

    /// <summary>The value written into the rectangle, in every channel.</summary>
    public float Value { get; init; }

    /// <inheritdoc/>
    public void Apply(Span<float> image, ImageShape shape, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        if (generator.NextDouble() >= Probability) return;
        int h = shape.Height, w = shape.Width;
        for (int attempt = 0; attempt < 10; attempt++)
        {
            double area = h * w * RandomAffine.Uniform(generator, Scale.Min, Scale.Max);
            double aspect = Math.Exp(RandomAffine.Uniform(generator, Math.Log(Ratio.Min), Math.Log(Ratio.Max)));
            int eh = (int)Math.Round(Math.Sqrt(area * aspect)), ew = (int)Math.Round(Math.Sqrt(area / aspect));
            if (eh < 1 || ew < 1 || eh >= h || ew >= w) continue;
            int top = (int)generator.NextInt64(0, h - eh + 1), left = (int)generator.NextInt64(0, w - ew + 1);
            for (int c = 0; c < shape.Channels; c++)
            {
                for (int i = top; i < top + eh; i++) image.Slice(c * shape.Plane + i * w + left, ew).Fill(Value);
            }
            return;
        }
    }
}

/// <summary>Random brightness and contrast: the image is multiplied by a brightness factor b uniform in
/// [max(0, 1 − <see cref="Brightness"/>), 1 + <see cref="Brightness"/>], then pulled towards or pushed away from its
/// mean m by a contrast factor c drawn the same way: x ← m + c·(b·x − m), as torchvision's ColorJitter does (in this
/// fixed order), and clipped to <see cref="Range"/> when one is set (images in [0, 1] by default).</summary>
public sealed record BrightnessContrast : ITransform
{
    /// <summary>Largest relative change of brightness.</summary>
    public double Brightness { get; init; } = 0.2;

    /// <summary>Largest relative change of contrast.</summary>
    public double Contrast { get; init; } = 0.2;

    /// <summary>The range the result is clipped to (null: no clipping, for standardised images).</summary>
    public (float Min, float Max)? Range { get; init; } = (0, 1);

    /// <inheritdoc/>
    public void Apply(Span<float> image, ImageShape shape, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        float b = (float)RandomAffine.Uniform(generator, Math.Max(0, 1 - Brightness), 1 + Brightness);
        float c = (float)RandomAffine.Uniform(generator, Math.Max(0, 1 - Contrast), 1 + Contrast);
        double sum = 0;
        foreach (float v in image) sum += v;
        float mean = (float)(b * sum / Math.Max(1, image.Length));
        for (int i = 0; i < image.Length; i++)
        {
            float v = mean + c * (b * image[i] - mean);
            image[i] = Range is { } r ? Math.Clamp(v, r.Min, r.Max) : v;
        }
    }
}

/// <summary>Adds Gaussian noise of standard deviation <paramref name="std"/> to every pixel, clipped to
/// <see cref="Range"/> when one is set.</summary>
public sealed class GaussianNoise(double std) : ITransform
{
    /// <summary>Standard deviation of the noise.</summary>
    public double Std { get; } = std >= 0 ? std
        : throw new ArgumentOutOfRangeException(nameof(std), $"GaussianNoise: std must be >= 0, got {std}");

    /// <summary>The range the result is clipped to (null: none).</summary>
    public (float Min, float Max)? Range { get; init; }

    /// <inheritdoc/>
    public void Apply(Span<float> image, ImageShape shape, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        for (int i = 0; i < image.Length; i++)
        {
            float v = image[i] + (float)(Std * generator.NextGaussian());
            image[i] = Range is { } r ? Math.Clamp(v, r.Min, r.Max) : v;
        }
    }
}
