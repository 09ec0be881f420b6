namespace Dendrite.Tests.Linalg;

/// <summary>
/// The blocked symmetric eigensolver (SymmetricEigen: Householder tridiagonalization, SymmetricTridiagonal, blocked
/// back-transformation) behind Linalg.Eigh, on random and degenerate input around the panel width: eigenvalues
/// ascending, residual ‖A·V − V·diag(w)‖ and orthogonality ‖VᵀV − I‖ within a small multiple of n·ε·‖A‖.
/// </summary>
public class SymmetricEigenTests
{
    private const double Eps = 2.220446049250313e-16;
    private const int Nb = SymmetricEigen.BlockSize;

    /// <summary>Largest absolute row sum (the ∞-norm) of a row-major n×n matrix.</summary>
    private static double NormInf(double[] a, int n)
    {
        double norm = 0;
        for (int i = 0; i < n; i++)
        {
            double s = 0;
            for (int j = 0; j < n; j++) s += Math.Abs(a[(i * n) + j]);
            norm = Math.Max(norm, s);
        }
        return norm;
    }

    /// <summary>Checks ascending w, A·V = V·diag(w) and VᵀV = I for row-major A (n×n) and V (columns).</summary>
    private static void AssertEigen(double[] a, int n, double[] w, double[] v, string what, double factor = 4)
    {
        for (int k = 1; k < n; k++)
            Assert.True(w[k - 1] <= w[k], $"{what}: eigenvalues not ascending at {k}: {w[k - 1]} > {w[k]}");
        double scale = Math.Max(NormInf(a, n), double.Epsilon);
        double residual = 0, orthogonality = 0;
        for (int i = 0; i < n; i++)
        {
            for (int k = 0; k < n; k++)
            {
                double av = 0, vv = 0;
                for (int j = 0; j < n; j++)
                {
                    av += a[(i * n) + j] * v[(j * n) + k];
                    vv += v[(j * n) + i] * v[(j * n) + k];
                }
                residual = Math.Max(residual, Math.Abs(av - (v[(i * n) + k] * w[k])));
                orthogonality = Math.Max(orthogonality, Math.Abs(vv - (i == k ? 1 : 0)));
            }
        }
        double bound = factor * Math.Max(n, 4) * Eps;
        Assert.True(residual <= bound * scale, $"{what}: residual {residual:g3} > {bound * scale:g3}");
        Assert.True(orthogonality <= bound, $"{what}: orthogonality {orthogonality:g3} > {bound:g3}");
    }

    private static double[] Decompose(double[] a, int n, out double[] v)
    {
        var w = new double[n];
        v = new double[n * n];
        SymmetricEigen.Decompose((double[])a.Clone(), n, w, v);
        return w;
    }

