using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dendrite.Kernels;

/// <summary>
/// Convolutions as tall products on chunks of output positions instead of one wide product per image.
///   forward (unit strides, unit horizontal dilation): an implicit GEMM over a zero-padded channels-last copy of
///     the image, KH products of (rows·Wp)×(KW·Cg) by (KW·Cg)×Og per chunk of output rows, no unfolding; the
///     chunk's (positions × Og) tile is transposed into NCHW by 8×8 blocks. Unit-stride input gradients whose
///     padding fits the kernel are such forward convolutions (see BackwardInput) and take it too.
///   weight gradient: for a run of at most <see cref="TallTarget"/> positions of one (image, group), the
///     cache-sized unfolding colᶜ (K×len) gives dW[g]ᵀ (K×Og) += colᶜ · dYᶜᵀ, a K-tall product; one accumulator
///     per thread, summed and transposed into dW at the end.
/// Chunks are split across the threads, each running single-threaded GEMMs. Measured against the per-image
/// im2col path in bench/README.md ("Round three"); the input gradient of other shapes stays on that path (a
/// chunked version measured no faster).
/// </summary>
internal static unsafe partial class Conv
{
    // Positions per weight-gradient chunk (576×512 floats of unfolding for a 64-channel 3×3 layer), and virtual
    // positions per implicit forward chunk (the packed kernel runs faster at about 1000 rows than at 500).
    private const int TallTarget = 512;
    private const int ImplicitTarget = 1024;

    // Chunks per (image, group) of at most target positions and their length (balanced, the last one may be shorter).
    private static int TallChunks(in ConvShape s, int target, out int len)
    {
        if (target <= 0) target = TallTarget;
        int chunks = (s.L + target - 1) / target;
        len = (s.L + chunks - 1) / chunks;
        return chunks;
    }

    /// <summary><see cref="Forward"/> on the tall path with chunks of at most <paramref name="target"/> positions
    /// (tests drive the chunk boundaries through it).</summary>
    internal static void TallForward(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias,
        Span<float> y, in ConvShape s, int target)
    {
        Check("Conv.TallForward", x.Length, w.Length, y.Length, s, bias.Length);
        if (s.StrideH != 1 || s.StrideW != 1 || s.DilationW != 1)
            throw new ArgumentException($"Conv.TallForward: needs unit strides and unit horizontal dilation, got {s}");
        fixed (float* px = x, pw = w, pb = bias, py = y)
        {
            ForwardTall(px, pw, bias.IsEmpty ? null : pb, py, s, target);
        }
    }

    /// <summary><see cref="BackwardWeight"/> on the tall path (chunks of at most <paramref name="target"/>).</summary>
    internal static void TallBackwardWeight(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dw,
        in ConvShape s, int target)
    {
        Check("Conv.TallBackwardWeight", x.Length, dw.Length, dy.Length, s, 0);
        fixed (float* px = x, pdy = dy, pdw = dw)
        {
            BackwardWeightTall(px, pdy, pdw, s, target);
        }
    }

    // The implicit forward: unit strides and unit horizontal dilation. Each (image, group) is copied once into a
    // zero-padded channels-last image xp (Hp × Wp × Cg, Wp = OW + KW - 1). Output positions are numbered over the
    // padded width ("virtual" positions v = i·Wp + j, j < Wp; the KW - 1 columns past OW are computed and dropped),
    // so for kernel row p the KW·Cg inputs of position v start at xp + (v + p·dh·Wp)·Cg and consecutive positions
    // are Cg floats apart: an m×(KW·Cg) matrix with row stride Cg (rows overlap), read in place by the packed GEMM.
    // A chunk of rows of the output is then Σ_p A_p · W'_pᵀ with W' the weights reordered to (O, KH, KW, Cg).
    private static int ImplicitWidth(in ConvShape s) => s.OW + s.KW - 1;

