using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dendrite.Kernels;

// The channels-in-lanes kernels for CPUs with AVX2 and FMA but no AVX-512. The 16 output channels of a position take
// two Vector256 accumulators, and with 16 vector registers 12 of them can stay in flight: 3 positions of an output
// row pair (2 × 3 × 2) in the forward, 6 taps of one kernel row (6 × 2) in the weight gradient. Per tap or position
// that is 2 vector loads, one broadcast per position or tap, and 2 FMAs per broadcast, the shape of the 6×16 GEMM
// micro-kernel. The channels-last tiles go to and from NCHW through 8×8 transposes.
public static unsafe partial class Conv
{
    private static bool HasLanes256 => Avx2.IsSupported && Fma.IsSupported;

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
    // (+ bias[c] when bias is not null). Interleaves of 32-bit elements, then of pairs, then of 128-bit halves.
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
        // t: rows 2k and 2k+1 interleaved by element within each 128-bit half.
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);
        // u[m] (rows 0-3) and u[4 + m] (rows 4-7): column m in the low half, column 4 + m in the high half.
        var u0 = Avx.Shuffle(t0, t2, 0x44);
        var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44);
        var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44);
        var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44);
        var u7 = Avx.Shuffle(t5, t7, 0xEE);
        PutColumn8(Avx.Permute2x128(u0, u4, 0x20), 0, dst, dstStride, dstRows, outMask, bias);
        PutColumn8(Avx.Permute2x128(u1, u5, 0x20), 1, dst, dstStride, dstRows, outMask, bias);
        PutColumn8(Avx.Permute2x128(u2, u6, 0x20), 2, dst, dstStride, dstRows, outMask, bias);
        PutColumn8(Avx.Permute2x128(u3, u7, 0x20), 3, dst, dstStride, dstRows, outMask, bias);
        PutColumn8(Avx.Permute2x128(u0, u4, 0x31), 4, dst, dstStride, dstRows, outMask, bias);
        PutColumn8(Avx.Permute2x128(u1, u5, 0x31), 5, dst, dstStride, dstRows, outMask, bias);
        PutColumn8(Avx.Permute2x128(u2, u6, 0x31), 6, dst, dstStride, dstRows, outMask, bias);
        PutColumn8(Avx.Permute2x128(u3, u7, 0x31), 7, dst, dstStride, dstRows, outMask, bias);
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
}
