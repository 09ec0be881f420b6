using System.Buffers.Binary;
using System.IO.Compression;
using System.Text.Json;

namespace Dendrite.IO.Tests;

public class PngTests
{
    private static byte[] Pixels(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    // Chunks of a PNG as (offset, type, data offset, length).
    private static List<(int At, string Type, int Data, int Length)> Chunks(byte[] png)
    {
        var list = new List<(int, string, int, int)>();
        for (int pos = 8; pos < png.Length;)
        {
            int len = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(pos));
            list.Add((pos, System.Text.Encoding.ASCII.GetString(png, pos + 4, 4), pos + 8, len));
            pos += 12 + len;
        }
        return list;
    }

    // Recomputes the CRC of the chunk at offset `at` after its bytes were edited.
    private static void FixCrc(byte[] png, int at)
    {
        int len = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(at));
        uint crc = Crc32(png.AsSpan(at + 4, 4 + len));
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(at + 8 + len), crc);
    }

    // CRC-32 of ISO 3309 / PNG: reflected polynomial 0xEDB88320, initial and final XOR 0xFFFFFFFF, bit by bit.
    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint c = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            c ^= b;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
        }
        return ~c;
    }

    [Fact]
    public void Crc32_MatchesTheCheckValue() => Assert.Equal(0xCBF43926u, Crc32("123456789"u8));

    private static PngFormatException Bad(byte[] png)
    {
        var e = Assert.Throws<PngFormatException>(() => Png.Decode("img.png", png));
        Assert.StartsWith("img.png: ", e.Message);
        return e;
    }

    [Theory]
    [InlineData(1, 7, 5)]
    [InlineData(3, 4, 9)]
    [InlineData(1, 1, 1)]
    public void EncodeDecode_RoundTrips(int channels, int width, int height)
    {
        var px = Pixels(width * height * channels, channels);
        var t = Png.Decode("rt.png", Png.Encode(px, width, height, channels));
        Assert.Equal([channels, height, width], t.Shape.ToArray());
        var v = t.ToArray<float>();
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                for (int c = 0; c < channels; c++)
                    Assert.Equal(px[(y * width + x) * channels + c] / 255f, v[(c * height + y) * width + x]);
            }
        }
    }

    [Theory]
    [InlineData("grey")]
    [InlineData("rgb")]
    [InlineData("palette")]
    [InlineData("greyalpha")]
    [InlineData("rgba")]
    public void Decode_FileFromAnotherEncoderWithAllFiveFilters(string kind)
    {
        // tests/fixtures/io/png_*.png and png.json come from tools/make_io_fixtures.py.
        string dirOf = Path.Combine(AppContext.BaseDirectory, "fixtures", "io");
        var t = Png.Load(Path.Combine(dirOf, $"png_{kind}.png"));
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dirOf, "png.json")));
        var want = doc.RootElement.GetProperty(kind).EnumerateArray()
            .SelectMany(c => c.EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => v.GetInt32() / 255f)))
            .ToArray();
        Assert.Equal(want, t.ToArray<float>());
        Assert.Equal(6, t.Size(1));
        Assert.Equal(5, t.Size(2));
    }

    [Fact]
    public void Decode_TruncatedAtEveryCutGivesFormatError()
    {
        var png = Png.Encode(Pixels(3 * 6 * 4, 2), 6, 4, 3);
        for (int n = 0; n < png.Length; n++) Bad(png[..n]);
    }

    [Fact]
    public void Decode_BadSignature()
    {
        var png = Png.Encode(Pixels(4, 1), 2, 2, 1);
        png[1] = (byte)'J';
        Assert.Contains("offset 0: not a PNG signature", Bad(png).Message);
    }

    [Fact]
    public void Decode_BadCrcNamesTheChunkAndOffset()
    {
        var png = Png.Encode(Pixels(4, 1), 2, 2, 1);
        var idat = Chunks(png).First(c => c.Type == "IDAT");
        png[idat.Data] ^= 0x40;
        var e = Bad(png);
        Assert.Contains($"offset {idat.At}: chunk 'IDAT' CRC mismatch", e.Message);
    }

    [Theory]
    [InlineData(1_000_000, 1_000_000, "invalid or too large")]
    [InlineData(0, 5, "invalid or too large")]
    [InlineData(-3, 5, "invalid or too large")]
    [InlineData(8000, 8000, "too few for a 8000x8000 image")]
    public void Decode_AbsurdDimensions(int width, int height, string fragment)
    {
        var png = Png.Encode(Pixels(4, 1), 2, 2, 1);
        var ihdr = Chunks(png).First(c => c.Type == "IHDR");
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(ihdr.Data), width);
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(ihdr.Data + 4), height);
        FixCrc(png, ihdr.At);
        Assert.Contains(fragment, Bad(png).Message);
    }

    [Theory]
    [InlineData(8, 16, "bit depth 16 is not supported")]
    [InlineData(8, 1, "bit depth 1 is not supported")]
    [InlineData(12, 1, "interlaced PNG is not supported")]
    [InlineData(9, 5, "colour type 5 is invalid")]
    [InlineData(10, 1, "compression 1")]
    public void Decode_UnsupportedHeaderFields(int field, byte value, string fragment)
    {
        var png = Png.Encode(Pixels(4, 1), 2, 2, 1);
        var ihdr = Chunks(png).First(c => c.Type == "IHDR");
        png[ihdr.Data + field] = value;
        FixCrc(png, ihdr.At);
        var e = Bad(png);
        Assert.Contains(fragment, e.Message);
        Assert.Contains("offset", e.Message);
    }

    [Fact]
    public void Decode_CorruptZlib()
    {
        var png = Png.Encode(Pixels(64 * 3, 3), 8, 8, 3);
        var idat = Chunks(png).First(c => c.Type == "IDAT");
        // Keep the zlib header, make the first deflate block use the reserved block type 3.
        for (int i = 2; i < idat.Length; i++) png[idat.Data + i] = 0xFF;
        FixCrc(png, idat.At);
        Assert.Contains("IDAT", Bad(png).Message);
    }

    [Fact]
    public void Decode_TooLittleImageDataAndBadFilter()
    {
        static byte[] WithRaw(byte[] raw)
        {
            using var ms = new MemoryStream();
            using (var z = new ZLibStream(ms, CompressionLevel.Fastest, leaveOpen: true)) z.Write(raw);
            var png = Png.Encode(new byte[4], 2, 2, 1);
            var idat = Chunks(png).First(c => c.Type == "IDAT");
            var body = ms.ToArray();
            var o = new List<byte>(png[..idat.At]);
            var len = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(len, body.Length);
            o.AddRange(len);
            o.AddRange("IDAT"u8.ToArray());
            o.AddRange(body);
            o.AddRange(new byte[4]);
            o.AddRange(png[(idat.At + 12 + idat.Length)..]);
            var result = o.ToArray();
            FixCrc(result, idat.At);
            return result;
        }
        Assert.Contains("IDAT holds 3 bytes of image data, 6 needed", Bad(WithRaw([0, 1, 2])).Message);
        Assert.Contains("row 1: unknown filter type 9", Bad(WithRaw([0, 1, 2, 9, 4, 5])).Message);
    }

    [Fact]
    public void Decode_GarbageNeverThrowsAnotherException()
    {
        var gen = new Random(3);
        var good = Png.Encode(Pixels(5 * 5 * 3, 4), 5, 5, 3);
        for (int i = 0; i < 300; i++)
        {
            var b = (byte[])good.Clone();
            b[gen.Next(8, b.Length)] = (byte)gen.Next(256);
            try
            {
                Png.Decode("img.png", b);
            }
            catch (PngFormatException e)
            {
                Assert.StartsWith("img.png: ", e.Message);
            }
        }
    }
}
