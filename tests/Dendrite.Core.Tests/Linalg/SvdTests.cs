using MathNet.Numerics.LinearAlgebra;

namespace Dendrite.Tests.Linalg;

/// <summary>
/// The SVD of GolubKahanSvd.cs (Householder bidiagonalization, compact-WY accumulation of Q and P, bidiagonal QR
/// iteration with queued rotations) over shapes around its block sizes and thresholds, tall and wide, degenerate
/// spectra, float32 and batches. Each result is held to the backward-error bounds of a stable SVD: residual and
/// orthogonality within a small multiple of max(m, n)·ε·‖A‖, singular values descending and equal to MathNet's
/// independent float64 routine within the same bound.
/// </summary>
public class SvdTests
{
    private const double Eps = 1.1102230246251565e-16;

    private static double MaxAbs(Tensor t) => t.Numel == 0 ? 0 : t.Abs().Max().Item();

    /// <summary>Checks one float64 matrix (m, n) and returns its singular values.</summary>
    private static double[] Check(Tensor a, string what, double factor = 20)
    {
        int m = a.Size(-2), n = a.Size(-1), k = Math.Min(m, n);
        var (u, s, vh) = Dendrite.Linalg.Svd(a);
        Assert.Equal([m, k], u.Shape.ToArray());
        Assert.Equal([k], s.Shape.ToArray());
        Assert.Equal([k, n], vh.Shape.ToArray());
        var sv = s.ToArray<double>();
        double norm = sv.Length == 0 ? 0 : sv[0];
        double bound = factor * Math.Max(m, n) * Eps * Math.Max(norm, 1e-300);
        double residual = MaxAbs((u * s.Unsqueeze(-2)).MatMul(vh) - a);
        Assert.True(residual <= bound, $"{what}: residual {residual:g3} > {bound:g3}");
        double orthU = MaxAbs(u.T.MatMul(u) - Tensor.Eye(k, dtype: DType.Float64));
        double orthV = MaxAbs(vh.MatMul(vh.T) - Tensor.Eye(k, dtype: DType.Float64));
        double orthBound = factor * Math.Max(m, n) * Eps;
        Assert.True(orthU <= orthBound, $"{what}: ‖UᵀU − I‖ {orthU:g3} > {orthBound:g3}");
        Assert.True(orthV <= orthBound, $"{what}: ‖Vh·Vhᵀ − I‖ {orthV:g3} > {orthBound:g3}");
        for (int i = 0; i < k; i++)
        {
            Assert.True(sv[i] >= 0, $"{what}: S[{i}] = {sv[i]} < 0");
            if (i > 0) Assert.True(sv[i] <= sv[i - 1], $"{what}: S not descending at {i}");
        }
        // Svdvals runs the iteration without vectors: the same values up to rounding.
        var values = Dendrite.Linalg.Svdvals(a).ToArray<double>();
        for (int i = 0; i < k; i++)
            Assert.True(Math.Abs(values[i] - sv[i]) <= bound, $"{what}: Svdvals[{i}] {values[i]} vs Svd {sv[i]}");
        return sv;
    }

    /// <summary>MathNet.Numerics' managed float64 SVD (the routine this one replaced), descending.</summary>
    private static double[] MathNetValues(Tensor a)
    {
        int m = a.Size(-2), n = a.Size(-1);
        var data = a.ToArray<double>();
        var matrix = Matrix<double>.Build.Dense(m, n, (i, j) => data[i * n + j]);
        return [.. matrix.Svd(computeVectors: false).S.OrderByDescending(x => x)];
    }

    private static Tensor Random(Generator g, int m, int n) => Tensor.Randn([m, n], g, dtype: DType.Float64);

    /// <summary>Q₁·diag(σ)·Q₂ᵀ with random orthonormal Q₁ (m×k) and Q₂ (n×k).</summary>
    private static Tensor WithValues(Generator g, int m, int n, double[] sigma)
    {
        int k = sigma.Length;
        var (q1, _) = Dendrite.Linalg.Qr(Random(g, m, k));
        var (q2, _) = Dendrite.Linalg.Qr(Random(g, n, k));
        return (q1 * Tensor.From(sigma, k)).MatMul(q2.T);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(1, 7)]
    [InlineData(7, 1)]
    [InlineData(3, 2)]
    [InlineData(2, 3)]
    [InlineData(31, 31)]
    [InlineData(32, 32)]
    [InlineData(33, 33)]
    [InlineData(63, 63)]
    [InlineData(64, 64)]
    [InlineData(65, 65)]
    [InlineData(97, 40)]
    [InlineData(40, 97)]
    [InlineData(129, 65)]
    [InlineData(65, 129)]
    [InlineData(300, 17)]
    [InlineData(17, 300)]
    [InlineData(230, 230)]
    public void Svd_RandomShapes_MatchMathNet(int m, int n)
    {
        var g = new Generator((ulong)(1000 + 7 * m + n));
        var a = Random(g, m, n);
        var s = Check(a, $"Svd [{m},{n}]");
        var reference = MathNetValues(a);
        double bound = 20 * Math.Max(m, n) * Eps * reference[0];
        for (int i = 0; i < s.Length; i++)
            Assert.True(Math.Abs(s[i] - reference[i]) <= bound, $"[{m},{n}] S[{i}] {s[i]} vs MathNet {reference[i]}");
    }

