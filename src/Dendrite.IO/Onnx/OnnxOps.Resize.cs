namespace Dendrite.IO;

// Resize and Upsample. Resampling is separable: each axis is resampled on its own, from the last axis to the
// first, which gives what ONNX's reference (interpolate_nd, recursing from the first axis inward) gives, since
// every output value is a weighted sum of inputs along one axis at a time. For output index x on an axis of input
// length L and scale s (output length L·s, not rounded, as in the reference):
//   half_pixel          x₀ = (x + ½)/s − ½           asymmetric           x₀ = x/s
//   pytorch_half_pixel  x₀ = (x + ½)/s − ½, or −½ when L·s = 1
//   align_corners       x₀ = x·(L − 1)/(L·s − 1), or 0 when L·s = 1
//   tf_half_pixel_for_nn x₀ = (x + ½)/s
//   tf_crop_and_resize  x₀ = r₀(L − 1) + x·(r₁ − r₀)(L − 1)/(L·s − 1); outside [0, L − 1] gives the extrapolation
// Then with b the tap left of x₀ (b = ⌊x₀⌋, or x₀ − 1 when x₀ is whole) and t = x₀ − b in (0, 1], the taps are
// b, b+1 (nearest, linear) or b−1 … b+2 (cubic), clamped to the edge, weighted:
//   linear  [1 − t, t]
//   cubic   Keys' kernel with parameter A (−0.75 by default) at distances 1+t, t, 1−t, 2−t
//   nearest one tap, chosen by nearest_mode (round_prefer_floor, round_prefer_ceil, floor, ceil).
internal static partial class OnnxOps
{
    private enum ResizeMode
    {
        Nearest,
        Linear,
        Cubic,
    }

    private sealed record ResizePlan(ResizeMode Mode, string Coordinates, string Nearest, double CubicA,
        bool ExcludeOutside, double Extrapolation);

    private static readonly string[] CoordinateModes =
        ["half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_half_pixel_for_nn",
            "tf_crop_and_resize"];

    private static readonly string[] NearestModes = ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"];

    private static void AddResize(Dictionary<string, Func<OnnxNode, Tensor[]>> t)
    {
        t["Resize"] = One(Resize);
        t["Upsample"] = One(Upsample);
    }

    private static ResizeMode ParseResizeMode(OnnxNode n, bool cubicAllowed)
    {
        string mode = n.Str("mode", "nearest");
        return mode switch
        {
            "nearest" => ResizeMode.Nearest,
            "linear" or "bilinear" or "trilinear" => ResizeMode.Linear,
            "cubic" when cubicAllowed => ResizeMode.Cubic,
            _ => throw n.Error(
                $"attribute mode '{mode}' is not one of nearest, linear{(cubicAllowed ? ", cubic" : "")}"),
        };
    }

    // Upsample (opsets 7 and 9) and Resize at opset 10 scale with asymmetric coordinates and take the floor for
    // nearest, so that an integer scale repeats each element.
    private static Tensor Upsample(OnnxNode n)
    {
        var x = n.In(0);
        var plan = new ResizePlan(ParseResizeMode(n, cubicAllowed: false), "asymmetric", "floor", -0.75, false, 0);
        float[] scales = n.Opset < 9 ? n.Floats("scales") ?? throw n.Error("attribute scales is required")
            : ResizeScales(n, n.In(1));
        return Resample(n, x, plan, ScaledShape(n, x, scales), null);
    }

