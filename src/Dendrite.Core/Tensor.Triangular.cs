namespace Dendrite;

// Lower and upper triangles of matrices (causal attention masks), batched over leading dimensions.
public partial class Tensor
{
    /// <summary>The lower triangle of the last two dimensions: elements with column - row ≤
    /// <paramref name="diagonal"/> kept, the rest zero (torch.tril).   dx = tril(g)</summary>
    public Tensor Tril(int diagonal = 0) => Triangle("Tril", diagonal, lower: true);

    /// <summary>The upper triangle of the last two dimensions: elements with column - row ≥
    /// <paramref name="diagonal"/> kept, the rest zero (torch.triu).   dx = triu(g)</summary>
    public Tensor Triu(int diagonal = 0) => Triangle("Triu", diagonal, lower: false);

    private Tensor Triangle(string op, int diagonal, bool lower)
    {
        if (Rank < 2)
            throw new ArgumentException($"{op}: needs at least 2 dimensions, got {Shapes.Format(shape)}");
        int rows = shape[^2], cols = shape[^1];
        var keep = new bool[rows * cols];
        for (int i = 0; i < rows; i++)
        {
            // Row i keeps columns [0, i + diagonal] (lower) or [i + diagonal, cols) (upper).
            int edge = i + diagonal;
            var row = keep.AsSpan(i * cols, cols);
            if (lower) row[..Math.Clamp(edge + 1, 0, cols)].Fill(true);
            else row[Math.Clamp(edge, 0, cols)..].Fill(true);
        }
        var mask = From(keep, rows, cols);
        // Where passes the gradient where the mask holds and zero elsewhere: exactly tril(g) / triu(g).
        return Where(mask, this, Scalar(0, DType));
    }
}
