namespace Dendrite;

// The SVD of an upper bidiagonal matrix B (diagonal d, superdiagonal e) by implicit QR iteration, after LAPACK's
// bdsqr (Demmel and Kahan, "Accurate singular values of bidiagonal matrices", 1990): shifted QR sweeps chase a
// bulge down (or up) the unreduced block, a zero-shift sweep takes over when the shift would spoil the relative
// accuracy of small singular values, and the convergence tests are relative ones, so tiny singular values come out
// with high relative accuracy. Each sweep's left and right rotations are saved and applied afterwards to the rows of
// Uᵀ and Vᵀ in one pass (PlaneRotations), the way bdsqr hands them to lasr.
//
// Legend: n the order; d (n), e (n−1); ut (n rows of length nu) = Uᵀ, vt (n rows of length nv) = Vᵀ, both updated
// as ut ← U_Bᵀ·ut, vt ← V_Bᵀ·vt where B = U_B·diag(σ)·V_Bᵀ; [lo, hi] the current unreduced block, 0-based.
internal static class BidiagonalQr
{
    private const int MaxIterationsPerSquare = 6;

    /// <summary>Overwrites d with the singular values of B, descending and non-negative, and rotates the rows of
    /// <paramref name="ut"/> and <paramref name="vt"/> (either may be null) to match. Throws when the iteration
    /// does not converge (it always does for finite input).</summary>
    public static void Decompose(string op, double[] d, double[] e, int n, double[]? ut, int nu, double[]? vt,
        int nv)
    {
        if (n == 0) return;
        const double eps = 1.1102230246251565e-16; // 2⁻⁵³, LAPACK's relative machine precision
        const double unfl = 2.2250738585072014e-308;
        double tolmul = Math.Max(10, Math.Min(100, Math.Pow(eps, -0.125)));
        double tol = tolmul * eps;
        // The rotations of up to SweepsPerFlush sweeps: (cV, sV) for the rows of vt, (cU, sU) for the rows of ut.
        var pending = new Pending(n, vt, nv, ut, nu);

        double smax = 0;
        for (int i = 0; i < n; i++) smax = Math.Max(smax, Math.Abs(d[i]));
        for (int i = 0; i < n - 1; i++) smax = Math.Max(smax, Math.Abs(e[i]));
        // A lower bound on the smallest singular value sets the absolute threshold below which e is zero.
        double sminoa = Math.Abs(d[0]);
        if (sminoa != 0)
        {
            double mu = sminoa;
            for (int i = 1; i < n; i++)
            {
                mu = Math.Abs(d[i]) * (mu / (mu + Math.Abs(e[i - 1])));
                sminoa = Math.Min(sminoa, mu);
                if (sminoa == 0) break;
            }
        }
        sminoa /= Math.Sqrt(n);
        double thresh = Math.Max(tol * sminoa, MaxIterationsPerSquare * (n * (n * unfl)));
        long maxIterations = (long)MaxIterationsPerSquare * n * n, iterations = 0;
        int oldLo = -1, oldHi = -1, direction = 0;
        int hi = n - 1;
        while (hi > 0)
        {
            if (iterations > maxIterations)
                throw new ArgumentException($"{op}: the bidiagonal QR iteration did not converge in " +
                    $"{maxIterations} steps (order {n})");
            // Find the unreduced block [lo, hi]: e[lo−1] is negligible, e[lo..hi−1] are not.
            smax = Math.Abs(d[hi]);
            int lo = -1;
            for (int l = hi - 1; l >= 0; l--)
            {
                double abss = Math.Abs(d[l]), abse = Math.Abs(e[l]);
                if (abse <= thresh)
                {
                    e[l] = 0;
                    lo = l;
                    break;
                }
                smax = Math.Max(smax, Math.Max(abss, abse));
            }
            if (lo == hi - 1)
            {
                hi--;
                continue;
            }
            lo++;
            if (lo == hi - 1)
            {
                // A 2×2 block is diagonalised directly.
                var (sigmn, sigmx, sinr, cosr, sinl, cosl) = Svd2x2(d[hi - 1], e[hi - 1], d[hi]);
                d[hi - 1] = sigmx;
                e[hi - 1] = 0;
                d[hi] = sigmn;
                pending.Set(0, cosr, sinr, cosl, sinl);
                pending.Add(true, lo, 2);
                hi -= 2;
                continue;
            }
            // A new block: chase the bulge from the larger end of the diagonal towards the smaller.
            if (lo > oldHi || hi < oldLo) direction = Math.Abs(d[lo]) >= Math.Abs(d[hi]) ? 1 : 2;
            // Convergence tests, with sminl an estimate of the smallest singular value of the block.
            double sminl;
            if (direction == 1)
            {
                if (Math.Abs(e[hi - 1]) <= tol * Math.Abs(d[hi]))
                {
                    e[hi - 1] = 0;
                    continue;
                }
                double mu = Math.Abs(d[lo]);
                sminl = mu;
                bool split = false;
                for (int l = lo; l < hi; l++)
                {
                    if (Math.Abs(e[l]) <= tol * mu)
                    {
                        e[l] = 0;
                        split = true;
                        break;
                    }
                    mu = Math.Abs(d[l + 1]) * (mu / (mu + Math.Abs(e[l])));
                    sminl = Math.Min(sminl, mu);
                }
                if (split) continue;
            }
            else
            {
                if (Math.Abs(e[lo]) <= tol * Math.Abs(d[lo]))
                {
                    e[lo] = 0;
                    continue;
                }
                double mu = Math.Abs(d[hi]);
                sminl = mu;
                bool split = false;
                for (int l = hi - 1; l >= lo; l--)
                {
                    if (Math.Abs(e[l]) <= tol * mu)
                    {
                        e[l] = 0;
                        split = true;
                        break;
                    }
                    mu = Math.Abs(d[l]) * (mu / (mu + Math.Abs(e[l])));
                    sminl = Math.Min(sminl, mu);
                }
                if (split) continue;
            }
            oldLo = lo;
            oldHi = hi;
            // The shift: the smaller singular value of the trailing (or leading) 2×2, or zero when it would not
            // leave the small singular values their relative accuracy.
            double shift = 0;
            if (n * tol * (sminl / smax) > Math.Max(eps, 0.01 * tol))
            {
                double sll;
                if (direction == 1)
                {
                    sll = Math.Abs(d[lo]);
                    shift = SingularValues2x2(d[hi - 1], e[hi - 1], d[hi]).Min;
                }
                else
                {
                    sll = Math.Abs(d[hi]);
                    shift = SingularValues2x2(d[lo], e[lo], d[lo + 1]).Min;
                }
                if (sll > 0 && (shift / sll) * (shift / sll) < eps) shift = 0;
            }
            iterations += hi - lo;
            int count = hi - lo + 1;
            if (shift == 0 && direction == 1)
            {
                double cs = 1, oldcs = 1, oldsn = 0;
                for (int i = lo; i < hi; i++)
                {
                    var (c1, s1, r) = Givens(d[i] * cs, e[i]);
                    cs = c1;
                    if (i > lo) e[i - 1] = oldsn * r;
                    (oldcs, oldsn, d[i]) = Givens(oldcs * r, d[i + 1] * s1);
                    pending.Set(i - lo, cs, s1, oldcs, oldsn);
                }
                double h = d[hi] * cs;
                d[hi] = h * oldcs;
                e[hi - 1] = h * oldsn;
                pending.Add(true, lo, count);
                if (Math.Abs(e[hi - 1]) <= thresh) e[hi - 1] = 0;
            }
            else if (shift == 0)
            {
                double cs = 1, oldcs = 1, oldsn = 0;
                for (int i = hi; i > lo; i--)
                {
                    var (c1, s1, r) = Givens(d[i] * cs, e[i - 1]);
                    cs = c1;
                    if (i < hi) e[i] = oldsn * r;
                    (oldcs, oldsn, d[i]) = Givens(oldcs * r, d[i - 1] * s1);
                    pending.Set(i - lo - 1, oldcs, -oldsn, cs, -s1);
                }
                double h = d[lo] * cs;
                d[lo] = h * oldcs;
                e[lo] = h * oldsn;
                pending.Add(false, lo, count);
                if (Math.Abs(e[lo]) <= thresh) e[lo] = 0;
            }
            else if (direction == 1)
            {
                double f = (Math.Abs(d[lo]) - shift) * (Math.CopySign(1, d[lo]) + shift / d[lo]);
                double g = e[lo];
                for (int i = lo; i < hi; i++)
                {
                    var (cosr, sinr, r) = Givens(f, g);
                    if (i > lo) e[i - 1] = r;
                    f = cosr * d[i] + sinr * e[i];
                    e[i] = cosr * e[i] - sinr * d[i];
                    g = sinr * d[i + 1];
                    d[i + 1] = cosr * d[i + 1];
                    var (cosl, sinl, r2) = Givens(f, g);
                    d[i] = r2;
                    f = cosl * e[i] + sinl * d[i + 1];
                    d[i + 1] = cosl * d[i + 1] - sinl * e[i];
                    if (i < hi - 1)
                    {
                        g = sinl * e[i + 1];
                        e[i + 1] = cosl * e[i + 1];
                    }
                    pending.Set(i - lo, cosr, sinr, cosl, sinl);
                }
                e[hi - 1] = f;
                pending.Add(true, lo, count);
                if (Math.Abs(e[hi - 1]) <= thresh) e[hi - 1] = 0;
            }
            else
            {
                double f = (Math.Abs(d[hi]) - shift) * (Math.CopySign(1, d[hi]) + shift / d[hi]);
                double g = e[hi - 1];
                for (int i = hi; i > lo; i--)
                {
                    var (cosr, sinr, r) = Givens(f, g);
                    if (i < hi) e[i] = r;
                    f = cosr * d[i] + sinr * e[i - 1];
                    e[i - 1] = cosr * e[i - 1] - sinr * d[i];
                    g = sinr * d[i - 1];
                    d[i - 1] = cosr * d[i - 1];
                    var (cosl, sinl, r2) = Givens(f, g);
                    d[i] = r2;
                    f = cosl * e[i - 1] + sinl * d[i - 1];
                    d[i - 1] = cosl * d[i - 1] - sinl * e[i - 1];
                    if (i > lo + 1)
                    {
                        g = sinl * e[i - 2];
                        e[i - 2] = cosl * e[i - 2];
                    }
                    pending.Set(i - lo - 1, cosl, -sinl, cosr, -sinr);
                }
                e[lo] = f;
                if (Math.Abs(e[lo]) <= thresh) e[lo] = 0;
                pending.Add(false, lo, count);
            }
        }
        pending.Flush();
        SortDescending(d, n, ut, nu, vt, nv);
    }

