namespace Dendrite.Fuzz.Tests;

/// <summary>A short seeded mutation pass over every format, and a replay of every input a campaign ever found:
/// each input may end only in the format's documented exception, within the time and memory limits.</summary>
public sealed class FuzzPassTests
{
    public static TheoryData<string, int> Targets => new()
    {
        { "onnx", 400 },
        { "onnx-tensor", 600 },
        { "safetensors", 300 },
        { "idx", 600 },
        { "csv", 600 },
        { "image", 600 },
        { "checkpoint", 60 },
    };

    [Theory]
    [MemberData(nameof(Targets))]
    public void ShortSeededPassFindsNothing(string format, int inputs)
    {
        var target = FuzzTargets.All[format];
        // Bounded by the input count; the 60 s cap only matters on a machine loaded enough that the seeds alone take
        // long (the assertions below need the pass to get past them).
        var report = Campaign.Run(target, new FuzzOptions(TimeSpan.FromSeconds(60), Seed: 19, MaxInputs: inputs,
            Timeout: TimeSpan.FromSeconds(10), MaxSeeds: 40));
        Assert.True(report.Findings.Count == 0, string.Join("\n\n", report.Findings.Select(f => f.Detail)));
        // The pass reached past the seeds and into the parser's error paths.
        Assert.True(report.Inputs > Math.Min(40, target.Seeds().Count), $"{report.Inputs} inputs");
        Assert.True(report.Outcomes >= 2, $"{report.Outcomes} outcomes");
        // In this build the parsers are instrumented (CoverageTests says when not): the pass counted their edges.
        if (report.Coverage)
        {
            Assert.True(report.SeedEdges > 0 && report.Edges >= report.SeedEdges,
                $"edges {report.SeedEdges} → {report.Edges}");
        }
    }

    public static TheoryData<string> Found => new(Directory.Exists(Folder)
        ? Directory.GetFiles(Folder, "*.bin").Select(Path.GetFileName).Order(StringComparer.Ordinal)!
        : []);

    private static string Folder => Path.Combine(AppContext.BaseDirectory, "fixtures", "fuzz");

    // Files are named FORMAT-KIND-HASH.bin, as the campaign writes them.
    [Theory]
    [MemberData(nameof(Found))]
    public void EveryInputACampaignFoundNowHolds(string file)
    {
        string format = FuzzTargets.All.Keys.OrderByDescending(k => k.Length).First(k => file.StartsWith(k + "-",
            StringComparison.Ordinal));
        string dir = Directory.CreateTempSubdirectory("dendrite-fuzz-replay-").FullName;
        try
        {
            var (outcome, finding) = Campaign.TryOne(FuzzTargets.All[format],
                File.ReadAllBytes(Path.Combine(Folder, file)), dir, TimeSpan.FromSeconds(10), 1L << 30);
            Assert.True(finding is null, $"{outcome}: {finding?.Detail}");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void EveryFormatHasATarget() => Assert.Equal(
        ["checkpoint", "csv", "idx", "image", "onnx", "onnx-tensor", "safetensors"],
        FuzzTargets.All.Keys.Order(StringComparer.Ordinal));
}
