using Dendrite.Kernels;

namespace Dendrite.Bench;

/// <summary>Each convolution kernel timed alone: forward, weight gradient and input gradient of course-model layers
/// outside the conv scenario's cases, straight on <see cref="Conv"/> with float32 NCHW buffers, in alternating rounds
/// against the same op in PyTorch (bench/reference/conv_ops.py: conv2d, and aten.convolution_backward for one
/// gradient at a time) when PyTorch is available. <c>--kernel NAME</c> forces one kernel (a
/// <see cref="ConvKernel"/> name; <c>transposed NAME</c> for the input gradient as a forward, <c>phased NAME</c> for it
/// as one forward per phase) on the passes it can
/// run, and skips the others; by default each pass runs the planner's choice. GFLOP/s counts 2 flop per multiply-add of the forward, the same
/// for each gradient. This is how the per-op figures of bench/README.md are taken; compare builds by running it on
/// each.</summary>
internal static class ConvOpsScenario
{
    /// <summary>A layer: batch, input channels, input size (square), output channels, kernel, stride, padding and
    /// groups.</summary>
    private sealed record Case(string Name, int N, int C, int H, int O, int K, int Stride, int Pad, int Groups);

    private static readonly Case[] Cases =
    [
        new("lenet_conv1", 64, 1, 28, 6, 5, 1, 2, 1),
        new("lenet_conv2", 64, 6, 14, 16, 5, 1, 0, 1),
        new("resnet_conv3x3_56", 8, 64, 56, 64, 3, 1, 1, 1),
        new("resnet_conv3x3_14", 8, 256, 14, 256, 3, 1, 1, 1),
        new("resnet_conv3x3_7", 8, 512, 7, 512, 3, 1, 1, 1),
        new("resnet_conv3x3_4", 8, 512, 4, 512, 3, 1, 1, 1),
        new("resnet_down3x3_s2_56", 8, 64, 56, 128, 3, 2, 1, 1),
        new("resnet_down3x3_s2_14", 8, 256, 14, 512, 3, 2, 1, 1),
        new("resnet_proj1x1_s2", 8, 64, 56, 128, 1, 2, 0, 1),
        new("resnet_proj1x1_s2_14", 8, 256, 14, 512, 1, 2, 0, 1),
        new("resnet_stem7x7_s2", 8, 3, 224, 64, 7, 2, 3, 1),
        new("vgg_conv3x3_28", 16, 128, 28, 128, 3, 1, 1, 1),
        new("densenet_conv3x3_28", 16, 128, 28, 32, 3, 1, 1, 1),
        new("googlenet_5x5_28", 16, 16, 28, 32, 5, 1, 2, 1),
        new("googlenet_3x3_208_14", 16, 96, 14, 208, 3, 1, 1, 1),
        new("alexnet_conv1", 8, 3, 224, 64, 11, 4, 2, 1),
        new("mobilenet_dw3x3_56", 8, 128, 56, 128, 3, 1, 1, 128),
        new("mobilenet_dw3x3_s2_56", 8, 128, 56, 128, 3, 2, 1, 128),
        new("mobilenet_pw1x1_56", 8, 128, 56, 128, 1, 1, 0, 1),
        new("pointwise1x1_7", 8, 512, 7, 512, 1, 1, 0, 1),
        // DCGAN at batch 64 (bench `dcgan`): D's three convolutions, and G's transposed convolutions as the
        // convolutions whose input gradient they are (G's forward is that case's dX, G's input gradient its fwd).
        new("dcgan_d_conv1", 64, 1, 28, 64, 4, 2, 1, 1),
        new("dcgan_d_conv2", 64, 64, 14, 128, 4, 2, 1, 1),
        new("dcgan_d_conv3", 64, 128, 7, 1, 7, 1, 0, 1),
        new("dcgan_g_convt1", 64, 256, 7, 100, 7, 1, 0, 1),
        new("dcgan_g_convt2", 64, 128, 14, 256, 4, 2, 1, 1),
        new("dcgan_g_convt3", 64, 1, 28, 128, 4, 2, 1, 1),
        // A 64×64-image DCGAN's second discriminator layer (and, as its dX, a generator's 128 → 64 transposed
        // layer), batch 16: a stride-2 4×4 layer on a map too large for the Small kernel.
        new("dcgan64_d_conv2", 16, 64, 32, 128, 4, 2, 1, 1),
    ];

