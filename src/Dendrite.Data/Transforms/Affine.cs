// One affine resampler for every geometric augmentation (rotation, translation, zoom, shear), as torchvision's
// functional affine defines it: the output pixel at (x, y), measured in pixels from the image centre, takes the
// source value at M⁻¹·(x, y, 1), read by bilinear interpolation between the four nearest pixel centres
// (align_corners = false). Positions outside the image are filled by a fill mode. Checked against torchvision 0.14 and
// torch.nn.functional.grid_sample on fixtures from tools/make_augment_fixtures.py.
//
//   output pixel (i, j) → x = j + ½ − W/2, y = i + ½ − H/2
//   source (u, v) = M⁻¹ (x, y, 1) → column u + (W − 1)/2, row v + (H − 1)/2

using System.Buffers;

namespace Dendrite.Data.Transforms;

/// <summary>What a geometric transform puts where the source image has no pixel.</summary>
public enum FillMode
{
    /// <summary>A constant value (<c>grid_sample</c>'s zeros padding when it is 0).</summary>
    Constant,

    /// <summary>The nearest edge pixel (<c>grid_sample</c>'s border padding; PyTorch pad's replicate).</summary>
    Nearest,

    /// <summary>The image mirrored about its edges, edge pixels repeated: d c b a | a b c d | d c b a
    /// (<c>grid_sample</c>'s reflection padding with align_corners = false; Keras's reflect).</summary>
    Reflect,

    /// <summary>The image repeated periodically: a b c d | a b c d | a b c d.</summary>
    Wrap,
}

/// <summary>The inverse affine map and bilinear resampling shared by every geometric transform.</summary>
public static class Affine
{
    /// <summary>The inverse map M⁻¹ as the six numbers (a, b, c, d, e, f): source u = a·x + b·y + c, v = d·x + e·y +
    /// f, of a rotation by <paramref name="angle"/> degrees (clockwise on screen for positive angles, as
    /// torchvision's affine), a translation by (<paramref name="translateX"/>, <paramref name="translateY"/>) pixels,
    /// a zoom by <paramref name="scale"/> (above 1 enlarges) and shears of <paramref name="shearX"/>,
    /// <paramref name="shearY"/> degrees, about the image centre. Equal to torchvision 0.14's
    /// <c>_get_inverse_affine_matrix</c> with the centre at the origin.</summary>
    public static double[] InverseMatrix(double angle, double translateX = 0, double translateY = 0, double scale = 1,
        double shearX = 0, double shearY = 0)
    {
        if (!(scale > 0) || !double.IsFinite(scale))
            throw new ArgumentOutOfRangeException(nameof(scale), $"Affine: scale must be positive, got {scale}");
        double rot = angle * Math.PI / 180, sx = shearX * Math.PI / 180, sy = shearY * Math.PI / 180;
        // Forward map without scale: rotation R(rot) times the shears; its determinant is 1.
        double a = Math.Cos(rot - sy) / Math.Cos(sy);
        double b = -Math.Cos(rot - sy) * Math.Tan(sx) / Math.Cos(sy) - Math.Sin(rot);
        double c = Math.Sin(rot - sy) / Math.Cos(sy);
        double d = -Math.Sin(rot - sy) * Math.Tan(sx) / Math.Cos(sy) + Math.Cos(rot);
        // Inverse: [[d, −b], [−c, a]] / scale, then undo the translation: M⁻¹ (x − t).
        double[] m = [d / scale, -b / scale, 0, -c / scale, a / scale, 0];
        m[2] = -(m[0] * translateX + m[1] * translateY);
        m[5] = -(m[3] * translateX + m[4] * translateY);
        return m;
    }

    /// <summary>Resamples <paramref name="image"/> (C, H, W) in place through the inverse map
    /// <paramref name="inverse"/> (six numbers, <see cref="InverseMatrix"/>), bilinear, with
    /// <paramref name="fill"/> outside the image (<paramref name="value"/> for <see cref="FillMode.Constant"/>).
    /// </summary>
    public static void Resample(Span<float> image, ImageShape shape, ReadOnlySpan<double> inverse, FillMode fill,
        float value = 0)
    {
        if (inverse.Length != 6)
            throw new ArgumentException($"Affine.Resample: the inverse map needs 6 numbers, got {inverse.Length}");
        if (image.Length != shape.Size)
            throw new ArgumentException($"Affine.Resample: image of {image.Length} values for shape " +
                $"({shape.Channels}, {shape.Height}, {shape.Width})");
        var source = ArrayPool<float>.Shared.Rent(shape.Size);
        try
        {
            image.CopyTo(source);
            Sample(source.AsSpan(0, shape.Size), image, shape, inverse, fill, value);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(source);
        }
    }