    // Rotations waiting to be applied: each sweep writes its rotations at the current offset (Set) and is then
    // queued (Add); the queue is applied in one pass over the matrices when it is full and at the end.
    private sealed class Pending
    {
        private const int SweepsPerFlush = 24;
        private readonly double[] cV, sV, cU, sU;
        private readonly PlaneRotations.Sequence[] queue = new PlaneRotations.Sequence[SweepsPerFlush];
        private readonly (double[] X, int Cols, double[] C, double[] S)[] matrices;
        private readonly int n;
        private int queued, offset;

        public Pending(int n, double[]? vt, int nv, double[]? ut, int nu)
        {
            this.n = n;
            int capacity = SweepsPerFlush * n;
            cV = new double[capacity];
            sV = new double[capacity];
            cU = new double[capacity];
            sU = new double[capacity];
            var list = new List<(double[] X, int Cols, double[] C, double[] S)>(2);
            if (vt is not null && nv > 0) list.Add((vt, nv, cV, sV));
            if (ut is not null && nu > 0) list.Add((ut, nu, cU, sU));
            matrices = [.. list];
        }

        /// <summary>Rotation j of the sweep being built, for vt (cv, sv) and ut (cu, su).</summary>
        public void Set(int j, double cv, double sv, double cu, double su)
        {
            if (matrices.Length == 0) return;
            cV[offset + j] = cv;
            sV[offset + j] = sv;
            cU[offset + j] = cu;
            sU[offset + j] = su;
        }

