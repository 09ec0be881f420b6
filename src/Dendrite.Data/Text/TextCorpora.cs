namespace Dendrite.Data;

/// <summary>Whole texts for language modelling, by name: <c>austen</c> (the six novels, one after another),
/// <c>sotu</c> (every State of the Union address, in year order) or the path of a UTF-8 text file.</summary>
public static class TextCorpora
{
    /// <summary>The names known besides file paths.</summary>
    public static IReadOnlyList<string> Names { get; } = ["austen", "sotu"];

    /// <summary>The text of <paramref name="nameOrPath"/>, cut to its first <paramref name="maxCharacters"/>
    /// characters (at a line end) when given. Throws the install command when a dataset is missing, and names the
    /// argument when it is neither a known name nor a file.</summary>
    public static string Load(string nameOrPath, int? maxCharacters = null)
    {
        ArgumentNullException.ThrowIfNull(nameOrPath);
        string text = nameOrPath switch
        {
            "austen" => string.Join("\n\n", JaneAusten.Books().Select(b => b.Text)),
            "sotu" => string.Join("\n\n", StateOfTheUnion.Load().Select(s => s.Text)),
            _ when File.Exists(nameOrPath) => File.ReadAllText(nameOrPath),
            _ => throw new FileNotFoundException($"corpus '{nameOrPath}' is neither a known corpus " +
                $"({string.Join(", ", Names)}) nor an existing file"),
        };
        if (maxCharacters is int max && text.Length > max)
        {
            int end = text.LastIndexOf('\n', max - 1);
            text = text[..(end > 0 ? end + 1 : max)];
        }
        return text;
    }
}
