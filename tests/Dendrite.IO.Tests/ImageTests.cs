using System.Buffers.Binary;
using System.IO.Compression;
using System.Text.Json;

namespace Dendrite.IO.Tests;

/// <summary>A fact that is skipped, with the reason, when a Debian image file is absent (python3-sklearn and
/// python3-skimage ship them; tools/setup.sh installs both).</summary>
public sealed class DebianFileFactAttribute : FactAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when <paramref name="path"/> does not exist.</summary>
    public DebianFileFactAttribute(string path)
    {
        if (!File.Exists(path)) Skip = $"{path} is absent (apt-get install python3-sklearn python3-skimage)";
    }
}

public class ImageTests
{
    private const string Sklearn = "/usr/lib/python3/dist-packages/sklearn/datasets/images/";
    private const string Skimage = "/usr/lib/python3/dist-packages/skimage/data/";

    private static readonly JsonElement Fixture =
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "io", "images.json")))
            .RootElement;

    private static string FixturePath(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", "io", name);

    [DebianFileFact(Sklearn + "china.jpg")]
    public void Decode_ChinaJpegIsCloseToPillow() => MatchesPillow(Sklearn + "china.jpg");

    [DebianFileFact(Sklearn + "flower.jpg")]
    public void Decode_FlowerJpegIsCloseToPillow() => MatchesPillow(Sklearn + "flower.jpg");

    [DebianFileFact(Skimage + "camera.png")]
    public void Decode_CameraGreyPngEqualsPillow() => MatchesPillow(Skimage + "camera.png");

    [DebianFileFact(Skimage + "astronaut.png")]
    public void Decode_AstronautRgbPngEqualsPillow() => MatchesPillow(Skimage + "astronaut.png");

    [DebianFileFact(Skimage + "coins.png")]
    public void Decode_CoinsGreyPngEqualsPillow() => MatchesPillow(Skimage + "coins.png");

    [DebianFileFact(Skimage + "chelsea.png")]
    public void Decode_ChelseaRgbPngEqualsPillow() => MatchesPillow(Skimage + "chelsea.png");

    // Shape, channel sums, 256 sampled pixels and a 16x16 centre crop against Pillow's (tools/make_image_fixtures.py).
    private static void MatchesPillow(string path)
    {
        string file = Path.GetFileName(path);
        var entry = Fixture.GetProperty("images").EnumerateArray()
            .Single(e => e.GetProperty("path").GetString() == path);
        int[] shape = [.. entry.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32())];
        var image = Image.Load(path, new ImageReadOptions(Scale: false));
        Assert.Equal(shape, image.Shape.ToArray());
        int c = shape[0], h = shape[1], w = shape[2];
        var v = image.ToArray<float>();
        bool exact = entry.GetProperty("format").GetString() == "PNG";

        // Every value must be a whole level.
        Assert.All(v.Take(4096), x => Assert.Equal(MathF.Round(x), x));
        var sums = entry.GetProperty("sums").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        for (int k = 0; k < c; k++)
        {
            double ours = 0;
            for (int i = k * h * w; i < (k + 1) * h * w; i++) ours += v[i];
            if (exact) Assert.Equal(sums[k], (long)ours);
            else Assert.True(Math.Abs(ours - sums[k]) / (h * w) < 1.0, $"{file} channel {k}: mean {ours / (h * w)} " +
                $"vs Pillow {(double)sums[k] / (h * w)}");
        }

        var diffs = new List<double>();
        foreach (var s in entry.GetProperty("samples").EnumerateArray())
        {
            var a = s.EnumerateArray().Select(e => e.GetInt32()).ToArray();
            for (int k = 0; k < c; k++) diffs.Add(Math.Abs(v[(k * h + a[0]) * w + a[1]] - a[2 + k]));
        }
        var origin = entry.GetProperty("crop_origin").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var crop = entry.GetProperty("crop").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        for (int k = 0; k < c; k++)
        {
            for (int y = 0; y < 16; y++)
            {
                for (int x = 0; x < 16; x++)
                    diffs.Add(Math.Abs(v[(k * h + origin[0] + y) * w + origin[1] + x] - crop[(k * 16 + y) * 16 + x]));
            }
        }
        if (exact)
        {
            Assert.All(diffs, d => Assert.Equal(0, d));
            return;
        }
        // JPEG decoders may differ in the inverse DCT and chroma upsampling: close on average, bounded everywhere.
        Assert.True(diffs.Average() < 2, $"{file}: mean absolute difference {diffs.Average():F3} levels");
        Assert.True(diffs.Max() <= 24, $"{file}: largest difference {diffs.Max()} levels");
    }

    [Theory]
    [InlineData("small.bmp")]
    [InlineData("small.gif")]
    [InlineData("small.webp")]
    public void Decode_BmpGifWebpMatchPillow(string name)
    {
        var expected = Fixture.GetProperty("small").EnumerateArray().Select(e => (float)e.GetInt32()).ToArray();
        var image = Image.Load(FixturePath(name), new ImageReadOptions(Scale: false));
        Assert.Equal([3, 4, 5], image.Shape.ToArray());
        Assert.Equal(expected, image.ToArray<float>());
    }

    [Fact]
    public void Decode_ScalesToUnitRangeAndConvertsToGreyAsPillow()
    {
        var expected = Fixture.GetProperty("small").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var scaled = Image.Load(FixturePath("small.webp"));
        Assert.Equal(expected.Select(x => x / 255f), scaled.ToArray<float>());
        var grey = Image.Load(FixturePath("small.webp"), new ImageReadOptions(ImageColor.Grey, Scale: false));
        Assert.Equal([1, 4, 5], grey.Shape.ToArray());
        var g = grey.ToArray<float>();
        for (int i = 0; i < 20; i++)
        {
            // ITU-R 601 luma to the nearest level.
            double luma = 0.299 * expected[i] + 0.587 * expected[20 + i] + 0.114 * expected[40 + i];
            Assert.True(Math.Abs(g[i] - luma) <= 0.5 + 1e-3, $"pixel {i}: {g[i]} vs {luma}");
        }
    }

    [Fact]
    public void EncodePng_RoundTripsGreyAndRgbExactly()
    {
        var rng = new Random(3);
        var rgb = Tensor.From([.. Enumerable.Range(0, 3 * 7 * 9).Select(_ => (float)rng.Next(256))], 3, 7, 9);
        var back = Image.Decode("rgb", Image.EncodePng(rgb, scaled: false), new ImageReadOptions(Scale: false));
        Assert.Equal(rgb.ToArray<float>(), back.ToArray<float>());
        var grey = Tensor.From([.. Enumerable.Range(0, 7 * 9).Select(i => i / 62f)], 7, 9);
        var g = Image.Decode("grey", Image.EncodePng(grey));
        Assert.Equal([1, 7, 9], g.Shape.ToArray());
        var expected = grey.ToArray<float>().Select(x => MathF.Round(x * 255) / 255).ToArray();
        Assert.Equal(expected, g.ToArray<float>());
        var asRgb = Image.Decode("grey", Image.EncodePng(grey), new ImageReadOptions(ImageColor.Rgb));
        Assert.Equal([.. expected, .. expected, .. expected], asRgb.ToArray<float>());
    }

    [Fact]
    public void EncodePng_RejectsWrongShapesNamingThem()
    {
        var e = Assert.Throws<ArgumentException>(() => Image.EncodePng(Tensor.Zeros(2, 4, 4)));
        Assert.Contains("[2,4,4]", e.Message.Replace(" ", ""));
    }

    private static ImageFormatException Bad(byte[] bytes, ImageReadOptions? options = null)
    {
        var e = Assert.Throws<ImageFormatException>(() => Image.Decode("img.bin", bytes, options));
        Assert.StartsWith("img.bin: ", e.Message);
        return e;
    }

    [Fact]
    public void Decode_RefusesWhatIsNotAnImage()
    {
        Assert.Contains("empty", Bad([]).Message);
        Assert.Contains("not an image", Bad("hello, this is text, not pixels"u8.ToArray()).Message);
    }

    [Fact]
    public void Decode_RefusesTruncatedFiles()
    {
        var pattern = Tensor.From([.. Enumerable.Range(0, 3 * 64 * 64).Select(i => i % 7 / 7f)], 3, 64, 64);
        var png = Image.EncodePng(pattern);
        Assert.Contains("truncated", Bad(png[..(png.Length / 2)]).Message);
        Assert.Throws<ImageFormatException>(() => Image.Decode("img.bin", png[..20]));
        var webp = File.ReadAllBytes(FixturePath("small.webp"));
        Assert.Throws<ImageFormatException>(() => Image.Decode("img.bin", webp[..20]));
        using var bitmap = new SkiaSharp.SKBitmap(64, 64);
        bitmap.Erase(new SkiaSharp.SKColor(200, 30, 90));
        using var jpeg = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Jpeg, 90);
        var bytes = jpeg.ToArray();
        Assert.Equal([3, 64, 64], Image.Decode("img.bin", bytes).Shape.ToArray());
        Assert.Contains("truncated", Bad(bytes[..(bytes.Length * 2 / 3)]).Message);
    }

    // A PNG whose header says width x height (8-bit RGB) with one tiny, valid-looking IDAT: decoding it would need
    // width·height·4 bytes.
    private static byte[] PngHeaderOnly(int width, int height)
    {
        using var ms = new MemoryStream();
        ms.Write([137, 80, 78, 71, 13, 10, 26, 10]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;
        ihdr[9] = 2;
        Chunk(ms, "IHDR", ihdr);
        using var raw = new MemoryStream();
        using (var z = new ZLibStream(raw, CompressionLevel.Fastest, leaveOpen: true)) z.Write(new byte[64]);
        Chunk(ms, "IDAT", raw.ToArray());
        Chunk(ms, "IEND", []);
        return ms.ToArray();
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        var head = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(head, data.Length);
        System.Text.Encoding.ASCII.GetBytes(type).CopyTo(head, 4);
        s.Write(head);
        s.Write(data);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32([.. head[4..], .. data]));
        s.Write(crc);
    }

    // CRC-32 of PNG chunks: reflected polynomial 0xEDB88320, bit by bit.
    private static uint Crc32(byte[] data)
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
    public void Decode_RefusesOversizedImagesBeforeAllocating()
    {
        var png = PngHeaderOnly(8192, 8192);
        Assert.Equal((8192, 8192), (Image.ReadHeader("big.png", png).Width, Image.ReadHeader("big.png", png).Height));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Bad(png, new ImageReadOptions(MaxPixels: 16L << 20));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("8192x8192", e.Message);
        Assert.Contains("exceeds the limit of 16777216 pixels", e.Message);
        Assert.True(allocated < 1 << 20, $"{allocated} bytes allocated before refusing");
        // Within the default limit the header is accepted and the missing rows are reported as truncation.
        Assert.Contains("truncated", Bad(PngHeaderOnly(300, 200)).Message);
    }

    [Fact]
    public void Decode_RefusesUnsupportedFormats()
    {
        // A 1x1 ICO: a format SkiaSharp reads but Dendrite does not offer.
        var png = Image.EncodePng(Tensor.Zeros(3, 1, 1));
        var ico = new byte[22 + png.Length];
        BinaryPrimitives.WriteUInt16LittleEndian(ico.AsSpan(2), 1);
        BinaryPrimitives.WriteUInt16LittleEndian(ico.AsSpan(4), 1);
        ico[6] = 1;
        ico[7] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(ico.AsSpan(10), 1);
        BinaryPrimitives.WriteUInt16LittleEndian(ico.AsSpan(12), 32);
        BinaryPrimitives.WriteInt32LittleEndian(ico.AsSpan(14), png.Length);
        BinaryPrimitives.WriteInt32LittleEndian(ico.AsSpan(18), 22);
        png.CopyTo(ico, 22);
        Assert.Contains("unsupported image format Ico", Bad(ico).Message);
    }

    [Fact]
    public void Load_NamesAMissingFile()
    {
        var e = Assert.Throws<FileNotFoundException>(() => Image.Load("/nonexistent/x.png"));
        Assert.Contains("/nonexistent/x.png", e.Message);
    }
}
