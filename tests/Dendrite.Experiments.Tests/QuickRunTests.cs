using Dendrite.Experiments;
using Dendrite.IO;

namespace Dendrite.Tests;

/// <summary>Every experiment's --quick form runs, writes its report, CSVs and figures, and reproduces itself.</summary>
public class QuickRunTests
{
    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var e in ExperimentCatalog.All) data.Add(e.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Quick_WritesReportTablesAndFigures(string name)
    {
        string root = Path.Combine(Path.GetTempPath(), "dendrite-exp-" + Guid.NewGuid().ToString("N"));
        try
        {
            var context = ExperimentCatalog.Run(name, new ExperimentOptions(root, Quick: true, Seed: 1));
            string dir = Path.Combine(root, name);
            string report = File.ReadAllText(Path.Combine(dir, "report.md"));
            Assert.Contains("## What the course claims", report, StringComparison.Ordinal);
            Assert.NotEmpty(context.Tables);
            foreach (var table in context.Tables)
            {
                Assert.NotEmpty(table.Rows);
                var lines = File.ReadAllLines(Path.Combine(dir, table.Name + ".csv"));
                Assert.Equal(table.Rows.Count + 1, lines.Length);
                Assert.Contains($"`{table.Name}.csv`", report, StringComparison.Ordinal);
            }
            foreach (var figure in context.Figures)
            {
                var pixels = Image.Load(Path.Combine(dir, figure));
                Assert.True(pixels.Numel >= 32 * 32, $"{figure}: {string.Join("x", pixels.Shape.ToArray())}");
                var v = pixels.ToArray<float>();
                Assert.True(v.Max() > v.Min(), $"{figure} is blank");
                Assert.Contains($"]({figure})", report, StringComparison.Ordinal);
            }
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }
}
