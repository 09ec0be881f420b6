using System.Numerics;

namespace Dendrite.Kernels;

/// <summary>
/// The geometry of 2-D pooling over P = N·C independent planes of H×W, producing OH×OW each. Window (i, j) starts
/// at row i·sh - padTop and column j·sw - padLeft; padBottom/padRight bound the windows that average pooling
/// counts when padding is included (as PyTorch: a window is clipped to the padded extent first, then to the
/// image). A 1-D pool is the case H = KH = 1.
/// </summary>
internal readonly record struct PoolShape(
    int Planes, int H, int W, int KH, int KW, int OH, int OW, int StrideH, int StrideW,
    int PadTop, int PadLeft, int PadBottom, int PadRight, int DilationH, int DilationW)
{
    /// <summary>Output length as PyTorch computes it: ⌊ or ⌈(in + pads - d·(k-1) - 1) / s⌉ + 1, and in ceil mode
    /// the last window is dropped when it would start inside the far padding.</summary>
    public static int OutputSize(int input, int kernel, int stride, int padBegin, int padEnd, int dilation, bool ceil)
    {
        int span = input + padBegin + padEnd - dilation * (kernel - 1) - 1;
        int o = (int)Math.Floor((span + (ceil ? stride - 1 : 0)) / (double)stride) + 1;
        if (ceil && (o - 1) * stride >= input + padBegin) o--;
        return o;
    }
}

/// <summary>Pooling kernels, generic over the element type (scalar loops; the windows are small).</summary>
internal static class Pool
{
    /// <summary>y = max over each window; idx = flat position h·W + w of the maximum within its plane (PyTorch's
    /// indices). NaN wins, as in PyTorch. A window wholly in the padding yields -∞ and index 0.</summary>
    public static void MaxForward<T>(ReadOnlySpan<T> x, Span<T> y, Span<long> idx, in PoolShape s)
        where T : IFloatingPointIeee754<T>
    {
        int hw = s.H * s.W, ohw = s.OH * s.OW;
        for (int pl = 0; pl < s.Planes; pl++)
        {
            var xp = x.Slice(pl * hw, hw);
            for (int i = 0; i < s.OH; i++)
            {
                int h0 = i * s.StrideH - s.PadTop;
                for (int j = 0; j < s.OW; j++)
                {
                    int w0 = j * s.StrideW - s.PadLeft;
                    T best = T.NegativeInfinity;
                    long at = -1;
                    for (int p = 0; p < s.KH; p++)
                    {
                        int h = h0 + p * s.DilationH;
                        if ((uint)h >= (uint)s.H) continue;
                        for (int q = 0; q < s.KW; q++)
                        {
                            int v = w0 + q * s.DilationW;
                            if ((uint)v >= (uint)s.W) continue;
                            T val = xp[h * s.W + v];
                            if (at < 0 || val > best || (T.IsNaN(val) && !T.IsNaN(best)))
                            {
                                best = val;
                                at = h * s.W + v;
                            }
                        }
                    }
                    int o = pl * ohw + i * s.OW + j;
                    y[o] = best;
                    idx[o] = Math.Max(at, 0);
                }
            }
        }
    }

    /// <summary>dx[idx] += dy: each output's gradient goes to the position of its maximum. Overwrites dx.</summary>
    public static void MaxBackward<T>(ReadOnlySpan<T> dy, ReadOnlySpan<long> idx, Span<T> dx, in PoolShape s)
        where T : INumber<T>
    {
        dx.Clear();
        int hw = s.H * s.W, ohw = s.OH * s.OW;
        for (int pl = 0; pl < s.Planes; pl++)
        {
            for (int o = 0; o < ohw; o++) dx[pl * hw + (int)idx[pl * ohw + o]] += dy[pl * ohw + o];
        }
    }

    /// <summary>y = mean over each window; the divisor counts the padding inside the padded extent when
    /// <paramref name="countIncludePad"/>, otherwise only the image positions.</summary>
    public static void AvgForward<T>(ReadOnlySpan<T> x, Span<T> y, in PoolShape s, bool countIncludePad)
        where T : INumber<T>
    {
        int hw = s.H * s.W, ohw = s.OH * s.OW;
        for (int pl = 0; pl < s.Planes; pl++)
        {
            for (int i = 0; i < s.OH; i++)
            {
                for (int j = 0; j < s.OW; j++)
                {
                    var (h0, h1, w0, w1, div) = AvgWindow(s, i, j, countIncludePad);
                    T acc = T.Zero;
                    for (int h = h0; h < h1; h++)
                    {
                        for (int v = w0; v < w1; v++) acc += x[pl * hw + h * s.W + v];
                    }
                    y[pl * ohw + i * s.OW + j] = div == 0 ? T.Zero : acc / T.CreateChecked(div);
                }
            }
        }
    }

