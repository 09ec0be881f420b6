using System.Numerics;
using System.Numerics.Tensors;

namespace Dendrite;

// Recursive LU with partial pivoting, P·A = L·U, in float32 or float64 on Dendrite's packed GEMMs (the structure of
// LAPACK's getrf2, applied to the whole matrix). For the block of columns [c0, c0+w), rows c0.., split at
// w1 ≈ w/2 (Trsm.Split):
//   1. factor the left columns [c0, c0+w1) recursively (their row swaps are applied to whole rows)
//   2. U12 = L11⁻¹·A12                        recursive triangular solve (Trsm), L11 unit lower
//   3. A22 ← A22 − L21·U12                    Sgemm/Dgemm
//   4. factor the right columns [c0+w1, c0+w) recursively
// Leaves of at most PanelLeaf columns are copied into a column-major scratch panel, so that the pivot search, the
// scaling and the rank-1 updates all run along contiguous columns, and copied back; their row swaps are then applied
// to the rest of each row (row-major rows make a swap two contiguous copies). Row-major n×n, overwritten with L
// (strictly lower, unit diagonal implied) and U; pivots 0-based as in getrf: row i was swapped with row pivots[i] at
// step i, the first row of largest magnitude being chosen.
internal static class BlockedLu
{
    /// <summary>Columns factored by the unblocked column sweep.</summary>
    private const int PanelLeaf = 16;

    /// <summary>Factors <paramref name="a"/> in place. A zero pivot leaves its column unscaled (as getrf does) and
    /// shows as U[i,i] = 0.</summary>
    public static void Factor<T>(Span<T> a, int n, Span<int> pivots) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (n == 0) return;
        var scratch = BufferPool<T>.Rent(n * Math.Min(PanelLeaf, n));
        try
        {
            Recursive(a, n, 0, n, pivots, scratch);
        }
        finally
        {
            BufferPool<T>.Return(scratch);
        }
    }

    /// <summary>Solves A·X = B from A's factors (<paramref name="lu"/>, <paramref name="pivots"/> as
    /// <see cref="Factor"/> leaves them): B (n×k, row-major) is overwritten by X. U must have a non-zero
    /// diagonal.</summary>
    public static void Solve<T>(ReadOnlySpan<T> lu, int n, ReadOnlySpan<int> pivots, Span<T> b, int k)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < n; i++)
        {
            int p = pivots[i];
            if (p != i) Swap(b.Slice(i * k, k), b.Slice(p * k, k));
        }
        Trsm.LowerLeft(true, n, k, lu, n, b, k);
        Trsm.UpperLeft(n, k, lu, n, b, k);
    }

    /// <summary>Writes A⁻¹ (n×n, row-major) into <paramref name="inverse"/> from A's factors: the solve of
    /// <see cref="Solve"/> with B = I.</summary>
    public static void Inverse<T>(ReadOnlySpan<T> lu, int n, ReadOnlySpan<int> pivots, Span<T> inverse)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        inverse[..(n * n)].Clear();
        for (int i = 0; i < n; i++) inverse[i * n + i] = T.One;
        Solve(lu, n, pivots, inverse, n);
    }

    private static void Recursive<T>(Span<T> a, int n, int c0, int w, Span<int> pivots, T[] scratch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (w <= PanelLeaf)
        {
            Panel(a, n, c0, w, pivots, scratch);
            return;
        }
        int w1 = Trsm.Split(w), w2 = w - w1, c1 = c0 + w1;
        Recursive(a, n, c0, w1, pivots, scratch);
        Trsm.LowerLeft(true, w1, w2, a[(c0 * n + c0)..], n, a[(c0 * n + c1)..], n);
        BlockedCholesky.GemmMinus(false, false, n - c1, w2, w1, a[(c1 * n + c0)..], n, a[(c0 * n + c1)..], n,
            a[(c1 * n + c1)..], n);
        Recursive(a, n, c1, w2, pivots, scratch);
    }

    // Unblocked LU of columns [c0, c0+w), rows c0..n, in a column-major copy: column j of the panel is
    // s[j·rows .. (j+1)·rows).
    private static void Panel<T>(Span<T> a, int n, int c0, int w, Span<int> pivots, T[] scratch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = n - c0;
        var s = scratch.AsSpan(0, rows * w);
        for (int i = 0; i < rows; i++)
        {
            var src = a.Slice((c0 + i) * n + c0, w);
            for (int j = 0; j < w; j++) s[j * rows + i] = src[j];
        }
        for (int j = 0; j < w; j++)
        {
            var col = s.Slice(j * rows, rows);
            int p = j;
            T best = T.Abs(col[j]);
            for (int i = j + 1; i < rows; i++)
            {
                T v = T.Abs(col[i]);
                if (v > best)
                {
                    best = v;
                    p = i;
                }
            }
            pivots[c0 + j] = c0 + p;
            if (p != j)
            {
                for (int c = 0; c < w; c++) (s[c * rows + j], s[c * rows + p]) = (s[c * rows + p], s[c * rows + j]);
            }
            T d = col[j];
            if (d == T.Zero) continue;
            var below = col[(j + 1)..];
            TensorPrimitives.Divide(below, d, below);
            for (int c = j + 1; c < w; c++)
            {
                var target = s.Slice(c * rows + j + 1, rows - j - 1);
                T u = s[c * rows + j];
                if (u != T.Zero) TensorPrimitives.MultiplyAdd(below, -u, target, target);
            }
        }
        for (int i = 0; i < rows; i++)
        {
            var dst = a.Slice((c0 + i) * n + c0, w);
            for (int j = 0; j < w; j++) dst[j] = s[j * rows + i];
        }
        // The panel's swaps, in order, on the columns left and right of it.
        for (int j = 0; j < w; j++)
        {
            int r = c0 + j, p = pivots[r];
            if (p == r) continue;
            Swap(a.Slice(r * n, c0), a.Slice(p * n, c0));
            int right = c0 + w;
            Swap(a.Slice(r * n + right, n - right), a.Slice(p * n + right, n - right));
        }
    }

    /// <summary>Exchanges two equally long, non-overlapping row segments, a block of elements at a time.</summary>
    internal static void Swap<T>(Span<T> x, Span<T> y) where T : unmanaged
    {
        Span<T> tmp = stackalloc T[64];
        for (int i = 0; i < x.Length; i += tmp.Length)
        {
            int len = Math.Min(tmp.Length, x.Length - i);
            var xs = x.Slice(i, len);
            var ys = y.Slice(i, len);
            xs.CopyTo(tmp);
            ys.CopyTo(xs);
            tmp[..len].CopyTo(ys);
        }
    }
}
