using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace Dendrite.IO;

/// <summary>A safetensors file that breaks the format; the message names the file, byte offset and field.</summary>
public sealed class SafetensorsFormatException : Exception
{
    /// <summary>Creates the exception with a message naming file and field.</summary>
    public SafetensorsFormatException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message naming file and field, and the cause.</summary>
    public SafetensorsFormatException(string message, Exception inner) : base(message, inner)
    {
    }
}

/// <summary>
/// The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON header mapping each name
/// to {dtype, shape, data_offsets} (plus an optional "__metadata__" of strings), then the raw little-endian data.
/// Files are untrusted: every offset and size is checked against the file before anything is allocated, and
/// nothing in a file is executed. Writes go to a temporary file that is flushed and renamed over the target, so a
/// crash never leaves a torn file.
/// </summary>
public static class Safetensors
{
    private const long MaxHeader = 100_000_000;

    /// <summary>Writes tensors (and string metadata) atomically. Float32, Float64, Int64 and Bool map to F32, F64,
    /// I64 and BOOL.</summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        var names = tensors.Keys.OrderBy(k => k, StringComparer.Ordinal).ToList();
        using var header = new MemoryStream();
        long offset = 0;
        using (var w = new Utf8JsonWriter(header))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata) w.WriteString(k, v);
                w.WriteEndObject();
            }
            foreach (var name in names)
            {
                if (name == "__metadata__") throw new ArgumentException("Safetensors: '__metadata__' is reserved");
                var t = tensors[name];
                long bytes = (long)t.Numel * t.DType.SizeOf();
                w.WriteStartObject(name);
                w.WriteString("dtype", Code(t.DType));
                w.WriteStartArray("shape");
                foreach (int d in t.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + bytes);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += bytes;
            }
            w.WriteEndObject();
        }
        // Pad the header with spaces to a multiple of 8 so the data starts aligned.
        while (header.Length % 8 != 0) header.WriteByte((byte)' ');
        AtomicFile.Write(path, stream =>
        {
            Span<byte> len = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)header.Length);
            stream.Write(len);
            header.Position = 0;
            header.CopyTo(stream);
            foreach (var name in names) WriteData(stream, tensors[name]);
        });
    }

    private static void WriteData(Stream s, Tensor t)
    {
        var c = t.Contiguous();
        switch (t.DType)
        {
            case DType.Float32: s.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(c.AsReadOnlySpan<float>())); break;
            case DType.Float64: s.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(c.AsReadOnlySpan<double>())); break;
            case DType.Int64: s.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(c.AsReadOnlySpan<long>())); break;
            default: s.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(c.AsReadOnlySpan<bool>())); break;
        }
    }

    private static string Code(DType d) => d switch
    {
        DType.Float32 => "F32",
        DType.Float64 => "F64",
        DType.Int64 => "I64",
        _ => "BOOL",
    };

    private static string NotSafetensors(string path, ReadOnlySpan<byte> head, long fileLength)
    {
        string what = FileSignature.Describe(head) is { } kind ? $"it starts like {kind}" : "its first bytes match no known format";
        return $"{path}: not a safetensors file ({fileLength} bytes; a safetensors file starts with an 8-byte header " +
            $"length and a JSON header '{{'): {what}";
    }

    /// <summary>Reads every tensor and the metadata. F16 and BF16 are widened to Float32; I8, U8, I16, I32 and U32 to
    /// Int64.</summary>
    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) Load(string path)
    {
        // Only the format's exception (or the file system's) leaves: a runtime exception the checks above missed
        // still names the file.
        try
        {
            return LoadChecked(path);
        }
        catch (Exception e) when (e is IndexOutOfRangeException or NullReferenceException or KeyNotFoundException
            or OverflowException or ArgumentException or InvalidCastException or FormatException
            or EndOfStreamException)
        {
            throw new SafetensorsFormatException($"{path}: unreadable safetensors ({e.GetType().Name}: {e.Message})",
                e);
        }
    }

    private static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) LoadChecked(
        string path)
    {
        using var f = File.OpenRead(path);
        long fileLength = f.Length;
        Span<byte> head = stackalloc byte[(int)Math.Min(FileSignature.Length, fileLength)];
        f.ReadExactly(head);
        if (fileLength < 8) throw new SafetensorsFormatException(NotSafetensors(path, head, fileLength));
        ulong headerLen = BinaryPrimitives.ReadUInt64LittleEndian(head);
        if (headerLen > MaxHeader || (long)headerLen > fileLength - 8)
        {
            // A safetensors file has its JSON header's opening brace right after the length; without it the file is
            // something else, and its "length" is just its first eight bytes.
            if (fileLength < 9 || head[8] != (byte)'{')
                throw new SafetensorsFormatException(NotSafetensors(path, head, fileLength));
            throw new SafetensorsFormatException($"{path}: offset 0: header length {headerLen} exceeds the file ({fileLength - 8} bytes follow)");
        }
        var headerBytes = new byte[headerLen];
        f.Position = 8;
        f.ReadExactly(headerBytes);
        long dataStart = 8 + (long)headerLen, dataLength = fileLength - dataStart;
        var entries = new List<(string Name, string DType, int[] Shape, long Begin, long End)>();
        var metadata = new Dictionary<string, string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            using var doc = JsonDocument.Parse(headerBytes, new JsonDocumentOptions { MaxDepth = 8 });
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new SafetensorsFormatException($"{path}: offset 8: header is not a JSON object");
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (prop.Name == "__metadata__")
                {
                    foreach (var m in prop.Value.EnumerateObject())
                        metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()! : m.Value.GetRawText();
                    continue;
                }
                if (!seen.Add(prop.Name))
                    throw new SafetensorsFormatException($"{path}: offset 8: tensor '{prop.Name}' appears twice");
                entries.Add(ParseEntry(path, prop));
            }
        }
        catch (JsonException e)
        {
            throw new SafetensorsFormatException($"{path}: offset 8: header is not valid JSON: {e.Message}");
        }
        catch (InvalidOperationException e)
        {
            throw new SafetensorsFormatException($"{path}: offset 8: header has an unexpected structure: {e.Message}");
        }
        var result = new Dictionary<string, Tensor>();
        long expected = 0;
        foreach (var e in entries.OrderBy(e => e.Begin))
        {
            if (e.Begin != expected)
                throw new SafetensorsFormatException(
                    $"{path}: offset {dataStart + e.Begin}: tensor '{e.Name}' data_offsets start at {e.Begin}, "
                    + $"expected {expected} (gap or overlap)");
            if (e.End > dataLength)
                throw new SafetensorsFormatException(
                    $"{path}: tensor '{e.Name}' data_offsets end at {e.End}, but only {dataLength} data bytes follow the header");
            expected = e.End;
        }
        if (expected != dataLength)
            throw new SafetensorsFormatException($"{path}: {dataLength - expected} bytes after the last tensor are not described by the header");
        foreach (var e in entries)
        {
            var buffer = new byte[e.End - e.Begin];
            f.Seek(dataStart + e.Begin, SeekOrigin.Begin);
            f.ReadExactly(buffer);
            result[e.Name] = Decode(e.DType, e.Shape, buffer);
        }
        return (result, metadata);
    }

    private static (string, string, int[], long, long) ParseEntry(string path, JsonProperty prop)
    {
        string where = $"{path}: tensor '{prop.Name}'";
        var v = prop.Value;
        if (v.ValueKind != JsonValueKind.Object) throw new SafetensorsFormatException($"{where}: entry is not an object");
        if (!v.TryGetProperty("dtype", out var dt) || dt.ValueKind != JsonValueKind.String)
            throw new SafetensorsFormatException($"{where}: field 'dtype' missing");
        if (!v.TryGetProperty("shape", out var sh) || sh.ValueKind != JsonValueKind.Array)
            throw new SafetensorsFormatException($"{where}: field 'shape' missing");
        if (!v.TryGetProperty("data_offsets", out var off) || off.ValueKind != JsonValueKind.Array || off.GetArrayLength() != 2)
            throw new SafetensorsFormatException($"{where}: field 'data_offsets' must be [begin, end]");
        string code = dt.GetString()!;
        int size = ElementSize(code) ?? throw new SafetensorsFormatException($"{where}: field 'dtype': unsupported type '{code}'");
        var shape = new List<int>();
        long numel = 1;
        foreach (var d in sh.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long x) || x < 0 || x > int.MaxValue)
                throw new SafetensorsFormatException($"{where}: field 'shape': invalid dimension {d.GetRawText()}");
            shape.Add((int)x);
            numel *= x;
            if (numel > int.MaxValue) throw new SafetensorsFormatException($"{where}: field 'shape': too many elements");
        }
        long begin = -1, end = -1;
        bool numbers = off[0].ValueKind == JsonValueKind.Number && off[1].ValueKind == JsonValueKind.Number;
        if (!numbers || !off[0].TryGetInt64(out begin) || !off[1].TryGetInt64(out end) || begin < 0 || end < begin)
            throw new SafetensorsFormatException($"{where}: field 'data_offsets': invalid range {off.GetRawText()}");
        if (end - begin != numel * size)
            throw new SafetensorsFormatException(
                $"{where}: field 'data_offsets': {end - begin} bytes, but {code} of shape {Shapes.Format(shape.ToArray())} needs {numel * size}");
        return (prop.Name, code, shape.ToArray(), begin, end);
    }

    private static int? ElementSize(string code) => code switch
    {
        "F64" or "I64" => 8,
        "F32" or "I32" or "U32" => 4,
        "F16" or "BF16" or "I16" => 2,
        "I8" or "U8" or "BOOL" => 1,
        _ => null,
    };

    private static Tensor Decode(string code, int[] shape, byte[] b)
    {
        int n = Shapes.Numel(shape);
        ReadOnlySpan<byte> s = b;
        switch (code)
        {
            case "F32":
                {
                    var v = new float[n];
                    for (int i = 0; i < n; i++) v[i] = BinaryPrimitives.ReadSingleLittleEndian(s.Slice(4 * i));
                    return Tensor.From(v, shape);
                }
            case "F64":
                {
                    var v = new double[n];
                    for (int i = 0; i < n; i++) v[i] = BinaryPrimitives.ReadDoubleLittleEndian(s.Slice(8 * i));
                    return Tensor.From(v, shape);
                }
            case "F16":
                {
                    var v = new float[n];
                    for (int i = 0; i < n; i++) v[i] = (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(s.Slice(2 * i)));
                    return Tensor.From(v, shape);
                }
            case "BF16":
                {
                    var v = new float[n];
                    for (int i = 0; i < n; i++) v[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(s.Slice(2 * i)) << 16);
                    return Tensor.From(v, shape);
                }
            case "BOOL":
                {
                    var v = new bool[n];
                    for (int i = 0; i < n; i++) v[i] = b[i] != 0;
                    return Tensor.From(v, shape);
                }
            default:
                {
                    var v = new long[n];
                    for (int i = 0; i < n; i++)
                    {
                        v[i] = code switch
                        {
                            "I64" => BinaryPrimitives.ReadInt64LittleEndian(s.Slice(8 * i)),
                            "I32" => BinaryPrimitives.ReadInt32LittleEndian(s.Slice(4 * i)),
                            "U32" => BinaryPrimitives.ReadUInt32LittleEndian(s.Slice(4 * i)),
                            "I16" => BinaryPrimitives.ReadInt16LittleEndian(s.Slice(2 * i)),
                            "I8" => (sbyte)b[i],
                            _ => b[i],
                        };
                    }
                    return Tensor.From(v, shape);
                }
        }
    }
}
