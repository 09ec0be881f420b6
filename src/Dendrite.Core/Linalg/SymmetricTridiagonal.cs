using System.Numerics.Tensors;

namespace Dendrite;

// Eigenvalues and eigenvectors of a real symmetric tridiagonal matrix T (diagonal d, off-diagonal e), the middle step
// of the symmetric eigensolver (SymmetricEigen.cs) and usable on any other tridiagonal (a Golub-Kahan bidiagonal
// turned into its tridiagonal form, for instance). The structure is LAPACK's syevx path:
//   1. split T where an off-diagonal is negligible (|e_i| <= eps·||T||), so each block is unreduced;
//   2. eigenvalues of each block by implicit QL with Wilkinson shifts, values only          O(m²) per block
//   3. eigenvectors by inverse iteration (as in stein): a few solves with the pivoted LU of T − λI, O(m) each,
//      with modified Gram-Schmidt against the earlier vectors of the same cluster (eigenvalues closer than
//      1e-3·||T||, chained), and equal eigenvalues pushed apart by a few ulps so each gets its own vector;
//   4. a block whose inverse iteration does not converge is redone by implicit QL accumulating the rotations
//      (O(m³) but always converges).
// Separated spectra cost O(n²) in all; only clusters pay O(k²·m) for their Gram-Schmidt.
//
// Legend: n = order of T, m = order of a block, b0 = first row of a block, λ = eigenvalue, x = a vector of a block.

/// <summary>Eigen-decomposition of a real symmetric tridiagonal matrix.</summary>
internal static class SymmetricTridiagonal
{
    private const int MaxIterations = 5;   // inverse-iteration solves before a block falls back to QL
    private const int ExtraIterations = 2; // solves after the growth test first passes, as in LAPACK's stein

    /// <summary>Eigenvalues of T in ascending order into <paramref name="w"/> (length n) and, unless
    /// <paramref name="z"/> is empty, the orthonormal eigenvectors as the columns of the row-major n×n
    /// <paramref name="z"/> (column k belongs to w[k]; each vector's sign is arbitrary).</summary>
    /// <param name="d">The diagonal, length n.</param>
    /// <param name="e">The off-diagonal, length at least n − 1: e[i] couples rows i and i + 1.</param>
    /// <param name="w">Receives the eigenvalues, ascending.</param>
    /// <param name="z">Receives the eigenvectors (n·n), or empty for eigenvalues only.</param>
    /// <param name="inverseIteration">False computes every block's vectors by QL with accumulated rotations (the
    /// O(n³) fallback), for comparison.</param>
    public static void Eigen(ReadOnlySpan<double> d, ReadOnlySpan<double> e, Span<double> w, Span<double> z,
        bool inverseIteration = true)
    {
        int n = d.Length;
        if (e.Length < Math.Max(0, n - 1) || w.Length != n || (!z.IsEmpty && z.Length != n * n))
            throw new ArgumentException($"SymmetricTridiagonal.Eigen: d {n}, e {e.Length}, w {w.Length}, " +
                $"z {z.Length} do not fit an order-{n} matrix");
        if (n == 0) return;
        double tnorm = 0;
        for (int i = 0; i < n; i++)
        {
            double row = Math.Abs(d[i]) + (i > 0 ? Math.Abs(e[i - 1]) : 0) + (i < n - 1 ? Math.Abs(e[i]) : 0);
            tnorm = Math.Max(tnorm, row);
        }
        if (!double.IsFinite(tnorm))
            throw new ArgumentException("SymmetricTridiagonal.Eigen: the matrix has a non-finite entry");
        // Work on T/‖T‖ (entries at most 1), so the rotations' sqrt(f² + g²) can neither overflow nor lose
        // everything to underflow; the eigenvalues are scaled back at the end.
        double unscale = tnorm > 0 ? tnorm : 1, rescale = 1 / unscale;
        bool vectors = !z.IsEmpty;
        var values = new double[n];
        var zt = vectors ? new double[n * n] : null; // row r: the eigenvector for values[r], nonzero on its block only
        var start = new int[n];                      // first row of the block each eigenvalue belongs to
        var size = new int[n];
        double splitTol = Eps;
        for (int b0 = 0; b0 < n;)
        {
            int b1 = b0 + 1;
            while (b1 < n && Math.Abs(e[b1 - 1]) * rescale > splitTol) b1++;
            int m = b1 - b0;
            var dd = new double[m];
            var ee = new double[m];
            TensorPrimitives.Multiply(d.Slice(b0, m), rescale, dd);
            TensorPrimitives.Multiply(e.Slice(b0, m - 1), rescale, ee.AsSpan(0, m - 1));
            Block(dd, ee, values.AsSpan(b0, m), zt, b0, n, inverseIteration);
            for (int i = b0; i < b1; i++)
            {
                start[i] = b0;
                size[i] = m;
            }
            b0 = b1;
        }
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Array.Sort(values.ToArray(), order);
        for (int k = 0; k < n; k++) w[k] = values[order[k]] * unscale;
        if (!vectors) return;
        z.Clear();
        for (int k = 0; k < n; k++)
        {
            int r = order[k], b0 = start[r];
            var row = zt.AsSpan(r * n + b0, size[r]);
            for (int i = 0; i < row.Length; i++) z[(b0 + i) * n + k] = row[i];
        }
    }

