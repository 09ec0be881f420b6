using System.Globalization;
using Dendrite.Models.Generative;

namespace Dendrite.Bench;

/// <summary>One DCGAN training step (a D update on real and detached fake images, then a G update), batch 64, as in
/// shared/reference/dcgan.py, in alternating rounds against bench/reference/dcgan.py. The layers are
/// <see cref="Gan"/>'s DCGAN, which are the reference's; the "real" images are fixed random values in [-1, 1].
/// GFLOP/s counts the convolutions' multiply-adds only: each forward once, the backward passes as twice their
/// forward (D runs three forwards and three backwards, G one of each).</summary>
internal static class DcganScenario
{
    private const int B = 64;

    /// <summary>The `dcgan` scenario.</summary>
    public static int Run(Options o)
    {
        using var torch = o.PyTorch ? PyTorch.Start("dcgan.py", o.Threads) : null;
        var load = new Report.Load();
        Generator.ManualSeed(0);
        var gan = new Gan(new GanConfig(GanKind.Dcgan));
        var (optG, optD) = gan.Optimizers();
        var noise = new Generator(1);
        var real = Tensor.Rand([B, 1, 28, 28], new Generator(2)) * 2 - 1;

        void Step()
        {
            using var scope = TensorScope.Begin();
            gan.TrainStep(optG, optD, real, null, noise);
        }

        // Multiply-adds per image: G 100·256·49 + 256·128·16·196 (input positions × kernel) + 128·16·784;
        // D 64·16·196 + 128·64·16·49 + 128·49.
        double gMac = 100.0 * 256 * 49 + 256.0 * 128 * 16 * 49 + 128.0 * 16 * 196;
        double dMac = 64.0 * 16 * 196 + 128.0 * 64 * 16 * 49 + 128.0 * 49;
        double flop = 2 * B * (gMac * 3 + dMac * 9);
        for (int w = 0; w < 2; w++) Report.TimeBlock(Step, o.MinTime);
        var mine = new List<double>();
        var theirs = new List<double>();
        for (int r = 0; r < o.Rounds; r++)
        {
            mine.Add(Report.TimeBlock(Step, o.MinTime));
            if (torch is not null)
                theirs.Add(torch.Request(string.Create(CultureInfo.InvariantCulture, $"step {o.MinTime}"), "seconds"));
        }
        Report.Emit("dcgan", "dcgan", "step", "dendrite", o.Threads, "ms_per_step", Report.Median(mine) * 1e3, "ms");
        if (torch is not null)
        {
            Report.Emit("dcgan", "dcgan", "step", "pytorch", o.Threads, "ms_per_step", Report.Median(theirs) * 1e3,
                "ms");
        }
        Report.EmitPair("dcgan", "dcgan", "step", o.Threads, flop, mine, theirs);
        Report.Emit("dcgan", "dcgan", "load", "dendrite", o.Threads, "other_cpu_frac",
            load.OtherFraction(torch?.CpuSeconds ?? 0), "fraction");
        return 0;
    }
}
