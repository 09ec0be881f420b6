using Dendrite.Kernels;

namespace Dendrite;

// Right-looking blocked Cholesky A = L·Lᵀ in float32 on Dendrite's packed GEMM (the structure of LAPACK's potrf):
// for each block column of width nb,
//   1. L11 = chol(A11)                       unblocked, accumulated in float64       O(nb³)
//   2. L21 = A21·L11⁻ᵀ                       row-wise forward substitution           O(n·nb²)
//   3. A22 ← A22 − L21·L21ᵀ                  Sgemm                                   O(n²·nb)
// so almost all of the n³/3 multiply-adds run in the GEMM. Step 3 updates the whole square block (twice the work of
// a symmetric rank-k update) because the GEMM is so much faster than anything else here; docs/decisions/0008 has the
// measurements. Row-major n×n; only the lower triangle is read and the upper one is left as it was.
internal static class BlockedCholesky
{
    /// <summary>Below this order the float64 routine is used: the GEMM has too little to do.</summary>
    public const int MinOrder = 128;

    private const int BlockSize = 96;

    /// <summary>Overwrites the lower triangle of <paramref name="a"/> with L; false when A is not positive
    /// definite (a non-positive or non-finite pivot).</summary>
    public static bool Factor(Span<float> a, int n)
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
                    double s = row[j];
                    for (int p = 0; p < j; p++) s -= (double)row[p] * lj[p];
                    row[j] = (float)(s / a[(k0 + j) * n + k0 + j]);
                }
            }
            if (rest == 0) continue;
            var l21 = a[((k0 + kb) * n + k0)..];
            var a22 = a[((k0 + kb) * n + k0 + kb)..];
            Gemm.Sgemm(false, true, rest, rest, kb, -1f, l21, n, l21, n, 1f, a22, n);
        }
        return true;
    }

    // Unblocked Cholesky of the kb×kb block at (k0, k0), in float64 accumulation.
    private static bool Diagonal(Span<float> a, int n, int k0, int kb)
    {
        for (int j = 0; j < kb; j++)
        {
            int rj = (k0 + j) * n + k0;
            double d = a[rj + j];
            for (int p = 0; p < j; p++) d -= (double)a[rj + p] * a[rj + p];
            if (!(d > 0) || !double.IsFinite(d)) return false;
            double ljj = Math.Sqrt(d);
            a[rj + j] = (float)ljj;
            for (int i = j + 1; i < kb; i++)
            {
                int ri = (k0 + i) * n + k0;
                double s = a[ri + j];
                for (int p = 0; p < j; p++) s -= (double)a[ri + p] * a[rj + p];
                a[ri + j] = (float)(s / ljj);
            }
        }
        return true;
    }
}
