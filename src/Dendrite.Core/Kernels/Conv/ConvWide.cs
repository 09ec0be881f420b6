using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dendrite.Kernels;

/// <summary>A compile-time count for the specialised direct kernels: the JIT compiles one body per struct type
/// argument and folds <c>Value</c>, so branches on it vanish and unused accumulators are never allocated.</summary>
internal interface ICount
{
    static abstract int Value { get; }
}

internal readonly struct Count1 : ICount
{
    public static int Value => 1;
}

internal readonly struct Count2 : ICount
{
    public static int Value => 2;
}

internal readonly struct Count3 : ICount
{
    public static int Value => 3;
}

internal readonly struct Count4 : ICount
{
    public static int Value => 4;
}

internal readonly struct Count5 : ICount
{
    public static int Value => 5;
}

internal readonly struct Count6 : ICount
{
    public static int Value => 6;
}

internal readonly struct Count7 : ICount
{
    public static int Value => 7;
}

internal readonly struct Count8 : ICount
{
    public static int Value => 8;
}

internal readonly struct Count9 : ICount
{
    public static int Value => 9;
}

internal readonly struct Count10 : ICount
{
    public static int Value => 10;
}

internal readonly struct Count11 : ICount
{
    public static int Value => 11;
}

internal readonly struct Count12 : ICount
{
    public static int Value => 12;
}

// The direct forward for at most 8 output channels per group with AVX-512 (lenet_conv1, and the input gradient of
// lenet_conv2 written as a forward convolution with 6 outputs): output positions in the 16 lanes of a Vector512,
// one accumulator per (output channel, position vector). A position vector is 16 consecutive columns of one output
// row; 3 or 4 of them (from any rows) are computed at once, so 6 channels keep 24 independent FMA chains in flight
// (the Vector256 kernel of Conv.cs keeps 8, enough only to cover the FMA latency, and computes all 8 channels
// whatever the count). Per tap: one load per position vector and one broadcast weight per channel. With AVX2 only,
// ConvLanes256.cs runs the same blocks as two Vector256 halves.
internal static unsafe partial class Conv
{
    private const int Wide = 16;

    // Padded width for 16-lane rows: the output width rounded up to 16, plus the kernel's reach.
    private static int WidePaddedWidth(in ConvShape s) =>
        (s.OW + Wide - 1) / Wide * Wide + (s.KW - 1) * s.DilationW;

    private static int WideScratch(in ConvShape s) => s.Cg * PaddedHeight(s) * WidePaddedWidth(s);

    // w (O, Cg, KH, KW) → wt (G, K, 8): per group, tap-major rows of the output channels, zero-filled to 8.
    private static void WideWeights(float* w, float* wt, in ConvShape s)
    {
        int og = s.Og, k = s.K;
        new Span<float>(wt, s.Groups * k * DirectBlock).Clear();
        for (int g = 0; g < s.Groups; g++)
        {
            for (int o = 0; o < og; o++)
            {
                float* src = w + (long)(g * og + o) * k;
                float* dst = wt + (long)g * k * DirectBlock + o;
                for (int t = 0; t < k; t++) dst[t * DirectBlock] = src[t];
            }
        }
    }

    private static void ForwardWide(int item, float* x, float* wt, float* bias, float* y, float[] scratch,
        in ConvShape s)
    {
        fixed (float* pad = scratch)
        {
            PadImage(x, item / s.Groups, item % s.Groups, pad, PaddedHeight(s), WidePaddedWidth(s), s);
            if (!Avx512F.IsSupported)
            {
                ForwardWide256(item, pad, wt, bias, y, s);
                return;
            }
            switch (s.Og)
            {
                case 1: ForwardWide<Count1, Count4>(item, pad, wt, bias, y, s); break;
                case 2: ForwardWide<Count2, Count4>(item, pad, wt, bias, y, s); break;
                case 3: ForwardWide<Count3, Count4>(item, pad, wt, bias, y, s); break;
                case 4 when PairsSkipMore(s): ForwardWide<Count4, Count2>(item, pad, wt, bias, y, s); break;
                case 4: ForwardWide<Count4, Count4>(item, pad, wt, bias, y, s); break;
                case 5 when PairsSkipMore(s): ForwardWide<Count5, Count2>(item, pad, wt, bias, y, s); break;
                case 5: ForwardWide<Count5, Count4>(item, pad, wt, bias, y, s); break;
                case 6 when PairsSkipMore(s): ForwardWide<Count6, Count2>(item, pad, wt, bias, y, s); break;
                case 6: ForwardWide<Count6, Count4>(item, pad, wt, bias, y, s); break;
                case 7: ForwardWide<Count7, Count3>(item, pad, wt, bias, y, s); break;
                default: ForwardWide<Count8, Count3>(item, pad, wt, bias, y, s); break;
            }
        }
    }