    /// <summary>dx = Σ over windows containing x of dy / divisor. Overwrites dx.</summary>
    public static void AvgBackward<T>(ReadOnlySpan<T> dy, Span<T> dx, in PoolShape s, bool countIncludePad)
        where T : INumber<T>
    {
        dx.Clear();
        int hw = s.H * s.W, ohw = s.OH * s.OW;
        for (int pl = 0; pl < s.Planes; pl++)
        {
            for (int i = 0; i < s.OH; i++)
            {
                for (int j = 0; j < s.OW; j++)
                {
                    var (h0, h1, w0, w1, div) = AvgWindow(s, i, j, countIncludePad);
                    if (div == 0) continue;
                    T d = dy[pl * ohw + i * s.OW + j] / T.CreateChecked(div);
                    for (int h = h0; h < h1; h++)
                    {
                        for (int v = w0; v < w1; v++) dx[pl * hw + h * s.W + v] += d;
                    }
                }
            }
        }
    }

    // The window clipped to the image, and its divisor (PyTorch's avg_pool2d rule).
    private static (int H0, int H1, int W0, int W1, int Div) AvgWindow(in PoolShape s, int i, int j, bool includePad)
    {
        int h0 = i * s.StrideH - s.PadTop, w0 = j * s.StrideW - s.PadLeft;
        int h1 = Math.Min(h0 + s.KH, s.H + s.PadBottom), w1 = Math.Min(w0 + s.KW, s.W + s.PadRight);
        int padded = (h1 - h0) * (w1 - w0);
        h0 = Math.Max(h0, 0);
        w0 = Math.Max(w0, 0);
        h1 = Math.Min(h1, s.H);
        w1 = Math.Min(w1, s.W);
        int inside = Math.Max(0, h1 - h0) * Math.Max(0, w1 - w0);
        return (h0, h1, w0, w1, includePad ? padded : inside);
    }

    /// <summary>Adaptive average pooling: output cell i covers rows ⌊i·H/OH⌋ .. ⌈(i+1)·H/OH⌉ (and likewise for
    /// columns), so any input size maps onto OH×OW. Only Planes, H, W, OH, OW of the shape are used.</summary>
    public static void AdaptiveAvgForward<T>(ReadOnlySpan<T> x, Span<T> y, in PoolShape s) where T : INumber<T>
    {
        int hw = s.H * s.W, ohw = s.OH * s.OW;
        for (int pl = 0; pl < s.Planes; pl++)
        {
            for (int i = 0; i < s.OH; i++)
            {
                var (h0, h1) = AdaptiveRange(i, s.H, s.OH);
                for (int j = 0; j < s.OW; j++)
                {
                    var (w0, w1) = AdaptiveRange(j, s.W, s.OW);
                    T acc = T.Zero;
                    for (int h = h0; h < h1; h++)
                    {
                        for (int v = w0; v < w1; v++) acc += x[pl * hw + h * s.W + v];
                    }
                    y[pl * ohw + i * s.OW + j] = acc / T.CreateChecked((h1 - h0) * (w1 - w0));
                }
            }
        }
    }

    /// <summary>The gradient of <see cref="AdaptiveAvgForward"/>. Overwrites dx.</summary>
    public static void AdaptiveAvgBackward<T>(ReadOnlySpan<T> dy, Span<T> dx, in PoolShape s) where T : INumber<T>
    {
        dx.Clear();
        int hw = s.H * s.W, ohw = s.OH * s.OW;
        for (int pl = 0; pl < s.Planes; pl++)
        {
            for (int i = 0; i < s.OH; i++)
            {
                var (h0, h1) = AdaptiveRange(i, s.H, s.OH);
                for (int j = 0; j < s.OW; j++)
                {
                    var (w0, w1) = AdaptiveRange(j, s.W, s.OW);
                    T d = dy[pl * ohw + i * s.OW + j] / T.CreateChecked((h1 - h0) * (w1 - w0));
                    for (int h = h0; h < h1; h++)
                    {
                        for (int v = w0; v < w1; v++) dx[pl * hw + h * s.W + v] += d;
                    }
                }
            }
        }
    }

    private static (int Start, int End) AdaptiveRange(int i, int input, int output) =>
        ((int)((long)i * input / output), (int)(((long)(i + 1) * input + output - 1) / output));
}