    private const double Eps = 2.220446049250313e-16; // 2⁻⁵², the spacing of doubles at 1

    // One unreduced block (diagonal dd, off-diagonal ee[0..m-2]) whose rows start at b0 of the order-n matrix:
    // eigenvalues (ascending) into values, and eigenvectors into rows b0.. of zt when zt is not null.
    private static void Block(double[] dd, double[] ee, Span<double> values, double[]? zt, int b0, int n,
        bool inverseIteration)
    {
        int m = dd.Length;
        if (m == 1)
        {
            values[0] = dd[0];
            if (zt is not null) zt[b0 * n + b0] = 1;
            return;
        }
        var w = (double[])dd.Clone();
        var f = (double[])ee.Clone();
        Ql(w, f, null, 0);
        Array.Sort(w);
        w.CopyTo(values);
        if (zt is null) return;
        if (inverseIteration && InverseIteration(dd, ee, w, zt, b0, n)) return;
        // Fallback: QL with the rotations accumulated into the block's rows of zt (started at the identity).
        for (int r = 0; r < m; r++)
        {
            var row = zt.AsSpan((b0 + r) * n + b0, m);
            row.Clear();
            row[r] = 1;
        }
        w = (double[])dd.Clone();
        f = (double[])ee.Clone();
        Ql(w, f, zt, (b0 * n) + b0, n);
        // Sort the pairs: rows of zt move with their eigenvalues.
        var order = new int[m];
        for (int i = 0; i < m; i++) order[i] = i;
        Array.Sort(w, order);
        var copy = new double[m * m];
        for (int r = 0; r < m; r++) zt.AsSpan((b0 + r) * n + b0, m).CopyTo(copy.AsSpan(r * m, m));
        for (int r = 0; r < m; r++) copy.AsSpan(order[r] * m, m).CopyTo(zt.AsSpan((b0 + r) * n + b0, m));
        w.CopyTo(values);
    }

    // Implicit QL with Wilkinson shifts on the unreduced tridiagonal (w, f): w becomes the eigenvalues (unsorted).
    // When zt is not null, every rotation of rows i and i + 1 of T is applied to rows i and i + 1 of the m×m block
    // of zt at offset `at` (row stride ld), so the rows of that block become the eigenvectors.
    private static void Ql(double[] w, double[] f, double[]? zt, int at, int ld = 0)
    {
        int m = w.Length;
        f[m - 1] = 0;
        for (int l = 0; l < m; l++)
        {
            for (int iteration = 0; ; iteration++)
            {
                int mm = l;
                while (mm < m - 1 && Math.Abs(f[mm]) > Eps * (Math.Abs(w[mm]) + Math.Abs(w[mm + 1]))) mm++;
                if (mm == l) break;
                if (iteration == 60)
                    throw new ArithmeticException($"SymmetricTridiagonal.Eigen: QL did not converge on a block " +
                        $"of order {m} after {iteration} iterations");
                // Wilkinson shift from the leading 2×2 of the active block, folded into the first rotation.
                double g = (w[l + 1] - w[l]) / (2 * f[l]);
                double r = Math.Sqrt((g * g) + 1);
                g = w[mm] - w[l] + f[l] / (g + Math.CopySign(r, g));
                double s = 1, c = 1, p = 0;
                int i = mm - 1;
                for (; i >= l; i--)
                {
                    double ff = s * f[i], bb = c * f[i];
                    r = Math.Sqrt((ff * ff) + (g * g));
                    f[i + 1] = r;
                    if (r == 0)
                    {
                        // The rotation underflowed: the block splits here; undo the pending shift and restart.
                        w[i + 1] -= p;
                        f[mm] = 0;
                        break;
                    }
                    s = ff / r;
                    c = g / r;
                    g = w[i + 1] - p;
                    r = ((w[i] - g) * s) + (2 * c * bb);
                    p = s * r;
                    w[i + 1] = g + p;
                    g = (c * r) - bb;
                    if (zt is not null) Rotate(zt.AsSpan(at + (i * ld), m), zt.AsSpan(at + ((i + 1) * ld), m), c, s);
                }
                if (r == 0 && i >= l) continue;
                w[l] -= p;
                f[l] = g;
                f[mm] = 0;
            }
        }
    }

