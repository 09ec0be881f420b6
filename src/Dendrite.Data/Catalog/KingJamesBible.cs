using System.Globalization;
using System.Text.RegularExpressions;

namespace Dendrite.Data;

/// <summary>One verse of a Bible: book (as the source abbreviates or names it), chapter, verse and text.</summary>
public sealed record Verse(string Book, int Chapter, int Number, string Text)
{
    /// <summary>"Book chapter:verse".</summary>
    public string Reference => $"{Book} {Chapter}:{Number}";
}

/// <summary>
/// The King James Bible (public domain) from Debian's <c>bible-kjv</c>, written once by
/// <c>dendrite data install kjv</c> with <c>bible -f gen1:1-rev22:21</c>: 31,102 verses, one a line, "Ge1:1 In the
/// beginning…".
/// </summary>
public static partial class KingJamesBible
{
    /// <summary>Where the install writes the text.</summary>
    public static string CachePath => Path.Combine(DataHome.Folder("kjv"), "kjv.txt");

    /// <summary>The text file, or null when it has not been written.</summary>
    public static string? Find() => File.Exists(CachePath) ? CachePath : null;

    /// <summary>Every verse in canonical order (books abbreviated as <c>bible</c> prints them: Ge, Exo, … Rev).
    /// </summary>
    public static IReadOnlyList<Verse> Load(string? path = null)
    {
        path ??= Find() ?? throw DatasetCatalog.Get("kjv").Missing(CachePath);
        var verses = new List<Verse>();
        int number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            if (line.Length == 0) continue;
            var m = VerseLine().Match(line);
            if (!m.Success)
                throw new DataFormatException($"{path}: line {number}: expected \"Book1:1 text\", found '{line}'");
            verses.Add(new Verse(m.Groups[1].Value, int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture),
                int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture), m.Groups[4].Value));
        }
        return verses;
    }

    [GeneratedRegex(@"^(\d?[A-Za-z]+)(\d+):(\d+) (.*)$")]
    private static partial Regex VerseLine();
}
