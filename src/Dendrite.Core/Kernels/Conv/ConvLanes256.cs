using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dendrite.Kernels;

// The channels-in-lanes kernels for CPUs with AVX2 and FMA but no AVX-512. The 16 output channels of a position take
// two Vector256 accumulators, and with 16 vector registers 12 of them can stay in flight: 3 positions of an output
// row pair (2 × 3 × 2) in the forward, 6 taps of one kernel row (6 × 2) in the weight gradient. Per tap or position
// that is 2 vector loads, one broadcast per position or tap, and 2 FMAs per broadcast, the shape of the 6×16 GEMM
// micro-kernel. The channels-last tiles go to and from NCHW through 8×8 transposes.
internal static unsafe partial class Conv
{

    // At most 3 positions per row of the pair: 12 accumulators, 2 weight vectors and a broadcast in 16 registers.
    private const int MaxPiece256 = 3;

    // ForwardLanes with two Vector256 halves per position (see the AVX-512 kernel for the addressing).
    private static void ForwardLanes256<TW>(float* pad, int wp, int plane, float* wt, float* tile, int i, int j0,
        in ConvShape s)
        where TW : struct, ICount
    {
        int dh = s.DilationH * wp, dw = s.DilationW;
        int kh = s.KH, kw = s.KW, cg = s.Cg, ow = s.OW;
        float* origin = pad + i * s.StrideH * wp + j0;
        long below = s.StrideH * wp;
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default;
        Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
        float* wv = wt;
        for (int c = 0; c < cg; c++)
        {
            for (int p = 0; p < kh; p++)
            {
                float* row = origin + c * plane + p * dh;
                for (int q = 0; q < kw; q++, wv += Lanes)
                {
                    var lo = Vector256.Load(wv);
                    var hi = Vector256.Load(wv + 8);
                    float* r = row + q * dw, u = r + below;
                    var x = Vector256.Create(r[0]);
                    a0 = Vector256.FusedMultiplyAdd(x, lo, a0);
                    a1 = Vector256.FusedMultiplyAdd(x, hi, a1);
                    if (TW.Value > 1)
                    {
                        x = Vector256.Create(r[1]);
                        a2 = Vector256.FusedMultiplyAdd(x, lo, a2);
                        a3 = Vector256.FusedMultiplyAdd(x, hi, a3);
                    }
                    if (TW.Value > 2)
                    {
                        x = Vector256.Create(r[2]);
                        a4 = Vector256.FusedMultiplyAdd(x, lo, a4);
                        a5 = Vector256.FusedMultiplyAdd(x, hi, a5);
                    }
                    x = Vector256.Create(u[0]);
                    c0 = Vector256.FusedMultiplyAdd(x, lo, c0);
                    c1 = Vector256.FusedMultiplyAdd(x, hi, c1);
                    if (TW.Value > 1)
                    {
                        x = Vector256.Create(u[1]);
                        c2 = Vector256.FusedMultiplyAdd(x, lo, c2);
                        c3 = Vector256.FusedMultiplyAdd(x, hi, c3);
                    }
                    if (TW.Value > 2)
                    {
                        x = Vector256.Create(u[2]);
                        c4 = Vector256.FusedMultiplyAdd(x, lo, c4);
                        c5 = Vector256.FusedMultiplyAdd(x, hi, c5);
                    }
                }
            }
        }
        bool second = i + 1 < s.OH;
        float* d = tile + (i * ow + j0) * Lanes;
        StorePair256(a0, a1, c0, c1, d, ow, second);
        if (TW.Value > 1) StorePair256(a2, a3, c2, c3, d + Lanes, ow, second);
        if (TW.Value > 2) StorePair256(a4, a5, c4, c5, d + 2 * Lanes, ow, second);
    }

    private static void StorePair256(Vector256<float> upperLo, Vector256<float> upperHi, Vector256<float> lowerLo,
        Vector256<float> lowerHi, float* d, int ow, bool second)
    {
        upperLo.Store(d);
        upperHi.Store(d + 8);
        if (!second) return;
        lowerLo.Store(d + ow * Lanes);
        lowerHi.Store(d + ow * Lanes + 8);
    }

