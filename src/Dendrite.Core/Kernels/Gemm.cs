using System.Numerics;
using System.Numerics.Tensors;

namespace Dendrite.Kernels;

/// <summary>Matrix products for the tensor ops. Float32 goes through <see cref="Sgemm"/>; other types use a
/// row-oriented generic loop.</summary>
public static class Gemm
{
    /// <summary>C = alpha·op(A)·op(B) + beta·C, row-major, op(X) = X or Xᵀ. op(A) is m×k, op(B) is k×n.</summary>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc) =>
        Generic(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    /// <summary>The same contract for any numeric type: for each row of C, accumulate rows of op(B) scaled by
    /// the row of op(A) (vectorised axpy along n).</summary>
    public static void Generic<T>(bool transA, bool transB, int m, int n, int k, T alpha,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc)
        where T : unmanaged, INumber<T>
    {
        if (m == 0 || n == 0) return;
        T[]? bt = null;
        if (transB)
        {
            // Materialise op(B) = Bᵀ as k×n rows so the inner loop runs along contiguous memory.
            bt = BufferPool<T>.Rent(k * n);
            for (int p = 0; p < k; p++)
            {
                for (int j = 0; j < n; j++) bt[p * n + j] = b[j * ldb + p];
            }
            b = bt.AsSpan(0, k * n);
            ldb = n;
        }
        var rowArray = BufferPool<T>.Rent(n);
        var row = rowArray.AsSpan(0, n);
        for (int i = 0; i < m; i++)
        {
            row.Clear();
            for (int p = 0; p < k; p++)
            {
                T av = transA ? a[p * lda + i] : a[i * lda + p];
                TensorPrimitives.MultiplyAdd(b.Slice(p * ldb, n), av, row, row);
            }
            var ci = c.Slice(i * ldc, n);
            if (beta == T.Zero)
            {
                TensorPrimitives.Multiply(row, alpha, ci);
            }
            else
            {
                TensorPrimitives.Multiply(ci, beta, ci);
                TensorPrimitives.MultiplyAdd(row, alpha, ci, ci);
            }
        }
        BufferPool<T>.Return(rowArray);
        if (bt is not null) BufferPool<T>.Return(bt);
    }
}