    private static double[] RandomSymmetric(Random random, int n)
    {
        var a = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j <= i; j++) a[(i * n) + j] = a[(j * n) + i] = (2 * random.NextDouble()) - 1;
        }
        return a;
    }

    /// <summary>Q·diag(values)·Qᵀ with Q a random orthogonal matrix (from Linalg.Qr).</summary>
    private static double[] WithSpectrum(Random random, double[] values)
    {
        int n = values.Length;
        var g = new double[n * n];
        for (int i = 0; i < g.Length; i++) g[i] = (2 * random.NextDouble()) - 1;
        var q = Dendrite.Linalg.Qr(Tensor.From(g, n, n)).Q.ToArray<double>();
        var a = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int k = 0; k < n; k++) s += q[(i * n) + k] * values[k] * q[(j * n) + k];
                a[(i * n) + j] = s;
            }
        }
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < i; j++) a[(j * n) + i] = a[(i * n) + j];
        }
        return a;
    }

    public static TheoryData<int> Orders() =>
        [1, 2, 3, 5, Nb - 1, Nb, Nb + 1, Nb + 2, 2 * Nb - 1, 2 * Nb, 2 * Nb + 1, 77, 3 * Nb + 5, 150];

    [Theory]
    [MemberData(nameof(Orders))]
    public void Random_IsAccurate(int n)
    {
        var random = new Random(n);
        var a = RandomSymmetric(random, n);
        var w = Decompose(a, n, out var v);
        AssertEigen(a, n, w, v, $"random n={n}");
    }

    [Fact]
    public void OnlyTheLowerTriangleIsRead()
    {
        var random = new Random(3);
        int n = Nb + 3;
        var a = RandomSymmetric(random, n);
        var garbage = (double[])a.Clone();
        for (int i = 0; i < n; i++)
        {
            for (int j = i + 1; j < n; j++) garbage[(i * n) + j] = 1e6 * random.NextDouble();
        }
        var w = Decompose(garbage, n, out var v);
        AssertEigen(a, n, w, v, "upper triangle ignored");
    }

    public static TheoryData<string, int> Degenerate() => new()
    {
        { "identity", 1 }, { "identity", 7 }, { "identity", 2 * Nb + 1 },
        { "zero", 1 }, { "zero", Nb + 1 },
        { "ones", 2 }, { "ones", Nb }, { "ones", 100 },
        { "diagonal", Nb + 7 },
        { "blocks2x2", 2 * Nb + 2 },
        { "repeated", 2 * Nb + 3 },
        { "ill", 60 },
        { "clustered", 70 },
    };

    [Theory]
    [MemberData(nameof(Degenerate))]
    public void Degenerate_IsAccurate(string kind, int n)
    {
        var random = new Random(n + kind.Length);
        var a = new double[n * n];
        switch (kind)
        {
            case "identity":
                for (int i = 0; i < n; i++) a[(i * n) + i] = 1;
                break;
            case "zero":
                break;
            case "ones":
                Array.Fill(a, 1.0);
                break;
            case "diagonal":
                for (int i = 0; i < n; i++) a[(i * n) + i] = Math.Round(10 * random.NextDouble()) - 5;
                break;
            case "blocks2x2":
                // [[2, 1], [1, 2]] repeated down the diagonal: eigenvalues 1 and 3, each n/2 times.
                for (int i = 0; i < n; i += 2)
                {
                    a[(i * n) + i] = a[((i + 1) * n) + i + 1] = 2;
                    a[(i * n) + i + 1] = a[((i + 1) * n) + i] = 1;
                }
                break;
            case "repeated":
                a = WithSpectrum(random, [.. Enumerable.Range(0, n).Select(i => (double)(i % 3))]);
                break;
            case "ill":
                // |eigenvalues| log-spaced from 1 to 1e-14 with random signs.
                a = WithSpectrum(random, [.. Enumerable.Range(0, n)
                    .Select(i => Math.Pow(1e-14, (double)i / (n - 1)) * (random.Next(2) == 0 ? -1 : 1))]);
                break;
            case "clustered":
                // Clusters of eigenvalues 1e-10 apart, within the inverse-iteration cluster tolerance.
                a = WithSpectrum(random, [.. Enumerable.Range(0, n).Select(i => (i / 7) + (1e-10 * (i % 7)))]);
                break;
        }
        var w = Decompose(a, n, out var v);
        AssertEigen(a, n, w, v, $"{kind} n={n}");
        if (kind == "identity") Assert.All(w, x => Assert.Equal(1.0, x));
        if (kind == "ones") Assert.Equal(n, w[^1], 1e-12 * n);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Tridiagonal_GluedWilkinsonMatrices(bool inverseIteration)
    {
        // Copies of Wilkinson's W21+ (pairs of eigenvalues equal to ~15 digits) glued by 1e-9: tight clusters
        // spread over the whole block, the case inverse iteration finds hardest.
        const int copies = 5, order = 21;
        int n = copies * order;
        var d = new double[n];
        var e = new double[n - 1];
        for (int i = 0; i < n; i++) d[i] = Math.Abs((i % order) - 10);
        for (int i = 0; i < n - 1; i++) e[i] = (i + 1) % order == 0 ? 1e-9 : 1;
        var w = new double[n];
        var z = new double[n * n];
        SymmetricTridiagonal.Eigen(d, e, w, z, inverseIteration);
        var t = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            t[(i * n) + i] = d[i];
            if (i < n - 1) t[(i * n) + i + 1] = t[((i + 1) * n) + i] = e[i];
        }
        AssertEigen(t, n, w, z, $"glued Wilkinson, inverse iteration {inverseIteration}");
    }

    [Theory]
    [InlineData(1, true)]
    [InlineData(2, true)]
    [InlineData(60, true)]
    [InlineData(60, false)]
    [InlineData(200, true)]
    public void Tridiagonal_RandomWithSplits(int n, bool inverseIteration)
    {
        // Random entries, some off-diagonals exactly zero (the matrix splits into blocks) and some diagonal runs
        // equal (ties across blocks).
        var random = new Random(n);
        var d = new double[n];
        var e = new double[Math.Max(n - 1, 0)];
        for (int i = 0; i < n; i++) d[i] = random.Next(4) == 0 ? 0.5 : (2 * random.NextDouble()) - 1;
        for (int i = 0; i < e.Length; i++) e[i] = random.Next(6) == 0 ? 0 : (2 * random.NextDouble()) - 1;
        var w = new double[n];
        var z = new double[n * n];
        SymmetricTridiagonal.Eigen(d, e, w, z, inverseIteration);
        var t = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            t[(i * n) + i] = d[i];
            if (i < n - 1) t[(i * n) + i + 1] = t[((i + 1) * n) + i] = e[i];
        }
        AssertEigen(t, n, w, z, $"random tridiagonal n={n}, inverse iteration {inverseIteration}");
    }

    [Fact]
    public void Tridiagonal_ValuesOnlyMatchValuesWithVectors()
    {
        var random = new Random(11);
        int n = 40;
        var d = new double[n];
        var e = new double[n - 1];
        for (int i = 0; i < n; i++) d[i] = random.NextDouble();
        for (int i = 0; i < n - 1; i++) e[i] = random.NextDouble();
        var w1 = new double[n];
        var w2 = new double[n];
        SymmetricTridiagonal.Eigen(d, e, w1, []);
        SymmetricTridiagonal.Eigen(d, e, w2, new double[n * n]);
        Assert.Equal(w1, w2);
        Assert.Throws<ArgumentException>(() => SymmetricTridiagonal.Eigen(d, e.AsSpan(1), w1, []));
    }

    [Fact]
    public void Eigh_Float32AndBatched()
    {
        var random = new Random(5);
        int n = Nb + 5, batch = 3;
        var data = new double[batch * n * n];
        for (int b = 0; b < batch; b++) RandomSymmetric(random, n).CopyTo(data, b * n * n);
        var a64 = Tensor.From(data, batch, n, n);
        foreach (var a in new[] { a64, a64.To(DType.Float32) })
        {
            var (w, v) = Dendrite.Linalg.Eigh(a);
            Assert.Equal(a.DType, w.DType);
            Assert.Equal([batch, n], w.Shape.ToArray());
            Assert.Equal([batch, n, n], v.Shape.ToArray());
            double tol = a.DType == DType.Float64 ? 1e-12 : 2e-5;
            var residual = a.MatMul(v) - v * w.Unsqueeze(-2);
            Assert.True(residual.Abs().Max().Item() <= tol * n, $"{a.DType}: residual too large");
            var gram = v.T.MatMul(v) - Tensor.Eye(n, dtype: a.DType);
            Assert.True(gram.Abs().Max().Item() <= tol * n, $"{a.DType}: not orthonormal");
            for (int b = 0; b < batch; b++)
            {
                var single = Dendrite.Linalg.Eigvalsh(a.Select(0, b)).ToArray<double>();
                Assert.Equal(single, w.Select(0, b).ToArray<double>());
            }
        }
    }
}