    // (x, y) ← (c·x − s·y, s·x + c·y), the rotation of QL applied to two eigenvector rows.
    private static void Rotate(Span<double> x, Span<double> y, double c, double s)
    {
        for (int k = 0; k < x.Length; k++)
        {
            double xk = x[k], yk = y[k];
            x[k] = (c * xk) - (s * yk);
            y[k] = (s * xk) + (c * yk);
        }
    }

    // Inverse iteration for the eigenvalues w (ascending) of the unreduced block (dd, ee); the vectors go into rows
    // b0.. of zt. Clusters are independent of one another, so they are shared out over the threads. False when some
    // vector did not converge in MaxIterations solves.
    private static bool InverseIteration(double[] dd, double[] ee, double[] w, double[] zt, int b0, int n)
    {
        int m = dd.Length;
        double norm = 0;
        for (int i = 0; i < m; i++)
        {
            double row = Math.Abs(dd[i]) + (i > 0 ? Math.Abs(ee[i - 1]) : 0) + (i < m - 1 ? Math.Abs(ee[i]) : 0);
            norm = Math.Max(norm, row);
        }
        double orthogonalTol = 1e-3 * norm; // closer eigenvalues form a cluster
        var clusters = new List<int> { 0 };   // first eigenvalue of each cluster, then m
        for (int j = 1; j < m; j++)
        {
            if (w[j] - w[j - 1] > orthogonalTol) clusters.Add(j);
        }
        clusters.Add(m);
        int failed = 0;
        // Below order 256 the whole block takes well under a millisecond: not worth waking the other threads.
        Kernels.Parallel.For(clusters.Count - 1, m < 256 ? clusters.Count : 1, (c0, c1) =>
        {
            var lu = new TridiagonalLu(m);
            var x = new double[m];
            for (int c = c0; c < c1 && Volatile.Read(ref failed) == 0; c++)
            {
                if (!Cluster(dd, ee, w, clusters[c], clusters[c + 1], norm, lu, x, zt, b0, n))
                    Volatile.Write(ref failed, 1);
            }
        });
        return failed == 0;
    }

