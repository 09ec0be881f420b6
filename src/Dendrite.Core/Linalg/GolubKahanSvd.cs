namespace Dendrite;

// The reduced SVD A = U·diag(σ)·Vh of one row-major float64 matrix, in LAPACK's gesvd steps (Golub and Kahan 1965,
// Golub and Reinsch 1970): Householder bidiagonalization A = Q·B·Pᵀ (Bidiagonal.Reduce), explicit Qᵀ and Pᵀ, then
// the implicit QR iteration on B (BidiagonalQr) rotating their rows into Uᵀ and Vh. A wide matrix (m < n) is
// decomposed as its transpose, Aᵀ = V·diag(σ)·Uᵀ, so the bidiagonal is always upper and Q has as many rows as A has.
// A matrix whose largest entry is outside [2⁻⁵⁰⁰, 2⁵⁰⁰] is scaled first (as gesvd does) so that no norm over- or
// underflows, and σ is scaled back.
//
// Legend: m×n the input, k = min(m, n); u row-major m×k, vh row-major k×n, s (k) descending.
internal static class GolubKahanSvd
{
    /// <summary>Decomposes <paramref name="a"/> (m×n, row-major; left untouched). u and vh are null when
    /// <paramref name="vectors"/> is false.</summary>
    public static (double[] S, double[]? U, double[]? Vh) Decompose(string op, ReadOnlySpan<double> a, int m, int n,
        bool vectors)
    {
        int k = Math.Min(m, n);
        if (k == 0) return ([], vectors ? new double[m * k] : null, vectors ? new double[k * n] : null);
        // Work on the tall one of A and Aᵀ: rows × cols with rows ≥ cols = k.
        bool wide = m < n;
        int rows = wide ? n : m, cols = k;
        var w = new double[rows * cols];
        if (wide)
        {
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++) w[j * cols + i] = a[i * n + j];
            }
        }
        else
        {
            a.CopyTo(w);
        }
        double maxAbs = 0;
        foreach (double x in w) maxAbs = Math.Max(maxAbs, Math.Abs(x));
        if (!double.IsFinite(maxAbs))
        {
            // The caller names the whole input in its error.
            var nan = new double[k];
            Array.Fill(nan, double.NaN);
            return (nan, vectors ? new double[m * k] : null, vectors ? new double[k * n] : null);
        }
        double scale = 1;
        if (maxAbs != 0 && (maxAbs < Math.ScaleB(1.0, -500) || maxAbs > Math.ScaleB(1.0, 500)))
        {
            scale = Math.ScaleB(1.0, -Math.ILogB(maxAbs));
            for (int i = 0; i < w.Length; i++) w[i] *= scale;
        }

        var d = new double[cols];
        var e = new double[Math.Max(0, cols - 1) + 1];
        var tauQ = new double[cols];
        var tauP = new double[cols];
        Bidiagonal.Reduce(w, rows, cols, d, e, tauQ, tauP);
        double[]? qt = null, pt = null;
        if (vectors)
        {
            qt = Bidiagonal.LeftTransposed(w, rows, cols, tauQ);
            pt = Bidiagonal.RightTransposed(w, cols, tauP);
        }
        BidiagonalQr.Decompose(op, d, e, cols, qt, rows, pt, cols);
        if (scale != 1)
        {
            for (int i = 0; i < d.Length; i++) d[i] /= scale;
        }
        if (!vectors) return (d, null, null);

        // qt (k×rows) holds the left singular vectors of the tall matrix as rows, pt (k×k) its Vh.
        var u = new double[m * k];
        double[] vh;
        if (wide)
        {
            // A = (tall)ᵀ: U = ptᵀ (m = k), Vh = qt (k×n).
            for (int i = 0; i < k; i++)
            {
                for (int j = 0; j < k; j++) u[j * k + i] = pt![i * k + j];
            }
            vh = qt!;
        }
        else
        {
            for (int i = 0; i < k; i++)
            {
                for (int r = 0; r < m; r++) u[r * k + i] = qt![i * m + r];
            }
            vh = pt!;
        }
        return (d, u, vh);
    }
}