    // Transpose16's contract with AVX2 only: the 16×16 block as four 8×8 blocks.
    private static void Transpose16By8(float* src, int srcStride, int srcRows, int srcWidth, float* dst,
        int dstStride, int dstRows, int dstWidth, float* bias)
    {
        for (int r0 = 0; r0 < 16; r0 += 8)
        {
            for (int c0 = 0; c0 < 16; c0 += 8)
            {
                int rowsOut = Math.Min(8, dstRows - c0), widthOut = Math.Min(8, dstWidth - r0);
                if (rowsOut <= 0 || widthOut <= 0) continue;
                Transpose8(src + (long)r0 * srcStride + c0, srcStride, Math.Clamp(srcRows - r0, 0, 8),
                    Math.Clamp(srcWidth - c0, 0, 8), dst + (long)c0 * dstStride + r0, dstStride, rowsOut, widthOut,
                    bias is null ? null : bias + c0);
            }
        }
    }

    // An 8×8 transpose through registers: source row r (r < srcRows; srcWidth lanes read, the rest and the rows past
    // srcRows read 0) at src + r·srcStride; column c goes to dst + c·dstStride for c < dstRows, dstWidth lanes of it
    // (+ bias[c] when bias is not null), through Transpose8x8.
    private static void Transpose8(float* src, int srcStride, int srcRows, int srcWidth, float* dst, int dstStride,
        int dstRows, int dstWidth, float* bias)
    {
        var idx = Vector256<int>.Indices;
        var inMask = Vector256.LessThan(idx, Vector256.Create(srcWidth)).AsSingle();
        var outMask = Vector256.LessThan(idx, Vector256.Create(dstWidth)).AsSingle();
        var r0 = Row8(src, 0, srcStride, srcRows, inMask);
        var r1 = Row8(src, 1, srcStride, srcRows, inMask);
        var r2 = Row8(src, 2, srcStride, srcRows, inMask);
        var r3 = Row8(src, 3, srcStride, srcRows, inMask);
        var r4 = Row8(src, 4, srcStride, srcRows, inMask);
        var r5 = Row8(src, 5, srcStride, srcRows, inMask);
        var r6 = Row8(src, 6, srcStride, srcRows, inMask);
        var r7 = Row8(src, 7, srcStride, srcRows, inMask);
        Transpose8x8(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
        PutColumn8(r0, 0, dst, dstStride, dstRows, outMask, bias);
        PutColumn8(r1, 1, dst, dstStride, dstRows, outMask, bias);
        PutColumn8(r2, 2, dst, dstStride, dstRows, outMask, bias);
        PutColumn8(r3, 3, dst, dstStride, dstRows, outMask, bias);
        PutColumn8(r4, 4, dst, dstStride, dstRows, outMask, bias);
        PutColumn8(r5, 5, dst, dstStride, dstRows, outMask, bias);
        PutColumn8(r6, 6, dst, dstStride, dstRows, outMask, bias);
        PutColumn8(r7, 7, dst, dstStride, dstRows, outMask, bias);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Row8(float* src, int r, int stride, int rows, Vector256<float> mask) =>
        r < rows ? Avx.MaskLoad(src + (long)r * stride, mask) : default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PutColumn8(Vector256<float> v, int c, float* dst, int dstStride, int dstRows,
        Vector256<float> mask, float* bias)
    {
        if (c >= dstRows) return;
        if (bias is not null) v += Vector256.Create(bias[c]);
        Avx.MaskStore(dst + (long)c * dstStride, mask, v);
    }

    // ForwardWide with AVX2: each 16-column position block as two Vector256 halves. Channels o0 .. o0+TM-1 of the
    // item, TV ≤ 2 blocks at a time, TM·TV ≤ 6 (12 accumulators); 7 and 8 channels run as 4 + 3 and 4 + 4.
    private static void ForwardWide256(int item, float* pad, float* wt, float* bias, float* y, in ConvShape s)
    {
        switch (s.Og)
        {
            case 1: ForwardWide256<Count1, Count2>(item, pad, wt, bias, y, 0, s); break;
            case 2: ForwardWide256<Count2, Count2>(item, pad, wt, bias, y, 0, s); break;
            case 3: ForwardWide256<Count3, Count2>(item, pad, wt, bias, y, 0, s); break;
            case 4: ForwardWide256<Count4, Count1>(item, pad, wt, bias, y, 0, s); break;
            case 5: ForwardWide256<Count5, Count1>(item, pad, wt, bias, y, 0, s); break;
            case 6: ForwardWide256<Count6, Count1>(item, pad, wt, bias, y, 0, s); break;
            case 7:
                ForwardWide256<Count4, Count1>(item, pad, wt, bias, y, 0, s);
                ForwardWide256<Count3, Count2>(item, pad, wt, bias, y, 4, s);
                break;
            default:
                ForwardWide256<Count4, Count1>(item, pad, wt, bias, y, 0, s);
                ForwardWide256<Count4, Count1>(item, pad, wt, bias, y, 4, s);
                break;
        }
    }

    private static void ForwardWide256<TM, TV>(int item, float* pad, float* wt, float* bias, float* y, int o0,
        in ConvShape s)
        where TM : struct, ICount
        where TV : struct, ICount
    {
        int n = item / s.Groups, g = item % s.Groups, og = s.Og, l = s.L;
        int hp = PaddedHeight(s), wp = WidePaddedWidth(s), plane = hp * wp;
        int kh = s.KH, kw = s.KW, dh = s.DilationH * wp, dw = s.DilationW, cg = s.Cg;
        float* w0 = wt + (long)g * s.K * DirectBlock + o0;
        float* outBase = y + (long)(n * s.O + g * og + o0) * l;
        float* b = bias is null ? null : bias + g * og + o0;
        int blocks = (s.OW + Wide - 1) / Wide, count = s.OH * blocks, last = count - 1;
        for (int v0 = 0; v0 < count; v0 += TV.Value)
        {
            // A block past the end repeats the last one and is not stored.
            float* r0 = pad + WideOrigin(v0, blocks, wp, s);
            float* r1 = pad + WideOrigin(Math.Min(v0 + 1, last), blocks, wp, s);
            Vector256<float> a00 = default, a01 = default, a02 = default, a03 = default;
            Vector256<float> a10 = default, a11 = default, a12 = default, a13 = default;
            Vector256<float> a20 = default, a21 = default, a22 = default, a23 = default;
            Vector256<float> a30 = default, a31 = default;
            Vector256<float> a40 = default, a41 = default;
            Vector256<float> a50 = default, a51 = default;
            int top = KernelRowsFrom(Math.Min(v0 + TV.Value - 1, last) / blocks, s);
            int bottom = KernelRowsUntil(v0 / blocks, s);
            for (int c = 0; c < cg; c++)
            {
                for (int p = top; p < bottom; p++)
                {
                    int rowOff = c * plane + p * dh;
                    float* wv = w0 + (c * kh + p) * kw * DirectBlock;
                    for (int q = 0; q < kw; q++, wv += DirectBlock)
                    {
                        int off = rowOff + q * dw;
                        var i0 = Vector256.Load(r0 + off);
                        var i1 = Vector256.Load(r0 + off + 8);
                        var i2 = TV.Value > 1 ? Vector256.Load(r1 + off) : default;
                        var i3 = TV.Value > 1 ? Vector256.Load(r1 + off + 8) : default;
                        var bw = Vector256.Create(wv[0]);
                        a00 = Vector256.FusedMultiplyAdd(i0, bw, a00);
                        a01 = Vector256.FusedMultiplyAdd(i1, bw, a01);
                        if (TV.Value > 1) a02 = Vector256.FusedMultiplyAdd(i2, bw, a02);
                        if (TV.Value > 1) a03 = Vector256.FusedMultiplyAdd(i3, bw, a03);
                        if (TM.Value > 1)
                        {
                            bw = Vector256.Create(wv[1]);
                            a10 = Vector256.FusedMultiplyAdd(i0, bw, a10);
                            a11 = Vector256.FusedMultiplyAdd(i1, bw, a11);
                            if (TV.Value > 1) a12 = Vector256.FusedMultiplyAdd(i2, bw, a12);
                            if (TV.Value > 1) a13 = Vector256.FusedMultiplyAdd(i3, bw, a13);
                        }
                        if (TM.Value > 2)
                        {
                            bw = Vector256.Create(wv[2]);
                            a20 = Vector256.FusedMultiplyAdd(i0, bw, a20);
                            a21 = Vector256.FusedMultiplyAdd(i1, bw, a21);
                            if (TV.Value > 1) a22 = Vector256.FusedMultiplyAdd(i2, bw, a22);
                            if (TV.Value > 1) a23 = Vector256.FusedMultiplyAdd(i3, bw, a23);
                        }
                        if (TM.Value > 3)
                        {
                            bw = Vector256.Create(wv[3]);
                            a30 = Vector256.FusedMultiplyAdd(i0, bw, a30);
                            a31 = Vector256.FusedMultiplyAdd(i1, bw, a31);
                        }
                        if (TM.Value > 4)
                        {
                            bw = Vector256.Create(wv[4]);
                            a40 = Vector256.FusedMultiplyAdd(i0, bw, a40);
                            a41 = Vector256.FusedMultiplyAdd(i1, bw, a41);
                        }
                        if (TM.Value > 5)
                        {
                            bw = Vector256.Create(wv[5]);
                            a50 = Vector256.FusedMultiplyAdd(i0, bw, a50);
                            a51 = Vector256.FusedMultiplyAdd(i1, bw, a51);
                        }
                    }
                }
            }
            StoreWide256<TM>(a00, a01, a10, a11, a20, a21, a30, a31, a40, a41, a50, a51, v0, blocks, outBase, b, s);
            if (TV.Value > 1 && v0 + 1 < count)
            {
                StoreWide256<TM>(a02, a03, a12, a13, a22, a23, default, default, default, default, default, default,
                    v0 + 1, blocks, outBase, b, s);
            }
        }
    }

    // Position block v of the TM output planes at outBase (+ bias when not null): channel m's halves are (m0, m1).
    private static void StoreWide256<TM>(Vector256<float> c00, Vector256<float> c01, Vector256<float> c10,
        Vector256<float> c11, Vector256<float> c20, Vector256<float> c21, Vector256<float> c30, Vector256<float> c31,
        Vector256<float> c40, Vector256<float> c41, Vector256<float> c50, Vector256<float> c51, int v, int blocks,
        float* outBase, float* bias, in ConvShape s)
        where TM : struct, ICount
    {
        int i = v / blocks, jb = (v - i * blocks) * Wide, l = s.L;
        float* dst = outBase + i * s.OW + jb;
        var lanes = Vector256<int>.Indices;
        var lo = Vector256.LessThan(lanes, Vector256.Create(s.OW - jb)).AsSingle();
        var hi = Vector256.LessThan(lanes, Vector256.Create(s.OW - jb - 8)).AsSingle();
        PutWide256(c00, c01, dst, lo, hi, bias, 0);
        if (TM.Value > 1) PutWide256(c10, c11, dst + l, lo, hi, bias, 1);
        if (TM.Value > 2) PutWide256(c20, c21, dst + 2 * l, lo, hi, bias, 2);
        if (TM.Value > 3) PutWide256(c30, c31, dst + 3 * l, lo, hi, bias, 3);
        if (TM.Value > 4) PutWide256(c40, c41, dst + 4 * l, lo, hi, bias, 4);
        if (TM.Value > 5) PutWide256(c50, c51, dst + 5 * l, lo, hi, bias, 5);
    }

    private static void PutWide256(Vector256<float> low, Vector256<float> high, float* dst, Vector256<float> lo,
        Vector256<float> hi, float* bias, int o)
    {
        if (bias is not null)
        {
            var bv = Vector256.Create(bias[o]);
            low += bv;
            high += bv;
        }
        Avx.MaskStore(dst, lo, low);
        Avx.MaskStore(dst + 8, hi, high);
    }

    // WeightRows with AVX2: one kernel row at a time, its TQ ≤ 6 taps (unit horizontal stride and dilation) in two
    // halves each, over every position of the channels-last dY tile.
    private static void WeightRows256<TQ>(float* pad, int hp, int wp, float* tile, float* dwl, in ConvShape s)
        where TQ : struct, ICount
    {
        int rows = s.Cg * s.KH, kw = s.KW, ow = s.OW;
        for (int kr = 0; kr < rows; kr++)
        {
            float* p0 = pad + KernelRowOffset(kr, hp, wp, s);
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default;
            Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default;
            float* d = tile;
            for (int i = 0; i < s.OH; i++)
            {
                float* r = p0 + (long)i * s.StrideH * wp;
                for (int j = 0; j < ow; j++, d += Lanes)
                {
                    var lo = Vector256.Load(d);
                    var hi = Vector256.Load(d + 8);
                    var x = Vector256.Create(r[j]);
                    a0 = Vector256.FusedMultiplyAdd(x, lo, a0);
                    b0 = Vector256.FusedMultiplyAdd(x, hi, b0);
                    if (TQ.Value > 1)
                    {
                        x = Vector256.Create(r[j + 1]);
                        a1 = Vector256.FusedMultiplyAdd(x, lo, a1);
                        b1 = Vector256.FusedMultiplyAdd(x, hi, b1);
                    }
                    if (TQ.Value > 2)
                    {
                        x = Vector256.Create(r[j + 2]);
                        a2 = Vector256.FusedMultiplyAdd(x, lo, a2);
                        b2 = Vector256.FusedMultiplyAdd(x, hi, b2);
                    }
                    if (TQ.Value > 3)
                    {
                        x = Vector256.Create(r[j + 3]);
                        a3 = Vector256.FusedMultiplyAdd(x, lo, a3);
                        b3 = Vector256.FusedMultiplyAdd(x, hi, b3);
                    }
                    if (TQ.Value > 4)
                    {
                        x = Vector256.Create(r[j + 4]);
                        a4 = Vector256.FusedMultiplyAdd(x, lo, a4);
                        b4 = Vector256.FusedMultiplyAdd(x, hi, b4);
                    }
                    if (TQ.Value > 5)
                    {
                        x = Vector256.Create(r[j + 5]);
                        a5 = Vector256.FusedMultiplyAdd(x, lo, a5);
                        b5 = Vector256.FusedMultiplyAdd(x, hi, b5);
                    }
                }
            }
            float* dt = dwl + kr * kw * Lanes;
            Accumulate256(a0, b0, dt);
            if (TQ.Value > 1) Accumulate256(a1, b1, dt + Lanes);
            if (TQ.Value > 2) Accumulate256(a2, b2, dt + 2 * Lanes);
            if (TQ.Value > 3) Accumulate256(a3, b3, dt + 3 * Lanes);
            if (TQ.Value > 4) Accumulate256(a4, b4, dt + 4 * Lanes);
            if (TQ.Value > 5) Accumulate256(a5, b5, dt + 5 * Lanes);
        }
    }

    // WeightTaps with AVX2: any geometry, 6 taps at a time (their offsets in registers), two halves each.
    private static void WeightTaps256(float* pad, int hp, int wp, float* tile, float* dwl, in ConvShape s)
    {
        int k = s.K, khw = s.KH * s.KW, last = k - 1;
        for (int t0 = 0; t0 < k; t0 += 6)
        {
            int o0 = TapOffset(t0, khw, hp, wp, s), o1 = TapOffset(Math.Min(t0 + 1, last), khw, hp, wp, s);
            int o2 = TapOffset(Math.Min(t0 + 2, last), khw, hp, wp, s);
            int o3 = TapOffset(Math.Min(t0 + 3, last), khw, hp, wp, s);
            int o4 = TapOffset(Math.Min(t0 + 4, last), khw, hp, wp, s);
            int o5 = TapOffset(Math.Min(t0 + 5, last), khw, hp, wp, s);
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default;
            Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default;
            float* d = tile;
            for (int i = 0; i < s.OH; i++)
            {
                float* r = pad + i * s.StrideH * wp;
                for (int j = 0; j < s.OW; j++, r += s.StrideW, d += Lanes)
                {
                    var lo = Vector256.Load(d);
                    var hi = Vector256.Load(d + 8);
                    var x = Vector256.Create(r[o0]);
                    a0 = Vector256.FusedMultiplyAdd(x, lo, a0);
                    b0 = Vector256.FusedMultiplyAdd(x, hi, b0);
                    x = Vector256.Create(r[o1]);
                    a1 = Vector256.FusedMultiplyAdd(x, lo, a1);
                    b1 = Vector256.FusedMultiplyAdd(x, hi, b1);
                    x = Vector256.Create(r[o2]);
                    a2 = Vector256.FusedMultiplyAdd(x, lo, a2);
                    b2 = Vector256.FusedMultiplyAdd(x, hi, b2);
                    x = Vector256.Create(r[o3]);
                    a3 = Vector256.FusedMultiplyAdd(x, lo, a3);
                    b3 = Vector256.FusedMultiplyAdd(x, hi, b3);
                    x = Vector256.Create(r[o4]);
                    a4 = Vector256.FusedMultiplyAdd(x, lo, a4);
                    b4 = Vector256.FusedMultiplyAdd(x, hi, b4);
                    x = Vector256.Create(r[o5]);
                    a5 = Vector256.FusedMultiplyAdd(x, lo, a5);
                    b5 = Vector256.FusedMultiplyAdd(x, hi, b5);
                }
            }
            int taps = Math.Min(6, k - t0);
            float* dt = dwl + t0 * Lanes;
            Accumulate256(a0, b0, dt);
            if (taps > 1) Accumulate256(a1, b1, dt + Lanes);
            if (taps > 2) Accumulate256(a2, b2, dt + 2 * Lanes);
            if (taps > 3) Accumulate256(a3, b3, dt + 3 * Lanes);
            if (taps > 4) Accumulate256(a4, b4, dt + 4 * Lanes);
            if (taps > 5) Accumulate256(a5, b5, dt + 5 * Lanes);
        }
    }

    private static void Accumulate256(Vector256<float> lo, Vector256<float> hi, float* d)
    {
        (Vector256.Load(d) + lo).Store(d);
        (Vector256.Load(d + 8) + hi).Store(d + 8);
    }

    // WeightWide with AVX2: TM channels × TQ taps (TM·TQ ≤ 12) of one kernel row; both halves of a 16-position
    // block add into the same accumulator, whose 8 lanes go to the first half of the 16-lane partial sums.
    private static void WeightWide256<TM>(float* pad, float* grad, float* acc, in ConvShape s)
        where TM : struct, ICount
    {
        int rows = s.Cg * s.KH, most = TM.Value <= 4 ? 3 : TM.Value <= 6 ? 2 : 1;
        for (int kr = 0; kr < rows; kr++)
        {
            for (int q0 = 0; q0 < s.KW; q0 += most)
            {
                switch (Math.Min(most, s.KW - q0))
                {
                    case 1: WeightWide256<TM, Count1>(pad, grad, acc, kr, q0, s); break;
                    case 2: WeightWide256<TM, Count2>(pad, grad, acc, kr, q0, s); break;
                    default: WeightWide256<TM, Count3>(pad, grad, acc, kr, q0, s); break;
                }
            }
        }
    }

    // TM ≤ 4 channels with TQ ≤ 3 taps, TM ≤ 6 with TQ ≤ 2, TM ≤ 8 with TQ = 1.
    private static void WeightWide256<TM, TQ>(float* pad, float* grad, float* acc, int kr, int q0, in ConvShape s)
        where TM : struct, ICount
        where TQ : struct, ICount
    {
        int hp = PaddedHeight(s), wp = WidePaddedWidth(s), k = s.K, t = kr * s.KW + q0, og = s.Og;
        int blocks = WideRow(s) / Wide, dw = s.DilationW;
        float* start = pad + KernelRowOffset(kr, hp, wp, s) + q0 * dw;
        Vector256<float> a00 = default, a01 = default, a02 = default, a10 = default, a11 = default, a12 = default;
        Vector256<float> a20 = default, a21 = default, a22 = default, a30 = default, a31 = default, a32 = default;
        Vector256<float> a40 = default, a41 = default, a50 = default, a51 = default, a60 = default, a70 = default;
        float* gp = grad;
        for (int i = 0; i < s.OH; i++)
        {
            float* r0 = start + (long)i * s.StrideH * wp, r1 = r0 + dw, r2 = r1 + dw;
            for (int j = 0; j < blocks * Wide; j += Wide, gp += og * Wide)
            {
                for (int h = 0; h < Wide; h += 8)
                {
                    var x0 = Vector256.Load(r0 + j + h);
                    var x1 = TQ.Value > 1 ? Vector256.Load(r1 + j + h) : default;
                    var x2 = TQ.Value > 2 ? Vector256.Load(r2 + j + h) : default;
                    var g = Vector256.Load(gp + h);
                    a00 = Vector256.FusedMultiplyAdd(x0, g, a00);
                    if (TQ.Value > 1) a01 = Vector256.FusedMultiplyAdd(x1, g, a01);
                    if (TQ.Value > 2) a02 = Vector256.FusedMultiplyAdd(x2, g, a02);
                    if (TM.Value > 1)
                    {
                        g = Vector256.Load(gp + Wide + h);
                        a10 = Vector256.FusedMultiplyAdd(x0, g, a10);
                        if (TQ.Value > 1) a11 = Vector256.FusedMultiplyAdd(x1, g, a11);
                        if (TQ.Value > 2) a12 = Vector256.FusedMultiplyAdd(x2, g, a12);
                    }
                    if (TM.Value > 2)
                    {
                        g = Vector256.Load(gp + 2 * Wide + h);
                        a20 = Vector256.FusedMultiplyAdd(x0, g, a20);
                        if (TQ.Value > 1) a21 = Vector256.FusedMultiplyAdd(x1, g, a21);
                        if (TQ.Value > 2) a22 = Vector256.FusedMultiplyAdd(x2, g, a22);
                    }
                    if (TM.Value > 3)
                    {
                        g = Vector256.Load(gp + 3 * Wide + h);
                        a30 = Vector256.FusedMultiplyAdd(x0, g, a30);
                        if (TQ.Value > 1) a31 = Vector256.FusedMultiplyAdd(x1, g, a31);
                        if (TQ.Value > 2) a32 = Vector256.FusedMultiplyAdd(x2, g, a32);
                    }
                    if (TM.Value > 4)
                    {
                        g = Vector256.Load(gp + 4 * Wide + h);
                        a40 = Vector256.FusedMultiplyAdd(x0, g, a40);
                        if (TQ.Value > 1) a41 = Vector256.FusedMultiplyAdd(x1, g, a41);
                    }
                    if (TM.Value > 5)
                    {
                        g = Vector256.Load(gp + 5 * Wide + h);
                        a50 = Vector256.FusedMultiplyAdd(x0, g, a50);
                        if (TQ.Value > 1) a51 = Vector256.FusedMultiplyAdd(x1, g, a51);
                    }
                    if (TM.Value > 6) a60 = Vector256.FusedMultiplyAdd(x0, Vector256.Load(gp + 6 * Wide + h), a60);
                    if (TM.Value > 7) a70 = Vector256.FusedMultiplyAdd(x0, Vector256.Load(gp + 7 * Wide + h), a70);
                }
            }
        }
        float* d = acc + (long)t * Wide;
        AddTaps256<TQ>(a00, a01, a02, d);
        if (TM.Value > 1) AddTaps256<TQ>(a10, a11, a12, d + (long)k * Wide);
        if (TM.Value > 2) AddTaps256<TQ>(a20, a21, a22, d + 2L * k * Wide);
        if (TM.Value > 3) AddTaps256<TQ>(a30, a31, a32, d + 3L * k * Wide);
        if (TM.Value > 4) AddTaps256<TQ>(a40, a41, default, d + 4L * k * Wide);
        if (TM.Value > 5) AddTaps256<TQ>(a50, a51, default, d + 5L * k * Wide);
        if (TM.Value > 6) AddTaps256<TQ>(a60, default, default, d + 6L * k * Wide);
        if (TM.Value > 7) AddTaps256<TQ>(a70, default, default, d + 7L * k * Wide);
    }

    private static void AddTaps256<TQ>(Vector256<float> t0, Vector256<float> t1, Vector256<float> t2, float* d)
        where TQ : struct, ICount
    {
        (Vector256.Load(d) + t0).Store(d);
        if (TQ.Value > 1) (Vector256.Load(d + Wide) + t1).Store(d + Wide);
        if (TQ.Value > 2) (Vector256.Load(d + 2 * Wide) + t2).Store(d + 2 * Wide);
    }
}
