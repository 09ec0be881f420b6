using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using Dendrite.Kernels;

namespace Dendrite;

// Symmetric eigendecomposition A = V·diag(w)·Vᵀ in float64, LAPACK's syev structure on Dendrite's GEMM:
//   1. A = Q·T·Qᵀ, T tridiagonal, by Householder reflectors in panels of width nb (sytrd/latrd, lower form):
//      inside a panel each reflector needs one product of the not-yet-updated trailing matrix with its vector
//      (memory-bound: 2/3·n³ flops over the whole reduction, vectorised and split over the threads), corrected by
//      the panel's earlier vectors; after the panel the trailing matrix takes the rank-2·nb update
//      A ← A − V·Wᵀ − W·Vᵀ as one Dgemm (another 2/3·n³, twice that because it updates the full square);
//   2. T = Z_T·diag(w)·Z_Tᵀ by SymmetricTridiagonal (QL eigenvalues, inverse-iteration eigenvectors);
//   3. V = Q·Z_T with the reflectors applied in blocks, I − V_p·T_p·V_pᵀ (larft/ormtr), three Dgemm per panel.
// Storage is row-major and A is kept as a full symmetric square (the lower triangle mirrored at the start), so the
// i-th column below the diagonal is also the i-th row right of it: a reflector is built from a contiguous row, and
// the matrix-vector products walk contiguous rows.
//
// Legend: n = order, j = current column, k0 = first column of a panel, kb = its width, mt = n − k0 (the trailing
// order), V/W = the panel's reflector and update vectors, stored transposed (kb × mt, one vector per row).
internal static class SymmetricEigen
{
    /// <summary>Panel width: the rank of each trailing GEMM update and of each block reflector.</summary>
    public const int BlockSize = 32;

    /// <summary>Reflectors per block in the back-transformation (its GEMMs have this inner or outer size).</summary>
    public const int ReflectorBlock = 64;

    /// <summary>Eigenvalues ascending into <paramref name="w"/> (n) and orthonormal eigenvectors as the columns of
    /// the row-major n×n <paramref name="v"/>, or eigenvalues alone when <paramref name="v"/> is empty. Reads the
    /// lower triangle of the row-major n×n <paramref name="a"/> and destroys <paramref name="a"/>.</summary>
    public static void Decompose(double[] a, int n, Span<double> w, Span<double> v)
    {
        if (n == 0) return;
        for (int i = 0; i < n; i++)
        {
            for (int j = i + 1; j < n; j++) a[(i * n) + j] = a[(j * n) + i];
        }
        var d = new double[n];
        var e = new double[Math.Max(n - 1, 0)];
        var reflectors = new double[n * n]; // row j: the reflector H_j's vector, 1 at column j + 1, zero before
        var tau = new double[n];
        Tridiagonalize(a, n, d, e, reflectors, tau);
        SymmetricTridiagonal.Eigen(d, e, w, v);
        if (!v.IsEmpty) BackTransform(reflectors, tau, n, v);
    }

