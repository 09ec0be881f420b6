using System.Numerics;

namespace Dendrite;

/// <summary>How <see cref="Tensor.Interpolate"/> computes a value between input samples.</summary>
public enum InterpolateMode
{
    /// <summary>The nearest input sample to the left (torch's "nearest": floor(dst · in/out)).</summary>
    Nearest,

    /// <summary>Linear along each resized dimension: linear for NCL, bilinear for NCHW.</summary>
    Linear,

    /// <summary>Keys' cubic convolution (a = −0.75, torch's "bicubic") over four input samples per dimension,
    /// edges replicated; NCHW only.</summary>
    Bicubic,
}

// Resizing of NCL and NCHW tensors, matching torch.nn.functional.interpolate. Every output position reads a few
// input positions per resized dimension (taps: one for nearest, two for linear, four for bicubic, each with a
// weight), so the forward is a weighted gather and the backward the matching weighted scatter-add.
// Bicubic (Keys 1981, "Cubic convolution interpolation for digital image processing"), with t the fractional
// source position and a = −0.75:
//   w(x) = (a+2)|x|³ − (a+3)|x|² + 1        for |x| ≤ 1
//   w(x) = a|x|³ − 5a|x|² + 8a|x| − 4a      for 1 < |x| < 2
//   taps i−1, i, i+1, i+2 (clamped to the edge) with weights w(t+1), w(t), w(1−t), w(2−t)
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
            throw new ArgumentException($"{op}: alignCorners applies to Linear and Bicubic modes only, not Nearest");
        if (mode == InterpolateMode.Bicubic && Rank != 4)
            throw new ArgumentException($"{op}: Bicubic needs an NCHW (rank 4) input, got {Shapes.Format(shape)}");
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
        if (f32) ResizePlanes(c.Span<float>(), y.Span<float>(), planes, inH, inW, th, tw);
        else ResizePlanes(c.Span<double>(), y.Span<double>(), planes, inH, inW, th, tw);
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

    // For one dimension: output position o reads input position I[k][o] with weight L[k][o], for each tap k.
    private sealed record ResizeTaps(int[][] I, double[][] L)
    {
        public static readonly ResizeTaps Identity = new([[0]], [[1.0]]);

        public int Count => I[0].Length;
    }

    // The index arithmetic of torch's CPU upsampling kernels (UpSample.h), in float for float32 tensors so that
    // nearest indices land exactly where torch's do.
    private static ResizeTaps Taps(int inSize, int outSize, double? scale, InterpolateMode mode, bool alignCorners,
        bool f32)
    {
        int k = mode switch { InterpolateMode.Nearest => 1, InterpolateMode.Linear => 2, _ => 4 };
        var t = new ResizeTaps(new int[k][], new double[k][]);
        for (int j = 0; j < k; j++) (t.I[j], t.L[j]) = (new int[outSize], new double[outSize]);
        double Round(double v) => f32 ? (float)v : v;
        double r = alignCorners
            ? Round(outSize > 1 ? (double)(inSize - 1) / (outSize - 1) : 0)
            : Round(scale is double sc ? 1.0 / sc : (double)inSize / outSize);
        for (int o = 0; o < outSize; o++)
        {
            if (mode == InterpolateMode.Nearest)
            {
                t.I[0][o] = Math.Min((int)Math.Floor(Round(o * r)), inSize - 1);
                t.L[0][o] = 1;
                continue;
            }
            // Linear clamps negative source positions to 0; bicubic keeps them (its taps are clamped instead)
            double src = alignCorners ? Round(r * o) : Round(Round(r * (o + 0.5)) - 0.5);
            if (mode == InterpolateMode.Linear)
            {
                src = Math.Max(src, 0);
                int i0 = Math.Min((int)src, inSize - 1);
                double l1 = Round(src - i0);
                (t.I[0][o], t.I[1][o]) = (i0, i0 + (i0 < inSize - 1 ? 1 : 0));
                (t.L[0][o], t.L[1][o]) = (Round(1 - l1), l1);
                continue;
            }
            int i = (int)Math.Floor(src);
            double f = Round(src - i);
            const double a = -0.75;
            double Near(double x) => Round(Round(Round((a + 2) * x - (a + 3)) * x) * x + 1);
            double Far(double x) => Round(Round(Round(Round(a * x - 5 * a) * x + 8 * a) * x) - 4 * a);
            double[] w = [Far(Round(f + 1)), Near(f), Near(Round(1 - f)), Far(Round(2 - f))];
            for (int j = 0; j < 4; j++)
            {
                t.I[j][o] = Math.Clamp(i - 1 + j, 0, inSize - 1);
                t.L[j][o] = w[j];
            }
        }
        return t;
    }

    // y[oh, ow] = Σa th.L[a][oh] · (Σb tw.L[b][ow] · x[th.I[a][oh], tw.I[b][ow]]): rows first, as torch sums them.
    private static void ResizePlanes<T>(ReadOnlySpan<T> x, Span<T> y, int planes, int inH, int inW,
        ResizeTaps th, ResizeTaps tw) where T : IFloatingPoint<T>
    {
        int outH = th.Count, outW = tw.Count, kh = th.I.Length, kw = tw.I.Length;
        for (int p = 0; p < planes; p++)
        {
            var src = x.Slice(p * inH * inW, inH * inW);
            var dst = y.Slice(p * outH * outW, outH * outW);
            for (int oh = 0; oh < outH; oh++)
            {
                var row = dst.Slice(oh * outW, outW);
                for (int ow = 0; ow < outW; ow++)
                {
                    T sum = T.Zero;
                    for (int a = 0; a < kh; a++)
                    {
                        var r = src.Slice(th.I[a][oh] * inW, inW);
                        T acc = T.Zero;
                        for (int b = 0; b < kw; b++) acc += T.CreateTruncating(tw.L[b][ow]) * r[tw.I[b][ow]];
                        sum += T.CreateTruncating(th.L[a][oh]) * acc;
                    }
                    row[ow] = sum;
                }
            }
        }
    }

    private static void ResizePlanesBack<T>(ReadOnlySpan<T> g, Span<T> dx, int planes, int inH, int inW,
        ResizeTaps th, ResizeTaps tw) where T : IFloatingPoint<T>
    {
        int outH = th.Count, outW = tw.Count, kh = th.I.Length, kw = tw.I.Length;
        for (int p = 0; p < planes; p++)
        {
            var src = g.Slice(p * outH * outW, outH * outW);
            var dst = dx.Slice(p * inH * inW, inH * inW);
            for (int oh = 0; oh < outH; oh++)
            {
                for (int a = 0; a < kh; a++)
                {
                    var r = dst.Slice(th.I[a][oh] * inW, inW);
                    T h = T.CreateTruncating(th.L[a][oh]);
                    for (int ow = 0; ow < outW; ow++)
                    {
                        T v = h * src[oh * outW + ow];
                        for (int b = 0; b < kw; b++) r[tw.I[b][ow]] += T.CreateTruncating(tw.L[b][ow]) * v;
                    }
                }
            }
        }
    }
}
