using System.Runtime.InteropServices;
using SkiaSharp;

namespace Dendrite.IO;

/// <summary>An image file that cannot be decoded: not an image, an unsupported format, truncated, or larger than
/// the configured limit. The message starts with the file name.</summary>
public sealed class ImageFormatException(string message) : Exception(message);

/// <summary>The channels an image is decoded to.</summary>
public enum ImageColor
{
    /// <summary>Grey (1, H, W) when the file stores grey pixels, RGB (3, H, W) otherwise.</summary>
    Auto,

    /// <summary>One channel, (1, H, W); colour becomes ITU-R 601 luma, L = 0.299 R + 0.587 G + 0.114 B, in Pillow's
    /// fixed-point form so that <c>convert("L")</c> gives the same levels.</summary>
    Grey,

    /// <summary>Three channels, (3, H, W); alpha is dropped, grey is repeated.</summary>
    Rgb,
}

/// <summary>How an image file becomes a tensor.</summary>
/// <param name="Color">Grey, RGB, or whatever the file stores.</param>
/// <param name="Scale">true: values in [0, 1] (v / 255); false: the stored 8-bit levels 0..255 as float32.</param>
/// <param name="MaxPixels">Width × height above which a file is refused before any pixel memory is allocated
/// (default 64 megapixels, 256 MB as decoded RGBA).</param>
/// <param name="MaxBytes">The most memory one decode may take, checked from the header before any pixel memory is
/// allocated: the decoder's buffer (1 or 4 bytes a pixel) plus the float32 tensor (4 bytes a pixel a channel).
/// 512 MiB by default: an 8192×8192 colour image (1.25 GiB) is refused, 64 megapixels of grey (320 MiB) are
/// read.</param>
public sealed record ImageReadOptions(ImageColor Color = ImageColor.Auto, bool Scale = true,
    long MaxPixels = ImageReadOptions.DefaultMaxPixels, long MaxBytes = ImageReadOptions.DefaultMaxBytes)
{
    /// <summary>The default limit: 64 megapixels.</summary>
    public const long DefaultMaxPixels = 64L << 20;

    /// <summary>The default memory limit of one decode: 512 MiB.</summary>
    public const long DefaultMaxBytes = 512L << 20;
}

/// <summary>
/// Image files as float32 tensors (C, H, W) through SkiaSharp: PNG, JPEG, BMP, GIF (first frame) and WebP are decoded,
/// PNG is encoded. Files are untrusted: the header is read first and the decoded size is checked against
/// <see cref="ImageReadOptions.MaxPixels"/> before pixels are allocated; a truncated file is an error, not a partly
/// grey image. Pixel values are the stored 8-bit levels (no colour-profile conversion), as Pillow reads them.
/// </summary>
public static class Image
{
    private static readonly SKEncodedImageFormat[] Supported =
    [
        SKEncodedImageFormat.Png, SKEncodedImageFormat.Jpeg, SKEncodedImageFormat.Bmp, SKEncodedImageFormat.Gif,
        SKEncodedImageFormat.Webp,
    ];