    // A = Q·T·Qᵀ with Q = H_0·H_1·…·H_{n−2}, H_j = I − tau_j·v_j·v_jᵀ acting on rows j + 1 … n − 1.
    private static void Tridiagonalize(double[] a, int n, double[] d, double[] e, double[] reflectors, double[] tau)
    {
        var panel = new double[2 * BlockSize * n];   // rows 0..kb−1: Vᵀ, rows kb..2kb−1: Wᵀ (row stride mt)
        var swapped = new double[2 * BlockSize * n]; // rows 0..kb−1: Wᵀ, rows kb..2kb−1: Vᵀ, for the GEMM
        var partial = new double[Threads.Count][];    // one y per thread for Symv
        for (int c = 0; c < partial.Length; c++) partial[c] = new double[n];
        for (int k0 = 0; k0 < n - 1; k0 += BlockSize)
        {
            int kb = Math.Min(BlockSize, n - 1 - k0), mt = n - k0;
            Array.Clear(panel, 0, 2 * kb * mt);
            for (int jj = 0; jj < kb; jj++)
            {
                int j = k0 + jj;
                // Row j of A (= column j) with the panel's earlier rank-2 updates applied: A ← A − V·Wᵀ − W·Vᵀ.
                var row = a.AsSpan((j * n) + j, n - j);
                for (int c = 0; c < jj; c++)
                {
                    var vc = panel.AsSpan(c * mt, mt);
                    var wc = panel.AsSpan((kb + c) * mt, mt);
                    TensorPrimitives.MultiplyAdd(vc[jj..], -wc[jj], row, row);
                    TensorPrimitives.MultiplyAdd(wc[jj..], -vc[jj], row, row);
                }
                d[j] = row[0];
                // The reflector that zeroes row j beyond column j + 1: H·x = beta·e₁ (larfg).
                var x = row[1..];
                var vj = panel.AsSpan((jj * mt) + jj + 1, mt - jj - 1);
                double alpha = x[0], xnorm = TensorPrimitives.Norm<double>(x[1..]);
                vj[0] = 1;
                if (xnorm == 0)
                {
                    tau[j] = 0;
                    e[j] = alpha;
                    vj.CopyTo(reflectors.AsSpan((j * n) + j + 1));
                    continue; // H_j = I: its W row stays zero
                }
                double beta = -Math.CopySign(double.Hypot(alpha, xnorm), alpha);
                double t = (beta - alpha) / beta;
                TensorPrimitives.Multiply(x[1..], 1 / (alpha - beta), vj[1..]);
                tau[j] = t;
                e[j] = beta;
                vj.CopyTo(reflectors.AsSpan((j * n) + j + 1));
                // w = tau·(A₂₂·v − V·(Wᵀ·v) − W·(Vᵀ·v)), A₂₂ = A[j+1.., j+1..] as it was at the panel's start;
                // then w ← w − (tau/2)·(wᵀ·v)·v, so that A₂₂ − v·wᵀ − w·vᵀ = H·A₂₂·H.
                var wj = panel.AsSpan(((kb + jj) * mt) + jj + 1, mt - jj - 1);
                Symv(a, n, j + 1, panel, (jj * mt) + jj + 1, panel, ((kb + jj) * mt) + jj + 1, partial);
                for (int c = 0; c < jj; c++)
                {
                    var vc = panel.AsSpan((c * mt) + jj + 1, mt - jj - 1);
                    var wc = panel.AsSpan(((kb + c) * mt) + jj + 1, mt - jj - 1);
                    double wv = TensorPrimitives.Dot<double>(wc, vj), vv = TensorPrimitives.Dot<double>(vc, vj);
                    TensorPrimitives.MultiplyAdd(vc, -wv, wj, wj);
                    TensorPrimitives.MultiplyAdd(wc, -vv, wj, wj);
                }
                TensorPrimitives.Multiply(wj, t, wj);
                TensorPrimitives.MultiplyAdd(vj, -0.5 * t * TensorPrimitives.Dot<double>(wj, vj), wj, wj);
            }
            int m2 = mt - kb;
            if (m2 == 0) continue;
            // A[k0+kb.., k0+kb..] −= [V W]·[W V]ᵀ: one GEMM of inner size 2·kb.
            panel.AsSpan(kb * mt, kb * mt).CopyTo(swapped);
            panel.AsSpan(0, kb * mt).CopyTo(swapped.AsSpan(kb * mt));
            Gemm.Dgemm(true, false, m2, m2, 2 * kb, -1, panel.AsSpan(kb), mt, swapped.AsSpan(kb), mt, 1,
                a.AsSpan(((k0 + kb) * n) + k0 + kb), n);
        }
        d[n - 1] = a[(n * n) - 1];
    }

    // y = A[s.., s..]·x (order m = n − s), x at x[xAt..], y into y[yAt..], reading only the lower triangle: row r
    // contributes its dot product with x to y_r and x_r times itself to y[0..r) (its transpose, the upper part), in
    // one pass over the row. The rows are cut into one range of equal area per thread, each with its own y.
    private static void Symv(double[] a, int n, int s, double[] x, int xAt, double[] y, int yAt, double[][] partial)
    {
        int m = n - s, parts = m < 128 ? 1 : partial.Length;
        Kernels.Parallel.For(parts, 1, (c0, c1) =>
        {
            for (int c = c0; c < c1; c++)
            {
                int r0 = (int)(m * Math.Sqrt((double)c / parts)), r1 = (int)(m * Math.Sqrt((double)(c + 1) / parts));
                if (c == parts - 1) r1 = m;
                var yc = partial[c].AsSpan(0, m);
                yc.Clear();
                var xs = x.AsSpan(xAt, m);
                for (int r = r0; r < r1; r++) yc[r] += RowTimes(a.AsSpan(((s + r) * n) + s, r + 1), xs, yc);
            }
        });
        var ys = y.AsSpan(yAt, m);
        partial[0].AsSpan(0, m).CopyTo(ys);
        for (int c = 1; c < parts; c++) TensorPrimitives.Add(ys, partial[c].AsSpan(0, m), ys);
    }

