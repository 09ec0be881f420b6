using System.Numerics;

namespace Dendrite.Kernels.Reference;

/// <summary>
/// The specification of convolution: direct loops over every output position and weight element, generic over
/// the element type. Float64 (and so <see cref="Gradcheck"/>) runs these; the float32 im2col + GEMM kernels in
/// <see cref="Conv"/> are tested against them. All buffers are contiguous NCHW / (O, C/G, KH, KW).
/// y[n,o,i,j] = b[o] + Σ_{c,p,q} w[o,c,p,q] · x[n, g·Cg + c, i·sh - pt + p·dh, j·sw - pl + q·dw]   (g = o / Og)
/// </summary>
internal static class ConvReference
{
    /// <summary>y = conv(x, w) + b; <paramref name="bias"/> may be empty.</summary>
    public static void Forward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> w, ReadOnlySpan<T> bias, Span<T> y, in ConvShape s)
        where T : INumber<T>
    {
        for (int n = 0; n < s.N; n++)
        {
            for (int o = 0; o < s.O; o++)
            {
                int g = o / s.Og;
                for (int i = 0; i < s.OH; i++)
                {
                    for (int j = 0; j < s.OW; j++)
                    {
                        T acc = bias.IsEmpty ? T.Zero : bias[o];
                        for (int c = 0; c < s.Cg; c++)
                        {
                            for (int p = 0; p < s.KH; p++)
                            {
                                int h = i * s.StrideH - s.PadTop + p * s.DilationH;
                                if ((uint)h >= (uint)s.H) continue;
                                for (int q = 0; q < s.KW; q++)
                                {
                                    int v = j * s.StrideW - s.PadLeft + q * s.DilationW;
                                    if ((uint)v >= (uint)s.W) continue;
                                    acc += w[((o * s.Cg + c) * s.KH + p) * s.KW + q] *
                                        x[((n * s.C + g * s.Cg + c) * s.H + h) * s.W + v];
                                }
                            }
                        }
                        y[((n * s.O + o) * s.OH + i) * s.OW + j] = acc;
                    }
                }
            }
        }
    }

    /// <summary>dx = ∂(Σ y·dy)/∂x: every output gradient flows back to the inputs its window read.
    /// Overwrites dx.</summary>
    public static void BackwardInput<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> w, Span<T> dx, in ConvShape s)
        where T : INumber<T>
    {
        dx.Clear();
        for (int n = 0; n < s.N; n++)
        {
            for (int o = 0; o < s.O; o++)
            {
                int g = o / s.Og;
                for (int i = 0; i < s.OH; i++)
                {
                    for (int j = 0; j < s.OW; j++)
                    {
                        T d = dy[((n * s.O + o) * s.OH + i) * s.OW + j];
                        for (int c = 0; c < s.Cg; c++)
                        {
                            for (int p = 0; p < s.KH; p++)
                            {
                                int h = i * s.StrideH - s.PadTop + p * s.DilationH;
                                if ((uint)h >= (uint)s.H) continue;
                                for (int q = 0; q < s.KW; q++)
                                {
                                    int v = j * s.StrideW - s.PadLeft + q * s.DilationW;
                                    if ((uint)v >= (uint)s.W) continue;
                                    dx[((n * s.C + g * s.Cg + c) * s.H + h) * s.W + v] +=
                                        w[((o * s.Cg + c) * s.KH + p) * s.KW + q] * d;
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>dw = ∂(Σ y·dy)/∂w: each weight element sums input × output gradient over the positions it touched.
    /// Overwrites dw.</summary>
    public static void BackwardWeight<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dw, in ConvShape s)
        where T : INumber<T>
    {
        dw.Clear();
        for (int n = 0; n < s.N; n++)
        {
            for (int o = 0; o < s.O; o++)
            {
                int g = o / s.Og;
                for (int i = 0; i < s.OH; i++)
                {
                    for (int j = 0; j < s.OW; j++)
                    {
                        T d = dy[((n * s.O + o) * s.OH + i) * s.OW + j];
                        for (int c = 0; c < s.Cg; c++)
                        {
                            for (int p = 0; p < s.KH; p++)
                            {
                                int h = i * s.StrideH - s.PadTop + p * s.DilationH;
                                if ((uint)h >= (uint)s.H) continue;
                                for (int q = 0; q < s.KW; q++)
                                {
                                    int v = j * s.StrideW - s.PadLeft + q * s.DilationW;
                                    if ((uint)v >= (uint)s.W) continue;
                                    dw[((o * s.Cg + c) * s.KH + p) * s.KW + q] +=
                                        x[((n * s.C + g * s.Cg + c) * s.H + h) * s.W + v] * d;
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
