namespace Dendrite.Tests.Linalg;

/// <summary>
/// The defining identities of each factorization over many random shapes and condition numbers: Q·R = A,
/// U·diag(S)·Vh = A, L·Lᵀ = A, P·L·U = A, V·diag(w)·Vᵀ = A, A·A⁻¹ = I, A·X = B. Matrices of a chosen condition number
/// κ are built as Q₁·diag(σ)·Q₂ with σ log-spaced from 1 to 1/κ, so the expected error is about κ·ε.
/// </summary>
public class LinalgIdentityTests
{
    private static readonly double[] Conditions = [1, 1e2, 1e4, 1e8];

    /// <summary>A random (batch, m, n) float64 matrix with singular values log-spaced from 1 to 1/κ.</summary>
    private static Tensor WithCondition(Generator g, int batch, int m, int n, double kappa)
    {
        using var _ = Autograd.NoGrad();
        int k = Math.Min(m, n);
        var (q1, _) = Dendrite.Linalg.Qr(Tensor.Randn([batch, m, k], g, dtype: DType.Float64));
        var (q2, _) = Dendrite.Linalg.Qr(Tensor.Randn([batch, n, k], g, dtype: DType.Float64));
        var sigma = new double[k];
        for (int i = 0; i < k; i++) sigma[i] = Math.Pow(kappa, -(k == 1 ? 0 : (double)i / (k - 1)));
        return (q1 * Tensor.From(sigma, k)).MatMul(q2.T);
    }

    private static double MaxAbs(Tensor t) => t.Numel == 0 ? 0 : t.Abs().Max().Item();

    private static void AssertSmall(Tensor residual, double bound, string what) =>
        Assert.True(MaxAbs(residual) <= bound, $"{what}: max residual {MaxAbs(residual):g3} > {bound:g3}");

    private static IEnumerable<(int Batch, int M, int N)> Shapes(Generator g, bool square)
    {
        for (int t = 0; t < 12; t++)
        {
            int m = 1 + (int)(g.NextDouble() * 9), n = square ? m : 1 + (int)(g.NextDouble() * 9);
            yield return (1 + t % 3, m, n);
        }
    }

    [Fact]
    public void Qr_ReconstructsAndIsOrthonormal()
    {
        var g = new Generator(1);
        foreach (var (b, m, n) in Shapes(g, square: false))
        {
            foreach (var kappa in Conditions)
            {
                var a = WithCondition(g, b, m, n, kappa);
                var (q, r) = Dendrite.Linalg.Qr(a);
                string what = $"Qr [{b},{m},{n}] κ={kappa:g}";
                AssertSmall(q.MatMul(r) - a, 1e-12, what);
                AssertSmall(q.T.MatMul(q) - Tensor.Eye(Math.Min(m, n), dtype: DType.Float64), 1e-12, what);
                AssertSmall(r.Tril(-1), 0, what);
            }
        }
    }

    [Fact]
    public void Svd_ReconstructsAndIsOrthonormal()
    {
        var g = new Generator(2);
        foreach (var (b, m, n) in Shapes(g, square: false))
        {
            foreach (var kappa in Conditions)
            {
                var a = WithCondition(g, b, m, n, kappa);
                var (u, s, vh) = Dendrite.Linalg.Svd(a);
                int k = Math.Min(m, n);
                string what = $"Svd [{b},{m},{n}] κ={kappa:g}";
                AssertSmall((u * s.Unsqueeze(-2)).MatMul(vh) - a, 1e-12, what);
                AssertSmall(u.T.MatMul(u) - Tensor.Eye(k, dtype: DType.Float64), 1e-12, what);
                AssertSmall(vh.MatMul(vh.T) - Tensor.Eye(k, dtype: DType.Float64), 1e-12, what);
                var sv = s.ToArray<double>();
                for (int i = 0; i < sv.Length; i++)
                {
                    if (i % k != 0) Assert.True(sv[i] <= sv[i - 1], $"{what}: singular values not descending");
                }
            }
        }
    }

    [Fact]
    public void Cholesky_Reconstructs()
    {
        var g = new Generator(3);
        foreach (var (b, n, _) in Shapes(g, square: true))
        {
            foreach (var kappa in Conditions)
            {
                var x = WithCondition(g, b, n, n, Math.Sqrt(kappa));
                var a = x.MatMul(x.T);
                var l = Dendrite.Linalg.Cholesky(a);
                string what = $"Cholesky [{b},{n},{n}] κ={kappa:g}";
                AssertSmall(l.MatMul(l.T) - a, 1e-13, what);
                AssertSmall(l.Triu(1), 0, what);
                AssertSmall(Dendrite.Linalg.Cholesky(a, upper: true) - l.T, 0, what);
            }
        }
    }