    // For a lower-triangle row (row[r] the diagonal, r = row.Length − 1): y[0..r) += x_r·row[0..r), and returns
    // row·x[0..r].
    private static double RowTimes(ReadOnlySpan<double> row, ReadOnlySpan<double> x, Span<double> y)
    {
        int r = row.Length - 1, k = 0;
        double xr = x[r], dot = row[r] * xr;
        if (Vector256.IsHardwareAccelerated)
        {
            var xv = Vector256.Create(xr);
            Vector256<double> s0 = default, s1 = default;
            for (; k + 8 <= r; k += 8)
            {
                var a0 = Vector256.Create(row.Slice(k, 4));
                var a1 = Vector256.Create(row.Slice(k + 4, 4));
                s0 = Vector256.FusedMultiplyAdd(a0, Vector256.Create(x.Slice(k, 4)), s0);
                s1 = Vector256.FusedMultiplyAdd(a1, Vector256.Create(x.Slice(k + 4, 4)), s1);
                Vector256.FusedMultiplyAdd(a0, xv, Vector256.Create(y.Slice(k, 4))).CopyTo(y.Slice(k, 4));
                Vector256.FusedMultiplyAdd(a1, xv, Vector256.Create(y.Slice(k + 4, 4))).CopyTo(y.Slice(k + 4, 4));
            }
            dot += Vector256.Sum(s0 + s1);
        }
        for (; k < r; k++)
        {
            dot += row[k] * x[k];
            y[k] += row[k] * xr;
        }
        return dot;
    }

    // Z ← Q·Z, Q = H_0·…·H_{n−2}: panels from the last to the first, each as I − Vp·Tp·Vpᵀ (Vp: kb reflectors
    // over rows k0+1.., stored as rows; Tp upper triangular, LAPACK's larft in forward order).
    private static void BackTransform(double[] reflectors, double[] tau, int n, Span<double> z)
    {
        if (n < 2) return;
        int lastPanel = (n - 2) / ReflectorBlock * ReflectorBlock;
        var g = new double[ReflectorBlock * ReflectorBlock];
        var tp = new double[ReflectorBlock * ReflectorBlock];
        var y = new double[ReflectorBlock * n];
        for (int k0 = lastPanel; k0 >= 0; k0 -= ReflectorBlock)
        {
            int kb = Math.Min(ReflectorBlock, n - 1 - k0), s = k0 + 1, m = n - s;
            var vp = reflectors.AsSpan((k0 * n) + s);
            // Tp from G = Vp·Vpᵀ (larft).
            Gemm.Dgemm(false, true, kb, kb, m, 1, vp, n, vp, n, 0, g, kb);
            Householder.FormTFromGram<double>(g, kb, tau.AsSpan(k0, kb), tp, kb, kb);
            // Y = Vp·Z[s..]  (kb × n), Y ← Tp·Y, Z[s..] −= Vpᵀ·Y.
            var zs = z[(s * n)..];
            Gemm.Dgemm(false, false, kb, n, m, 1, vp, n, zs, n, 0, y, n);
            for (int r = 0; r < kb; r++)
            {
                var yr = y.AsSpan(r * n, n);
                TensorPrimitives.Multiply(yr, tp[(r * kb) + r], yr);
                for (int c = r + 1; c < kb; c++)
                    TensorPrimitives.MultiplyAdd(y.AsSpan(c * n, n), tp[(r * kb) + c], yr, yr);
            }
            Gemm.Dgemm(true, false, m, n, kb, -1, vp, n, y, n, 1, zs, n);
        }
    }
}
