using System.Text;

namespace Dendrite.Data;

/// <summary>The 256 byte values as tokens: id b is byte b of the text's UTF-8. Needs no training and reads any
/// text; sequences are as long as the text has bytes.</summary>
public sealed class ByteTokenizer : ITokenizer
{
    /// <summary>The kind name in checkpoint metadata.</summary>
    public const string KindName = "bytes";

    private static readonly byte[] Bytes = Enumerable.Range(0, 256).Select(b => (byte)b).ToArray();

    /// <inheritdoc/>
    public string Kind => KindName;

    /// <inheritdoc/>
    public int VocabSize => 256;

    /// <inheritdoc/>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Encoding.UTF8.GetBytes(text).Select(b => (int)b).ToArray();
    }

    /// <inheritdoc/>
    public ReadOnlySpan<byte> TokenBytes(int id)
    {
        Tokenizers.CheckId(this, id);
        return Bytes.AsSpan(id, 1);
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, string> ToMetadata() =>
        new Dictionary<string, string> { [Tokenizers.KindKey] = KindName };
}