    private static Tensor Resize(OnnxNode n)
    {
        var x = n.In(0);
        if (n.Opset < 11)
        {
            var old = new ResizePlan(ParseResizeMode(n, cubicAllowed: false), "asymmetric", "floor", -0.75, false, 0);
            return Resample(n, x, old, ScaledShape(n, x, ResizeScales(n, n.In(1))), null);
        }
        if (n.Int("antialias", 0) != 0) throw new OnnxUnsupportedException("Resize antialias");
        if (n.Has("axes")) throw new OnnxUnsupportedException("Resize axes");
        string coordinates = n.Str("coordinate_transformation_mode", "half_pixel");
        if (!CoordinateModes.Contains(coordinates))
            throw n.Error($"attribute coordinate_transformation_mode '{coordinates}' is not one of "
                + string.Join(", ", CoordinateModes));
        string nearest = n.Str("nearest_mode", "round_prefer_floor");
        if (!NearestModes.Contains(nearest))
            throw n.Error($"attribute nearest_mode '{nearest}' is not one of {string.Join(", ", NearestModes)}");
        var plan = new ResizePlan(ParseResizeMode(n, cubicAllowed: true), coordinates, nearest,
            n.Float("cubic_coeff_a", -0.75f), n.Int("exclude_outside", 0) != 0, n.Float("extrapolation_value", 0));
        // roi, scales and sizes are optional; an empty tensor counts as absent.
        Tensor? roiIn = n.Opt(1) is { Numel: > 0 } r ? r : null;
        Tensor? scalesIn = n.Opt(2) is { Numel: > 0 } s ? s : null;
        Tensor? sizesIn = n.Opt(3) is { Numel: > 0 } z ? z : null;
        if ((scalesIn is null) == (sizesIn is null))
            throw n.Error("exactly one of scales and sizes must be given");
        double[]? roi = null;
        if (coordinates == "tf_crop_and_resize")
        {
            if (roiIn is null) throw n.Error("coordinate_transformation_mode tf_crop_and_resize needs roi");
            if (roiIn.Numel != 2 * x.Rank)
                throw n.Error($"roi has {roiIn.Numel} values; rank {x.Rank} needs {2 * x.Rank}");
            roi = roiIn.ToArray<double>();
        }
        if (scalesIn is not null) return Resample(n, x, plan, ScaledShape(n, x, ResizeScales(n, scalesIn)), roi);
        var sizes = n.Longs(3);
        if (sizes.Length != x.Rank) throw n.Error($"sizes has {sizes.Length} values for rank {x.Rank}");
        CheckedNumel(n, sizes, "sizes");
        var shape = new int[x.Rank];
        var scale = new double[x.Rank];
        for (int d = 0; d < x.Rank; d++)
        {
            if (x.Shape[d] == 0 && sizes[d] != 0)
                throw n.Error($"sizes[{d}] = {sizes[d]} asks to resize an empty axis of {Shapes.Format(x.Shape)}");
            shape[d] = (int)sizes[d];
            scale[d] = x.Shape[d] == 0 ? 1 : (double)sizes[d] / x.Shape[d];
        }
        return Resample(n, x, plan, (shape, scale), roi);
    }

    private static float[] ResizeScales(OnnxNode n, Tensor scales)
    {
        if (!scales.DType.IsFloating() || scales.Rank != 1)
            throw n.Error($"scales must be a 1-D float tensor, got {scales.DType} {Shapes.Format(scales.Shape)}");
        return scales.ToArray<float>();
    }

    /// <summary>Output shape ⌊L·s⌋ per axis and the scales themselves.</summary>
    private static (int[] Shape, double[] Scale) ScaledShape(OnnxNode n, Tensor x, float[] scales)
    {
        if (scales.Length != x.Rank)
            throw n.Error($"scales has {scales.Length} values for input {Shapes.Format(x.Shape)}");
        var sizes = new long[x.Rank];
        var scale = new double[x.Rank];
        for (int d = 0; d < x.Rank; d++)
        {
            scale[d] = scales[d];
            if (!(scale[d] > 0) || double.IsInfinity(scale[d]))
                throw n.Error($"scales[{d}] = {scales[d]} must be positive and finite");
            double size = Math.Floor(scale[d] * x.Shape[d]);
            if (size > MaxComputedElements)
                throw n.Error($"scales[{d}] = {scales[d]} makes axis {d} of {Shapes.Format(x.Shape)} too long");
            sizes[d] = (long)size;
        }
        CheckedNumel(n, sizes, "output shape");
        return (sizes.Select(v => (int)v).ToArray(), scale);
    }

    private static Tensor Resample(OnnxNode n, Tensor x, ResizePlan plan, (int[] Shape, double[] Scale) target,
        double[]? roi)
    {
        var (outShape, scale) = target;
        var data = x.ToArray<double>();
        var shape = x.Shape.ToArray();
        for (int d = x.Rank - 1; d >= 0; d--)
        {
            if (shape[d] == 0 || outShape[d] == 0)
            {
                shape[d] = outShape[d];
                data = new double[shape.Aggregate(1, (a, b) => a * b)];
                continue;
            }
            (double Start, double End)? box = roi is null ? null : (roi[d], roi[d + x.Rank]);
            data = ResampleAxis(data, shape, d, outShape[d], scale[d], plan, box);
            shape[d] = outShape[d];
        }
        return Tensor.From(data, shape).To(x.DType);
    }

