using System.Numerics;

namespace Dendrite.Kernels.Reference;

/// <summary>The specification of GEMM: C = alpha·op(A)·op(B) + beta·C in row-major storage, where op(X) is X or Xᵀ.
/// A plain triple loop with no blocking; fast kernels are tested against it.</summary>
internal static class GemmReference
{
    /// <summary>op(A) is m×k (A stored k×m when transposed), op(B) is k×n, C is m×n; lda/ldb/ldc are row strides.</summary>
    public static void Gemm<T>(bool transA, bool transB, int m, int n, int k, T alpha,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc)
        where T : INumber<T>
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                T acc = T.Zero;
                for (int p = 0; p < k; p++)
                {
                    T av = transA ? a[p * lda + i] : a[i * lda + p];
                    T bv = transB ? b[j * ldb + p] : b[p * ldb + j];
                    acc += av * bv;
                }
                int ci = i * ldc + j;
                // beta = 0 overwrites C, so NaN in uninitialised output never leaks in (BLAS convention).
                c[ci] = beta == T.Zero ? alpha * acc : alpha * acc + beta * c[ci];
            }
        }
    }
}
