using MathNet.Numerics.Providers.LinearAlgebra;

namespace Dendrite;

// Dense linear algebra over stacks of matrices, after torch.linalg: every function takes (*, m, n) and treats the
// leading dimensions as a batch (docs/decisions/0008-linalg.md has the choices and their measurements):
// - Cholesky and the LU under Det, Slogdet, Inv, Solve, Lu and LuFactor: the recursive routines of BlockedCholesky.cs
//   and BlockedLu.cs, with the triangular solves of Trsm.cs, on Dendrite's GEMMs in the input's precision;
// - QR: the blocked Householder QR of BlockedQr.cs, in the input's precision;
// - SVD: GolubKahanSvd.cs (bidiagonalization and bidiagonal QR iteration), in float64;
// - the symmetric eigenproblem: SymmetricEigen.cs (blocked tridiagonalization, QL eigenvalues, inverse iteration,
//   blocked back-transformation), in float64;
// - the general eigenproblem: MathNet.Numerics' managed LAPACK-style routine, in float64.
// A float32 input of a float64 routine gets the float64 result rounded once. Gradients follow PyTorch's rules
// (FunctionsManual.cpp) and are written with Tensor ops, so they can be differentiated again.
//
// Legend: A (*, n, n) or (*, m, n), k = min(m, n), g = the gradient of the output, ᵀ = transpose of the last two
// dimensions.

/// <summary>Linear algebra on stacks of matrices (*, m, n), in the manner of torch.linalg: factorizations,
/// solvers, determinants, norms and ranks, for Float32 and Float64 tensors.</summary>
public static partial class Linalg
{
    private static ILinearAlgebraProvider<double> Lapack => LinearAlgebraControl.Provider;

    /// <summary>LU factorization with partial pivoting, packed as in LAPACK's getrf: the strict lower triangle of
    /// <c>LU</c> holds L (unit diagonal), the upper triangle holds U, and row i was swapped with row
    /// <c>Pivots[i]</c> (1-based, Int64) at step i.   A: (*, n, n) → LU: (*, n, n), Pivots: (*, n)</summary>
    public static (Tensor LU, Tensor Pivots) LuFactor(Tensor a)
    {
        NoGradient("LuFactor", a);
        var f = Factor("LuFactor", a, requireNonsingular: false);
        var pivots = new long[f.Batch.Count * f.Batch.N];
        for (int i = 0; i < pivots.Length; i++) pivots[i] = f.Pivots[i] + 1;
        return (f.Batch.Result(f.Packed, f.Batch.N, f.Batch.N),
            Tensor.From(pivots, [.. f.Batch.BatchShape, f.Batch.N]));
    }

