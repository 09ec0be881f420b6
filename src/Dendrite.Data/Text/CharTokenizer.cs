using System.Text;
using System.Text.Json;

namespace Dendrite.Data;

/// <summary>One id per character (Unicode scalar value, so a surrogate pair is one token) of a corpus, in order of
/// the character's code point. For small experiments: a short vocabulary, long sequences. Text with a character the
/// corpus did not have cannot be encoded, and the error names it.</summary>
public sealed class CharTokenizer : ITokenizer
{
    /// <summary>The kind name in checkpoint metadata.</summary>
    public const string KindName = "chars";

    /// <summary>The metadata key holding the characters (a JSON array of strings, in id order).</summary>
    public const string CharsKey = "tokenizer.chars";

    private readonly string[] chars;
    private readonly byte[][] utf8;
    private readonly Dictionary<int, int> ids = [];

    /// <summary>A tokenizer whose id i is <paramref name="characters"/>[i]; each entry is one Unicode scalar.</summary>
    public CharTokenizer(IReadOnlyList<string> characters)
    {
        ArgumentNullException.ThrowIfNull(characters);
        chars = [.. characters];
        utf8 = new byte[chars.Length][];
        for (int i = 0; i < chars.Length; i++)
        {
            var status = Rune.DecodeFromUtf16(chars[i], out var rune, out int used);
            if (status != System.Buffers.OperationStatus.Done || used != chars[i].Length)
                throw new ArgumentException($"chars tokenizer: entry {i} (\"{chars[i]}\") is not one character");
            if (!ids.TryAdd(rune.Value, i))
                throw new ArgumentException($"chars tokenizer: character U+{rune.Value:X4} appears twice (id {i})");
            utf8[i] = Encoding.UTF8.GetBytes(chars[i]);
        }
    }

    /// <summary>The characters of <paramref name="corpus"/>, one id each, ordered by code point.</summary>
    public static CharTokenizer Train(string corpus)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        var seen = new SortedSet<int>();
        foreach (var rune in corpus.EnumerateRunes()) seen.Add(rune.Value);
        return new CharTokenizer(seen.Select(v => new Rune(v).ToString()).ToList());
    }

    /// <summary>The character of each id.</summary>
    public IReadOnlyList<string> Characters => chars;

    /// <inheritdoc/>
    public string Kind => KindName;

    /// <inheritdoc/>
    public int VocabSize => chars.Length;

    /// <inheritdoc/>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var result = new List<int>(text.Length);
        int offset = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            if (!ids.TryGetValue(rune.Value, out int id))
                throw new ArgumentException($"chars tokenizer: character U+{rune.Value:X4} ('{rune}') at offset " +
                    $"{offset} is not in the vocabulary of {chars.Length} characters");
            result.Add(id);
            offset += rune.Utf16SequenceLength;
        }
        return [.. result];
    }

    /// <inheritdoc/>
    public ReadOnlySpan<byte> TokenBytes(int id)
    {
        Tokenizers.CheckId(this, id);
        return utf8[id];
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, string> ToMetadata() => new Dictionary<string, string>
    {
        [Tokenizers.KindKey] = KindName,
        [CharsKey] = JsonSerializer.Serialize(chars),
    };

    /// <summary>Rebuilds the tokenizer from <see cref="ToMetadata"/>'s keys.</summary>
    public static CharTokenizer FromMetadata(IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        var json = Tokenizers.Required(metadata, CharsKey, KindName);
        string[]? list;
        try
        {
            list = JsonSerializer.Deserialize<string[]>(json);
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"chars tokenizer: metadata '{CharsKey}' is not a JSON array of strings: " +
                e.Message, e);
        }
        return new CharTokenizer(list ??
            throw new ArgumentException($"chars tokenizer: metadata '{CharsKey}' is null"));
    }
}
