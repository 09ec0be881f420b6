using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using SkiaSharp;

namespace Dendrite.IO;

public static partial class Plots
{
    private const int Gap = 6, LabelHeight = 18, TitleHeight = 28;

    /// <summary>Images (N, H, W) or (N, C, H, W) with C = 1 (grey) or 3 (RGB) in a grid, each with its label under
    /// it: samples, convolution filters, feature maps. Pixels are scaled up by a whole factor, nearest
    /// neighbour.</summary>
    public static void ImageGrid(string path, Tensor images, ImageGridOptions? options = null)
    {
        options ??= new ImageGridOptions();
        var t = images.Rank == 3 ? images.Unsqueeze(1) : images;
        if (t.Rank != 4 || t.Size(1) is not (1 or 3) || t.Size(0) == 0 || t.Size(2) == 0 || t.Size(3) == 0)
            throw new ArgumentException("Plots.ImageGrid: expected images (N, H, W) or (N, C, H, W) with C = 1 or 3, " +
                $"got {Shapes.Format(images.Shape)}");
        int n = t.Size(0), c = t.Size(1), h = t.Size(2), w = t.Size(3);
        if (options.Labels is { } labels && labels.Count != n)
            throw new ArgumentException($"Plots.ImageGrid: {labels.Count} labels for {n} images");
        int cols = options.Columns ?? (int)Math.Ceiling(Math.Sqrt(n));
        if (cols < 1) throw new ArgumentException($"Plots.ImageGrid: columns must be >= 1, got {cols}");
        int scale = options.Scale ?? Math.Max(1, (int)Math.Ceiling(64.0 / h));
        if (scale < 1 || (long)w * scale > 8192 || (long)h * scale > 8192)
            throw new ArgumentException($"Plots.ImageGrid: scale {scale} makes {w}x{h} tiles outside 1..8192 pixels");
        var levels = Levels(Values(t, "Plots.ImageGrid"), n, c * h * w, options.Normalization);
        int rows = (n + cols - 1) / cols;
        int labelH = options.Labels is null ? 0 : LabelHeight;
        int top = options.Title is null ? Gap : TitleHeight;
        int tileW = w * scale, tileH = h * scale;
        int width = Gap + cols * (tileW + Gap), height = top + rows * (tileH + labelH + Gap);
        if ((long)width * height > 1L << 26)
            throw new ArgumentException($"Plots.ImageGrid: a {width}x{height} figure is over 64 megapixels");
        var tiles = new (int X, int Y)[n];
        for (int i = 0; i < n; i++)
            tiles[i] = (Gap + i % cols * (tileW + Gap), top + i / cols * (tileH + labelH + Gap));

        if (Resolve(path, options.Format, "Plots.ImageGrid") == PlotFormat.Svg)
        {
            AtomicFile.WriteText(path, GridSvg(levels, c, h, w, scale, width, height, tiles, options));
            return;
        }
        using var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        using var font = new SKFont(SKTypeface.Default, 13);
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        if (options.Title is not null)
            canvas.DrawText(options.Title, width / 2f, TitleHeight - 9, SKTextAlign.Center, font, ink);
        for (int i = 0; i < n; i++)
        {
            using var tile = Tile(levels, i, c, h, w);
            var rect = SKRect.Create(tiles[i].X, tiles[i].Y, tileW, tileH);
            canvas.DrawImage(tile, rect, new SKSamplingOptions(SKFilterMode.Nearest));
            if (options.Labels is { } names)
            {
                canvas.DrawText(names[i], tiles[i].X + tileW / 2f, tiles[i].Y + tileH + 14, SKTextAlign.Center,
                    font, ink);
            }
        }
        using var snapshot = surface.Snapshot();
        using var png = snapshot.Encode(SKEncodedImageFormat.Png, 100);
        var bytes = png.ToArray();
        AtomicFile.Write(path, s => s.Write(bytes));
    }

