using System.Buffers.Binary;
using Google.Protobuf;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Dendrite.IO;

/// <summary>
/// Conversion between ONNX <c>TensorProto</c> and <see cref="Tensor"/>. Files are untrusted: every dimension and
/// every byte count is checked against the data actually present before anything is allocated, and a mismatch
/// fails with the file, the tensor name and the field. Integer types narrower than 64 bits widen to Int64.
/// </summary>
public static class OnnxTensor
{
    /// <summary>Reads a serialized <c>TensorProto</c> (an <c>input_N.pb</c> or <c>output_N.pb</c> file).</summary>
    public static Tensor Load(string path)
    {
        var proto = Parse(path, TensorProto.Parser, "TensorProto");
        return ToTensor(proto, Path.GetFileName(path));
    }

    /// <summary>Reads a serialized <c>TensorProto</c> from memory; <paramref name="source"/> names it in
    /// errors.</summary>
    public static Tensor Load(byte[] bytes, string source)
    {
        var proto = Parse(bytes, source, TensorProto.Parser, "TensorProto");
        return ToTensor(proto, source);
    }

    /// <summary>Writes <paramref name="tensor"/> as a serialized <c>TensorProto</c> named
    /// <paramref name="name"/>.</summary>
    public static void Save(Tensor tensor, string name, string path) =>
        File.WriteAllBytes(path, ToProto(tensor, name).ToByteArray());

