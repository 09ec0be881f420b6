using Dendrite.IO;

namespace Dendrite.Fuzz.Tests;

/// <summary>The edge map: AFL's hit-count classes, and the instrumented parsers writing to it in this build.</summary>
public sealed class CoverageTests
{
    private static byte[] Map(params (int Index, byte Hits)[] entries)
    {
        var map = new byte[Coverage.MapSize];
        foreach (var (i, h) in entries) map[i] = h;
        return map;
    }

    [Fact]
    public void NewEdgesAndNewHitCountClassesAreNewButTheSameClassIsNot()
    {
        var edges = new EdgeMap();
        Assert.True(edges.Merge(Map((10, 1), (20, 1))));
        Assert.Equal(2, edges.Edges);
        Assert.False(edges.Merge(Map((10, 1))));
        // 1 → 2 hits is a new class on a known edge; 5 and 6 hits share the class 4–7.
        Assert.True(edges.Merge(Map((10, 2))));
        Assert.True(edges.Merge(Map((20, 5))));
        Assert.False(edges.Merge(Map((20, 6), (10, 1))));
        Assert.Equal(2, edges.Edges);
        Assert.Equal(4, edges.Classes);
        // 128 and 255 hits share the top class; an edge at the map's end counts like any other.
        Assert.True(edges.Merge(Map((Coverage.MapSize - 1, 128))));
        Assert.False(edges.Merge(Map((Coverage.MapSize - 1, 255))));
        Assert.Equal(3, edges.Edges);
    }

    // The build instruments the test's copies of the parser assemblies (fuzz/Instrument.targets); when that step
    // failed, this says so instead of letting the short passes below quietly run on outcomes alone.
    [Fact]
    public void ParsersInThisBuildAreInstrumented() => Assert.True(Coverage.Enabled,
        "Dendrite.IO, Dendrite.Data and Dendrite.Training here are not instrumented: see the build's " +
        "'coverage instrumentation' lines");

    [Fact]
    public void AParserWritesItsPathToTheMapAndDifferentInputsTakeDifferentPaths()
    {
        var target = FuzzTargets.All["safetensors"];
        var valid = target.Seeds()[0];
        string dir = Directory.CreateTempSubdirectory("dendrite-coverage-").FullName;
        int Reached(byte[] input)
        {
            Coverage.Reset();
            try
            {
                target.Run(input, dir);
            }
            catch (SafetensorsFormatException)
            {
                // The error path is a path too.
            }
            var edges = new EdgeMap();
            edges.Merge(Coverage.Current);
            return edges.Edges;
        }
        int whole = Reached(valid);
        int truncated = Reached(valid[..9]);
        Directory.Delete(dir, recursive: true);
        Assert.True(whole > 20, $"{whole} edges for a valid file");
        Assert.True(truncated > 0 && truncated < whole, $"{truncated} edges for a truncated file, {whole} whole");
    }

    [Fact]
    public void ACampaignCountsEdgesAndWithoutCoverageFallsBackToOutcomes()
    {
        var target = FuzzTargets.All["idx"];
        var on = Campaign.Run(target, new FuzzOptions(TimeSpan.FromSeconds(60), Seed: 3, MaxInputs: 400));
        Assert.True(on.Coverage);
        Assert.True(on.SeedEdges > 0 && on.Edges > on.SeedEdges, $"edges {on.SeedEdges} → {on.Edges}");
        var off = Campaign.Run(target, new FuzzOptions(TimeSpan.FromSeconds(60), Seed: 3, MaxInputs: 400,
            UseCoverage: false));
        Assert.False(off.Coverage);
        Assert.Equal(0, off.Edges);
        Assert.True(off.Corpus <= on.Corpus, $"corpus {off.Corpus} by outcomes, {on.Corpus} by coverage");
    }
}
