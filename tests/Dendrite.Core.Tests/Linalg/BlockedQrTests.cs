using System.Text.Json;
using MathNet.Numerics.Providers.LinearAlgebra;

namespace Dendrite.Tests.Linalg;

/// <summary>
/// The blocked Householder QR (BlockedQr, Householder) against its own unblocked form, against MathNet.Numerics'
/// QR (the routine Linalg.Qr used before, whose signs the fixtures and callers saw), and against the identities
/// Q·R = A, QᵀQ = I, R upper triangular: shapes around the block size (small blocks make many of them), tall and
/// wide, degenerate and ill-conditioned input, overflow-prone scales, float32 and float64, batches; and against
/// torch.linalg.qr's exact factors, signs included (tests/fixtures/qr_signs.json from tools/make_qr_fixtures.py).
/// </summary>
public class BlockedQrTests
{
    private static double[] Random(Generator g, int count) =>
        Tensor.Randn([count], g, dtype: DType.Float64).ToArray<double>();

    // Row-major Q (m × k) and R (k × n) from BlockedQr with the given block size and crossover.
    private static (double[] Q, double[] R) Run(double[] a, int m, int n, int nb, int minBlocked)
    {
        int k = Math.Min(m, n);
        var q = new double[m * k];
        var r = new double[k * n];
        BlockedQr.Decompose<double>(a, m, n, q, r, nb, minBlocked);
        return (q, r);
    }

    private static double MaxDiff(double[] x, double[] y) => x.Zip(y, (p, s) => Math.Abs(p - s)).DefaultIfEmpty().Max();