    [Fact]
    public void Svd_IllConditioned_SingularValuesToAbsoluteAccuracy()
    {
        // σ log-spaced from 1 to 1e-14: a stable SVD gets each within a small multiple of n·ε·σ_max.
        var g = new Generator(5);
        foreach (var (m, n) in new[] { (40, 40), (70, 30), (30, 70) })
        {
            int k = Math.Min(m, n);
            var sigma = Enumerable.Range(0, k).Select(i => Math.Pow(1e-14, (double)i / (k - 1))).ToArray();
            var s = Check(WithValues(g, m, n, sigma), $"ill-conditioned [{m},{n}]");
            for (int i = 0; i < k; i++)
                Assert.True(Math.Abs(s[i] - sigma[i]) <= 20 * Math.Max(m, n) * Eps, $"[{m},{n}] σ{i} {s[i]} vs {sigma[i]}");
        }
    }

    [Fact]
    public void Svd_Degenerate()
    {
        var g = new Generator(6);
        // Zero matrices: all singular values 0, the vectors still orthonormal.
        foreach (var (m, n) in new[] { (1, 1), (5, 3), (3, 5), (70, 70) })
            Assert.All(Check(Tensor.Zeros(DType.Float64, m, n), $"zero [{m},{n}]"), x => Assert.Equal(0, x));
        // Identity and a scaled identity: all singular values equal.
        foreach (int n in new[] { 1, 4, 66 })
        {
            Assert.All(Check(Tensor.Eye(n, dtype: DType.Float64), $"I{n}"), x => Assert.Equal(1, x, 14));
            Assert.All(Check(-3 * Tensor.Eye(n, dtype: DType.Float64), $"-3·I{n}"), x => Assert.Equal(3, x, 13));
        }
        // Repeated singular values (clusters of 3 and of 20).
        var repeated = new[] { 5.0, 5, 5, 2, 2 }.Concat(Enumerable.Repeat(1.0, 20)).Concat([1e-3, 1e-3]).ToArray();
        var s = Check(WithValues(g, 40, 27, repeated), "repeated");
        for (int i = 0; i < repeated.Length; i++) Assert.True(Math.Abs(s[i] - repeated[i]) < 1e-12, $"repeated σ{i}");
        // Rank-deficient products of rank r: the trailing values are at rounding level.
        foreach (var (m, n, r) in new[] { (30, 20, 5), (20, 30, 1), (80, 80, 40) })
        {
            var a = Random(g, m, r).MatMul(Random(g, r, n));
            var sr = Check(a, $"rank {r} [{m},{n}]");
            Assert.True(sr[r - 1] > 1e-3, $"rank {r}: σ{r - 1} = {sr[r - 1]}");
            for (int i = r; i < sr.Length; i++)
                Assert.True(sr[i] <= 20 * Math.Max(m, n) * Eps * sr[0], $"rank {r}: σ{i} = {sr[i]}");
        }
        // A single nonzero entry, a zero column and a zero row in the middle, and entries near the float64 limits.
        var one = Tensor.Zeros(DType.Float64, 6, 4);
        one[3, 2] = 7.0;
        Assert.Equal([7.0, 0, 0, 0], Check(one, "one entry"));
        var holes = Random(g, 9, 9);
        holes = holes * Tensor.From([1.0, 1, 1, 1, 0, 1, 1, 1, 1], 9) * Tensor.From([1.0, 1, 0, 1, 1, 1, 1, 1, 1], 9, 1);
        Assert.Equal(0, Check(holes, "zero row and column")[^1], 14);
        Check(Random(g, 12, 9) * 1e-300, "tiny entries");
        Check(Random(g, 12, 9) * 1e300, "huge entries");
    }

    [Fact]
    public void Svd_BidiagonalAndGradedInput()
    {
        // Already bidiagonal, and graded over 30 orders of magnitude, where a careless convergence test loses the
        // small values: U·S·Vh must still reproduce each entry to ε relative to ‖A‖, and Svdvals agree with Svd.
        var g = new Generator(7);
        foreach (int n in new[] { 2, 3, 10, 50 })
        {
            var diagonal = new double[n];
            var entries = new double[n * n];
            for (int i = 0; i < n; i++)
            {
                diagonal[i] = Math.Pow(10, -30.0 * i / Math.Max(1, n - 1));
                entries[i * n + i] = diagonal[i];
                if (i + 1 < n) entries[i * n + i + 1] = 0.5 * diagonal[i];
            }
            var b = Tensor.From(entries, n, n);
            var s = Check(b, $"graded bidiagonal {n}");
            // The product of the singular values is |det B| = Π d_i; log-scale agreement checks the tiny ones.
            double logDet = 0, logProd = 0;
            for (int i = 0; i < n; i++)
            {
                logDet += Math.Log10(diagonal[i]);
                logProd += Math.Log10(s[i]);
            }
            Assert.True(Math.Abs(logDet - logProd) < 1e-8 * n, $"graded {n}: log Πσ {logProd} vs log|det| {logDet}");
            Check(Random(g, n, n).MatMul(b), $"graded product {n}");
        }
    }