    /// <summary>A = P·L·U with P a permutation matrix, L unit lower triangular and U upper triangular.
    /// A: (*, n, n) → P, L, U: (*, n, n)</summary>
    public static (Tensor P, Tensor L, Tensor U) Lu(Tensor a)
    {
        NoGradient("Lu", a);
        var f = Factor("Lu", a, requireNonsingular: false);
        int n = f.Batch.N, nn = n * n;
        var p = new double[f.Packed.Length];
        var l = new double[f.Packed.Length];
        var u = new double[f.Packed.Length];
        var perm = new int[n];
        for (int b = 0; b < f.Batch.Count; b++)
        {
            int s = b * nn;
            for (int i = 0; i < n; i++) perm[i] = i;
            for (int i = 0; i < n; i++) (perm[i], perm[f.Pivots[b * n + i]]) = (perm[f.Pivots[b * n + i]], perm[i]);
            // Row i of L·U is row perm[i] of A, so A = P·L·U with P[perm[i], i] = 1.
            for (int i = 0; i < n; i++) p[s + perm[i] * n + i] = 1;
            for (int i = 0; i < n; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    double v = f.Packed[s + i * n + j];
                    if (j < i) l[s + i * n + j] = v;
                    else u[s + i * n + j] = v;
                }
                l[s + i * n + i] = 1;
            }
        }
        return (f.Batch.Result(p, n, n), f.Batch.Result(l, n, n), f.Batch.Result(u, n, n));
    }

    /// <summary>det A, from the LU factorization.   A: (*, n, n) → (*)   dA = g·det(A)·A⁻ᵀ</summary>
    public static Tensor Det(Tensor a)
    {
        var f = Factor("Det", a, requireNonsingular: false);
        var (sign, logAbs) = f.SignLogAbsDet();
        var det = new double[sign.Length];
        for (int b = 0; b < det.Length; b++) det[b] = sign[b] * Math.Exp(logAbs[b]);
        var y = f.Batch.Result(det);
        return Autograd.Op("Det", y, [a], g =>
        {
            var scale = (g * y).Unsqueeze(-1).Unsqueeze(-1);
            return [scale * Inv(a).T];
        }, saved: [a, y]);
    }

    /// <summary>(sign det A, log |det A|), with sign 0 and log -∞ for a singular matrix.
    /// A: (*, n, n) → Sign, LogAbsDet: (*)   dA = g_log·A⁻ᵀ</summary>
    public static (Tensor Sign, Tensor LogAbsDet) Slogdet(Tensor a)
    {
        var f = Factor("Slogdet", a, requireNonsingular: false);
        var (sign, logAbs) = f.SignLogAbsDet();
        var s = f.Batch.Result(sign);
        var l = f.Batch.Result(logAbs);
        var outs = Autograd.Op("Slogdet", [s, l], [a], g => [g[1].Unsqueeze(-1).Unsqueeze(-1) * Inv(a).T],
            saved: [a]);
        return (outs[0], outs[1]);
    }

    /// <summary>A⁻¹. Throws for a singular matrix.   A: (*, n, n) → (*, n, n)   dA = -A⁻ᵀ·g·A⁻ᵀ</summary>
    public static Tensor Inv(Tensor a)
    {
        var f = Factor("Inv", a, requireNonsingular: true);
        var y = f.Factors.DType == DType.Float32 ? f.Inverse<float>() : f.Inverse<double>();
        return Autograd.Op("Inv", y, [a], g => [-(y.T.MatMul(g).MatMul(y.T))], saved: [y]);
    }

    /// <summary>X with A·X = B. B is (*, n, k), or (*, n) for a stack of vectors; batch dimensions broadcast.
    /// Throws for a singular A.   dB = A⁻ᵀ·g, dA = -dB·Xᵀ</summary>
    public static Tensor Solve(Tensor a, Tensor b)
    {
        if (b.Rank == 1 || (b.Rank == a.Rank - 1 && b.Shape.SequenceEqual(a.Shape[..^1])))
        {
            if (a.Rank < 2 || b.Size(-1) != a.Size(-1))
                throw new ArgumentException($"Solve: A {Shapes.Format(a.Shape)} and b {Shapes.Format(b.Shape)}: b " +
                    "needs as many rows as A");
            return Solve(a, b.Unsqueeze(-1)).Squeeze(-1);
        }
        if (a.Rank < 2 || b.Rank < 2 || a.Size(-1) != b.Size(-2) || a.Size(-1) != a.Size(-2))
            throw new ArgumentException($"Solve: A {Shapes.Format(a.Shape)} and B {Shapes.Format(b.Shape)}: A must " +
                "be square (*, n, n) and B (*, n, k)");
        int n = a.Size(-1), k = b.Size(-1);
        var batch = Shapes.Broadcast("Solve", a.Shape[..^2], b.Shape[..^2]);
        var ae = a.Shape[..^2].SequenceEqual(batch) ? a : a.Expand([.. batch, n, n]);
        var be = b.Shape[..^2].SequenceEqual(batch) ? b : b.Expand([.. batch, n, k]);
        var f = Factor("Solve", ae, requireNonsingular: true);
        var rhs = new Batch("Solve", be, square: false);
        var dtype = DTypes.Promote(a.DType, b.DType);
        var y = f.Factors.DType == DType.Float32 && dtype == DType.Float32 ? f.Solve<float>(rhs, k)
            : f.Solve<double>(rhs, k).To(dtype);
        return Autograd.Op("Solve", y, [ae, be], g =>
        {
            var db = Solve(ae.T, g);
            return [-db.MatMul(y.T), db];
        }, saved: [ae, y]);
    }

    /// <summary>The lower triangular L with A = L·Lᵀ (or the upper U = Lᵀ with A = Uᵀ·U), for symmetric positive
    /// definite A; only the lower triangle of A is read. It is factored in the input's precision by a recursive
    /// algorithm on the GEMM.   A: (*, n, n) → (*, n, n)
    /// dA = L⁻ᵀ·Φ(Lᵀ·g)·L⁻¹ symmetrised, Φ = lower triangle with half the diagonal (Murray 2016)</summary>
    public static Tensor Cholesky(Tensor a, bool upper = false)
    {
        var batch = new Batch("Cholesky", a, square: true);
        int n = batch.N;
        var lower = batch.DType == DType.Float32 ? CholeskyBlocked<float>(batch) : CholeskyBlocked<double>(batch);
        var y = upper ? lower.T.Contiguous() : lower;
        return Autograd.Op("Cholesky", y, [a], g =>
        {
            var gl = upper ? g.T : g;
            var phi = lower.T.MatMul(gl).Tril();
            phi = 0.5 * (phi + phi.Tril(-1).T);
            var linv = Inv(lower);
            return [linv.T.MatMul(phi).MatMul(linv)];
        }, saved: [y]);
    }

    // Blocked Cholesky on the packed GEMM (BlockedCholesky) of every matrix, in the input's precision T.
    private static Tensor CholeskyBlocked<T>(Batch batch) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        int n = batch.N, nn = n * n;
        var lower = batch.Fresh(batch.DType);
        var l = lower.Span<T>();
        for (int b = 0; b < batch.Count; b++)
        {
            var m = l.Slice(b * nn, nn);
            if (!BlockedCholesky.Factor(m, n))
                throw new ArgumentException($"Cholesky: {batch.Which(b)} is not positive definite");
            for (int i = 0; i < n - 1; i++) m.Slice(i * n + i + 1, n - i - 1).Clear();
        }
        return lower;
    }

    /// <summary>Eigenvalues (ascending) and orthonormal eigenvectors (columns) of symmetric A = V·diag(w)·Vᵀ; only
    /// the lower triangle is read. Each eigenvector's sign is arbitrary, as in LAPACK. Computed in float64 by
    /// SymmetricEigen (blocked Householder tridiagonalization and back-transformation on the float64 GEMM,
    /// inverse iteration on the tridiagonal), not by MathNet.Numerics.
    /// A: (*, n, n) → Eigenvalues: (*, n), Eigenvectors: (*, n, n)
    /// dA = V·(diag(g_w) + skew(Vᵀ·g_V) / E)·Vᵀ with E_ij = w_j − w_i and skew(X) = (X − Xᵀ)/2</summary>
    public static (Tensor Eigenvalues, Tensor Eigenvectors) Eigh(Tensor a)
    {
        var batch = new Batch("Eigh", a, square: true);
        int n = batch.N;
        var w = new double[batch.Count * n];
        var v = new double[batch.Count * n * n];
        for (int b = 0; b < batch.Count; b++)
            SymmetricEigen.Decompose(batch.RowMajorDouble(b), n, w.AsSpan(b * n, n), v.AsSpan(b * n * n, n * n));
        var wt = batch.Result(w, n);
        var vt = batch.Result(v, n, n);
        var outs = Autograd.Op("Eigh", [wt, vt], [a], g =>
        {
            var vtgv = vt.T.MatMul(g[1]);
            var skew = 0.5 * (vtgv - vtgv.T);
            var e = wt.Unsqueeze(-2) - wt.Unsqueeze(-1) + Tensor.Eye(n, dtype: wt.DType);
            var inner = skew / e + DiagEmbed(g[0]);
            return [vt.MatMul(inner).MatMul(vt.T)];
        }, saved: [wt, vt]);
        return (outs[0], outs[1]);
    }

    /// <summary>Eigenvalues of symmetric A, ascending (the values of <see cref="Eigh"/>). Without a gradient to
    /// record it skips the eigenvectors (no inverse iteration, no back-transformation); with one it runs
    /// <see cref="Eigh"/>, whose vectors the gradient dA = V·diag(g)·Vᵀ needs.   A: (*, n, n) → (*, n)</summary>
    public static Tensor Eigvalsh(Tensor a)
    {
        ArgumentNullException.ThrowIfNull(a);
        if (Autograd.IsEnabled && a.RequiresGrad) return Eigh(a).Eigenvalues;
        var batch = new Batch("Eigvalsh", a, square: true);
        int n = batch.N;
        var w = new double[batch.Count * n];
        for (int b = 0; b < batch.Count; b++)
            SymmetricEigen.Decompose(batch.RowMajorDouble(b), n, w.AsSpan(b * n, n), []);
        return batch.Result(w, n);
    }

    /// <summary>Eigenvalues of a general square matrix as real and imaginary parts, sorted by real part and then
    /// imaginary part (torch.linalg.eigvals returns them in LAPACK's order).   A: (*, n, n) → Real, Imag: (*, n)
    /// </summary>
    public static (Tensor Real, Tensor Imag) Eigvals(Tensor a)
    {
        NoGradient("Eigvals", a);
        var batch = new Batch("Eigvals", a, square: true);
        int n = batch.N;
        var re = new double[batch.Count * n];
        var im = new double[batch.Count * n];
        var ev = new double[n * n];
        var values = new System.Numerics.Complex[n];
        var d = new double[n * n];
        for (int b = 0; b < batch.Count; b++)
        {
            Lapack.EigenDecomp(false, n, batch.ColumnMajor(b), ev, values, d);
            var sorted = values.OrderBy(z => z.Real).ThenBy(z => z.Imaginary).ToArray();
            for (int i = 0; i < n; i++)
            {
                re[b * n + i] = sorted[i].Real;
                im[b * n + i] = sorted[i].Imaginary;
            }
        }
        return (batch.Result(re, n), batch.Result(im, n));
    }

    /// <summary>Reduced QR factorization A = Q·R, Q with orthonormal columns and R upper triangular (signs as in
    /// LAPACK's Householder QR), computed in the input's precision by the blocked algorithm of BlockedQr.cs.
    /// A: (*, m, n) → Q: (*, m, k), R: (*, k, n)</summary>
    public static (Tensor Q, Tensor R) Qr(Tensor a)
    {
        NoGradient("Qr", a);
        var batch = new Batch("Qr", a, square: false);
        int m = batch.M, n = batch.N, k = Math.Min(m, n);
        var q = Tensor.Empty(batch.DType, [.. batch.BatchShape, m, k]);
        var r = Tensor.Empty(batch.DType, [.. batch.BatchShape, k, n]);
        for (int b = 0; b < batch.Count; b++)
        {
            if (batch.DType == DType.Float32)
            {
                BlockedQr.Decompose(batch.Matrix(b), m, n, q.Span<float>().Slice(b * m * k, m * k),
                    r.Span<float>().Slice(b * k * n, k * n));
            }
            else
            {
                BlockedQr.Decompose(batch.Matrix(b), m, n, q.Span<double>().Slice(b * m * k, m * k),
                    r.Span<double>().Slice(b * k * n, k * n));
            }
        }
        return (q, r);
    }

    /// <summary>Reduced SVD A = U·diag(S)·Vh with singular values descending; each pair of singular vectors has
    /// an arbitrary common sign. Gradients need distinct singular values (PyTorch's rule).
    /// A: (*, m, n) → U: (*, m, k), S: (*, k), Vh: (*, k, n)</summary>
    public static (Tensor U, Tensor S, Tensor Vh) Svd(Tensor a)
    {
        var (u, s, vh) = SvdForward("Svd", a, vectors: true);
        var outs = Autograd.Op("Svd", [u!, s, vh!], [a], g => [SvdBackward(u!, s, vh!, g[0], g[1], g[2])],
            saved: [u!, s, vh!]);
        return (outs[0], outs[1], outs[2]);
    }

    /// <summary>Singular values, descending.   A: (*, m, n) → (*, k)   dA = U·diag(g)·Vh</summary>
    public static Tensor Svdvals(Tensor a)
    {
        bool grad = Autograd.IsEnabled && a.RequiresGrad;
        var (u, s, vh) = SvdForward("Svdvals", a, vectors: grad);
        if (!grad) return s;
        return Autograd.Op("Svdvals", s, [a], g => [u!.MatMul(DiagEmbed(g)).MatMul(vh!)], saved: [u!, vh!]);
    }

    private static (Tensor? U, Tensor S, Tensor? Vh) SvdForward(string op, Tensor a, bool vectors)
    {
        var batch = new Batch(op, a, square: false);
        int m = batch.M, n = batch.N, k = Math.Min(m, n);
        var s = new double[batch.Count * k];
        var u = vectors ? new double[batch.Count * m * k] : [];
        var vh = vectors ? new double[batch.Count * k * n] : [];
        for (int b = 0; b < batch.Count; b++)
        {
            var (sb, ub, vb) = GolubKahanSvd.Decompose(op, batch.RowMajorDouble(b), m, n, vectors);
            sb.CopyTo(s, b * k);
            if (!vectors) continue;
            ub!.CopyTo(u, b * m * k);
            vb!.CopyTo(vh, b * k * n);
        }
        if (!s.All(double.IsFinite))
            throw new ArgumentException($"{op}: the input {Shapes.Format(a.Shape)} holds NaN or infinity");
        return (vectors ? batch.Result(u, m, k) : null, batch.Result(s, k), vectors ? batch.Result(vh, k, n) : null);
    }

    // PyTorch's svd_backward for the reduced real SVD, with every output's gradient present (zeros for an unused
    // output): with E_ij = S_j² − S_i² and skew(X) = X − Xᵀ,
    //   Γ = (skew(Uᵀ·g_U)·diag(S) + diag(S)·skew(Vh·g_Vhᵀ)) / E + diag(g_S)
    //   m > k: dA = (U·Γ + (I − U·Uᵀ)·g_U·diag(S)⁻¹)·Vh;   n > k: dA = U·(Γ·Vh + diag(S)⁻¹·g_Vh·(I − Vhᵀ·Vh)).
    private static Tensor SvdBackward(Tensor u, Tensor s, Tensor vh, Tensor gu, Tensor gs, Tensor gvh)
    {
        int m = u.Size(-2), n = vh.Size(-1), k = s.Size(-1);
        var s2 = s * s;
        var e = s2.Unsqueeze(-2) - s2.Unsqueeze(-1) + Tensor.Eye(k, dtype: s.DType);
        var utgu = u.T.MatMul(gu);
        var vhgv = vh.MatMul(gvh.T);
        var gamma = ((utgu - utgu.T) * s.Unsqueeze(-2) + s.Unsqueeze(-1) * (vhgv - vhgv.T)) / e + DiagEmbed(gs);
        if (m > k)
        {
            var gusinv = gu / s.Unsqueeze(-2);
            var inner = u.MatMul(gamma) + gusinv - u.MatMul(u.T.MatMul(gusinv));
            return inner.MatMul(vh);
        }
        if (n > k)
        {
            var gvhsinv = gvh / s.Unsqueeze(-1);
            var inner = gamma.MatMul(vh) + gvhsinv - gvhsinv.MatMul(vh.T).MatMul(vh);
            return u.MatMul(inner);
        }
        return u.MatMul(gamma).MatMul(vh);
    }

    /// <summary>(*, k) → (*, k, k) with the vector on the diagonal.</summary>
    private static Tensor DiagEmbed(Tensor v) => v.Unsqueeze(-1) * Tensor.Eye(v.Size(-1), dtype: v.DType);

    private static void NoGradient(string op, Tensor a)
    {
        if (Autograd.IsEnabled && a.RequiresGrad)
            throw new NotSupportedException($"{op}: no gradient is defined for this op here; call it on a.Detach() " +
                $"or under Autograd.NoGrad() (input {Shapes.Format(a.Shape)})");
    }

    /// <summary>LU factors of every matrix, row-major and packed as getrf leaves them: <see cref="Factors"/> in the
    /// precision they were computed in (float32 from the blocked float32 routine, else float64),
    /// <see cref="Pivots"/> 0-based.</summary>
    private sealed class LuFactors(Batch batch, Tensor factors, int[] pivots)
    {
        private double[]? packed;

        public Batch Batch { get; } = batch;

        public Tensor Factors { get; } = factors;

        public int[] Pivots { get; } = pivots;

        /// <summary>The factors in float64.</summary>
        public double[] Packed => packed ??= Factors.ToArray<double>();

        /// <summary>X with A·X = B for every matrix, in T (the factors' type or wider): forward and back
        /// substitution on the factors (Trsm).</summary>
        public Tensor Solve<T>(Batch rhs, int k) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
        {
            int n = Batch.N, nn = n * n;
            var x = rhs.Fresh(DTypes.Of<T>());
            var lu = Factors.DType == DTypes.Of<T>() ? Factors : Factors.To(DTypes.Of<T>());
            var lus = lu.Span<T>();
            var xs = x.Span<T>();
            for (int b = 0; b < Batch.Count; b++)
            {
                BlockedLu.Solve<T>(lus.Slice(b * nn, nn), n, Pivots.AsSpan(b * n, n), xs.Slice(b * n * k, n * k), k);
            }
            return x;
        }

        /// <summary>A⁻¹ for every matrix, in the factors' type T, as a tensor of the batch's type.</summary>
        public Tensor Inverse<T>() where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
        {
            int n = Batch.N, nn = n * n;
            var inv = Tensor.Empty(Factors.DType, [.. Batch.BatchShape, n, n]);
            var lus = Factors.Span<T>();
            var ys = inv.Span<T>();
            for (int b = 0; b < Batch.Count; b++)
            {
                BlockedLu.Inverse<T>(lus.Slice(b * nn, nn), n, Pivots.AsSpan(b * n, n), ys.Slice(b * nn, nn));
            }
            return inv.DType == Batch.DType ? inv : inv.To(Batch.DType);
        }

        /// <summary>U[i,i] of matrix b, in float64.</summary>
        public double Diagonal(int b, int i)
        {
            int at = b * Batch.N * Batch.N + i * Batch.N + i;
            return Factors.DType == DType.Float32 ? Factors.Span<float>()[at] : Factors.Span<double>()[at];
        }

        public (double[] Sign, double[] LogAbs) SignLogAbsDet()
        {
            int n = Batch.N;
            var sign = new double[Batch.Count];
            var logAbs = new double[Batch.Count];
            for (int b = 0; b < Batch.Count; b++)
            {
                double sg = 1, la = 0;
                for (int i = 0; i < n; i++)
                {
                    double d = Diagonal(b, i);
                    if (Pivots[b * n + i] != i) sg = -sg;
                    if (d < 0) sg = -sg;
                    la += Math.Log(Math.Abs(d));
                }
                if (double.IsNegativeInfinity(la)) sg = 0;
                sign[b] = sg;
                logAbs[b] = la;
            }
            return (sign, logAbs);
        }
    }

    private static LuFactors Factor(string op, Tensor a, bool requireNonsingular)
    {
        var batch = new Batch(op, a, square: true);
        int n = batch.N, nn = n * n;
        var pivots = new int[batch.Count * n];
        var factors = batch.Fresh(batch.DType);
        for (int b = 0; b < batch.Count; b++)
        {
            if (batch.DType == DType.Float32)
                BlockedLu.Factor(factors.Span<float>().Slice(b * nn, nn), n, pivots.AsSpan(b * n, n));
            else
                BlockedLu.Factor(factors.Span<double>().Slice(b * nn, nn), n, pivots.AsSpan(b * n, n));
        }
        var f = new LuFactors(batch, factors, pivots);
        if (!requireNonsingular) return f;
        for (int b = 0; b < batch.Count; b++)
        {
            for (int i = 0; i < n; i++)
            {
                if (f.Diagonal(b, i) == 0)
                    throw new ArgumentException($"{op}: {batch.Which(b)} is singular (U[{i},{i}] = 0 in its LU " +
                        "factorization)");
            }
        }
        return f;
    }
}
