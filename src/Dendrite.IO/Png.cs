using System.Buffers.Binary;
using System.IO.Compression;

namespace Dendrite.IO;

/// <summary>A PNG file that cannot be decoded; the message names the file, offset and field.</summary>
public sealed class PngFormatException(string message) : Exception(message);

/// <summary>
/// PNG images: writing 8-bit grey or RGB images, and reading non-interlaced 8-bit grey, grey+alpha, RGB, RGBA and
/// palette images (all five row filters). Chunk lengths and CRCs, and image sizes, are checked before use.
/// </summary>
public static class Png
{
    private static readonly byte[] Signature = [137, 80, 78, 71, 13, 10, 26, 10];
    private static readonly uint[] CrcTable = MakeCrcTable();
    private const int MaxPixels = 1 << 26;

    private static uint[] MakeCrcTable()
    {
        var t = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
            t[n] = c;
        }
        return t;
    }

    private static uint Crc(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        uint c = 0xFFFFFFFF;
        foreach (byte x in a) c = CrcTable[(c ^ x) & 0xFF] ^ (c >> 8);
        foreach (byte x in b) c = CrcTable[(c ^ x) & 0xFF] ^ (c >> 8);
        return ~c;
    }

    /// <summary>Encodes pixels (row-major, <paramref name="channels"/> 1 = grey or 3 = RGB, values 0..255) as PNG.</summary>
    public static byte[] Encode(ReadOnlySpan<byte> pixels, int width, int height, int channels)
    {
        if (channels is not (1 or 3)) throw new ArgumentException($"Png.Encode: channels must be 1 or 3, got {channels}");
        if (pixels.Length != width * height * channels)
            throw new ArgumentException($"Png.Encode: {pixels.Length} bytes for a {width}x{height}x{channels} image");
        using var ms = new MemoryStream();
        ms.Write(Signature);
        Span<byte> ihdr = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr[4..], height);
        ihdr[8] = 8;
        ihdr[9] = (byte)(channels == 1 ? 0 : 2);
        Chunk(ms, "IHDR", ihdr);
        using var raw = new MemoryStream();
        using (var z = new ZLibStream(raw, CompressionLevel.Optimal, leaveOpen: true))
        {
            int stride = width * channels;
            for (int y = 0; y < height; y++)
            {
                z.WriteByte(0);
                z.Write(pixels.Slice(y * stride, stride));
            }
        }
        Chunk(ms, "IDAT", raw.ToArray());
        Chunk(ms, "IEND", []);
        return ms.ToArray();
    }

    /// <summary>Writes a float tensor (H, W) or (C, H, W) with values in [0, 1] (clamped) as a PNG file, atomically.</summary>
    public static void Save(string path, Tensor image)
    {
        var t = image.Rank == 2 ? image.Unsqueeze(0) : image;
        if (t.Rank != 3 || t.Size(0) is not (1 or 3))
            throw new ArgumentException($"Png.Save: expected (H, W) or (C, H, W) with C = 1 or 3, got {Shapes.Format(image.Shape)}");
        int c = t.Size(0), h = t.Size(1), w = t.Size(2);
        var v = t.Permute(1, 2, 0).Contiguous().ToArray<float>();
        var bytes = new byte[v.Length];
        for (int i = 0; i < v.Length; i++) bytes[i] = (byte)Math.Round(Math.Clamp(v[i], 0, 1) * 255);
        var png = Encode(bytes, w, h, c);
        AtomicFile.Write(path, s => s.Write(png));
    }

    private static void Chunk(Stream s, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(b, data.Length);
        s.Write(b);
        var t = System.Text.Encoding.ASCII.GetBytes(type);
        s.Write(t);
        s.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(b, Crc(t, data));
        s.Write(b);
    }

    /// <summary>Decodes a PNG file to a float32 tensor (C, H, W) with values in [0, 1]; palette images become RGB,
    /// alpha is kept as the last channel.</summary>
    public static Tensor Load(string path) => Decode(path, File.ReadAllBytes(path));

    /// <summary>Decodes PNG bytes; <paramref name="name"/> is used in errors.</summary>
    public static Tensor Decode(string name, ReadOnlySpan<byte> b)
    {
        if (b.Length < 8 || !b[..8].SequenceEqual(Signature)) throw new PngFormatException($"{name}: offset 0: not a PNG signature");
        int pos = 8, width = 0, height = 0, colorType = -1;
        byte[]? palette = null;
        using var idat = new MemoryStream();
        bool end = false;
        while (!end)
        {
            if (pos + 8 > b.Length) throw new PngFormatException($"{name}: offset {pos}: truncated chunk header");
            int len = BinaryPrimitives.ReadInt32BigEndian(b[pos..]);
            string type = System.Text.Encoding.ASCII.GetString(b.Slice(pos + 4, 4));
            if (len < 0 || (long)pos + 12 + len > b.Length)
                throw new PngFormatException($"{name}: offset {pos}: chunk '{type}' length {len} exceeds the file ({b.Length} bytes)");
            var data = b.Slice(pos + 8, len);
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(b[(pos + 8 + len)..]);
            if (crc != Crc(b.Slice(pos + 4, 4), data)) throw new PngFormatException($"{name}: offset {pos}: chunk '{type}' CRC mismatch");
            switch (type)
            {
                case "IHDR":
                    if (len != 13) throw new PngFormatException($"{name}: offset {pos}: IHDR has {len} bytes, not 13");
                    width = BinaryPrimitives.ReadInt32BigEndian(data);
                    height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                    colorType = data[9];
                    if (width <= 0 || height <= 0 || (long)width * height > MaxPixels)
                        throw new PngFormatException($"{name}: offset {pos + 8}: IHDR size {width}x{height} is invalid or too large");
                    if (data[8] != 8) throw new PngFormatException($"{name}: offset {pos + 16}: IHDR bit depth {data[8]} is not supported (only 8)");
                    if (data[10] != 0 || data[11] != 0)
                    {
                        throw new PngFormatException(
                            $"{name}: offset {pos + 18}: IHDR compression {data[10]} / filter method {data[11]} "
                            + "is not 0");
                    }
                    if (data[12] != 0) throw new PngFormatException($"{name}: offset {pos + 20}: interlaced PNG is not supported");
                    if (colorType is not (0 or 2 or 3 or 4 or 6))
                        throw new PngFormatException($"{name}: offset {pos + 17}: IHDR colour type {colorType} is invalid");
                    break;
                case "PLTE":
                    palette = data.ToArray();
                    break;
                case "IDAT":
                    idat.Write(data);
                    break;
                case "IEND":
                    end = true;
                    break;
            }
            pos += 12 + len;
        }
        if (colorType < 0) throw new PngFormatException($"{name}: no IHDR chunk");
        int channels = colorType switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, _ => 4 };
        int stride = width * channels;
        long rawLength = (long)(stride + 1) * height;
        // Deflate expands at most about 1032:1, so a header that claims more pixels than its IDAT data could hold
        // is rejected before the image buffer is allocated.
        if (rawLength > idat.Length * 1032 + 1024)
        {
            throw new PngFormatException(
                $"{name}: IDAT holds {idat.Length} compressed bytes, too few for a {width}x{height} image");
        }
        var raw = new byte[rawLength];
        try
        {
            idat.Position = 0;
            using var z = new ZLibStream(idat, CompressionMode.Decompress);
            int read = 0;
            while (read < raw.Length)
            {
                int n = z.Read(raw, read, raw.Length - read);
                if (n == 0) break;
                read += n;
            }
            if (read < raw.Length) throw new PngFormatException($"{name}: IDAT holds {read} bytes of image data, {raw.Length} needed");
        }
        catch (InvalidDataException e)
        {
            throw new PngFormatException($"{name}: IDAT: corrupt zlib stream: {e.Message}");
        }
        var pixels = Unfilter(name, raw, stride, height, channels);
        int outC = colorType == 3 ? 3 : channels;
        var v = new float[outC * width * height];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                for (int c = 0; c < outC; c++)
                {
                    byte px;
                    if (colorType == 3)
                    {
                        int idx = pixels[y * stride + x] * 3 + c;
                        if (palette is null || idx >= palette.Length)
                            throw new PngFormatException($"{name}: palette index {pixels[y * stride + x]} outside PLTE");
                        px = palette[idx];
                    }
                    else
                    {
                        px = pixels[y * stride + x * channels + c];
                    }
                    v[(c * height + y) * width + x] = px / 255f;
                }
            }
        }
        return Tensor.From(v, outC, height, width);
    }

    private static byte[] Unfilter(string name, byte[] raw, int stride, int height, int bpp)
    {
        var o = new byte[stride * height];
        for (int y = 0; y < height; y++)
        {
            int filter = raw[y * (stride + 1)];
            var line = raw.AsSpan(y * (stride + 1) + 1, stride);
            for (int i = 0; i < stride; i++)
            {
                int a = i >= bpp ? o[y * stride + i - bpp] : 0;
                int up = y > 0 ? o[(y - 1) * stride + i] : 0;
                int c = y > 0 && i >= bpp ? o[(y - 1) * stride + i - bpp] : 0;
                int pred = filter switch
                {
                    0 => 0,
                    1 => a,
                    2 => up,
                    3 => (a + up) / 2,
                    4 => Paeth(a, up, c),
                    _ => throw new PngFormatException($"{name}: row {y}: unknown filter type {filter}"),
                };
                o[y * stride + i] = (byte)(line[i] + pred);
            }
        }
        return o;
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
