using System.Diagnostics;
using System.Security.Cryptography;

namespace Dendrite.Fuzz;

/// <summary>What a campaign found: a hang, a memory overrun, or an exception the target does not document.</summary>
/// <param name="Kind">"hang", "memory" or "exception".</param>
/// <param name="Detail">The exception (type, message, stack) or the limit passed.</param>
/// <param name="Input">The input that caused it.</param>
/// <param name="Path">Where the input was written, when a crash folder was given.</param>
public sealed record FuzzFinding(string Kind, string Detail, byte[] Input, string? Path);

/// <summary>Totals of one campaign.</summary>
/// <param name="Inputs">Inputs tried, seeds included.</param>
/// <param name="Accepted">Inputs the target accepted without an exception.</param>
/// <param name="Outcomes">Distinct outcomes seen (accepted, or an exception type with the place that threw it).
/// </param>
/// <param name="Corpus">Inputs kept for further mutation (seeds and inputs that reached a new edge or gave a new
/// outcome).</param>
/// <param name="Elapsed">Wall time.</param>
/// <param name="Findings">Everything found; empty when the target held.</param>
/// <param name="Coverage">True when the parser assemblies were instrumented and edges were counted.</param>
/// <param name="SeedEdges">Edges reached once every seed had run (0 without coverage).</param>
/// <param name="Edges">Edges reached by the end (0 without coverage).</param>
public sealed record FuzzReport(long Inputs, long Accepted, int Outcomes, int Corpus, TimeSpan Elapsed,
    IReadOnlyList<FuzzFinding> Findings, bool Coverage = false, int SeedEdges = 0, int Edges = 0);

/// <summary>Settings of a campaign.</summary>
/// <param name="Duration">How long to run.</param>
/// <param name="Seed">Seed of the mutations, so a run can be repeated.</param>
/// <param name="MaxInputs">Stop after this many inputs (0: no limit).</param>
/// <param name="Timeout">Time allowed to one input before it counts as a hang.</param>
/// <param name="MaxAllocatedBytes">Bytes one input may make the process allocate before it counts as a memory
/// finding.</param>
/// <param name="CrashDirectory">Where findings are written (FORMAT-KIND-HASH.bin and .txt), or null.</param>
/// <param name="MaxSeeds">Use only this many of the target's seeds, picked by the seeded random source
/// (0: all).</param>
/// <param name="UseCoverage">Grow the corpus by edge coverage where the parsers are instrumented; false keeps only
/// the outcome rule, as a campaign without instrumentation does.</param>
public sealed record FuzzOptions(TimeSpan Duration, int Seed = 1, long MaxInputs = 0, TimeSpan? Timeout = null,
    long MaxAllocatedBytes = 1L << 30, string? CrashDirectory = null, int MaxSeeds = 0, bool UseCoverage = true);

/// <summary>
/// A coverage-guided mutation-fuzzing loop: starts from the target's seeds, mutates a corpus entry (structure-aware
/// half the time where the target has a structured mutation, bytes otherwise), runs each input on a worker thread
/// with a time limit, and measures what it allocated. An input joins the corpus when it reaches an edge (or an edge's
/// hit-count class) of the instrumented parsers never reached before (<see cref="Coverage"/>), or gives an outcome
/// not seen before; without instrumentation only the outcome rule applies. A hang ends the campaign (the stuck
/// thread cannot be stopped), anything else is recorded and the loop goes on. The edge map is one per process, so
/// campaigns (and single inputs) started on several threads take turns: one runs at a time.
/// </summary>
public static class Campaign
{
    // Corpus entries beyond the seeds: a coverage-guided corpus of this size still fits in a few hundred MiB.
    private const int MaxCorpus = 20_000;

    // Held for a whole campaign and for each input: another thread's Reset or edges would corrupt the map between
    // an input and the read of its edges. (Monitor locks are re-entrant, so Run may call TryOne under it.)
    private static readonly object MapGate = new();

