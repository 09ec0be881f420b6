using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dendrite.Kernels;

/// <summary>
/// Depthwise convolutions (one input and one output channel per group) with a column stride above 1, such as
/// MobileNet's stride-2 layers. The general paths run one tiny product per channel there; these kernels work one
/// channel plane at a time instead. The zero-padded plane is split into its StrideW column phases: phase φ holds
/// padded columns φ, φ + sw, φ + 2·sw, …, so the tap (p, q) of output row i reads row i·sh + p·dh of phase
/// (q·dw) mod sw from column (q·dw) / sw on, OW consecutive floats. The forward sums all taps of 32 outputs in two
/// registers; the input gradient builds each phase row in registers as the sum of the dY rows its taps read from,
/// shifted and scaled (then gathers the phases back into the plane); the weight gradient accumulates per tap the
/// products of dY rows with those phase rows. Each phase row has slack past its last column, so the vector loops run
/// whole vectors over the padded width, and the next plane is prefetched while one is computed.
/// </summary>
internal static unsafe partial class Conv
{
    // Padded rows that any tap reads: (OH - 1)·sh + (KH - 1)·dh + 1.
    private static int DwRows(in ConvShape s) => PaddedHeight(s);

    // Output width rounded up to whole 16-float vectors: what the row loops compute.
    private static int DwSpan(in ConvShape s) => (s.OW + 15) / 16 * 16;

    // Floats per phase row: the widest start column of a tap plus a whole vector span, and a line of slack.
    private static int DwPhaseWidth(in ConvShape s) =>
        ((s.KW - 1) * s.DilationW / s.StrideW + DwSpan(s) + 16 + 15) / 16 * 16;

    private static int DwPhases(in ConvShape s) => s.StrideW * DwRows(s) * DwPhaseWidth(s);

    // One channel plane of x (H × W) → its column phases. Only the phase columns inside the image are written:
    // the caller zeroes the phases once, and the padding (rows and columns outside the image) stays zero from one
    // plane to the next.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DwSplit(float* x, float* phases, in ConvShape s)
    {
        int sw = s.StrideW, rows = DwRows(s), width = DwPhaseWidth(s);
        if (sw == 2 && Avx2.IsSupported)
        {
            SplitTwoPhases(x, phases, s);
            return;
        }
        for (int phase = 0; phase < sw; phase++)
        {
            var (first, lo, hi) = DwColumns(phase, s);
            for (int r = Math.Max(0, s.PadTop); r < Math.Min(rows, s.H + s.PadTop); r++)
            {
                float* dst = phases + ((long)phase * rows + r) * width;
                // Phase column m holds input column first + m·sw, inside the image for m in [lo, hi).
                CopyStrided(x + (long)(r - s.PadTop) * s.W, first + lo * sw, sw, dst + lo, hi - lo);
            }
        }
    }