    public static int Run(Options o)
    {
        var wanted = o.Shapes?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var unknown = wanted?.Where(w => Cases.All(c => c.Name != w)).ToArray() ?? [];
        if (unknown.Length > 0)
        {
            Console.Error.WriteLine($"conv-ops: unknown case(s) {string.Join(", ", unknown)}; cases: " +
                string.Join(", ", Cases.Select(c => c.Name)));
            return 2;
        }
        ConvPlan? forced = null;
        if (o.Kernel is { } name)
        {
            bool transposed = name.StartsWith("transposed ", StringComparison.Ordinal);
            bool phased = name.StartsWith("phased ", StringComparison.Ordinal);
            string bare = transposed ? name["transposed ".Length..] : phased ? name["phased ".Length..] : name;
            if (!Enum.TryParse<ConvKernel>(bare, out var kernel))
            {
                Console.Error.WriteLine($"conv-ops: unknown kernel '{name}'; kernels: " +
                    string.Join(", ", Enum.GetNames<ConvKernel>()) +
                    " (and 'transposed NAME' or 'phased NAME' for dX)");
                return 2;
            }
            forced = new ConvPlan(kernel, transposed, phased);
        }
        using var torch = o.PyTorch ? PyTorch.Start("conv_ops.py", o.Threads) : null;
        var load = new Report.Load();
        // In the order of --shapes, repeats included (tools/bench_pair.py runs a first case twice: the first pass
        // of a process's first case is disturbed by the other process's compiler catching up on its first case).
        foreach (var c in wanted is null ? Cases : wanted.Select(w => Cases.First(c => c.Name == w)))
        {
            int oh = ConvShape.OutputSize(c.H, c.K, c.Stride, c.Pad, c.Pad, 1);
            var s = new ConvShape(c.N, c.C, c.H, c.H, c.O, c.K, c.K, oh, oh, c.Stride, c.Stride, c.Pad, c.Pad, 1, 1,
                c.Groups);
            var gen = new Random(0);
            float[] x = GemmScenario.Fill(c.N * c.C * c.H * c.H, gen), w = GemmScenario.Fill(c.O * s.K, gen);
            float[] dy = GemmScenario.Fill(c.N * c.O * s.L, gen);
            float[] y = new float[dy.Length], dw = new float[w.Length], dx = new float[x.Length];
            double flop = 2.0 * c.N * c.O * s.L * s.Cg * c.K * c.K;
            var ops = new (string Mode, ConvPass Pass, Action Call)[]
            {
                ("fwd", ConvPass.Forward, () => Conv.Forward(x, w, default, y, s)),
                ("dW", ConvPass.WeightGradient, () => Conv.BackwardWeight(x, dy, dw, s)),
                ("dX", ConvPass.InputGradient, () => Conv.BackwardInput(dy, w, dx, s)),
            };
            foreach (var (mode, pass, call) in ops)
            {
                if (forced is { } plan && ConvPlanner.Unsupported(pass, plan, s, ConvPlanner.Isa) is { } why)
                {
                    Console.Error.WriteLine($"conv-ops: {c.Name} {mode}: skipped, {plan} {why}");
                    continue;
                }
                using var scope = forced is { } p ? ConvPlanner.Force(pass, p) : null;
                // Half a second of calls first, so that the timed rounds run the fully optimised kernels (a cold
                // call is compiled by the quick tier, and a short op's first block would time that code).
                var warm = System.Diagnostics.Stopwatch.StartNew();
                for (int i = 0; i < 50 || warm.Elapsed.TotalSeconds < 0.5; i++) call();
                var mine = new List<double>();
                var theirs = new List<double>();
                string request = string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"{c.N} {c.C} {c.H} {c.O} {c.K} {c.Stride} {c.Pad} {c.Groups} {mode} {o.MinTime}");
                for (int r = 0; r < o.Rounds; r++)
                {
                    mine.Add(Report.TimeBlock(call, o.MinTime));
                    if (torch is not null) theirs.Add(torch.Request(request, "seconds"));
                }
                Report.EmitPair("conv-ops", c.Name, mode, o.Threads, flop, mine, theirs);
            }
        }
        Report.Emit("conv-ops", "all", "load", "dendrite", o.Threads, "other_cpu_frac",
            load.OtherFraction(torch?.CpuSeconds ?? 0), "fraction");
        return 0;
    }
}