    [Fact]
    public void Cholesky_Float32Blocked_MatchesFloat64()
    {
        // Orders around the recursion's splits, including ones that are not a multiple of 16.
        var g = new Generator(8);
        foreach (int n in new[] { 128, 200, 289 })
        {
            var x = Tensor.Randn([n, n], g, dtype: DType.Float64);
            var a = x.MatMul(x.T) / n + Tensor.Eye(n, dtype: DType.Float64);
            var l64 = Dendrite.Linalg.Cholesky(a);
            var l32 = Dendrite.Linalg.Cholesky(a.To(DType.Float32));
            Assert.Equal(DType.Float32, l32.DType);
            AssertSmall(l32.To(DType.Float64) - l64, 1e-5, $"Cholesky float32 blocked n={n}");
            AssertSmall(l32.Triu(1), 0, $"Cholesky float32 blocked n={n}");
            var bad = a.Clone();
            bad[n - 1, n - 1] = -1.0;
            var e = Assert.Throws<ArgumentException>(() => Dendrite.Linalg.Cholesky(bad.To(DType.Float32)));
            Assert.Contains("not positive definite", e.Message);
        }
    }

    [Fact]
    public void Norms_AtTheZeroVector_HaveZeroGradient_AndXOverNormElsewhere()
    {
        // PyTorch's subgradient at 0 is 0 (norm backward masks the 0/0); rows away from 0 keep x·|x|^(p-2)/‖x‖^(p-1).
        var x = Tensor.From([0.0, 0, 0, 3, -4, 0], 2, 3).RequireGrad();
        foreach (double p in new[] { 2.0, 3.0 })
        {
            var g = Autograd.Grad([Dendrite.Linalg.VectorNorm(x, p, [-1]).Sum()], [x])[0]!.ToArray<double>();
            Assert.Equal(new double[3], g[..3]);
            double n = Math.Pow(Math.Pow(3, p) + Math.Pow(4, p), 1 / p);
            Assert.Equal(Math.Pow(3, p - 1) / Math.Pow(n, p - 1), g[3], 12);
            Assert.Equal(-Math.Pow(4, p - 1) / Math.Pow(n, p - 1), g[4], 12);
            Assert.Equal(0, g[5]);
        }
        var m = Tensor.Zeros(DType.Float64, 2, 2, 2).RequireGrad();
        var gm = Autograd.Grad([Dendrite.Linalg.MatrixNorm(m).Sum()], [m])[0]!.ToArray<double>();
        Assert.All(gm, v => Assert.Equal(0, v));
        // Away from 0 the gradient is unchanged: finite differences agree.
        var y = Tensor.Randn([3, 4], new Generator(2), dtype: DType.Float64).RequireGrad();
        Gradcheck.Assert(t => Dendrite.Linalg.VectorNorm(t[0], 2, [-1]), y);
        Gradcheck.Assert(t => Dendrite.Linalg.MatrixNorm(t[0]), y);
    }

    [Fact]
    public void Float64Blocked_CholeskyAndLu_Reconstruct()
    {
        // Orders large enough for several levels of recursion on the float64 GEMM.
        var g = new Generator(10);
        foreach (int n in new[] { 128, 211 })
        {
            var x = Tensor.Randn([n, n], g, dtype: DType.Float64);
            var spd = x.MatMul(x.T) / n + Tensor.Eye(n, dtype: DType.Float64);
            var l = Dendrite.Linalg.Cholesky(spd);
            AssertSmall(l.MatMul(l.T) - spd, 1e-12, $"Cholesky float64 blocked n={n}");
            AssertSmall(l.Triu(1), 0, $"Cholesky float64 blocked n={n}");
            var bad = spd.Clone();
            bad[n - 1, n - 1] = -1.0;
            Assert.Contains("not positive definite",
                Assert.Throws<ArgumentException>(() => Dendrite.Linalg.Cholesky(bad)).Message);
            var (p, lo, u) = Dendrite.Linalg.Lu(x);
            AssertSmall(p.MatMul(lo).MatMul(u) - x, 1e-12, $"Lu float64 blocked n={n}");
            AssertSmall(u.Tril(-1), 0, $"Lu float64 blocked n={n}");
            var b = Tensor.Randn([n, 3], g, dtype: DType.Float64);
            AssertSmall(x.MatMul(Dendrite.Linalg.Solve(x, b)) - b, 1e-10, $"Solve float64 blocked n={n}");
        }
    }

