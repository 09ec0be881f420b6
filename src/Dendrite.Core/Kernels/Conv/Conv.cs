using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dendrite.Kernels;

/// <summary>
/// Float32 convolution by im2col + GEMM. For each image n and group g the input is unfolded into a K×L matrix
/// (K = Cg·KH·KW rows, one per weight element; L = OH·OW columns, one per output position), so that
///   forward:        Y[n,g] (Og×L)  = W[g] (Og×K) · col (K×L) + b
///   input grad:     col (K×L)      = W[g]ᵀ (K×Og) · dY[n,g] (Og×L), folded back by col2im (overlaps add)
///   weight grad:    dW[g] (Og×K)  += dY[n,g] (Og×L) · colᵀ (L×K)
/// A 1×1 convolution with stride 1 and no padding needs no unfolding: the image itself is the K×L matrix.
/// Threading: when there are at least as many (image, group) items as threads, the items are split across the
/// threads, each running single-threaded GEMMs on its own pooled unfolding buffer (and, for the weight gradient,
/// its own partial sum); otherwise the items run one after another with each GEMM split across the threads.
/// </summary>
internal static unsafe partial class Conv
{
    /// <summary>y = conv(x, w) + b over contiguous NCHW buffers; <paramref name="bias"/> may be empty. The kernel is
    /// <see cref="ConvPlanner"/>'s choice.</summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y,
        in ConvShape s)
    {
        Check("Conv.Forward", x.Length, w.Length, y.Length, s, bias.Length);
        var plan = ConvPlanner.Choose("Conv.Forward", ConvPass.Forward, s);
        if (s.L == 0 || s.N == 0) return;
        fixed (float* px = x, pw = w, pb = bias, py = y)
        {
            Forward(px, pw, bias.IsEmpty ? null : pb, py, s, plan.Kernel);
        }
    }

    private static void Forward(float* xp, float* wp, float* bp, float* yp, in ConvShape s, ConvKernel kernel)
    {
        var shape = s;
        switch (kernel)
        {
            case ConvKernel.Lanes:
                {
                    // Weights transposed once to tap-major rows of 16 (missing output channels read 0).
                    var lanesW = BufferPool<float>.Rent(s.Groups * s.K * Lanes);
                    fixed (float* pl = lanesW)
                    {
                        float* wl = pl;
                        LanesWeights(wp, wl, s);
                        Split(s, LanesScratch(s), (item, scratch, _) => ForwardLanes(item, xp, wl, bp, yp, scratch!,
                            shape));
                    }
                    BufferPool<float>.Return(lanesW);
                    break;
                }
            case ConvKernel.Wide:
                {
                    var wideW = BufferPool<float>.Rent(s.Groups * s.K * DirectBlock);
                    fixed (float* pt = wideW)
                    {
                        float* wt = pt;
                        WideWeights(wp, wt, s);
                        Split(s, WideScratch(s), (item, scratch, _) => ForwardWide(item, xp, wt, bp, yp, scratch!,
                            shape));
                    }
                    BufferPool<float>.Return(wideW);
                    break;
                }
            case ConvKernel.Direct:
                Split(s, DirectScratch(s), (item, scratch, _) => ForwardDirect(item, xp, wp, bp, yp, scratch!, shape));
                break;
            case ConvKernel.Depthwise: ForwardDepthwise(xp, wp, bp, yp, s); break;
            case ConvKernel.Small: ForwardSmall(xp, wp, bp, yp, s); break;
            case ConvKernel.Dense: ForwardDense(xp, wp, bp, yp, s); break;
            case ConvKernel.Rows: ForwardRows(xp, wp, bp, yp, s); break;
            case ConvKernel.Rows256: ForwardRows256(xp, wp, bp, yp, s); break;
            case ConvKernel.Implicit: ForwardTall(xp, wp, bp, yp, s); break;
            default:
                Split(s, ColLength(s), (item, col, gemmThreads) => ForwardItem(item, xp, wp, bp, yp, col, shape,
                    gemmThreads));
                break;
        }
    }

    /// <summary>dx = ∂(Σ y·dy)/∂x. Overwrites dx.</summary>
    public static void BackwardInput(ReadOnlySpan<float> dy, ReadOnlySpan<float> w, Span<float> dx, in ConvShape s)
    {
        Check("Conv.BackwardInput", dx.Length, w.Length, dy.Length, s, 0);
        var plan = ConvPlanner.Choose("Conv.BackwardInput", ConvPass.InputGradient, s);
        if (s.L == 0 || s.N == 0)
        {
            // No output position reads the input: its gradient is zero.
            dx[..(s.N * s.C * s.H * s.W)].Clear();
            return;
        }
        var shape = s;
        fixed (float* pdy = dy, pw = w, pdx = dx)
        {
            float* dyp = pdy, wp = pw, dxp = pdx;
            if (plan.Transposed)
            {
                // With unit strides the input gradient is itself a convolution: dY padded by (KH-1)·dh - ph rows and
                // (KW-1)·dw - pw columns, correlated with the weights flipped in both spatial axes and with the
                // input and output channels of each group exchanged.
                var flipped = BufferPool<float>.Rent(s.O * s.K);
                fixed (float* pf = flipped)
                {
                    FlipWeights(wp, pf, s);
                    Forward(dyp, pf, null, dxp, ConvPlanner.TransposedShape(s)!.Value, plan.Kernel);
                }
                BufferPool<float>.Return(flipped);
                return;
            }
            if (plan.Phased)
            {
                BackwardInputPhased(dyp, wp, dxp, s, plan.Kernel);
                return;
            }
            switch (plan.Kernel)
            {
                case ConvKernel.Depthwise: BackwardInputDepthwise(dyp, wp, dxp, s); break;
                case ConvKernel.Small: BackwardInputSmall(dyp, wp, dxp, s); break;
                case ConvKernel.Dense: BackwardInputDense(dyp, wp, dxp, s); break;
                default:
                    Split(s, ColLength(s), (item, col, gemmThreads) => BackwardInputItem(item, dyp, wp, dxp, col,
                        shape, gemmThreads));
                    break;
            }
        }
    }

    /// <summary>dw = ∂(Σ y·dy)/∂w. Overwrites dw.</summary>
    public static void BackwardWeight(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dw, in ConvShape s)
    {
        Check("Conv.BackwardWeight", x.Length, dw.Length, dy.Length, s, 0);
        var plan = ConvPlanner.Choose("Conv.BackwardWeight", ConvPass.WeightGradient, s);
        int size = s.O * s.K;
        dw[..size].Clear();
        if (s.L == 0 || s.N == 0) return;
        fixed (float* px = x, pdy = dy, pdw = dw)
        {
            float* xp = px, dyp = pdy, dwp = pdw;
            switch (plan.Kernel)
            {
                case ConvKernel.Depthwise: BackwardWeightDepthwise(xp, dyp, dwp, s); break;
                case ConvKernel.Small: BackwardWeightSmall(xp, dyp, dwp, s); break;
                case ConvKernel.Dense: BackwardWeightDense(xp, dyp, dwp, s); break;
                case ConvKernel.Rows: BackwardWeightRows(xp, dyp, dwp, s); break;
                case ConvKernel.Tall: BackwardWeightTall(xp, dyp, dwp, s); break;
                case ConvKernel.Lanes: BackwardWeightLanes(xp, dyp, dwp, s); break;
                case ConvKernel.Wide: BackwardWeightWide(xp, dyp, dwp, s); break;
                case ConvKernel.Direct:
                    BackwardWeightItems(xp, dyp, dwp, s, DirectScratch(s) + s.Og * s.OH * RoundUp(s.OW), true);
                    break;
                default: BackwardWeightItems(xp, dyp, dwp, s, ColLength(s), false); break;
            }
        }
    }

    // dw (zeroed) += the weight gradient of every (image, group) item, by the direct loops or by im2col + GEMM. With
    // fewer items than threads, the items run one after another with threaded GEMMs; otherwise SumPerThread.
    private static void BackwardWeightItems(float* x, float* dy, float* dw, in ConvShape s, int scratch, bool direct)
    {
        int items = s.N * s.Groups, size = s.O * s.K;
        var shape = s;
        if (Math.Min(Threads.Count, items) <= 1)
        {
            var col = scratch == 0 ? null : BufferPool<float>.Rent(scratch);
            for (int item = 0; item < items; item++)
            {
                if (direct) BackwardWeightDirect(item, x, dy, dw, col!, s);
                else BackwardWeightItem(item, x, dy, dw, col, s, Threads.Count);
            }
            if (col is not null) BufferPool<float>.Return(col);
            return;
        }
        SumPerThreadInto(dw, items, size, scratch, (item, acc, col) =>
        {
            if (direct) BackwardWeightDirect(item, x, dy, acc, col, shape);
            else BackwardWeightItem(item, x, dy, acc, scratch == 0 ? null : col, shape, 1);
        });
    }

    // w (O, Cg, KH, KW) → f (C, Og, KH, KW): f[g·Cg + c, o, p, q] = w[g·Og + o, c, KH-1-p, KW-1-q].
    // Split across the threads by output channel: for a 512-channel 3×3 layer on a 7×7 map the flip is about a
    // quarter of the input gradient's time.
    private static void FlipWeights(float* w, float* f, in ConvShape s)
    {
        int khw = s.KH * s.KW, og = s.Og, cg = s.Cg;
        Parallel.For(s.Groups * og, Math.Max(1, 16384 / Math.Max(1, cg * khw)), (lo, hi) =>
        {
            for (int go = lo; go < hi; go++)
            {
                int g = go / og, o = go - g * og;
                for (int c = 0; c < cg; c++)
                {
                    float* src = w + ((long)go * cg + c) * khw;
                    float* dst = f + ((long)(g * cg + c) * og + o) * khw;
                    for (int t = 0; t < khw; t++) dst[t] = src[khw - 1 - t];
                }
            }
        });
    }

    // Adds item [0, items) into an accumulator of `size` floats: the items are split into one contiguous run per
    // thread, each thread adds its run into its own zeroed accumulator (with `scratch` floats of pooled scratch of
    // its own), and the accumulators are summed. Returns the sum in a pooled array the caller hands back.
    private static float[] SumPerThread(int items, int size, int scratch, AccumulateItem body)
    {
        var sum = BufferPool<float>.Rent(size);
        Array.Clear(sum, 0, size);
        fixed (float* ps = sum) SumPerThreadInto(ps, items, size, scratch, body);
        return sum;
    }

    // SumPerThread into `target` (zeroed by the caller): the first thread adds straight into it and the other threads'
    // accumulators are added into it at the end; for large weights on small maps, a separate accumulator for the
    // first thread and a copy back would cost as much as the products themselves.
    private static void SumPerThreadInto(float* target, int items, int size, int scratch, AccumulateItem body)
    {
        int threads = Math.Max(1, Math.Min(Threads.Count, items));
        var partials = new float[]?[threads];
        Parallel.For(threads, 1, (lo, hi) =>
        {
            for (int t = lo; t < hi; t++)
            {
                float[]? own = t == 0 ? null : BufferPool<float>.Rent(size);
                if (own is not null) Array.Clear(own, 0, size);
                var buffer = BufferPool<float>.Rent(scratch);
                fixed (float* po = own)
                {
                    float* acc = own is null ? target : po;
                    for (int item = (int)((long)t * items / threads); item < (long)(t + 1) * items / threads; item++)
                        body(item, acc, buffer);
                }
                BufferPool<float>.Return(buffer);
                partials[t] = own;
            }
        });
        var sum = new Span<float>(target, size);
        for (int t = 1; t < threads; t++)
        {
            TensorPrimitives.Add(sum, partials[t]!.AsSpan(0, size), sum);
            BufferPool<float>.Return(partials[t]!);
        }
    }

    private delegate void AccumulateItem(int item, float* acc, float[] scratch);

    // Runs body(item, col, gemmThreads) for every (image, group) item: split across the threads when there are
    // enough items, each thread with its own unfolding buffer; otherwise serially with threaded GEMMs.
    // scratchLength floats of pooled scratch per thread (none when 0).
    private static void Split(ConvShape s, int scratchLength, Action<int, float[]?, int> body)
    {
        int items = s.N * s.Groups, threads = Threads.Count;
        if (threads <= 1 || items < threads)
        {
            var col = scratchLength == 0 ? null : BufferPool<float>.Rent(scratchLength);
            for (int item = 0; item < items; item++) body(item, col, threads);
            if (col is not null) BufferPool<float>.Return(col);
            return;
        }
        Parallel.For(items, 1, (lo, hi) =>
        {
            var col = scratchLength == 0 ? null : BufferPool<float>.Rent(scratchLength);
            for (int item = lo; item < hi; item++) body(item, col, 1);
            if (col is not null) BufferPool<float>.Return(col);
        });
    }

    private static int ColLength(in ConvShape s) => ConvPlanner.IsPointwise(s) ? 0 : s.K * s.L;

    // The direct forward: few output channels (one block of at most 8 accumulators per output column block) and
    // unit horizontal stride. It reads shifted rows of a zero-padded copy of the image instead of an unfolding.

    private const int DirectBlock = 8;

    // The channels-in-lanes direct kernels: with AVX-512 and 9 to 16 output channels per group, one Vector512
    // (two Vector256 halves with AVX2, see ConvLanes256.cs) holds all output channels of one output position, so no
    // lane is spent on a row's ragged end (lenet_conv2's 10-wide rows fill 8-lane row blocks at 10/16). Each
    // position in flight (up to 24, see ForwardLanes) keeps its own accumulator; per tap the 16 weights are one load
    // and every position adds its broadcast input times them.
    // The result is produced channels-last (L×16) and transposed into the NCHW output 16×16 at a time.
    private const int Lanes = 16;

    // Padded image, then the L×16 channels-last tile (with StrideH padded rows between them, read by the dropped
    // second row of an odd last pair in ForwardLanes).
    private static int LanesScratch(in ConvShape s) =>
        s.Cg * PaddedHeight(s) * PaddedWidth(s) + s.StrideH * PaddedWidth(s) + s.L * Lanes;

    // w (O, Cg, KH, KW) → wl (G, K, 16): per group, tap-major rows of the group's output channels, zero-filled.
    private static void LanesWeights(float* w, float* wl, in ConvShape s)
    {
        // 16 taps at a time: the group's og rows of 16 taps, transposed to 16 tap rows of 16 channels (zero-filled
        // past og).
        int og = s.Og, k = s.K;
        for (int g = 0; g < s.Groups; g++)
        {
            for (int t0 = 0; t0 < k; t0 += Lanes)
            {
                int taps = Math.Min(Lanes, k - t0);
                Transpose16(w + (long)g * og * k + t0, k, og, taps, wl + ((long)g * k + t0) * Lanes, Lanes, taps,
                    Lanes, null);
            }
        }
    }

    // 16 to 24 positions in flight: a piece of TW ≤ 12 consecutive columns (j0 .. j0+TW-1) of an output row pair
    // (i, i + 1). Within a padded row the windows of consecutive columns are consecutive floats, and those of the
    // second row lie StrideH padded rows further on, so per tap every broadcast is addressed from one of two
    // pointers with a constant displacement: no index registers, nothing spilled. Each row is split into
    // ⌈OW / 12⌉ pieces of nearly equal width (lenet_conv2: one piece of 10, 20 accumulators). With odd OH the last
    // pair's second row is computed from the rows past the image (the gap in the scratch) and dropped.
    private static void ForwardLanes(int item, float* x, float* wl, float* bias, float* y, float[] scratch,
        in ConvShape s)
    {
        int n = item / s.Groups, g = item % s.Groups, og = s.Og, l = s.L, ow = s.OW;
        int wp = PaddedWidth(s), plane = PaddedHeight(s) * wp;
        fixed (float* scratchStart = scratch)
        {
            // Without padding, and with every row pair inside the image, the windows are read from x itself.
            float* pad = scratchStart, tile = scratchStart + s.Cg * plane + s.StrideH * wp;
            if (ReadsImageInPlace(s))
            {
                pad = x + (long)(n * s.C + g * s.Cg) * s.H * s.W;
                wp = s.W;
                plane = s.H * s.W;
            }
            else
            {
                PadImage(x, n, g, pad, s);
            }
            float* wt = wl + (long)g * s.K * Lanes;
            bool wide = Avx512F.IsSupported;
            int most = wide ? MaxPiece : MaxPiece256;
            int pieces = (ow + most - 1) / most, narrow = ow / pieces, wider = ow % pieces;
            for (int i = 0; i < s.OH; i += 2)
            {
                for (int piece = 0, j0 = 0; piece < pieces; piece++)
                {
                    int width = narrow + (piece < wider ? 1 : 0);
                    if (!wide)
                    {
                        switch (width)
                        {
                            case 1: ForwardLanes256<Count1>(pad, wp, plane, wt, tile, i, j0, s); break;
                            case 2: ForwardLanes256<Count2>(pad, wp, plane, wt, tile, i, j0, s); break;
                            default: ForwardLanes256<Count3>(pad, wp, plane, wt, tile, i, j0, s); break;
                        }
                        j0 += width;
                        continue;
                    }
                    switch (width)
                    {
                        case 1: ForwardLanes<Count1>(pad, wp, plane, wt, tile, i, j0, s); break;
                        case 2: ForwardLanes<Count2>(pad, wp, plane, wt, tile, i, j0, s); break;
                        case 3: ForwardLanes<Count3>(pad, wp, plane, wt, tile, i, j0, s); break;
                        case 4: ForwardLanes<Count4>(pad, wp, plane, wt, tile, i, j0, s); break;
                        case 5: ForwardLanes<Count5>(pad, wp, plane, wt, tile, i, j0, s); break;
                        case 6: ForwardLanes<Count6>(pad, wp, plane, wt, tile, i, j0, s); break;
                        case 7: ForwardLanes<Count7>(pad, wp, plane, wt, tile, i, j0, s); break;
                        case 8: ForwardLanes<Count8>(pad, wp, plane, wt, tile, i, j0, s); break;
                        case 9: ForwardLanes<Count9>(pad, wp, plane, wt, tile, i, j0, s); break;
                        case 10: ForwardLanes<Count10>(pad, wp, plane, wt, tile, i, j0, s); break;
                        case 11: ForwardLanes<Count11>(pad, wp, plane, wt, tile, i, j0, s); break;
                        default: ForwardLanes<Count12>(pad, wp, plane, wt, tile, i, j0, s); break;
                    }
                    j0 += width;
                }
            }
            // The channels-last tile to the NCHW planes, 16 positions at a time.
            float* outBase = y + (long)(n * s.O + g * og) * l, b = bias is null ? null : bias + g * og;
            for (int f = 0; f < l; f += Lanes)
            {
                int width = Math.Min(Lanes, l - f);
                Transpose16(tile + f * Lanes, Lanes, width, Lanes, outBase + f, l, og, width, b);
            }
        }
    }

    private const int MaxPiece = 12;

    // Positions (i, j0 .. j0+TW-1) and (i + 1, same columns) into the channels-last tile.
    // No padding and no output column or row whose window leaves the image (and, for the forward's row pairs, an
    // even number of output rows, so that no pair reads past the image): the kernels read x itself, rows W apart,
    // instead of a padded copy (hp = H, wp = W).
    private static bool ReadsImageInPlace(in ConvShape s, bool rowPairs = true) =>
        s.PadTop == 0 && s.PadLeft == 0 && (!rowPairs || s.OH % 2 == 0) &&
        s.OW - 1 + (s.KW - 1) * s.DilationW < s.W && (s.OH - 1) * s.StrideH + (s.KH - 1) * s.DilationH < s.H;

    // pad: the image rows (wp floats apart, plane floats per channel) the windows are read from.
    private static void ForwardLanes<TW>(float* pad, int wp, int plane, float* wt, float* tile, int i, int j0,
        in ConvShape s)
        where TW : struct, ICount
    {
        int dh = s.DilationH * wp, dw = s.DilationW;
        int kh = s.KH, kw = s.KW, cg = s.Cg, ow = s.OW;
        float* origin = pad + i * s.StrideH * wp + j0;
        long below = s.StrideH * wp;
        var a0 = Vector512<float>.Zero;
        var a1 = a0;
        var a2 = a0;
        var a3 = a0;
        var a4 = a0;
        var a5 = a0;
        var a6 = a0;
        var a7 = a0;
        var a8 = a0;
        var a9 = a0;
        var a10 = a0;
        var a11 = a0;
        var c0 = a0;
        var c1 = a0;
        var c2 = a0;
        var c3 = a0;
        var c4 = a0;
        var c5 = a0;
        var c6 = a0;
        var c7 = a0;
        var c8 = a0;
        var c9 = a0;
        var c10 = a0;
        var c11 = a0;
        float* wv = wt;
        for (int c = 0; c < cg; c++)
        {
            for (int p = 0; p < kh; p++)
            {
                float* row = origin + c * plane + p * dh;
                for (int q = 0; q < kw; q++, wv += Lanes)
                {
                    var v = Vector512.Load(wv);
                    float* r = row + q * dw, u = r + below;
                    a0 = Vector512.FusedMultiplyAdd(Vector512.Create(r[0]), v, a0);
                    if (TW.Value > 1) a1 = Vector512.FusedMultiplyAdd(Vector512.Create(r[1]), v, a1);
                    if (TW.Value > 2) a2 = Vector512.FusedMultiplyAdd(Vector512.Create(r[2]), v, a2);
                    if (TW.Value > 3) a3 = Vector512.FusedMultiplyAdd(Vector512.Create(r[3]), v, a3);
                    if (TW.Value > 4) a4 = Vector512.FusedMultiplyAdd(Vector512.Create(r[4]), v, a4);
                    if (TW.Value > 5) a5 = Vector512.FusedMultiplyAdd(Vector512.Create(r[5]), v, a5);
                    if (TW.Value > 6) a6 = Vector512.FusedMultiplyAdd(Vector512.Create(r[6]), v, a6);
                    if (TW.Value > 7) a7 = Vector512.FusedMultiplyAdd(Vector512.Create(r[7]), v, a7);
                    if (TW.Value > 8) a8 = Vector512.FusedMultiplyAdd(Vector512.Create(r[8]), v, a8);
                    if (TW.Value > 9) a9 = Vector512.FusedMultiplyAdd(Vector512.Create(r[9]), v, a9);
                    if (TW.Value > 10) a10 = Vector512.FusedMultiplyAdd(Vector512.Create(r[10]), v, a10);
                    if (TW.Value > 11) a11 = Vector512.FusedMultiplyAdd(Vector512.Create(r[11]), v, a11);
                    c0 = Vector512.FusedMultiplyAdd(Vector512.Create(u[0]), v, c0);
                    if (TW.Value > 1) c1 = Vector512.FusedMultiplyAdd(Vector512.Create(u[1]), v, c1);
                    if (TW.Value > 2) c2 = Vector512.FusedMultiplyAdd(Vector512.Create(u[2]), v, c2);
                    if (TW.Value > 3) c3 = Vector512.FusedMultiplyAdd(Vector512.Create(u[3]), v, c3);
                    if (TW.Value > 4) c4 = Vector512.FusedMultiplyAdd(Vector512.Create(u[4]), v, c4);
                    if (TW.Value > 5) c5 = Vector512.FusedMultiplyAdd(Vector512.Create(u[5]), v, c5);
                    if (TW.Value > 6) c6 = Vector512.FusedMultiplyAdd(Vector512.Create(u[6]), v, c6);
                    if (TW.Value > 7) c7 = Vector512.FusedMultiplyAdd(Vector512.Create(u[7]), v, c7);
                    if (TW.Value > 8) c8 = Vector512.FusedMultiplyAdd(Vector512.Create(u[8]), v, c8);
                    if (TW.Value > 9) c9 = Vector512.FusedMultiplyAdd(Vector512.Create(u[9]), v, c9);
                    if (TW.Value > 10) c10 = Vector512.FusedMultiplyAdd(Vector512.Create(u[10]), v, c10);
                    if (TW.Value > 11) c11 = Vector512.FusedMultiplyAdd(Vector512.Create(u[11]), v, c11);
                }
            }
        }
        bool second = i + 1 < s.OH;
        float* d = tile + (i * ow + j0) * Lanes;
        StorePair(a0, c0, d + 0 * Lanes, ow, second);
        if (TW.Value > 1) StorePair(a1, c1, d + 1 * Lanes, ow, second);
        if (TW.Value > 2) StorePair(a2, c2, d + 2 * Lanes, ow, second);
        if (TW.Value > 3) StorePair(a3, c3, d + 3 * Lanes, ow, second);
        if (TW.Value > 4) StorePair(a4, c4, d + 4 * Lanes, ow, second);
        if (TW.Value > 5) StorePair(a5, c5, d + 5 * Lanes, ow, second);
        if (TW.Value > 6) StorePair(a6, c6, d + 6 * Lanes, ow, second);
        if (TW.Value > 7) StorePair(a7, c7, d + 7 * Lanes, ow, second);
        if (TW.Value > 8) StorePair(a8, c8, d + 8 * Lanes, ow, second);
        if (TW.Value > 9) StorePair(a9, c9, d + 9 * Lanes, ow, second);
        if (TW.Value > 10) StorePair(a10, c10, d + 10 * Lanes, ow, second);
        if (TW.Value > 11) StorePair(a11, c11, d + 11 * Lanes, ow, second);
    }

    // Stores the accumulators of a position and of the one below it (when that row exists).
    private static void StorePair(Vector512<float> upper, Vector512<float> lower, float* d, int ow, bool second)
    {
        upper.Store(d);
        if (second) lower.Store(d + ow * Lanes);
    }

    // dw with the output channels in lanes. Each thread adds its (image, group) items into its own channels-last
    // accumulator (G, K, 16) with vector adds; the accumulators are summed and transposed into dw (O, K) at the end.
    private static void BackwardWeightLanes(float* x, float* dy, float* dw, in ConvShape s)
    {
        var shape = s;
        float* xp = x, dyp = dy;
        var sum = SumPerThread(s.N * s.Groups, s.Groups * s.K * Lanes, LanesScratch(s),
            (item, acc, scratch) => BackwardWeightLanesItem(item, xp, dyp, acc, scratch, shape));
        fixed (float* ps = sum)
        {
            for (int g = 0; g < s.Groups; g++)
            {
                for (int t0 = 0; t0 < s.K; t0 += Lanes)
                {
                    int taps = Math.Min(Lanes, s.K - t0);
                    Transpose16(ps + ((long)g * s.K + t0) * Lanes, Lanes, taps, Lanes, dw + (long)g * s.Og * s.K + t0,
                        s.K, s.Og, taps, null);
                }
            }
        }
        BufferPool<float>.Return(sum);
    }

    // Adds dY[n,g] ⋆ x[n,g] of one item to its group's channels-last rows dwl (K×16): dY is transposed to
    // channels-last (L×16), then every position adds broadcast inputs times its 16 channels to one accumulator per
    // tap in flight.
    private static void BackwardWeightLanesItem(int item, float* x, float* dy, float* acc, float[] scratch,
        in ConvShape s)
    {
        int n = item / s.Groups, g = item % s.Groups, og = s.Og, l = s.L;
        int hp = PaddedHeight(s), wp = PaddedWidth(s);
        fixed (float* scratchStart = scratch)
        {
            float* pad = scratchStart, tile = scratchStart + s.Cg * hp * wp;
            if (ReadsImageInPlace(s, false))
            {
                pad = x + (long)(n * s.C + g * s.Cg) * s.H * s.W;
                hp = s.H;
                wp = s.W;
            }
            else
            {
                PadImage(x, n, g, pad, s);
            }
            float* dyg = dy + (long)(n * s.O + g * og) * l;
            for (int f = 0; f < l; f += Lanes)
            {
                int width = Math.Min(Lanes, l - f);
                Transpose16(dyg + f, l, og, width, tile + f * Lanes, Lanes, width, Lanes, null);
            }
            float* dwl = acc + (long)g * s.K * Lanes;
            bool unit = s.DilationW == 1 && s.StrideW == 1 && s.KW <= 6;
            if (!Avx512F.IsSupported)
            {
                switch (unit ? s.KW : 0)
                {
                    case 0: WeightTaps256(pad, hp, wp, tile, dwl, s); break;
                    case 1: WeightRows256<Count1>(pad, hp, wp, tile, dwl, s); break;
                    case 2: WeightRows256<Count2>(pad, hp, wp, tile, dwl, s); break;
                    case 3: WeightRows256<Count3>(pad, hp, wp, tile, dwl, s); break;
                    case 4: WeightRows256<Count4>(pad, hp, wp, tile, dwl, s); break;
                    case 5: WeightRows256<Count5>(pad, hp, wp, tile, dwl, s); break;
                    default: WeightRows256<Count6>(pad, hp, wp, tile, dwl, s); break;
                }
            }
            else if (unit)
            {
                switch (s.KW)
                {
                    case 1: WeightRows<Count1>(pad, hp, wp, tile, dwl, s); break;
                    case 2: WeightRows<Count2>(pad, hp, wp, tile, dwl, s); break;
                    case 3: WeightRows<Count3>(pad, hp, wp, tile, dwl, s); break;
                    case 4: WeightRows<Count4>(pad, hp, wp, tile, dwl, s); break;
                    case 5: WeightRows<Count5>(pad, hp, wp, tile, dwl, s); break;
                    default: WeightRows<Count6>(pad, hp, wp, tile, dwl, s); break;
                }
            }
            else
            {
                WeightTaps(pad, hp, wp, tile, dwl, s);
            }
        }
    }

    // Kernel rows (c, p) four at a time, all TQ = KW taps of each (unit horizontal dilation): up to 24 accumulators,
    // each broadcast addressed from one of four row pointers plus the column index and a constant displacement.
    private static void WeightRows<TQ>(float* pad, int hp, int wp, float* tile, float* dwl, in ConvShape s)
        where TQ : struct, ICount
    {
        int rows = s.Cg * s.KH, kw = s.KW, ow = s.OW;
        for (int k0 = 0; k0 < rows; k0 += 4)
        {
            // Rows past the end repeat the last one and are not stored.
            float* p0 = pad + KernelRowOffset(k0, hp, wp, s);
            float* p1 = pad + KernelRowOffset(Math.Min(k0 + 1, rows - 1), hp, wp, s);
            float* p2 = pad + KernelRowOffset(Math.Min(k0 + 2, rows - 1), hp, wp, s);
            float* p3 = pad + KernelRowOffset(Math.Min(k0 + 3, rows - 1), hp, wp, s);
            var a00 = Vector512<float>.Zero;
            var a01 = a00;
            var a02 = a00;
            var a03 = a00;
            var a04 = a00;
            var a05 = a00;
            var a10 = a00;
            var a11 = a00;
            var a12 = a00;
            var a13 = a00;
            var a14 = a00;
            var a15 = a00;
            var a20 = a00;
            var a21 = a00;
            var a22 = a00;
            var a23 = a00;
            var a24 = a00;
            var a25 = a00;
            var a30 = a00;
            var a31 = a00;
            var a32 = a00;
            var a33 = a00;
            var a34 = a00;
            var a35 = a00;
            float* d = tile;
            for (int i = 0; i < s.OH; i++)
            {
                long below = (long)i * s.StrideH * wp;
                float* r0 = p0 + below, r1 = p1 + below, r2 = p2 + below, r3 = p3 + below;
                for (int j = 0; j < ow; j++, d += Lanes)
                {
                    var v = Vector512.Load(d);
                    a00 = Vector512.FusedMultiplyAdd(Vector512.Create(r0[j + 0]), v, a00);
                    if (TQ.Value > 1) a01 = Vector512.FusedMultiplyAdd(Vector512.Create(r0[j + 1]), v, a01);
                    if (TQ.Value > 2) a02 = Vector512.FusedMultiplyAdd(Vector512.Create(r0[j + 2]), v, a02);
                    if (TQ.Value > 3) a03 = Vector512.FusedMultiplyAdd(Vector512.Create(r0[j + 3]), v, a03);
                    if (TQ.Value > 4) a04 = Vector512.FusedMultiplyAdd(Vector512.Create(r0[j + 4]), v, a04);
                    if (TQ.Value > 5) a05 = Vector512.FusedMultiplyAdd(Vector512.Create(r0[j + 5]), v, a05);
                    a10 = Vector512.FusedMultiplyAdd(Vector512.Create(r1[j + 0]), v, a10);
                    if (TQ.Value > 1) a11 = Vector512.FusedMultiplyAdd(Vector512.Create(r1[j + 1]), v, a11);
                    if (TQ.Value > 2) a12 = Vector512.FusedMultiplyAdd(Vector512.Create(r1[j + 2]), v, a12);
                    if (TQ.Value > 3) a13 = Vector512.FusedMultiplyAdd(Vector512.Create(r1[j + 3]), v, a13);
                    if (TQ.Value > 4) a14 = Vector512.FusedMultiplyAdd(Vector512.Create(r1[j + 4]), v, a14);
                    if (TQ.Value > 5) a15 = Vector512.FusedMultiplyAdd(Vector512.Create(r1[j + 5]), v, a15);
                    a20 = Vector512.FusedMultiplyAdd(Vector512.Create(r2[j + 0]), v, a20);
                    if (TQ.Value > 1) a21 = Vector512.FusedMultiplyAdd(Vector512.Create(r2[j + 1]), v, a21);
                    if (TQ.Value > 2) a22 = Vector512.FusedMultiplyAdd(Vector512.Create(r2[j + 2]), v, a22);
                    if (TQ.Value > 3) a23 = Vector512.FusedMultiplyAdd(Vector512.Create(r2[j + 3]), v, a23);
                    if (TQ.Value > 4) a24 = Vector512.FusedMultiplyAdd(Vector512.Create(r2[j + 4]), v, a24);
                    if (TQ.Value > 5) a25 = Vector512.FusedMultiplyAdd(Vector512.Create(r2[j + 5]), v, a25);
                    a30 = Vector512.FusedMultiplyAdd(Vector512.Create(r3[j + 0]), v, a30);
                    if (TQ.Value > 1) a31 = Vector512.FusedMultiplyAdd(Vector512.Create(r3[j + 1]), v, a31);
                    if (TQ.Value > 2) a32 = Vector512.FusedMultiplyAdd(Vector512.Create(r3[j + 2]), v, a32);
                    if (TQ.Value > 3) a33 = Vector512.FusedMultiplyAdd(Vector512.Create(r3[j + 3]), v, a33);
                    if (TQ.Value > 4) a34 = Vector512.FusedMultiplyAdd(Vector512.Create(r3[j + 4]), v, a34);
                    if (TQ.Value > 5) a35 = Vector512.FusedMultiplyAdd(Vector512.Create(r3[j + 5]), v, a35);
                }
            }
            AddRow<TQ>(a00, a01, a02, a03, a04, a05, dwl + (k0 + 0) * kw * Lanes);
            if (k0 + 1 < rows) AddRow<TQ>(a10, a11, a12, a13, a14, a15, dwl + (k0 + 1) * kw * Lanes);
            if (k0 + 2 < rows) AddRow<TQ>(a20, a21, a22, a23, a24, a25, dwl + (k0 + 2) * kw * Lanes);
            if (k0 + 3 < rows) AddRow<TQ>(a30, a31, a32, a33, a34, a35, dwl + (k0 + 3) * kw * Lanes);
        }
    }

    // Offset in the padded image of kernel row kr = (c, p) relative to a window's origin.
    private static int KernelRowOffset(int kr, int hp, int wp, in ConvShape s)
    {
        int c = kr / s.KH, p = kr - c * s.KH;
        return (c * hp + p * s.DilationH) * wp;
    }

    private static void AddRow<TQ>(Vector512<float> t0, Vector512<float> t1, Vector512<float> t2, Vector512<float> t3,
        Vector512<float> t4, Vector512<float> t5, float* d)
        where TQ : struct, ICount
    {
        Accumulate(t0, d + 0 * Lanes);
        if (TQ.Value > 1) Accumulate(t1, d + 1 * Lanes);
        if (TQ.Value > 2) Accumulate(t2, d + 2 * Lanes);
        if (TQ.Value > 3) Accumulate(t3, d + 3 * Lanes);
        if (TQ.Value > 4) Accumulate(t4, d + 4 * Lanes);
        if (TQ.Value > 5) Accumulate(t5, d + 5 * Lanes);
    }

    private static void Accumulate(Vector512<float> acc, float* d) => (Vector512.Load(d) + acc).Store(d);

    // Any other geometry: 8 taps at a time, their offsets in registers.
    private static void WeightTaps(float* pad, int hp, int wp, float* tile, float* dwl, in ConvShape s)
    {
        int k = s.K, khw = s.KH * s.KW;
        for (int t0 = 0; t0 < k; t0 += 8)
        {
            int last = k - 1;
            int o0 = TapOffset(t0, khw, hp, wp, s), o1 = TapOffset(Math.Min(t0 + 1, last), khw, hp, wp, s);
            int o2 = TapOffset(Math.Min(t0 + 2, last), khw, hp, wp, s);
            int o3 = TapOffset(Math.Min(t0 + 3, last), khw, hp, wp, s);
            int o4 = TapOffset(Math.Min(t0 + 4, last), khw, hp, wp, s);
            int o5 = TapOffset(Math.Min(t0 + 5, last), khw, hp, wp, s);
            int o6 = TapOffset(Math.Min(t0 + 6, last), khw, hp, wp, s);
            int o7 = TapOffset(Math.Min(t0 + 7, last), khw, hp, wp, s);
            var a0 = Vector512<float>.Zero;
            var a1 = a0;
            var a2 = a0;
            var a3 = a0;
            var a4 = a0;
            var a5 = a0;
            var a6 = a0;
            var a7 = a0;
            float* d = tile;
            for (int i = 0; i < s.OH; i++)
            {
                float* r = pad + i * s.StrideH * wp;
                for (int j = 0; j < s.OW; j++, r += s.StrideW, d += Lanes)
                {
                    var v = Vector512.Load(d);
                    a0 = Vector512.FusedMultiplyAdd(Vector512.Create(r[o0]), v, a0);
                    a1 = Vector512.FusedMultiplyAdd(Vector512.Create(r[o1]), v, a1);
                    a2 = Vector512.FusedMultiplyAdd(Vector512.Create(r[o2]), v, a2);
                    a3 = Vector512.FusedMultiplyAdd(Vector512.Create(r[o3]), v, a3);
                    a4 = Vector512.FusedMultiplyAdd(Vector512.Create(r[o4]), v, a4);
                    a5 = Vector512.FusedMultiplyAdd(Vector512.Create(r[o5]), v, a5);
                    a6 = Vector512.FusedMultiplyAdd(Vector512.Create(r[o6]), v, a6);
                    a7 = Vector512.FusedMultiplyAdd(Vector512.Create(r[o7]), v, a7);
                }
            }
            int taps = Math.Min(8, k - t0);
            float* dt = dwl + t0 * Lanes;
            Accumulate(a0, dt);
            if (taps > 1) Accumulate(a1, dt + Lanes);
            if (taps > 2) Accumulate(a2, dt + 2 * Lanes);
            if (taps > 3) Accumulate(a3, dt + 3 * Lanes);
            if (taps > 4) Accumulate(a4, dt + 4 * Lanes);
            if (taps > 5) Accumulate(a5, dt + 5 * Lanes);
            if (taps > 6) Accumulate(a6, dt + 6 * Lanes);
            if (taps > 7) Accumulate(a7, dt + 7 * Lanes);
        }
    }

    // Offset in the padded image of weight tap t = (c, p, q) relative to a window's origin.
    private static int TapOffset(int t, int khw, int hp, int wp, in ConvShape s)
    {
        int c = t / khw, pq = t - c * khw, p = pq / s.KW, q = pq - p * s.KW;
        return (c * hp + p * s.DilationH) * wp + q * s.DilationW;
    }

    // Padded image: Cg rows of PaddedHeight × PaddedWidth; then the weights of the group, 8 per tap.
    private static int PaddedWidth(in ConvShape s) =>
        (s.OW + DirectBlock - 1) / DirectBlock * DirectBlock + (s.KW - 1) * s.DilationW;

    private static int PaddedHeight(in ConvShape s) => (s.OH - 1) * s.StrideH + (s.KH - 1) * s.DilationH + 1;

    private static int DirectScratch(in ConvShape s) =>
        s.Cg * PaddedHeight(s) * PaddedWidth(s) + s.K * DirectBlock;

    private static void ForwardDirect(int item, float* x, float* w, float* bias, float* y, float[] scratch,
        in ConvShape s)
    {
        int n = item / s.Groups, g = item % s.Groups, og = s.Og;
        int hp = PaddedHeight(s), wp = PaddedWidth(s);
        fixed (float* pad = scratch)
        {
            PadImage(x, n, g, pad, s);
            // Weights transposed to tap-major blocks of 8 (missing output channels read 0).
            float* wt = pad + s.Cg * hp * wp;
            for (int ob = 0; ob < og; ob += DirectBlock)
            {
                ForwardDirectBlock(pad, wt, w, bias, y, n, g, ob, Math.Min(DirectBlock, og - ob), s);
            }
        }
    }

    // Output channels ob .. ob+mo-1 of group g of image n from the padded image; wt is scratch for K·8 weights.
    private static void ForwardDirectBlock(float* pad, float* wt, float* w, float* bias, float* y, int n, int g,
        int ob, int mo, in ConvShape s)
    {
        int og = s.Og, k = s.K, hp = PaddedHeight(s), wp = PaddedWidth(s), dh = s.DilationH, dw = s.DilationW;
        {
            new Span<float>(wt, k * DirectBlock).Clear();
            for (int o = 0; o < mo; o++)
            {
                float* src = w + (long)(g * og + ob + o) * k;
                for (int t = 0; t < k; t++) wt[t * DirectBlock + o] = src[t];
            }
            float* outBase = y + (long)(n * s.O + g * og + ob) * s.L;
            for (int i = 0; i < s.OH; i++)
            {
                for (int jb = 0; jb < s.OW; jb += DirectBlock)
                {
                    var a0 = Vector256<float>.Zero;
                    var a1 = a0;
                    var a2 = a0;
                    var a3 = a0;
                    var a4 = a0;
                    var a5 = a0;
                    var a6 = a0;
                    var a7 = a0;
                    float* wv = wt;
                    for (int c = 0; c < s.Cg; c++)
                    {
                        for (int p = 0; p < s.KH; p++)
                        {
                            float* row = pad + (c * hp + i * s.StrideH + p * dh) * wp + jb;
                            for (int q = 0; q < s.KW; q++, wv += DirectBlock)
                            {
                                var b = Vector256.Load(row + q * dw);
                                a0 = Vector256.FusedMultiplyAdd(Vector256.Create(wv[0]), b, a0);
                                a1 = Vector256.FusedMultiplyAdd(Vector256.Create(wv[1]), b, a1);
                                a2 = Vector256.FusedMultiplyAdd(Vector256.Create(wv[2]), b, a2);
                                a3 = Vector256.FusedMultiplyAdd(Vector256.Create(wv[3]), b, a3);
                                a4 = Vector256.FusedMultiplyAdd(Vector256.Create(wv[4]), b, a4);
                                a5 = Vector256.FusedMultiplyAdd(Vector256.Create(wv[5]), b, a5);
                                a6 = Vector256.FusedMultiplyAdd(Vector256.Create(wv[6]), b, a6);
                                a7 = Vector256.FusedMultiplyAdd(Vector256.Create(wv[7]), b, a7);
                            }
                        }
                    }
                    int width = Math.Min(DirectBlock, s.OW - jb);
                    float* dst = outBase + i * s.OW + jb;
                    int gb = g * og + ob;
                    StoreRow(a0, dst, width, bias, gb);
                    if (mo > 1) StoreRow(a1, dst + s.L, width, bias, gb + 1);
                    if (mo > 2) StoreRow(a2, dst + 2 * s.L, width, bias, gb + 2);
                    if (mo > 3) StoreRow(a3, dst + 3 * s.L, width, bias, gb + 3);
                    if (mo > 4) StoreRow(a4, dst + 4 * s.L, width, bias, gb + 4);
                    if (mo > 5) StoreRow(a5, dst + 5 * s.L, width, bias, gb + 5);
                    if (mo > 6) StoreRow(a6, dst + 6 * s.L, width, bias, gb + 6);
                    if (mo > 7) StoreRow(a7, dst + 7 * s.L, width, bias, gb + 7);
                }
            }
        }
    }

    private static int RoundUp(int width) => (width + DirectBlock - 1) / DirectBlock * DirectBlock;

    // Copies the group's channels of image n into pad (Cg × PaddedHeight × PaddedWidth), zeros around them.
    private static void PadImage(float* x, int n, int g, float* pad, in ConvShape s) =>
        PadImage(x, n, g, pad, PaddedHeight(s), PaddedWidth(s), s);

    // The same into rows of width wp (at least PadLeft + the columns read), hp rows per channel.
    private static void PadImage(float* x, int n, int g, float* pad, int hp, int wp, in ConvShape s)
    {
        // Every float written once: padding rows and columns zeroed, image rows copied between them.
        float* image = x + (long)(n * s.C + g * s.Cg) * s.H * s.W;
        int left = Math.Min(s.PadLeft, wp), count = Math.Max(0, Math.Min(s.W, wp - left));
        for (int c = 0; c < s.Cg; c++)
        {
            for (int r = 0; r < hp; r++)
            {
                float* d = pad + (c * hp + r) * wp;
                int h = r - s.PadTop;
                if ((uint)h >= (uint)s.H || count == 0)
                {
                    ZeroRow(d, wp);
                    continue;
                }
                if (Avx512F.IsSupported)
                {
                    PadRow(image + (c * s.H + h) * s.W, d, left, count, wp);
                    continue;
                }
                ZeroRow(d, left);
                CopyRow(image + (c * s.H + h) * s.W, d + left, count);
                ZeroRow(d + left + count, wp - left - count);
            }
        }
    }

    // With AVX-512: the whole row zeroed, then the count image values stored over it at left, both in 16-lane
    // (masked at the ends) stores.
    private static void PadRow(float* src, float* d, int left, int count, int wp)
    {
        var idx = Vector512<int>.Indices;
        int k = 0;
        for (; k + Lanes <= wp; k += Lanes) Vector512<float>.Zero.Store(d + k);
        if (k < wp) Avx512F.MaskStore(d + k, Vector512.LessThan(idx, Vector512.Create(wp - k)).AsSingle(), default);
        for (k = 0; k < count; k += Lanes)
        {
            var mask = Vector512.LessThan(idx, Vector512.Create(count - k)).AsSingle();
            Avx512F.MaskStore(d + left + k, mask, Avx512F.MaskLoad(src + k, mask, Vector512<float>.Zero));
        }
    }

    private static void CopyRow(float* src, float* dst, int count)
    {
        int k = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; k + 16 <= count; k += 16) Vector512.Load(src + k).Store(dst + k);
        }
        if (Vector256.IsHardwareAccelerated)
        {
            for (; k + 8 <= count; k += 8) Vector256.Load(src + k).Store(dst + k);
        }
        for (; k < count; k++) dst[k] = src[k];
    }

    private static void ZeroRow(float* dst, int count)
    {
        int k = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; k + 16 <= count; k += 16) Vector512<float>.Zero.Store(dst + k);
        }
        if (Vector256.IsHardwareAccelerated)
        {
            for (; k + 8 <= count; k += 8) Vector256<float>.Zero.Store(dst + k);
        }
        for (; k < count; k++) dst[k] = 0f;
    }

    // dw[g] += dY[n,g] ⋆ x[n,g] without an unfolding: for each tap, the output-gradient rows of up to 8 channels
    // (copied with zeroed tails to whole blocks of 8) times the shifted rows of the padded image.
    private static void BackwardWeightDirect(int item, float* x, float* dy, float* dw, float[] scratch,
        in ConvShape s)
    {
        int n = item / s.Groups, g = item % s.Groups, og = s.Og, k = s.K, ow8 = RoundUp(s.OW);
        int hp = PaddedHeight(s), wp = PaddedWidth(s);
        fixed (float* pad = scratch)
        {
            PadImage(x, n, g, pad, s);
            float* grad = pad + s.Cg * hp * wp + k * DirectBlock;
            new Span<float>(grad, og * s.OH * ow8).Clear();
            float* dyg = dy + (long)(n * s.O + g * og) * s.L;
            for (int o = 0; o < og; o++)
            {
                for (int i = 0; i < s.OH; i++)
                {
                    new ReadOnlySpan<float>(dyg + o * s.L + i * s.OW, s.OW)
                        .CopyTo(new Span<float>(grad + (o * s.OH + i) * ow8, s.OW));
                }
            }
            for (int ob = 0; ob < og; ob += DirectBlock)
            {
                WeightDirectBlock(pad, grad + ob * s.OH * ow8, dw + (long)(g * og + ob) * k,
                    Math.Min(DirectBlock, og - ob), s);
            }
        }
    }

    // dw rows of mo output channels (their padded gradient planes at grad) against the padded image.
    private static void WeightDirectBlock(float* pad, float* grad, float* dwg, int mo, in ConvShape s)
    {
        int k = s.K, ow8 = RoundUp(s.OW), hp = PaddedHeight(s), wp = PaddedWidth(s), plane = s.OH * ow8;
        {
            int t = 0;
            for (int c = 0; c < s.Cg; c++)
            {
                for (int p = 0; p < s.KH; p++)
                {
                    for (int q = 0; q < s.KW; q++, t++)
                    {
                        var a0 = Vector256<float>.Zero;
                        var a1 = a0;
                        var a2 = a0;
                        var a3 = a0;
                        var a4 = a0;
                        var a5 = a0;
                        var a6 = a0;
                        var a7 = a0;
                        for (int i = 0; i < s.OH; i++)
                        {
                            float* row = pad + (c * hp + i * s.StrideH + p * s.DilationH) * wp + q * s.DilationW;
                            float* d = grad + i * ow8;
                            for (int jb = 0; jb < ow8; jb += DirectBlock, d += DirectBlock)
                            {
                                var b = Vector256.Load(row + jb);
                                a0 = Vector256.FusedMultiplyAdd(Vector256.Load(d), b, a0);
                                if (mo > 1) a1 = Vector256.FusedMultiplyAdd(Vector256.Load(d + plane), b, a1);
                                if (mo > 2) a2 = Vector256.FusedMultiplyAdd(Vector256.Load(d + 2 * plane), b, a2);
                                if (mo > 3) a3 = Vector256.FusedMultiplyAdd(Vector256.Load(d + 3 * plane), b, a3);
                                if (mo > 4) a4 = Vector256.FusedMultiplyAdd(Vector256.Load(d + 4 * plane), b, a4);
                                if (mo > 5) a5 = Vector256.FusedMultiplyAdd(Vector256.Load(d + 5 * plane), b, a5);
                                if (mo > 6) a6 = Vector256.FusedMultiplyAdd(Vector256.Load(d + 6 * plane), b, a6);
                                if (mo > 7) a7 = Vector256.FusedMultiplyAdd(Vector256.Load(d + 7 * plane), b, a7);
                            }
                        }
                        dwg[t] += Vector256.Sum(a0);
                        if (mo > 1) dwg[k + t] += Vector256.Sum(a1);
                        if (mo > 2) dwg[2 * k + t] += Vector256.Sum(a2);
                        if (mo > 3) dwg[3 * k + t] += Vector256.Sum(a3);
                        if (mo > 4) dwg[4 * k + t] += Vector256.Sum(a4);
                        if (mo > 5) dwg[5 * k + t] += Vector256.Sum(a5);
                        if (mo > 6) dwg[6 * k + t] += Vector256.Sum(a6);
                        if (mo > 7) dwg[7 * k + t] += Vector256.Sum(a7);
                    }
                }
            }
        }
    }

    // Writes the first `width` lanes of acc (+ bias[channel] when there is a bias) to dst.
    private static void StoreRow(Vector256<float> acc, float* dst, int width, float* bias, int channel)
    {
        if (bias is not null) acc += Vector256.Create(bias[channel]);
        if (width == DirectBlock)
        {
            acc.Store(dst);
            return;
        }
        for (int j = 0; j < width; j++) dst[j] = acc.GetElement(j);
    }

    private static void ForwardItem(int item, float* x, float* w, float* bias, float* y, float[]? colArray,
        in ConvShape s, int threads)
    {
        int n = item / s.Groups, g = item % s.Groups, k = s.K, l = s.L, og = s.Og;
        var xg = new ReadOnlySpan<float>(x + (long)(n * s.C + g * s.Cg) * s.H * s.W, s.Cg * s.H * s.W);
        ReadOnlySpan<float> col = xg;
        if (colArray is not null)
        {
            Im2Col(xg, colArray.AsSpan(0, k * l), s);
            col = colArray.AsSpan(0, k * l);
        }
        var yg = new Span<float>(y + (long)(n * s.O + g * og) * l, og * l);
        if (bias is not null)
        {
            for (int o = 0; o < og; o++) yg.Slice(o * l, l).Fill(bias[g * og + o]);
        }
        Gemm.Sgemm(false, false, og, l, k, 1f, new ReadOnlySpan<float>(w + (long)g * og * k, og * k), k, col, l,
            bias is null ? 0f : 1f, yg, l, PackedSgemm.BestPath, threads);
    }

    private static void BackwardInputItem(int item, float* dy, float* w, float* dx, float[]? colArray,
        in ConvShape s, int threads)
    {
        int n = item / s.Groups, g = item % s.Groups, k = s.K, l = s.L, og = s.Og, plane = s.Cg * s.H * s.W;
        var dxg = new Span<float>(dx + (long)(n * s.C + g * s.Cg) * s.H * s.W, plane);
        var col = colArray is null ? dxg : colArray.AsSpan(0, k * l);
        Gemm.Sgemm(true, false, k, l, og, 1f, new ReadOnlySpan<float>(w + (long)g * og * k, og * k), k,
            new ReadOnlySpan<float>(dy + (long)(n * s.O + g * og) * l, og * l), l, 0f, col, l,
            PackedSgemm.BestPath, threads);
        if (colArray is not null) Col2Im(col, dxg, s);
    }

    private static void BackwardWeightItem(int item, float* x, float* dy, float* dw, float[]? colArray,
        in ConvShape s, int threads)
    {
        int n = item / s.Groups, g = item % s.Groups, k = s.K, l = s.L, og = s.Og;
        var xg = new ReadOnlySpan<float>(x + (long)(n * s.C + g * s.Cg) * s.H * s.W, s.Cg * s.H * s.W);
        ReadOnlySpan<float> col = xg;
        if (colArray is not null)
        {
            Im2Col(xg, colArray.AsSpan(0, k * l), s);
            col = colArray.AsSpan(0, k * l);
        }
        Gemm.Sgemm(false, true, og, k, l, 1f, new ReadOnlySpan<float>(dy + (long)(n * s.O + g * og) * l, og * l), l,
            col, l, 1f, new Span<float>(dw + (long)g * og * k, og * k), k, PackedSgemm.BestPath, threads);
    }

    // Buffer extents against the shape, so that the pointer arithmetic above stays inside the spans.
    private static void Check(string op, int inputLength, int weightLength, int outputLength, in ConvShape s,
        int biasLength)
    {
        long input = (long)s.N * s.C * s.H * s.W, weight = (long)s.O * s.K, output = (long)s.N * s.O * s.L;
        if (inputLength < input || weightLength < weight || outputLength < output ||
            (biasLength != 0 && biasLength < s.O))
            throw new ArgumentException($"{op}: buffers of {inputLength} (input), {weightLength} (weight), " +
                $"{outputLength} (output) and {biasLength} (bias) elements are too small for {s}");
    }

    /// <summary>Unfolds one group of one image, (Cg, H, W), into col (K×L); positions in the padding read 0.</summary>
    public static void Im2Col(ReadOnlySpan<float> x, Span<float> col, in ConvShape s) => Im2Col(x, col, s.L, s);

    // Im2Col with the rows of col ld floats apart (the unfolding of one image among others side by side).
    private static void Im2Col(ReadOnlySpan<float> x, Span<float> col, int ld, in ConvShape s)
    {
        int row = 0;
        for (int c = 0; c < s.Cg; c++)
        {
            for (int p = 0; p < s.KH; p++)
            {
                for (int q = 0; q < s.KW; q++, row++)
                {
                    var dst = col.Slice(row * ld, s.L);
                    int v0 = q * s.DilationW - s.PadLeft;
                    var (jlo, jhi) = Inside(v0, s.StrideW, s.W, s.OW);
                    for (int i = 0; i < s.OH; i++)
                    {
                        var d = dst.Slice(i * s.OW, s.OW);
                        int h = i * s.StrideH - s.PadTop + p * s.DilationH;
                        if ((uint)h >= (uint)s.H || jlo >= jhi)
                        {
                            d.Clear();
                            continue;
                        }
                        var src = x.Slice((c * s.H + h) * s.W, s.W);
                        d[..jlo].Clear();
                        d[jhi..].Clear();
                        if (s.StrideW == 1)
                        {
                            src.Slice(v0 + jlo, jhi - jlo).CopyTo(d[jlo..jhi]);
                        }
                        else
                        {
                            fixed (float* ps = src, pd = d)
                                CopyStrided(ps, v0 + jlo * s.StrideW, s.StrideW, pd + jlo, jhi - jlo);
                        }
                    }
                }
            }
        }
    }

    // dst[k] = row[v + stride·k] for k in [0, count), all of them inside the row (im2col's columns, the depthwise
    // phases): stride 2 through AVX-512 lane permutes (AVX2 shuffles without AVX-512), other strides through AVX2
    // gathers of 8 (AlexNet's stride-4 first layer spent half its forward unfolding columns one float at a time).
    private static void CopyStrided(float* row, int v, int stride, float* dst, int count)
    {
        if (stride == 2 && Avx512F.IsSupported)
        {
            CopyEvenLanes(row, v, dst, count);
            return;
        }
        int k = 0;
        if (stride == 2 && Avx2.IsSupported)
        {
            // The even lanes of 16 consecutive floats: a shuffle picks them per 128-bit half, a permute orders the
            // halves (strictly below count, as the 16 floats of a block read one past its last even element).
            for (; k + 8 < count; k += 8)
            {
                float* w = row + v + 2 * k;
                var even = Avx.Shuffle(Vector256.Load(w), Vector256.Load(w + 8), 0x88);
                Vector256.Store(Avx2.Permute4x64(even.AsDouble(), 0xD8).AsSingle(), dst + k);
            }
        }
        else if (Avx2.IsSupported)
        {
            var index = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7) * stride;
            for (; k + 8 <= count; k += 8)
                Vector256.Store(Avx2.GatherVector256(row + v + (long)stride * k, index, 4), dst + k);
        }
        for (; k < count; k++) dst[k] = row[v + (long)stride * k];
    }

    // CopyStrided for stride 2 with AVX-512: the even lanes of 32 consecutive floats, and the last 16 from the odd
    // lanes of the 32 floats that end at the last one read.
    private static void CopyEvenLanes(float* row, int v, float* dst, int count)
    {
        int k = 0;
        var even = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        // Strictly below count: the 32 floats of a block read one past its last even element.
        for (; k + 16 < count; k += 16)
        {
            float* w = row + v + 2 * k;
            Vector512.Store(Avx512F.PermuteVar16x32x2(Vector512.Load(w), even, Vector512.Load(w + 16)), dst + k);
        }
        if (k < count && count > 16)
        {
            // Elements v + 2·count - 33 … v + 2·count - 2: all inside the row, the odd lanes are the last 16.
            float* w = row + v + 2 * count - 33;
            var odd = even + Vector512<int>.One;
            Vector512.Store(Avx512F.PermuteVar16x32x2(Vector512.Load(w), odd, Vector512.Load(w + 16)),
                dst + count - 16);
            return;
        }
        for (; k < count; k++) dst[k] = row[v + 2 * k];
    }

    // row[v + 2k] += src[k] for k in [0, count): with AVX-512, 16 values spread over the even lanes of 32 (zeros in
    // the odd ones) and added to 32 consecutive floats while those stay inside the row of rowLength floats; with
    // AVX2, 8 values over 16 the same way (unpacked with zeros, then the 128-bit halves put in order).
    private static void AddStride2(float* row, int v, float* src, int count, int rowLength)
    {
        int k = 0;
        if (Avx2.IsSupported && !Avx512F.IsSupported)
        {
            for (; k + 8 <= count && v + 2 * k + 16 <= rowLength; k += 8)
            {
                var x = Vector256.Load(src + k);
                var low = Avx.UnpackLow(x, Vector256<float>.Zero);
                var high = Avx.UnpackHigh(x, Vector256<float>.Zero);
                float* w = row + v + 2 * k;
                Vector256.Store(Vector256.Load(w) + Avx.Permute2x128(low, high, 0x20), w);
                Vector256.Store(Vector256.Load(w + 8) + Avx.Permute2x128(low, high, 0x31), w + 8);
            }
        }
        if (Avx512F.IsSupported)
        {
            var low = Vector512.Create(0, 16, 1, 16, 2, 16, 3, 16, 4, 16, 5, 16, 6, 16, 7, 16);
            var high = Vector512.Create(8, 16, 9, 16, 10, 16, 11, 16, 12, 16, 13, 16, 14, 16, 15, 16);
            for (; k + 16 <= count && v + 2 * k + 32 <= rowLength; k += 16)
            {
                var x = Vector512.Load(src + k);
                float* w = row + v + 2 * k;
                Vector512.Store(Vector512.Load(w) + Avx512F.PermuteVar16x32x2(x, low, Vector512<float>.Zero), w);
                Vector512.Store(Vector512.Load(w + 16) + Avx512F.PermuteVar16x32x2(x, high, Vector512<float>.Zero),
                    w + 16);
            }
        }
        for (; k < count; k++) row[v + 2 * k] += src[k];
    }

    /// <summary>The adjoint of <see cref="Im2Col"/>: adds every column entry back onto the input position it was
    /// read from. Overwrites dx (one group of one image).</summary>
    public static void Col2Im(ReadOnlySpan<float> col, Span<float> dx, in ConvShape s)
    {
        fixed (float* pc = col, pd = dx) Col2ImImages(pc, s.L, pd, 0, 1, 0, 0, s.Cg, s);
    }

    // The output columns j in [lo, hi) whose input column v0 + j·stride lies inside [0, width).
    private static (int Lo, int Hi) Inside(int v0, int stride, int width, int outWidth)
    {
        int lo = v0 >= 0 ? 0 : (-v0 + stride - 1) / stride;
        int hi = v0 >= width ? 0 : Math.Min(outWidth, (width - 1 - v0) / stride + 1);
        return (Math.Min(lo, outWidth), hi);
    }
}