    private static int ImplicitHeight(in ConvShape s) => s.OH + (s.KH - 1) * s.DilationH;

    // One padded channels-last image plus slack for the dropped columns of the last row.
    private static int ImplicitImage(in ConvShape s) =>
        (ImplicitHeight(s) * ImplicitWidth(s) + s.KW) * s.Cg;

    /// <summary>y = conv(x, w) + b (bias may be null) over contiguous NCHW buffers, with chunks of at most
    /// <paramref name="target"/> virtual positions (whole output rows, at least one).</summary>
    internal static void ForwardTall(float* x, float* w, float* bias, float* y, in ConvShape s, int target = 0)
    {
        if (target <= 0) target = ImplicitTarget;
        int wp = ImplicitWidth(s), rowsPer = Math.Max(1, target / wp);
        int chunks = (s.OH + rowsPer - 1) / rowsPer;
        rowsPer = (s.OH + chunks - 1) / chunks;
        int items = s.N * s.Groups, image = ImplicitImage(s), threads = Threads.Count, og = s.Og;
        var shape = s;
        var reordered = BufferPool<float>.Rent(s.O * s.K);
        fixed (float* pr = reordered)
        {
            float* wr = pr;
            ReorderWeights(w, wr, s);
            if (items >= 4 * threads)
            {
                // Enough (image, group) items to balance: each thread pads its items one at a time into its own
                // buffer and runs all their chunks.
                Parallel.For(items, 1, (lo, hi) =>
                {
                    var padded = BufferPool<float>.Rent(image);
                    var tile = BufferPool<float>.Rent(rowsPer * wp * og);
                    fixed (float* pp = padded, pt = tile)
                    {
                        for (int item = lo; item < hi; item++)
                        {
                            PadChannelsLast(x, item, pp, shape);
                            for (int i0 = 0; i0 < shape.OH; i0 += rowsPer)
                            {
                                ImplicitChunk(pp, wr, bias, y, pt, item, i0, Math.Min(rowsPer, shape.OH - i0), shape);
                            }
                        }
                    }
                    BufferPool<float>.Return(tile);
                    BufferPool<float>.Return(padded);
                });
            }
            else
            {
                // Few items (small batches): one padded image at a time, its chunks split across the threads.
                var padded = BufferPool<float>.Rent(image);
                fixed (float* pp = padded)
                {
                    float* xp = pp;
                    for (int item = 0; item < items; item++)
                    {
                        int current = item;
                        PadChannelsLast(x, item, xp, s);
                        Parallel.For(chunks, 1, (lo, hi) =>
                        {
                            var tile = BufferPool<float>.Rent(rowsPer * wp * og);
                            fixed (float* pt = tile)
                            {
                                for (int c = lo; c < hi; c++)
                                {
                                    int i0 = c * rowsPer;
                                    ImplicitChunk(xp, wr, bias, y, pt, current, i0, Math.Min(rowsPer, shape.OH - i0),
                                        shape);
                                }
                            }
                            BufferPool<float>.Return(tile);
                        });
                    }
                }
                BufferPool<float>.Return(padded);
            }
        }
        BufferPool<float>.Return(reordered);
    }

    // w (O, Cg, KH, KW) → wr (O, KH, KW, Cg).
    private static void ReorderWeights(float* w, float* wr, in ConvShape s)
    {
        int khw = s.KH * s.KW;
        for (int o = 0; o < s.O; o++)
        {
            float* src = w + (long)o * s.K, dst = wr + (long)o * s.K;
            for (int c = 0; c < s.Cg; c++)
            {
                for (int t = 0; t < khw; t++) dst[t * s.Cg + c] = src[c * khw + t];
            }
        }
    }