    /// <summary>Reads and decodes an image file: (1, H, W) or (3, H, W).</summary>
    public static Tensor Load(string path, ImageReadOptions? options = null)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new FileNotFoundException($"Image.Load: {path}: no such file", path);
        }
        return Decode(path, bytes, options);
    }

    /// <summary>The width, height, format and stored channel count of an image from its header alone.</summary>
    public static (int Width, int Height, SKEncodedImageFormat Format, int Channels) ReadHeader(string name,
        ReadOnlySpan<byte> bytes)
    {
        using var codec = OpenCodec(name, bytes, out var data);
        using (data)
        {
            return (codec.Info.Width, codec.Info.Height, codec.EncodedFormat, IsGrey(codec) ? 1 : 3);
        }
    }

    /// <summary>Decodes image bytes; <paramref name="name"/> names the source in errors.</summary>
    public static Tensor Decode(string name, ReadOnlySpan<byte> bytes, ImageReadOptions? options = null)
    {
        options ??= new ImageReadOptions();
        using var codec = OpenCodec(name, bytes, out var data);
        using (data)
        {
            int w = codec.Info.Width, h = codec.Info.Height;
            long pixels = (long)w * h;
            if (w <= 0 || h <= 0)
                throw new ImageFormatException($"{name}: {codec.EncodedFormat} header gives an empty size {w}x{h}");
            if (pixels > options.MaxPixels)
                throw new ImageFormatException($"{name}: {codec.EncodedFormat} image {w}x{h} ({pixels} pixels) " +
                    $"exceeds the limit of {options.MaxPixels} pixels");
            bool storedGrey = IsGrey(codec);
            int channels = options.Color switch
            {
                ImageColor.Grey => 1,
                ImageColor.Rgb => 3,
                _ => storedGrey ? 1 : 3,
            };
            // Grey files decode straight to one byte per pixel; everything else to unpremultiplied RGBA.
            bool greyDecode = storedGrey && channels == 1;
            long need = pixels * (greyDecode ? 1 : 4) + pixels * channels * sizeof(float);
            if (need > options.MaxBytes)
                throw new ImageFormatException($"{name}: {codec.EncodedFormat} image {w}x{h} would take {need:N0} " +
                    $"bytes to decode into {channels} channels, more than the limit of {options.MaxBytes:N0} " +
                    "(ImageReadOptions.MaxBytes)");
            var info = new SKImageInfo(w, h, greyDecode ? SKColorType.Gray8 : SKColorType.Rgba8888,
                SKAlphaType.Unpremul);
            var raw = new byte[pixels * info.BytesPerPixel];
            var handle = GCHandle.Alloc(raw, GCHandleType.Pinned);
            SKCodecResult result;
            try
            {
                result = codec.GetPixels(info, handle.AddrOfPinnedObject());
            }
            finally
            {
                handle.Free();
            }
            if (result == SKCodecResult.IncompleteInput || result == SKCodecResult.ErrorInInput)
                throw new ImageFormatException($"{name}: {codec.EncodedFormat} image {w}x{h} is truncated or corrupt " +
                    $"({bytes.Length} bytes, decoder said {result})");
            if (result != SKCodecResult.Success)
                throw new ImageFormatException(
                    $"{name}: {codec.EncodedFormat} image {w}x{h} cannot be decoded: {result}");
            return ToTensor(raw, w, h, greyDecode ? 1 : 4, channels, options.Scale ? 255f : 1f);
        }
    }

    private static SKCodec OpenCodec(string name, ReadOnlySpan<byte> bytes, out SKData data)
    {
        if (bytes.Length == 0) throw new ImageFormatException($"{name}: empty file, not an image");
        data = SKData.CreateCopy(bytes);
        // The codec owns the stream once created; a failed creation leaves it to us.
        var stream = new SKMemoryStream(data);
        var codec = SKCodec.Create(stream, out var result);
        if (codec is null)
        {
            stream.Dispose();
            data.Dispose();
            string what = result == SKCodecResult.IncompleteInput
                ? "truncated before the end of its header"
                : "not an image in a known format (PNG, JPEG, BMP, GIF, WebP)";
            throw new ImageFormatException($"{name}: {what} ({bytes.Length} bytes, decoder said {result})");
        }
        if (Array.IndexOf(Supported, codec.EncodedFormat) < 0)
        {
            var format = codec.EncodedFormat;
            codec.Dispose();
            data.Dispose();
            throw new ImageFormatException($"{name}: unsupported image format {format} " +
                "(PNG, JPEG, BMP, GIF and WebP are read)");
        }
        return codec;
    }

    private static bool IsGrey(SKCodec codec) => codec.Info.ColorType is SKColorType.Gray8 or SKColorType.Alpha8;

    // raw: H·W pixels of `stride` bytes (1 = grey, 4 = RGBA) → (C, H, W) float32, each level divided by `unit`
    // (a division, so that level / 255 is the float nearest to it, as torchvision's ToTensor gives).
    private static Tensor ToTensor(byte[] raw, int w, int h, int stride, int channels, float unit)
    {
        int n = w * h;
        var v = new float[channels * n];
        if (stride == 1)
        {
            for (int i = 0; i < n; i++) v[i] = raw[i] / unit;
            for (int c = 1; c < channels; c++) Array.Copy(v, 0, v, c * n, n);
        }
        else if (channels == 3)
        {
            for (int i = 0; i < n; i++)
            {
                v[i] = raw[4 * i] / unit;
                v[n + i] = raw[4 * i + 1] / unit;
                v[2 * n + i] = raw[4 * i + 2] / unit;
            }
        }
        else
        {
            // Pillow's L conversion: weights scaled by 2¹⁶ (19595 + 38470 + 7471 = 65536), rounded.
            for (int i = 0; i < n; i++)
                v[i] = ((raw[4 * i] * 19595 + raw[4 * i + 1] * 38470 + raw[4 * i + 2] * 7471 + 0x8000) >> 16) / unit;
        }
        return Tensor.From(v, channels, h, w);
    }

    /// <summary>Encodes a float tensor (H, W), (1, H, W) or (3, H, W) as PNG bytes. Values are levels in
    /// [0, 1] (<paramref name="scaled"/>, the default) or in [0, 255]; both are rounded and clamped.</summary>
    public static byte[] EncodePng(Tensor image, bool scaled = true)
    {
        var t = image.Rank == 2 ? image.Unsqueeze(0) : image;
        if (t.Rank != 3 || t.Size(0) is not (1 or 3) || t.DType != DType.Float32)
            throw new ArgumentException("Image.EncodePng: expected a float32 (H, W) or (C, H, W) tensor, C = 1 or 3, " +
                $"got {t.DType} {Shapes.Format(image.Shape)}");
        int c = t.Size(0), h = t.Size(1), w = t.Size(2);
        if (h == 0 || w == 0) throw new ArgumentException($"Image.EncodePng: empty image {Shapes.Format(image.Shape)}");
        var v = t.Contiguous().ToArray<float>();
        float k = scaled ? 255f : 1f;
        int n = w * h;
        var info = new SKImageInfo(w, h, c == 1 ? SKColorType.Gray8 : SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var raw = new byte[n * info.BytesPerPixel];
        for (int i = 0; i < n; i++)
        {
            if (c == 1)
            {
                raw[i] = Level(v[i] * k);
                continue;
            }
            raw[4 * i] = Level(v[i] * k);
            raw[4 * i + 1] = Level(v[n + i] * k);
            raw[4 * i + 2] = Level(v[2 * n + i] * k);
            raw[4 * i + 3] = 255;
        }
        var handle = GCHandle.Alloc(raw, GCHandleType.Pinned);
        try
        {
            using var pixmap = new SKPixmap(info, handle.AddrOfPinnedObject(), info.RowBytes);
            using var png = pixmap.Encode(SKEncodedImageFormat.Png, 100)
                ?? throw new InvalidOperationException($"Image.EncodePng: the encoder failed for {w}x{h}x{c}");
            return png.ToArray();
        }
        finally
        {
            handle.Free();
        }
    }

    /// <summary>Writes a tensor as a PNG file, atomically (see <see cref="EncodePng"/>).</summary>
    public static void SavePng(string path, Tensor image, bool scaled = true)
    {
        var png = EncodePng(image, scaled);
        AtomicFile.Write(path, s => s.Write(png));
    }

    private static byte Level(float x) => float.IsNaN(x) ? (byte)0 : (byte)Math.Clamp(MathF.Round(x), 0, 255);
}
