// Data augmentation: random, label-preserving changes to training images, drawn afresh for every image of every
// batch, so that the network sees a slightly different set at each epoch (Simard, Steinkraus & Platt, 2003;
// Krizhevsky et al., 2012). Every transform works on one image (C, H, W) in place and draws its random parameters from
// the generator it is given: one seed makes a run's augmentations reproducible.
//
// Shapes: an image is (C, H, W) stored channel-major, row-major; a batch is (N, C, H, W) or (N, H, W) (C = 1).

namespace Dendrite.Data.Transforms;

/// <summary>The shape of one image: channels, height, width.</summary>
/// <param name="Channels">C.</param>
/// <param name="Height">H.</param>
/// <param name="Width">W.</param>
public readonly record struct ImageShape(int Channels, int Height, int Width)
{
    /// <summary>Values per channel, H·W.</summary>
    public int Plane => Height * Width;

    /// <summary>Values per image, C·H·W.</summary>
    public int Size => Channels * Height * Width;
}

/// <summary>A random change to one image, made in place.</summary>
public interface ITransform
{
    /// <summary>Transforms <paramref name="image"/> (C, H, W) in place, drawing any random choice from
    /// <paramref name="generator"/>.</summary>
    void Apply(Span<float> image, ImageShape shape, Generator generator);
}

/// <summary>Transforms applied one after the other, in order.</summary>
public sealed class Compose(params ITransform[] transforms) : ITransform
{
    /// <summary>The transforms, in the order they run.</summary>
    public IReadOnlyList<ITransform> Transforms { get; } = [.. transforms];

    /// <inheritdoc/>
    public void Apply(Span<float> image, ImageShape shape, Generator generator)
    {
        foreach (var t in Transforms) t.Apply(image, shape, generator);
    }
}

/// <summary>Applying a transform to every image of a batch.</summary>
public static class TransformExtensions
{
    /// <summary>Transforms every image of <paramref name="batch"/> (N, C, H, W) or (N, H, W), float32 and contiguous,
    /// in place, image by image in order (so the draws from <paramref name="generator"/> do not depend on threads).
    /// </summary>
    public static void ApplyInPlace(this ITransform transform, Tensor batch, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(transform);
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(generator);
        var shape = ShapeOf(batch, transform);
        if (!batch.IsContiguous)
            throw new ArgumentException($"{transform.GetType().Name}: the batch {Shapes.Format(batch.Shape)} must be " +
                "contiguous to be transformed in place; pass batch.Contiguous() or use Apply");
        var all = batch.AsSpan<float>();
        for (int i = 0; i < batch.Size(0); i++)
            transform.Apply(all.Slice(i * shape.Size, shape.Size), shape, generator);
    }

    /// <summary>A transformed copy of <paramref name="batch"/> (N, C, H, W) or (N, H, W); the batch is unchanged.
    /// </summary>
    public static Tensor Apply(this ITransform transform, Tensor batch, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ShapeOf(batch, transform);
        var copy = batch.Detach().Contiguous().Clone();
        transform.ApplyInPlace(copy, generator);
        return copy;
    }

    private static ImageShape ShapeOf(Tensor batch, ITransform transform)
    {
        if (batch.DType != DType.Float32 || batch.Rank is not (3 or 4))
            throw new ArgumentException($"{transform.GetType().Name}: expected a float32 batch of images (N, C, " +
                $"H, W) " +
                $"or (N, H, W), got {batch.DType} {Shapes.Format(batch.Shape)}; reshape flat images first " +
                "(x.Reshape(n, 1, 28, 28))");
        return batch.Rank == 3
            ? new ImageShape(1, batch.Size(1), batch.Size(2))
            : new ImageShape(batch.Size(1), batch.Size(2), batch.Size(3));
    }
}