        /// <summary>Queues the sweep just built on rows first..first+count−1.</summary>
        public void Add(bool forward, int first, int count)
        {
            if (matrices.Length == 0) return;
            queue[queued++] = new PlaneRotations.Sequence(forward, first, count, offset);
            offset += count - 1;
            if (queued == SweepsPerFlush || offset + n > cV.Length) Flush();
        }

        public void Flush()
        {
            PlaneRotations.Apply(queue, queued, matrices);
            queued = 0;
            offset = 0;
        }
    }

    // Makes every singular value non-negative (flipping the row of vt) and sorts them descending, swapping the rows
    // of ut and vt alike.
    private static void SortDescending(double[] d, int n, double[]? ut, int nu, double[]? vt, int nv)
    {
        for (int i = 0; i < n; i++)
        {
            if (d[i] >= 0) continue;
            d[i] = -d[i];
            if (vt is not null)
            {
                var row = vt.AsSpan(i * nv, nv);
                for (int j = 0; j < nv; j++) row[j] = -row[j];
            }
        }
        for (int i = 0; i < n - 1; i++)
        {
            int best = i;
            for (int j = i + 1; j < n; j++)
            {
                if (d[j] > d[best]) best = j;
            }
            if (best == i) continue;
            (d[i], d[best]) = (d[best], d[i]);
            if (vt is not null) SwapRows(vt, nv, i, best);
            if (ut is not null) SwapRows(ut, nu, i, best);
        }
    }

