using Dendrite.Kernels;

namespace Dendrite.Tests.Kernels;

// The float64 GEMM against a plain triple loop (same contract as Sgemm: row-major, op(A)·op(B), alpha, beta, strides).
[Trait("Category", "Kernels")]
public class DgemmTests
{
    public static TheoryData<bool, bool> Transpositions() => new() { { false, false }, { false, true }, { true, false }, { true, true } };

    [Theory]
    [MemberData(nameof(Transpositions))]
    public void EveryDimensionFrom1To40_MatchesLoop(bool ta, bool tb)
    {
        var gen = new Random(17);
        for (int s = 1; s <= 40; s++)
        {
            // Each dimension across 1..40 with the others at sizes that leave partial 6×8 tiles.
            Check(ta, tb, s, 13, 11, 1.0, 0.0, 0, gen);
            Check(ta, tb, 7, s, 9, 1.0, 0.0, 1, gen);
            Check(ta, tb, 11, 15, s, 1.0, 0.0, 2, gen);
        }
    }

    [Theory]
    [MemberData(nameof(Transpositions))]
    public void AlphaBetaPaddingAndEveryBlockingLevel_MatchLoop(bool ta, bool tb)
    {
        var gen = new Random(19);
        for (int t = 0; t < 40; t++)
        {
            Check(ta, tb, gen.Next(1, 50), gen.Next(1, 50), gen.Next(1, 50), 0.5 + gen.NextDouble(),
                gen.NextDouble() - 0.5, gen.Next(0, 4), gen);
        }
        // Past every block size (72 rows, 256 of k, 384 columns) with ragged ends, and a product large enough to run
        // on several threads.
        Check(ta, tb, 151, 397, 263, -1.5, 2.0, 3, gen);
        Check(ta, tb, 300, 260, 520, 1.0, 0.0, 0, gen);
        Check(ta, tb, 1, 500, 300, 1.0, 1.0, 0, gen);
        Check(ta, tb, 500, 1, 300, 1.0, 0.0, 0, gen);
    }

    [Fact]
    public void BetaZeroIgnoresNaN_KZeroScales_BadStridesNamed()
    {
        var a = new double[6];
        var b = new double[6];
        var c = new[] { double.NaN, double.NaN, double.NaN, double.NaN };
        Gemm.Dgemm(false, false, 2, 2, 3, 1.0, a, 3, b, 2, 0.0, c, 2);
        Assert.Equal(new double[4], c);
        var d = new double[] { 1, 2, 3, 4 };
        Gemm.Dgemm(false, false, 2, 2, 0, 1.0, a, 1, b, 2, 3.0, d, 2);
        Assert.Equal(new double[] { 3, 6, 9, 12 }, d);
        var e = Assert.Throws<ArgumentException>(() => Gemm.Dgemm(false, false, 2, 2, 4, 1.0, a, 4, b, 2, 0.0, d, 2));
        Assert.Contains("Dgemm: A is 2x4", e.Message);
    }

    [Fact]
    public void Float64MatMul_RunsOnDgemm_AndMatchesLoop()
    {
        var g = new Generator(3);
        var x = Tensor.Randn([3, 37, 53], g, dtype: DType.Float64);
        var w = Tensor.Randn([53, 29], g, dtype: DType.Float64);
        var y = x.MatMul(w).ToArray<double>();
        double[] xs = x.ToArray<double>(), ws = w.ToArray<double>();
        for (int b = 0; b < 3; b++)
        {
            for (int i = 0; i < 37; i++)
            {
                for (int j = 0; j < 29; j++)
                {
                    double s = 0;
                    for (int p = 0; p < 53; p++) s += xs[(b * 37 + i) * 53 + p] * ws[p * 29 + j];
                    Assert.Equal(s, y[(b * 37 + i) * 29 + j], 1e-12);
                }
            }
        }
    }

    private static void Check(bool ta, bool tb, int m, int n, int k, double alpha, double beta, int pad, Random gen)
    {
        int lda = (ta ? m : k) + pad, ldb = (tb ? k : n) + pad, ldc = n + pad;
        var a = Random((ta ? k : m) * lda, gen);
        var b = Random((tb ? n : k) * ldb, gen);
        var c = Random(m * ldc, gen);
        var expected = (double[])c.Clone();
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++)
                    s += (ta ? a[p * lda + i] : a[i * lda + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j]);
                expected[i * ldc + j] = alpha * s + (beta == 0 ? 0 : beta * c[i * ldc + j]);
            }
        }
        Gemm.Dgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        for (int i = 0; i < c.Length; i++)
        {
            // Padding columns of C must be untouched; the rest equal the loop to rounding.
            double tol = i % ldc < n ? 1e-13 * (k + 1) : 0;
            if (!(Math.Abs(c[i] - expected[i]) <= tol))
                Assert.Fail($"Dgemm ta={ta} tb={tb} m={m} n={n} k={k} pad={pad}: C[{i / ldc},{i % ldc}] = {c[i]}, " +
                    $"expected {expected[i]}");
        }
    }

    private static double[] Random(int length, Random gen)
    {
        var x = new double[length];
        for (int i = 0; i < length; i++) x[i] = gen.NextDouble() * 2 - 1;
        return x;
    }
}
