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

    /// <summary>Eigenvalues ascending into <paramref name="w"/> (n) and orthonormal eigenvectors as the columns of
    /// the row-major n×n <paramref name="v"/>. Reads the lower triangle of the row-major n×n <paramref name="a"/>
    /// and destroys <paramref name="a"/>.</summary>
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
        BackTransform(reflectors, tau, n, v);
    }

    // A = Q·T·Qᵀ with Q = H_0·H_1·…·H_{n−2}, H_j = I − tau_j·v_j·v_jᵀ acting on rows j + 1 … n − 1.
    private static void Tridiagonalize(double[] a, int n, double[] d, double[] e, double[] reflectors, double[] tau)
    {
        var panel = new double[2 * BlockSize * n];   // rows 0..kb−1: Vᵀ, rows kb..2kb−1: Wᵀ (row stride mt)
        var swapped = new double[2 * BlockSize * n]; // rows 0..kb−1: Wᵀ, rows kb..2kb−1: Vᵀ, for the GEMM
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
                Symv(a, n, j + 1, panel, (jj * mt) + jj + 1, panel, ((kb + jj) * mt) + jj + 1);
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

    // y = A[s.., s..]·x (order n − s), x at panel[xAt..], y into y[yAt..]: one dot product per row, rows split over
    // the threads.
    private static void Symv(double[] a, int n, int s, double[] x, int xAt, double[] y, int yAt)
    {
        int m = n - s;
        Kernels.Parallel.For(m, 64, (r0, r1) =>
        {
            var xs = x.AsSpan(xAt, m);
            int r = r0;
            if (Vector256.IsHardwareAccelerated)
            {
                for (; r + 4 <= r1; r += 4) Dot4(a, ((s + r) * n) + s, n, xs, y.AsSpan(yAt + r, 4));
            }
            for (; r < r1; r++) y[yAt + r] = TensorPrimitives.Dot<double>(a.AsSpan(((s + r) * n) + s, m), xs);
        });
    }

    // Four dot products of consecutive rows (stride ld, starting at `at`) with x, sharing the loads of x.
    private static void Dot4(double[] a, int at, int ld, ReadOnlySpan<double> x, Span<double> y)
    {
        int m = x.Length, k = 0;
        var r0 = a.AsSpan(at, m);
        var r1 = a.AsSpan(at + ld, m);
        var r2 = a.AsSpan(at + (2 * ld), m);
        var r3 = a.AsSpan(at + (3 * ld), m);
        Vector256<double> s0 = default, s1 = default, s2 = default, s3 = default;
        for (; k + 4 <= m; k += 4)
        {
            var xv = Vector256.Create(x.Slice(k, 4));
            s0 = Vector256.FusedMultiplyAdd(Vector256.Create(r0.Slice(k, 4)), xv, s0);
            s1 = Vector256.FusedMultiplyAdd(Vector256.Create(r1.Slice(k, 4)), xv, s1);
            s2 = Vector256.FusedMultiplyAdd(Vector256.Create(r2.Slice(k, 4)), xv, s2);
            s3 = Vector256.FusedMultiplyAdd(Vector256.Create(r3.Slice(k, 4)), xv, s3);
        }
        double t0 = Vector256.Sum(s0), t1 = Vector256.Sum(s1), t2 = Vector256.Sum(s2), t3 = Vector256.Sum(s3);
        for (; k < m; k++)
        {
            t0 += r0[k] * x[k];
            t1 += r1[k] * x[k];
            t2 += r2[k] * x[k];
            t3 += r3[k] * x[k];
        }
        y[0] = t0;
        y[1] = t1;
        y[2] = t2;
        y[3] = t3;
    }

    // Z ← Q·Z, Q = H_0·…·H_{n−2}: panels from the last to the first, each as I − Vp·Tp·Vpᵀ (Vp: kb reflectors
    // over rows k0+1.., stored as rows; Tp upper triangular, LAPACK's larft in forward order).
    private static void BackTransform(double[] reflectors, double[] tau, int n, Span<double> z)
    {
        if (n < 2) return;
        int lastPanel = (n - 2) / BlockSize * BlockSize;
        var g = new double[BlockSize * BlockSize];
        var tp = new double[BlockSize * BlockSize];
        var y = new double[BlockSize * n];
        for (int k0 = lastPanel; k0 >= 0; k0 -= BlockSize)
        {
            int kb = Math.Min(BlockSize, n - 1 - k0), s = k0 + 1, m = n - s;
            var vp = reflectors.AsSpan((k0 * n) + s);
            // Tp: Tp[i,i] = tau_i, Tp[0..i, i] = −tau_i·Tp[0..i, 0..i]·(Vpᵀ·v_i), with G = Vp·Vpᵀ.
            Gemm.Dgemm(false, true, kb, kb, m, 1, vp, n, vp, n, 0, g, kb);
            Array.Clear(tp);
            for (int i = 0; i < kb; i++)
            {
                double ti = tau[k0 + i];
                tp[(i * kb) + i] = ti;
                for (int r = 0; r < i; r++)
                {
                    double sum = 0;
                    for (int c = r; c < i; c++) sum += tp[(r * kb) + c] * g[(c * kb) + i];
                    tp[(r * kb) + i] = -ti * sum;
                }
            }
            // Y = Vp·Z[s..]  (kb × n), Y ← Tp·Y, Z[s..] −= Vpᵀ·Y.
            var zs = z[(s * n)..];
            Gemm.Dgemm(false, false, kb, n, m, 1, vp, n, zs, n, 0, y, n);
            for (int r = 0; r < kb; r++)
            {
                var yr = y.AsSpan(r * n, n);
                TensorPrimitives.Multiply(yr, tp[(r * kb) + r], yr);
                for (int c = r + 1; c < kb; c++) TensorPrimitives.MultiplyAdd(y.AsSpan(c * n, n), tp[(r * kb) + c], yr, yr);
            }
            Gemm.Dgemm(true, false, m, n, kb, -1, vp, n, y, n, 1, zs, n);
        }
    }
}
