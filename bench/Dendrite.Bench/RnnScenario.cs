using System.Globalization;
using Dendrite.Nn;

namespace Dendrite.Bench;

/// <summary>One LSTM or GRU layer (float32, time-first), forward and forward+backward, as in shared/reference/rnn.py:
/// sequence 100, batch 32, input 64, hidden 256, in alternating rounds against bench/reference/rnn.py. GFLOP/s counts
/// only the gate products, gates·2·(I + H)·H per step and sample, backward as twice the forward.</summary>
internal static class RnnScenario
{
    private const int T = 100, B = 32, I = 64, H = 256;

    /// <summary>The `lstm` scenario.</summary>
    public static int Lstm(Options o) => Run(o, "lstm");

    /// <summary>The `gru` scenario.</summary>
    public static int Gru(Options o) => Run(o, "gru");

    private static int Run(Options o, string cell)
    {
        using var torch = o.PyTorch ? PyTorch.Start("rnn.py", o.Threads) : null;
        var load = new Report.Load();
        Generator.ManualSeed(0);
        RecurrentLayer layer = cell == "lstm" ? new Lstm(I, H) : new Gru(I, H);
        var gen = new Generator(1);
        var x = Tensor.Randn([T, B, I], gen).RequireGrad();
        var g = Tensor.Randn([T, B, H], gen);
        var parameters = layer.Parameters().ToArray();
        double fwdFlop = 2.0 * (cell == "lstm" ? 4 : 3) * (I + H) * H * B * T;

        void Forward()
        {
            using var scope = TensorScope.Begin();
            using var _ = Autograd.NoGrad();
            layer.Forward(x);
        }

        void ForwardBackward()
        {
            using var scope = TensorScope.Begin();
            foreach (var p in parameters) p.Grad = null;
            x.Grad = null;
            layer.Forward(x).Output.Backward(g);
        }

        foreach (var (mode, f, flop) in new[] { ("fwd", (Action)Forward, fwdFlop),
                     ("fwd+bwd", ForwardBackward, 3 * fwdFlop) })
        {
            // Two untimed blocks first, so that the timed rounds run fully optimised code.
            for (int w = 0; w < 2; w++) Report.TimeBlock(f, o.MinTime);
            var mine = new List<double>();
            var theirs = new List<double>();
            for (int r = 0; r < o.Rounds; r++)
            {
                mine.Add(Report.TimeBlock(f, o.MinTime));
                if (torch is not null)
                {
                    theirs.Add(torch.Request(
                        string.Create(CultureInfo.InvariantCulture, $"{cell} {mode} {o.MinTime}"), "seconds"));
                }
            }
            Report.EmitPair("rnn", cell, mode, o.Threads, flop, mine, theirs);
        }
        Report.Emit("rnn", cell, "load", "dendrite", o.Threads, "other_cpu_frac",
            load.OtherFraction(torch?.CpuSeconds ?? 0), "fraction");
        return 0;
    }
}
