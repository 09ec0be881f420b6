using System.Numerics;
using System.Runtime.InteropServices;
using Dendrite.Kernels;

namespace Dendrite;

// Right-looking blocked Cholesky A = L·Lᵀ in float32 or float64 on Dendrite's packed GEMMs (the structure of
// LAPACK's potrf):
// for each block column of width nb,
//   1. L11 = chol(A11)                       unblocked, accumulated in float64       O(nb³)
//   2. L21 = A21·L11⁻ᵀ                       row-wise forward substitution           O(n·nb²)
//   3. A22 ← A22 − L21·L21ᵀ                  Sgemm/Dgemm                                  O(n²·nb)
// so almost all of the n³/3 multiply-adds run in the GEMM. Step 3 updates the whole square block (twice the work of
// a symmetric rank-k update) because the GEMM is so much faster than anything else here; docs/decisions/0008 has the
// measurements. Row-major n×n; only the lower triangle is read and the upper one is left as it was.
internal static class BlockedCholesky
{
    /// <summary>Below this order MathNet.Numerics' unblocked routine is used: the GEMM has too little to do.</summary>
    public const int MinOrder = 128;

    private const int BlockSize = 96;

    /// <summary>Overwrites the lower triangle of <paramref name="a"/> with L; false when A is not positive
    /// definite (a non-positive or non-finite pivot).</summary>
    public static bool Factor<T>(Span<T> a, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int k0 = 0; k0 < n; k0 += BlockSize)
        {
            int kb = Math.Min(BlockSize, n - k0), rest = n - k0 - kb;
            if (!Diagonal(a, n, k0, kb)) return false;
            for (int i = k0 + kb; i < n; i++)
            {
                var row = a.Slice(i * n + k0, kb);
                for (int j = 0; j < kb; j++)
                {
                    var lj = a.Slice((k0 + j) * n + k0, j);
                    double s = double.CreateTruncating(row[j]);
                    for (int p = 0; p < j; p++) s -= double.CreateTruncating(row[p]) * double.CreateTruncating(lj[p]);
                    row[j] = T.CreateTruncating(s / double.CreateTruncating(a[(k0 + j) * n + k0 + j]));
                }
            }
            if (rest == 0) continue;
            var l21 = a[((k0 + kb) * n + k0)..];
            var a22 = a[((k0 + kb) * n + k0 + kb)..];
            GemmMinus(false, true, rest, rest, kb, l21, n, l21, n, a22, n);
        }
        return true;
    }

    // Unblocked Cholesky of the kb×kb block at (k0, k0), in float64 accumulation.
    private static bool Diagonal<T>(Span<T> a, int n, int k0, int kb) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int j = 0; j < kb; j++)
        {
            int rj = (k0 + j) * n + k0;
            double d = double.CreateTruncating(a[rj + j]);
            for (int p = 0; p < j; p++) d -= double.CreateTruncating(a[rj + p]) * double.CreateTruncating(a[rj + p]);
            if (!(d > 0) || !double.IsFinite(d)) return false;
            double ljj = Math.Sqrt(d);
            a[rj + j] = T.CreateTruncating(ljj);
            for (int i = j + 1; i < kb; i++)
            {
                int ri = (k0 + i) * n + k0;
                double s = double.CreateTruncating(a[ri + j]);
                for (int p = 0; p < j; p++) s -= double.CreateTruncating(a[ri + p]) * double.CreateTruncating(a[rj + p]);
                a[ri + j] = T.CreateTruncating(s / ljj);
            }
        }
        return true;
    }

    /// <summary>C ← C − op(A)·op(B) on the GEMM of the element type (the blocked factorizations' trailing
    /// update).</summary>
    internal static void GemmMinus<T>(bool transA, bool transB, int m, int n, int k, ReadOnlySpan<T> a, int lda,
        ReadOnlySpan<T> b, int ldb, Span<T> c, int ldc) where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            Gemm.Sgemm(transA, transB, m, n, k, -1f, MemoryMarshal.Cast<T, float>(a), lda,
                MemoryMarshal.Cast<T, float>(b), ldb, 1f, MemoryMarshal.Cast<T, float>(c), ldc);
        }
        else if (typeof(T) == typeof(double))
        {
            Gemm.Dgemm(transA, transB, m, n, k, -1.0, MemoryMarshal.Cast<T, double>(a), lda,
                MemoryMarshal.Cast<T, double>(b), ldb, 1.0, MemoryMarshal.Cast<T, double>(c), ldc);
        }
        else
        {
            throw new NotSupportedException($"blocked factorizations: no GEMM for {typeof(T).Name}");
        }
    }
}
