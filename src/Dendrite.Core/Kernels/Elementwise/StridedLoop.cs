namespace Dendrite.Kernels;

/// <summary>Work done on one innermost row of a strided loop: <paramref name="n"/> elements, each operand k
/// starting at <c>offsets[k]</c> and stepping by <c>strides[k]</c>.</summary>
internal interface IRowKernel
{
    void Row(ReadOnlySpan<int> offsets, ReadOnlySpan<int> strides, int n);
}

/// <summary>
/// Drives an N-dimensional loop over several operands that share one (broadcast) shape. Dimensions that are
/// contiguous for every operand are merged first, so a loop over contiguous tensors becomes one long row.
/// </summary>
internal static class StridedLoop
{
    public const int MaxRank = 16;

    /// <param name="shape">loop shape (the output's).</param>
    /// <param name="strides">k rows of rank strides, operand-major: strides[op * rank + dim].</param>
    /// <param name="offsets">start offset of each operand.</param>
    public static void Run<TKernel>(ReadOnlySpan<int> shape, ReadOnlySpan<int> strides, ReadOnlySpan<int> offsets,
        ref TKernel kernel) where TKernel : struct, IRowKernel
    {
        int k = offsets.Length;
        int rank = shape.Length;
        if (rank > MaxRank) throw new NotSupportedException($"tensors of rank {rank} exceed the maximum of {MaxRank}");
        foreach (int d in shape)
        {
            if (d == 0) return;
        }
        // Coalesce: drop size-1 dims, merge dim i into i+1 when every operand is contiguous across them.
        Span<int> dims = stackalloc int[MaxRank];
        Span<int> st = stackalloc int[MaxRank * 4];
        int r = 0;
        for (int i = 0; i < rank; i++)
        {
            if (shape[i] == 1) continue;
            if (r > 0)
            {
                bool merge = true;
                for (int op = 0; op < k && merge; op++)
                    merge = st[op * MaxRank + r - 1] == strides[op * rank + i] * shape[i];
                if (merge)
                {
                    dims[r - 1] *= shape[i];
                    for (int op = 0; op < k; op++) st[op * MaxRank + r - 1] = strides[op * rank + i];
                    continue;
                }
            }
            dims[r] = shape[i];
            for (int op = 0; op < k; op++) st[op * MaxRank + r] = strides[op * rank + i];
            r++;
        }
        Span<int> off = stackalloc int[4];
        Span<int> inner = stackalloc int[4];
        offsets.CopyTo(off);
        if (r == 0)
        {
            kernel.Row(off[..k], inner[..k], 1);
            return;
        }
        for (int op = 0; op < k; op++) inner[op] = st[op * MaxRank + r - 1];
        int n = dims[r - 1];
        if (r == 1)
        {
            kernel.Row(off[..k], inner[..k], n);
            return;
        }
        Span<int> idx = stackalloc int[MaxRank];
        idx.Clear();
        while (true)
        {
            kernel.Row(off[..k], inner[..k], n);
            int d = r - 2;
            while (d >= 0)
            {
                idx[d]++;
                for (int op = 0; op < k; op++) off[op] += st[op * MaxRank + d];
                if (idx[d] < dims[d]) break;
                for (int op = 0; op < k; op++) off[op] -= st[op * MaxRank + d] * dims[d];
                idx[d] = 0;
                d--;
            }
            if (d < 0) return;
        }
    }
}
