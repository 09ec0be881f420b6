using System.Numerics;
using System.Numerics.Tensors;
using Dendrite.Kernels;

namespace Dendrite;

// Householder reflectors H = I − τ·v·vᵀ (v₀ = 1) and blocks of them in the compact WY form of Schreiber and Van Loan
// (1989), H₀·H₁·…·H_{nb−1} = I − V·T·Vᵀ with T upper triangular: LAPACK's larfg, larf, larft and larfb, in float32 or
// float64. They are the shared machinery of the orthogonal factorizations (QR here; the bidiagonal and tridiagonal
// reductions later).
//
// Layout. Everything here is column-major, as in LAPACK, because a reflector then runs down a contiguous column:
// a matrix C of r rows and c columns with leading dimension ldc keeps column j at C[j·ldc .. j·ldc + r). That is
// the same memory as the row-major c×r matrix Cᵀ, so a caller holding a row-major matrix M (rows × cols, row stride
// ld) reads it here as the column-major Mᵀ (cols × rows, leading dimension ld): to form H·M, call
// ApplyBlockRight on that memory (Mᵀ·Hᵀ = (H·M)ᵀ) with transpose flipped; to form M·H, call ApplyBlockLeft.
// Blocks of reflectors V (len × nb, the vectors as columns) are passed as the row-major nb × len array Vᵀ: reflector
// i is row i, with its implicit zeros (entries before i) and its unit entry (at i) written out, so that Vᵀ goes
// straight into the GEMM (see PackBlock). The work buffers are the caller's, so a factorization allocates them once.
//
// Legend: len = length of the reflectors (rows they act on), nb = number of reflectors in a block, cols / rows = the
// other dimension of the matrix they are applied to, τ = tau.
internal static class Householder
{
    /// <summary>The reflector that maps x = (α, x₁…) onto (β, 0…), β = −sign(α)·‖x‖ (LAPACK's larfg sign, so R's
    /// diagonal and Q have torch's and LAPACK's signs). On return x holds (β, v₁…) and the result is τ; when x₁… is
    /// already zero, τ = 0 (H = I) and x is left as it was.</summary>
    public static T Generate<T>(Span<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Length <= 1) return T.Zero;
        var tail = x[1..];
        T xnorm = Norm<T>(tail);
        if (xnorm == T.Zero) return T.Zero;
        T alpha = x[0];
        T beta = -T.CopySign(T.Hypot(alpha, xnorm), alpha);
        T tau = (beta - alpha) / beta;
        // Dividing (not multiplying by the reciprocal) keeps tiny columns from overflowing the scale factor.
        TensorPrimitives.Divide(tail, alpha - beta, tail);
        x[0] = beta;
        return tau;
    }

    /// <summary>‖x‖₂ without overflow or underflow: the fast sum of squares, rescaled by the largest magnitude
    /// only when that sum leaves the normal range.</summary>
    public static T Norm<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.IsEmpty) return T.Zero;
        T s = TensorPrimitives.Norm(x);
        if (T.IsNormal(s * s)) return s;
        T scale = T.Abs(TensorPrimitives.MaxMagnitude(x));
        if (scale == T.Zero) return T.Zero;
        if (!T.IsFinite(scale)) return s;
        T sum = T.Zero;
        foreach (var e in x)
        {
            T r = e / scale;
            sum += r * r;
        }
        return scale * T.Sqrt(sum);
    }

    /// <summary>C ← (I − τ·v·vᵀ)·C for column-major C (len × cols, leading dimension ldc). v has length len and
    /// v[0] is taken to be 1 whatever it holds (after <see cref="Generate{T}"/> it holds β).</summary>
    public static void ApplyLeft<T>(ReadOnlySpan<T> v, T tau, Span<T> c, int len, int cols, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (tau == T.Zero || len == 0) return;
        var vt = v[1..len];
        for (int j = 0; j < cols; j++)
        {
            var col = c.Slice(j * ldc, len);
            var ct = col[1..];
            T w = col[0] + TensorPrimitives.Dot(vt, (ReadOnlySpan<T>)ct);
            if (w == T.Zero) continue;
            w *= tau;
            col[0] -= w;
            TensorPrimitives.MultiplyAdd(vt, -w, ct, ct);
        }
    }

    /// <summary>Writes the nb reflectors stored LAPACK-style in the column-major a (reflector i in column i from
    /// row i down: a[i·lda + i] is its unit entry, not stored; below it v) as the row-major nb × len array Vᵀ
    /// with zeros before and a one at each unit entry.</summary>
    public static void PackBlock<T>(ReadOnlySpan<T> a, int lda, int len, int nb, Span<T> vt)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < nb; i++)
        {
            var row = vt.Slice(i * len, len);
            row[..i].Clear();
            row[i] = T.One;
            a.Slice(i * lda + i + 1, len - i - 1).CopyTo(row[(i + 1)..]);
        }
    }

    /// <summary>The upper triangular T (row-major nb × nb) with H₀·…·H_{nb−1} = I − V·T·Vᵀ (larft, forward,
    /// columnwise): T_ii = τ_i and T[0:i, i] = −τ_i·T[0:i, 0:i]·(VᵀV)[0:i, i], with VᵀV from one GEMM.
    /// <paramref name="gram"/> is nb × nb work space.</summary>
    public static void FormT<T>(ReadOnlySpan<T> vt, int nb, int len, ReadOnlySpan<T> tau, Span<T> t, Span<T> gram)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // gram = Vᵀ·V: rows of Vᵀ against rows of Vᵀ.
        Gemm.Multiply(false, true, nb, nb, len, T.One, vt, len, vt, len, T.Zero, gram, nb);
        FormTFromGram<T>(gram, nb, tau, t, nb, nb);
    }

    /// <summary>larft's recurrence from the Gram matrix G = VᵀV (row-major, row stride <paramref name="ldg"/>):
    /// the upper triangular T (row stride <paramref name="ldt"/>, nb × nb, zeros below the diagonal) with
    /// T_ii = τ_i and T[0:i, i] = −τ_i·T[0:i, 0:i]·G[0:i, i]; a column with τ_i = 0 is zero. Every blocked
    /// application of reflectors forms its T here, whatever layout its V has.</summary>
    public static void FormTFromGram<T>(ReadOnlySpan<T> gram, int ldg, ReadOnlySpan<T> tau, Span<T> t, int ldt,
        int nb) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < nb; i++)
        {
            for (int r = i + 1; r < nb; r++) t[r * ldt + i] = T.Zero;
            t[i * ldt + i] = tau[i];
            for (int r = 0; r < i; r++)
            {
                if (tau[i] == T.Zero)
                {
                    t[r * ldt + i] = T.Zero;
                    continue;
                }
                T s = T.Zero;
                for (int p = r; p < i; p++) s += t[r * ldt + p] * gram[p * ldg + i];
                t[r * ldt + i] = -tau[i] * s;
            }
        }
    }

    /// <summary>C ← H·C (or Hᵀ·C when <paramref name="transpose"/>) with H = I − V·T·Vᵀ, for column-major C
    /// (len × cols, leading dimension ldc), Vᵀ from <see cref="PackBlock{T}"/> and T from <see cref="FormT{T}"/>
    /// (larfb, left side): three GEMMs W = Vᵀ·C, W ← Tᵀ·W (or T·W), C ← C − V·W. <paramref name="work"/> holds at
    /// least 2·cols·nb elements.</summary>
    public static void ApplyBlockLeft<T>(bool transpose, ReadOnlySpan<T> vt, int nb, int len, ReadOnlySpan<T> t,
        Span<T> c, int cols, int ldc, Span<T> work) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (cols == 0 || len == 0 || nb == 0) return;
        // In memory C is the row-major cols × len matrix Cᵀ, so every product is written for the transposes:
        // Wᵀ = Cᵀ·V (cols × nb), Wᵀ ← Wᵀ·T (or Wᵀ·Tᵀ), Cᵀ ← Cᵀ − Wᵀ·Vᵀ.
        var w = work[..(cols * nb)];
        var w2 = work.Slice(cols * nb, cols * nb);
        Gemm.Multiply(false, true, cols, nb, len, T.One, c, ldc, vt, len, T.Zero, w, nb);
        Gemm.Multiply(false, !transpose, cols, nb, nb, T.One, w, nb, t, nb, T.Zero, w2, nb);
        Gemm.Multiply(false, false, cols, len, nb, -T.One, w2, nb, vt, len, T.One, c, ldc);
    }

    /// <summary>C ← C·H (or C·Hᵀ when <paramref name="transpose"/>) with H = I − V·T·Vᵀ, for column-major C
    /// (rows × len, leading dimension ldc): W = C·V, W ← W·T (or W·Tᵀ), C ← C − W·Vᵀ. <paramref name="work"/> holds
    /// at least 2·rows·nb elements.</summary>
    public static void ApplyBlockRight<T>(bool transpose, ReadOnlySpan<T> vt, int nb, int len, ReadOnlySpan<T> t,
        Span<T> c, int rows, int ldc, Span<T> work) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (rows == 0 || len == 0 || nb == 0) return;
        // In memory C is the row-major len × rows matrix Cᵀ: Wᵀ = Vᵀ·Cᵀ (nb × rows), Wᵀ ← Tᵀ·Wᵀ (or T·Wᵀ),
        // Cᵀ ← Cᵀ − V·Wᵀ.
        var w = work[..(rows * nb)];
        var w2 = work.Slice(rows * nb, rows * nb);
        Gemm.Multiply(false, false, nb, rows, len, T.One, vt, len, c, ldc, T.Zero, w, rows);
        Gemm.Multiply(!transpose, false, nb, rows, nb, T.One, t, nb, w, rows, T.Zero, w2, rows);
        Gemm.Multiply(true, false, len, rows, nb, -T.One, vt, len, w2, rows, T.One, c, ldc);
    }
}