    [Fact]
    public void Svd_Float32AndBatched()
    {
        var g = new Generator(8);
        var a = Tensor.Randn([3, 2, 37, 21], g, dtype: DType.Float64);
        var (u, s, vh) = Dendrite.Linalg.Svd(a);
        Assert.Equal([3, 2, 37, 21], u.Shape.ToArray());
        Assert.Equal([3, 2, 21], s.Shape.ToArray());
        Assert.Equal([3, 2, 21, 21], vh.Shape.ToArray());
        for (int i = 0; i < 3; i++)
        {
            for (int j = 0; j < 2; j++)
            {
                var one = a.Select(0, i).Select(0, j);
                var s1 = Check(one, $"batch ({i},{j})");
                Assert.Equal(s1, s.Select(0, i).Select(0, j).ToArray<double>());
            }
        }
        var a32 = a.To(DType.Float32);
        var (u32, s32, vh32) = Dendrite.Linalg.Svd(a32);
        Assert.Equal(DType.Float32, u32.DType);
        Assert.Equal(DType.Float32, s32.DType);
        Assert.Equal(DType.Float32, vh32.DType);
        // The float32 result is the float64 one of the rounded input, rounded once.
        var (_, s64, _) = Dendrite.Linalg.Svd(a32.To(DType.Float64));
        Assert.True(MaxAbs(s32.To(DType.Float64) - s64) <= 1e-6 * MaxAbs(s64));
        Assert.True(MaxAbs((u32 * s32.Unsqueeze(-2)).MatMul(vh32) - a32) <= 1e-5 * MaxAbs(s32));
        Assert.Equal(DType.Float32, Dendrite.Linalg.Svdvals(a32).DType);
    }

    [Fact]
    public void Svd_NonFiniteInputThrows()
    {
        var a = Tensor.Ones(DType.Float64, 2, 3, 3);
        a[1, 2, 0] = double.NaN;
        var e = Assert.Throws<ArgumentException>(() => Dendrite.Linalg.Svd(a));
        Assert.Equal("Svd: the input [2,3,3] holds NaN or infinity", e.Message);
    }

    [Fact]
    public void Svd_GradientMatchesFiniteDifferences()
    {
        // Distinct singular values (PyTorch's condition); a sign-invariant function of U and Vh.
        var x = Tensor.Randn([6, 4], new Generator(9), dtype: DType.Float64);
        var w = Tensor.Randn([6, 4], new Generator(10), dtype: DType.Float64);
        Gradcheck.Assert(t =>
        {
            var (u, s, vh) = Dendrite.Linalg.Svd(t[0]);
            return s.Sum() + (u * u * w).Sum() + (vh * vh).Select(0, 1).Sum();
        }, x);
    }

    [Fact]
    public void Svd2x2_DiagonalisesTheTriangle()
    {
        // lasv2: [csl snl; −snl csl]·[f g; 0 h]·[csr −snr; snr csr] = diag(ssmax, ssmin).
        var g = new Generator(11);
        var cases = new List<(double F, double G, double H)> { (1, 0, 1), (0, 1, 0), (1e-20, 1, 1e-20), (3, 1e30, 2),
            (-2, 5, 0.5), (1, 1, 1), (0, 0, 0), (5, 0, -7) };
        for (int i = 0; i < 40; i++) cases.Add((g.NextDouble() - 0.5, g.NextDouble() - 0.5, g.NextDouble() - 0.5));
        foreach (var (f, gg, h) in cases)
        {
            var (ssmin, ssmax, snr, csr, snl, csl) = BidiagonalQr.Svd2x2(f, gg, h);
            double scale = Math.Max(Math.Abs(f), Math.Max(Math.Abs(gg), Math.Abs(h)));
            // L·A
            double la11 = csl * f, la12 = csl * gg + snl * h, la21 = -snl * f, la22 = -snl * gg + csl * h;
            double r11 = la11 * csr + la12 * snr, r12 = -la11 * snr + la12 * csr;
            double r21 = la21 * csr + la22 * snr, r22 = -la21 * snr + la22 * csr;
            double tol = 1e-15 * Math.Max(scale, 1e-300) * 4;
            Assert.True(Math.Abs(r11 - ssmax) <= tol && Math.Abs(r22 - ssmin) <= tol, $"({f},{gg},{h}) diagonal");
            Assert.True(Math.Abs(r12) <= tol && Math.Abs(r21) <= tol, $"({f},{gg},{h}) off-diagonal");
            Assert.True(Math.Abs(ssmax) >= Math.Abs(ssmin), $"({f},{gg},{h}) order");
            var (lo, hi) = BidiagonalQr.SingularValues2x2(f, gg, h);
            Assert.True(Math.Abs(lo - Math.Abs(ssmin)) <= tol && Math.Abs(hi - Math.Abs(ssmax)) <= tol,
                $"({f},{gg},{h}) las2 vs lasv2");
        }
    }
}