    private static void SwapRows(double[] x, int ld, int i, int j)
    {
        var a = x.AsSpan(i * ld, ld);
        var b = x.AsSpan(j * ld, ld);
        for (int k = 0; k < ld; k++) (a[k], b[k]) = (b[k], a[k]);
    }

    /// <summary>LAPACK's lartg: (c, s, r) with c·f + s·g = r and −s·f + c·g = 0, r carrying f's sign.</summary>
    internal static (double C, double S, double R) Givens(double f, double g)
    {
        if (g == 0) return (1, 0, f);
        if (f == 0) return (0, Math.CopySign(1, g), Math.Abs(g));
        double fa = Math.Abs(f), ga = Math.Abs(g);
        // The plain square root where neither square can over- or underflow, Hypot (slower, scaled) elsewhere.
        double h = fa is > 1e-150 and < 1e150 && ga is > 1e-150 and < 1e150 ? Math.Sqrt(f * f + g * g)
            : double.Hypot(f, g);
        double r = Math.CopySign(h, f);
        return (fa / h, g / r, r);
    }

    /// <summary>LAPACK's las2: the singular values of the upper triangular [[f, g], [0, h]].</summary>
    internal static (double Min, double Max) SingularValues2x2(double f, double g, double h)
    {
        double fa = Math.Abs(f), ga = Math.Abs(g), ha = Math.Abs(h);
        double fhmn = Math.Min(fa, ha), fhmx = Math.Max(fa, ha);
        if (fhmn == 0)
        {
            if (fhmx == 0) return (0, ga);
            double big = Math.Max(fhmx, ga), small = Math.Min(fhmx, ga) / big;
            return (0, big * Math.Sqrt(1 + small * small));
        }
        if (ga < fhmx)
        {
            double aS = 1 + fhmn / fhmx, aT = (fhmx - fhmn) / fhmx, au = (ga / fhmx) * (ga / fhmx);
            double c = 2 / (Math.Sqrt(aS * aS + au) + Math.Sqrt(aT * aT + au));
            return (fhmn * c, fhmx / c);
        }
        double ratio = fhmx / ga;
        if (ratio == 0) return (fhmn * fhmx / ga, ga);
        double aS2 = 1 + fhmn / fhmx, aT2 = (fhmx - fhmn) / fhmx;
        double c2 = 1 / (Math.Sqrt(1 + (aS2 * ratio) * (aS2 * ratio)) + Math.Sqrt(1 + (aT2 * ratio) * (aT2 * ratio)));
        double smin = fhmn * c2 * ratio;
        return (smin + smin, ga / (c2 + c2));
    }