    // DwSplit for column stride 2, both phases from one pass over each image row: input column c is phase
    // (c + PadLeft) mod 2, column (c + PadLeft) / 2, so the even columns of a row go to one phase and the odd ones
    // to the other, each at a fixed offset (GatherTwoPhases undone). 32 (AVX-512) or 16 (AVX2) input columns at a
    // time while both phase rows have room, the rest one by one.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SplitTwoPhases(float* x, float* phases, in ConvShape s)
    {
        int rows = DwRows(s), width = DwPhaseWidth(s), pl = s.PadLeft;
        int phaseEven = pl & 1, offEven = pl >> 1, phaseOdd = (pl + 1) & 1, offOdd = (pl + 1) >> 1;
        int room = width - Math.Max(offEven, offOdd);
        bool wide = Avx512F.IsSupported;
        int step = wide ? 16 : 8;
        for (int h = 0; h < s.H && h + s.PadTop < rows; h++)
        {
            int r = h + s.PadTop;
            if (r < 0) continue;
            float* src = x + (long)h * s.W;
            float* even = phases + ((long)phaseEven * rows + r) * width + offEven;
            float* odd = phases + ((long)phaseOdd * rows + r) * width + offOdd;
            // Whole windows, the last one moved back to end at the last column it may reach (rewriting a few
            // phase columns with the same values).
            int kMax = Math.Min((s.W - 2 * step) >> 1, room - step), done = 0;
            for (int k0 = 0; kMax >= 0; k0 += step)
            {
                int k = Math.Min(k0, kMax);
                done = 2 * k + 2 * step;
                if (wide)
                {
                    var a = Vector512.Load(src + 2 * k);
                    var b = Vector512.Load(src + 2 * k + 16);
                    var evens = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
                    Vector512.Store(Avx512F.PermuteVar16x32x2(a, evens, b), even + k);
                    Vector512.Store(Avx512F.PermuteVar16x32x2(a, evens + Vector512<int>.One, b), odd + k);
                }
                else
                {
                    var a = Vector256.Load(src + 2 * k);
                    var b = Vector256.Load(src + 2 * k + 8);
                    Vector256.Store(Avx2.Permute4x64(Avx.Shuffle(a, b, 0x88).AsDouble(), 0xD8).AsSingle(), even + k);
                    Vector256.Store(Avx2.Permute4x64(Avx.Shuffle(a, b, 0xDD).AsDouble(), 0xD8).AsSingle(), odd + k);
                }
                if (k == kMax) break;
            }
            for (int c = done; c < s.W; c++)
            {
                int m = (c + pl) >> 1;
                if (m < width) phases[((long)((c + pl) & 1) * rows + r) * width + m] = src[c];
            }
        }
    }

    // For column phase `phase`: the input column of phase column 0 (PadLeft columns to the left of the image are
    // negative), and the phase columns [lo, hi) that fall inside the image and the phase row.
    private static (int First, int Lo, int Hi) DwColumns(int phase, in ConvShape s)
    {
        int sw = s.StrideW, width = DwPhaseWidth(s), first = phase - s.PadLeft;
        int lo = first >= 0 ? 0 : (-first + sw - 1) / sw;
        int hi = first >= s.W ? 0 : Math.Min(width, (s.W - 1 - first) / sw + 1);
        lo = Math.Min(lo, width);
        return (first, lo, Math.Max(lo, hi));
    }

    // Where tap t = p·KW + q reads in the phases, relative to the start of phase 0's row i·sh for output row i.
    private static void DwTapOffsets(Span<int> tap, in ConvShape s)
    {
        int sw = s.StrideW, rows = DwRows(s), width = DwPhaseWidth(s);
        for (int p = 0; p < s.KH; p++)
        {
            for (int q = 0; q < s.KW; q++)
            {
                int off = q * s.DilationW;
                tap[p * s.KW + q] = ((off % sw) * rows + p * s.DilationH) * width + off / sw;
            }
        }
    }

    // Asks for `count` floats from p into the cache, a line at a time.
    private static void DwPrefetch(float* p, int count)
    {
        if (!Sse.IsSupported) return;
        for (int o = 0; o < count; o += 16) Sse.Prefetch0(p + o);
    }

