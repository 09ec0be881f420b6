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

    /// <summary>The default ceiling on the tensor a file may produce: 1 GiB (Fashion-MNIST's training images take
    /// 188 MB as Float32).</summary>
    public const long DefaultMaxBytes = 1L << 30;

    /// <summary>Reads an IDX file into a tensor: unsigned/signed bytes, shorts and ints become Int64 (or Float32
    /// with <paramref name="asFloat"/>), floats Float32, doubles Float64. A file whose tensor would take more
    /// than <paramref name="maxBytes"/> is refused from its header, before its data is decompressed or
    /// allocated.</summary>
    public static Tensor Read(string path, bool asFloat = false, long maxBytes = DefaultMaxBytes) =>
        Parse(path, ReadFile(path, asFloat, maxBytes), asFloat, maxBytes);

    /// <summary>Reads an unsigned-byte IDX file (element type 0x08, as MNIST's images and labels) without
    /// widening: the bytes and the shape. <paramref name="maxBytes"/> bounds the bytes, checked from the
    /// header.</summary>
    public static (byte[] Data, int[] Shape) ReadBytes(string path, long maxBytes = DefaultMaxBytes)
    {
        // As Float32 the budget counts 4 bytes an element; bytes take one.
        var bytes = ReadFile(path, asFloat: true, maxBytes * 4);
        var (type, _, shape, count, start) = Header(path, bytes, asFloat: true, maxBytes * 4);
        if (type != 0x08)
            throw new DataFormatException($"{path}: offset 2: element type 0x{type:x2} is not unsigned byte (0x08)");
        if (bytes.Length - start < count)
            throw new DataFormatException(
                $"{path}: offset {start}: data of shape {Shapes.Format(shape)} needs {count} bytes, file has {bytes.Length - start}");
        return (bytes.AsSpan(start, (int)count).ToArray(), shape);
    }

    // The file's bytes, decompressed when it is gzip (only as much as its header announces).
    private static byte[] ReadFile(string path, bool asFloat, long maxBytes)
    {
        try
        {
            var bytes = File.ReadAllBytes(path);
            return bytes.Length >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b ? Gunzip(path, bytes, asFloat, maxBytes) : bytes;
        }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
        {
            throw new DataFormatException($"{path}: cannot read: {e.Message}");
        }
    }

    // Decompresses the header first, and then only the data it announces (once its size passed the checks): a
    // small archive can expand to gigabytes, and a header claiming one element needs only a few bytes of data.
    private static byte[] Gunzip(string path, byte[] gz, bool asFloat, long maxBytes)
    {
        try
        {
            using var input = new GZipStream(new MemoryStream(gz), CompressionMode.Decompress);
            var head = new byte[4 + 4 * 255];
            int got = input.ReadAtLeast(head.AsSpan(0, 4), 4, throwOnEndOfStream: false);
            if (got == 4 && head[0] == 0 && head[1] == 0)
                got += input.ReadAtLeast(head.AsSpan(4, 4 * head[3]), 4 * head[3], throwOnEndOfStream: false);
            var h = Header(path, head.AsSpan(0, got), asFloat, maxBytes);
            var all = new byte[h.Start + h.Count * h.Size];
            head.AsSpan(0, got).CopyTo(all);
            int data = input.ReadAtLeast(all.AsSpan(got), all.Length - got, throwOnEndOfStream: false);
            return data == all.Length - got ? all : all[..(got + data)];
        }
        catch (InvalidDataException e)
        {
            throw new DataFormatException($"{path}: corrupt gzip stream: {e.Message}");
        }
    }

    private readonly record struct IdxHeader(byte Type, int Size, int[] Shape, long Count, int Start);

    // Magic, element type and sizes, checked against the element limit and the caller's byte budget; the data
    // length is checked by the caller.
    private static IdxHeader Header(string name, ReadOnlySpan<byte> b, bool asFloat, long maxBytes)
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
        int outSize = type == 0x0E ? 8 : type == 0x0D || asFloat ? 4 : 8;
        if (count * outSize > maxBytes)
            throw new DataFormatException($"{name}: offset 4: shape {Shapes.Format(shape)} makes a tensor of " +
                $"{count * outSize:N0} bytes, more than the limit of {maxBytes:N0} (the maxBytes argument)");
        return new(type, size, shape, count, 4 + 4 * rank);
    }

    /// <summary>Parses IDX bytes; <paramref name="name"/> is used in errors, and a tensor past
    /// <paramref name="maxBytes"/> is refused before it is allocated.</summary>
    public static Tensor Parse(string name, ReadOnlySpan<byte> b, bool asFloat = false,
        long maxBytes = DefaultMaxBytes)
    {
        var (type, size, shape, count, start) = Header(name, b, asFloat, maxBytes);
        long need = count * size;
        if (b.Length - start < need)
            throw new DataFormatException(
                $"{name}: offset {start}: data of shape {Shapes.Format(shape)} needs {need} bytes, file has {b.Length - start}");
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
