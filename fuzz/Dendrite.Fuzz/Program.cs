using System.Globalization;
using Dendrite.Fuzz;

// dotnet run --project fuzz/Dendrite.Fuzz -c Release -- FORMAT [--seconds N] [--seed S] [--timeout-ms T]
//     [--max-inputs N] [--max-seeds N] [--crashes DIR] [--replay FILE] [--no-coverage]
// Runs one target's mutation campaign (or replays one input) and prints what it found; exit code 1 when there
// are findings, 2 on a usage error.
// Dendrite.Fuzz --instrument DIR rewrites the parser assemblies in DIR for edge coverage (the build does it after
// compiling); it never fails the build: without instrumentation the campaigns run on outcomes alone.
if (args is ["--instrument", var folder])
{
    try
    {
        foreach (var line in Coverage.Instrument(folder)) Console.WriteLine($"coverage instrumentation: {line}");
    }
    catch (Exception e) when (e is IOException or UnauthorizedAccessException or BadImageFormatException)
    {
        Console.WriteLine($"coverage instrumentation skipped: {e.Message}");
    }
    return 0;
}
var targets = FuzzTargets.All;
if (args.Length == 0 || args[0] is "-h" or "--help" || !targets.ContainsKey(args[0]))
{
    Console.Error.WriteLine("usage: Dendrite.Fuzz FORMAT [--seconds N] [--seed S] [--timeout-ms T] [--max-inputs N] " +
        "[--max-seeds N] [--crashes DIR] [--replay FILE] [--no-coverage]");
    foreach (var t in targets.Values) Console.Error.WriteLine($"  {t.Name,-12} {t.Summary}");
    return 2;
}
var target = targets[args[0]];
string? Option(string name)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
long Number(string name, long fallback) =>
    Option(name) is { } v ? long.Parse(v, CultureInfo.InvariantCulture) : fallback;
var timeout = TimeSpan.FromMilliseconds(Number("--timeout-ms", 10_000));
if (Option("--replay") is { } replay)
{
    string dir = Directory.CreateTempSubdirectory("dendrite-fuzz-").FullName;
    var (outcome, finding) = Campaign.TryOne(target, File.ReadAllBytes(replay), dir, timeout, 1L << 30);
    Console.WriteLine(finding is null ? $"held: {outcome}" : $"{finding.Kind}: {finding.Detail}");
    return finding is null ? 0 : 1;
}
var options = new FuzzOptions(TimeSpan.FromSeconds(Number("--seconds", 60)), (int)Number("--seed", 1),
    Number("--max-inputs", 0), timeout, CrashDirectory: Option("--crashes") ?? "fuzz-crashes",
    MaxSeeds: (int)Number("--max-seeds", 0), UseCoverage: !args.Contains("--no-coverage"));
Console.WriteLine(
    $"fuzzing {target.Name} ({target.Summary}) for {options.Duration.TotalSeconds} s, seed {options.Seed}");
var report = Campaign.Run(target, options, Console.WriteLine);
Console.WriteLine($"{target.Name}: {report.Inputs:N0} inputs in {report.Elapsed.TotalSeconds:F0} s " +
    $"({report.Inputs / report.Elapsed.TotalSeconds:F0}/s), {report.Accepted:N0} accepted, " +
    (report.Coverage ? $"edges {report.SeedEdges} at the seeds, {report.Edges} at the end, " : "coverage off, ") +
    $"{report.Outcomes} distinct outcomes, corpus {report.Corpus}, {report.Findings.Count} findings");
foreach (var f in report.Findings)
{
    Console.WriteLine($"  {f.Kind}: {f.Path}");
    Console.WriteLine("    " + f.Detail.Split('\n')[0]);
}
// A hung input's thread cannot be stopped: leave without waiting for it.
Environment.Exit(report.Findings.Count == 0 ? 0 : 1);
return 0;