    // Group g of image n, (Cg, H, W), into the zero-padded channels-last image xp (Hp, Wp, Cg) plus slack.
    private static void PadChannelsLast(float* x, int item, float* xp, in ConvShape s)
    {
        int n = item / s.Groups, g = item % s.Groups, cg = s.Cg, wp = ImplicitWidth(s), hp = ImplicitHeight(s);
        float* image = x + (long)(n * s.C + g * cg) * s.H * s.W;
        // Input columns v land at padded column v + PadLeft when that lies inside [0, Wp).
        int vlo = Math.Max(0, -s.PadLeft), vhi = Math.Min(s.W, wp - s.PadLeft);
        // Only the border is cleared: padded columns [inLo, inHi) of the rows inside the image are all written.
        int inLo = vlo + s.PadLeft, inHi = Math.Max(inLo, vhi + s.PadLeft);
        new Span<float>(xp + (long)hp * wp * cg, s.KW * cg).Clear();
        for (int r = 0; r < hp; r++)
        {
            int h = r - s.PadTop;
            float* padRow = xp + (long)r * wp * cg;
            if ((uint)h >= (uint)s.H || inLo >= inHi)
            {
                new Span<float>(padRow, wp * cg).Clear();
                continue;
            }
            if (inLo > 0) new Span<float>(padRow, inLo * cg).Clear();
            if (inHi < wp) new Span<float>(padRow + (long)inHi * cg, (wp - inHi) * cg).Clear();
            float* dstRow = xp + ((long)r * wp + s.PadLeft) * cg;
            float* srcRow = image + (long)h * s.W;
            long plane = (long)s.H * s.W;
            int c0 = 0;
            for (; c0 + 8 <= cg; c0 += 8)
            {
                int v = vlo;
                for (; v + 8 <= vhi; v += 8) Transpose8(srcRow + c0 * plane + v, plane, dstRow + (long)v * cg + c0, cg);
                for (; v < vhi; v++)
                {
                    for (int c = c0; c < c0 + 8; c++) dstRow[(long)v * cg + c] = srcRow[c * plane + v];
                }
            }
            for (int c = c0; c < cg; c++)
            {
                for (int v = vlo; v < vhi; v++) dstRow[(long)v * cg + c] = srcRow[c * plane + v];
            }
        }
    }