    // The vectors j0..j1−1 of one cluster, each orthogonalised against the cluster's earlier ones at every solve.
    private static bool Cluster(double[] dd, double[] ee, double[] w, int j0, int j1, double norm, TridiagonalLu lu,
        double[] x, double[] zt, int b0, int n)
    {
        int m = dd.Length;
        double growth = Math.Sqrt(0.1 / m); // a solve that grows the vector this much has converged
        double pivotTol = Math.Max(Eps * norm, double.Epsilon);
        double previous = 0;
        for (int j = j0; j < j1; j++)
        {
            double lambda = w[j];
            if (j > j0)
            {
                // Equal (or ulp-close) eigenvalues would give the same vector: push each a little above the last.
                double perturb = 10 * Eps * Math.Abs(lambda);
                if (lambda - previous < perturb) lambda = previous + perturb;
            }
            previous = lambda;
            // xorshift64 seeded by the vector's index (the same input gives the same vectors on any thread count):
            // a start uniform in (−1, 1), plenty for inverse iteration.
            ulong state = 0x9E3779B97F4A7C15 * (ulong)(j + 1);
            for (int i = 0; i < m; i++)
            {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                x[i] = ((state >> 11) * (2.0 / (1UL << 53))) - 1;
            }
            lu.Factor(dd, ee, lambda, pivotTol);
            bool converged = false;
            for (int iteration = 0, passed = 0; iteration < MaxIterations + ExtraIterations; iteration++)
            {
                double sum = TensorPrimitives.SumOfMagnitudes<double>(x);
                if (!(sum > 0) || !double.IsFinite(sum)) return false;
                double scale = m * norm * Math.Max(Eps, Math.Abs(lu.LastPivot)) / sum;
                TensorPrimitives.Multiply(x, scale, x);
                lu.Solve(x);
                for (int k = j0; k < j; k++)
                {
                    var zk = zt.AsSpan(((b0 + k) * n) + b0, m);
                    TensorPrimitives.MultiplyAdd(zk, -TensorPrimitives.Dot<double>(zk, x), x, x);
                }
                double max = Math.Abs(TensorPrimitives.MaxMagnitude<double>(x));
                if (!double.IsFinite(max)) return false;
                if (max < growth)
                {
                    if (iteration >= MaxIterations) return false;
                    continue;
                }
                if (++passed > ExtraIterations)
                {
                    converged = true;
                    break;
                }
            }
            if (!converged) return false;
            double norm2 = TensorPrimitives.Norm<double>(x);
            int at = TensorPrimitives.IndexOfMaxMagnitude<double>(x);
            TensorPrimitives.Multiply(x, (x[at] < 0 ? -1 : 1) / norm2, zt.AsSpan(((b0 + j) * n) + b0, m));
        }
        return true;
    }

    // LU with partial pivoting of the tridiagonal T − λI (m×m): L has unit diagonal and one multiplier per column,
    // U has its diagonal u1 and two superdiagonals u2, u3 (u3 is nonzero only where rows were swapped).
    private sealed class TridiagonalLu(int m)
    {
        private readonly double[] u1 = new double[m], u2 = new double[m], u3 = new double[m], l = new double[m];
        private readonly double[] inverse = new double[m]; // 1 / pivot, small pivots raised to ±tol
        private readonly bool[] swapped = new bool[m];

        /// <summary>The last diagonal entry of U (small when λ is close to an eigenvalue).</summary>
        public double LastPivot => u1[m - 1];

        /// <summary>Factors T − λI; pivots smaller than tol in magnitude are raised to ±tol, as LAPACK's lagts
        /// does, so a solve with λ an eigenvalue stays finite.</summary>
        public void Factor(double[] d, double[] e, double lambda, double tol)
        {
            // The current row holds (p, q) in columns (i, i + 1); row i + 1 of T − λI is (e_i, d_{i+1} − λ, e_{i+1}).
            double p = d[0] - lambda, q = m > 1 ? e[0] : 0;
            for (int i = 0; i < m - 1; i++)
            {
                double below = e[i], next = d[i + 1] - lambda, right = i + 1 < m - 1 ? e[i + 1] : 0;
                if (Math.Abs(below) > Math.Abs(p))
                {
                    swapped[i] = true;
                    l[i] = p / below;
                    u1[i] = below;
                    u2[i] = next;
                    u3[i] = right;
                    (p, q) = (q - (l[i] * next), -l[i] * right);
                }
                else
                {
                    swapped[i] = false;
                    l[i] = p == 0 ? 0 : below / p;
                    u1[i] = p;
                    u2[i] = q;
                    u3[i] = 0;
                    (p, q) = (next - (l[i] * q), right);
                }
            }
            u1[m - 1] = p;
            for (int i = 0; i < m; i++)
            {
                double pivot = u1[i];
                if (Math.Abs(pivot) < tol) pivot = pivot < 0 ? -tol : tol;
                inverse[i] = 1 / pivot;
            }
        }

        /// <summary>Overwrites x with (T − λI)⁻¹·x.</summary>
        public void Solve(Span<double> x)
        {
            for (int i = 0; i < m - 1; i++)
            {
                if (swapped[i]) (x[i], x[i + 1]) = (x[i + 1], x[i]);
                x[i + 1] -= l[i] * x[i];
            }
            double x1 = 0, x2 = 0; // x[i + 1], x[i + 2]
            for (int i = m - 1; i >= 0; i--)
            {
                double xi = (x[i] - (u2[i] * x1) - (u3[i] * x2)) * inverse[i];
                x[i] = xi;
                x2 = x1;
                x1 = xi;
            }
        }
    }
}