    // Whether position vectors two at a time (8 to 12 chains for 4 to 6 channels) compute at least 10 % fewer
    // vector-rows than four at a time, counting only the kernel rows a chunk cannot skip: with heavy top and
    // bottom padding (the input gradient of a 5×5 convolution without padding pads by 4) smaller chunks skip more
    // (lenet_conv2's input gradient: 54 against 64).
    private static bool PairsSkipMore(in ConvShape s) => 10 * SkippedRowWork(2, s) < 9 * SkippedRowWork(4, s);

    // Σ over chunks of tv position vectors of (kernel rows the chunk runs) · tv.
    private static long SkippedRowWork(int tv, in ConvShape s)
    {
        int blocks = (s.OW + Wide - 1) / Wide, count = s.OH * blocks;
        long work = 0;
        for (int v0 = 0; v0 < count; v0 += tv)
        {
            int rows = KernelRowsUntil(v0 / blocks, s) - KernelRowsFrom(Math.Min(v0 + tv - 1, count - 1) / blocks, s);
            work += (long)Math.Max(0, rows) * tv;
        }
        return work;
    }

    // Offset in the padded image of the window origin of position vector v (row v / blocks, block v % blocks).
    private static int WideOrigin(int v, int blocks, int wp, in ConvShape s)
    {
        int i = v / blocks;
        return i * s.StrideH * wp + (v - i * blocks) * Wide;
    }

    // The first kernel row whose input row, for output row i, lies in the image (not in the top padding).
    private static int KernelRowsFrom(int i, in ConvShape s)
    {
        int gap = s.PadTop - i * s.StrideH;
        return gap <= 0 ? 0 : Math.Min(s.KH, (gap + s.DilationH - 1) / s.DilationH);
    }

    // One past the last kernel row whose input row, for output row i, lies in the image.
    private static int KernelRowsUntil(int i, in ConvShape s)
    {
        int room = s.PadTop + s.H - i * s.StrideH;
        return room <= 0 ? 0 : Math.Min(s.KH, (room + s.DilationH - 1) / s.DilationH);
    }

