using System.Collections.Concurrent;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Dendrite.Data;

/// <summary>
/// Byte-level byte-pair encoding (Sennrich et al. 2016, "Neural Machine Translation of Rare Words with Subword
/// Units", arXiv:1508.07909; byte-level as in GPT-2). The vocabulary starts from the 256 bytes; each merge, in rank
/// order, joins two adjacent tokens into one. Encoding splits the text into GPT-2's words (<see cref="ByteLevel"/>),
/// then inside each word repeatedly merges the adjacent pair of lowest rank. Any text round-trips exactly, since
/// every byte has a token. Saved and loaded as GPT-2's <c>vocab.json</c> + <c>merges.txt</c>; trained with
/// <see cref="Train(IEnumerable{string}, int, IProgress{int}?)"/>.
/// </summary>
public sealed partial class BpeTokenizer : ITokenizer
{
    /// <summary>The kind name in checkpoint metadata.</summary>
    public const string KindName = "bpe";

    /// <summary>Metadata key holding the vocab.json text.</summary>
    public const string VocabKey = "tokenizer.vocab";

    /// <summary>Metadata key holding the merges.txt text.</summary>
    public const string MergesKey = "tokenizer.merges";

    private const int CacheLimit = 200_000;

    private readonly byte[]?[] tokens;
    private readonly int[] byteIds = new int[256];
    private readonly (int Left, int Right, int Result)[] merges;
    private readonly Dictionary<long, (int Rank, int Result)> ranks;
    private readonly ConcurrentDictionary<string, int[]> cache = new(StringComparer.Ordinal);
    private readonly HashSet<int> specials;

    /// <summary>A tokenizer from token bytes by id (null for an unused id) and merges in rank order, each naming the
    /// two ids it joins and the id it makes. Throws naming the id or merge that does not fit.</summary>
    private BpeTokenizer(byte[]?[] tokens, IReadOnlyList<(int Left, int Right, int Result)> merges,
        HashSet<int> specials, string where)
    {
        this.tokens = tokens;
        this.specials = specials;
        Array.Fill(byteIds, -1);
        for (int id = 0; id < tokens.Length; id++)
        {
            if (tokens[id] is { Length: 1 } single && byteIds[single[0]] < 0) byteIds[single[0]] = id;
        }
        int missing = Array.IndexOf(byteIds, -1);
        if (missing >= 0)
            throw new FormatException($"{where}: byte 0x{missing:X2} ('{ByteLevel.ByteToChar((byte)missing)}') has " +
                "no token, so not every text could be encoded");
        this.merges = [.. merges];
        ranks = new Dictionary<long, (int, int)>(merges.Count);
        for (int rank = 0; rank < merges.Count; rank++)
        {
            var (left, right, result) = merges[rank];
            var joined = tokens[left]!.Concat(tokens[right]!);
            if (!joined.SequenceEqual(tokens[result]!))
                throw new FormatException($"{where}: merge {rank + 1} joins ids {left} and {right}, whose bytes do " +
                    $"not make token {result}");
            ranks.TryAdd(Key(left, right), (rank, result));
        }
    }

    /// <inheritdoc/>
    public string Kind => KindName;

    /// <inheritdoc/>
    public int VocabSize => tokens.Length;

    /// <summary>Number of merges (the vocabulary holds the 256 bytes, the merges' tokens and any special
    /// tokens).</summary>
    public int MergeCount => merges.Length;

    /// <summary>The merges in rank order, as the ids they join and the id they make.</summary>
    public IReadOnlyList<(int Left, int Right, int Result)> Merges => merges;

    /// <summary>Id of the token with exactly these bytes, or null when none has them.</summary>
    public int? IdOf(ReadOnlySpan<byte> bytes)
    {
        for (int id = 0; id < tokens.Length; id++)
        {
            if (tokens[id] is { } t && bytes.SequenceEqual(t)) return id;
        }
        return null;
    }

