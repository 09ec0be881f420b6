using System.Numerics;
using System.Numerics.Tensors;

namespace Dendrite;

// Triangular solves with many right-hand sides (LAPACK's trsm) in float32 or float64, recursive on Dendrite's
// packed GEMMs: a triangle of order n is split in two halves, the first half solved, its contribution to the second
// half subtracted with one GEMM, and the second half solved, down to leaves of order <= Leaf whose work is done by
// vectorised row or column sweeps. So all but a fraction Leaf/n of the multiply-adds run in the GEMM.
//
// Everything is row-major with explicit row strides (ld): rows of B are contiguous, columns are strided. The left
// solves (L·X = B, U·X = B) sweep whole rows of B (axpy along k). The right solve X·Lᵀ = B works on columns of X, so
// its leaves copy a strip of rows into a column-major scratch block (each column contiguous), sweep the columns there
// and copy back. Narrow B (k < NarrowRhs, e.g. one right-hand side) goes column by column through dot-product
// substitution along rows of the triangle instead, which is contiguous in row-major.
internal static class Trsm
{
    /// <summary>Order of the triangles solved without further splitting.</summary>
    internal const int Leaf = 32;

    /// <summary>Fewer right-hand sides than this are solved one column at a time by dot products.</summary>
    private const int NarrowRhs = 4;

    /// <summary>Rows of B per column-major scratch strip in the right solve's leaves.</summary>
    private const int Strip = 128;

