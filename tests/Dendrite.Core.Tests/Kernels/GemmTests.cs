using Dendrite.Kernels;
using Dendrite.Kernels.Reference;

namespace Dendrite.Tests.Kernels;

// Every SIMD path against the scalar specification (GemmReference, accumulated in double and rounded once).
[Trait("Category", "Kernels")]
public class GemmTests
{
    public static TheoryData<string, bool, bool> PathsAndTranspositions()
    {
        var data = new TheoryData<string, bool, bool>();
        foreach (var path in SupportedPaths())
        {
            foreach (bool ta in new[] { false, true })
            {
                foreach (bool tb in new[] { false, true }) data.Add(path.ToString(), ta, tb);
            }
        }
        return data;
    }

    // The widest path is what this machine runs; narrower ones are checked too wherever the hardware accelerates
    // them, and the Vector128 path always runs (in software when nothing is accelerated).
    private static IEnumerable<GemmPath> SupportedPaths()
    {
        if (PackedSgemm.BestPath == GemmPath.Vector512) yield return GemmPath.Vector512;
        if (PackedSgemm.BestPath != GemmPath.Vector128) yield return GemmPath.Vector256;
        yield return GemmPath.Vector128;
    }

    [Theory]
    [MemberData(nameof(PathsAndTranspositions))]
    public void EveryDimensionFrom1To70_MatchesReference(string pathName, bool ta, bool tb)
    {
        var path = Enum.Parse<GemmPath>(pathName);
        var gen = new Random(7);
        for (int s = 1; s <= 70; s++)
        {
            // Sweep each dimension across 1..70 with the other two at odd sizes that leave partial tiles.
            Check(path, ta, tb, s, 37, 45, 1f, 0f, 1, gen);
            Check(path, ta, tb, 29, s, 41, 1f, 0f, 1, gen);
            Check(path, ta, tb, 33, 35, s, 1f, 0f, 1, gen);
        }
    }

    [Theory]
    [MemberData(nameof(PathsAndTranspositions))]
    public void RandomSmallShapes_WithAlphaBetaAndPaddedStrides_MatchReference(string pathName, bool ta, bool tb)
    {
        var path = Enum.Parse<GemmPath>(pathName);
        var gen = new Random(11);
        for (int t = 0; t < 150; t++)
        {
            int m = gen.Next(1, 71), n = gen.Next(1, 71), k = gen.Next(1, 71);
            Check(path, ta, tb, m, n, k, 0.5f + (float)gen.NextDouble(), (float)gen.NextDouble() - 0.5f,
                gen.Next(0, 5), gen);
        }
    }

    [Theory]
    [MemberData(nameof(PathsAndTranspositions))]
    public void LargeAndOddSizes_AcrossCacheBlocksAndThreads_MatchReference(string pathName, bool ta, bool tb)
    {
        var path = Enum.Parse<GemmPath>(pathName);
        var gen = new Random(3);
        Check(path, ta, tb, 301, 259, 517, 1f, 0f, 3, gen, threads: 2);
        Check(path, ta, tb, 200, 250, 150, 1f, 0f, 1, gen, threads: 2); // 125 columns each: a column split
        Check(path, ta, tb, 97, 1031, 63, -1.5f, 2f, 0, gen, threads: 3);
        // Small blocks force every level of the loop nest (several jc, pc and ic iterations with ragged ends).
        Check(path, ta, tb, 131, 149, 157, 1f, 0.25f, 1, gen, threads: 2, blocking: new(25, 19, 50));
        Check(path, ta, tb, 1, 700, 300, 1f, 0f, 0, gen, threads: 2);
        Check(path, ta, tb, 700, 1, 300, 1f, 0f, 0, gen, threads: 2);
    }

    [Theory]
    [MemberData(nameof(PathsAndTranspositions))]
    public void TwoThreadRowSplits_EveryRowRemainder_MatchReference(string pathName, bool ta, bool tb)
    {
        var path = Enum.Parse<GemmPath>(pathName);
        // m from 85 (the smallest row split at 2 threads) through 3 further 12-row slivers: every remainder of the
        // 4-row split units and of the 12-row slivers, each thread ending on a 4-, 8- or 12-row sliver. Small
        // blocks give many chunks of the shared B per k block, so the threads race for them and pass over the ones
        // the other is packing; each product runs several times to meet different interleavings.
        // Up to 128 rows a thread, the AVX-512 path reads row-major B in place; from 290 rows on (145 a thread)
        // every thread packs into the shared B, so both are checked through twelve consecutive row counts.
        var gen = new Random(13);
        foreach (int m in Enumerable.Range(85, 37).Concat(Enumerable.Range(290, 12)))
        {
            Check(path, ta, tb, m, 211, 97, 1f, m % 2 == 0 ? 0f : 0.5f, m % 3, gen, threads: 2,
                blocking: new(64, 40, 32), repeat: 3);
        }
        // Default blocking: n = 1100 is five chunks of B per k block, too wide for a column split.
        Check(path, ta, tb, 256, 1100, 64, 1f, 0f, 0, gen, threads: 2, repeat: 4);
        Check(path, ta, tb, 300, 1100, 64, 1f, 0f, 0, gen, threads: 2, repeat: 4);
    }

