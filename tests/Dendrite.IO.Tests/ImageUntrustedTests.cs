using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;

namespace Dendrite.IO.Tests;

/// <summary>Hostile image files of issue 19: a small PNG that decodes to gigabytes, and a zlib stream asking for
/// a preset dictionary. Both fail with <see cref="ImageFormatException"/>, bounded in time and memory.</summary>
public sealed class ImageUntrustedTests
{
    private static readonly uint[] CrcTable = [.. Enumerable.Range(0, 256).Select(n =>
    {
        uint c = (uint)n;
        for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
        return c;
    })];

    private static uint Crc(ReadOnlySpan<byte> bytes)
    {
        uint c = 0xFFFFFFFF;
        foreach (byte b in bytes) c = CrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
        return ~c;
    }

    private static void Chunk(Stream s, string type, ReadOnlySpan<byte> data)
    {
        var head = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(head, data.Length);
        System.Text.Encoding.ASCII.GetBytes(type, head.AsSpan(4));
        s.Write(head);
        s.Write(data);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc([.. head.AsSpan(4), .. data]));
        s.Write(crc);
    }

    // A complete 8-bit PNG of the given colour type whose rows (filter byte 0, then zeros) come from `idat`.
    private static byte[] Png(int width, int height, byte colorType, byte[] idat)
    {
        using var ms = new MemoryStream();
        ms.Write([137, 80, 78, 71, 13, 10, 26, 10]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;
        ihdr[9] = colorType;
        Chunk(ms, "IHDR", ihdr);
        Chunk(ms, "IDAT", idat);
        Chunk(ms, "IEND", []);
        return ms.ToArray();
    }

    private static byte[] ZeroRows(int rows, int rowBytes)
    {
        using var raw = new MemoryStream();
        using (var z = new ZLibStream(raw, CompressionLevel.Fastest, leaveOpen: true))
        {
            var row = new byte[rowBytes + 1];
            for (int r = 0; r < rows; r++) z.Write(row);
        }
        return raw.ToArray();
    }

    [Fact]
    public void ASmallPngOf8192Squared_RgbaZerosIsRefusedFromItsHeader()
    {
        var png = Png(8192, 8192, 6, ZeroRows(8192, 8192 * 4));
        Assert.True(png.Length < 4 << 20, $"{png.Length} bytes");
        long before = GC.GetAllocatedBytesForCurrentThread();
        var watch = Stopwatch.StartNew();
        var e = Assert.Throws<ImageFormatException>(() => Image.Decode("zeros.png", png));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.StartsWith("zeros.png: ", e.Message);
        Assert.Contains("8192x8192", e.Message);
        Assert.Contains("MaxBytes", e.Message);
        Assert.True(allocated < 4L << 20, $"{allocated:N0} bytes allocated before refusing");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"{watch.Elapsed}");
    }

    [Fact]
    public void MaxBytesIsTheCallersToSet()
    {
        var png = Png(64, 64, 6, ZeroRows(64, 64 * 4));
        Assert.Equal([3, 64, 64], Image.Decode("small.png", png).Shape.ToArray());
        // 64·64·4 decode bytes + 3·64·64·4 tensor bytes = 65,536.
        var e = Assert.Throws<ImageFormatException>(
            () => Image.Decode("small.png", png, new ImageReadOptions(MaxBytes: 65_535)));
        Assert.Contains("65,536", e.Message);
        Assert.Equal([3, 64, 64], Image.Decode("small.png", png, new ImageReadOptions(MaxBytes: 65_536)).Shape
            .ToArray());
    }

    [Fact]
    public void ZlibPresetDictionaryFlagIsAFormatError()
    {
        var idat = ZeroRows(4, 4 * 3);
        // CMF stays; FLG gets FDICT (bit 5) and a check value making CMF·256 + FLG a multiple of 31; a dictionary
        // id follows the two header bytes.
        int cmf = idat[0], flg = 0x20 | (idat[1] & 0xC0);
        flg += (31 - (cmf * 256 + flg) % 31) % 31;
        byte[] preset = [(byte)cmf, (byte)flg, 0xDE, 0xAD, 0xBE, 0xEF, .. idat[2..]];
        Assert.Equal(0, (preset[0] * 256 + preset[1]) % 31);
        var e = Assert.Throws<ImageFormatException>(() => Image.Decode("dict.png", Png(4, 4, 2, preset)));
        Assert.StartsWith("dict.png: ", e.Message);
    }
}
