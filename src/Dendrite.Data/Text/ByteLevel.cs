using System.Text.RegularExpressions;

namespace Dendrite.Data;

/// <summary>
/// GPT-2's byte-level conventions (Radford et al. 2019, "Language Models are Unsupervised Multitask Learners";
/// reference: openai/gpt-2 <c>encoder.py</c>). Each byte 0–255 is written as one printable character so that a
/// vocabulary of byte strings can be stored as text (vocab.json, merges.txt): printable Latin-1 bytes stand for
/// themselves and the others (controls, space, 0x7F–0xA0, 0xAD) become U+0100 onwards, in byte order, so a space is
/// 'Ġ' and a newline 'Ċ'. Text is first split into words by GPT-2's regular expression (contractions, letters with
/// one leading space, digits, other symbols, whitespace), and merges never cross a word boundary.
/// </summary>
public static partial class ByteLevel
{
    private static readonly char[] ToChar = new char[256];
    private static readonly Dictionary<char, byte> ToByte = [];
    private static readonly byte[] BaseOrder = new byte[256];

#pragma warning disable CA1810 // the three tables are filled together in one pass
    static ByteLevel()
#pragma warning restore CA1810
    {
        static bool Printable(int b) => b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
        int position = 0;
        for (int b = 0; b < 256; b++)
        {
            if (!Printable(b)) continue;
            ToChar[b] = (char)b;
            BaseOrder[position++] = (byte)b;
        }
        int shifted = 0;
        for (int b = 0; b < 256; b++)
        {
            if (Printable(b)) continue;
            ToChar[b] = (char)(256 + shifted++);
            BaseOrder[position++] = (byte)b;
        }
        for (int b = 0; b < 256; b++) ToByte[ToChar[b]] = (byte)b;
    }

    /// <summary>The printable character that stands for byte <paramref name="b"/> in vocab.json and
    /// merges.txt.</summary>
    public static char ByteToChar(byte b) => ToChar[b];

    /// <summary>The byte that character <paramref name="c"/> stands for, or false when it stands for none.</summary>
    public static bool TryCharToByte(char c, out byte b) => ToByte.TryGetValue(c, out b);

    /// <summary>The 256 bytes in the order of GPT-2's first 256 ids (printable bytes first): id i is byte
    /// <c>BaseVocabularyOrder[i]</c>.</summary>
    public static ReadOnlySpan<byte> BaseVocabularyOrder => BaseOrder;

    /// <summary>Bytes written as their printable characters.</summary>
    public static string ToText(ReadOnlySpan<byte> bytes)
    {
        var chars = new char[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) chars[i] = ToChar[bytes[i]];
        return new string(chars);
    }

    /// <summary>The bytes that a vocabulary string stands for; throws naming <paramref name="where"/> when a
    /// character stands for no byte.</summary>
    public static byte[] FromText(string text, string where)
    {
        ArgumentNullException.ThrowIfNull(text);
        var bytes = new byte[text.Length];
        for (int i = 0; i < text.Length; i++)
        {
            if (!ToByte.TryGetValue(text[i], out bytes[i]))
                throw new FormatException($"{where}: token \"{text}\" has character U+{(int)text[i]:X4} at " +
                    $"position {i}, which stands for no byte in GPT-2's byte-level alphabet");
        }
        return bytes;
    }

    /// <summary>GPT-2's pre-tokenisation pattern.</summary>
    [GeneratedRegex(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+",
        RegexOptions.CultureInvariant)]
    public static partial Regex Pattern();

    /// <summary>The words of <paramref name="text"/> as (start, length) ranges that cover it end to end, in order.
    /// The pattern's alternatives cover every character, so gaps never occur; a gap would still be returned as a
    /// word of its own so that no text is ever dropped.</summary>
    public static List<(int Start, int Length)> Split(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var words = new List<(int, int)>();
        int at = 0;
        foreach (var match in Pattern().EnumerateMatches(text))
        {
            if (match.Index > at) words.Add((at, match.Index - at));
            words.Add((match.Index, match.Length));
            at = match.Index + match.Length;
        }
        if (at < text.Length) words.Add((at, text.Length - at));
        return words;
    }
}