    // TM output channels, TV position vectors at a time.
    private static void ForwardWide<TM, TV>(int item, float* pad, float* wt, float* bias, float* y, in ConvShape s)
        where TM : struct, ICount
        where TV : struct, ICount
    {
        int n = item / s.Groups, g = item % s.Groups, og = s.Og, l = s.L;
        int hp = PaddedHeight(s), wp = WidePaddedWidth(s), plane = hp * wp;
        int kh = s.KH, kw = s.KW, dh = s.DilationH * wp, dw = s.DilationW, cg = s.Cg;
        float* w0 = wt + (long)g * s.K * DirectBlock;
        float* outBase = y + (long)(n * s.O + g * og) * l;
        float* b = bias is null ? null : bias + g * og;
        int blocks = (s.OW + Wide - 1) / Wide, count = s.OH * blocks, last = count - 1;
        for (int v0 = 0; v0 < count; v0 += TV.Value)
        {
            // Vectors past the end repeat the last one and are not stored.
            float* r0 = pad + WideOrigin(v0, blocks, wp, s);
            float* r1 = pad + WideOrigin(Math.Min(v0 + 1, last), blocks, wp, s);
            float* r2 = pad + WideOrigin(Math.Min(v0 + 2, last), blocks, wp, s);
            float* r3 = pad + WideOrigin(Math.Min(v0 + 3, last), blocks, wp, s);
            Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default;
            Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default;
            Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default;
            Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default;
            Vector512<float> a40 = default, a41 = default, a42 = default, a43 = default;
            Vector512<float> a50 = default, a51 = default, a52 = default, a53 = default;
            Vector512<float> a60 = default, a61 = default, a62 = default, a63 = default;
            Vector512<float> a70 = default, a71 = default, a72 = default, a73 = default;
            // Kernel rows whose input rows are padding for every vector of the chunk are skipped (the rows of a
            // chunk only grow, so the first vector bounds the last useful kernel row and the last the first).
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
                        var i0 = Vector512.Load(r0 + off);
                        var i1 = Vector512.Load(r1 + off);
                        var i2 = TV.Value > 2 ? Vector512.Load(r2 + off) : default;
                        var i3 = TV.Value > 3 ? Vector512.Load(r3 + off) : default;
                        var bw = Vector512.Create(wv[0]);
                        a00 = Vector512.FusedMultiplyAdd(i0, bw, a00);
                        a01 = Vector512.FusedMultiplyAdd(i1, bw, a01);
                        if (TV.Value > 2) a02 = Vector512.FusedMultiplyAdd(i2, bw, a02);
                        if (TV.Value > 3) a03 = Vector512.FusedMultiplyAdd(i3, bw, a03);
                        if (TM.Value > 1)
                        {
                            bw = Vector512.Create(wv[1]);
                            a10 = Vector512.FusedMultiplyAdd(i0, bw, a10);
                            a11 = Vector512.FusedMultiplyAdd(i1, bw, a11);
                            if (TV.Value > 2) a12 = Vector512.FusedMultiplyAdd(i2, bw, a12);
                            if (TV.Value > 3) a13 = Vector512.FusedMultiplyAdd(i3, bw, a13);
                        }
                        if (TM.Value > 2)
                        {
                            bw = Vector512.Create(wv[2]);
                            a20 = Vector512.FusedMultiplyAdd(i0, bw, a20);
                            a21 = Vector512.FusedMultiplyAdd(i1, bw, a21);
                            if (TV.Value > 2) a22 = Vector512.FusedMultiplyAdd(i2, bw, a22);
                            if (TV.Value > 3) a23 = Vector512.FusedMultiplyAdd(i3, bw, a23);
                        }
                        if (TM.Value > 3)
                        {
                            bw = Vector512.Create(wv[3]);
                            a30 = Vector512.FusedMultiplyAdd(i0, bw, a30);
                            a31 = Vector512.FusedMultiplyAdd(i1, bw, a31);
                            if (TV.Value > 2) a32 = Vector512.FusedMultiplyAdd(i2, bw, a32);
                            if (TV.Value > 3) a33 = Vector512.FusedMultiplyAdd(i3, bw, a33);
                        }
                        if (TM.Value > 4)
                        {
                            bw = Vector512.Create(wv[4]);
                            a40 = Vector512.FusedMultiplyAdd(i0, bw, a40);
                            a41 = Vector512.FusedMultiplyAdd(i1, bw, a41);
                            if (TV.Value > 2) a42 = Vector512.FusedMultiplyAdd(i2, bw, a42);
                            if (TV.Value > 3) a43 = Vector512.FusedMultiplyAdd(i3, bw, a43);
                        }
                        if (TM.Value > 5)
                        {
                            bw = Vector512.Create(wv[5]);
                            a50 = Vector512.FusedMultiplyAdd(i0, bw, a50);
                            a51 = Vector512.FusedMultiplyAdd(i1, bw, a51);
                            if (TV.Value > 2) a52 = Vector512.FusedMultiplyAdd(i2, bw, a52);
                            if (TV.Value > 3) a53 = Vector512.FusedMultiplyAdd(i3, bw, a53);
                        }
                        if (TM.Value > 6)
                        {
                            bw = Vector512.Create(wv[6]);
                            a60 = Vector512.FusedMultiplyAdd(i0, bw, a60);
                            a61 = Vector512.FusedMultiplyAdd(i1, bw, a61);
                            if (TV.Value > 2) a62 = Vector512.FusedMultiplyAdd(i2, bw, a62);
                            if (TV.Value > 3) a63 = Vector512.FusedMultiplyAdd(i3, bw, a63);
                        }
                        if (TM.Value > 7)
                        {
                            bw = Vector512.Create(wv[7]);
                            a70 = Vector512.FusedMultiplyAdd(i0, bw, a70);
                            a71 = Vector512.FusedMultiplyAdd(i1, bw, a71);
                            if (TV.Value > 2) a72 = Vector512.FusedMultiplyAdd(i2, bw, a72);
                            if (TV.Value > 3) a73 = Vector512.FusedMultiplyAdd(i3, bw, a73);
                        }
                    }
                }
            }
            StoreWide<TM>(a00, a10, a20, a30, a40, a50, a60, a70, v0, blocks, outBase, b, s);
            if (v0 + 1 < count) StoreWide<TM>(a01, a11, a21, a31, a41, a51, a61, a71, v0 + 1, blocks, outBase, b, s);
            if (TV.Value > 2 && v0 + 2 < count)
                StoreWide<TM>(a02, a12, a22, a32, a42, a52, a62, a72, v0 + 2, blocks, outBase, b, s);
            if (TV.Value > 3 && v0 + 3 < count)
                StoreWide<TM>(a03, a13, a23, a33, a43, a53, a63, a73, v0 + 3, blocks, outBase, b, s);
        }
    }

    // Position vector v of the TM output planes at outBase (+ bias when not null).
    private static void StoreWide<TM>(Vector512<float> c0, Vector512<float> c1, Vector512<float> c2,
        Vector512<float> c3, Vector512<float> c4, Vector512<float> c5, Vector512<float> c6, Vector512<float> c7,
        int v, int blocks, float* outBase, float* bias, in ConvShape s)
        where TM : struct, ICount
    {
        int i = v / blocks, jb = (v - i * blocks) * Wide, l = s.L;
        float* dst = outBase + i * s.OW + jb;
        var mask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(s.OW - jb)).AsSingle();
        PutWide(c0, dst, mask, bias, 0);
        if (TM.Value > 1) PutWide(c1, dst + l, mask, bias, 1);
        if (TM.Value > 2) PutWide(c2, dst + 2 * l, mask, bias, 2);
        if (TM.Value > 3) PutWide(c3, dst + 3 * l, mask, bias, 3);
        if (TM.Value > 4) PutWide(c4, dst + 4 * l, mask, bias, 4);
        if (TM.Value > 5) PutWide(c5, dst + 5 * l, mask, bias, 5);
        if (TM.Value > 6) PutWide(c6, dst + 6 * l, mask, bias, 6);
        if (TM.Value > 7) PutWide(c7, dst + 7 * l, mask, bias, 7);
    }

    private static void PutWide(Vector512<float> acc, float* dst, Vector512<float> mask, float* bias, int o)
    {
        if (bias is not null) acc += Vector512.Create(bias[o]);
        Avx512F.MaskStore(dst, mask, acc);
    }

    // dw for at most 8 output channels per group (AVX-512, or two AVX2 halves): output positions in 16 lanes. Each
    // thread adds its items into its own accumulator of 16-lane partial sums (O, K, 16) with vector adds; the
    // accumulators are summed and each 16-lane sum reduced into dw at the end.
    private static void BackwardWeightWide(float* x, float* dy, float* dw, in ConvShape s)
    {
        var shape = s;
        float* xp = x, dyp = dy;
        var sum = SumPerThread(s.N * s.Groups, s.O * s.K * Wide, WideScratch(s) + s.Og * s.OH * WideRow(s),
            (item, acc, scratch) =>
            {
                fixed (float* pp = scratch) BackwardWeightWideItem(item, xp, dyp, acc, pp, shape);
            });
        fixed (float* ps = sum)
        {
            for (int i = 0; i < s.O * s.K; i++)
            {
                float* p = ps + (long)i * Wide;
                dw[i] = Avx512F.IsSupported ? Vector512.Sum(Vector512.Load(p))
                    : Vector256.Sum(Vector256.Load(p) + Vector256.Load(p + 8));
            }
        }
        BufferPool<float>.Return(sum);
    }

    // Output width rounded up to whole 16-lane blocks.
    private static int WideRow(in ConvShape s) => (s.OW + Wide - 1) / Wide * Wide;

    // One item: the padded image, then dY[n,g] laid out as (OH, blocks, Og, 16) with zeroed tails, so that the
    // channels of one position block are consecutive vectors.
    private static void BackwardWeightWideItem(int item, float* x, float* dy, float* acc, float* pad, in ConvShape s)
    {
        int n = item / s.Groups, g = item % s.Groups, og = s.Og, l = s.L, ow = s.OW, blocks = WideRow(s) / Wide;
        int hp = PaddedHeight(s), wp = WidePaddedWidth(s);
        PadImage(x, n, g, pad, hp, wp, s);
        float* grad = pad + s.Cg * hp * wp, dyg = dy + (long)(n * s.O + g * og) * l;
        for (int i = 0; i < s.OH; i++)
        {
            for (int b = 0; b < blocks; b++)
            {
                int j = b * Wide, width = Math.Min(Wide, ow - j);
                float* dst = grad + ((long)(i * blocks + b) * og) * Wide;
                if (!Avx512F.IsSupported)
                {
                    var lanes = Vector256<int>.Indices;
                    var lo = Vector256.LessThan(lanes, Vector256.Create(width)).AsSingle();
                    var hi = Vector256.LessThan(lanes, Vector256.Create(width - 8)).AsSingle();
                    for (int o = 0; o < og; o++)
                    {
                        float* src = dyg + (long)o * l + i * ow + j;
                        Avx.MaskLoad(src, lo).Store(dst + o * Wide);
                        Avx.MaskLoad(src + 8, hi).Store(dst + o * Wide + 8);
                    }
                    continue;
                }
                var mask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(width)).AsSingle();
                for (int o = 0; o < og; o++)
                {
                    Avx512F.MaskLoad(dyg + (long)o * l + i * ow + j, mask, Vector512<float>.Zero)
                        .Store(dst + o * Wide);
                }
            }
        }
        float* accg = acc + (long)g * og * s.K * Wide;
        if (!Avx512F.IsSupported)
        {
            switch (og)
            {
                case 1: WeightWide256<Count1>(pad, grad, accg, s); break;
                case 2: WeightWide256<Count2>(pad, grad, accg, s); break;
                case 3: WeightWide256<Count3>(pad, grad, accg, s); break;
                case 4: WeightWide256<Count4>(pad, grad, accg, s); break;
                case 5: WeightWide256<Count5>(pad, grad, accg, s); break;
                case 6: WeightWide256<Count6>(pad, grad, accg, s); break;
                case 7: WeightWide256<Count7>(pad, grad, accg, s); break;
                default: WeightWide256<Count8>(pad, grad, accg, s); break;
            }
            return;
        }
        switch (og)
        {
            case 1: WeightWide<Count1>(pad, grad, accg, s); break;
            case 2: WeightWide<Count2>(pad, grad, accg, s); break;
            case 3: WeightWide<Count3>(pad, grad, accg, s); break;
            case 4: WeightWide<Count4>(pad, grad, accg, s); break;
            case 5: WeightWide<Count5>(pad, grad, accg, s); break;
            case 6: WeightWide<Count6>(pad, grad, accg, s); break;
            case 7: WeightWide<Count7>(pad, grad, accg, s); break;
            default: WeightWide<Count8>(pad, grad, accg, s); break;
        }
    }

    // Every kernel row, its taps three at a time.
    private static void WeightWide<TM>(float* pad, float* grad, float* acc, in ConvShape s)
        where TM : struct, ICount
    {
        int rows = s.Cg * s.KH;
        for (int kr = 0; kr < rows; kr++)
        {
            for (int q0 = 0; q0 < s.KW; q0 += 3)
            {
                switch (Math.Min(3, s.KW - q0))
                {
                    case 1: WeightWide<TM, Count1>(pad, grad, acc, kr, q0, s); break;
                    case 2: WeightWide<TM, Count2>(pad, grad, acc, kr, q0, s); break;
                    default: WeightWide<TM, Count3>(pad, grad, acc, kr, q0, s); break;
                }
            }
        }
    }

    // Taps (kernel row kr, columns q0 .. q0+TQ-1) of TM output channels: TM·TQ accumulators over all positions.
    private static void WeightWide<TM, TQ>(float* pad, float* grad, float* acc, int kr, int q0, in ConvShape s)
        where TM : struct, ICount
        where TQ : struct, ICount
    {
        int hp = PaddedHeight(s), wp = WidePaddedWidth(s), k = s.K, t = kr * s.KW + q0;
        int blocks = WideRow(s) / Wide, dw = s.DilationW;
        float* start = pad + KernelRowOffset(kr, hp, wp, s) + q0 * dw;
        Vector512<float> a00 = default;
        Vector512<float> a01 = default;
        Vector512<float> a02 = default;
        Vector512<float> a10 = default;
        Vector512<float> a11 = default;
        Vector512<float> a12 = default;
        Vector512<float> a20 = default;
        Vector512<float> a21 = default;
        Vector512<float> a22 = default;
        Vector512<float> a30 = default;
        Vector512<float> a31 = default;
        Vector512<float> a32 = default;
        Vector512<float> a40 = default;
        Vector512<float> a41 = default;
        Vector512<float> a42 = default;
        Vector512<float> a50 = default;
        Vector512<float> a51 = default;
        Vector512<float> a52 = default;
        Vector512<float> a60 = default;
        Vector512<float> a61 = default;
        Vector512<float> a62 = default;
        Vector512<float> a70 = default;
        Vector512<float> a71 = default;
        Vector512<float> a72 = default;
        float* gp = grad;
        for (int i = 0; i < s.OH; i++)
        {
            float* r0 = start + (long)i * s.StrideH * wp, r1 = r0 + dw, r2 = r1 + dw;
            for (int j = 0; j < blocks * Wide; j += Wide, gp += TM.Value * Wide)
            {
                var x0 = Vector512.Load(r0 + j);
                var x1 = TQ.Value > 1 ? Vector512.Load(r1 + j) : default;
                var x2 = TQ.Value > 2 ? Vector512.Load(r2 + j) : default;
                var g0 = Vector512.Load(gp + 0);
                a00 = Vector512.FusedMultiplyAdd(x0, g0, a00);
                if (TQ.Value > 1) a01 = Vector512.FusedMultiplyAdd(x1, g0, a01);
                if (TQ.Value > 2) a02 = Vector512.FusedMultiplyAdd(x2, g0, a02);
                if (TM.Value > 1)
                {
                    var g = Vector512.Load(gp + 16);
                    a10 = Vector512.FusedMultiplyAdd(x0, g, a10);
                    if (TQ.Value > 1) a11 = Vector512.FusedMultiplyAdd(x1, g, a11);
                    if (TQ.Value > 2) a12 = Vector512.FusedMultiplyAdd(x2, g, a12);
                }
                if (TM.Value > 2)
                {
                    var g = Vector512.Load(gp + 32);
                    a20 = Vector512.FusedMultiplyAdd(x0, g, a20);
                    if (TQ.Value > 1) a21 = Vector512.FusedMultiplyAdd(x1, g, a21);
                    if (TQ.Value > 2) a22 = Vector512.FusedMultiplyAdd(x2, g, a22);
                }
                if (TM.Value > 3)
                {
                    var g = Vector512.Load(gp + 48);
                    a30 = Vector512.FusedMultiplyAdd(x0, g, a30);
                    if (TQ.Value > 1) a31 = Vector512.FusedMultiplyAdd(x1, g, a31);
                    if (TQ.Value > 2) a32 = Vector512.FusedMultiplyAdd(x2, g, a32);
                }
                if (TM.Value > 4)
                {
                    var g = Vector512.Load(gp + 64);
                    a40 = Vector512.FusedMultiplyAdd(x0, g, a40);
                    if (TQ.Value > 1) a41 = Vector512.FusedMultiplyAdd(x1, g, a41);
                    if (TQ.Value > 2) a42 = Vector512.FusedMultiplyAdd(x2, g, a42);
                }
                if (TM.Value > 5)
                {
                    var g = Vector512.Load(gp + 80);
                    a50 = Vector512.FusedMultiplyAdd(x0, g, a50);
                    if (TQ.Value > 1) a51 = Vector512.FusedMultiplyAdd(x1, g, a51);
                    if (TQ.Value > 2) a52 = Vector512.FusedMultiplyAdd(x2, g, a52);
                }
                if (TM.Value > 6)
                {
                    var g = Vector512.Load(gp + 96);
                    a60 = Vector512.FusedMultiplyAdd(x0, g, a60);
                    if (TQ.Value > 1) a61 = Vector512.FusedMultiplyAdd(x1, g, a61);
                    if (TQ.Value > 2) a62 = Vector512.FusedMultiplyAdd(x2, g, a62);
                }
                if (TM.Value > 7)
                {
                    var g = Vector512.Load(gp + 112);
                    a70 = Vector512.FusedMultiplyAdd(x0, g, a70);
                    if (TQ.Value > 1) a71 = Vector512.FusedMultiplyAdd(x1, g, a71);
                    if (TQ.Value > 2) a72 = Vector512.FusedMultiplyAdd(x2, g, a72);
                }
            }
        }
        AddTaps<TQ>(a00, a01, a02, acc + ((long)0 * k + t) * Wide);
        if (TM.Value > 1) AddTaps<TQ>(a10, a11, a12, acc + ((long)1 * k + t) * Wide);
        if (TM.Value > 2) AddTaps<TQ>(a20, a21, a22, acc + ((long)2 * k + t) * Wide);
        if (TM.Value > 3) AddTaps<TQ>(a30, a31, a32, acc + ((long)3 * k + t) * Wide);
        if (TM.Value > 4) AddTaps<TQ>(a40, a41, a42, acc + ((long)4 * k + t) * Wide);
        if (TM.Value > 5) AddTaps<TQ>(a50, a51, a52, acc + ((long)5 * k + t) * Wide);
        if (TM.Value > 6) AddTaps<TQ>(a60, a61, a62, acc + ((long)6 * k + t) * Wide);
        if (TM.Value > 7) AddTaps<TQ>(a70, a71, a72, acc + ((long)7 * k + t) * Wide);
    }

    private static void AddTaps<TQ>(Vector512<float> t0, Vector512<float> t1, Vector512<float> t2, float* d)
        where TQ : struct, ICount
    {
        Accumulate(t0, d);
        if (TQ.Value > 1) Accumulate(t1, d + Wide);
        if (TQ.Value > 2) Accumulate(t2, d + 2 * Wide);
    }

    /// <summary>db[o] = Σ over images and positions of dy[n, o, ·] for dy (images, channels, plane): the bias
    /// gradient of a convolution. Overwrites db. Channels are split across the threads; each channel's planes are
    /// summed in float32 vectors and added up in float64.</summary>
    public static void BackwardBias(ReadOnlySpan<float> dy, Span<float> db, int images, int channels, int plane)
    {
        if ((long)images * channels * plane > dy.Length || channels > db.Length)
            throw new ArgumentException($"Conv.BackwardBias: {dy.Length} gradient and {db.Length} bias elements " +
                $"are too few for {images} images of {channels} channels of {plane} positions");
        fixed (float* pdy = dy, pdb = db)
        {
            float* g = pdy, b = pdb;
            Parallel.For(channels, Math.Max(1, 16384 / Math.Max(1, images * plane)), (lo, hi) =>
            {
                for (int o = lo; o < hi; o++)
                {
                    double sum = 0;
                    for (int n = 0; n < images; n++)
                    {
                        float* row = g + ((long)n * channels + o) * plane;
                        sum += TensorPrimitives.Sum(new ReadOnlySpan<float>(row, plane));
                    }
                    b[o] = (float)sum;
                }
            });
        }
    }

    // A 16×16 transpose through registers: source row r (r < srcRows; srcWidth lanes read, the rest and the rows
    // past srcRows read 0) at src + r·srcStride; column c goes to dst + c·dstStride for c < dstRows, dstWidth
    // lanes of it (+ bias[c] when bias is not null). Three rounds of 32-, 64- and 128-bit interleaves.
    private static void Transpose16(float* src, int srcStride, int srcRows, int srcWidth, float* dst, int dstStride,
        int dstRows, int dstWidth, float* bias)
    {
        if (!Avx512F.IsSupported)
        {
            Transpose16By8(src, srcStride, srcRows, srcWidth, dst, dstStride, dstRows, dstWidth, bias);
            return;
        }
        var idx = Vector512<int>.Indices;
        var inMask = Vector512.LessThan(idx, Vector512.Create(srcWidth)).AsSingle();
        var outMask = Vector512.LessThan(idx, Vector512.Create(dstWidth)).AsSingle();
        var r0 = Row(src, 0, srcStride, srcRows, inMask);
        var r1 = Row(src, 1, srcStride, srcRows, inMask);
        var r2 = Row(src, 2, srcStride, srcRows, inMask);
        var r3 = Row(src, 3, srcStride, srcRows, inMask);
        var r4 = Row(src, 4, srcStride, srcRows, inMask);
        var r5 = Row(src, 5, srcStride, srcRows, inMask);
        var r6 = Row(src, 6, srcStride, srcRows, inMask);
        var r7 = Row(src, 7, srcStride, srcRows, inMask);
        var r8 = Row(src, 8, srcStride, srcRows, inMask);
        var r9 = Row(src, 9, srcStride, srcRows, inMask);
        var r10 = Row(src, 10, srcStride, srcRows, inMask);
        var r11 = Row(src, 11, srcStride, srcRows, inMask);
        var r12 = Row(src, 12, srcStride, srcRows, inMask);
        var r13 = Row(src, 13, srcStride, srcRows, inMask);
        var r14 = Row(src, 14, srcStride, srcRows, inMask);
        var r15 = Row(src, 15, srcStride, srcRows, inMask);
        // t[2k], t[2k+1]: rows 2k and 2k+1 interleaved by element within each 128-bit lane.
        var t0 = Avx512F.UnpackLow(r0, r1).AsDouble();
        var t1 = Avx512F.UnpackHigh(r0, r1).AsDouble();
        var t2 = Avx512F.UnpackLow(r2, r3).AsDouble();
        var t3 = Avx512F.UnpackHigh(r2, r3).AsDouble();
        var t4 = Avx512F.UnpackLow(r4, r5).AsDouble();
        var t5 = Avx512F.UnpackHigh(r4, r5).AsDouble();
        var t6 = Avx512F.UnpackLow(r6, r7).AsDouble();
        var t7 = Avx512F.UnpackHigh(r6, r7).AsDouble();
        var t8 = Avx512F.UnpackLow(r8, r9).AsDouble();
        var t9 = Avx512F.UnpackHigh(r8, r9).AsDouble();
        var t10 = Avx512F.UnpackLow(r10, r11).AsDouble();
        var t11 = Avx512F.UnpackHigh(r10, r11).AsDouble();
        var t12 = Avx512F.UnpackLow(r12, r13).AsDouble();
        var t13 = Avx512F.UnpackHigh(r12, r13).AsDouble();
        var t14 = Avx512F.UnpackLow(r14, r15).AsDouble();
        var t15 = Avx512F.UnpackHigh(r14, r15).AsDouble();
        // u[4k + m], lane j: column 4j + m of rows 4k .. 4k+3.
        var u0 = Avx512F.UnpackLow(t0, t2).AsSingle();
        var u1 = Avx512F.UnpackHigh(t0, t2).AsSingle();
        var u2 = Avx512F.UnpackLow(t1, t3).AsSingle();
        var u3 = Avx512F.UnpackHigh(t1, t3).AsSingle();
        var u4 = Avx512F.UnpackLow(t4, t6).AsSingle();
        var u5 = Avx512F.UnpackHigh(t4, t6).AsSingle();
        var u6 = Avx512F.UnpackLow(t5, t7).AsSingle();
        var u7 = Avx512F.UnpackHigh(t5, t7).AsSingle();
        var u8 = Avx512F.UnpackLow(t8, t10).AsSingle();
        var u9 = Avx512F.UnpackHigh(t8, t10).AsSingle();
        var u10 = Avx512F.UnpackLow(t9, t11).AsSingle();
        var u11 = Avx512F.UnpackHigh(t9, t11).AsSingle();
        var u12 = Avx512F.UnpackLow(t12, t14).AsSingle();
        var u13 = Avx512F.UnpackHigh(t12, t14).AsSingle();
        var u14 = Avx512F.UnpackLow(t13, t15).AsSingle();
        var u15 = Avx512F.UnpackHigh(t13, t15).AsSingle();
        // Column 4j + m gathers lane j of u[m], u[4 + m], u[8 + m], u[12 + m].
        Columns(u0, u4, u8, u12, 0, dst, dstStride, dstRows, outMask, bias);
        Columns(u1, u5, u9, u13, 1, dst, dstStride, dstRows, outMask, bias);
        Columns(u2, u6, u10, u14, 2, dst, dstStride, dstRows, outMask, bias);
        Columns(u3, u7, u11, u15, 3, dst, dstStride, dstRows, outMask, bias);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Row(float* src, int r, int stride, int rows, Vector512<float> mask) =>
        r < rows ? Avx512F.MaskLoad(src + (long)r * stride, mask, Vector512<float>.Zero) : default;

    // Columns m, 4 + m, 8 + m and 12 + m from the interleaved rows a (rows 0-3), b (4-7), c (8-11), d (12-15).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Columns(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d,
        int m, float* dst, int dstStride, int dstRows, Vector512<float> mask, float* bias)
    {
        var v0 = Avx512F.Shuffle4x128(a, b, 0x88);
        var v1 = Avx512F.Shuffle4x128(a, b, 0xDD);
        var w0 = Avx512F.Shuffle4x128(c, d, 0x88);
        var w1 = Avx512F.Shuffle4x128(c, d, 0xDD);
        PutColumn(Avx512F.Shuffle4x128(v0, w0, 0x88), m, dst, dstStride, dstRows, mask, bias);
        PutColumn(Avx512F.Shuffle4x128(v1, w1, 0x88), 4 + m, dst, dstStride, dstRows, mask, bias);
        PutColumn(Avx512F.Shuffle4x128(v0, w0, 0xDD), 8 + m, dst, dstStride, dstRows, mask, bias);
        PutColumn(Avx512F.Shuffle4x128(v1, w1, 0xDD), 12 + m, dst, dstStride, dstRows, mask, bias);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PutColumn(Vector512<float> v, int c, float* dst, int dstStride, int dstRows,
        Vector512<float> mask, float* bias)
    {
        if (c >= dstRows) return;
        if (bias is not null) v += Vector512.Create(bias[c]);
        Avx512F.MaskStore(dst + (long)c * dstStride, mask, v);
    }
}