    /// <summary>LAPACK's lasv2: the SVD of the upper triangular [[f, g], [0, h]],
    /// [csl snl; −snl csl]·[[f, g], [0, h]]·[csr −snr; snr csr] = diag(ssmax, ssmin), |ssmax| ≥ |ssmin|.</summary>
    internal static (double SsMin, double SsMax, double Snr, double Csr, double Snl, double Csl) Svd2x2(double f,
        double g, double h)
    {
        const double eps = 1.1102230246251565e-16;
        double ft = f, fa = Math.Abs(ft), ht = h, ha = Math.Abs(h);
        int pmax = 1;
        bool swap = ha > fa;
        if (swap)
        {
            pmax = 3;
            (ft, ht) = (ht, ft);
            (fa, ha) = (ha, fa);
        }
        double gt = g, ga = Math.Abs(gt);
        double ssmin, ssmax, clt, crt, slt, srt;
        if (ga == 0)
        {
            ssmin = ha;
            ssmax = fa;
            clt = 1;
            crt = 1;
            slt = 0;
            srt = 0;
        }
        else
        {
            bool gaSmall = true;
            ssmin = ssmax = clt = crt = slt = srt = 0;
            if (ga > fa)
            {
                pmax = 2;
                if (fa / ga < eps)
                {
                    gaSmall = false;
                    ssmax = ga;
                    ssmin = ha > 1 ? fa / (ga / ha) : fa / ga * ha;
                    clt = 1;
                    slt = ht / gt;
                    srt = 1;
                    crt = ft / gt;
                }
            }
            if (gaSmall)
            {
                double dd = fa - ha;
                double l = dd == fa ? 1 : dd / fa;
                double m = gt / ft;
                double t = 2 - l;
                double mm = m * m, tt = t * t;
                double s = Math.Sqrt(tt + mm);
                double r = l == 0 ? Math.Abs(m) : Math.Sqrt(l * l + mm);
                double a = 0.5 * (s + r);
                ssmin = ha / a;
                ssmax = fa * a;
                if (mm == 0)
                {
                    t = l == 0 ? Math.CopySign(2, ft) * Math.CopySign(1, gt) : gt / Math.CopySign(dd, ft) + m / t;
                }
                else
                {
                    t = (m / (s + t) + m / (r + l)) * (1 + a);
                }
                l = Math.Sqrt(t * t + 4);
                crt = 2 / l;
                srt = t / l;
                clt = (crt + srt * m) / a;
                slt = ht / ft * srt / a;
            }
        }
        double csl, snl, csr, snr;
        if (swap)
        {
            csl = srt;
            snl = crt;
            csr = slt;
            snr = clt;
        }
        else
        {
            csl = clt;
            snl = slt;
            csr = crt;
            snr = srt;
        }
        double tsign = pmax switch
        {
            1 => Math.CopySign(1, csr) * Math.CopySign(1, csl) * Math.CopySign(1, f),
            2 => Math.CopySign(1, snr) * Math.CopySign(1, csl) * Math.CopySign(1, g),
            _ => Math.CopySign(1, snr) * Math.CopySign(1, snl) * Math.CopySign(1, h),
        };
        ssmax = Math.CopySign(ssmax, tsign);
        ssmin = Math.CopySign(ssmin, tsign * Math.CopySign(1, f) * Math.CopySign(1, h));
        return (ssmin, ssmax, snr, csr, snl, csl);
    }
}