    private static void Sample(ReadOnlySpan<float> src, Span<float> dst, ImageShape shape, ReadOnlySpan<double> m,
        FillMode fill, float value)
    {
        int h = shape.Height, w = shape.Width, plane = shape.Plane;
        double cx = (w - 1) / 2.0, cy = (h - 1) / 2.0;
        for (int i = 0; i < h; i++)
        {
            double y = i + 0.5 - h / 2.0;
            for (int j = 0; j < w; j++)
            {
                double x = j + 0.5 - w / 2.0;
                double u = m[0] * x + m[1] * y + m[2] + cx, v = m[3] * x + m[4] * y + m[5] + cy;
                double uf = Math.Floor(u), vf = Math.Floor(v);
                if (!double.IsFinite(uf) || !double.IsFinite(vf)) throw new ArgumentException(
                    "Affine.Resample: the inverse map sends a pixel to a non-finite position");
                // Far outside the image every mode but wrap and reflect gives a known value; clamp the index first
                // so that huge coordinates cannot overflow an int.
                int u0 = (int)Math.Clamp(uf, -4L * w - 2, 4L * w + 2);
                int v0 = (int)Math.Clamp(vf, -4L * h - 2, 4L * h + 2);
                float fu = (float)(u - uf), fv = (float)(v - vf);
                float w00 = (1 - fu) * (1 - fv), w01 = fu * (1 - fv), w10 = (1 - fu) * fv, w11 = fu * fv;
                bool inside = u0 >= 0 && v0 >= 0 && u0 + 1 < w && v0 + 1 < h;
                for (int c = 0; c < shape.Channels; c++)
                {
                    var p = src.Slice(c * plane, plane);
                    float s;
                    if (inside)
                    {
                        int at = v0 * w + u0;
                        s = w00 * p[at] + w01 * p[at + 1] + w10 * p[at + w] + w11 * p[at + w + 1];
                    }
                    else
                    {
                        s = w00 * Fetch(p, v0, u0, h, w, fill, value) + w01 * Fetch(p, v0, u0 + 1, h, w, fill, value)
                            + w10 * Fetch(p, v0 + 1, u0, h, w, fill, value)
                            + w11 * Fetch(p, v0 + 1, u0 + 1, h, w, fill, value);
                    }
                    dst[c * plane + i * w + j] = s;
                }
            }
        }
    }

    /// <summary>The value of plane <paramref name="p"/> (H, W) at row <paramref name="r"/>, column
    /// <paramref name="c"/>, which may lie outside the image: then <paramref name="fill"/> decides.</summary>
    internal static float Fetch(ReadOnlySpan<float> p, int r, int c, int h, int w, FillMode fill, float value)
    {
        if ((uint)r < (uint)h && (uint)c < (uint)w) return p[r * w + c];
        return fill switch
        {
            FillMode.Constant => value,
            FillMode.Nearest => p[Math.Clamp(r, 0, h - 1) * w + Math.Clamp(c, 0, w - 1)],
            FillMode.Reflect => p[Reflect(r, h) * w + Reflect(c, w)],
            FillMode.Wrap => p[Mod(r, h) * w + Mod(c, w)],
            _ => throw new ArgumentOutOfRangeException(nameof(fill), fill, "Affine: unknown fill mode"),
        };
    }

    // Half-sample symmetric reflection: period 2n, the second half mirrored.
    private static int Reflect(int i, int n)
    {
        int k = Mod(i, 2 * n);
        return k < n ? k : 2 * n - 1 - k;
    }

    private static int Mod(int i, int n)
    {
        int k = i % n;
        return k < 0 ? k + n : k;
    }
}

/// <summary>A random affine map per image: rotation, translation, zoom and shear drawn uniformly from the given
/// ranges (each range symmetric about no change unless stated), applied by the one bilinear resampler
/// (<see cref="Affine"/>). The factories build the single-purpose forms.</summary>
public sealed record RandomAffine : ITransform
{
    /// <summary>Largest rotation in degrees: the angle is uniform in [−Degrees, Degrees].</summary>
    public double Degrees { get; init; }

    /// <summary>Largest shift as a fraction of the width and height: tx uniform in [−X·W, X·W], likewise ty.</summary>
    public (double X, double Y) Translate { get; init; }

    /// <summary>Zoom factor range: uniform in [Min, Max] (above 1 enlarges).</summary>
    public (double Min, double Max) Scale { get; init; } = (1, 1);

    /// <summary>Largest shears in degrees along x and along y, each uniform in [−s, s].</summary>
    public (double X, double Y) Shear { get; init; }

    /// <summary>What fills the positions that come from outside the image.</summary>
    public FillMode Fill { get; init; } = FillMode.Constant;

    /// <summary>The value of <see cref="FillMode.Constant"/>.</summary>
    public float FillValue { get; init; }

    /// <summary>Rotation by up to ±<paramref name="degrees"/>.</summary>
    public static RandomAffine Rotation(double degrees, FillMode fill = FillMode.Constant) =>
        new() { Degrees = degrees, Fill = fill };

    /// <summary>Shift by up to ±<paramref name="x"/> of the width and ±<paramref name="y"/> of the height.</summary>
    public static RandomAffine Translation(double x, double y, FillMode fill = FillMode.Constant) =>
        new() { Translate = (x, y), Fill = fill };

    /// <summary>Zoom by a factor uniform in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static RandomAffine Zoom(double min, double max, FillMode fill = FillMode.Constant) =>
        new() { Scale = (min, max), Fill = fill };

    /// <summary>Shear along x by up to ±<paramref name="degrees"/>.</summary>
    public static RandomAffine Shearing(double degrees, FillMode fill = FillMode.Constant) =>
        new() { Shear = (degrees, 0), Fill = fill };

    /// <inheritdoc/>
    public void Apply(Span<float> image, ImageShape shape, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        if (!(Scale.Min > 0) || Scale.Max < Scale.Min)
            throw new ArgumentException($"RandomAffine: scale range must satisfy 0 < min <= max, got {Scale}");
        double angle = Uniform(generator, -Degrees, Degrees);
        double tx = Uniform(generator, -Translate.X * shape.Width, Translate.X * shape.Width);
        double ty = Uniform(generator, -Translate.Y * shape.Height, Translate.Y * shape.Height);
        double scale = Uniform(generator, Scale.Min, Scale.Max);
        double sx = Uniform(generator, -Shear.X, Shear.X), sy = Uniform(generator, -Shear.Y, Shear.Y);
        Affine.Resample(image, shape, Affine.InverseMatrix(angle, tx, ty, scale, sx, sy), Fill, FillValue);
    }

    internal static double Uniform(Generator g, double low, double high) =>
        low == high ? low : low + (high - low) * g.NextDouble();
}