    internal static T Parse<T>(string path, MessageParser<T> parser, string what) where T : IMessage<T>, new()
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (IOException e)
        {
            throw new OnnxFormatException($"{Path.GetFileName(path)}: cannot read {what}: {e.Message}", e);
        }
        return Parse(bytes, Path.GetFileName(path), parser, what);
    }

    internal static T Parse<T>(byte[] bytes, string source, MessageParser<T> parser, string what)
        where T : IMessage<T>, new()
    {
        WireBounds.Check(bytes, new T().Descriptor, source, what);
        // The position of the reader when parsing failed is the offset reported; Google.Protobuf lets a few
        // runtime exceptions out on hostile lengths (a length near 2³¹ overflows its bounds arithmetic), so every
        // exception becomes the format error.
        var input = new CodedInputStream(bytes);
        try
        {
            var message = parser.ParseFrom(input);
            // An end-group tag stops the reader early: what follows is not part of the message.
            if (!input.IsAtEnd)
                throw new OnnxFormatException(
                    $"{source}: malformed {what} ({bytes.Length} bytes): unexpected end-group tag before offset "
                    + $"{input.Position}");
            return message;
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or IndexOutOfRangeException
            or ArgumentException or OverflowException or InvalidOperationException or NullReferenceException)
        {
            throw new OnnxFormatException(
                $"{source}: malformed {what} ({bytes.Length} bytes) near offset "
                + $"{Math.Min(input.Position, bytes.Length)}: {e.Message}", e);
        }
    }

    /// <summary>The ONNX name of a data type, as in the specification (FLOAT, INT64, …).</summary>
    internal static string TypeName(int dataType) =>
        Enum.IsDefined(typeof(DataType), dataType) ? ((DataType)dataType).ToString().ToUpperInvariant()
            : $"data type {dataType}";

    /// <summary>The Dendrite type an ONNX element type maps to, or an unsupported error.</summary>
    internal static DType MapType(int dataType, string where) => (DataType)dataType switch
    {
        DataType.Float => DType.Float32,
        DataType.Double => DType.Float64,
        DataType.Bool => DType.Bool,
        DataType.Int64 or DataType.Int32 or DataType.Int16 or DataType.Int8 or DataType.Uint8 or DataType.Uint16
            or DataType.Uint32 => DType.Int64,
        DataType.Undefined => throw new OnnxFormatException($"{where}: data_type is UNDEFINED"),
        _ => throw new OnnxUnsupportedException($"data type {TypeName(dataType)}"),
    };

    private static int ElementBytes(DataType t) => t switch
    {
        DataType.Double or DataType.Int64 => 8,
        DataType.Float or DataType.Int32 or DataType.Uint32 => 4,
        DataType.Int16 or DataType.Uint16 => 2,
        _ => 1,
    };

    /// <summary>Converts <paramref name="p"/>; <paramref name="source"/> (a file name) prefixes every error.</summary>
    internal static Tensor ToTensor(TensorProto p, string source)
    {
        string where = $"{source}: TensorProto '{p.Name}'";
        if (p.DataLocation == TensorProto.Types.DataLocation.External)
            throw new OnnxUnsupportedException("external tensor data");
        if (p.Segment is not null)
            throw new OnnxUnsupportedException("segmented tensor");
        var dtype = MapType(p.DataType, where);
        var type = (DataType)p.DataType;
        var shape = new int[p.Dims.Count];
        long numel = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            long d = p.Dims[i];
            if (d < 0)
                throw new OnnxFormatException($"{where}: dims[{i}] is {d}; dimensions must not be negative");
            if (d > int.MaxValue || numel * d > int.MaxValue)
                throw new OnnxFormatException($"{where}: dims {FormatDims(p)} hold more than {int.MaxValue} elements");
            shape[i] = (int)d;
            numel *= d;
        }
        int n = (int)numel;
        if (p.HasRawData)
        {
            long need = numel * ElementBytes(type);
            if (p.RawData.Length != need)
                throw new OnnxFormatException(
                    $"{where}: raw_data has {p.RawData.Length} bytes, "
                    + $"dims {FormatDims(p)} of {TypeName(p.DataType)} need {need}");
            return FromRaw(p.RawData.Span, type, dtype, n, shape);
        }
        return type switch
        {
            DataType.Float => Tensor.From(Typed(p.FloatData, n, "float_data", where), shape),
            DataType.Double => Tensor.From(Typed(p.DoubleData, n, "double_data", where), shape),
            DataType.Int64 => Tensor.From(Typed(p.Int64Data, n, "int64_data", where), shape),
            DataType.Uint32 => Tensor.From(Typed(p.Uint64Data, n, "uint64_data", where)
                .Select(v => (long)(uint)v).ToArray(), shape),
            DataType.Bool => Tensor.From(Typed(p.Int32Data, n, "int32_data", where)
                .Select(v => v != 0).ToArray(), shape),
            _ => Tensor.From(Typed(p.Int32Data, n, "int32_data", where)
                .Select(v => Narrow(type, v)).ToArray(), shape),
        };
    }

    private static T[] Typed<T>(Google.Protobuf.Collections.RepeatedField<T> field, int n, string name, string where)
    {
        if (field.Count != n)
            throw new OnnxFormatException($"{where}: {name} has {field.Count} elements, dims need {n}");
        var a = new T[n];
        field.CopyTo(a, 0);
        return a;
    }

    // int32_data carries the narrow integer types; keep only the bits of the declared type.
    private static long Narrow(DataType type, int v) => type switch
    {
        DataType.Int8 => (sbyte)v,
        DataType.Uint8 => (byte)v,
        DataType.Int16 => (short)v,
        DataType.Uint16 => (ushort)v,
        _ => v,
    };

    private static Tensor FromRaw(ReadOnlySpan<byte> raw, DataType type, DType dtype, int n, int[] shape)
    {
        switch (dtype)
        {
            case DType.Float32:
                {
                    var a = new float[n];
                    for (int i = 0; i < n; i++) a[i] = BinaryPrimitives.ReadSingleLittleEndian(raw[(4 * i)..]);
                    return Tensor.From(a, shape);
                }
            case DType.Float64:
                {
                    var a = new double[n];
                    for (int i = 0; i < n; i++) a[i] = BinaryPrimitives.ReadDoubleLittleEndian(raw[(8 * i)..]);
                    return Tensor.From(a, shape);
                }
            case DType.Bool:
                {
                    var a = new bool[n];
                    for (int i = 0; i < n; i++) a[i] = raw[i] != 0;
                    return Tensor.From(a, shape);
                }
            default:
                {
                    var a = new long[n];
                    for (int i = 0; i < n; i++)
                    {
                        a[i] = type switch
                        {
                            DataType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(raw[(8 * i)..]),
                            DataType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(raw[(4 * i)..]),
                            DataType.Uint32 => BinaryPrimitives.ReadUInt32LittleEndian(raw[(4 * i)..]),
                            DataType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(raw[(2 * i)..]),
                            DataType.Uint16 => BinaryPrimitives.ReadUInt16LittleEndian(raw[(2 * i)..]),
                            DataType.Int8 => (sbyte)raw[i],
                            _ => raw[i],
                        };
                    }
                    return Tensor.From(a, shape);
                }
        }
    }

    private static string FormatDims(TensorProto p) => "[" + string.Join(",", p.Dims) + "]";

    /// <summary>The ONNX element type of a Dendrite type.</summary>
    internal static DataType OnnxType(DType dtype) => dtype switch
    {
        DType.Float32 => DataType.Float,
        DType.Float64 => DataType.Double,
        DType.Int64 => DataType.Int64,
        _ => DataType.Bool,
    };

    /// <summary>A <c>TensorProto</c> holding <paramref name="t"/> as little-endian raw_data.</summary>
    internal static TensorProto ToProto(Tensor t, string name)
    {
        var p = new TensorProto { Name = name, DataType = (int)OnnxType(t.DType) };
        foreach (int d in t.Shape) p.Dims.Add(d);
        byte[] raw = new byte[t.Numel * (t.DType == DType.Bool ? 1 : t.DType.SizeOf())];
        switch (t.DType)
        {
            case DType.Float32:
                {
                    var a = t.ToArray<float>();
                    for (int i = 0; i < a.Length; i++)
                        BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(4 * i), a[i]);
                    break;
                }
            case DType.Float64:
                {
                    var a = t.ToArray<double>();
                    for (int i = 0; i < a.Length; i++)
                        BinaryPrimitives.WriteDoubleLittleEndian(raw.AsSpan(8 * i), a[i]);
                    break;
                }
            case DType.Int64:
                {
                    var a = t.ToArray<long>();
                    for (int i = 0; i < a.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(raw.AsSpan(8 * i), a[i]);
                    break;
                }
            default:
                {
                    var a = t.ToArray<bool>();
                    for (int i = 0; i < a.Length; i++) raw[i] = a[i] ? (byte)1 : (byte)0;
                    break;
                }
        }
        p.RawData = ByteString.CopyFrom(raw);
        return p;
    }
}
