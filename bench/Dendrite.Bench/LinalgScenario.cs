using System.Globalization;

namespace Dendrite.Bench;

/// <summary>Linalg.Solve (one right-hand side), Cholesky, Qr, Eigh and Svd on n×n float64 matrices (and Solve,
/// Cholesky and Qr on float32 ones as well; <c>--kernel solve,qr</c> runs the ops named only), in alternating
/// rounds against torch.linalg and numpy.linalg (bench/reference/linalg.py) when PyTorch is available. Reports
/// milliseconds per call for each side and Dendrite's speed relative to each (above 1: Dendrite is faster).</summary>
internal static class LinalgScenario
{
    public const string DefaultSizes = "128,512,1024";

    // float64 for every op; float32 too for Solve, Cholesky and Qr, the ops with their own float32 (blocked GEMM) path.
    private static readonly (string Op, string DType)[] Ops =
    [
        ("solve", "float64"), ("solve", "float32"), ("cholesky", "float64"), ("cholesky", "float32"),
        ("qr", "float64"), ("qr", "float32"), ("eigh", "float64"), ("svd", "float64"),
    ];

    public static int Run(Options o)
    {
        var sizes = (o.Shapes ?? DefaultSizes).Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(s => int.TryParse(s, out int n) && n > 0 ? n : throw new FormatException(
                $"--shapes: '{s}' is not a positive matrix size")).ToArray();
        using var torch = o.PyTorch ? PyTorch.Start("linalg.py", o.Threads) : null;
        var load = new Report.Load();
        foreach (int n in sizes)
        {
            // --kernel solve,cholesky times only those ops (and skips the engines below).
            foreach (var (op, dtype) in Ops.Where(x => o.Kernel is null || o.Kernel.Split(',').Contains(x.Op)))
            {
                var call = Prepare(op, n, dtype == "float32" ? DType.Float32 : DType.Float64);
                call();
                var mine = new List<double>();
                var theirs = new List<double>();
                var numpy = new List<double>();
                for (int r = 0; r < o.Rounds; r++)
                {
                    mine.Add(Report.TimeBlock(call, o.MinTime));
                    if (torch is null) continue;
                    string time = o.MinTime.ToString(CultureInfo.InvariantCulture);
                    theirs.Add(torch.Request($"{op} {n} torch {dtype} {time}", "seconds"));
                    numpy.Add(torch.Request($"{op} {n} numpy {dtype} {time}", "seconds"));
                }
                string name = $"{op}_{n}";
                double ms = Report.Median(mine) * 1e3;
                Report.Emit("linalg", name, dtype, "dendrite", o.Threads, "ms", ms, "ms");
                if (torch is null) continue;
                double msTorch = Report.Median(theirs) * 1e3, msNumpy = Report.Median(numpy) * 1e3;
                Report.Emit("linalg", name, dtype, "pytorch", o.Threads, "ms", msTorch, "ms");
                Report.Emit("linalg", name, dtype, "numpy", o.Threads, "ms", msNumpy, "ms");
                Report.Emit("linalg", name, dtype, "dendrite", o.Threads, "ratio_vs_pytorch", msTorch / ms, "x");
                Report.Emit("linalg", name, dtype, "dendrite", o.Threads, "ratio_vs_numpy", msNumpy / ms, "x");
            }
        }
        if (o.Kernel is null)
        {
            foreach (int n in sizes) Engines(n, o);
        }
        Report.Emit("linalg", "all", "load", "dendrite", o.Threads, "other_cpu_frac",
            load.OtherFraction(torch?.CpuSeconds ?? 0), "fraction");
        return 0;
    }

    /// <summary>The matrix products a blocked factorization would be built on, at n×n·n×n: Dendrite's MatMul in
    /// float32 (the packed, multi-threaded GEMM) and float64 (the generic row-axpy loop), and the MathNet.Numerics
    /// managed provider's float64 product (the engine under Linalg's factorizations). Cases gemm_N, mode = impl.
    /// </summary>
    private static void Engines(int n, Options o)
    {
        var gen = new Generator(1);
        var a64 = Tensor.Randn([n, n], gen, dtype: DType.Float64);
        var b64 = Tensor.Randn([n, n], gen, dtype: DType.Float64);
        var (a32, b32) = (a64.To(DType.Float32), b64.To(DType.Float32));
        double[] am = a64.ToArray<double>(), bm = b64.ToArray<double>(), cm = new double[n * n];
        var provider = MathNet.Numerics.Providers.LinearAlgebra.LinearAlgebraControl.Provider;
        var calls = new (string Mode, Action Call)[]
        {
            ("dendrite_float32", () => a32.MatMul(b32)),
            ("dendrite_float64", () => a64.MatMul(b64)),
            ("mathnet_float64", () => provider.MatrixMultiply(am, n, n, bm, n, n, cm)),
        };
        foreach (var (mode, call) in calls)
        {
            call();
            var times = new List<double>();
            for (int r = 0; r < o.Rounds; r++) times.Add(Report.TimeBlock(call, o.MinTime));
            Report.Emit("linalg", $"gemm_{n}", mode, "dendrite", o.Threads, "gflops",
                2.0 * n * n * n / Report.Median(times) / 1e9, "GFLOP/s");
        }
    }

    /// <summary>The timed call for <paramref name="op"/> on the matrices linalg.py builds (same recipe, other
    /// random values). Each call's results are dropped; the garbage collector and the pool reclaim them.</summary>
    private static Action Prepare(string op, int n, DType dtype)
    {
        var gen = new Generator(0);
        var g = Tensor.Randn([n, n], gen, dtype: DType.Float64);
        var eye = Tensor.Eye(n, dtype: DType.Float64);
        var a = op switch
        {
            "solve" => g + n * eye,
            "cholesky" or "eigh" => g.MatMul(g.T) + n * eye,
            _ => g,
        };
        a = a.To(dtype);
        var b = Tensor.Randn([n], gen, dtype: DType.Float64).To(dtype);
        return op switch
        {
            "solve" => () => Linalg.Solve(a, b),
            "cholesky" => () => Linalg.Cholesky(a),
            "qr" => () => Linalg.Qr(a),
            "eigh" => () => Linalg.Eigh(a),
            _ => () => Linalg.Svd(a),
        };
    }
}