    /// <summary>Solves L·X = B for X, L m×m lower triangular (unit diagonal when <paramref name="unit"/>; its upper
    /// triangle and, if unit, its diagonal are not read), B m×k overwritten by X.</summary>
    public static void LowerLeft<T>(bool unit, int m, int k, ReadOnlySpan<T> l, int ldl, Span<T> b, int ldb)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (m == 0 || k == 0) return;
        if (k < NarrowRhs)
        {
            NarrowLowerLeft(unit, m, k, l, ldl, b, ldb);
            return;
        }
        if (m <= Leaf)
        {
            for (int r = 0; r < m; r++)
            {
                var row = b.Slice(r * ldb, k);
                for (int p = 0; p < r; p++)
                {
                    T lrp = l[r * ldl + p];
                    if (lrp != T.Zero) TensorPrimitives.MultiplyAdd(b.Slice(p * ldb, k), -lrp, row, row);
                }
                if (!unit) TensorPrimitives.Divide(row, l[r * ldl + r], row);
            }
            return;
        }
        int m1 = Split(m), m2 = m - m1;
        LowerLeft(unit, m1, k, l, ldl, b, ldb);
        BlockedCholesky.GemmMinus(false, false, m2, k, m1, l[(m1 * ldl)..], ldl, b, ldb, b[(m1 * ldb)..], ldb);
        LowerLeft(unit, m2, k, l[(m1 * ldl + m1)..], ldl, b[(m1 * ldb)..], ldb);
    }

    /// <summary>Solves U·X = B for X, U m×m upper triangular with a non-zero diagonal (its lower triangle is not
    /// read), B m×k overwritten by X.</summary>
    public static void UpperLeft<T>(int m, int k, ReadOnlySpan<T> u, int ldu, Span<T> b, int ldb)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (m == 0 || k == 0) return;
        if (k < NarrowRhs)
        {
            NarrowUpperLeft(m, k, u, ldu, b, ldb);
            return;
        }
        if (m <= Leaf)
        {
            for (int r = m - 1; r >= 0; r--)
            {
                var row = b.Slice(r * ldb, k);
                for (int p = r + 1; p < m; p++)
                {
                    T urp = u[r * ldu + p];
                    if (urp != T.Zero) TensorPrimitives.MultiplyAdd(b.Slice(p * ldb, k), -urp, row, row);
                }
                TensorPrimitives.Divide(row, u[r * ldu + r], row);
            }
            return;
        }
        int m1 = Split(m), m2 = m - m1;
        UpperLeft(m2, k, u[(m1 * ldu + m1)..], ldu, b[(m1 * ldb)..], ldb);
        BlockedCholesky.GemmMinus(false, false, m1, k, m2, u[m1..], ldu, b[(m1 * ldb)..], ldb, b, ldb);
        UpperLeft(m1, k, u, ldu, b, ldb);
    }

    /// <summary>Solves X·Lᵀ = B for X, L k×k lower triangular with a non-zero diagonal (its upper triangle is not
    /// read), B m×k overwritten by X: the Cholesky's L21 = A21·L11⁻ᵀ.</summary>
    public static void RightLowerTransposed<T>(int m, int k, ReadOnlySpan<T> l, int ldl, Span<T> b, int ldb)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (m == 0 || k == 0) return;
        if (k <= Leaf)
        {
            RightLowerTransposedLeaf(m, k, l, ldl, b, ldb);
            return;
        }
        int k1 = Split(k), k2 = k - k1;
        RightLowerTransposed(m, k1, l, ldl, b, ldb);
        BlockedCholesky.GemmMinus(false, true, m, k2, k1, b, ldb, l[(k1 * ldl)..], ldl, b[k1..], ldb);
        RightLowerTransposed(m, k2, l[(k1 * ldl + k1)..], ldl, b[k1..], ldb);
    }

    /// <summary>Where a recursive routine splits an order-n problem: about half, rounded up to a multiple of 16 so
    /// that the GEMMs see whole register tiles; always in [1, n).</summary>
    internal static int Split(int n) => Math.Clamp((n / 2 + 15) & ~15, 1, n - 1);

    // x_j = (b_j − Σ_{p<j} x_p·L[j,p]) / L[j,j] for each row of B, column by column: a strip of rows is transposed
    // into scratch so that column j of X is contiguous, then column j is finished and subtracted from the later ones.
    private static void RightLowerTransposedLeaf<T>(int m, int k, ReadOnlySpan<T> l, int ldl, Span<T> b, int ldb)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int strip = Math.Min(Strip, m);
        var scratch = BufferPool<T>.Rent(strip * k);
        try
        {
            for (int r0 = 0; r0 < m; r0 += strip)
            {
                int rows = Math.Min(strip, m - r0);
                var s = scratch.AsSpan(0, rows * k);
                for (int i = 0; i < rows; i++)
                {
                    var src = b.Slice((r0 + i) * ldb, k);
                    for (int j = 0; j < k; j++) s[j * rows + i] = src[j];
                }
                for (int j = 0; j < k; j++)
                {
                    var col = s.Slice(j * rows, rows);
                    TensorPrimitives.Divide(col, l[j * ldl + j], col);
                    for (int q = j + 1; q < k; q++)
                    {
                        T lqj = l[q * ldl + j];
                        if (lqj == T.Zero) continue;
                        var target = s.Slice(q * rows, rows);
                        TensorPrimitives.MultiplyAdd(col, -lqj, target, target);
                    }
                }
                for (int i = 0; i < rows; i++)
                {
                    var dst = b.Slice((r0 + i) * ldb, k);
                    for (int j = 0; j < k; j++) dst[j] = s[j * rows + i];
                }
            }
        }
        finally
        {
            BufferPool<T>.Return(scratch);
        }
    }

    // Forward substitution for each of the few columns of B: x_i = (b_i − L[i,0:i]·x[0:i]) / L[i,i].
    private static void NarrowLowerLeft<T>(bool unit, int m, int k, ReadOnlySpan<T> l, int ldl, Span<T> b, int ldb)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var x = BufferPool<T>.Rent(m);
        try
        {
            for (int c = 0; c < k; c++)
            {
                for (int i = 0; i < m; i++)
                {
                    T s = b[i * ldb + c] - TensorPrimitives.Dot(l.Slice(i * ldl, i), x.AsSpan(0, i));
                    x[i] = unit ? s : s / l[i * ldl + i];
                }
                for (int i = 0; i < m; i++) b[i * ldb + c] = x[i];
            }
        }
        finally
        {
            BufferPool<T>.Return(x);
        }
    }

    // Back substitution for each of the few columns of B: x_i = (b_i − U[i,i+1:m]·x[i+1:m]) / U[i,i].
    private static void NarrowUpperLeft<T>(int m, int k, ReadOnlySpan<T> u, int ldu, Span<T> b, int ldb)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var x = BufferPool<T>.Rent(m);
        try
        {
            for (int c = 0; c < k; c++)
            {
                for (int i = m - 1; i >= 0; i--)
                {
                    int tail = m - i - 1;
                    T s = b[i * ldb + c] - TensorPrimitives.Dot(u.Slice(i * ldu + i + 1, tail), x.AsSpan(i + 1, tail));
                    x[i] = s / u[i * ldu + i];
                }
                for (int i = 0; i < m; i++) b[i * ldb + c] = x[i];
            }
        }
        finally
        {
            BufferPool<T>.Return(x);
        }
    }
}
