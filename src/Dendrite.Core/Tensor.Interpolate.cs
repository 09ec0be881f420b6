using System.Numerics;

namespace Dendrite;

/// <summary>How <see cref="Tensor.Interpolate"/> computes a value between input samples.</summary>
public enum InterpolateMode
{
    /// <summary>The nearest input sample to the left (torch's "nearest": floor(dst · in/out)).</summary>
    Nearest,

    /// <summary>Linear along each resized dimension: linear for NCL, bilinear for NCHW.</summary>
    Linear,
}

// Resizing of NCL and NCHW tensors, matching torch.nn.functional.interpolate. Every output position reads at
// most two input positions per resized dimension (i0, i1 with weights l0, l1), so the forward is a weighted gather
// and the backward the matching weighted scatter-add.
//   shapes: x (N, C, [H,] W) → y (N, C, [outH,] outW)
public partial class Tensor
{
    /// <summary>Resizes the spatial dimensions of an NCL or NCHW tensor to <paramref name="size"/> (one entry per
    /// spatial dimension) or by <paramref name="scaleFactor"/> (output = floor(input · scale)), like
    /// F.interpolate. <paramref name="alignCorners"/> (Linear only) maps the corner samples onto each other.
    /// dx: the gradient scattered back with the same weights</summary>
    public Tensor Interpolate(int[]? size = null, double[]? scaleFactor = null,
        InterpolateMode mode = InterpolateMode.Nearest, bool alignCorners = false)
    {
        var x = this;
        const string op = "Interpolate";
        if (Rank is not (3 or 4))
            throw new ArgumentException($"{op}: input must be NCL or NCHW (rank 3 or 4), got {Shapes.Format(shape)}");
        if (!DType.IsFloating()) throw new NotSupportedException($"{op}: not defined for {DType} tensors");
        int sp = Rank - 2;
        if ((size is null) == (scaleFactor is null))
            throw new ArgumentException($"{op}: give exactly one of size and scaleFactor for {Shapes.Format(shape)}");
        if (mode == InterpolateMode.Nearest && alignCorners)
            throw new ArgumentException($"{op}: alignCorners applies to Linear mode only, not Nearest");
        var outShape = (int[])shape.Clone();
        var scales = new double?[sp];
        for (int i = 0; i < sp; i++)
        {
            int inSize = shape[2 + i];
            if (size is not null)
            {
                if (size.Length != sp)
                    throw new ArgumentException(
                        $"{op}: size {Shapes.Format(size)} needs {sp} entries for {Shapes.Format(shape)}");
                outShape[2 + i] = size[i];
            }
            else
            {
                if (scaleFactor!.Length != sp && scaleFactor.Length != 1)
                    throw new ArgumentException(
                        $"{op}: scaleFactor needs 1 or {sp} entries for {Shapes.Format(shape)}, " +
                        $"got {scaleFactor.Length}");
                double s = scaleFactor.Length == 1 ? scaleFactor[0] : scaleFactor[i];
                if (!(s > 0)) throw new ArgumentException($"{op}: scale factor {s} must be positive");
                scales[i] = s;
                outShape[2 + i] = (int)Math.Floor(inSize * s);
            }
            if (outShape[2 + i] <= 0 || inSize <= 0)
                throw new ArgumentException(
                    $"{op}: input {Shapes.Format(shape)} and output {Shapes.Format(outShape)} must have positive " +
                    "spatial sizes");
        }
        int inH = sp == 2 ? shape[2] : 1, inW = shape[^1], outH = sp == 2 ? outShape[2] : 1, outW = outShape[^1];
        bool f32 = DType == DType.Float32;
        var th = sp == 2 ? Taps(inH, outH, scales[0], mode, alignCorners, f32) : ResizeTaps.Identity;
        var tw = Taps(inW, outW, scales[sp - 1], mode, alignCorners, f32);
        int planes = shape[0] * shape[1];
        var c = Contiguous();
        var y = Empty(DType, outShape);
        if (f32) ResizePlanes(c.Span<float>(), y.Span<float>(), planes, inH, inW, th, tw, mode);
        else ResizePlanes(c.Span<double>(), y.Span<double>(), planes, inH, inW, th, tw, mode);
        if (!Tracks(x)) return y;
        return y.Record(op, [x], g =>
        {
            var gc = g.Contiguous();
            var dx = Zeros(g.DType, x.shape);
            if (g.DType == DType.Float32)
                ResizePlanesBack(gc.Span<float>(), dx.Span<float>(), planes, inH, inW, th, tw);
            else ResizePlanesBack(gc.Span<double>(), dx.Span<double>(), planes, inH, inW, th, tw);
            return [dx];
        }, attributes: [("mode", mode.ToString()), ("size", outShape[2..]), ("alignCorners", alignCorners)],
            differentiable: false);
    }

    /// <summary>Scales the spatial dimensions of an NCL or NCHW tensor by <paramref name="scaleFactor"/>
    /// (nn.Upsample).</summary>
    public Tensor Upsample(double scaleFactor, InterpolateMode mode = InterpolateMode.Nearest,
        bool alignCorners = false)
        => Interpolate(scaleFactor: [scaleFactor], mode: mode, alignCorners: alignCorners);

