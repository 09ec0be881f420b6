using System.Numerics;

namespace Dendrite;

// Sorting along one axis. Indices are found per row (the axis moved last), then the values are gathered with
// them, so the gradient of the values is Gather's: the upstream gradient scattered back to the indices.
public partial class Tensor
{
    /// <summary>The values along <paramref name="axis"/> in ascending (or descending) order, and where each came
    /// from (Int64). The sort is stable: equal values keep their order. NaN sorts above every number, as torch.
    /// dx = scatter of g to the indices</summary>
    public (Tensor Values, Tensor Indices) Sort(int axis = -1, bool descending = false)
    {
        var indices = ArgSort(axis, descending);
        return (Rank == 0 ? Clone() : Gather(axis, indices), indices);
    }

    /// <summary>The indices (Int64) that sort the values along <paramref name="axis"/>, stably.</summary>
    public Tensor ArgSort(int axis = -1, bool descending = false) =>
        SortIndices("ArgSort", axis, descending, Rank == 0 ? 1 : shape[Shapes.Axis("ArgSort", axis, Rank)]);

    /// <summary>The <paramref name="k"/> largest (or smallest) values along <paramref name="axis"/>, in order
    /// (largest first, or smallest first), and their indices (Int64). Ties keep their original order.
    /// dx = scatter of g to the indices</summary>
    public (Tensor Values, Tensor Indices) TopK(int k, int axis = -1, bool largest = true)
    {
        int a = Shapes.Axis("TopK", axis, Math.Max(Rank, 1));
        int n = Rank == 0 ? 1 : shape[a];
        if (k < 0 || k > n)
            throw new ArgumentOutOfRangeException(nameof(k),
                $"TopK: k {k} exceeds dimension {a} of size {n} in {Shapes.Format(shape)}");
        var indices = SortIndices("TopK", a, largest, k);
        return (Rank == 0 ? Clone() : Gather(a, indices), indices);
    }

    // The first `keep` sorted positions of every row along `axis`, as an Int64 tensor shaped like x with that
    // dimension cut to `keep`.
    private Tensor SortIndices(string op, int axis, bool descending, int keep)
    {
        if (Rank == 0) return Zeros(DType.Int64);
        int a = Shapes.Axis(op, axis, Rank);
        int n = shape[a];
        var rows = AxisLast(a);
        var outShape = (int[])rows.shape.Clone();
        outShape[^1] = keep;
        var idx = Empty(DType.Int64, outShape);
        switch (rows.DType)
        {
            case DType.Float32: SortRows(rows.Span<float>(), n, keep, descending, idx.Span<long>()); break;
            case DType.Float64: SortRows(rows.Span<double>(), n, keep, descending, idx.Span<long>()); break;
            case DType.Int64: SortRows(rows.Span<long>(), n, keep, descending, idx.Span<long>()); break;
            default: SortRows(rows.To(DType.Int64).Span<long>(), n, keep, descending, idx.Span<long>()); break;
        }
        return a == Rank - 1 ? idx : idx.Transpose(a, -1).Contiguous();
    }

    private static void SortRows<T>(ReadOnlySpan<T> data, int n, int keep, bool descending, Span<long> dst)
        where T : INumber<T>
    {
        if (n == 0 || keep == 0) return;
        var order = new int[n];
        var keys = new T[n];
        int rows = data.Length / n;
        for (int r = 0; r < rows; r++)
        {
            data.Slice(r * n, n).CopyTo(keys);
            for (int i = 0; i < n; i++) order[i] = i;
            System.Array.Sort(order, new RowOrder<T>(keys, descending));
            var o = dst.Slice(r * keep, keep);
            for (int i = 0; i < keep; i++) o[i] = order[i];
        }
    }

    // Compares positions by value (NaN above every number), ties by position, which makes the sort stable.
    private readonly struct RowOrder<T>(T[] keys, bool descending) : IComparer<int> where T : INumber<T>
    {
        public int Compare(int i, int j)
        {
            T a = keys[i], b = keys[j];
            int c;
            if (T.IsNaN(a) || T.IsNaN(b)) c = T.IsNaN(a) ? (T.IsNaN(b) ? 0 : 1) : -1;
            else c = a < b ? -1 : a > b ? 1 : 0;
            return c != 0 ? (descending ? -c : c) : i.CompareTo(j);
        }
    }
}
