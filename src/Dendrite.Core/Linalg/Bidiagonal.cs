using System.Numerics.Tensors;

namespace Dendrite;

// Householder bidiagonalization A = Q·B·Pᵀ of a row-major m×n matrix with m ≥ n (LAPACK's gebd2), and the explicit
// Qᵀ and Pᵀ the SVD starts its rotations from (orgbr). B is upper bidiagonal: diagonal d (n), superdiagonal e (n−1).
// Step k applies H_k = I − τq·v·vᵀ from the left (v = column k from row k, v_k = 1) and G_k = I − τp·u·uᵀ from the
// right (u = row k from column k+1, u_{k+1} = 1).
//
// Row-major makes both halves row operations: the left update is row_i −= τq·v_i·w with w = Σ_i v_i·row_i, and
// the right update is row_i −= τp·(row_i·u)·u. Each step is one pass over the trailing rows that does, per row and
// while the row sits in L1: the left update of step k, the right update of step k, and the sums Σ_i a_{i,k+1}·row_i
// and Σ_i a_{i,k+1}² that step k+1's left reflector needs (its w is row_{k+1} + that sum / (α − β)). The passes are
// split by rows over the kernel threads, each thread with its own partial sums.
//
// Legend: a row-major m×n (lda = n), d/e the bidiagonal, τq/τp the reflector scales, w the left update's row vector.
internal static class Bidiagonal
{
    // Fewest trailing elements (rows × columns) worth splitting over threads: below it, dispatch costs more.
    private const int ParallelElements = 48 * 1024;

    // Reflectors per block when Q and P are accumulated (the inner dimension of their GEMMs).
    private const int Block = 64;

    /// <summary>Reduces <paramref name="a"/> (m×n, m ≥ n) in place: on return the left reflectors' tails are in the
    /// columns below the diagonal, the right reflectors' tails in the rows right of the superdiagonal.</summary>
    public static void Reduce(double[] a, int m, int n, double[] d, double[] e, double[] tauQ, double[] tauP)
    {
        int chunks = Math.Max(1, Kernels.Threads.Count);
        var z = new double[chunks * n];
        var sq = new double[chunks];
        var w = new double[n];
        // Step 0's sums over rows 1..m−1, from the untouched matrix.
        for (int i = 1; i < m; i++)
        {
            double v = a[i * n];
            sq[0] += v * v;
            if (n > 1) TensorPrimitives.MultiplyAdd(a.AsSpan(i * n + 1, n - 1), v, z.AsSpan(1, n - 1),
                z.AsSpan(1, n - 1));
        }
        for (int k = 0; k < n; k++)
        {
            int rest = n - k - 1;
            // Left reflector from column k (rows k..m−1): its sums were gathered by the previous pass.
            double normSq = 0;
            for (int c = 0; c < chunks; c++) normSq += sq[c];
            var (beta, tau, scale) = Reflector(a[k * n + k], Math.Sqrt(normSq));
            d[k] = beta;
            tauQ[k] = tau;
            if (tau != 0)
            {
                for (int i = k + 1; i < m; i++) a[i * n + k] *= scale;
                // w = row_k + Σ_{i>k} v_i·row_i over columns k+1..n−1; the row-k part of the update is done here.
                var row = a.AsSpan(k * n + k + 1, rest);
                var wk = w.AsSpan(k + 1, rest);
                row.CopyTo(wk);
                for (int c = 0; c < chunks; c++)
                    TensorPrimitives.MultiplyAdd(z.AsSpan(c * n + k + 1, rest), scale, wk, wk);
                TensorPrimitives.MultiplyAdd(wk, -tau, row, row);
            }
            // Right reflector from row k (columns k+1..n−1).
            double tauRight = 0;
            if (rest > 0)
            {
                var row = a.AsSpan(k * n + k + 1, rest);
                var (betaR, tauR, scaleR) = Reflector(row[0], TensorPrimitives.Norm(row[1..]));
                e[k] = betaR;
                tauRight = tauR;
                if (tauR != 0) TensorPrimitives.Multiply(row[1..], scaleR, row[1..]);
                row[0] = 1;
            }
            tauP[k] = tauRight;
            if (rest == 0) break;
            // One pass over rows k+1..m−1.
            Array.Clear(z);
            Array.Clear(sq);
            int rows = m - k - 1;
            int parts = rows * rest >= ParallelElements ? Math.Min(chunks, rows / 8) : 1;
            double tauLeft = tau;
            int step = k;
            if (parts <= 1)
            {
                Pass(a, n, step, k + 1, m, tauLeft, w, tauRight, z, sq, 0);
            }
            else
            {
                Kernels.Parallel.For(parts, 1, (c0, c1) =>
                {
                    for (int c = c0; c < c1; c++)
                    {
                        int start = step + 1 + (int)((long)c * rows / parts);
                        int end = step + 1 + (int)((long)(c + 1) * rows / parts);
                        Pass(a, n, step, start, end, tauLeft, w, tauRight, z, sq, c);
                    }
                });
            }
            a[k * n + k + 1] = e[k];
        }
    }