    [Fact]
    public void BetaZero_IgnoresNaNInC_AndKZeroScalesC()
    {
        var a = new float[6];
        var b = new float[6];
        var c = new float[] { float.NaN, float.NaN, float.NaN, float.NaN };
        Gemm.Sgemm(false, false, 2, 2, 3, 1f, a, 3, b, 2, 0f, c, 2);
        Assert.Equal(new float[4], c);
        var d = new float[] { 1, 2, 3, 4 };
        Gemm.Sgemm(false, false, 2, 2, 0, 1f, a, 1, b, 2, 3f, d, 2);
        Assert.Equal(new float[] { 3, 6, 9, 12 }, d);
    }

    [Fact]
    public void ShortBuffersAndBadStrides_AreRejectedWithTheOperandNamed()
    {
        var a = new float[6];
        var b = new float[6];
        var c = new float[4];
        var e = Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, false, 2, 2, 3, 1f, a, 3, b, 2, 0f, c, 1));
        Assert.Contains("C is 2x2", e.Message);
        e = Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, false, 2, 2, 4, 1f, a, 4, b, 2, 0f, c, 2));
        Assert.Contains("A is 2x4", e.Message);
        Assert.Contains("holds 6", e.Message);
        e = Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, true, 2, 3, 3, 1f, a, 3, b, 3, 0f, c, 2));
        Assert.Contains("B is 3x3", e.Message);
    }

    [Fact]
    public void Batched_MatchesOneCallPerItem()
    {
        var gen = new Random(5);
        const int m = 13, n = 21, k = 17, count = 6;
        var a = RandomArray(count * m * k, gen);
        var b = RandomArray(k * n, gen);
        var c = new float[count * m * n];
        var expected = new float[count * m * n];
        int[] oa = [.. Enumerable.Range(0, count).Select(i => i * m * k)];
        int[] ob = new int[count]; // B broadcast across the batch
        int[] oc = [.. Enumerable.Range(0, count).Select(i => i * m * n)];
        Gemm.SgemmBatched(false, false, m, n, k, 1f, a, k, oa, b, n, ob, 0f, c, n, oc);
        for (int i = 0; i < count; i++)
        {
            GemmReference.Gemm(false, false, m, n, k, 1f, a.AsSpan(oa[i]), k, b, n, 0f, expected.AsSpan(oc[i]), n);
        }
        AssertClose(expected, c, k, "batched");
        Assert.Throws<ArgumentException>(() =>
            Gemm.SgemmBatched(false, false, m, n, k, 1f, a, k, oa, b, n, ob, 0f, c, n, [.. oc.Take(5), 2_000]));
    }

    [Fact]
    public void MatMul_BatchedAndTransposedViews_MatchReference()
    {
        var x = Tensor.Randn([4, 3, 19, 23], new Generator(1));
        var w = Tensor.Randn([3, 29, 23], new Generator(2));
        var y = x.MatMul(w.Transpose(-1, -2)); // [4,3,19,29], B read transposed in place
        var xd = x.To(DType.Float64);
        var wd = w.To(DType.Float64).Transpose(-1, -2).Contiguous();
        var expected = xd.MatMul(wd).ToArray<double>();
        var got = y.ToFloatArray();
        Assert.Equal(new[] { 4, 3, 19, 29 }, y.Shape.ToArray());
        for (int i = 0; i < got.Length; i++) Assert.True(Math.Abs(got[i] - expected[i]) < 1e-4, $"at {i}");
    }

    private static void Check(GemmPath path, bool ta, bool tb, int m, int n, int k, float alpha, float beta,
        int pad, Random gen, int threads = 1, GemmBlocking? blocking = null, int repeat = 1)
    {
        int lda = (ta ? m : k) + pad, ldb = (tb ? k : n) + pad, ldc = n + pad;
        var a = RandomArray((ta ? k : m) * lda, gen);
        var b = RandomArray((tb ? n : k) * ldb, gen);
        var c = RandomArray(m * ldc, gen);
        // The reference runs in double so the comparison measures the kernel's float error alone.
        var expected = c.Select(v => (double)v).ToArray();
        GemmReference.Gemm(ta, tb, m, n, k, alpha, a.Select(v => (double)v).ToArray(), lda,
            b.Select(v => (double)v).ToArray(), ldb, beta, expected, ldc);
        var c0 = (float[])c.Clone();
        for (int r = 0; r < repeat; r++)
        {
            c0.CopyTo(c, 0);
            Gemm.Sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, path, threads, blocking);
            Compare(c, expected, m, n, k, ldc, alpha, $"{path} ta={ta} tb={tb} m={m} n={n} k={k} pad={pad} run={r}");
        }
    }

    private static void Compare(float[] c, double[] expected, int m, int n, int k, int ldc, float alpha, string what)
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < ldc; j++)
            {
                int at = i * ldc + j;
                // Padding columns of C (j >= n) must be untouched: they still hold their original values.
                double tol = j < n ? 1e-5 * k * (Math.Abs(alpha) + 1) + 1e-5 : 0;
                if (!(Math.Abs(c[at] - expected[at]) <= tol))
                    Assert.Fail($"{what}: C[{i},{j}] = {c[at]}, expected {expected[at]}");
            }
        }
    }

    private static void AssertClose(float[] expected, float[] got, int k, string what)
    {
        for (int i = 0; i < got.Length; i++)
        {
            if (!(Math.Abs(got[i] - expected[i]) <= 1e-5 * k + 1e-5))
                Assert.Fail($"{what}: [{i}] = {got[i]}, expected {expected[i]}");
        }
    }

    private static float[] RandomArray(int length, Random gen)
    {
        var x = new float[length];
        for (int i = 0; i < length; i++) x[i] = (float)(gen.NextDouble() * 2 - 1);
        return x;
    }
}
