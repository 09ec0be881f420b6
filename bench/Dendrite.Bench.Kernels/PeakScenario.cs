using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Dendrite.Kernels;

namespace Dendrite.Bench;

/// <summary>The machine's fp32 FMA peak measured from C# (16 independent FMA chains per thread, as
/// shared/reference/peak.c does; 12 with AVX2 only), and the fraction of it that sgemm reaches at n = 1024 and
/// 2048.</summary>
internal static class PeakScenario
{
    private const long Iterations = 50_000_000;

    public static int Run(Options o)
    {
        var load = new Report.Load();
        var peaks = new List<double>();
        for (int r = 0; r < o.Rounds; r++) peaks.Add(Fma(o.Threads, Vector512.IsHardwareAccelerated));
        double peak = Report.Median(peaks);
        string width = Vector512.IsHardwareAccelerated ? "fma_vector512_fp32" : "fma_vector256_fp32";
        Report.Emit("peak", width, "peak", "dendrite", o.Threads, "gflops", peak, "GFLOP/s");
        foreach (int n in new[] { 1024, 2048 })
        {
            var gen = new Random(0);
            float[] a = GemmScenario.Fill(n * n, gen), b = GemmScenario.Fill(n * n, gen), c = new float[n * n];
            void Call() => Gemm.Sgemm(false, false, n, n, n, 1f, a, n, b, n, 0f, c, n);
            Call();
            var times = new List<double>();
            for (int r = 0; r < o.Rounds; r++) times.Add(Report.TimeBlock(Call, o.MinTime));
            double g = 2.0 * n * n * n / Report.Median(times) / 1e9;
            string name = $"{n}x{n}@{n}x{n}";
            Report.Emit("peak", name, "sgemm", "dendrite", o.Threads, "gflops", g, "GFLOP/s");
            Report.Emit("peak", name, "sgemm", "dendrite", o.Threads, "fraction_of_peak", g / peak, "fraction");
        }
        Report.Emit("peak", "all", "load", "dendrite", o.Threads, "other_cpu_frac", load.OtherFraction(0),
            "fraction");
        return 0;
    }

    // GFLOP/s of `threads` threads each running the FMA chains, started together through the parallel helper.
    private static double Fma(int threads, bool wide)
    {
        float sink = 0;
        var sw = Stopwatch.StartNew();
        Threading.For(threads, 1, (lo, hi) =>
        {
            for (int t = lo; t < hi; t++)
            {
                float s = wide ? Chains512(Iterations) : Chains256(Iterations);
                lock (sw) sink += s;
            }
        });
        double seconds = sw.Elapsed.TotalSeconds;
        int lanes = wide ? 16 : 8, chains = wide ? 16 : 12;
        GC.KeepAlive(sink);
        return threads * (double)Iterations * chains * lanes * 2 / seconds / 1e9;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Chains512(long iterations)
    {
        var m = Vector512.Create(0.999999f);
        var k = Vector512.Create(1e-7f);
        Vector512<float> a0 = Vector512.Create(1.000f), a1 = Vector512.Create(1.001f), a2 = Vector512.Create(1.002f),
            a3 = Vector512.Create(1.003f), a4 = Vector512.Create(1.004f), a5 = Vector512.Create(1.005f),
            a6 = Vector512.Create(1.006f), a7 = Vector512.Create(1.007f), a8 = Vector512.Create(1.008f),
            a9 = Vector512.Create(1.009f), a10 = Vector512.Create(1.010f), a11 = Vector512.Create(1.011f),
            a12 = Vector512.Create(1.012f), a13 = Vector512.Create(1.013f), a14 = Vector512.Create(1.014f),
            a15 = Vector512.Create(1.015f);
        for (long i = 0; i < iterations; i++)
        {
            a0 = Vector512.FusedMultiplyAdd(a0, m, k); a1 = Vector512.FusedMultiplyAdd(a1, m, k);
            a2 = Vector512.FusedMultiplyAdd(a2, m, k); a3 = Vector512.FusedMultiplyAdd(a3, m, k);
            a4 = Vector512.FusedMultiplyAdd(a4, m, k); a5 = Vector512.FusedMultiplyAdd(a5, m, k);
            a6 = Vector512.FusedMultiplyAdd(a6, m, k); a7 = Vector512.FusedMultiplyAdd(a7, m, k);
            a8 = Vector512.FusedMultiplyAdd(a8, m, k); a9 = Vector512.FusedMultiplyAdd(a9, m, k);
            a10 = Vector512.FusedMultiplyAdd(a10, m, k); a11 = Vector512.FusedMultiplyAdd(a11, m, k);
            a12 = Vector512.FusedMultiplyAdd(a12, m, k); a13 = Vector512.FusedMultiplyAdd(a13, m, k);
            a14 = Vector512.FusedMultiplyAdd(a14, m, k); a15 = Vector512.FusedMultiplyAdd(a15, m, k);
        }
        var s = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + ((a8 + a9) + (a10 + a11))
            + ((a12 + a13) + (a14 + a15));
        return Vector512.Sum(s);
    }

    // 12 chains, not 16: without AVX-512 there are only 16 vector registers, and 16 chains plus the two constants
    // spilled to the stack (the AVX2 peak read 71 GFLOP/s on a core whose sgemm reached 90–110). Twelve cover the
    // FMA latency of two pipes (4 cycles × 2).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Chains256(long iterations)
    {
        var m = Vector256.Create(0.999999f);
        var k = Vector256.Create(1e-7f);
        Vector256<float> a0 = Vector256.Create(1.000f), a1 = Vector256.Create(1.001f), a2 = Vector256.Create(1.002f),
            a3 = Vector256.Create(1.003f), a4 = Vector256.Create(1.004f), a5 = Vector256.Create(1.005f),
            a6 = Vector256.Create(1.006f), a7 = Vector256.Create(1.007f), a8 = Vector256.Create(1.008f),
            a9 = Vector256.Create(1.009f), a10 = Vector256.Create(1.010f), a11 = Vector256.Create(1.011f);
        for (long i = 0; i < iterations; i++)
        {
            a0 = Vector256.MultiplyAddEstimate(a0, m, k); a1 = Vector256.MultiplyAddEstimate(a1, m, k);
            a2 = Vector256.MultiplyAddEstimate(a2, m, k); a3 = Vector256.MultiplyAddEstimate(a3, m, k);
            a4 = Vector256.MultiplyAddEstimate(a4, m, k); a5 = Vector256.MultiplyAddEstimate(a5, m, k);
            a6 = Vector256.MultiplyAddEstimate(a6, m, k); a7 = Vector256.MultiplyAddEstimate(a7, m, k);
            a8 = Vector256.MultiplyAddEstimate(a8, m, k); a9 = Vector256.MultiplyAddEstimate(a9, m, k);
            a10 = Vector256.MultiplyAddEstimate(a10, m, k); a11 = Vector256.MultiplyAddEstimate(a11, m, k);
        }
        var s = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + ((a8 + a9) + (a10 + a11));
        return Vector256.Sum(s);
    }
}
