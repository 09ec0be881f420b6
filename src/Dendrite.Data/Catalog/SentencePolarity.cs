namespace Dendrite.Data;

/// <summary>
/// Pang &amp; Lee's movie-review polarity data as Debian's <c>python3-pattern</c> ships it in its test corpora:
/// 4,000 sentences (<c>polarity-en-pang&amp;lee2.csv</c>) and 1,500 full reviews (<c>…pang&amp;lee1.csv</c>), half
/// positive, half negative, in UTF-8 CSV with a byte-order mark: <c>"1"</c> or <c>"-1"</c>, then the text. For
/// research use: it is read where the package put it and never copied into the repository.
/// <c>dendrite data install polarity</c> fetches the package's archive and unpacks its files into the cache
/// (without installing its many dependencies).
/// </summary>
public static class SentencePolarity
{
    private const string Corpora = "usr/share/doc/python3-pattern/test/corpora";

    /// <summary>The cache folder the archive is unpacked into.</summary>
    public static string CacheFolder => DataHome.Folder("polarity");

    /// <summary>The corpora folder (unpacked in the cache, or installed by apt), or null when absent.</summary>
    public static string? Find()
    {
        foreach (var dir in new[] { Path.Combine(CacheFolder, Corpora), "/" + Corpora })
        {
            if (File.Exists(Path.Combine(dir, "polarity-en-pang&lee2.csv"))) return dir;
        }
        return null;
    }

    /// <summary>The 4,000 sentences with their label: 1 positive, 0 negative (the file's 1 and -1).</summary>
    public static IReadOnlyList<(string Text, long Label)> Sentences(string? folder = null) =>
        Read(folder, "polarity-en-pang&lee2.csv");

    /// <summary>The 1,500 full reviews with their label: 1 positive, 0 negative.</summary>
    public static IReadOnlyList<(string Text, long Label)> Reviews(string? folder = null) =>
        Read(folder, "polarity-en-pang&lee1.csv");

    private static List<(string, long)> Read(string? folder, string file)
    {
        folder ??= Find() ?? throw DatasetCatalog.Get("polarity").Missing($"{Path.Combine(CacheFolder, Corpora)}");
        var path = Path.Combine(folder, file);
        var table = CsvTable.Load(path, hasHeader: false);
        var rows = new List<(string, long)>(table.Rows.Count);
        for (int r = 0; r < table.Rows.Count; r++)
        {
            var row = table.Rows[r];
            if (row.Length != 2)
                throw new DataFormatException($"{path}: record {r + 1}: {row.Length} fields, expected 2");
            long label = row[0] switch
            {
                "1" => 1,
                "-1" => 0,
                _ => throw new DataFormatException($"{path}: record {r + 1}: polarity '{row[0]}' is neither 1 nor -1"),
            };
            rows.Add((row[1].Trim(), label));
        }
        return rows;
    }
}
