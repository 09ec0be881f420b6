using System.Buffers;
using System.Numerics;

namespace Dendrite;

// Blocked Householder QR, A = Q·R, in float32 or float64 on Dendrite's packed GEMMs (the structure of LAPACK's
// geqrf and orgqr; the reflector machinery is Householder.cs):
// factor, for each block column of width nb (k = min(m, n)):
//   1. panel A[j0:, j0:j0+nb] by geqr2: one reflector per column, applied to the panel's later columns   O(m·nb²)
//   2. Vᵀ packed with its unit diagonal, T of the compact WY form (larft; VᵀV in one GEMM)                O(m·nb²)
//   3. A[j0:, j0+nb:] ← Hᵀ·A[j0:, j0+nb:], H = I − V·T·Vᵀ, in three GEMMs (larfb)                 Sgemm/Dgemm
// then Q = H₀·H₁·…·H_{k−1}·I[:, :k] (orgqr), the blocks applied backwards to the identity's first k columns, each
// with the same three GEMMs on Q[j0:, j0:] (the columns before j0 are still e_j there, untouched by the block).
// The work is column-major (the row-major input is transposed once on the way in), so every reflector and every
// panel column is a contiguous span and the GEMMs run on the transposes with unit strides.
// Legend: m × n input, k = min(m, n), nb = block width, j0 = first column of a block, τ = tau.
internal static class BlockedQr
{
    /// <summary>Reflectors per block: the width of the GEMMs' inner dimension in the trailing update.</summary>
    public const int BlockSize = 32;

    /// <summary>Below this k = min(m, n) the unblocked geqr2 and org2r run alone: the GEMM has too little to
    /// do.</summary>
    public const int MinBlocked = 64;

    /// <summary>Reduced QR of the row-major m × n float64 matrix <paramref name="a"/> in the precision of T: Q (m × k)
    /// and R (k × n), both row-major, every element written (R's zeros included).</summary>
    public static void Decompose<T>(ReadOnlySpan<double> a, int m, int n, Span<T> q, Span<T> r,
        int blockSize = BlockSize, int minBlocked = MinBlocked) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int k = Math.Min(m, n);
        var cm = ArrayPool<T>.Shared.Rent(m * n);
        var qcm = ArrayPool<T>.Shared.Rent(m * k);
        try
        {
            Transpose<double, T>(a, m, n, cm);
            var tau = new T[k];
            int nb = k < minBlocked ? k : blockSize;
            Factor<T>(cm.AsSpan(0, m * n), m, n, tau, nb);
            // Row i of R is row i of the factored A from column i on: down the columns of cm.
            for (int i = 0; i < k; i++)
            {
                var row = r.Slice(i * n, n);
                row[..i].Clear();
                for (int j = i; j < n; j++) row[j] = cm[j * m + i];
            }
            FormQ<T>(cm, m, k, tau, qcm, nb);
            Transpose<T, T>(qcm, k, m, q);
        }
        finally
        {
            ArrayPool<T>.Shared.Return(cm);
            ArrayPool<T>.Shared.Return(qcm);
        }
    }

    /// <summary>geqrf on the column-major m × n matrix <paramref name="a"/> (leading dimension m): R on and above
    /// the diagonal, reflector i below a[i, i] with τ_i in <paramref name="tau"/> (length min(m, n)). Blocks of
    /// <paramref name="nb"/> columns; nb ≥ min(m, n) is the unblocked geqr2.</summary>
    public static void Factor<T>(Span<T> a, int m, int n, Span<T> tau, int nb)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int k = Math.Min(m, n);
        if (nb >= k)
        {
            Panel(a, m, 0, k, n, tau);
            return;
        }
        var vt = new T[nb * m];
        var t = new T[nb * nb];
        var gram = new T[nb * nb];
        var work = new T[2 * nb * n];
        for (int j0 = 0; j0 < k; j0 += nb)
        {
            int jb = Math.Min(nb, k - j0), len = m - j0, next = j0 + jb;
            Panel(a, m, j0, jb, next, tau);
            if (next >= n) continue;
            var block = a[(j0 * m + j0)..];
            Householder.PackBlock<T>(block, m, len, jb, vt);
            Householder.FormT<T>(vt, jb, len, tau.Slice(j0, jb), t, gram);
            Householder.ApplyBlockLeft<T>(true, vt, jb, len, t, a[(next * m + j0)..], n - next, m, work);
        }
    }

    /// <summary>orgqr: the first k columns of Q = H₀·…·H_{k−1} into the column-major m × k <paramref name="q"/>
    /// (leading dimension m), from the reflectors <see cref="Factor{T}"/> left in <paramref name="a"/>.</summary>
    public static void FormQ<T>(ReadOnlySpan<T> a, int m, int k, ReadOnlySpan<T> tau, Span<T> q, int nb)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        q[..(m * k)].Clear();
        for (int c = 0; c < k; c++) q[c * m + c] = T.One;
        if (nb >= k)
        {
            for (int i = k - 1; i >= 0; i--)
            {
                Householder.ApplyLeft(a.Slice(i * m + i, m - i), tau[i], q[(i * m + i)..], m - i, k - i, m);
            }
            return;
        }
        var vt = new T[nb * m];
        var t = new T[nb * nb];
        var gram = new T[nb * nb];
        var work = new T[2 * nb * k];
        for (int j0 = (k - 1) / nb * nb; j0 >= 0; j0 -= nb)
        {
            int jb = Math.Min(nb, k - j0), len = m - j0;
            Householder.PackBlock(a[(j0 * m + j0)..], m, len, jb, vt);
            Householder.FormT<T>(vt, jb, len, tau.Slice(j0, jb), t, gram);
            Householder.ApplyBlockLeft<T>(false, vt, jb, len, t, q[(j0 * m + j0)..], k - j0, m, work);
        }
    }

    // geqr2 on columns j0 .. j0+jb−1: each reflector is generated down its column and applied at once to the
    // columns after it up to (not including) column `end`.
    private static void Panel<T>(Span<T> a, int m, int j0, int jb, int end, Span<T> tau)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int j = j0; j < j0 + jb; j++)
        {
            var col = a.Slice(j * m + j, m - j);
            tau[j] = Householder.Generate(col);
            if (j + 1 < end) Householder.ApplyLeft<T>(col, tau[j], a[((j + 1) * m + j)..], m - j, end - j - 1, m);
        }
    }

    // dst (cols × rows, row-major) = srcᵀ for the row-major rows × cols src, converted to the element type of dst,
    // in tiles so both sides stay in cache.
    private static void Transpose<TSrc, TDst>(ReadOnlySpan<TSrc> src, int rows, int cols, Span<TDst> dst)
        where TSrc : unmanaged, INumberBase<TSrc> where TDst : unmanaged, INumberBase<TDst>
    {
        const int Tile = 32;
        for (int i0 = 0; i0 < rows; i0 += Tile)
        {
            int i1 = Math.Min(rows, i0 + Tile);
            for (int j0 = 0; j0 < cols; j0 += Tile)
            {
                int j1 = Math.Min(cols, j0 + Tile);
                for (int i = i0; i < i1; i++)
                {
                    for (int j = j0; j < j1; j++) dst[j * rows + i] = TDst.CreateTruncating(src[i * cols + j]);
                }
            }
        }
    }
}