    private static double[] ResampleAxis(double[] src, int[] shape, int axis, int lenOut, double scale,
        ResizePlan plan, (double Start, double End)? roi)
    {
        int lenIn = shape[axis];
        int outer = 1, inner = 1;
        for (int i = 0; i < axis; i++) outer *= shape[i];
        for (int i = axis + 1; i < shape.Length; i++) inner *= shape[i];
        var dst = new double[outer * lenOut * inner];
        for (int xo = 0; xo < lenOut; xo++)
        {
            var taps = Taps(xo, lenIn, scale, plan, roi);
            for (int o = 0; o < outer; o++)
            {
                int to = (o * lenOut + xo) * inner, from = o * lenIn * inner;
                for (int i = 0; i < inner; i++)
                {
                    double v = taps is null ? plan.Extrapolation : 0;
                    if (taps is not null)
                    {
                        foreach (var (index, weight) in taps) v += weight * src[from + index * inner + i];
                    }
                    dst[to + i] = v;
                }
            }
        }
        return dst;
    }

    /// <summary>The input indices and weights output index <paramref name="xo"/> reads, or null when it lies
    /// outside the crop box of tf_crop_and_resize.</summary>
    private static (int Index, double Weight)[]? Taps(int xo, int lenIn, double scale, ResizePlan plan,
        (double Start, double End)? roi)
    {
        double lenResized = scale * lenIn;
        double x0 = plan.Coordinates switch
        {
            "pytorch_half_pixel" => lenResized == 1 ? -0.5 : (xo + 0.5) / scale - 0.5,
            "align_corners" => lenResized == 1 ? 0 : xo * (lenIn - 1) / (lenResized - 1),
            "asymmetric" => xo / scale,
            "tf_half_pixel_for_nn" => (xo + 0.5) / scale,
            "tf_crop_and_resize" => CropCoordinate(xo, lenIn, lenResized, roi!.Value),
            _ => (xo + 0.5) / scale - 0.5,
        };
        if (plan.Coordinates == "tf_crop_and_resize" && (x0 < 0 || x0 > lenIn - 1)) return null;
        double floor = Math.Floor(x0);
        bool whole = x0 == floor;
        int b = (int)Math.Clamp(whole ? floor - 1 : floor, -4.0, lenIn + 4.0);
        double t = whole ? 1 : x0 - floor;
        double[] w;
        int first;
        switch (plan.Mode)
        {
            case ResizeMode.Nearest:
                {
                    bool right = whole || plan.Nearest switch
                    {
                        "round_prefer_ceil" => t >= 0.5,
                        "floor" => false,
                        "ceil" => true,
                        _ => t > 0.5,
                    };
                    w = right ? [0, 1] : [1, 0];
                    first = b;
                    break;
                }
            case ResizeMode.Linear:
                w = [1 - t, t];
                first = b;
                break;
            default:
                {
                    double a = plan.CubicA, s = 1 - t;
                    w =
                    [
                        ((a * (t + 1) - 5 * a) * (t + 1) + 8 * a) * (t + 1) - 4 * a,
                        ((a + 2) * t - (a + 3)) * t * t + 1,
                        ((a + 2) * s - (a + 3)) * s * s + 1,
                        ((a * (s + 1) - 5 * a) * (s + 1) + 8 * a) * (s + 1) - 4 * a,
                    ];
                    first = b - 1;
                    break;
                }
        }
        if (plan.ExcludeOutside)
        {
            double sum = 0;
            for (int k = 0; k < w.Length; k++)
            {
                int idx = first + k;
                if (idx < 0 || idx >= lenIn) w[k] = 0;
                sum += w[k];
            }
            if (sum != 0)
            {
                for (int k = 0; k < w.Length; k++) w[k] /= sum;
            }
        }
        var taps = new (int, double)[w.Length];
        for (int k = 0; k < w.Length; k++) taps[k] = (Math.Clamp(first + k, 0, lenIn - 1), w[k]);
        return taps;
    }

    private static double CropCoordinate(int xo, int lenIn, double lenResized, (double Start, double End) roi)
    {
        double span = (roi.End - roi.Start) * (lenIn - 1);
        double x0 = lenResized == 1 ? span / 2 : xo * span / (lenResized - 1);
        return x0 + roi.Start * (lenIn - 1);
    }
}