    /// <summary>Runs <paramref name="target"/> under <paramref name="options"/>; <paramref name="log"/> gets a
    /// progress line now and then.</summary>
    public static FuzzReport Run(FuzzTarget target, FuzzOptions options, Action<string>? log = null)
    {
        lock (MapGate) return RunAlone(target, options, log);
    }

    private static FuzzReport RunAlone(FuzzTarget target, FuzzOptions options, Action<string>? log)
    {
        var timeout = options.Timeout ?? TimeSpan.FromSeconds(10);
        var rng = new Random(options.Seed);
        var mutator = new Mutator(rng);
        var corpus = target.Seeds().ToList();
        if (options.MaxSeeds > 0 && corpus.Count > options.MaxSeeds)
            corpus = [.. corpus.OrderBy(_ => rng.Next()).Take(options.MaxSeeds)];
        if (corpus.Count == 0) corpus.Add([]);
        var outcomes = new HashSet<string>();
        var edges = new EdgeMap();
        bool coverage = options.UseCoverage && Coverage.Enabled;
        int seedEdges = 0;
        var findings = new List<FuzzFinding>();
        var seen = new HashSet<string>();
        string dir = Directory.CreateTempSubdirectory("dendrite-fuzz-").FullName;
        var watch = Stopwatch.StartNew();
        long inputs = 0, accepted = 0;
        var nextLog = TimeSpan.FromSeconds(30);
        try
        {
            int seeds = corpus.Count;
            while (true)
            {
                if (inputs >= seeds && watch.Elapsed >= options.Duration) break;
                if (options.MaxInputs > 0 && inputs >= options.MaxInputs) break;
                byte[] input;
                if (inputs < seeds)
                {
                    input = corpus[(int)inputs];
                }
                else
                {
                    var parent = corpus[rng.Next(corpus.Count)];
                    input = (target.Structured is { } s && rng.Next(2) == 0 ? Structured(s, parent, mutator) : null)
                        ?? mutator.Mutate(parent, corpus);
                }
                inputs++;
                var (outcome, finding) = TryOne(target, input, dir, timeout, options.MaxAllocatedBytes);
                if (outcome == "accepted") accepted++;
                if (finding is not null)
                {
                    string key = $"{finding.Kind}:{Shape(finding.Detail)}";
                    if (seen.Add(key)) findings.Add(Save(finding, target.Name, options.CrashDirectory));
                    if (finding.Kind == "hang") break;
                }
                // Read the map even for a finding, so the same path is not kept again (a hang has left already).
                bool newEdge = coverage && edges.Merge(Coverage.Current);
                bool newOutcome = outcomes.Add(outcome);
                if ((newEdge || newOutcome) && inputs > seeds && corpus.Count < MaxCorpus) corpus.Add(input);
                if (inputs == seeds)
                {
                    seedEdges = edges.Edges;
                    log?.Invoke(coverage
                        ? $"{target.Name}: {seeds} seeds reached {seedEdges} edges"
                        : $"{target.Name}: coverage off ({(options.UseCoverage ? "parser assemblies not instrumented" :
                            "not asked for")}): the corpus grows by outcome only");
                }
                if (log is not null && watch.Elapsed >= nextLog)
                {
                    nextLog += TimeSpan.FromSeconds(30);
                    log($"{target.Name}: {inputs:N0} inputs, " + (coverage ? $"{edges.Edges} edges, " : "") +
                        $"{outcomes.Count} outcomes, corpus {corpus.Count}, {findings.Count} findings, " +
                        $"{inputs / watch.Elapsed.TotalSeconds:F0}/s");
                }
            }
        }
        finally
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
                // A hung input may still hold its file.
            }
        }
        return new FuzzReport(inputs, accepted, outcomes.Count, corpus.Count, watch.Elapsed, findings, coverage,
            seedEdges, edges.Edges);
    }

    // A structure-aware mutation parses its parent with the raw protobuf parser; a parent it cannot read is
    // mutated byte by byte instead.
    private static byte[]? Structured(Func<byte[], Mutator, byte[]?> mutate, byte[] parent, Mutator mutator)
    {
        try
        {
            return mutate(parent, mutator);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return null;
        }
    }

    /// <summary>Runs one input; returns its outcome and, when it broke the target's contract, the finding.</summary>
    public static (string Outcome, FuzzFinding? Finding) TryOne(FuzzTarget target, byte[] input, string dir,
        TimeSpan timeout, long maxAllocatedBytes)
    {
        lock (MapGate) return TryOneAlone(target, input, dir, timeout, maxAllocatedBytes);
    }

    private static (string Outcome, FuzzFinding? Finding) TryOneAlone(FuzzTarget target, byte[] input, string dir,
        TimeSpan timeout, long maxAllocatedBytes)
    {
        Exception? thrown = null;
        long allocated = 0;
        Coverage.Reset();
        var worker = new Thread(() =>
        {
            long before = GC.GetTotalAllocatedBytes();
            try
            {
                target.Run(input, dir);
            }
            catch (Exception e)
            {
                thrown = e;
            }
            allocated = GC.GetTotalAllocatedBytes() - before;
        }, 64 << 20)
        { IsBackground = true, Name = "fuzz input" };
        worker.Start();
        if (!worker.Join(timeout))
            return ("hang", new FuzzFinding("hang", $"no result after {timeout.TotalSeconds} s", input, null));
        if (allocated > maxAllocatedBytes)
            return ("memory", new FuzzFinding("memory", $"allocated {allocated:N0} bytes, over {maxAllocatedBytes:N0}" +
                (thrown is null ? ", and was accepted" : $", then threw {thrown}"), input, null));
        if (thrown is null) return ("accepted", null);
        for (var e = thrown; e is not null; e = e.InnerException)
        {
            if (e is OutOfMemoryException or InsufficientMemoryException)
                return ("memory", new FuzzFinding("memory", thrown.ToString(), input, null));
        }
        string outcome = $"{thrown.GetType().Name} at {ThrowSite(thrown)}";
        return target.Documented.Contains(thrown.GetType())
            ? (outcome, null)
            : (outcome, new FuzzFinding("exception", thrown.ToString(), input, null));
    }

    // Where an exception was thrown: the method and IL offset of its first frame. Messages name fields, tensors and
    // nodes taken from the input, so their wording would make every input a new outcome; the place does not.
    private static string ThrowSite(Exception e)
    {
        var frame = new StackTrace(e, fNeedFileInfo: false).GetFrame(0);
        var method = frame?.GetMethod();
        return method is null
            ? Shape(e.Message)
            : $"{method.DeclaringType?.FullName}.{method.Name}+{frame!.GetILOffset()}";
    }

    // A message with file names, numbers and quoted names taken out: the kind of error, not its instance.
    private static string Shape(string message)
    {
        var chars = message.Take(160).Where(c => !char.IsDigit(c)).ToArray();
        var s = new string(chars);
        int q;
        while ((q = s.IndexOf('\'', StringComparison.Ordinal)) >= 0)
        {
            int end = s.IndexOf('\'', q + 1);
            if (end < 0) break;
            s = s[..q] + "_" + s[(end + 1)..];
        }
        int firstLine = s.IndexOf('\n', StringComparison.Ordinal);
        if (firstLine >= 0) s = s[..firstLine];
        // Letters and spaces only: field contents and punctuation of the offending input do not make a new kind.
        var letters = new string(s.Where(c => char.IsAsciiLetter(c) || c == ' ').ToArray());
        return letters.Length > 80 ? letters[..80] : letters;
    }

    private static FuzzFinding Save(FuzzFinding f, string target, string? folder)
    {
        if (folder is null) return f;
        Directory.CreateDirectory(folder);
        string hash = Convert.ToHexStringLower(SHA256.HashData(f.Input))[..16];
        string path = System.IO.Path.Combine(folder, $"{target}-{f.Kind}-{hash}.bin");
        File.WriteAllBytes(path, f.Input);
        File.WriteAllText(System.IO.Path.ChangeExtension(path, ".txt"), $"{target} {f.Kind}\n{f.Detail}\n");
        return f with { Path = path };
    }
}