    // For one dimension: output position o reads input positions I0[o], I1[o] with weights L0[o], L1[o].
    private sealed record ResizeTaps(int[] I0, int[] I1, double[] L0, double[] L1)
    {
        public static readonly ResizeTaps Identity = new([0], [0], [1.0], [0.0]);
    }

    // The index arithmetic of torch's CPU upsampling kernels (UpSample.h), in float for float32 tensors so that
    // nearest indices land exactly where torch's do.
    private static ResizeTaps Taps(int inSize, int outSize, double? scale, InterpolateMode mode, bool alignCorners,
        bool f32)
    {
        var t = new ResizeTaps(new int[outSize], new int[outSize], new double[outSize], new double[outSize]);
        double Round(double v) => f32 ? (float)v : v;
        for (int o = 0; o < outSize; o++)
        {
            if (mode == InterpolateMode.Nearest)
            {
                double ratio = Round(scale is double s ? 1.0 / s : (double)inSize / outSize);
                int i = Math.Min((int)Math.Floor(Round(o * ratio)), inSize - 1);
                (t.I0[o], t.I1[o], t.L0[o], t.L1[o]) = (i, i, 1, 0);
                continue;
            }
            double r = alignCorners
                ? Round(outSize > 1 ? (double)(inSize - 1) / (outSize - 1) : 0)
                : Round(scale is double sc ? 1.0 / sc : (double)inSize / outSize);
            double src = alignCorners ? Round(r * o) : Math.Max(Round(Round(r * (o + 0.5)) - 0.5), 0);
            int i0 = Math.Min((int)src, inSize - 1);
            int i1 = i0 + (i0 < inSize - 1 ? 1 : 0);
            double l1 = Round(src - i0);
            (t.I0[o], t.I1[o], t.L0[o], t.L1[o]) = (i0, i1, Round(1 - l1), l1);
        }
        return t;
    }

    private static void ResizePlanes<T>(ReadOnlySpan<T> x, Span<T> y, int planes, int inH, int inW,
        ResizeTaps th, ResizeTaps tw, InterpolateMode mode) where T : IFloatingPoint<T>
    {
        int outH = th.I0.Length, outW = tw.I0.Length;
        for (int p = 0; p < planes; p++)
        {
            var src = x.Slice(p * inH * inW, inH * inW);
            var dst = y.Slice(p * outH * outW, outH * outW);
            for (int oh = 0; oh < outH; oh++)
            {
                var r0 = src.Slice(th.I0[oh] * inW, inW);
                var r1 = src.Slice(th.I1[oh] * inW, inW);
                var row = dst.Slice(oh * outW, outW);
                if (mode == InterpolateMode.Nearest)
                {
                    for (int ow = 0; ow < outW; ow++) row[ow] = r0[tw.I0[ow]];
                    continue;
                }
                T h0 = T.CreateTruncating(th.L0[oh]), h1 = T.CreateTruncating(th.L1[oh]);
                for (int ow = 0; ow < outW; ow++)
                {
                    int w0 = tw.I0[ow], w1 = tw.I1[ow];
                    T l0 = T.CreateTruncating(tw.L0[ow]), l1 = T.CreateTruncating(tw.L1[ow]);
                    row[ow] = h0 * (l0 * r0[w0] + l1 * r0[w1]) + h1 * (l0 * r1[w0] + l1 * r1[w1]);
                }
            }
        }
    }

    private static void ResizePlanesBack<T>(ReadOnlySpan<T> g, Span<T> dx, int planes, int inH, int inW,
        ResizeTaps th, ResizeTaps tw) where T : IFloatingPoint<T>
    {
        int outH = th.I0.Length, outW = tw.I0.Length;
        for (int p = 0; p < planes; p++)
        {
            var src = g.Slice(p * outH * outW, outH * outW);
            var dst = dx.Slice(p * inH * inW, inH * inW);
            for (int oh = 0; oh < outH; oh++)
            {
                var r0 = dst.Slice(th.I0[oh] * inW, inW);
                T h0 = T.CreateTruncating(th.L0[oh]), h1 = T.CreateTruncating(th.L1[oh]);
                for (int ow = 0; ow < outW; ow++)
                {
                    T v = src[oh * outW + ow];
                    int w0 = tw.I0[ow], w1 = tw.I1[ow];
                    T l0 = T.CreateTruncating(tw.L0[ow]), l1 = T.CreateTruncating(tw.L1[ow]);
                    r0[w0] += h0 * l0 * v;
                    r0[w1] += h0 * l1 * v;
                }
                var r1 = dst.Slice(th.I1[oh] * inW, inW);
                for (int ow = 0; ow < outW; ow++)
                {
                    T v = src[oh * outW + ow];
                    int w0 = tw.I0[ow], w1 = tw.I1[ow];
                    T l0 = T.CreateTruncating(tw.L0[ow]), l1 = T.CreateTruncating(tw.L1[ow]);
                    r1[w0] += h1 * l0 * v;
                    r1[w1] += h1 * l1 * v;
                }
            }
        }
    }
}
