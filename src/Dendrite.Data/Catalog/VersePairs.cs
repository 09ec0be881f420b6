using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Dendrite.Data;

/// <summary>An English verse and the same verse in Spanish.</summary>
public sealed record VersePair(string Reference, string English, string Spanish);

/// <summary>
/// English–Spanish sentence pairs for translation: the verses of the World English Bible (2015, ebible.org) and of
/// the Reina-Valera 1909, both public domain, from the SWORD modules in Debian's <c>sword-text-web</c> and
/// <c>sword-text-sparv</c>, exported once by <c>dendrite data install verse-pairs</c> with <c>diatheke</c>
/// (plain text, "Genesis 1:1: …" per verse, with OSIS markup). The markup and section titles are stripped and the
/// verses aligned on book, chapter and verse: 31,077 pairs.
/// </summary>
public static partial class VersePairs
{
    /// <summary>The SWORD module of the English text.</summary>
    public const string EnglishModule = "engWEB2015eb";

    /// <summary>The SWORD module of the Spanish text.</summary>
    public const string SpanishModule = "spaRV1909eb";

    /// <summary>Where the install writes a module's export.</summary>
    public static string CachePath(string module) => Path.Combine(DataHome.Folder("verse-pairs"), module + ".txt");

    /// <summary>The folder with both exports, or null when either is missing.</summary>
    public static string? Find() =>
        File.Exists(CachePath(EnglishModule)) && File.Exists(CachePath(SpanishModule))
            ? Path.GetDirectoryName(CachePath(EnglishModule))
            : null;

    /// <summary>The aligned pairs in canonical order; verses that are empty or missing in either text are left
    /// out.</summary>
    public static IReadOnlyList<VersePair> Load(string? folder = null)
    {
        folder ??= Find() ?? throw DatasetCatalog.Get("verse-pairs").Missing(
            $"{CachePath(EnglishModule)} and {CachePath(SpanishModule)}");
        var english = Read(Path.Combine(folder, EnglishModule + ".txt"));
        var spanish = Read(Path.Combine(folder, SpanishModule + ".txt")).ToDictionary(v => v.Reference, v => v.Text);
        var pairs = new List<VersePair>();
        foreach (var v in english)
        {
            if (v.Text.Length > 0 && spanish.TryGetValue(v.Reference, out var es) && es.Length > 0)
                pairs.Add(new VersePair(v.Reference, v.Text, es));
        }
        return pairs;
    }

    /// <summary>The verses of one <c>diatheke -f plaintext</c> export, markup and section titles removed. A verse
    /// begins where a line (after its markup) starts with "Book chapter:verse:"; lines that do not continue the
    /// verse before them (poetry is printed a line at a time).</summary>
    public static IReadOnlyList<Verse> Read(string path)
    {
        var verses = new List<Verse>();
        string? book = null;
        int chapter = 0, number = 0;
        var text = new StringBuilder();
        void Flush()
        {
            if (book is not null)
                verses.Add(new Verse(book, chapter, number, Spaces().Replace(text.ToString(), " ").Trim()));
            text.Clear();
        }
        int lineNumber = 0;
        foreach (var raw in File.ReadLines(path))
        {
            lineNumber++;
            // Adjacent word elements ("God</w><w …>created") are separate words.
            var spaced = raw.Replace("</w><w", "</w> <w", StringComparison.Ordinal);
            var line = Tag().Replace(Title().Replace(spaced, ""), "");
            var m = Reference().Match(line);
            if (m.Success)
            {
                Flush();
                book = m.Groups[1].Value;
                chapter = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
                number = int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture);
                text.Append(m.Groups[4].Value);
            }
            else if (book is not null && !ModuleName().IsMatch(line))
            {
                text.Append(' ').Append(line);
            }
            else if (book is null && line.Trim().Length > 0)
            {
                throw new DataFormatException($"{path}: line {lineNumber}: text before the first verse reference");
            }
        }
        Flush();
        if (verses.Count == 0) throw new DataFormatException($"{path}: no verses (expected lines \"Book 1:1: text\")");
        return verses;
    }

    [GeneratedRegex(@"^\s*((?:[1-3] )?[A-Z][A-Za-z ]*?) (\d+):(\d+):\s?(.*)$")]
    private static partial Regex Reference();

    [GeneratedRegex(@"<title\b[^>]*>.*?</title>")]
    private static partial Regex Title();

    [GeneratedRegex(@"<[^>]*>")]
    private static partial Regex Tag();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();

    [GeneratedRegex(@"^\s*\([A-Za-z0-9]+\)\s*$")]
    private static partial Regex ModuleName();
}