    // max |Q·R − A| / max(1, max |A|), max |QᵀQ − I|, and max |R below the diagonal|.
    private static (double Residual, double Orthogonality, double Lower) Check(double[] a, double[] q, double[] r,
        int m, int n)
    {
        int k = Math.Min(m, n);
        double scale = Math.Max(1, a.Select(Math.Abs).DefaultIfEmpty().Max());
        double res = 0, orth = 0, low = 0;
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++) s += q[i * k + p] * r[p * n + j];
                res = Math.Max(res, Math.Abs(s - a[i * n + j]) / scale);
            }
        }
        for (int c = 0; c < k; c++)
        {
            for (int d = 0; d < k; d++)
            {
                double s = 0;
                for (int i = 0; i < m; i++) s += q[i * k + c] * q[i * k + d];
                orth = Math.Max(orth, Math.Abs(s - (c == d ? 1 : 0)));
            }
            for (int j = 0; j < Math.Min(c, n); j++) low = Math.Max(low, Math.Abs(r[c * n + j]));
        }
        return (res, orth, low);
    }

    private static void AssertFactors(double[] a, double[] q, double[] r, int m, int n, double tol, string what)
    {
        var (res, orth, low) = Check(a, q, r, m, n);
        Assert.True(res <= tol, $"{what}: |QR − A| = {res:g3}");
        Assert.True(orth <= tol, $"{what}: |QᵀQ − I| = {orth:g3}");
        Assert.Equal(0, low);
    }

    public static TheoryData<int, int, int> Shapes => new()
    {
        // m, n, block size: 1, 2, block − 1, block, block + 1, several blocks with a ragged last one, tall, wide.
        { 1, 1, 4 }, { 2, 2, 4 }, { 1, 5, 4 }, { 5, 1, 4 }, { 3, 3, 4 }, { 4, 4, 4 }, { 5, 5, 4 },
        { 9, 9, 4 }, { 13, 13, 4 }, { 17, 11, 4 }, { 11, 17, 4 }, { 40, 7, 4 }, { 7, 40, 4 },
        { 31, 31, 8 }, { 32, 32, 8 }, { 33, 33, 8 }, { 70, 45, 8 }, { 45, 70, 8 }, { 65, 65, 32 },
        { 97, 64, 32 }, { 64, 97, 32 }, { 150, 129, 32 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void BlockedQr_MatchesUnblockedAndFactors(int m, int n, int nb)
    {
        var g = new Generator((ulong)(m * 1000 + n));
        var a = Random(g, m * n);
        var (q1, r1) = Run(a, m, n, nb, minBlocked: 1);
        var (q2, r2) = Run(a, m, n, nb, minBlocked: int.MaxValue);
        string what = $"[{m},{n}] nb={nb}";
        AssertFactors(a, q1, r1, m, n, 1e-13 * Math.Max(m, n), what + " blocked");
        AssertFactors(a, q2, r2, m, n, 1e-13 * Math.Max(m, n), what + " unblocked");
        Assert.True(MaxDiff(q1, q2) <= 1e-12, $"{what}: blocked Q differs from unblocked by {MaxDiff(q1, q2):g3}");
        Assert.True(MaxDiff(r1, r2) <= 1e-12, $"{what}: blocked R differs from unblocked by {MaxDiff(r1, r2):g3}");
    }

    [Theory]
    [InlineData(6, 6)]
    [InlineData(9, 4)]
    [InlineData(4, 9)]
    [InlineData(80, 80)]
    [InlineData(130, 70)]
    [InlineData(70, 130)]
    public void Qr_KeepsMathNetSignsButTheLastStep(int m, int n)
    {
        // The routine Linalg.Qr used before this one has the same Householder signs, so the same Q and R, except
        // at the last step when m ≤ n: MathNet reflects the final 1 × 1 column (flipping R[k−1, k−1], the last row
        // of R and the last column of Q) where LAPACK's larfg, and so torch, leaves it (τ = 0).
        var g = new Generator((ulong)(m + 31 * n));
        var a = Random(g, m * n);
        int k = Math.Min(m, n);
        var cm = new double[m * n];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++) cm[i + j * m] = a[i * n + j];
        }
        var qm = new double[m * m];
        var rm = new double[n * n];
        var tau = new double[k];
        if (m > n) LinearAlgebraControl.Provider.ThinQRFactor(cm, m, n, rm, tau);
        else LinearAlgebraControl.Provider.QRFactor(cm, m, n, qm, tau);
        var (q, r) = Run(a, m, n, BlockedQr.BlockSize, BlockedQr.MinBlocked);
        for (int i = 0; i < m; i++)
        {
            for (int c = 0; c < k; c++)
            {
                double want = m > n ? cm[i + c * m] : qm[i + c * m];
                if (m <= n && c == k - 1) want = -want;
                Assert.True(Math.Abs(q[i * k + c] - want) <= 1e-11, $"[{m},{n}] Q[{i},{c}] {q[i * k + c]} vs {want}");
            }
        }
        for (int i = 0; i < k; i++)
        {
            for (int j = i; j < n; j++)
            {
                double want = m > n ? rm[i + j * n] : cm[i + j * m];
                if (m <= n && i == k - 1) want = -want;
                Assert.True(Math.Abs(r[i * n + j] - want) <= 1e-11, $"[{m},{n}] R[{i},{j}] {r[i * n + j]} vs {want}");
            }
        }
    }

    public static TheoryData<string> TorchCases => [.. TorchFixture.Value.RootElement.GetProperty("cases")
        .EnumerateArray().Select(c => c.GetProperty("name").GetString()!)];

    private static readonly Lazy<JsonDocument> TorchFixture = new(() => JsonDocument.Parse(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "qr_signs.json"))));

    private static Tensor Read(JsonElement e, DType dtype)
    {
        var shape = e.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        var data = e.GetProperty("data").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        return Tensor.From(data, shape).To(dtype);
    }

    [Theory]
    [MemberData(nameof(TorchCases))]
    public void Qr_MatchesTorchExactly(string name)
    {
        var c = TorchFixture.Value.RootElement.GetProperty("cases").EnumerateArray()
            .First(e => e.GetProperty("name").GetString() == name);
        var dtype = c.GetProperty("dtype").GetString() == "float32" ? DType.Float32 : DType.Float64;
        var (q, r) = Dendrite.Linalg.Qr(Read(c.GetProperty("a"), dtype));
        var signs = c.GetProperty("sign_diag_r").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        var diag = r.Narrow(-1, 0, r.Size(-2)).Diagonal(-2, -1).Sign().ToArray<double>();
        Assert.Equal(signs, diag);
        if (!c.TryGetProperty("q", out var qe)) return;
        double tol = dtype == DType.Float32 ? 1e-5 : 1e-12;
        Assert.True(MaxDiff(q.ToArray<double>(), Read(qe, DType.Float64).ToArray<double>()) <= tol, $"{name}: Q");
        var rWant = Read(c.GetProperty("r"), DType.Float64).ToArray<double>();
        Assert.True(MaxDiff(r.ToArray<double>(), rWant) <= tol * 10, $"{name}: R");
    }

    [Fact]
    public void Qr_DegenerateInput()
    {
        foreach (var (m, n, nb) in new[] { (7, 5, 2), (5, 7, 2), (70, 70, 32) })
        {
            int k = Math.Min(m, n);
            // Zero matrix: no reflector does anything (τ = 0), so Q = I[:, :k] and R = 0, as LAPACK gives.
            var (q, r) = Run(new double[m * n], m, n, nb, minBlocked: 1);
            Assert.All(r, v => Assert.Equal(0, v));
            for (int i = 0; i < m; i++)
            {
                for (int c = 0; c < k; c++) Assert.Equal(i == c ? 1 : 0, q[i * k + c]);
            }
            // A diagonal with mixed signs is already triangular: τ = 0 again, so R keeps the signs (larfg's rule).
            var d = new double[m * n];
            for (int i = 0; i < k; i++) d[i * n + i] = i % 2 == 0 ? -(i + 1) : i + 1;
            (q, r) = Run(d, m, n, nb, minBlocked: 1);
            for (int i = 0; i < k; i++) Assert.Equal(d[i * n + i], r[i * n + i]);
            AssertFactors(d, q, r, m, n, 0, $"diagonal [{m},{n}]");
            // Rank one (every column a multiple of one vector) and repeated columns: still a valid factorization.
            var g = new Generator((ulong)(m * n));
            var u = Random(g, m);
            var w = Random(g, n);
            var rank1 = new double[m * n];
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++) rank1[i * n + j] = u[i] * w[j];
            }
            (q, r) = Run(rank1, m, n, nb, minBlocked: 1);
            AssertFactors(rank1, q, r, m, n, 1e-13 * m, $"rank one [{m},{n}]");
        }
    }

    [Theory]
    [InlineData(1e200)]
    [InlineData(1e-200)]
    [InlineData(1e-310)]
    public void Qr_ExtremeScalesNeitherOverflowNorUnderflow(double scale)
    {
        // Q does not depend on the scale of A and R scales with it; the plain sum of squares would overflow at
        // 1e200 and vanish at 1e-200 (and at the subnormal 1e-310).
        int m = 70, n = 66;
        var a = Random(new Generator(3), m * n);
        var (q1, r1) = Run(a, m, n, 8, minBlocked: 1);
        var (q2, r2) = Run(a.Select(v => v * scale).ToArray(), m, n, 8, minBlocked: 1);
        double tol = scale < 1e-300 ? 1e-6 : 1e-12;
        Assert.True(MaxDiff(q1, q2) <= tol, $"scale {scale}: Q moved by {MaxDiff(q1, q2):g3}");
        Assert.True(MaxDiff(r1, r2.Select(v => v / scale).ToArray()) <= tol * 10, $"scale {scale}: R / scale");
    }

    [Fact]
    public void Qr_IllConditionedAndFloat32()
    {
        // σ from 1 to 1e-14: backward stability keeps Q·R − A and QᵀQ − I at ε whatever the conditioning.
        int m = 120, n = 100;
        var g = new Generator(11);
        using var _ = Autograd.NoGrad();
        var (u, _) = Dendrite.Linalg.Qr(Tensor.Randn([m, n], g, dtype: DType.Float64));
        var (v, _) = Dendrite.Linalg.Qr(Tensor.Randn([n, n], g, dtype: DType.Float64));
        var sigma = Enumerable.Range(0, n).Select(i => Math.Pow(1e-14, (double)i / (n - 1))).ToArray();
        var a = (u * Tensor.From(sigma, n)).MatMul(v.T);
        var (q, r) = Dendrite.Linalg.Qr(a);
        AssertFactors(a.ToArray<double>(), q.ToArray<double>(), r.ToArray<double>(), m, n, 1e-13, "κ = 1e14");

        // Float32 runs in float32 (blocked: k ≥ MinBlocked), to single-precision accuracy, and agrees with the
        // float64 factorization of the same matrix.
        var a32 = Tensor.Randn([m, n], g, dtype: DType.Float32);
        var (q32, r32) = Dendrite.Linalg.Qr(a32);
        Assert.Equal(DType.Float32, q32.DType);
        Assert.Equal(DType.Float32, r32.DType);
        var a64 = a32.To(DType.Float64);
        var (q64, r64) = Dendrite.Linalg.Qr(a64);
        var q32d = q32.To(DType.Float64).ToArray<double>();
        var r32d = r32.To(DType.Float64).ToArray<double>();
        AssertFactors(a64.ToArray<double>(), q32d, r32d, m, n, 2e-5, "float32");
        Assert.True(MaxDiff(q32d, q64.ToArray<double>()) <= 1e-3, "float32 Q vs float64 Q");
    }

    [Fact]
    public void Qr_BatchedEqualsEachMatrix()
    {
        var g = new Generator(5);
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var a = Tensor.Randn([2, 3, 70, 66], g, dtype: dtype);
            var (q, r) = Dendrite.Linalg.Qr(a);
            Assert.Equal([2, 3, 70, 66], q.Shape.ToArray());
            Assert.Equal([2, 3, 66, 66], r.Shape.ToArray());
            for (int i = 0; i < 2; i++)
            {
                for (int j = 0; j < 3; j++)
                {
                    var (qi, ri) = Dendrite.Linalg.Qr(a.Select(0, i).Select(0, j));
                    Assert.Equal(qi.ToArray<double>(), q.Select(0, i).Select(0, j).ToArray<double>());
                    Assert.Equal(ri.ToArray<double>(), r.Select(0, i).Select(0, j).ToArray<double>());
                }
            }
        }
    }

    // Dense H = I − τ·v·vᵀ (len × len) for reflector i of the packed row-major Vᵀ.
    private static double[] Dense(double[] vt, double tau, int i, int len)
    {
        var h = new double[len * len];
        for (int p = 0; p < len; p++)
        {
            for (int s = 0; s < len; s++)
                h[p * len + s] = (p == s ? 1 : 0) - tau * vt[i * len + p] * vt[i * len + s];
        }
        return h;
    }

    private static double[] MatMul(double[] x, double[] y, int m, int k, int n)
    {
        var z = new double[m * n];
        for (int i = 0; i < m; i++)
        {
            for (int p = 0; p < k; p++)
            {
                for (int j = 0; j < n; j++) z[i * n + j] += x[i * k + p] * y[p * n + j];
            }
        }
        return z;
    }

    private static double[] Transposed(double[] x, int rows, int cols)
    {
        var t = new double[rows * cols];
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < cols; j++) t[j * rows + i] = x[i * cols + j];
        }
        return t;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Householder_BlockAppliesTheProductOfItsReflectors(bool transpose)
    {
        // Reflectors from a real factorization of a len × nb matrix, then I − V·T·Vᵀ must equal H₀·…·H_{nb−1}.
        int len = 23, nb = 5, other = 9;
        var g = new Generator(transpose ? 2UL : 1UL);
        var panel = Random(g, len * nb);
        var tau = new double[nb];
        BlockedQr.Factor<double>(panel, len, nb, tau, nb);
        var vt = new double[nb * len];
        Householder.PackBlock<double>(panel, len, len, nb, vt);
        var t = new double[nb * nb];
        Householder.FormT<double>(vt, nb, len, tau, t, new double[nb * nb]);
        var h = Dense(vt, tau[0], 0, len);
        for (int i = 1; i < nb; i++) h = MatMul(h, Dense(vt, tau[i], i, len), len, len, len);
        var hop = transpose ? Transposed(h, len, len) : h;

        // Left: C (len × other, column-major) ← op(H)·C. Its memory is the row-major Cᵀ.
        var c = Random(g, len * other);
        var ct = (double[])c.Clone();
        var cRowMajor = Transposed(c, other, len);
        Householder.ApplyBlockLeft<double>(transpose, vt, nb, len, t, ct, other, len, new double[2 * other * nb]);
        var want = MatMul(hop, cRowMajor, len, len, other);
        Assert.True(MaxDiff(Transposed(ct, other, len), want) <= 1e-13, "left");

        // Right: C (other × len, column-major) ← C·op(H). Its memory is the row-major len × other Cᵀ.
        var d = Random(g, other * len);
        var dt = (double[])d.Clone();
        var dRowMajor = Transposed(d, len, other);
        Householder.ApplyBlockRight<double>(transpose, vt, nb, len, t, dt, other, other, new double[2 * other * nb]);
        var wantRight = MatMul(dRowMajor, hop, other, len, len);
        Assert.True(MaxDiff(Transposed(dt, len, other), wantRight) <= 1e-13, "right");
    }
}
