using System.Buffers.Binary;
using System.IO.Compression;

namespace Dendrite.Data;

/// <summary>A file that does not hold what its format requires; the message names the file, the byte offset and
/// the field.</summary>
public sealed class DataFormatException(string message) : Exception(message);

/// <summary>
/// Reader for the IDX format of MNIST and Fashion-MNIST (gzip-compressed or raw): magic 0x0000 TT NN (TT the
/// element type, NN the number of dimensions), NN big-endian int32 sizes, then the data in row-major order.
/// Every size is checked against the bytes actually present before anything is allocated.
/// </summary>
public static class Idx
{
    private const int MaxElements = 1 << 30;

    /// <summary>Reads an IDX file into a tensor: unsigned/signed bytes, shorts and ints become Int64 (or Float32
    /// with <paramref name="asFloat"/>), floats Float32, doubles Float64.</summary>
    public static Tensor Read(string path, bool asFloat = false)
    {
        return Parse(path, ReadFile(path), asFloat);
    }

    // The file's bytes, decompressed when it is gzip.
    private static byte[] ReadFile(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
            if (bytes.Length >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b) bytes = Gunzip(path, bytes);
        }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
        {
            throw new DataFormatException($"{path}: cannot read: {e.Message}");
        }
        return bytes;
    }

    // The largest decompressed file accepted: a header plus MaxElements bytes (the element limit of u8 data).
    private const long MaxDecompressed = MaxElements + 4 + 4 * 255;

    private static byte[] Gunzip(string path, byte[] gz)
    {
        try
        {
            using var input = new GZipStream(new MemoryStream(gz), CompressionMode.Decompress);
            using var output = new MemoryStream();
            var buffer = new byte[1 << 16];
            int n;
            while ((n = input.Read(buffer)) > 0)
            {
                // A small archive can expand without bound; stop before memory runs out.
                if (output.Length + n > MaxDecompressed)
                    throw new DataFormatException($"{path}: gzip stream expands beyond {MaxDecompressed} bytes");
                output.Write(buffer, 0, n);
            }
            return output.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new DataFormatException($"{path}: corrupt gzip stream: {e.Message}");
        }
    }

    /// <summary>Reads an unsigned-byte IDX file (element type 0x08, as MNIST's images and labels) without
    /// widening: the bytes and the shape.</summary>
    public static (byte[] Data, int[] Shape) ReadBytes(string path)
    {
        var bytes = ReadFile(path);
        var (type, shape, start, count) = Header(path, bytes);
        if (type != 0x08)
            throw new DataFormatException($"{path}: offset 2: element type 0x{type:x2} is not unsigned byte (0x08)");
        return (bytes.AsSpan(start, (int)count).ToArray(), shape);
    }

    /// <summary>Parses IDX bytes; <paramref name="name"/> is used in errors.</summary>
    public static Tensor Parse(string name, ReadOnlySpan<byte> b, bool asFloat = false)
    {
        var (type, shape, start, count) = Header(name, b);
        int size = type switch
        {
            0x08 or 0x09 => 1,
            0x0B => 2,
            0x0C or 0x0D => 4,
            _ => 8,
        };
        long need = count * size;
        var data = b.Slice(start, (int)need);
        int n = (int)count;
        if (type == 0x0D)
        {
            var f = new float[n];
            for (int i = 0; i < n; i++) f[i] = BinaryPrimitives.ReadSingleBigEndian(data.Slice(4 * i));
            return Tensor.From(f, shape);
        }
        if (type == 0x0E)
        {
            var d = new double[n];
            for (int i = 0; i < n; i++) d[i] = BinaryPrimitives.ReadDoubleBigEndian(data.Slice(8 * i));
            return Tensor.From(d, shape);
        }
        if (asFloat)
        {
            var f = new float[n];
            for (int i = 0; i < n; i++) f[i] = ReadInt(data, type, i);
            return Tensor.From(f, shape);
        }
        var l = new long[n];
        for (int i = 0; i < n; i++) l[i] = ReadInt(data, type, i);
        return Tensor.From(l, shape);
    }

    // The header checked against the bytes present: element type, shape, where the data starts, element count.
    private static (byte Type, int[] Shape, int Start, long Count) Header(string name, ReadOnlySpan<byte> b)
    {
        if (b.Length < 4) throw new DataFormatException($"{name}: offset 0: header needs 4 bytes, file has {b.Length}");
        if (b[0] != 0 || b[1] != 0)
            throw new DataFormatException($"{name}: offset 0: magic must start with two zero bytes, found 0x{b[0]:x2}{b[1]:x2}");
        byte type = b[2];
        int rank = b[3];
        int size = type switch
        {
            0x08 or 0x09 => 1,
            0x0B => 2,
            0x0C or 0x0D => 4,
            0x0E => 8,
            _ => throw new DataFormatException($"{name}: offset 2: unknown element type 0x{type:x2}"),
        };
        if (b.Length < 4 + 4 * rank)
            throw new DataFormatException($"{name}: offset 4: {rank} dimension sizes need {4 * rank} bytes, file has {b.Length - 4}");
        var shape = new int[rank];
        long count = 1;
        for (int i = 0; i < rank; i++)
        {
            int d = BinaryPrimitives.ReadInt32BigEndian(b.Slice(4 + 4 * i));
            if (d < 0) throw new DataFormatException($"{name}: offset {4 + 4 * i}: dimension {i} is negative ({d})");
            shape[i] = d;
            count *= d;
            if (count > MaxElements) throw new DataFormatException($"{name}: offset {4 + 4 * i}: shape {Shapes.Format(shape[..(i + 1)])} is too large");
        }
        int start = 4 + 4 * rank;
        long need = count * size;
        if (b.Length - start < need)
            throw new DataFormatException(
                $"{name}: offset {start}: data of shape {Shapes.Format(shape)} needs {need} bytes, file has {b.Length - start}");
        return (type, shape, start, count);
    }

    private static int ReadInt(ReadOnlySpan<byte> data, byte type, int i) => type switch
    {
        0x08 => data[i],
        0x09 => (sbyte)data[i],
        0x0B => BinaryPrimitives.ReadInt16BigEndian(data.Slice(2 * i)),
        _ => BinaryPrimitives.ReadInt32BigEndian(data.Slice(4 * i)),
    };

    /// <summary>Writes an unsigned-byte IDX file (values must lie in 0..255), gzip-compressed when the path ends
    /// in .gz.</summary>
    public static void WriteBytes(string path, Tensor t)
    {
        var v = t.ToArray<long>();
        using var ms = new MemoryStream();
        ms.Write([0, 0, 0x08, (byte)t.Rank]);
        Span<byte> dim = stackalloc byte[4];
        foreach (int d in t.Shape)
        {
            BinaryPrimitives.WriteInt32BigEndian(dim, d);
            ms.Write(dim);
        }
        foreach (long x in v)
        {
            if (x is < 0 or > 255) throw new ArgumentException($"Idx.WriteBytes: value {x} does not fit in a byte");
            ms.WriteByte((byte)x);
        }
        var bytes = ms.ToArray();
        AtomicFile.Write(path, f =>
        {
            if (!path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
            {
                f.Write(bytes);
                return;
            }
            using var gz = new GZipStream(f, CompressionLevel.SmallestSize, leaveOpen: true);
            gz.Write(bytes);
        });
    }
}
