using System.Diagnostics;
using System.Globalization;
using Dendrite.Models;
using Dendrite.Nn;
using Dendrite.Nn.Optim;

namespace Dendrite.Bench;

/// <summary>The `gpt` scenario, as shared/reference/gpt.py: a GPT of 4 layers, 4 heads, width 128, context 128,
/// vocabulary 96, no dropout. Training: tokens per second at batch 16 (random windows of a fixed random token
/// stream, cross-entropy, Adam lr 1e-3), in alternating rounds against bench/reference/gpt.py; the managed bytes one
/// steady-state step allocates (all threads). Sampling: milliseconds per token for 200 tokens at batch 1 from a
/// 16-token prompt with the key/value cache, temperature 1.</summary>
internal static class GptScenario
{
    private const int Vocab = 96, Batch = 16, Context = 128, Tokens = 200;

    /// <summary>The `gpt` scenario.</summary>
    public static int Run(Options o)
    {
        using var torch = o.PyTorch ? PyTorch.Start("gpt.py", o.Threads) : null;
        var load = new Report.Load();
        var model = new Gpt(new GptConfig(Vocab, Context, 4, 4, 128), new Generator(0));
        var optimizer = new Adam(model.Parameters(), lr: 1e-3);
        var gen = new Generator(1);
        var data = new long[200_000];
        for (int i = 0; i < data.Length; i++) data[i] = gen.NextInt64(0, Vocab);
        var x = new long[Batch * Context];
        var y = new long[Batch * Context];

        void Step()
        {
            for (int b = 0; b < Batch; b++)
            {
                int start = (int)gen.NextInt64(0, data.Length - Context - 1);
                Array.Copy(data, start, x, b * Context, Context);
                Array.Copy(data, start + 1, y, b * Context, Context);
            }
            using var scope = TensorScope.Begin();
            var logits = model.Forward(Tensor.From(x, Batch, Context));
            var loss = Losses.CrossEntropy(logits.Reshape(-1, Vocab), Tensor.From(y, Batch * Context));
            optimizer.ZeroGrad();
            loss.Backward();
            optimizer.Step();
        }

        for (int w = 0; w < 2; w++) Report.TimeBlock(Step, o.MinTime);
        var mine = new List<double>();
        var theirs = new List<double>();
        for (int r = 0; r < o.Rounds; r++)
        {
            mine.Add(Report.TimeBlock(Step, o.MinTime));
            if (torch is not null)
                theirs.Add(torch.Request(string.Create(CultureInfo.InvariantCulture, $"train {o.MinTime}"), "seconds"));
        }
        EmitRate("train", o.Threads, Batch * Context, mine, theirs, "tokens_per_s", "tokens/s");

        // Steady state: the managed bytes of ten steps, every thread counted.
        long before = GC.GetTotalAllocatedBytes(precise: true);
        for (int i = 0; i < 10; i++) Step();
        long bytes = (GC.GetTotalAllocatedBytes(precise: true) - before) / 10;
        Report.Emit("gpt", "train", "alloc", "dendrite", o.Threads, "managed_bytes_per_step", bytes, "bytes");

        var prompt = data.Take(16).Select(v => (int)v).ToArray();
        var options = new SamplingOptions(Temperature: 1.0);
        void Sample()
        {
            foreach (int _ in model.Generate(prompt, Tokens, options, new Generator(2)))
            {
            }
        }
        Sample();
        var mineSample = new List<double>();
        var theirsSample = new List<double>();
        for (int r = 0; r < o.Rounds; r++)
        {
            var sw = Stopwatch.StartNew();
            Sample();
            mineSample.Add(sw.Elapsed.TotalSeconds / Tokens);
            if (torch is not null)
                theirsSample.Add(torch.Request(string.Create(CultureInfo.InvariantCulture, $"sample {Tokens}"),
                    "seconds"));
        }
        double ms = Report.Median(mineSample) * 1e3;
        Report.Emit("gpt", "sample", "kv-cache", "dendrite", o.Threads, "ms_per_token", ms, "ms");
        if (theirsSample.Count > 0)
        {
            double msTorch = Report.Median(theirsSample) * 1e3;
            Report.Emit("gpt", "sample", "kv-cache", "pytorch", o.Threads, "ms_per_token", msTorch, "ms");
            // speed ratio: above 1 means Dendrite takes less time per token
            Report.Emit("gpt", "sample", "kv-cache", "dendrite", o.Threads, "ratio_vs_pytorch", msTorch / ms, "x");
        }
        Report.Emit("gpt", "all", "load", "dendrite", o.Threads, "other_cpu_frac",
            load.OtherFraction(torch?.CpuSeconds ?? 0), "fraction");
        return 0;
    }

    private static void EmitRate(string mode, int threads, int perCall, List<double> mine, List<double> theirs,
        string metric, string unit)
    {
        double rMine = perCall / Report.Median(mine);
        Report.Emit("gpt", mode, "batch16", "dendrite", threads, metric, rMine, unit);
        if (theirs.Count == 0) return;
        double rTheirs = perCall / Report.Median(theirs);
        Report.Emit("gpt", mode, "batch16", "pytorch", threads, metric, rTheirs, unit);
        Report.Emit("gpt", mode, "batch16", "dendrite", threads, "ratio_vs_pytorch", rMine / rTheirs, "x");
    }
}
