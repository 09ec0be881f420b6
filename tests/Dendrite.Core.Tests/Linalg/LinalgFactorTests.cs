namespace Dendrite.Tests.Linalg;

/// <summary>
/// The recursive triangular solves, Cholesky and LU (Trsm, BlockedCholesky, BlockedLu) against plain unblocked
/// reference loops written here, over orders around the leaves (16, 32) and splits, in float32 and float64, and
/// through Linalg on identity, zero, singular, ill-conditioned and batched input.
/// </summary>
public class LinalgFactorTests
{
    private static readonly int[] Orders = [1, 2, 3, 15, 16, 17, 31, 32, 33, 47, 48, 63, 64, 65, 100, 129, 160];

    private static double[] Random(Generator g, int count)
    {
        var v = new double[count];
        for (int i = 0; i < count; i++) v[i] = 2 * g.NextDouble() - 1;
        return v;
    }

    // A well-conditioned triangle of order m: off-diagonal entries of size 1/√m, diagonal 1..2; the unused half, and
    // the diagonal of a unit triangle, hold NaN, which the solves must never read.
    private static double[] Triangle(Generator g, int m, bool lower, bool unit)
    {
        var t = Random(g, m * m);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < m; j++)
            {
                if (i == j) t[i * m + j] = unit ? double.NaN : 1 + Math.Abs(t[i * m + j]);
                else if (lower ? j > i : j < i) t[i * m + j] = double.NaN;
                else t[i * m + j] /= Math.Sqrt(m);
            }
        }
        return t;
    }

    // Entry (i, j) of op(T), with the implied zeros and unit diagonal.
    private static double Entry(double[] t, int m, int i, int j, bool lower, bool transposed, bool unit)
    {
        int r = transposed ? j : i, c = transposed ? i : j;
        if (r == c && unit) return 1;
        return (lower ? c <= r : c >= r) ? t[r * m + c] : 0;
    }

    private static T[] Cast<T>(double[] v) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> =>
        Array.ConvertAll(v, T.CreateTruncating);

    private static double[] Widen<T>(T[] v) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> =>
        Array.ConvertAll(v, double.CreateTruncating);

    private static void TrsmCase<T>(Generator g, double tol)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        foreach (int m in Orders)
        {
            foreach (int k in new[] { 1, 3, 4, 7, 40 })
            {
                foreach (var kind in new[] { "lower", "lower-unit", "upper", "right-lower-t" })
                {
                    bool lower = kind != "upper", unit = kind == "lower-unit", right = kind == "right-lower-t";
                    var t = Triangle(g, m, lower, unit);
                    // Left solves: T (m×m)·X (m×k) = B. The right solve: X (k×m)·Tᵀ = B, i.e. T·Xᵀ = Bᵀ.
                    int rows = right ? k : m, cols = right ? m : k;
                    var b = Random(g, rows * cols);
                    var x = Cast<T>(b);
                    var tt = Cast<T>(t);
                    if (kind == "upper") Trsm.UpperLeft<T>(m, k, tt, m, x, k);
                    else if (right) Trsm.RightLowerTransposed<T>(k, m, tt, m, x, m);
                    else Trsm.LowerLeft<T>(unit, m, k, tt, m, x, k);
                    var xd = Widen(x);
                    double worst = 0;
                    for (int i = 0; i < rows; i++)
                    {
                        for (int j = 0; j < cols; j++)
                        {
                            double s = 0;
                            if (right)
                            {
                                for (int p = 0; p < m; p++) s += xd[i * m + p] * Entry(t, m, p, j, true, true, false);
                            }
                            else
                            {
                                for (int p = 0; p < m; p++) s += Entry(t, m, i, p, lower, false, unit) * xd[p * k + j];
                            }
                            worst = Math.Max(worst, Math.Abs(s - b[i * cols + j]));
                        }
                    }
                    Assert.True(worst <= tol, $"Trsm {kind} {typeof(T).Name} m={m} k={k}: residual {worst:g3}");
                }
            }
        }
    }

    [Fact]
    public void Trsm_Float64_SolvesEveryShape() => TrsmCase<double>(new Generator(21), 1e-12);

    [Fact]
    public void Trsm_Float32_SolvesEveryShape() => TrsmCase<float>(new Generator(22), 2e-5);

    // Unblocked Cholesky in float64 (the textbook column loop); null when not positive definite.
    private static double[]? ReferenceCholesky(double[] a, int n)
    {
        var l = new double[n * n];
        for (int j = 0; j < n; j++)
        {
            double d = a[j * n + j];
            for (int p = 0; p < j; p++) d -= l[j * n + p] * l[j * n + p];
            if (!(d > 0)) return null;
            l[j * n + j] = Math.Sqrt(d);
            for (int i = j + 1; i < n; i++)
            {
                double s = a[i * n + j];
                for (int p = 0; p < j; p++) s -= l[i * n + p] * l[j * n + p];
                l[i * n + j] = s / l[j * n + j];
            }
        }
        return l;
    }

    // Unblocked LU with partial pivoting in float64 (getf2: the first row of largest magnitude, zero pivots skipped).
    private static (double[] LU, int[] Pivots) ReferenceLu(double[] a, int n)
    {
        var lu = (double[])a.Clone();
        var piv = new int[n];
        for (int j = 0; j < n; j++)
        {
            int p = j;
            for (int i = j + 1; i < n; i++)
            {
                if (Math.Abs(lu[i * n + j]) > Math.Abs(lu[p * n + j])) p = i;
            }
            piv[j] = p;
            for (int c = 0; c < n; c++) (lu[j * n + c], lu[p * n + c]) = (lu[p * n + c], lu[j * n + c]);
            double d = lu[j * n + j];
            if (d == 0) continue;
            for (int i = j + 1; i < n; i++)
            {
                double l = lu[i * n + j] /= d;
                for (int c = j + 1; c < n; c++) lu[i * n + c] -= l * lu[j * n + c];
            }
        }
        return (lu, piv);
    }

    private static double[] Spd(Generator g, int n)
    {
        var x = Random(g, n * n);
        var a = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j <= i; j++)
            {
                double s = 0;
                for (int p = 0; p < n; p++) s += x[i * n + p] * x[j * n + p];
                a[i * n + j] = a[j * n + i] = s / n + (i == j ? 1 : 0);
            }
        }
        return a;
    }

    private static double MaxDiff(double[] x, double[] y, Func<int, bool>? where = null)
    {
        double worst = 0;
        for (int i = 0; i < x.Length; i++)
        {
            if (where is null || where(i)) worst = Math.Max(worst, Math.Abs(x[i] - y[i]));
        }
        return worst;
    }

    [Fact]
    public void Cholesky_AcrossOrders_MatchesTheUnblockedReference()
    {
        var g = new Generator(23);
        foreach (int n in Orders)
        {
            var a = Spd(g, n);
            var reference = ReferenceCholesky(a, n)!;
            var l64 = (double[])a.Clone();
            Assert.True(BlockedCholesky.Factor<double>(l64, n));
            var l32 = Cast<float>(a);
            Assert.True(BlockedCholesky.Factor<float>(l32, n));
            bool Lower(int i) => i % n <= i / n;
            Assert.True(MaxDiff(l64, reference, Lower) <= 1e-12, $"Cholesky float64 n={n}");
            Assert.True(MaxDiff(Widen(l32), reference, Lower) <= 1e-5, $"Cholesky float32 n={n}");
            // Through Linalg: the upper triangle comes out zero, and the batch matches matrix by matrix.
            var t = Tensor.From(a, n, n);
            var stacked = Tensor.Stack([t, 2.0 * t]);
            var lt = Dendrite.Linalg.Cholesky(stacked).ToArray<double>();
            for (int i = 0; i < n * n; i++)
            {
                double want = Lower(i) ? reference[i] : 0;
                Assert.True(Math.Abs(lt[i] - want) <= 1e-12, $"Cholesky batch n={n} at {i}");
                Assert.True(Math.Abs(lt[n * n + i] - Math.Sqrt(2) * want) <= 1e-12, $"Cholesky batch n={n} at {i}");
            }
        }
    }

    [Fact]
    public void Cholesky_NotPositiveDefinite_IsReportedAtEveryDepth()
    {
        var g = new Generator(24);
        foreach (int n in new[] { 1, 17, 33, 100 })
        {
            foreach (int bad in new[] { 0, n / 2, n - 1 })
            {
                var a = Spd(g, n);
                a[bad * n + bad] = -1;
                foreach (var dtype in new[] { DType.Float64, DType.Float32 })
                {
                    var t = Tensor.From(a, n, n).To(dtype);
                    var e = Assert.Throws<ArgumentException>(() => Dendrite.Linalg.Cholesky(t));
                    Assert.Contains("not positive definite", e.Message);
                }
                a[bad * n + bad] = double.NaN;
                Assert.Throws<ArgumentException>(() => Dendrite.Linalg.Cholesky(Tensor.From(a, n, n)));
            }
        }
    }

    [Fact]
    public void Lu_AcrossOrders_MatchesTheUnblockedReference()
    {
        var g = new Generator(25);
        foreach (int n in Orders)
        {
            var a = Random(g, n * n);
            var (reference, refPivots) = ReferenceLu(a, n);
            var lu64 = (double[])a.Clone();
            var piv = new int[n];
            BlockedLu.Factor<double>(lu64, n, piv);
            Assert.Equal(refPivots, piv);
            Assert.True(MaxDiff(lu64, reference) <= 1e-10, $"Lu float64 n={n}: {MaxDiff(lu64, reference):g3}");
            // float32: P·L·U reconstructs A to single precision.
            var (p, l, u) = Dendrite.Linalg.Lu(Tensor.From(a, n, n).To(DType.Float32));
            double r = (p.MatMul(l).MatMul(u) - Tensor.From(a, n, n).To(DType.Float32)).Abs().Max().Item();
            Assert.True(r <= 1e-5 * n, $"Lu float32 n={n}: {r:g3}");
        }
    }

    [Fact]
    public void Identity_Zero_AndSingular_Inputs()
    {
        foreach (int n in new[] { 1, 40, 150 })
        {
            foreach (var dtype in new[] { DType.Float64, DType.Float32 })
            {
                var eye = Tensor.Eye(n, dtype: dtype);
                Assert.Equal(0, (Dendrite.Linalg.Cholesky(eye) - eye).Abs().Max().Item());
                Assert.Equal(0, (Dendrite.Linalg.Inv(eye) - eye).Abs().Max().Item());
                Assert.Equal(1, Dendrite.Linalg.Det(eye).Item());
                var (_, pivots) = Dendrite.Linalg.LuFactor(eye);
                Assert.Equal(Enumerable.Range(1, n).Select(i => (long)i).ToArray(), pivots.ToArray<long>());
                var zero = Tensor.Zeros(dtype, n, n);
                Assert.Equal(0, Dendrite.Linalg.Det(zero).Item());
                var (sign, logAbs) = Dendrite.Linalg.Slogdet(zero);
                Assert.Equal(0, sign.Item());
                Assert.Equal(double.NegativeInfinity, logAbs.Item());
                Assert.Contains("singular", Assert.Throws<ArgumentException>(() => Dendrite.Linalg.Inv(zero)).Message);
                Assert.Contains("not positive definite",
                    Assert.Throws<ArgumentException>(() => Dendrite.Linalg.Cholesky(zero)).Message);
            }
        }
        // A zero column in the middle stays exactly zero through the recursion: U[40,40] = 0, so Det is exactly 0
        // and Solve refuses, while the factors still reconstruct A.
        var g = new Generator(26);
        var a = Random(g, 100 * 100);
        for (int i = 0; i < 100; i++) a[i * 100 + 40] = 0;
        var t = Tensor.From(a, 100, 100);
        Assert.Equal(0, Dendrite.Linalg.Det(t).Item());
        var e = Assert.Throws<ArgumentException>(() => Dendrite.Linalg.Solve(t, Tensor.Ones(DType.Float64, 100)));
        Assert.Contains("U[40,40] = 0", e.Message);
        var (p, l, u) = Dendrite.Linalg.Lu(t);
        Assert.True((p.MatMul(l).MatMul(u) - t).Abs().Max().Item() <= 1e-12);
    }

    [Fact]
    public void Solve_IllConditioned_And_Batched_ManyRightHandSides()
    {
        var g = new Generator(27);
        int n = 150;
        // A = Q1·diag(σ)·Q2ᵀ with σ from 1 to 1e-8: a backward-stable solve leaves a residual of about κ·ε.
        var (q1, _) = Dendrite.Linalg.Qr(Tensor.Randn([n, n], g, dtype: DType.Float64));
        var (q2, _) = Dendrite.Linalg.Qr(Tensor.Randn([n, n], g, dtype: DType.Float64));
        var sigma = Enumerable.Range(0, n).Select(i => Math.Pow(1e8, -(double)i / (n - 1))).ToArray();
        var ill = (q1 * Tensor.From(sigma, n)).MatMul(q2.T);
        var rhs = Tensor.Randn([n, 3], g, dtype: DType.Float64);
        double r = (ill.MatMul(Dendrite.Linalg.Solve(ill, rhs)) - rhs).Abs().Max().Item();
        Assert.True(r <= 1e-13 * 1e8 * n, $"ill-conditioned Solve residual {r:g3}");
        double ri = (ill.MatMul(Dendrite.Linalg.Inv(ill)) - Tensor.Eye(n, dtype: DType.Float64)).Abs().Max().Item();
        Assert.True(ri <= 1e-13 * 1e8 * n, $"ill-conditioned Inv residual {ri:g3}");

        // Batched A with 1, 5 and 40 right-hand sides (the dot-product, row-sweep and GEMM paths), B broadcast too.
        foreach (var dtype in new[] { DType.Float64, DType.Float32 })
        {
            double tol = dtype == DType.Float64 ? 1e-10 : 1e-3;
            var a = (Tensor.Randn([3, 70, 70], g, dtype: DType.Float64) + 10 * Tensor.Eye(70, dtype: DType.Float64))
                .To(dtype);
            foreach (int k in new[] { 1, 5, 40 })
            {
                var b = Tensor.Randn([3, 70, k], g, dtype: dtype);
                var x = Dendrite.Linalg.Solve(a, b);
                Assert.Equal(dtype, x.DType);
                double res = (a.MatMul(x) - b).Abs().Max().Item();
                Assert.True(res <= tol, $"batched Solve {dtype} k={k}: residual {res:g3}");
                for (int i = 0; i < 3; i++)
                {
                    var one = Dendrite.Linalg.Solve(a.Narrow(0, i, 1).Squeeze(0), b.Narrow(0, i, 1).Squeeze(0));
                    Assert.Equal(0, (one - x.Narrow(0, i, 1).Squeeze(0)).Abs().Max().Item());
                }
            }
            var shared = Tensor.Randn([70, 5], g, dtype: dtype);
            double rs = (a.MatMul(Dendrite.Linalg.Solve(a, shared)) - shared).Abs().Max().Item();
            Assert.True(rs <= tol, $"broadcast Solve {dtype}: residual {rs:g3}");
            double rinv = (a.MatMul(Dendrite.Linalg.Inv(a)) - Tensor.Eye(70, dtype: dtype)).Abs().Max().Item();
            Assert.True(rinv <= tol, $"batched Inv {dtype}: residual {rinv:g3}");
        }
    }
}