    // Values (N·S) → 8-bit levels by the chosen normalisation; a constant image becomes mid grey.
    private static byte[] Levels(double[] v, int n, int size, ImageNormalization mode)
    {
        var levels = new byte[v.Length];
        var finite = v.Where(double.IsFinite).DefaultIfEmpty(0).ToArray();
        double gMin = finite.Min(), gMax = finite.Max();
        for (int i = 0; i < n; i++)
        {
            var part = new ArraySegment<double>(v, i * size, size);
            double lo = 0, hi = 1;
            if (mode == ImageNormalization.Global)
            {
                (lo, hi) = (gMin, gMax);
            }
            else if (mode == ImageNormalization.PerImage)
            {
                lo = part.Where(double.IsFinite).DefaultIfEmpty(0).Min();
                hi = part.Where(double.IsFinite).DefaultIfEmpty(0).Max();
            }
            for (int j = 0; j < size; j++)
            {
                double a = part[j];
                double u = !double.IsFinite(a) ? 0 : hi > lo ? (a - lo) / (hi - lo) : 0.5;
                levels[i * size + j] = (byte)Math.Round(Math.Clamp(u, 0, 1) * 255);
            }
        }
        return levels;
    }

    // Image i of the levels as an SKImage (RGBA, grey repeated).
    private static SKImage Tile(byte[] levels, int i, int c, int h, int w)
    {
        int n = h * w, at = i * c * n;
        var rgba = new byte[4 * n];
        for (int p = 0; p < n; p++)
        {
            rgba[4 * p] = levels[at + p];
            rgba[4 * p + 1] = levels[at + (c == 3 ? n : 0) + p];
            rgba[4 * p + 2] = levels[at + (c == 3 ? 2 * n : 0) + p];
            rgba[4 * p + 3] = 255;
        }
        var info = new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var handle = GCHandle.Alloc(rgba, GCHandleType.Pinned);
        try
        {
            using var pixmap = new SKPixmap(info, handle.AddrOfPinnedObject(), info.RowBytes);
            return SKImage.FromPixelCopy(pixmap);
        }
        finally
        {
            handle.Free();
        }
    }

    // The grid as SVG: each tile an embedded PNG drawn without smoothing, labels as text.
    private static string GridSvg(byte[] levels, int c, int h, int w, int scale, int width, int height,
        (int X, int Y)[] tiles, ImageGridOptions o)
    {
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        sb.Append(inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" ");
        sb.Append(inv, $"viewBox=\"0 0 {width} {height}\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        if (o.Title is not null)
        {
            sb.Append(inv, $"<text x=\"{width / 2}\" y=\"{TitleHeight - 9}\" text-anchor=\"middle\" ");
            sb.Append(inv, $"font-family=\"sans-serif\" font-size=\"13\">{Escape(o.Title)}</text>\n");
        }
        for (int i = 0; i < tiles.Length; i++)
        {
            using var tile = Tile(levels, i, c, h, w);
            using var png = tile.Encode(SKEncodedImageFormat.Png, 100);
            var (x, y) = tiles[i];
            sb.Append(inv, $"<image x=\"{x}\" y=\"{y}\" width=\"{w * scale}\" height=\"{h * scale}\" ");
            sb.Append("style=\"image-rendering:pixelated\" href=\"data:image/png;base64,");
            sb.Append(Convert.ToBase64String(png.AsSpan())).Append("\"/>\n");
            if (o.Labels is { } labels)
            {
                sb.Append(inv, $"<text x=\"{x + w * scale / 2}\" y=\"{y + h * scale + 14}\" text-anchor=\"middle\" ");
                sb.Append(inv, $"font-family=\"sans-serif\" font-size=\"13\">{Escape(labels[i])}</text>\n");
            }
        }
        return sb.Append("</svg>\n").ToString();
    }

    private static string Escape(string s) => System.Security.SecurityElement.Escape(s);
}
