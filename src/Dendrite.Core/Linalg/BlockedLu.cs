using System.Numerics;
using System.Numerics.Tensors;
using Dendrite.Kernels;

namespace Dendrite;

// Right-looking blocked LU with partial pivoting, P·A = L·U, in float32 or float64 on Dendrite's packed GEMMs (the
// structure of LAPACK's getrf): for each block column of width nb,
//   1. factor the panel A[k0:, k0:k0+nb] column by column, swapping whole rows at each pivot      O(n·nb²)
//   2. U12 = L11⁻¹·A12 by forward substitution along rows (L11 unit lower triangular)             O(n·nb²)
//   3. A22 ← A22 − L21·U12                                                                   Sgemm/Dgemm
// Row-major n×n, overwritten with L (strictly lower, unit diagonal implied) and U; pivots 0-based as in getrf:
// row i was swapped with row pivots[i] at step i.
internal static class BlockedLu
{
    /// <summary>Below this order MathNet.Numerics' unblocked routine is used: the GEMM has too little to do.</summary>
    public const int MinOrder = 128;

    private const int BlockSize = 64;

    /// <summary>Factors <paramref name="a"/> in place. A zero pivot leaves its column unscaled (as getrf does) and
    /// shows as U[i,i] = 0.</summary>
    public static void Factor<T>(Span<T> a, int n, Span<int> pivots) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int k0 = 0; k0 < n; k0 += BlockSize)
        {
            int kb = Math.Min(BlockSize, n - k0), end = k0 + kb, rest = n - end;
            Panel(a, n, k0, kb, pivots);
            if (rest == 0) continue;
            for (int r = 1; r < kb; r++)
            {
                var row = a.Slice((k0 + r) * n + end, rest);
                for (int p = 0; p < r; p++)
                {
                    T l = a[(k0 + r) * n + k0 + p];
                    if (l != T.Zero) TensorPrimitives.MultiplyAdd(a.Slice((k0 + p) * n + end, rest), -l, row, row);
                }
            }
            var l21 = a[(end * n + k0)..];
            var u12 = a[(k0 * n + end)..];
            var a22 = a[(end * n + end)..];
            BlockedCholesky.GemmMinus(false, false, rest, rest, kb, l21, n, u12, n, a22, n);
        }
    }

    private static void Panel<T>(Span<T> a, int n, int k0, int kb, Span<int> pivots)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int end = k0 + kb;
        for (int j = k0; j < end; j++)
        {
            int p = j;
            T best = T.Abs(a[j * n + j]);
            for (int i = j + 1; i < n; i++)
            {
                T v = T.Abs(a[i * n + j]);
                if (v > best)
                {
                    best = v;
                    p = i;
                }
            }
            pivots[j] = p;
            if (p != j)
            {
                var rj = a.Slice(j * n, n);
                var rp = a.Slice(p * n, n);
                for (int c = 0; c < n; c++) (rj[c], rp[c]) = (rp[c], rj[c]);
            }
            T d = a[j * n + j];
            if (d == T.Zero) continue;
            int width = end - j - 1;
            var pivotRow = a.Slice(j * n + j + 1, width);
            for (int i = j + 1; i < n; i++)
            {
                T l = a[i * n + j] /= d;
                if (l != T.Zero && width > 0)
                {
                    var row = a.Slice(i * n + j + 1, width);
                    TensorPrimitives.MultiplyAdd(pivotRow, -l, row, row);
                }
            }
        }
    }
}