    // Rows [start, end) of step k: left update, right update, then the partial sums for step k+1 into slot c.
    private static void Pass(double[] a, int n, int k, int start, int end, double tauLeft, double[] w,
        double tauRight, double[] z, double[] sq, int c)
    {
        int rest = n - k - 1;
        var wk = w.AsSpan(k + 1, rest);
        var u = a.AsSpan(k * n + k + 1, rest);
        var zc = z.AsSpan(c * n + k + 2, rest - 1);
        double sqc = 0;
        for (int i = start; i < end; i++)
        {
            var row = a.AsSpan(i * n + k + 1, rest);
            double v = a[i * n + k];
            if (tauLeft != 0 && v != 0) TensorPrimitives.MultiplyAdd(wk, -tauLeft * v, row, row);
            if (tauRight != 0)
            {
                double t = tauRight * TensorPrimitives.Dot(row, u);
                TensorPrimitives.MultiplyAdd(u, -t, row, row);
            }
            if (i == k + 1) continue;
            double x = row[0];
            sqc += x * x;
            if (x != 0 && rest > 1) TensorPrimitives.MultiplyAdd(row[1..], x, zc, zc);
        }
        sq[c] = sqc;
    }

    /// <summary>LAPACK's larfg for the vector (α, x) with ‖x‖ = <paramref name="norm"/>: H·(α, x) = (β, 0) with
    /// H = I − τ·(1, v)·(1, v)ᵀ, v = x·scale. τ = 0 (H = I) when x is zero.</summary>
    private static (double Beta, double Tau, double Scale) Reflector(double alpha, double norm)
    {
        if (norm == 0) return (alpha, 0, 0);
        double beta = -Math.CopySign(double.Hypot(alpha, norm), alpha);
        return (beta, (beta - alpha) / beta, 1 / (alpha - beta));
    }

    /// <summary>Qᵀ's first n rows (n×m, row-major: row j is column j of Q), from the left reflectors in
    /// <paramref name="a"/>: Qᵀ = H_{n−1}·…·H_0, accumulated backwards so that H_k touches rows k.. only.</summary>
    public static double[] LeftTransposed(double[] a, int m, int n, double[] tauQ)
    {
        var x = new double[n * m];
        for (int j = 0; j < n; j++) x[j * m + j] = 1;
        Accumulate(x, m, n, tauQ, n, k => k, (k, r) => a[(k + r) * n + k], m);
        return x;
    }

    /// <summary>Pᵀ (n×n, row-major: row j is column j of P), from the right reflectors in <paramref name="a"/>:
    /// Pᵀ = G_{n−2}·…·G_0, accumulated backwards.</summary>
    public static double[] RightTransposed(double[] a, int n, double[] tauP)
    {
        var x = new double[n * n];
        for (int j = 0; j < n; j++) x[j * n + j] = 1;
        Accumulate(x, n, n, tauP, n - 1, k => k + 1, (k, r) => a[k * n + k + 1 + r], n);
        return x;
    }

    // x ← x·R_{count−1}ᵀ…·R_0ᵀ restricted to the rows and columns each touches, where reflector k acts on columns
    // start(k)..ld−1 with vector element r = 1 at r = 0 and element(k, r) after. Blocks of Block reflectors, last
    // block first, go through the compact WY form R_k0·…·R_k1 = I − V·T·Vᵀ (larft), so that the bulk of the work is
    // three GEMMs per block: W = X·V, W ← W·Tᵀ, X ← X − W·Vᵀ, X being rows start(k0).. and columns start(k0)...
    private static void Accumulate(double[] x, int ld, int rowsTotal, double[] tau, int count, Func<int, int> start,
        Func<int, int, double> element, int length)
    {
        var v = Array.Empty<double>();
        var t = new double[Block * Block];
        var g = new double[Block * Block];
        double[] w = [], wt = [];
        int last = (count - 1) / Block * Block;
        for (int k0 = last; k0 >= 0; k0 -= Block)
        {
            int nb = Math.Min(Block, count - k0);
            int c0 = start(k0), len = length - c0, rows = rowsTotal - c0;
            if (len <= 0 || rows <= 0) continue;
            if (v.Length < len * nb) v = new double[len * nb];
            if (w.Length < rows * nb)
            {
                w = new double[rows * nb];
                wt = new double[rows * nb];
            }
            // V (len×nb): column j is reflector k0+j, zero above its diagonal, 1 on it.
            for (int r = 0; r < len; r++)
            {
                for (int j = 0; j < nb; j++)
                    v[r * nb + j] = r < j ? 0 : r == j ? 1 : element(k0 + j, r - j);
            }
            // T (nb×nb upper triangular), from G = VᵀV (larft).
            Kernels.Gemm.Dgemm(true, false, nb, nb, len, 1, v, nb, v, nb, 0, g, nb);
            Householder.FormTFromGram<double>(g, nb, tau.AsSpan(k0, nb), t, Block, nb);
            var xs = x.AsSpan(c0 * ld + c0);
            Kernels.Gemm.Dgemm(false, false, rows, nb, len, 1, xs, ld, v, nb, 0, w, nb);
            Kernels.Gemm.Dgemm(false, true, rows, nb, nb, 1, w, nb, t, Block, 0, wt, nb);
            Kernels.Gemm.Dgemm(false, true, rows, len, nb, -1, wt, nb, v, nb, 1, xs, ld);
        }
    }
}
