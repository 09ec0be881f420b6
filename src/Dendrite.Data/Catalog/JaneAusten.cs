namespace Dendrite.Data;

/// <summary>
/// Jane Austen's six completed novels (public domain), from R's <c>janeaustenr</c> package (Debian's
/// <c>r-cran-janeaustenr</c>), written once by <c>dendrite data install austen</c> to the cache as one line per line
/// of text: the book's title, a tab, the line (73,422 lines, blank ones included as in the package).
/// </summary>
public static class JaneAusten
{
    /// <summary>Where the install writes the text.</summary>
    public static string CachePath => Path.Combine(DataHome.Folder("austen"), "austen.tsv");

    /// <summary>The text file, or null when it has not been written.</summary>
    public static string? Find() => File.Exists(CachePath) ? CachePath : null;

    /// <summary>Every line with its book, in the package's order (Sense &amp; Sensibility, Pride &amp; Prejudice,
    /// Mansfield Park, Emma, Northanger Abbey, Persuasion).</summary>
    public static IReadOnlyList<(string Book, string Line)> Lines(string? path = null)
    {
        path ??= Find() ?? throw DatasetCatalog.Get("austen").Missing(CachePath);
        var lines = new List<(string, string)>();
        int number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            int tab = line.IndexOf('\t', StringComparison.Ordinal);
            if (tab <= 0) throw new DataFormatException($"{path}: line {number}: expected \"book<TAB>text\"");
            lines.Add((line[..tab], line[(tab + 1)..]));
        }
        return lines;
    }

    /// <summary>The six novels as whole texts (lines joined with newlines), in order.</summary>
    public static IReadOnlyList<(string Book, string Text)> Books(string? path = null) =>
        Lines(path).GroupBy(l => l.Book).Select(g => (g.Key, string.Join("\n", g.Select(l => l.Line)))).ToList();
}
