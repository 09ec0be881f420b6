namespace Dendrite.Nn;

/// <summary>Splits the last dimension into <paramref name="shape"/>, the inverse of <see cref="Flatten"/> (as
/// torch.nn.Unflatten(1, shape) on a batch of vectors).   (N, ∏shape) → (N, shape…)</summary>
public sealed class Unflatten(params int[] shape) : Module, ILayer
{
    /// <summary>The shape each row becomes.</summary>
    public IReadOnlyList<int> Shape { get; } = shape;

    /// <inheritdoc/>
    public Tensor Forward(Tensor x)
    {
        long want = Shape.Aggregate(1L, (a, b) => a * b);
        if (x.Rank != 2 || x.Size(1) != want)
            throw new ArgumentException($"Unflatten: expects (N, {want}) to make (N, {string.Join(", ", Shape)}), " +
                $"got {Shapes.Format(x.Shape)}");
        return x.Reshape([x.Size(0), .. Shape]);
    }
}