    // dst[j·dstStride + i] = src[i·srcStride + j] (+ rowBias[j] when rowBias is not null) for an 8×8 block:
    // unpack / shuffle / lane-permute with AVX (Transpose8x8), element by element without.
    private static void Transpose8(float* src, long srcStride, float* dst, long dstStride, float* rowBias = null)
    {
        if (!Avx.IsSupported)
        {
            for (int i = 0; i < 8; i++)
            {
                for (int j = 0; j < 8; j++)
                {
                    float v = src[i * srcStride + j];
                    dst[j * dstStride + i] = rowBias is null ? v : v + rowBias[j];
                }
            }
            return;
        }
        var r0 = Avx.LoadVector256(src);
        var r1 = Avx.LoadVector256(src + srcStride);
        var r2 = Avx.LoadVector256(src + 2 * srcStride);
        var r3 = Avx.LoadVector256(src + 3 * srcStride);
        var r4 = Avx.LoadVector256(src + 4 * srcStride);
        var r5 = Avx.LoadVector256(src + 5 * srcStride);
        var r6 = Avx.LoadVector256(src + 6 * srcStride);
        var r7 = Avx.LoadVector256(src + 7 * srcStride);
        Transpose8x8(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
        if (rowBias is not null)
        {
            r0 = Avx.Add(r0, Vector256.Create(rowBias[0]));
            r1 = Avx.Add(r1, Vector256.Create(rowBias[1]));
            r2 = Avx.Add(r2, Vector256.Create(rowBias[2]));
            r3 = Avx.Add(r3, Vector256.Create(rowBias[3]));
            r4 = Avx.Add(r4, Vector256.Create(rowBias[4]));
            r5 = Avx.Add(r5, Vector256.Create(rowBias[5]));
            r6 = Avx.Add(r6, Vector256.Create(rowBias[6]));
            r7 = Avx.Add(r7, Vector256.Create(rowBias[7]));
        }
        Avx.Store(dst, r0);
        Avx.Store(dst + dstStride, r1);
        Avx.Store(dst + 2 * dstStride, r2);
        Avx.Store(dst + 3 * dstStride, r3);
        Avx.Store(dst + 4 * dstStride, r4);
        Avx.Store(dst + 5 * dstStride, r5);
        Avx.Store(dst + 6 * dstStride, r6);
        Avx.Store(dst + 7 * dstStride, r7);
    }

    // Rows r0..r7 of an 8×8 block become its columns, in registers: interleaves of 32-bit elements, then of pairs
    // (within each 128-bit half), then of the halves.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(ref Vector256<float> r0, ref Vector256<float> r1, ref Vector256<float> r2,
        ref Vector256<float> r3, ref Vector256<float> r4, ref Vector256<float> r5, ref Vector256<float> r6,
        ref Vector256<float> r7)
    {
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44);
        var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44);
        var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44);
        var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44);
        var u7 = Avx.Shuffle(t5, t7, 0xEE);
        r0 = Avx.Permute2x128(u0, u4, 0x20);
        r1 = Avx.Permute2x128(u1, u5, 0x20);
        r2 = Avx.Permute2x128(u2, u6, 0x20);
        r3 = Avx.Permute2x128(u3, u7, 0x20);
        r4 = Avx.Permute2x128(u0, u4, 0x31);
        r5 = Avx.Permute2x128(u1, u5, 0x31);
        r6 = Avx.Permute2x128(u2, u6, 0x31);
        r7 = Avx.Permute2x128(u3, u7, 0x31);
    }

    private static void ImplicitChunk(float* xp, float* wr, float* bias, float* y, float* tile, int item, int i0,
        int rows, in ConvShape s)
    {
        int n = item / s.Groups, g = item % s.Groups, cg = s.Cg, og = s.Og, wp = ImplicitWidth(s);
        int m = rows * wp, k = s.KW * cg;
        var blocking = PackedSgemm.DefaultBlocking(PackedSgemm.BestPath);
        for (int p = 0; p < s.KH; p++)
        {
            float* a = xp + ((long)(i0 + p * s.DilationH) * wp) * cg;
            float* b = wr + (long)g * og * s.K + p * k;
            PackedSgemm.Run(false, true, m, og, k, 1f, a, cg, b, s.K, p == 0 ? 0f : 1f, tile, og,
                PackedSgemm.BestPath, blocking, 1);
        }
        // Transposed into NCHW by 8×8 blocks, the bias added on the way.
        float* dst = y + (long)(n * s.O + g * og) * s.L + (long)i0 * s.OW;
        float* gb = bias is null ? null : bias + g * og;
        for (int i = 0; i < rows; i++)
        {
            float* di = dst + i * s.OW;
            float* ti = tile + (long)i * wp * og;
            int j0 = 0;
            for (; j0 + 8 <= s.OW; j0 += 8)
            {
                int o0 = 0;
                if (gb is null)
                {
                    for (; o0 + 8 <= og; o0 += 8)
                    {
                        Transpose8(ti + (long)j0 * og + o0, og, di + (long)o0 * s.L + j0, s.L);
                    }
                }
                else
                {
                    for (; o0 + 8 <= og; o0 += 8)
                    {
                        Transpose8(ti + (long)j0 * og + o0, og, di + (long)o0 * s.L + j0, s.L, gb + o0);
                    }
                }
                for (int o = o0; o < og; o++)
                {
                    float b = gb is null ? 0f : gb[o];
                    for (int j = j0; j < j0 + 8; j++) di[(long)o * s.L + j] = ti[(long)j * og + o] + b;
                }
            }
            for (int o = 0; o < og; o++)
            {
                float b = gb is null ? 0f : gb[o];
                for (int j = j0; j < s.OW; j++) di[(long)o * s.L + j] = ti[(long)j * og + o] + b;
            }
        }
    }

    // dw (overwritten) from per-thread K×Og accumulators per group.
    internal static void BackwardWeightTall(float* x, float* dy, float* dw, in ConvShape s,
        int target = 0)
    {
        int per = TallChunks(s, target, out int len);
        var shape = s;
        var sum = SumPerThread(s.N * s.Groups * per, s.O * s.K, s.K * len, (task, acc, col) =>
        {
            fixed (float* pc = col) WeightChunk(task, per, len, x, dy, acc, pc, shape);
        });
        // sum holds, per group, dW[g]ᵀ (K×Og).
        int k = s.K, og = s.Og;
        for (int g = 0; g < s.Groups; g++)
        {
            fixed (float* pa = sum)
            {
                float* src = pa + (long)g * k * og;
                float* dst = dw + (long)g * og * k;
                for (int o = 0; o < og; o++)
                {
                    for (int r = 0; r < k; r++) dst[o * k + r] = src[r * og + o];
                }
            }
        }
        BufferPool<float>.Return(sum);
    }

    private static void WeightChunk(int task, int per, int len, float* x, float* dy, float* acc, float* col,
        in ConvShape s)
    {
        int item = task / per, n = item / s.Groups, g = item % s.Groups, k = s.K, og = s.Og;
        int f0 = task % per * len, cnt = Math.Min(len, s.L - f0);
        Im2ColRange(x + (long)(n * s.C + g * s.Cg) * s.H * s.W, col, f0, cnt, s);
        Gemm.Sgemm(false, true, k, og, cnt, 1f, new ReadOnlySpan<float>(col, k * cnt), cnt,
            new ReadOnlySpan<float>(dy + (long)(n * s.O + g * og) * s.L + f0, (og - 1) * s.L + cnt), s.L, 1f,
            new Span<float>(acc + (long)g * k * og, k * og), og, PackedSgemm.BestPath, 1);
    }

    /// <summary>Unfolds output positions [f0, f0 + cnt) of one group of one image, (Cg, H, W), into col
    /// (K×cnt, row stride cnt); positions in the padding read 0.</summary>
    internal static void Im2ColRange(float* x, float* col, int f0, int cnt, in ConvShape s)
    {
        int row = 0;
        for (int c = 0; c < s.Cg; c++)
        {
            for (int p = 0; p < s.KH; p++)
            {
                for (int q = 0; q < s.KW; q++, row++)
                {
                    float* dst = col + (long)row * cnt;
                    int v0 = q * s.DilationW - s.PadLeft;
                    var (jlo, jhi) = Inside(v0, s.StrideW, s.W, s.OW);
                    int i = f0 / s.OW, j0 = f0 - i * s.OW, done = 0;
                    while (done < cnt)
                    {
                        int run = Math.Min(s.OW - j0, cnt - done);
                        float* d = dst + done - j0;
                        int h = i * s.StrideH - s.PadTop + p * s.DilationH;
                        int a = Math.Max(j0, jlo), b = Math.Min(j0 + run, jhi);
                        if ((uint)h >= (uint)s.H || a >= b)
                        {
                            new Span<float>(d + j0, run).Clear();
                        }
                        else
                        {
                            float* src = x + (long)(c * s.H + h) * s.W;
                            if (a > j0) new Span<float>(d + j0, a - j0).Clear();
                            if (b < j0 + run) new Span<float>(d + b, j0 + run - b).Clear();
                            if (s.StrideW == 1)
                            {
                                new ReadOnlySpan<float>(src + v0 + a, b - a).CopyTo(new Span<float>(d + a, b - a));
                            }
                            else
                            {
                                for (int j = a, v = v0 + a * s.StrideW; j < b; j++, v += s.StrideW) d[j] = src[v];
                            }
                        }
                        done += run;
                        i++;
                        j0 = 0;
                    }
                }
            }
        }
    }
}
