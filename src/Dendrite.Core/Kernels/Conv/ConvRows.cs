using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dendrite.Kernels;

/// <summary>
/// Unit-stride convolutions with AVX-512 on the zero-padded NCHW image read in place ("rows" kernels).
/// Each channel plane of an (image, group) is copied once into a padded plane of Hp × Wp floats (plain row copies,
/// Hp = OH + (KH-1)·dh; consecutive rows share their padding, see RowsWidth). Output positions are numbered over
/// the padded width, v = i·Wp + j (the columns j ≥ OW are junk, computed and never stored), so
///   out[o][v] = Σ_{c,p,q} W[o][c][p][q] · xp[c][v + p·dh·Wp + q·dw]
/// and for one weight element k = (c, p, q) the inputs of consecutive positions are consecutive floats of xp.
///   forward: a register tile of 8 output channels × 48 positions (3 Vector512) takes per weight element three
///     unaligned loads from xp and 8 broadcasts from a weight sliver (element (r, k) at k·8 + r); the tile is
///     stored straight into NCHW with masked stores that skip the junk columns, the bias added on the way.
///   weight gradient (Og a multiple of 16): dW[o][k] = Σ_{i,j} xp[offs(k) + i·Wp + j] · dYᵀ[i·OW + j][o] with dY
///     transposed to positions × channels one chunk of output rows at a time; a register tile of 6 weight
///     elements × 64 output channels (4 Vector512; 32 in 2 where Og is not a multiple of 64, a last 16 in 1) takes per
///     position 4 loads of dYᵀ and 6 broadcasts from xp, accumulating over a chunk of output rows whose dYᵀ
///     stays in L1; threads take whole (image, group) items when those balance, otherwise the tiles of weight
///     elements.
/// The input gradient of a unit-stride convolution is a forward convolution (see BackwardInput) and takes the
/// forward kernel. Used when Vector512 is accelerated; with AVX2 only, ConvRows256.cs has the forward (6 channels ×
/// 16 positions) and the weight gradient runs tiles of 16 channels; the other paths remain the fallbacks.
/// </summary>
internal static unsafe partial class Conv
{
    private const int RowsSliver = 8;
    private const int RowsTile = 3 * 16;

    // Padded row width: the right padding of one row and the left padding of the next are shared. A window that
    // reaches past its row's end reads the next row's left padding (zeros), so a row needs room only for PadLeft +
    // W floats and for the reach of its last real window past PadLeft; the junk columns of each row drop from
    // (KW-1)·dw to about PadRight (3×3 with padding 1: one junk column instead of two; a 5×5 with padding 2: two
    // instead of four), a few percent faster on every course layer (bench/README.md, "Convolution planner").
    private static int RowsWidth(in ConvShape s) =>
        Math.Max(s.OW, Math.Max(s.OW + (s.KW - 1) * s.DilationW - s.PadLeft, s.PadLeft + s.W));

    private static int RowsHeight(in ConvShape s) => s.OH + (s.KH - 1) * s.DilationH;

    private static int RowsPlane(in ConvShape s) => RowsHeight(s) * RowsWidth(s);

    // Tiles of 48 virtual positions per (image, group).
    private static int RowsTiles(in ConvShape s) => (s.OH * RowsWidth(s) + RowsTile - 1) / RowsTile;

    // One padded (image, group): Cg planes plus the slack that the junk lanes of the last tile read past the last
    // plane (below 48 + (KW-1)·dw floats), rounded to whole cache lines.
    internal static int RowsImage(in ConvShape s) =>
        (s.Cg * RowsPlane(s) + RowsTile + (s.KW - 1) * s.DilationW + 15) / 16 * 16;

    // y = conv(x, w) + b (bias may be null): tiles of 48 positions × all output channels of the group, split evenly
    // across the threads; each thread pads the (image, group) items its tasks meet into its own buffer, one at a
    // time, so that the padded image stays in its core's cache (an item split between threads is padded by both).
    internal static void ForwardRows(float* x, float* w, float* bias, float* y, in ConvShape s)
    {
        int items = s.N * s.Groups, tiles = RowsTiles(s), k = s.K;
        int slivers = (s.Og + RowsSliver - 1) / RowsSliver;
        var shape = s;
        var packed = BufferPool<float>.Rent(s.Groups * slivers * RowsSliver * k);
        var offsets = BufferPool<int>.Rent(k);
        fixed (float* pk = packed)
        fixed (int* po = offsets)
        {
            float* wk = pk;
            int* offs = po;
            RowsOffsets(offs, s);
            PackSlivers(w, wk, s);
            Parallel.For(items * tiles, 4, (lo, hi) => RowsForwardRange(lo, hi, x, wk, offs, y, bias, shape));
        }
        BufferPool<int>.Return(offsets);
        BufferPool<float>.Return(packed);
    }

