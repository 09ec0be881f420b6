using System.Diagnostics;
using System.Text.Json;

namespace Dendrite.Bench;

/// <summary>Writes measurement lines and times code blocks.</summary>
internal static class Report
{
    /// <summary>One JSON line: {"scenario","case","mode","impl","threads","metric","value","unit"}.</summary>
    public static void Emit(string scenario, string @case, string mode, string impl, int threads, string metric,
        double value, string unit)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions
        { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("scenario", scenario);
            w.WriteString("case", @case);
            w.WriteString("mode", mode);
            w.WriteString("impl", impl);
            w.WriteNumber("threads", threads);
            w.WriteString("metric", metric);
            w.WriteNumber("value", Math.Round(value, 4));
            w.WriteString("unit", unit);
            w.WriteEndObject();
        }
        Console.Out.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
        Console.Out.Flush();
    }

    /// <summary>Seconds per call of <paramref name="f"/>, over a block of calls lasting about minTime; the turn passes
    /// to the paired process after the block (<see cref="Turns"/>).</summary>
    public static double TimeBlock(Action f, double minTime)
    {
        f();
        var sw = Stopwatch.StartNew();
        f();
        double one = sw.Elapsed.TotalSeconds;
        int inner = (int)Math.Max(1, minTime / Math.Max(one, 1e-6));
        sw.Restart();
        for (int i = 0; i < inner; i++) f();
        double seconds = sw.Elapsed.TotalSeconds / inner;
        Turns.Pass();
        return seconds;
    }

    /// <summary>Turn-taking with another bench process, for before/after figures on a machine whose speed drifts
    /// from second to second: with <c>DENDRITE_BENCH_TURNS=IN,OUT</c> (two named pipes, driven by
    /// <c>tools/bench_pair.py</c>) the process runs only while it holds the turn. It waits for a byte on IN before
    /// its first measurement, and after every timed block (and every timed epoch) it writes a byte to OUT and waits
    /// for the next one, so two builds alternate block by block and each block of one side runs next to a block of
    /// the other in time. Without the variable, <see cref="Pass"/> does nothing.</summary>
    public static class Turns
    {
        private static FileStream? input, output;

        /// <summary>Opens the pipes and waits for the first turn; called once, before any measurement.</summary>
        public static void Begin()
        {
            string? spec = Environment.GetEnvironmentVariable("DENDRITE_BENCH_TURNS");
            if (string.IsNullOrEmpty(spec)) return;
            string[] pipes = spec.Split(',');
            if (pipes.Length != 2)
                throw new InvalidOperationException($"DENDRITE_BENCH_TURNS: '{spec}' is not IN,OUT (two pipe paths)");
            input = new FileStream(pipes[0], FileMode.Open, FileAccess.Read);
            output = new FileStream(pipes[1], FileMode.Open, FileAccess.Write);
            Wait();
        }

        /// <summary>Hands the turn to the paired process and waits until it comes back.</summary>
        public static void Pass()
        {
            if (output is null) return;
            output.WriteByte(1);
            output.Flush();
            Wait();
        }

        private static void Wait()
        {
            if (input!.ReadByte() < 0)
                throw new InvalidOperationException("DENDRITE_BENCH_TURNS: the driver closed the turn pipe");
        }
    }

    /// <summary>The GFLOP/s of both sides from their per-call seconds (medians over the rounds), and Dendrite's ratio
    /// to PyTorch; only Dendrite's line when PyTorch did not run (theirs empty).</summary>
    public static void EmitPair(string scenario, string @case, string mode, int threads, double flop,
        List<double> mine, List<double> theirs)
    {
        double gMine = flop / Median(mine) / 1e9;
        Emit(scenario, @case, mode, "dendrite", threads, "gflops", gMine, "GFLOP/s");
        if (theirs.Count == 0) return;
        double gTheirs = flop / Median(theirs) / 1e9;
        Emit(scenario, @case, mode, "pytorch", threads, "gflops", gTheirs, "GFLOP/s");
        Emit(scenario, @case, mode, "dendrite", threads, "ratio_vs_pytorch", gMine / gTheirs, "x");
    }

    public static double Median(List<double> xs)
    {
        var s = xs.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : 0.5 * (s[s.Length / 2 - 1] + s[s.Length / 2]);
    }

    /// <summary>CPU time (all cores) spent by other processes between two snapshots; the machine is shared.</summary>
    public sealed class Load
    {
        private readonly long wall0 = Stopwatch.GetTimestamp();
        private readonly double busy0 = Busy();
        private readonly double own0 = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;

        /// <summary>Fraction of the machine's CPU time used by other processes since construction.</summary>
        public double OtherFraction(double childSeconds)
        {
            double wall = Stopwatch.GetElapsedTime(wall0).TotalSeconds;
            double own = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds - own0 + childSeconds;
            double other = Math.Max(0, Busy() - busy0 - own);
            return other / (wall * Environment.ProcessorCount);
        }

        // user + nice + system + irq + softirq of the aggregate "cpu" line of /proc/stat, in seconds (USER_HZ 100).
        private static double Busy()
        {
            try
            {
                var f = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
                long[] v = [.. f.Skip(1).Select(long.Parse)];
                return (v[0] + v[1] + v[2] + v[5] + v[6]) / 100.0;
            }
            catch (IOException)
            {
                return 0;
            }
        }
    }
}
