using Dendrite.Kernels;

namespace Dendrite.Bench;

/// <summary>sgemm C = A·B (A m×k, B k×n, row-major, float32) for the shapes of shared/reference/gemm.py, in
/// alternating rounds against torch.mm when PyTorch is available.</summary>
internal static class GemmScenario
{
    public const string DefaultShapes = "256,512,1024,2048,64x784x256,1024x4096x1024,64x256x128,256x784x64";

    public static int Run(Options o)
    {
        var shapes = ParseShapes(o.Shapes ?? DefaultShapes);
        using var torch = o.PyTorch ? PyTorch.Start("gemm.py", o.Threads) : null;
        var load = new Report.Load();
        foreach (var (m, k, n) in shapes)
        {
            string name = $"{m}x{k}@{k}x{n}";
            var gen = new Random(0);
            float[] a = Fill(m * k, gen), b = Fill(k * n, gen), c = new float[m * n];
            void Call() => Gemm.Sgemm(false, false, m, n, k, 1f, a, k, b, n, 0f, c, n);
            for (int w = 0; w < 3; w++) Call();
            var mine = new List<double>();
            var theirs = new List<double>();
            for (int r = 0; r < o.Rounds; r++)
            {
                mine.Add(Report.TimeBlock(Call, o.MinTime));
                if (torch is not null)
                {
                    theirs.Add(torch.Request(
                        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{m} {k} {n} {o.MinTime}"),
                        "seconds"));
                }
            }
            double flop = 2.0 * m * n * k;
            Report.EmitPair("gemm", name, "sgemm", o.Threads, flop, mine, theirs);
        }
        Report.Emit("gemm", "all", "load", "dendrite", o.Threads, "other_cpu_frac",
            load.OtherFraction(torch?.CpuSeconds ?? 0), "fraction");
        return 0;
    }

    /// <summary>"N" is N×N·N×N; "MxKxN" is A M×K times B K×N (the convention of gemm.py).</summary>
    public static List<(int M, int K, int N)> ParseShapes(string list)
    {
        var shapes = new List<(int, int, int)>();
        foreach (var spec in list.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = spec.Split('x');
            if (parts.Length is not (1 or 3) || !parts.All(p => int.TryParse(p, out int v) && v > 0))
                throw new FormatException($"--shapes: '{spec}' is neither N nor MxKxN with positive sizes");
            int[] v = [.. parts.Select(int.Parse)];
            shapes.Add(v.Length == 1 ? (v[0], v[0], v[0]) : (v[0], v[1], v[2]));
        }
        return shapes;
    }

    public static float[] Fill(int length, Random gen)
    {
        var x = new float[length];
        for (int i = 0; i < length; i++) x[i] = (float)(gen.NextDouble() * 2 - 1);
        return x;
    }
}