    /// <inheritdoc/>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 3 + 4);
        foreach (var (start, length) in ByteLevel.Split(text))
        {
            var word = text.Substring(start, length);
            if (!cache.TryGetValue(word, out var wordIds))
            {
                wordIds = EncodeWord(Encoding.UTF8.GetBytes(word));
                if (cache.Count >= CacheLimit) cache.Clear();
                cache[word] = wordIds;
            }
            ids.AddRange(wordIds);
        }
        return [.. ids];
    }

    /// <inheritdoc/>
    public ReadOnlySpan<byte> TokenBytes(int id)
    {
        Tokenizers.CheckId(this, id);
        return tokens[id] ?? throw new ArgumentOutOfRangeException(nameof(id), $"bpe tokenizer: id {id} is unused " +
            "in this vocabulary");
    }

    // Within one word: start from the byte tokens, then merge the lowest-ranked adjacent pair (all its
    // occurrences, left to right) until no adjacent pair has a merge.
    private int[] EncodeWord(byte[] bytes)
    {
        var symbols = new int[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) symbols[i] = byteIds[bytes[i]];
        return MergeAll(symbols, ranks);
    }

    private static int[] MergeAll(int[] symbols, Dictionary<long, (int Rank, int Result)> ranks)
    {
        int n = symbols.Length;
        while (n > 1)
        {
            int bestRank = int.MaxValue, left = -1, right = -1, result = -1;
            for (int i = 0; i + 1 < n; i++)
            {
                if (ranks.TryGetValue(Key(symbols[i], symbols[i + 1]), out var m) && m.Rank < bestRank)
                    (bestRank, left, right, result) = (m.Rank, symbols[i], symbols[i + 1], m.Result);
            }
            if (result < 0) break;
            int w = 0;
            for (int i = 0; i < n; i++)
            {
                if (i + 1 < n && symbols[i] == left && symbols[i + 1] == right)
                {
                    symbols[w++] = result;
                    i++;
                }
                else
                {
                    symbols[w++] = symbols[i];
                }
            }
            n = w;
        }
        return symbols[..n];
    }

    private static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    /// <summary>The vocabulary as GPT-2's vocab.json: byte-level token strings to ids, in id order.</summary>
    public string VocabJson()
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions
        {
            Indented = false,
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        }))
        {
            json.WriteStartObject();
            for (int id = 0; id < tokens.Length; id++)
            {
                if (tokens[id] is { } t) json.WriteNumber(TokenString(id, t), id);
            }
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>The merges as GPT-2's merges.txt: a version line, then one "left right" line per merge in rank
    /// order, each token in byte-level form.</summary>
    public string MergesText()
    {
        var text = new StringBuilder("#version: 0.2\n");
        foreach (var (left, right, _) in merges)
        {
            text.Append(ByteLevel.ToText(tokens[left])).Append(' ');
            text.Append(ByteLevel.ToText(tokens[right])).Append('\n');
        }
        return text.ToString();
    }

    // Special tokens (GPT-2's <|endoftext|>) are stored as their own text, not as byte-level strings.
    private string TokenString(int id, byte[] bytes) =>
        specials.Contains(id) ? Encoding.UTF8.GetString(bytes) : ByteLevel.ToText(bytes);

    /// <summary>Writes <c>vocab.json</c> and <c>merges.txt</c> in GPT-2's format.</summary>
    public void Save(string vocabPath, string mergesPath)
    {
        ArgumentNullException.ThrowIfNull(vocabPath);
        ArgumentNullException.ThrowIfNull(mergesPath);
        File.WriteAllText(vocabPath, VocabJson(), new UTF8Encoding(false));
        File.WriteAllText(mergesPath, MergesText(), new UTF8Encoding(false));
    }

    /// <summary>Reads GPT-2's <c>vocab.json</c> + <c>merges.txt</c> (errors name the file and line).</summary>
    public static BpeTokenizer Load(string vocabPath, string mergesPath)
    {
        ArgumentNullException.ThrowIfNull(vocabPath);
        ArgumentNullException.ThrowIfNull(mergesPath);
        return Parse(File.ReadAllText(vocabPath), vocabPath, File.ReadAllText(mergesPath), mergesPath);
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, string> ToMetadata() => new Dictionary<string, string>
    {
        [Tokenizers.KindKey] = KindName,
        [VocabKey] = VocabJson(),
        [MergesKey] = MergesText(),
    };

    /// <summary>Rebuilds the tokenizer from <see cref="ToMetadata"/>'s keys.</summary>
    public static BpeTokenizer FromMetadata(IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        return Parse(Tokenizers.Required(metadata, VocabKey, KindName), $"metadata '{VocabKey}'",
            Tokenizers.Required(metadata, MergesKey, KindName), $"metadata '{MergesKey}'");
    }

    /// <summary>Parses vocab.json and merges.txt texts; <paramref name="vocabSource"/> and
    /// <paramref name="mergesSource"/> name them in errors.</summary>
    public static BpeTokenizer Parse(string vocabJson, string vocabSource, string mergesText, string mergesSource)
    {
        ArgumentNullException.ThrowIfNull(vocabJson);
        ArgumentNullException.ThrowIfNull(mergesText);
        Dictionary<string, int>? vocab;
        try
        {
            vocab = JsonSerializer.Deserialize<Dictionary<string, int>>(vocabJson);
        }
        catch (JsonException e)
        {
            throw new FormatException($"{vocabSource}: not a JSON object of token → id: {e.Message}", e);
        }
        if (vocab is null || vocab.Count == 0) throw new FormatException($"{vocabSource}: the vocabulary is empty");
        int size = vocab.Values.Max() + 1;
        if (vocab.Values.Min() < 0) throw new FormatException($"{vocabSource}: negative id {vocab.Values.Min()}");
        var tokens = new byte[]?[size];
        var specials = new HashSet<int>();
        var stringOf = new string[size];
        foreach (var (text, id) in vocab)
        {
            if (tokens[id] is not null)
                throw new FormatException($"{vocabSource}: id {id} is given to both \"{stringOf[id]}\" and \"{text}\"");
            stringOf[id] = text;
            if (IsSpecial(text))
            {
                tokens[id] = Encoding.UTF8.GetBytes(text);
                specials.Add(id);
            }
            else
            {
                tokens[id] = ByteLevel.FromText(text, vocabSource);
            }
        }
        var merges = new List<(int, int, int)>();
        int lineNumber = 0;
        foreach (var raw in mergesText.Split('\n'))
        {
            lineNumber++;
            var line = raw.TrimEnd('\r');
            if (line.Length == 0 || (lineNumber == 1 && line.StartsWith("#version", StringComparison.Ordinal)))
                continue;
            var parts = line.Split(' ');
            if (parts.Length != 2)
                throw new FormatException($"{mergesSource}: line {lineNumber}: expected \"left right\", got " +
                    $"\"{line}\"");
            int Id(string token) => vocab.TryGetValue(token, out int id) ? id : throw new FormatException(
                $"{mergesSource}: line {lineNumber}: token \"{token}\" is not in {vocabSource}");
            merges.Add((Id(parts[0]), Id(parts[1]), Id(parts[0] + parts[1])));
        }
        return new BpeTokenizer(tokens, merges, specials, mergesSource);
    }

    // A special token is written as itself, e.g. <|endoftext|>; ordinary tokens never start with "<|" and end with
    // "|>" in byte-level form unless they really are those bytes, which GPT-2's vocabulary does not hold.
    private static bool IsSpecial(string text) =>
        text.Length > 4 && text.StartsWith("<|", StringComparison.Ordinal) &&
        text.EndsWith("|>", StringComparison.Ordinal);

    /// <summary>GPT-2's own vocabulary (50,257 ids) rebuilt as merges from the ranks that
    /// <c>Microsoft.ML.Tokenizers</c> ships in its GPT-2 data package: each multi-byte token, in rank order, is
    /// encoded with the merges found so far and must come out as exactly two tokens, which its merge joins.</summary>
    public static BpeTokenizer FromGpt2()
    {
        var library = Gpt2Tokenizer.Shared;
        var tokens = new byte[]?[library.VocabSize];
        foreach (var (bytes, id) in library.Ranks()) tokens[id] = bytes;
        var specials = new HashSet<int>();
        foreach (var (text, id) in library.Specials)
        {
            tokens[id] = Encoding.UTF8.GetBytes(text);
            specials.Add(id);
        }
        var byteId = new int[256];
        for (int id = 0; id < tokens.Length; id++)
        {
            if (tokens[id] is { Length: 1 } b) byteId[b[0]] = id;
        }
        var merges = new List<(int, int, int)>();
        var ranks = new Dictionary<long, (int Rank, int Result)>();
        for (int id = 0; id < tokens.Length; id++)
        {
            if (tokens[id] is not { Length: > 1 } t || specials.Contains(id)) continue;
            var parts = MergeAll(t.Select(b => byteId[b]).ToArray(), ranks);
            if (parts.Length != 2)
                throw new FormatException($"GPT-2 vocabulary: token {id} splits into {parts.Length} earlier tokens, " +
                    "not two, so it is not a BPE merge");
            ranks.TryAdd(Key(parts[0], parts[1]), (merges.Count, id));
            merges.Add((parts[0], parts[1], id));
        }
        return new BpeTokenizer(tokens, merges, specials, "GPT-2 vocabulary");
    }
}
