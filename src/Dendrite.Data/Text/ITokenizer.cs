using System.Text;

namespace Dendrite.Data;

// Tokenizers turn text into the integer ids a language model reads and back. Every tokenizer here works on the
// UTF-8 bytes of the text in the end, so that decoding the ids of any text gives that text back exactly, and a
// generated token stream can be turned into text as it comes (TokenTextStream) even when a character spans tokens.
// Kinds: "bytes" (the 256 byte values), "chars" (one id per character seen in a corpus), "bpe" (byte-level BPE,
// trained here or loaded from GPT-2's vocab.json + merges.txt) and "gpt2" (GPT-2's own vocabulary, through
// Microsoft.ML.Tokenizers). A checkpoint names its tokenizer in metadata (see Tokenizers.ToMetadata).

/// <summary>Text ↔ token ids, with an exact round trip: <c>Decode(Encode(s)) == s</c> for every string that is
/// valid UTF-16 (every string that came from UTF-8).</summary>
public interface ITokenizer
{
    /// <summary>The kind written to a checkpoint's <c>tokenizer</c> metadata key: bytes, chars, bpe or gpt2.</summary>
    string Kind { get; }

    /// <summary>Number of ids: every id is in [0, VocabSize).</summary>
    int VocabSize { get; }

    /// <summary>The ids of <paramref name="text"/>.</summary>
    int[] Encode(string text);

    /// <summary>The UTF-8 bytes that token <paramref name="id"/> stands for.</summary>
    ReadOnlySpan<byte> TokenBytes(int id);

    /// <summary>Everything needed to rebuild this tokenizer, as string metadata (a checkpoint stores it).</summary>
    IReadOnlyDictionary<string, string> ToMetadata();
}

/// <summary>Decoding, rebuilding from metadata and the common checks of every <see cref="ITokenizer"/>.</summary>
public static class Tokenizers
{
    /// <summary>The metadata key naming a tokenizer's kind.</summary>
    public const string KindKey = "tokenizer";

    /// <summary>The text of <paramref name="ids"/>: the tokens' bytes joined, read as UTF-8 (bytes that are not
    /// valid UTF-8, from a sampled sequence, become U+FFFD).</summary>
    public static string Decode(this ITokenizer tokenizer, IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(ids);
        var bytes = new List<byte>();
        foreach (int id in ids) bytes.AddRange(tokenizer.TokenBytes(id));
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    /// <summary>The mean number of UTF-8 bytes per token of <paramref name="text"/>: the compression ratio.</summary>
    public static double BytesPerToken(this ITokenizer tokenizer, string text)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        int tokens = tokenizer.Encode(text).Length;
        return tokens == 0 ? 0 : (double)Encoding.UTF8.GetByteCount(text) / tokens;
    }

    /// <summary>Rebuilds the tokenizer that <see cref="ITokenizer.ToMetadata"/> wrote (other keys are ignored).
    /// Throws naming the kind or key when the metadata has none or is malformed.</summary>
    public static ITokenizer FromMetadata(IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        if (!metadata.TryGetValue(KindKey, out var kind))
            throw new ArgumentException($"tokenizer: the metadata has no '{KindKey}' key (bytes, chars, bpe or gpt2)");
        return kind switch
        {
            ByteTokenizer.KindName => new ByteTokenizer(),
            CharTokenizer.KindName => CharTokenizer.FromMetadata(metadata),
            BpeTokenizer.KindName => BpeTokenizer.FromMetadata(metadata),
            Gpt2Tokenizer.KindName => Gpt2Tokenizer.Shared,
            _ => throw new ArgumentException($"tokenizer: unknown kind '{kind}' in metadata key '{KindKey}' " +
                "(known: bytes, chars, bpe, gpt2)"),
        };
    }

    /// <summary>Throws naming the tokenizer, the id and the vocabulary size when <paramref name="id"/> is out of
    /// range.</summary>
    internal static void CheckId(ITokenizer tokenizer, int id)
    {
        if ((uint)id >= (uint)tokenizer.VocabSize)
            throw new ArgumentOutOfRangeException(nameof(id),
                $"{tokenizer.Kind} tokenizer: id {id} is outside [0, {tokenizer.VocabSize})");
    }

    internal static string Required(IReadOnlyDictionary<string, string> metadata, string key, string kind) =>
        metadata.TryGetValue(key, out var value)
            ? value
            : throw new ArgumentException($"{kind} tokenizer: the metadata has no '{key}' key");
}

/// <summary>Turns a stream of token ids into text as they come: bytes of a character split across tokens are held
/// until the character is complete.</summary>
public sealed class TokenTextStream(ITokenizer tokenizer)
{
    private readonly Decoder decoder = new UTF8Encoding(false, false).GetDecoder();
    private readonly char[] buffer = new char[64];

    /// <summary>The text that token <paramref name="id"/> completes (empty while a character is unfinished).</summary>
    public string Push(int id)
    {
        var bytes = tokenizer.TokenBytes(id);
        var text = new StringBuilder();
        while (true)
        {
            decoder.Convert(bytes, buffer, false, out int used, out int written, out _);
            text.Append(buffer, 0, written);
            bytes = bytes[used..];
            if (bytes.IsEmpty) break;
        }
        return text.ToString();
    }

    /// <summary>Whatever is still held (an unfinished character becomes U+FFFD).</summary>
    public string Flush()
    {
        int written = decoder.GetChars([], buffer, flush: true);
        return new string(buffer, 0, written);
    }
}
