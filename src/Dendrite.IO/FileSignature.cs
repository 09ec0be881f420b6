namespace Dendrite.IO;

/// <summary>Names the format of a file from its first bytes, so that an error for a file given in the wrong place
/// can say what the file looks like ("it starts like a PNG image") instead of reporting a nonsense field.</summary>
public static class FileSignature
{
    /// <summary>How many leading bytes <see cref="Describe"/> looks at.</summary>
    public const int Length = 16;

    /// <summary>A short description of a known format ("a PNG image", "a zip archive (a PyTorch .pt/.pth file is
    /// one)"), or null when the bytes match none.</summary>
    public static string? Describe(ReadOnlySpan<byte> head)
    {
        if (Starts(head, [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])) return "a PNG image";
        if (Starts(head, [0xFF, 0xD8, 0xFF])) return "a JPEG image";
        if (head.StartsWith("GIF8"u8)) return "a GIF image";
        if (head.StartsWith("BM"u8) && head.Length >= 6) return "a BMP image";
        if (head.StartsWith("RIFF"u8) && head.Length >= 12 && head[8..12].SequenceEqual("WEBP"u8)) return "a WebP image";
        if (Starts(head, [0x1F, 0x8B])) return "a gzip file (an IDX data set is often one)";
        if (Starts(head, [0x50, 0x4B, 0x03, 0x04])) return "a zip archive (a PyTorch .pt/.pth file is one)";
        if (head.Length >= 2 && head[0] == 0x80 && head[1] is >= 2 and <= 5) return "a Python pickle (an old PyTorch file)";
        if (Starts(head, [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59])) return "a NumPy .npy array";
        if (Starts(head, [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A])) return "an HDF5 file (a Keras .h5 model is one)";
        if (IsIdx(head)) return "an IDX file (MNIST format)";
        if (head.Length >= 2 && head[0] == 0x08 && IsVarintStart(head[1])) return "a protobuf message (an ONNX model is one)";
        int i = 0;
        while (i < head.Length && head[i] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n') i++;
        if (i < head.Length && head[i] is (byte)'{' or (byte)'[') return "a JSON document";
        if (head.Length > 0 && IsText(head)) return "a text file";
        return null;
    }

    /// <summary>Whether the bytes start an IDX file: two zero bytes, an element type code, 1 to 4 dimensions.</summary>
    public static bool IsIdx(ReadOnlySpan<byte> head) =>
        head.Length >= 4 && head[0] == 0 && head[1] == 0 && head[2] is 0x08 or 0x09 or 0x0B or 0x0C or 0x0D or 0x0E
        && head[3] is >= 1 and <= 4;

    private static bool Starts(ReadOnlySpan<byte> head, ReadOnlySpan<byte> signature) => head.StartsWith(signature);

    // An ONNX ModelProto starts with field 1 (ir_version, varint): tag 0x08 then a small version number.
    private static bool IsVarintStart(byte b) => b is >= 1 and <= 20;

    private static bool IsText(ReadOnlySpan<byte> head)
    {
        foreach (byte b in head)
        {
            if (b < 0x09 || (b > 0x0D && b < 0x20 && b != 0x1B)) return false;
        }
        return true;
    }
}