    [Fact]
    public void Lu_Float32Blocked_ReconstructsAndSolves()
    {
        var g = new Generator(9);
        foreach (int n in new[] { 128, 200, 257 })
        {
            var a = Tensor.Randn([n, n], g);
            var (p, l, u) = Dendrite.Linalg.Lu(a);
            Assert.Equal(DType.Float32, l.DType);
            string what = $"Lu float32 blocked n={n}";
            AssertSmall(p.MatMul(l).MatMul(u) - a, 1e-4, what);
            AssertSmall(l.Abs() - l.Abs().Tril().Clamp(0, 1), 0, what);
            AssertSmall(u.Tril(-1), 0, what);
            var (lu64, pivots) = Dendrite.Linalg.LuFactor(a.To(DType.Float64));
            var (_, pivots32) = Dendrite.Linalg.LuFactor(a);
            // The pivots agree, or part only at a step whose two best candidates are closer than float32 can tell
            // apart (another |L| within 1e-4 of 1 in the float64 factor); after that the row orders may differ.
            long[] p64 = pivots.ToArray<long>(), p32 = pivots32.ToArray<long>();
            int first = Enumerable.Range(0, n).FirstOrDefault(j => p64[j] != p32[j], n);
            if (first < n)
            {
                Assert.True(MaxBelowDiagonal(lu64.ToArray<double>(), n, first) > 1 - 1e-4,
                    $"{what}: pivot {first} differs ({p64[first]} and {p32[first]}) without a near tie");
            }
            var b = Tensor.Randn([n, 2], g);
            var x = Dendrite.Linalg.Solve(a, b);
            AssertSmall(a.MatMul(x) - b, 1e-3, what);
            double det64 = Dendrite.Linalg.Slogdet(a.To(DType.Float64)).LogAbsDet.Item();
            Assert.Equal(det64, Dendrite.Linalg.Slogdet(a).LogAbsDet.Item(), 2);
        }
        // A zero row stays zero through every elimination step, so its pivot comes out exactly 0.
        int m = 128;
        var singular = Tensor.Randn([m, m], g);
        singular = Tensor.Cat([singular.Narrow(0, 0, 5), Tensor.Zeros(1, m), singular.Narrow(0, 6, m - 6)]);
        var e = Assert.Throws<ArgumentException>(() => Dendrite.Linalg.Inv(singular));
        Assert.Contains("singular", e.Message);
        Assert.Equal(0, Dendrite.Linalg.Det(singular).Item());
    }

    // The largest |L[i, j]| below the diagonal of a packed LU: near 1 when two candidate pivots of step j had
    // nearly equal magnitudes.
    private static double MaxBelowDiagonal(double[] lu, int n, int j)
    {
        double best = 0;
        for (int i = j + 1; i < n; i++) best = Math.Max(best, Math.Abs(lu[i * n + j]));
        return best;
    }

    [Fact]
    public void Lu_Reconstructs()
    {
        var g = new Generator(4);
        foreach (var (b, n, _) in Shapes(g, square: true))
        {
            foreach (var kappa in Conditions)
            {
                var a = WithCondition(g, b, n, n, kappa);
                var (p, l, u) = Dendrite.Linalg.Lu(a);
                string what = $"Lu [{b},{n},{n}] κ={kappa:g}";
                AssertSmall(p.MatMul(l).MatMul(u) - a, 1e-13, what);
                AssertSmall(l.Abs() - l.Abs().Tril().Clamp(0, 1), 0, what);
            }
        }
    }

    [Fact]
    public void Inv_And_Solve_AreInverses()
    {
        var g = new Generator(5);
        foreach (var (b, n, _) in Shapes(g, square: true))
        {
            foreach (var kappa in Conditions)
            {
                var a = WithCondition(g, b, n, n, kappa);
                var eye = Tensor.Eye(n, dtype: DType.Float64);
                string what = $"Inv [{b},{n},{n}] κ={kappa:g}";
                double bound = 1e-13 * kappa * n;
                AssertSmall(a.MatMul(Dendrite.Linalg.Inv(a)) - eye, bound, what);
                var rhs = Tensor.Randn([b, n, 3], g, dtype: DType.Float64);
                AssertSmall(a.MatMul(Dendrite.Linalg.Solve(a, rhs)) - rhs, bound * 10, what);
            }
        }
    }

    [Fact]
    public void Eigh_Reconstructs()
    {
        var g = new Generator(6);
        foreach (var (b, n, _) in Shapes(g, square: true))
        {
            var x = Tensor.Randn([b, n, n], g, dtype: DType.Float64);
            var a = x + x.T;
            var (w, v) = Dendrite.Linalg.Eigh(a);
            string what = $"Eigh [{b},{n},{n}]";
            AssertSmall((v * w.Unsqueeze(-2)).MatMul(v.T) - a, 1e-12, what);
            AssertSmall(v.T.MatMul(v) - Tensor.Eye(n, dtype: DType.Float64), 1e-12, what);
            double[] det = Dendrite.Linalg.Det(a).ToArray<double>(), ws = w.ToArray<double>();
            for (int i = 0; i < b; i++)
            {
                double product = ws.Skip(i * n).Take(n).Aggregate(1.0, (p, e) => p * e);
                Assert.True(Math.Abs(det[i] - product) <= 1e-9 * Math.Max(1, Math.Abs(det[i])),
                    $"{what}: det {det[i]} but the eigenvalues multiply to {product}");
            }
        }
    }

    [Fact]
    public void Float32_IdentitiesHoldToSinglePrecision()
    {
        var g = new Generator(7);
        var a = WithCondition(g, 2, 6, 6, 10).To(DType.Float32);
        var (q, r) = Dendrite.Linalg.Qr(a);
        Assert.Equal(DType.Float32, q.DType);
        AssertSmall(q.MatMul(r) - a, 1e-6, "Qr float32");
        var (u, s, vh) = Dendrite.Linalg.Svd(a);
        AssertSmall((u * s.Unsqueeze(-2)).MatMul(vh) - a, 1e-6, "Svd float32");
        AssertSmall(a.MatMul(Dendrite.Linalg.Inv(a)) - Tensor.Eye(6), 1e-5, "Inv float32");
    }
}
