using System.Buffers.Binary;
using Google.Protobuf;

namespace Dendrite.IO.Tests;

public sealed class TensorBoardTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("dendrite-tb-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    // The CRC-32C check value: CRC of the ASCII bytes "123456789".
    [Fact]
    public void Crc32C_MatchesTheCheckValue() => Assert.Equal(0xE3069283u, TensorBoardWriter.Crc32C("123456789"u8));

    // masked = ((crc >> 15) | (crc << 17)) + 0xa282ead8, with crc = 0xE3069283 for "123456789".
    [Fact]
    public void MaskedCrc_RotatesAndAdds()
    {
        uint c = 0xE3069283;
        Assert.Equal(unchecked(((c >> 15) | (c << 17)) + 0xa282ead8), TensorBoardWriter.MaskedCrc("123456789"u8));
    }

    // Splits a TFRecord stream, checking each length and both masked CRCs.
    private static List<byte[]> Records(byte[] file)
    {
        var records = new List<byte[]>();
        int pos = 0;
        while (pos < file.Length)
        {
            Assert.True(pos + 12 <= file.Length, $"record header at {pos} is truncated");
            var len = file.AsSpan(pos, 8);
            uint lengthCrc = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(pos + 8));
            Assert.Equal(lengthCrc, TensorBoardWriter.MaskedCrc(len));
            int n = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(len));
            Assert.True(pos + 12 + n + 4 <= file.Length, $"record at {pos} runs past the end");
            var data = file.AsSpan(pos + 12, n);
            uint dataCrc = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(pos + 12 + n));
            Assert.Equal(dataCrc, TensorBoardWriter.MaskedCrc(data));
            records.Add(data.ToArray());
            pos += 12 + n + 4;
        }
        return records;
    }

    private sealed record Event(double WallTime, long Step, string? FileVersion,
        List<(string Tag, float? Value, byte[]? Other)> Values);

    // Event { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
    // Summary { repeated Value value = 1; }
    // Value { string tag = 1; float simple_value = 2; Image image = 4; HistogramProto histo = 5; }
    private static Event Decode(byte[] data)
    {
        var input = new CodedInputStream(data);
        double wall = 0;
        long step = 0;
        string? version = null;
        var values = new List<(string, float?, byte[]?)>();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: wall = input.ReadDouble(); break;
                case 2: step = input.ReadInt64(); break;
                case 3: version = input.ReadString(); break;
                case 5:
                    var summary = new CodedInputStream(input.ReadBytes().ToByteArray());
                    uint st;
                    while ((st = summary.ReadTag()) != 0)
                    {
                        Assert.Equal(1, WireFormat.GetTagFieldNumber(st));
                        var value = new CodedInputStream(summary.ReadBytes().ToByteArray());
                        string name = "";
                        float? simple = null;
                        byte[]? other = null;
                        uint vt;
                        while ((vt = value.ReadTag()) != 0)
                        {
                            switch (WireFormat.GetTagFieldNumber(vt))
                            {
                                case 1: name = value.ReadString(); break;
                                case 2: simple = value.ReadFloat(); break;
                                default: other = value.ReadBytes().ToByteArray(); break;
                            }
                        }
                        values.Add((name, simple, other));
                    }
                    break;
                default: input.SkipLastField(); break;
            }
        }
        return new Event(wall, step, version, values);
    }

    [Fact]
    public void Writer_ProducesValidTfRecordsWithScalarEvents()
    {
        string path;
        using (var w = new TensorBoardWriter(dir))
        {
            path = w.Path;
            w.Scalar("loss/train", 0.75, 1);
            w.Scalar("loss/train", 0.5, 2);
            w.Scalar("accuracy", 0.875, 2);
            w.Histogram("weights", [1f, 2f, 2f, 3f], 3);
        }
        Assert.StartsWith("events.out.tfevents.", Path.GetFileName(path));
        var events = Records(File.ReadAllBytes(path)).Select(Decode).ToList();
        Assert.Equal(5, events.Count);
        Assert.Equal("brain.Event:2", events[0].FileVersion);
        Assert.Empty(events[0].Values);
        double now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Assert.All(events, e => Assert.InRange(e.WallTime, now - 600, now + 5));
        var scalars = events.Skip(1).Take(3).Select(e => (e.Step, e.Values.Single().Tag, e.Values.Single().Value));
        Assert.Equal([(1L, "loss/train", (float?)0.75f), (2L, "loss/train", 0.5f), (2L, "accuracy", 0.875f)], scalars);
        var histo = events[4].Values.Single();
        Assert.Equal(("weights", (float?)null), (histo.Tag, histo.Value));
        // HistogramProto { double min = 1; double max = 2; double num = 3; double sum = 4; double sum_squares = 5; }
        var h = new CodedInputStream(histo.Other!);
        var fields = new Dictionary<int, double>();
        uint t;
        while ((t = h.ReadTag()) != 0)
        {
            int f = WireFormat.GetTagFieldNumber(t);
            if (f <= 5) fields[f] = h.ReadDouble();
            else h.SkipLastField();
        }
        Assert.Equal(new Dictionary<int, double> { [1] = 1, [2] = 3, [3] = 4, [4] = 8, [5] = 18 }, fields);
    }
}