    // Tasks [lo, hi) of the forward, task = item · tiles + tile: each runs every sliver of the item's group.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowsForwardRange(int lo, int hi, float* x, float* wk, int* offs, float* y, float* bias,
        in ConvShape s)
    {
        int tiles = RowsTiles(s), k = s.K, slivers = (s.Og + RowsSliver - 1) / RowsSliver, current = -1;
        var padded = BufferPool<float>.Rent(RowsImage(s));
        RowsPlan plan;
        fixed (float* xp = padded)
        {
            for (int task = lo; task < hi; task++)
            {
                int item = task / tiles, v0 = task % tiles * RowsTile, g = item % s.Groups, n = item / s.Groups;
                if (item != current)
                {
                    RowsPad(x, item, xp, s);
                    current = item;
                }
                RowsPlanTile(&plan, v0, s);
                for (int sl = 0; sl < slivers; sl++)
                {
                    int o0 = sl * RowsSliver;
                    float* yo = y + ((long)n * s.O + g * s.Og + o0) * s.L;
                    float* bo = bias is null ? null : bias + g * s.Og + o0;
                    float* ws = wk + ((long)g * slivers + sl) * RowsSliver * k;
                    int rows = Math.Min(RowsSliver, s.Og - o0);
                    // A tile whose third vector stores nothing (the last tile of an image, when the positions
                    // end in its first 32 lanes) computes two vectors only.
                    if (plan.Count[2] == 0) RowsTileKernel2(xp + v0, ws, offs, k, yo, bo, rows, &plan, s.L);
                    else RowsTileKernel(xp + v0, ws, offs, k, yo, bo, rows, &plan, s.L);
                }
            }
        }
        BufferPool<float>.Return(padded);
    }

    // offs[k] for k = (c·KH + p)·KW + q: where weight element k reads in the padded image, relative to the position.
    private static void RowsOffsets(int* offs, in ConvShape s)
    {
        int plane = RowsPlane(s), wp = RowsWidth(s), k = 0;
        for (int c = 0; c < s.Cg; c++)
        {
            for (int p = 0; p < s.KH; p++)
            {
                for (int q = 0; q < s.KW; q++) offs[k++] = c * plane + p * s.DilationH * wp + q * s.DilationW;
            }
        }
    }

    // w (O, K) → slivers of 8 output channels per group, element (r, k) at k·8 + r; missing channels read 0.
    private static void PackSlivers(float* w, float* wk, in ConvShape s)
    {
        int k = s.K, og = s.Og, slivers = (og + RowsSliver - 1) / RowsSliver;
        for (int g = 0; g < s.Groups; g++)
        {
            for (int sl = 0; sl < slivers; sl++)
            {
                float* dst = wk + ((long)g * slivers + sl) * RowsSliver * k;
                for (int r = 0; r < RowsSliver; r++)
                {
                    int o = sl * RowsSliver + r;
                    float* src = w + ((long)g * og + o) * k;
                    if (o < og)
                    {
                        for (int t = 0; t < k; t++) dst[t * RowsSliver + r] = src[t];
                    }
                    else
                    {
                        for (int t = 0; t < k; t++) dst[t * RowsSliver + r] = 0f;
                    }
                }
            }
        }
    }

    // Group g of image n, (Cg, H, W), into Cg padded planes (Hp × Wp) followed by zeroed slack.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowsPad(float* x, int item, float* xp, in ConvShape s)
    {
        int n = item / s.Groups, g = item % s.Groups, wp = RowsWidth(s), hp = RowsHeight(s), plane = RowsPlane(s);
        long inPlane = (long)s.H * s.W;
        float* image = x + (long)(n * s.C + g * s.Cg) * inPlane;
        // Input columns [ulo, uhi) land at padded columns [ulo + PadLeft, uhi + PadLeft) inside [0, Wp).
        int ulo = Math.Max(0, -s.PadLeft), uhi = Math.Min(s.W, wp - s.PadLeft);
        int inLo = ulo + s.PadLeft, inHi = Math.Max(inLo, uhi + s.PadLeft);
        for (int c = 0; c < s.Cg; c++)
        {
            float* pc = xp + (long)c * plane;
            float* src = image + c * inPlane;
            for (int r = 0; r < hp; r++)
            {
                int h = r - s.PadTop;
                float* row = pc + (long)r * wp;
                if ((uint)h >= (uint)s.H || inLo >= inHi)
                {
                    new Span<float>(row, wp).Clear();
                    continue;
                }
                if (inLo > 0) new Span<float>(row, inLo).Clear();
                new ReadOnlySpan<float>(src + (long)h * s.W + ulo, inHi - inLo).CopyTo(new Span<float>(row + inLo,
                    inHi - inLo));
                if (inHi < wp) new Span<float>(row + inHi, wp - inHi).Clear();
            }
        }
        int used = s.Cg * plane;
        new Span<float>(xp + used, RowsImage(s) - used).Clear();
    }

    // Output channels [o0, o0 + rows) (yo: channel o0's plane, bo: its bias or null) at the 48 virtual positions
    // of a tile (xv: the padded image advanced to the tile) from the 8-wide weight sliver wk; plan: the tile's
    // stores (RowsPlan).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowsTileKernel(float* xv, float* wk, int* offs, int k, float* yo, float* bo, int rows,
        RowsPlan* plan, long l)
    {
        var a00 = Vector512<float>.Zero;
        var a01 = Vector512<float>.Zero;
        var a02 = Vector512<float>.Zero;
        var a10 = Vector512<float>.Zero;
        var a11 = Vector512<float>.Zero;
        var a12 = Vector512<float>.Zero;
        var a20 = Vector512<float>.Zero;
        var a21 = Vector512<float>.Zero;
        var a22 = Vector512<float>.Zero;
        var a30 = Vector512<float>.Zero;
        var a31 = Vector512<float>.Zero;
        var a32 = Vector512<float>.Zero;
        var a40 = Vector512<float>.Zero;
        var a41 = Vector512<float>.Zero;
        var a42 = Vector512<float>.Zero;
        var a50 = Vector512<float>.Zero;
        var a51 = Vector512<float>.Zero;
        var a52 = Vector512<float>.Zero;
        var a60 = Vector512<float>.Zero;
        var a61 = Vector512<float>.Zero;
        var a62 = Vector512<float>.Zero;
        var a70 = Vector512<float>.Zero;
        var a71 = Vector512<float>.Zero;
        var a72 = Vector512<float>.Zero;
        float* wv = wk;
        for (int t = 0; t < k; t++, wv += RowsSliver)
        {
            float* p = xv + offs[t];
            var x0 = Vector512.Load(p);
            var x1 = Vector512.Load(p + 16);
            var x2 = Vector512.Load(p + 32);
            var b = Vector512.Create(wv[0]);
            a00 = Vector512.FusedMultiplyAdd(x0, b, a00);
            a01 = Vector512.FusedMultiplyAdd(x1, b, a01);
            a02 = Vector512.FusedMultiplyAdd(x2, b, a02);
            b = Vector512.Create(wv[1]);
            a10 = Vector512.FusedMultiplyAdd(x0, b, a10);
            a11 = Vector512.FusedMultiplyAdd(x1, b, a11);
            a12 = Vector512.FusedMultiplyAdd(x2, b, a12);
            b = Vector512.Create(wv[2]);
            a20 = Vector512.FusedMultiplyAdd(x0, b, a20);
            a21 = Vector512.FusedMultiplyAdd(x1, b, a21);
            a22 = Vector512.FusedMultiplyAdd(x2, b, a22);
            b = Vector512.Create(wv[3]);
            a30 = Vector512.FusedMultiplyAdd(x0, b, a30);
            a31 = Vector512.FusedMultiplyAdd(x1, b, a31);
            a32 = Vector512.FusedMultiplyAdd(x2, b, a32);
            b = Vector512.Create(wv[4]);
            a40 = Vector512.FusedMultiplyAdd(x0, b, a40);
            a41 = Vector512.FusedMultiplyAdd(x1, b, a41);
            a42 = Vector512.FusedMultiplyAdd(x2, b, a42);
            b = Vector512.Create(wv[5]);
            a50 = Vector512.FusedMultiplyAdd(x0, b, a50);
            a51 = Vector512.FusedMultiplyAdd(x1, b, a51);
            a52 = Vector512.FusedMultiplyAdd(x2, b, a52);
            b = Vector512.Create(wv[6]);
            a60 = Vector512.FusedMultiplyAdd(x0, b, a60);
            a61 = Vector512.FusedMultiplyAdd(x1, b, a61);
            a62 = Vector512.FusedMultiplyAdd(x2, b, a62);
            b = Vector512.Create(wv[7]);
            a70 = Vector512.FusedMultiplyAdd(x0, b, a70);
            a71 = Vector512.FusedMultiplyAdd(x1, b, a71);
            a72 = Vector512.FusedMultiplyAdd(x2, b, a72);
        }
        RowsStoreRow(a00, a01, a02, yo, bo, 0, plan);
        if (rows > 1) RowsStoreRow(a10, a11, a12, yo + l, bo, 1, plan);
        if (rows > 2) RowsStoreRow(a20, a21, a22, yo + 2 * l, bo, 2, plan);
        if (rows > 3) RowsStoreRow(a30, a31, a32, yo + 3 * l, bo, 3, plan);
        if (rows > 4) RowsStoreRow(a40, a41, a42, yo + 4 * l, bo, 4, plan);
        if (rows > 5) RowsStoreRow(a50, a51, a52, yo + 5 * l, bo, 5, plan);
        if (rows > 6) RowsStoreRow(a60, a61, a62, yo + 6 * l, bo, 6, plan);
        if (rows > 7) RowsStoreRow(a70, a71, a72, yo + 7 * l, bo, 7, plan);
    }

    // RowsTileKernel for a tile whose third vector has no stores: 8 channels × 32 positions (16 accumulators).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowsTileKernel2(float* xv, float* wk, int* offs, int k, float* yo, float* bo, int rows,
        RowsPlan* plan, long l)
    {
        var a00 = Vector512<float>.Zero;
        var a01 = Vector512<float>.Zero;
        var a10 = Vector512<float>.Zero;
        var a11 = Vector512<float>.Zero;
        var a20 = Vector512<float>.Zero;
        var a21 = Vector512<float>.Zero;
        var a30 = Vector512<float>.Zero;
        var a31 = Vector512<float>.Zero;
        var a40 = Vector512<float>.Zero;
        var a41 = Vector512<float>.Zero;
        var a50 = Vector512<float>.Zero;
        var a51 = Vector512<float>.Zero;
        var a60 = Vector512<float>.Zero;
        var a61 = Vector512<float>.Zero;
        var a70 = Vector512<float>.Zero;
        var a71 = Vector512<float>.Zero;
        float* wv = wk;
        for (int t = 0; t < k; t++, wv += RowsSliver)
        {
            float* p = xv + offs[t];
            var x0 = Vector512.Load(p);
            var x1 = Vector512.Load(p + 16);
            var b = Vector512.Create(wv[0]);
            a00 = Vector512.FusedMultiplyAdd(x0, b, a00);
            a01 = Vector512.FusedMultiplyAdd(x1, b, a01);
            b = Vector512.Create(wv[1]);
            a10 = Vector512.FusedMultiplyAdd(x0, b, a10);
            a11 = Vector512.FusedMultiplyAdd(x1, b, a11);
            b = Vector512.Create(wv[2]);
            a20 = Vector512.FusedMultiplyAdd(x0, b, a20);
            a21 = Vector512.FusedMultiplyAdd(x1, b, a21);
            b = Vector512.Create(wv[3]);
            a30 = Vector512.FusedMultiplyAdd(x0, b, a30);
            a31 = Vector512.FusedMultiplyAdd(x1, b, a31);
            b = Vector512.Create(wv[4]);
            a40 = Vector512.FusedMultiplyAdd(x0, b, a40);
            a41 = Vector512.FusedMultiplyAdd(x1, b, a41);
            b = Vector512.Create(wv[5]);
            a50 = Vector512.FusedMultiplyAdd(x0, b, a50);
            a51 = Vector512.FusedMultiplyAdd(x1, b, a51);
            b = Vector512.Create(wv[6]);
            a60 = Vector512.FusedMultiplyAdd(x0, b, a60);
            a61 = Vector512.FusedMultiplyAdd(x1, b, a61);
            b = Vector512.Create(wv[7]);
            a70 = Vector512.FusedMultiplyAdd(x0, b, a70);
            a71 = Vector512.FusedMultiplyAdd(x1, b, a71);
        }
        var zero = Vector512<float>.Zero;
        RowsStoreRow(a00, a01, zero, yo, bo, 0, plan);
        if (rows > 1) RowsStoreRow(a10, a11, zero, yo + l, bo, 1, plan);
        if (rows > 2) RowsStoreRow(a20, a21, zero, yo + 2 * l, bo, 2, plan);
        if (rows > 3) RowsStoreRow(a30, a31, zero, yo + 3 * l, bo, 3, plan);
        if (rows > 4) RowsStoreRow(a40, a41, zero, yo + 4 * l, bo, 4, plan);
        if (rows > 5) RowsStoreRow(a50, a51, zero, yo + 5 * l, bo, 5, plan);
        if (rows > 6) RowsStoreRow(a60, a61, zero, yo + 6 * l, bo, 6, plan);
        if (rows > 7) RowsStoreRow(a70, a71, zero, yo + 7 * l, bo, 7, plan);
    }

    // Where the three vectors of a tile go: lane i of vector j holds virtual position vs + i (vs = v0 + 16·j),
    // row y = (vs + i) / Wp, column (vs + i) - y·Wp; the lanes of real columns (< OW) of real rows (< OH) go to
    // y·OW + column of the channel plane, one masked store per row touched (Count[j] of them, at most 16), the
    // store m of vector j at Offset[16·j + m] with lanes Mask[16·j + m].
    private struct RowsPlan
    {
        public fixed int Count[3];
        public fixed int Offset[3 * 16];
        public RowsMasks Mask;
    }

    [InlineArray(3 * 16)]
    private struct RowsMasks
    {
        private Vector512<float> element;
    }

    private static void RowsPlanTile(RowsPlan* plan, int v0, in ConvShape s)
    {
        var lane = Vector512<int>.Indices;
        int* lo = stackalloc int[16], hi = stackalloc int[16];
        for (int j = 0; j < 3; j++)
        {
            int count = RowsStores(v0 + 16 * j, 16, plan->Offset + 16 * j, lo, hi, s);
            for (int m = 0; m < count; m++)
            {
                plan->Mask[16 * j + m] = (Vector512.GreaterThanOrEqual(lane, Vector512.Create(lo[m])) &
                    Vector512.LessThan(lane, Vector512.Create(hi[m]))).AsSingle();
            }
            plan->Count[j] = count;
        }
    }

    // Where a vector of `lanes` virtual positions from vs goes in a channel plane: one store per output row it
    // touches (real columns of real rows only), store m at offset[m] with lanes [lo[m], hi[m]). Returns the count
    // (at most `lanes`).
    private static int RowsStores(int vs, int lanes, int* offset, int* lo, int* hi, in ConvShape s)
    {
        int wp = RowsWidth(s), ow = s.OW, end = vs + lanes, m = 0;
        for (int y = vs / wp; y < s.OH && y * wp < end; y++)
        {
            int a = Math.Max(vs, y * wp), b = Math.Min(end, y * wp + ow);
            if (a >= b) continue;
            offset[m] = vs - y * (wp - ow);
            lo[m] = a - vs;
            hi[m] = b - vs;
            m++;
        }
        return m;
    }

    // One output channel's 48 positions (plus bias[r] when bias is not null) into its NCHW plane yo.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RowsStoreRow(Vector512<float> a0, Vector512<float> a1, Vector512<float> a2, float* yo,
        float* bias, int r, RowsPlan* plan)
    {
        if (bias is not null)
        {
            var b = Vector512.Create(bias[r]);
            a0 += b;
            a1 += b;
            a2 += b;
        }
        for (int m = 0; m < plan->Count[0]; m++) Avx512F.MaskStore(yo + plan->Offset[m], plan->Mask[m], a0);
        for (int m = 16; m < 16 + plan->Count[1]; m++) Avx512F.MaskStore(yo + plan->Offset[m], plan->Mask[m], a1);
        for (int m = 32; m < 32 + plan->Count[2]; m++) Avx512F.MaskStore(yo + plan->Offset[m], plan->Mask[m], a2);
    }

    private const int RowsWeightTile = 6;

    // Output channels per weight-gradient tile: 64 (four vectors) where a group's channels are a multiple of 64,
    // otherwise 32 (two vectors: DenseNet's growth of 32, or 96 channels in three blocks), the last tile 16 where
    // the channels are an odd multiple of 16 (GoogLeNet's 48 or 208); 16 (two AVX2 vectors) without AVX-512.
    private static int RowsWeightLanes(in ConvShape s) => !Avx512F.IsSupported ? 16 : s.Og % 64 == 0 ? 64 : 32;

    private static int RowsWeightBlocks(in ConvShape s) => (s.Og + RowsWeightLanes(s) - 1) / RowsWeightLanes(s);

    // dw (overwritten). With as many (image, group) items per thread as balance (a multiple of the thread count, or
    // at least 4 per thread), each thread takes whole items: it pads each into its own buffer, transposes dY chunk
    // by chunk into an L1-sized buffer and accumulates every tile of weight elements into its own K × Og
    // accumulators, summed at the end. Otherwise the batch is padded up front and the threads split the tiles of
    // weight elements instead, each walking every image (and transposing every chunk of dY for itself). Either way
    // acc (per group K × Og) is transposed into dw at the end.
    internal static void BackwardWeightRows(float* x, float* dy, float* dw, in ConvShape s)
    {
        int items = s.N * s.Groups, image = RowsImage(s), k = s.K, og = s.Og, size = s.Groups * k * og;
        int tasks = s.Groups * RowsWeightBlocks(s) * ((k + RowsWeightTile - 1) / RowsWeightTile);
        int threads = Threads.Count;
        bool byItem = threads > 1 && (items % threads == 0 || items >= 4 * threads);
        var shape = s;
        var offsets = BufferPool<int>.Rent(k);
        // The accumulators start on a cache line (16 floats of slack), so that their rows of 64 floats are whole
        // lines; with the item split, one set per thread.
        int sets = byItem ? threads : 1;
        var acc = BufferPool<float>.Rent(sets * (size + 16));
        fixed (float* pa = acc)
        fixed (int* po = offsets)
        {
            float* ac = AlignLine(pa);
            int* offs = po;
            RowsOffsets(offs, s);
            new Span<float>(ac, sets * (size + 16) - 16).Clear();
            if (byItem)
            {
                Parallel.For(threads, 1, (lo, hi) =>
                {
                    for (int t = lo; t < hi; t++)
                    {
                        RowsWeightRange(t * items / threads, (t + 1) * items / threads, 0, tasks, x, null, dy,
                            ac + (long)t * (size + 16), offs, shape);
                    }
                });
                for (int t = 1; t < threads; t++)
                {
                    var sum = new Span<float>(ac, size);
                    TensorPrimitives.Add(sum, new ReadOnlySpan<float>(ac + (long)t * (size + 16), size), sum);
                }
            }
            else
            {
                var padded = BufferPool<float>.Rent(items * image);
                fixed (float* pp = padded)
                {
                    float* xp = pp;
                    Parallel.For(items, 1, (lo, hi) =>
                    {
                        for (int item = lo; item < hi; item++) RowsPad(x, item, xp + (long)item * image, shape);
                    });
                    Parallel.For(tasks, 4, (lo, hi) => RowsWeightRange(0, items, lo, hi, x, xp, dy, ac, offs, shape));
                }
                BufferPool<float>.Return(padded);
            }
            // acc[g] (K × Og) → dw[g] (Og × K).
            for (int g = 0; g < s.Groups; g++)
            {
                float* src = ac + (long)g * k * og, dst = dw + (long)g * og * k;
                for (int o = 0; o < og; o++)
                {
                    for (int t = 0; t < k; t++) dst[(long)o * k + t] = src[(long)t * og + o];
                }
            }
        }
        BufferPool<float>.Return(acc);
        BufferPool<int>.Return(offsets);
    }

    // Items [itemLo, itemHi) × tasks [lo, hi) of the weight gradient, task = (g · oblocks + oblock) · ktiles +
    // ktile (only the tasks of an item's group run for it), chunk by chunk of output rows: the chunk's dYᵀ is read
    // by all the tasks before the next chunk. xp: the padded batch, or null to pad each item into a buffer here.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowsWeightRange(int itemLo, int itemHi, int lo, int hi, float* x, float* xp, float* dy,
        float* ac, int* offs, in ConvShape s)
    {
        int image = RowsImage(s), k = s.K, og = s.Og, lanes = RowsWeightLanes(s);
        int ktiles = (k + RowsWeightTile - 1) / RowsWeightTile, oblocks = RowsWeightBlocks(s);
        // Output rows per chunk: the 64 columns of the chunk's dYᵀ that one task reads (rows · OW · 64 floats)
        // about 32 KiB, at least one row (8 to 32 KiB measured the same within the noise).
        int rowsPer = Math.Max(1, 8192 / (s.OW * lanes));
        var chunk = BufferPool<float>.Rent(rowsPer * s.OW * og + 16);
        var own = xp is null ? BufferPool<float>.Rent(image) : null;
        fixed (float* pc = chunk, po = own)
        {
            float* dt = AlignLine(pc);
            for (int item = itemLo; item < itemHi; item++)
            {
                int g = item % s.Groups, first = Math.Max(lo, g * oblocks * ktiles);
                int last = Math.Min(hi, (g + 1) * oblocks * ktiles);
                if (first >= last) continue;
                float* xi = po;
                if (xp is null) RowsPad(x, item, po, s);
                else xi = xp + (long)item * image;
                for (int i0 = 0; i0 < s.OH; i0 += rowsPer)
                {
                    int rows = Math.Min(rowsPer, s.OH - i0);
                    TransposeGradient(dy, item, i0 * s.OW, rows * s.OW, dt, s);
                    for (int task = first; task < last; task++)
                    {
                        int ob = task / ktiles % oblocks, k0 = task % ktiles * RowsWeightTile;
                        float* at = ac + (long)g * k * og + (long)k0 * og + ob * lanes;
                        int count = Math.Min(RowsWeightTile, k - k0), width = Math.Min(lanes, og - ob * lanes);
                        float* xr = xi + i0 * RowsWidth(s), dr = dt + ob * lanes;
                        if (lanes == 16 && !Avx512F.IsSupported)
                            RowsWeightKernel256(xr, offs, k0, count, dr, at, rows, s);
                        else if (width == 64) RowsWeightKernel(xr, offs, k0, count, dr, at, rows, s);
                        else if (width == 32) RowsWeightKernel32(xr, offs, k0, count, dr, at, rows, s);
                        else RowsWeightKernel16(xr, offs, k0, count, dr, at, rows, s);
                    }
                }
            }
        }
        if (own is not null) BufferPool<float>.Return(own);
        BufferPool<float>.Return(chunk);
    }

    private static float* AlignLine(float* p) => (float*)(((nint)p + 63) & ~(nint)63);

    // Positions [f0, f0 + count) of dY of (image, group) item (Og × L) into dyT (count × Og) by 8×8 blocks.
    private static void TransposeGradient(float* dy, int item, int f0, int count, float* dyT, in ConvShape s)
    {
        int n = item / s.Groups, g = item % s.Groups, og = s.Og, l = s.L;
        float* src = dy + ((long)n * s.O + g * og) * l + f0;
        for (int o0 = 0; o0 < og; o0 += 8)
        {
            int f = 0;
            for (; f + 8 <= count; f += 8) Transpose8(src + (long)o0 * l + f, l, dyT + (long)f * og + o0, og);
            for (; f < count; f++)
            {
                for (int o = o0; o < o0 + 8; o++) dyT[(long)f * og + o] = src[(long)o * l + f];
            }
        }
    }

    // acc (rows k0.. of K × Og, 64 output channels from the given column; row stride Og) += the products of
    // output rows [i0, i0 + rows) (xi: the padded image advanced by i0 padded rows, dyT: its dYᵀ rows, row stride
    // Og) for weight elements [k0, k0 + count), count ≤ 6.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowsWeightKernel(float* xi, int* offs, int k0, int count, float* dyT, float* acc, int rows,
        in ConvShape s)
    {
        int og = s.Og, ow = s.OW, wp = RowsWidth(s);
        if (count < RowsWeightTile)
        {
            for (int t = 0; t < count; t++) RowsWeightKernel1(xi + offs[k0 + t], dyT, acc + (long)t * og, rows, 4, s);
            return;
        }
        float* r0 = acc, r1 = acc + og, r2 = acc + 2 * og, r3 = acc + 3 * og, r4 = acc + 4 * og, r5 = acc + 5 * og;
        var a00 = Vector512.Load(r0);
        var a01 = Vector512.Load(r0 + 16);
        var a02 = Vector512.Load(r0 + 32);
        var a03 = Vector512.Load(r0 + 48);
        var a10 = Vector512.Load(r1);
        var a11 = Vector512.Load(r1 + 16);
        var a12 = Vector512.Load(r1 + 32);
        var a13 = Vector512.Load(r1 + 48);
        var a20 = Vector512.Load(r2);
        var a21 = Vector512.Load(r2 + 16);
        var a22 = Vector512.Load(r2 + 32);
        var a23 = Vector512.Load(r2 + 48);
        var a30 = Vector512.Load(r3);
        var a31 = Vector512.Load(r3 + 16);
        var a32 = Vector512.Load(r3 + 32);
        var a33 = Vector512.Load(r3 + 48);
        var a40 = Vector512.Load(r4);
        var a41 = Vector512.Load(r4 + 16);
        var a42 = Vector512.Load(r4 + 32);
        var a43 = Vector512.Load(r4 + 48);
        var a50 = Vector512.Load(r5);
        var a51 = Vector512.Load(r5 + 16);
        var a52 = Vector512.Load(r5 + 32);
        var a53 = Vector512.Load(r5 + 48);
        float* x0 = xi + offs[k0], x1 = xi + offs[k0 + 1], x2 = xi + offs[k0 + 2];
        float* x3 = xi + offs[k0 + 3], x4 = xi + offs[k0 + 4], x5 = xi + offs[k0 + 5];
        float* d = dyT;
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < ow; j++, d += og)
            {
                var d0 = Vector512.Load(d);
                var d1 = Vector512.Load(d + 16);
                var d2 = Vector512.Load(d + 32);
                var d3 = Vector512.Load(d + 48);
                var b = Vector512.Create(x0[j]);
                a00 = Vector512.FusedMultiplyAdd(d0, b, a00);
                a01 = Vector512.FusedMultiplyAdd(d1, b, a01);
                a02 = Vector512.FusedMultiplyAdd(d2, b, a02);
                a03 = Vector512.FusedMultiplyAdd(d3, b, a03);
                b = Vector512.Create(x1[j]);
                a10 = Vector512.FusedMultiplyAdd(d0, b, a10);
                a11 = Vector512.FusedMultiplyAdd(d1, b, a11);
                a12 = Vector512.FusedMultiplyAdd(d2, b, a12);
                a13 = Vector512.FusedMultiplyAdd(d3, b, a13);
                b = Vector512.Create(x2[j]);
                a20 = Vector512.FusedMultiplyAdd(d0, b, a20);
                a21 = Vector512.FusedMultiplyAdd(d1, b, a21);
                a22 = Vector512.FusedMultiplyAdd(d2, b, a22);
                a23 = Vector512.FusedMultiplyAdd(d3, b, a23);
                b = Vector512.Create(x3[j]);
                a30 = Vector512.FusedMultiplyAdd(d0, b, a30);
                a31 = Vector512.FusedMultiplyAdd(d1, b, a31);
                a32 = Vector512.FusedMultiplyAdd(d2, b, a32);
                a33 = Vector512.FusedMultiplyAdd(d3, b, a33);
                b = Vector512.Create(x4[j]);
                a40 = Vector512.FusedMultiplyAdd(d0, b, a40);
                a41 = Vector512.FusedMultiplyAdd(d1, b, a41);
                a42 = Vector512.FusedMultiplyAdd(d2, b, a42);
                a43 = Vector512.FusedMultiplyAdd(d3, b, a43);
                b = Vector512.Create(x5[j]);
                a50 = Vector512.FusedMultiplyAdd(d0, b, a50);
                a51 = Vector512.FusedMultiplyAdd(d1, b, a51);
                a52 = Vector512.FusedMultiplyAdd(d2, b, a52);
                a53 = Vector512.FusedMultiplyAdd(d3, b, a53);
            }
            x0 += wp;
            x1 += wp;
            x2 += wp;
            x3 += wp;
            x4 += wp;
            x5 += wp;
        }
        a00.Store(r0);
        a01.Store(r0 + 16);
        a02.Store(r0 + 32);
        a03.Store(r0 + 48);
        a10.Store(r1);
        a11.Store(r1 + 16);
        a12.Store(r1 + 32);
        a13.Store(r1 + 48);
        a20.Store(r2);
        a21.Store(r2 + 16);
        a22.Store(r2 + 32);
        a23.Store(r2 + 48);
        a30.Store(r3);
        a31.Store(r3 + 16);
        a32.Store(r3 + 32);
        a33.Store(r3 + 48);
        a40.Store(r4);
        a41.Store(r4 + 16);
        a42.Store(r4 + 32);
        a43.Store(r4 + 48);
        a50.Store(r5);
        a51.Store(r5 + 16);
        a52.Store(r5 + 32);
        a53.Store(r5 + 48);
    }

    // One weight element (x: its input window) of the tile tail: acc[0..16·vectors) += Σ x[i·Wp + j] · dyT row, for
    // 4, 2 or 1 vectors (64, 32 or 16 lanes; the others are left alone).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowsWeightKernel1(float* x, float* dyT, float* acc, int rows, int vectors, in ConvShape s)
    {
        int og = s.Og, ow = s.OW, wp = RowsWidth(s);
        var a0 = Vector512.Load(acc);
        var a1 = vectors > 1 ? Vector512.Load(acc + 16) : default;
        var a2 = vectors > 2 ? Vector512.Load(acc + 32) : default;
        var a3 = vectors > 2 ? Vector512.Load(acc + 48) : default;
        float* d = dyT;
        for (int i = 0; i < rows; i++, x += wp)
        {
            for (int j = 0; j < ow; j++, d += og)
            {
                var b = Vector512.Create(x[j]);
                a0 = Vector512.FusedMultiplyAdd(Vector512.Load(d), b, a0);
                if (vectors == 1) continue;
                a1 = Vector512.FusedMultiplyAdd(Vector512.Load(d + 16), b, a1);
                if (vectors == 2) continue;
                a2 = Vector512.FusedMultiplyAdd(Vector512.Load(d + 32), b, a2);
                a3 = Vector512.FusedMultiplyAdd(Vector512.Load(d + 48), b, a3);
            }
        }
        a0.Store(acc);
        if (vectors == 1) return;
        a1.Store(acc + 16);
        if (vectors == 2) return;
        a2.Store(acc + 32);
        a3.Store(acc + 48);
    }

    // RowsWeightKernel for the last 16 output channels of a group whose count is an odd multiple of 16: 6 weight
    // elements × 1 vector, six accumulators.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowsWeightKernel16(float* xi, int* offs, int k0, int count, float* dyT, float* acc, int rows,
        in ConvShape s)
    {
        int og = s.Og, ow = s.OW, wp = RowsWidth(s);
        if (count < RowsWeightTile)
        {
            for (int t = 0; t < count; t++) RowsWeightKernel1(xi + offs[k0 + t], dyT, acc + (long)t * og, rows, 1, s);
            return;
        }
        float* r0 = acc, r1 = acc + og, r2 = acc + 2 * og, r3 = acc + 3 * og, r4 = acc + 4 * og, r5 = acc + 5 * og;
        var a0 = Vector512.Load(r0);
        var a1 = Vector512.Load(r1);
        var a2 = Vector512.Load(r2);
        var a3 = Vector512.Load(r3);
        var a4 = Vector512.Load(r4);
        var a5 = Vector512.Load(r5);
        float* x0 = xi + offs[k0], x1 = xi + offs[k0 + 1], x2 = xi + offs[k0 + 2];
        float* x3 = xi + offs[k0 + 3], x4 = xi + offs[k0 + 4], x5 = xi + offs[k0 + 5];
        float* d = dyT;
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < ow; j++, d += og)
            {
                var d0 = Vector512.Load(d);
                a0 = Vector512.FusedMultiplyAdd(d0, Vector512.Create(x0[j]), a0);
                a1 = Vector512.FusedMultiplyAdd(d0, Vector512.Create(x1[j]), a1);
                a2 = Vector512.FusedMultiplyAdd(d0, Vector512.Create(x2[j]), a2);
                a3 = Vector512.FusedMultiplyAdd(d0, Vector512.Create(x3[j]), a3);
                a4 = Vector512.FusedMultiplyAdd(d0, Vector512.Create(x4[j]), a4);
                a5 = Vector512.FusedMultiplyAdd(d0, Vector512.Create(x5[j]), a5);
            }
            x0 += wp;
            x1 += wp;
            x2 += wp;
            x3 += wp;
            x4 += wp;
            x5 += wp;
        }
        a0.Store(r0);
        a1.Store(r1);
        a2.Store(r2);
        a3.Store(r3);
        a4.Store(r4);
        a5.Store(r5);
    }

    // RowsWeightKernel for 32 output channels: 6 weight elements × 2 vectors, twelve accumulators; per position 2
    // loads of dYᵀ and 6 broadcasts from the padded image.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowsWeightKernel32(float* xi, int* offs, int k0, int count, float* dyT, float* acc, int rows,
        in ConvShape s)
    {
        int og = s.Og, ow = s.OW, wp = RowsWidth(s);
        if (count < RowsWeightTile)
        {
            for (int t = 0; t < count; t++) RowsWeightKernel1(xi + offs[k0 + t], dyT, acc + (long)t * og, rows, 2, s);
            return;
        }
        float* r0 = acc, r1 = acc + og, r2 = acc + 2 * og, r3 = acc + 3 * og, r4 = acc + 4 * og, r5 = acc + 5 * og;
        var a00 = Vector512.Load(r0);
        var a01 = Vector512.Load(r0 + 16);
        var a10 = Vector512.Load(r1);
        var a11 = Vector512.Load(r1 + 16);
        var a20 = Vector512.Load(r2);
        var a21 = Vector512.Load(r2 + 16);
        var a30 = Vector512.Load(r3);
        var a31 = Vector512.Load(r3 + 16);
        var a40 = Vector512.Load(r4);
        var a41 = Vector512.Load(r4 + 16);
        var a50 = Vector512.Load(r5);
        var a51 = Vector512.Load(r5 + 16);
        float* x0 = xi + offs[k0], x1 = xi + offs[k0 + 1], x2 = xi + offs[k0 + 2];
        float* x3 = xi + offs[k0 + 3], x4 = xi + offs[k0 + 4], x5 = xi + offs[k0 + 5];
        float* d = dyT;
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < ow; j++, d += og)
            {
                var d0 = Vector512.Load(d);
                var d1 = Vector512.Load(d + 16);
                var b = Vector512.Create(x0[j]);
                a00 = Vector512.FusedMultiplyAdd(d0, b, a00);
                a01 = Vector512.FusedMultiplyAdd(d1, b, a01);
                b = Vector512.Create(x1[j]);
                a10 = Vector512.FusedMultiplyAdd(d0, b, a10);
                a11 = Vector512.FusedMultiplyAdd(d1, b, a11);
                b = Vector512.Create(x2[j]);
                a20 = Vector512.FusedMultiplyAdd(d0, b, a20);
                a21 = Vector512.FusedMultiplyAdd(d1, b, a21);
                b = Vector512.Create(x3[j]);
                a30 = Vector512.FusedMultiplyAdd(d0, b, a30);
                a31 = Vector512.FusedMultiplyAdd(d1, b, a31);
                b = Vector512.Create(x4[j]);
                a40 = Vector512.FusedMultiplyAdd(d0, b, a40);
                a41 = Vector512.FusedMultiplyAdd(d1, b, a41);
                b = Vector512.Create(x5[j]);
                a50 = Vector512.FusedMultiplyAdd(d0, b, a50);
                a51 = Vector512.FusedMultiplyAdd(d1, b, a51);
            }
            x0 += wp;
            x1 += wp;
            x2 += wp;
            x3 += wp;
            x4 += wp;
            x5 += wp;
        }
        a00.Store(r0);
        a01.Store(r0 + 16);
        a10.Store(r1);
        a11.Store(r1 + 16);
        a20.Store(r2);
        a21.Store(r2 + 16);
        a30.Store(r3);
        a31.Store(r3 + 16);
        a40.Store(r4);
        a41.Store(r4 + 16);
        a50.Store(r5);
        a51.Store(r5 + 16);
    }
}
