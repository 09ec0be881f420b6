using System.Buffers.Binary;
using System.Numerics;
using Google.Protobuf;

namespace Dendrite.IO;

/// <summary>
/// Writes TensorBoard event files: a sequence of TFRecords (length, masked CRC-32C of the length, a serialized
/// Event message, masked CRC-32C of the data) holding scalars, histograms and PNG images. The Event, Summary and
/// HistogramProto messages are encoded field by field with their TensorFlow field numbers.
/// </summary>
public sealed class TensorBoardWriter : IDisposable
{
    private readonly FileStream file;

    /// <summary>Creates <c>events.out.tfevents.TIME.HOST</c> in <paramref name="logDir"/>.</summary>
    public TensorBoardWriter(string logDir)
    {
        Directory.CreateDirectory(logDir);
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Path = System.IO.Path.Combine(logDir, $"events.out.tfevents.{now}.{Environment.MachineName}");
        file = new FileStream(Path, FileMode.Create, FileAccess.Write, FileShare.Read);
        WriteEvent(0, o => o.WriteString("brain.Event:2"), fileVersion: true);
    }

    /// <summary>The event file's path.</summary>
    public string Path { get; }

    /// <summary>Adds a scalar point to the curve named <paramref name="tag"/>.</summary>
    public void Scalar(string tag, double value, long step) =>
        Summary(step, v =>
        {
            v.WriteTag(1, WireFormat.WireType.LengthDelimited);
            v.WriteString(tag);
            v.WriteTag(2, WireFormat.WireType.Fixed32);
            v.WriteFloat((float)value);
        });

    /// <summary>Adds a histogram of <paramref name="values"/> (30 equal-width buckets between min and max).</summary>
    public void Histogram(string tag, ReadOnlySpan<float> values, long step, int buckets = 30)
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity, sum = 0, sumSq = 0;
        foreach (float x in values)
        {
            min = Math.Min(min, x);
            max = Math.Max(max, x);
            sum += x;
            sumSq += (double)x * x;
        }
        if (values.Length == 0) min = max = 0;
        var limits = new double[buckets];
        var counts = new double[buckets];
        double width = (max - min) / buckets;
        for (int i = 0; i < buckets; i++) limits[i] = i == buckets - 1 ? max : min + width * (i + 1);
        foreach (float x in values)
        {
            int b = width > 0 ? Math.Min(buckets - 1, (int)((x - min) / width)) : buckets - 1;
            counts[b]++;
        }
        double count = values.Length;
        var histo = Encode(o =>
        {
            Double(o, 1, min);
            Double(o, 2, max);
            Double(o, 3, count);
            Double(o, 4, sum);
            Double(o, 5, sumSq);
            Packed(o, 6, limits);
            Packed(o, 7, counts);
        });
        Summary(step, v =>
        {
            v.WriteTag(1, WireFormat.WireType.LengthDelimited);
            v.WriteString(tag);
            v.WriteTag(5, WireFormat.WireType.LengthDelimited);
            v.WriteBytes(ByteString.CopyFrom(histo));
        });
    }

    /// <summary>Adds an image given as PNG bytes.</summary>
    public void Image(string tag, byte[] png, int height, int width, int channels, long step)
    {
        var image = Encode(o =>
        {
            o.WriteTag(1, WireFormat.WireType.Varint);
            o.WriteInt32(height);
            o.WriteTag(2, WireFormat.WireType.Varint);
            o.WriteInt32(width);
            o.WriteTag(3, WireFormat.WireType.Varint);
            o.WriteInt32(channels);
            o.WriteTag(4, WireFormat.WireType.LengthDelimited);
            o.WriteBytes(ByteString.CopyFrom(png));
        });
        Summary(step, v =>
        {
            v.WriteTag(1, WireFormat.WireType.LengthDelimited);
            v.WriteString(tag);
            v.WriteTag(4, WireFormat.WireType.LengthDelimited);
            v.WriteBytes(ByteString.CopyFrom(image));
        });
    }

    private static void Double(CodedOutputStream o, int field, double v)
    {
        o.WriteTag(field, WireFormat.WireType.Fixed64);
        o.WriteDouble(v);
    }

    private static void Packed(CodedOutputStream o, int field, double[] v)
    {
        o.WriteTag(field, WireFormat.WireType.LengthDelimited);
        o.WriteLength(v.Length * 8);
        foreach (double x in v) o.WriteDouble(x);
    }

    private static byte[] Encode(Action<CodedOutputStream> write)
    {
        using var ms = new MemoryStream();
        var o = new CodedOutputStream(ms);
        write(o);
        o.Flush();
        return ms.ToArray();
    }

    // Summary { repeated Value value = 1; } inside Event { summary = 5 }.
    private void Summary(long step, Action<CodedOutputStream> value)
    {
        var v = Encode(value);
        var summary = Encode(o =>
        {
            o.WriteTag(1, WireFormat.WireType.LengthDelimited);
            o.WriteBytes(ByteString.CopyFrom(v));
        });
        WriteEvent(step, o => o.WriteBytes(ByteString.CopyFrom(summary)), fileVersion: false);
    }

    private void WriteEvent(long step, Action<CodedOutputStream> what, bool fileVersion)
    {
        var data = Encode(o =>
        {
            Double(o, 1, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0);
            o.WriteTag(2, WireFormat.WireType.Varint);
            o.WriteInt64(step);
            o.WriteTag(fileVersion ? 3 : 5, WireFormat.WireType.LengthDelimited);
            what(o);
        });
        Span<byte> len = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)data.Length);
        Span<byte> crc = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(crc, MaskedCrc(len));
        file.Write(len);
        file.Write(crc);
        file.Write(data);
        BinaryPrimitives.WriteUInt32LittleEndian(crc, MaskedCrc(data));
        file.Write(crc);
        file.Flush();
    }

    /// <summary>TFRecord's masked CRC-32C: rotate right by 15 and add 0xa282ead8.</summary>
    public static uint MaskedCrc(ReadOnlySpan<byte> data)
    {
        uint c = Crc32C(data);
        return ((c >> 15) | (c << 17)) + 0xa282ead8;
    }

    /// <summary>CRC-32C (Castagnoli) of <paramref name="data"/>.</summary>
    public static uint Crc32C(ReadOnlySpan<byte> data)
    {
        uint c = 0xFFFFFFFF;
        foreach (byte b in data) c = BitOperations.Crc32C(c, b);
        return ~c;
    }

    /// <inheritdoc/>
    public void Dispose() => file.Dispose();
}
