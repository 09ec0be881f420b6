using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Dendrite.Kernels;

namespace Dendrite;

// Recursive Cholesky A = L·Lᵀ in float32 or float64 on Dendrite's packed GEMMs (the structure of LAPACK's potrf2),
// in the input's own precision. With A split at n1 ≈ n/2 (Trsm.Split):
//   1. L11 = chol(A11)                       recursively                                  (n1³/3)
//   2. L21 = A21·L11⁻ᵀ                       recursive triangular solve (Trsm)            (n2·n1²)
//   3. A22 ← A22 − L21·L21ᵀ                  lower triangle only, in GEMM blocks (Syrk)   (n2²·n1)
//   4. L22 = chol(A22)                       recursively
// down to leaves of order <= Trsm.Leaf factored by dot products along rows, so almost all of the n³/3
// multiply-adds run in the GEMM with large inner dimensions. Row-major n×n: rows of L are contiguous, which makes the
// leaves' dot products contiguous. Only the lower triangle is read; the upper one is scratch (step 3's diagonal
// blocks are computed as whole squares) and the caller discards it.
internal static class BlockedCholesky
{
    /// <summary>Diagonal blocks of the symmetric update up to this order are updated as whole squares by one GEMM.
    /// </summary>
    private const int SyrkLeaf = 128;

    /// <summary>Overwrites the lower triangle of <paramref name="a"/> with L; false when A is not positive
    /// definite (a non-positive or non-finite pivot).</summary>
    public static bool Factor<T>(Span<T> a, int n) where T : unmanaged, IFloatingPointIeee754<T> =>
        Recursive(a, n, n);

    private static bool Recursive<T>(Span<T> a, int n, int lda) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (n <= Trsm.Leaf) return Leaf(a, n, lda);
        int n1 = Trsm.Split(n), n2 = n - n1;
        if (!Recursive(a, n1, lda)) return false;
        var a21 = a[(n1 * lda)..];
        Trsm.RightLowerTransposed(n2, n1, a, lda, a21, lda);
        var a22 = a[(n1 * lda + n1)..];
        SyrkMinus(n2, n1, a21, lda, a22, lda);
        return Recursive(a22, n2, lda);
    }

    // Unblocked Cholesky of a small block: L[j,j] = √(A[j,j] − L[j,:j]·L[j,:j]), L[i,j] = (A[i,j] − L[i,:j]·L[j,:j]) /
    // L[j,j], with every dot product along contiguous rows.
    private static bool Leaf<T>(Span<T> a, int n, int lda) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int j = 0; j < n; j++)
        {
            var rj = a.Slice(j * lda, j);
            T d = a[j * lda + j] - TensorPrimitives.Dot<T>(rj, rj);
            if (!(d > T.Zero) || !T.IsFinite(d)) return false;
            T ljj = T.Sqrt(d);
            a[j * lda + j] = ljj;
            for (int i = j + 1; i < n; i++)
            {
                a[i * lda + j] = (a[i * lda + j] - TensorPrimitives.Dot<T>(a.Slice(i * lda, j), rj)) / ljj;
            }
        }
        return true;
    }

    /// <summary>C ← C − A·Aᵀ on the lower triangle of the n×n block C (A is n×k): off-diagonal blocks by GEMM,
    /// diagonal blocks of order <= SyrkLeaf as whole squares (their upper part is scratch).</summary>
    private static void SyrkMinus<T>(int n, int k, ReadOnlySpan<T> a, int lda, Span<T> c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (n <= SyrkLeaf)
        {
            GemmMinus(false, true, n, n, k, a, lda, a, lda, c, ldc);
            return;
        }
        int n1 = Trsm.Split(n), n2 = n - n1;
        SyrkMinus(n1, k, a, lda, c, ldc);
        GemmMinus(false, true, n2, n1, k, a[(n1 * lda)..], lda, a, lda, c[(n1 * ldc)..], ldc);
        SyrkMinus(n2, k, a[(n1 * lda)..], lda, c[(n1 * ldc + n1)..], ldc);
    }

    /// <summary>C ← C − op(A)·op(B) on the GEMM of the element type (the blocked factorizations' updates).</summary>
    internal static void GemmMinus<T>(bool transA, bool transB, int m, int n, int k, ReadOnlySpan<T> a, int lda,
        ReadOnlySpan<T> b, int ldb, Span<T> c, int ldc) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (k == 0) return;
        Gemm.Multiply(transA, transB, m, n, k, -T.One, a, lda, b, ldb, T.One, c, ldc);
    }
}