    // acc[0..n) += a · src[0..n), n a multiple of 16. Rows here are 16 to a few hundred floats, called once per row
    // and tap: TensorPrimitives.FusedMultiplyAdd in its place halved the weight and input gradients (call cost).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void DwAxpy(float* acc, float* src, float a, int n)
    {
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var va = Vector512.Create(a);
            for (; j < n; j += 16)
            {
                Vector512.Store(Vector512.FusedMultiplyAdd(Vector512.Load(src + j), va, Vector512.Load(acc + j)),
                    acc + j);
            }
            return;
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var va = Vector256.Create(a);
            for (; j < n; j += 8)
            {
                Vector256.Store(Vector256.MultiplyAddEstimate(Vector256.Load(src + j), va, Vector256.Load(acc + j)),
                    acc + j);
            }
            return;
        }
        for (; j < n; j++) acc[j] = MathF.FusedMultiplyAdd(src[j], a, acc[j]);
    }

    // dst[0..width) = Σ_k wt[k] · src[k][0..width), width a multiple of 16 (zeros when count is 0).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void DwSumRows(float* dst, float** src, float* wt, int count, int width)
    {
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; j < width; j += 16)
            {
                var acc = Vector512<float>.Zero;
                for (int k = 0; k < count; k++)
                    acc = Vector512.FusedMultiplyAdd(Vector512.Load(src[k] + j), Vector512.Create(wt[k]), acc);
                Vector512.Store(acc, dst + j);
            }
            return;
        }
        if (Vector256.IsHardwareAccelerated)
        {
            for (; j < width; j += 8)
            {
                var acc = Vector256<float>.Zero;
                for (int k = 0; k < count; k++)
                    acc = Vector256.MultiplyAddEstimate(Vector256.Load(src[k] + j), Vector256.Create(wt[k]), acc);
                Vector256.Store(acc, dst + j);
            }
            return;
        }
        for (; j < width; j++)
        {
            float acc = 0f;
            for (int k = 0; k < count; k++) acc = MathF.FusedMultiplyAdd(src[k][j], wt[k], acc);
            dst[j] = acc;
        }
    }

    // acc[0..n) += u[0..n) · v[0..n), n a multiple of 16.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void DwMultiplyAdd(float* acc, float* u, float* v, int n)
    {
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; j < n; j += 16)
            {
                Vector512.Store(Vector512.FusedMultiplyAdd(Vector512.Load(u + j), Vector512.Load(v + j),
                    Vector512.Load(acc + j)), acc + j);
            }
            return;
        }
        if (Vector256.IsHardwareAccelerated)
        {
            for (; j < n; j += 8)
            {
                Vector256.Store(Vector256.MultiplyAddEstimate(Vector256.Load(u + j), Vector256.Load(v + j),
                    Vector256.Load(acc + j)), acc + j);
            }
            return;
        }
        for (; j < n; j++) acc[j] = MathF.FusedMultiplyAdd(u[j], v[j], acc[j]);
    }

    // Scratch per thread: the phases, then one output row of DwSpan floats (forward) or KH·KW of them (weight
    // gradient), then one dY row of DwSpan floats; or, for the input gradient, a zero-padded copy of one dY plane.
    private static int DwScratch(in ConvShape s) =>
        DwPhases(s) + Math.Max((s.KH * s.KW + 1) * DwSpan(s), s.OH * DwDyWidth(s)) + 16;

    // y = depthwise conv(x, w) + b, one (image, channel) plane per task.
    private static void ForwardDepthwise(float* x, float* w, float* bias, float* y, in ConvShape s)
    {
        var shape = s;
        DwFor(s.N * s.C, 4, s, true, (item, scratch) => ForwardDepthwisePlane(item, x, w, bias, y, scratch, shape));
    }

    private delegate void DwTask(int index, float* scratch);

    // Tasks [0, count) across the threads, each thread with its own scratch (DwScratch), the phases zeroed once
    // where the tasks only write the image's columns into them (DwSplit).
    private static void DwFor(int count, int grain, in ConvShape s, bool zeroPhases, DwTask task)
    {
        int length = DwScratch(s), phases = DwPhases(s);
        Parallel.For(count, grain, (lo, hi) =>
        {
            var scratch = BufferPool<float>.Rent(length);
            fixed (float* ps = scratch)
            {
                if (zeroPhases) new Span<float>(ps, phases).Clear();
                for (int i = lo; i < hi; i++) task(i, ps);
            }
            BufferPool<float>.Return(scratch);
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardDepthwisePlane(int item, float* x, float* w, float* bias, float* y, float* scratch,
        in ConvShape s)
    {
        int c = item % s.C, rows = DwRows(s), width = DwPhaseWidth(s), span = DwSpan(s), sw = s.StrideW;
        int taps = s.KH * s.KW;
        float* phases = scratch, acc = scratch + DwPhases(s);
        DwSplit(x + (long)item * s.H * s.W, phases, s);
        // The next plane is read next: ask for it while this one is computed (faster on MobileNet's stride-2
        // layer).
        if (item + 1 < s.N * s.C) DwPrefetch(x + (long)(item + 1) * s.H * s.W, s.H * s.W);
        float* wc = w + (long)c * taps;
        float b = bias is null ? 0f : bias[c];
        Span<int> tap = taps <= 256 ? stackalloc int[taps] : new int[taps];
        DwTapOffsets(tap, s);
        for (int i = 0; i < s.OH; i++)
        {
            float* top = phases + (long)i * s.StrideH * width;
            float* yrow = y + ((long)item * s.OH + i) * s.OW;
            if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported)
            {
                // 32 outputs at a time in two registers, stored straight into y where they fit in the row.
                for (int j0 = 0; j0 < s.OW; j0 += 32)
                {
                    var a0 = Vector512.Create(b);
                    var a1 = a0;
                    for (int t = 0; t < taps; t++)
                    {
                        float* src = top + tap[t] + j0;
                        var wv = Vector512.Create(wc[t]);
                        a0 = Vector512.FusedMultiplyAdd(Vector512.Load(src), wv, a0);
                        a1 = Vector512.FusedMultiplyAdd(Vector512.Load(src + 16), wv, a1);
                    }
                    if (j0 + 32 <= s.OW)
                    {
                        Vector512.Store(a0, yrow + j0);
                        Vector512.Store(a1, yrow + j0 + 16);
                        continue;
                    }
                    // The row's last columns through masked stores (a copy call per row cost a tenth of the time).
                    var lane = Vector512<int>.Indices;
                    int rest = s.OW - j0;
                    Avx512F.MaskStore(yrow + j0, Vector512.LessThan(lane, Vector512.Create(rest)).AsSingle(), a0);
                    Avx512F.MaskStore(yrow + j0 + 16, Vector512.LessThan(lane, Vector512.Create(rest - 16)).AsSingle(),
                        a1);
                }
                continue;
            }
            if (Vector256.IsHardwareAccelerated && Fma.IsSupported)
            {
                // The same with AVX2: 32 outputs in four registers.
                for (int j0 = 0; j0 < s.OW; j0 += 32)
                {
                    var a0 = Vector256.Create(b);
                    var a1 = a0;
                    var a2 = a0;
                    var a3 = a0;
                    for (int t = 0; t < taps; t++)
                    {
                        float* src = top + tap[t] + j0;
                        var wv = Vector256.Create(wc[t]);
                        a0 = Vector256.FusedMultiplyAdd(Vector256.Load(src), wv, a0);
                        a1 = Vector256.FusedMultiplyAdd(Vector256.Load(src + 8), wv, a1);
                        a2 = Vector256.FusedMultiplyAdd(Vector256.Load(src + 16), wv, a2);
                        a3 = Vector256.FusedMultiplyAdd(Vector256.Load(src + 24), wv, a3);
                    }
                    float* dst = yrow + j0;
                    if (j0 + 32 <= s.OW)
                    {
                        Vector256.Store(a0, dst);
                        Vector256.Store(a1, dst + 8);
                        Vector256.Store(a2, dst + 16);
                        Vector256.Store(a3, dst + 24);
                        continue;
                    }
                    var lane = Vector256<int>.Indices;
                    int rest = s.OW - j0;
                    Avx.MaskStore(dst, Vector256.LessThan(lane, Vector256.Create(rest)).AsSingle(), a0);
                    Avx.MaskStore(dst + 8, Vector256.LessThan(lane, Vector256.Create(rest - 8)).AsSingle(), a1);
                    Avx.MaskStore(dst + 16, Vector256.LessThan(lane, Vector256.Create(rest - 16)).AsSingle(), a2);
                    Avx.MaskStore(dst + 24, Vector256.LessThan(lane, Vector256.Create(rest - 24)).AsSingle(), a3);
                }
                continue;
            }
            new Span<float>(acc, span).Fill(b);
            for (int t = 0; t < taps; t++) DwAxpy(acc, top + tap[t], wc[t], span);
            new ReadOnlySpan<float>(acc, s.OW).CopyTo(new Span<float>(yrow, s.OW));
        }
    }

    // dx = the input gradient: each plane's dY rows are spread over its padded phases (the transpose of the
    // forward's reads), then the phases are gathered back into the plane, the padding dropped.
    private static void BackwardInputDepthwise(float* dy, float* w, float* dx, in ConvShape s)
    {
        var shape = s;
        var plan = DwInputPlan(s);
        // Each plane writes every phase row it gathers from.
        DwFor(s.N * s.C, 4, s, false, (item, scratch) =>
        {
            fixed (int* pp = plan) BackwardInputDepthwisePlane(item, dy, w, dx, scratch, pp, shape);
        });
        BufferPool<int>.Return(plan);
    }

    // Which taps land on each phase row, for the input gradient, in one pooled array (the caller returns it): first,
    // per phase, how many columns it needs (the gather reads phase columns below DwColumns' Hi only), rounded up to
    // whole vectors; then, per (phase, padded row), its entry count followed by each entry's dY row offset in the
    // padded dY copy (row · DwDyWidth + lead - column offset) and tap index. Every tap meets every output row once,
    // so there are KH·KW·OH entries in all.
    private static int[] DwInputPlan(in ConvShape s)
    {
        int sw = s.StrideW, rows = DwRows(s), lead = DwLead(s), dyw = DwDyWidth(s), width = DwPhaseWidth(s);
        var plan = BufferPool<int>.Rent(sw + sw * rows + 2 * s.KH * s.KW * s.OH);
        int at = 0;
        for (int phase = 0; phase < sw; phase++)
            plan[at++] = Math.Min(width, (DwColumns(phase, s).Hi + 15) / 16 * 16);
        for (int phase = 0; phase < sw; phase++)
        {
            for (int r = 0; r < rows; r++)
            {
                int count = at++;
                plan[count] = 0;
                for (int p = 0; p < s.KH; p++)
                {
                    int t = r - p * s.DilationH;
                    if (t < 0 || t % s.StrideH != 0 || t / s.StrideH >= s.OH) continue;
                    for (int q = 0; q < s.KW; q++)
                    {
                        int off = q * s.DilationW;
                        if (off % sw != phase) continue;
                        plan[at++] = t / s.StrideH * dyw + lead - off / sw;
                        plan[at++] = p * s.KW + q;
                        plan[count]++;
                    }
                }
            }
        }
        return plan;
    }

    // Columns of zeros left of each dY row in the input gradient's padded copy of a dY plane: the widest tap
    // offset within a phase, so that a phase column m reads dY column m - offset at a non-negative index.
    private static int DwLead(in ConvShape s) => (s.KW - 1) * s.DilationW / s.StrideW;

    // Floats per row of that copy: the lead, a phase row, and a vector of slack.
    private static int DwDyWidth(in ConvShape s) => DwLead(s) + DwPhaseWidth(s) + 16;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardInputDepthwisePlane(int item, float* dy, float* w, float* dx, float* scratch,
        int* plan, in ConvShape s)
    {
        int c = item % s.C, rows = DwRows(s), width = DwPhaseWidth(s), sw = s.StrideW, taps = s.KH * s.KW;
        int lead = DwLead(s), dyw = DwDyWidth(s);
        float* phases = scratch, dyp = scratch + DwPhases(s);
        // The plane's dY rows with zeros around them, so that shifted whole-vector reads pick up zeros off the row.
        for (int i = 0; i < s.OH; i++)
        {
            float* r = dyp + (long)i * dyw;
            new Span<float>(r, lead).Clear();
            new ReadOnlySpan<float>(dy + ((long)item * s.OH + i) * s.OW, s.OW).CopyTo(new Span<float>(r + lead, s.OW));
            new Span<float>(r + lead + s.OW, dyw - lead - s.OW).Clear();
        }
        if (item + 1 < s.N * s.C) DwPrefetch(dy + (long)(item + 1) * s.OH * s.OW, s.OH * s.OW);
        float* wc = w + (long)c * taps;
        float** rowsAt = stackalloc float*[taps];
        float* wt = stackalloc float[taps];
        // Each phase row is the sum, over the taps that land on it, of a dY row shifted by the tap's column offset
        // and scaled by its weight, accumulated in registers and stored once (adding every tap's row into the phases
        // in memory stalled on loads that overlapped the previous tap's stores).
        int* entry = plan + sw;
        for (int phase = 0; phase < sw; phase++)
        {
            int cols = plan[phase];
            for (int r = 0; r < rows; r++)
            {
                int n = *entry++;
                for (int k = 0; k < n; k++, entry += 2)
                {
                    rowsAt[k] = dyp + entry[0];
                    wt[k] = wc[entry[1]];
                }
                DwSumRows(phases + ((long)phase * rows + r) * width, rowsAt, wt, n, cols);
            }
        }
        // Gather the phases back into the plane: padded column first + m·sw of phase `phase` is input column m·sw +
        // first; columns no phase column reaches (past the windows at the far edge) keep a zero gradient.
        float* plane = dx + (long)item * s.H * s.W;
        if (sw == 2 && (Avx512F.IsSupported || Avx2.IsSupported))
        {
            GatherTwoPhases(phases, plane, s);
            return;
        }
        new Span<float>(plane, s.H * s.W).Clear();
        for (int phase = 0; phase < sw; phase++)
        {
            var (first, lo, hi) = DwColumns(phase, s);
            for (int h = 0; h < s.H && h + s.PadTop < rows; h++)
            {
                float* src = phases + ((long)phase * rows + h + s.PadTop) * width;
                float* dst = plane + (long)h * s.W + first;
                for (int m = lo; m < hi; m++) dst[(long)m * sw] = src[m];
            }
        }
    }

    // Column stride 2: input column c of row h is phase (c + PadLeft) mod 2, column (c + PadLeft) / 2, so even
    // columns come from one phase and odd ones from the other, each at a fixed offset; 16 of each are interleaved
    // into 32 consecutive floats while both reads stay inside their phase rows, the rest one by one.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GatherTwoPhases(float* phases, float* plane, in ConvShape s)
    {
        int rows = DwRows(s), width = DwPhaseWidth(s), pl = s.PadLeft;
        int phaseEven = pl & 1, offEven = pl >> 1, phaseOdd = (pl + 1) & 1, offOdd = (pl + 1) >> 1;
        var low = Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
        var high = Vector512.Create(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
        int kMax = Math.Min((s.W - 32) >> 1, width - 16 - Math.Max(offEven, offOdd));
        for (int h = 0; h < s.H; h++)
        {
            int r = h + s.PadTop;
            float* dst = plane + (long)h * s.W;
            if (r >= rows)
            {
                // Below the last window: no gradient.
                new Span<float>(dst, s.W).Clear();
                continue;
            }
            float* even = phases + ((long)phaseEven * rows + r) * width + offEven;
            float* odd = phases + ((long)phaseOdd * rows + r) * width + offOdd;
            int done = 0;
            if (!Avx512F.IsSupported)
            {
                done = Interleave8(even, odd, dst, Math.Min((s.W - 16) >> 1, width - 8 - Math.Max(offEven, offOdd)));
            }
            else if (kMax >= 0)
            {
                // Whole windows of 32 columns, the last one moved back to end at the last column it may reach
                // (rewriting a few columns with the same values).
                for (int k = 0; ; k += 16)
                {
                    int kk = Math.Min(k, kMax);
                    var a = Vector512.Load(even + kk);
                    var b = Vector512.Load(odd + kk);
                    Vector512.Store(Avx512F.PermuteVar16x32x2(a, low, b), dst + 2 * kk);
                    Vector512.Store(Avx512F.PermuteVar16x32x2(a, high, b), dst + 2 * kk + 16);
                    done = 2 * kk + 32;
                    if (kk == kMax) break;
                }
            }
            for (int c = done; c < s.W; c++)
            {
                int padded = c + pl, m = padded >> 1;
                dst[c] = m < width ? phases[((long)(padded & 1) * rows + r) * width + m] : 0f;
            }
        }
    }

    // GatherTwoPhases' windows with AVX2: 8 even and 8 odd columns interleaved into 16 consecutive floats, the last
    // window moved back to start at kMax. Returns the columns written (0 when not even one window fits).
    private static int Interleave8(float* even, float* odd, float* dst, int kMax)
    {
        if (kMax < 0) return 0;
        for (int k = 0; ; k += 8)
        {
            int kk = Math.Min(k, kMax);
            var a = Vector256.Load(even + kk);
            var b = Vector256.Load(odd + kk);
            var lo = Avx.UnpackLow(a, b);
            var hi = Avx.UnpackHigh(a, b);
            Vector256.Store(Avx.Permute2x128(lo, hi, 0x20), dst + 2 * kk);
            Vector256.Store(Avx.Permute2x128(lo, hi, 0x31), dst + 2 * kk + 8);
            if (kk == kMax) return 2 * kk + 16;
        }
    }

    // dw: one channel per task, over every image: per tap, the products of dY rows with the phase rows the tap
    // reads are accumulated lane by lane and summed at the end.
    private static void BackwardWeightDepthwise(float* x, float* dy, float* dw, in ConvShape s)
    {
        var shape = s;
        DwFor(s.C, 1, s, true, (c, scratch) => BackwardWeightDepthwiseChannel(c, x, dy, dw, scratch, shape));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardWeightDepthwiseChannel(int c, float* x, float* dy, float* dw, float* scratch,
        in ConvShape s)
    {
        int rows = DwRows(s), width = DwPhaseWidth(s), span = DwSpan(s), sw = s.StrideW, taps = s.KH * s.KW;
        float* phases = scratch, acc = scratch + DwPhases(s), row = acc + (long)taps * span;
        new Span<float>(acc, taps * span).Clear();
        new Span<float>(row + s.OW, span - s.OW).Clear();
        Span<int> tap = taps <= 256 ? stackalloc int[taps] : new int[taps];
        DwTapOffsets(tap, s);
        for (int n = 0; n < s.N; n++)
        {
            int item = n * s.C + c;
            DwSplit(x + (long)item * s.H * s.W, phases, s);
            if (n + 1 < s.N)
            {
                DwPrefetch(x + (long)(item + s.C) * s.H * s.W, s.H * s.W);
                DwPrefetch(dy + (long)(item + s.C) * s.OH * s.OW, s.OH * s.OW);
            }
            for (int i = 0; i < s.OH; i++)
            {
                new ReadOnlySpan<float>(dy + ((long)item * s.OH + i) * s.OW, s.OW).CopyTo(new Span<float>(row, s.OW));
                float* top = phases + (long)i * s.StrideH * width;
                for (int t = 0; t < taps; t++) DwMultiplyAdd(acc + (long)t * span, row, top + tap[t], span);
            }
        }
        for (int t = 0; t < taps; t++)
        {
            float sum = 0f;
            for (int j = 0; j < span; j++) sum += acc[(long)t * span + j];
            dw[(long)c * taps + t] = sum;
        }
    }
}
