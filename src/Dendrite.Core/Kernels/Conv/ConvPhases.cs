using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dendrite.Kernels;

// The input gradient of a strided convolution whose kernel is a multiple of its strides, phase by phase (the
// sub-pixel form of a transposed convolution). Input row h = i·sh + a receives dY only through the taps
// p ≡ a + PadTop (mod sh), p = p0 + sh·u, from output row oh = i + ⌊(a + PadTop) / sh⌋ - u; so the phase
// (a, b) of dX, (N, C, ⌈(H - a) / sh⌉, ⌈(W - b) / sw⌉), is a stride-1 correlation of dY with a kernel of
// (KH / sh) × (KW / sw) taps (ConvPlanner.PhaseShape). Each phase runs on a forward kernel into its own buffer and
// the phases are then interleaved into dX, which writes each value of dX once: the im2col form multiplies into a
// K × L unfolding (16 times the size of dX for a 4×4 kernel at stride 2) and adds it back column by column.
internal static unsafe partial class Conv
{
    // dx (overwritten) = the input gradient of s, phase by phase on `kernel`.
    private static void BackwardInputPhased(float* dy, float* w, float* dx, in ConvShape s, ConvKernel kernel)
    {
        int sh = s.StrideH, sw = s.StrideW, phases = sh * sw;
        var first = ConvPlanner.PhaseShape(s, 0, 0)!.Value;
        // Phase (0, 0) is the largest; every phase's output gets that many floats in `outputs`.
        long size = (long)s.N * s.C * first.L;
        var weights = BufferPool<float>.Rent(s.C * first.K);
        var outputs = BufferPool<float>.Rent((int)(phases * size));
        fixed (float* pw = weights, po = outputs)
        {
            for (int a = 0; a < sh; a++)
            {
                for (int b = 0; b < sw; b++)
                {
                    var t = ConvPlanner.PhaseShape(s, a, b)!.Value;
                    PhaseWeights(w, pw, a, b, s);
                    Forward(dy, pw, null, po + (a * sw + b) * size, t, kernel);
                }
            }
            float* outs = po;
            var shape = s;
            // dx[n, c, i·sh + a, j·sw + b] = phase (a, b)[n, c, i, j], plane by plane.
            Parallel.For(s.N * s.C, Math.Max(1, 16384 / Math.Max(1, s.H * s.W)), (lo, hi) =>
                InterleavePhases(outs, size, dx, lo, hi, shape));
        }
        BufferPool<float>.Return(outputs);
        BufferPool<float>.Return(weights);
    }

    // w (O, Cg, KH, KW) → f (C, Og, KH / sh, KW / sw), the weights of phase (a, b):
    // f[g·Cg + c, o, u, v] = w[g·Og + o, c, p0 + sh·(kh - 1 - u), q0 + sw·(kw - 1 - v)].
    private static void PhaseWeights(float* w, float* f, int a, int b, in ConvShape s)
    {
        int sh = s.StrideH, sw = s.StrideW, kh = s.KH / sh, kw = s.KW / sw;
        int p0 = (a + s.PadTop) % sh, q0 = (b + s.PadLeft) % sw, og = s.Og, cg = s.Cg;
        for (int go = 0; go < s.Groups * og; go++)
        {
            int g = go / og, o = go - g * og;
            for (int c = 0; c < cg; c++)
            {
                float* src = w + ((long)go * cg + c) * s.KH * s.KW;
                float* dst = f + ((long)(g * cg + c) * og + o) * kh * kw;
                for (int u = 0; u < kh; u++)
                {
                    float* row = src + (p0 + sh * (kh - 1 - u)) * s.KW + q0;
                    for (int v = 0; v < kw; v++) dst[u * kw + v] = row[sw * (kw - 1 - v)];
                }
            }
        }
    }

    // Planes [lo, hi) of dx (plane = n·C + c) from the phase outputs, phase (a, b) at outs + (a·sw + b)·size with
    // its own row length ⌈(W - b) / sw⌉. Two column phases are interleaved 8 + 8 floats at a time with AVX.
    private static void InterleavePhases(float* outs, long size, float* dx, int lo, int hi, in ConvShape s)
    {
        int sh = s.StrideH, sw = s.StrideW;
        for (int plane = lo; plane < hi; plane++)
        {
            float* d = dx + (long)plane * s.H * s.W;
            for (int h = 0; h < s.H; h++, d += s.W)
            {
                int a = h % sh, i = h / sh, rows = (s.H - a + sh - 1) / sh;
                if (sw == 2)
                {
                    // Both column phases have ⌈W / 2⌉ or ⌊W / 2⌋ values; the even one is phase 0.
                    int even = (s.W + 1) / 2, odd = s.W / 2;
                    float* e = outs + a * 2 * size + ((long)plane * rows + i) * even;
                    float* o = outs + (a * 2 + 1) * size + ((long)plane * rows + i) * odd;
                    int j = 0;
                    if (Avx.IsSupported)
                    {
                        for (; j + 8 <= odd; j += 8)
                        {
                            var x = Vector256.Load(e + j);
                            var y = Vector256.Load(o + j);
                            var low = Avx.UnpackLow(x, y);   // x0 y0 x1 y1 | x4 y4 x5 y5
                            var high = Avx.UnpackHigh(x, y); // x2 y2 x3 y3 | x6 y6 x7 y7
                            Vector256.Store(Avx.Permute2x128(low, high, 0x20), d + 2 * j);
                            Vector256.Store(Avx.Permute2x128(low, high, 0x31), d + 2 * j + 8);
                        }
                    }
                    for (; j < odd; j++)
                    {
                        d[2 * j] = e[j];
                        d[2 * j + 1] = o[j];
                    }
                    if (even > odd) d[2 * odd] = e[odd];
                    continue;
                }
                for (int b = 0; b < sw; b++)
                {
                    int cols = (s.W - b + sw - 1) / sw;
                    float* src = outs + (a * sw + b) * size + ((long)plane * rows + i) * cols;
                    for (int j = 0; j < cols; j++) d[j * sw + b] = src[j];
                }
            }
        }
    }
}
