using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dendrite.Kernels;

// The rows forward (see ConvRows.cs) for CPUs with AVX2 and FMA but no AVX-512: a register tile of 6 output channels
// × 16 virtual positions (2 Vector256, 12 accumulators of the 16 registers) takes per weight element two unaligned
// loads from the padded image and 6 broadcasts from a 6-wide weight sliver, and is stored straight into NCHW with
// masked stores that skip the junk columns. A group's last sliver may hold fewer channels (TM). It replaced the
// implicit GEMM on AVX2 (bench/README.md, "Convolution planner").
internal static unsafe partial class Conv
{
    private const int Rows256Sliver = 6;
    private const int Rows256Tile = 16;

    private static int Rows256Tiles(in ConvShape s) => (s.OH * RowsWidth(s) + Rows256Tile - 1) / Rows256Tile;

    internal static void ForwardRows256(float* x, float* w, float* bias, float* y, in ConvShape s)
    {
        int items = s.N * s.Groups, tiles = Rows256Tiles(s), k = s.K;
        var shape = s;
        var packed = BufferPool<float>.Rent(s.Groups * s.Og * k);
        var offsets = BufferPool<int>.Rent(k);
        fixed (float* pk = packed)
        fixed (int* po = offsets)
        {
            float* wk = pk;
            int* offs = po;
            RowsOffsets(offs, s);
            Rows256Pack(w, wk, s);
            Parallel.For(items * tiles, 8, (lo, hi) => Rows256ForwardRange(lo, hi, x, wk, offs, y, bias, shape));
        }
        BufferPool<int>.Return(offsets);
        BufferPool<float>.Return(packed);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows256ForwardRange(int lo, int hi, float* x, float* wk, int* offs, float* y, float* bias,
        in ConvShape s)
    {
        int tiles = Rows256Tiles(s), k = s.K, current = -1;
        var padded = BufferPool<float>.Rent(RowsImage(s));
        Rows256Plan plan;
        fixed (float* xp = padded)
        {
            for (int task = lo; task < hi; task++)
            {
                int item = task / tiles, v0 = task % tiles * Rows256Tile, g = item % s.Groups, n = item / s.Groups;
                if (item != current)
                {
                    RowsPad(x, item, xp, s);
                    current = item;
                }
                Rows256PlanTile(&plan, v0, s);
                for (int o0 = 0, width; o0 < s.Og; o0 += width)
                {
                    width = Rows256Width(s.Og - o0);
                    float* yo = y + ((long)n * s.O + g * s.Og + o0) * s.L;
                    float* bo = bias is null ? null : bias + g * s.Og + o0;
                    float* ws = wk + ((long)g * s.Og + o0) * k;
                    switch (width)
                    {
                        case 1: Rows256Kernel<Count1>(xp + v0, ws, offs, k, yo, bo, &plan, s.L); break;
                        case 2: Rows256Kernel<Count2>(xp + v0, ws, offs, k, yo, bo, &plan, s.L); break;
                        case 3: Rows256Kernel<Count3>(xp + v0, ws, offs, k, yo, bo, &plan, s.L); break;
                        case 4: Rows256Kernel<Count4>(xp + v0, ws, offs, k, yo, bo, &plan, s.L); break;
                        case 5: Rows256Kernel<Count5>(xp + v0, ws, offs, k, yo, bo, &plan, s.L); break;
                        default: Rows256Kernel<Count6>(xp + v0, ws, offs, k, yo, bo, &plan, s.L); break;
                    }
                }
            }
        }
        BufferPool<float>.Return(padded);
    }

    // Channels of the next sliver when `left` remain: 6, but the last 7 or 8 as 4 + 3 or 4 + 4 (a sliver of 1 or 2
    // would keep too few FMA chains in flight).
    private static int Rows256Width(int left) => left >= 9 || left == 6 ? Rows256Sliver : left > 6 ? 4 : left;

    // w (O, K) → per group, slivers of Rows256Width channels, sliver (o0, width) at o0·K, element (r, k) at
    // k·width + r.
    private static void Rows256Pack(float* w, float* wk, in ConvShape s)
    {
        int k = s.K, og = s.Og;
        for (int g = 0; g < s.Groups; g++)
        {
            for (int o0 = 0, width; o0 < og; o0 += width)
            {
                width = Rows256Width(og - o0);
                float* dst = wk + ((long)g * og + o0) * k;
                for (int r = 0; r < width; r++)
                {
                    float* src = w + ((long)g * og + o0 + r) * k;
                    for (int t = 0; t < k; t++) dst[t * width + r] = src[t];
                }
            }
        }
    }

    // TM output channels (yo: the first one's plane, bo: its bias or null) at the 16 virtual positions of a tile.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows256Kernel<TM>(float* xv, float* wk, int* offs, int k, float* yo, float* bo,
        Rows256Plan* plan, long l)
        where TM : struct, ICount
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default;
        Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
        float* wv = wk;
        for (int t = 0; t < k; t++, wv += TM.Value)
        {
            float* p = xv + offs[t];
            var x0 = Vector256.Load(p);
            var x1 = Vector256.Load(p + 8);
            var b = Vector256.Create(wv[0]);
            a0 = Vector256.FusedMultiplyAdd(x0, b, a0);
            c0 = Vector256.FusedMultiplyAdd(x1, b, c0);
            if (TM.Value > 1)
            {
                b = Vector256.Create(wv[1]);
                a1 = Vector256.FusedMultiplyAdd(x0, b, a1);
                c1 = Vector256.FusedMultiplyAdd(x1, b, c1);
            }
            if (TM.Value > 2)
            {
                b = Vector256.Create(wv[2]);
                a2 = Vector256.FusedMultiplyAdd(x0, b, a2);
                c2 = Vector256.FusedMultiplyAdd(x1, b, c2);
            }
            if (TM.Value > 3)
            {
                b = Vector256.Create(wv[3]);
                a3 = Vector256.FusedMultiplyAdd(x0, b, a3);
                c3 = Vector256.FusedMultiplyAdd(x1, b, c3);
            }
            if (TM.Value > 4)
            {
                b = Vector256.Create(wv[4]);
                a4 = Vector256.FusedMultiplyAdd(x0, b, a4);
                c4 = Vector256.FusedMultiplyAdd(x1, b, c4);
            }
            if (TM.Value > 5)
            {
                b = Vector256.Create(wv[5]);
                a5 = Vector256.FusedMultiplyAdd(x0, b, a5);
                c5 = Vector256.FusedMultiplyAdd(x1, b, c5);
            }
        }
        Rows256Store(a0, c0, yo, bo, 0, plan);
        if (TM.Value > 1) Rows256Store(a1, c1, yo + l, bo, 1, plan);
        if (TM.Value > 2) Rows256Store(a2, c2, yo + 2 * l, bo, 2, plan);
        if (TM.Value > 3) Rows256Store(a3, c3, yo + 3 * l, bo, 3, plan);
        if (TM.Value > 4) Rows256Store(a4, c4, yo + 4 * l, bo, 4, plan);
        if (TM.Value > 5) Rows256Store(a5, c5, yo + 5 * l, bo, 5, plan);
    }

    // RowsPlan for two vectors of 8 lanes: store m of vector j at Offset[8·j + m] with lanes Mask[8·j + m].
    private struct Rows256Plan
    {
        public fixed int Count[2];
        public fixed int Offset[2 * 8];
        public Rows256Masks Mask;
    }

    [InlineArray(2 * 8)]
    private struct Rows256Masks
    {
        private Vector256<float> element;
    }

    private static void Rows256PlanTile(Rows256Plan* plan, int v0, in ConvShape s)
    {
        var lane = Vector256<int>.Indices;
        int* lo = stackalloc int[8], hi = stackalloc int[8];
        for (int j = 0; j < 2; j++)
        {
            int count = RowsStores(v0 + 8 * j, 8, plan->Offset + 8 * j, lo, hi, s);
            for (int m = 0; m < count; m++)
            {
                plan->Mask[8 * j + m] = (Vector256.GreaterThanOrEqual(lane, Vector256.Create(lo[m])) &
                    Vector256.LessThan(lane, Vector256.Create(hi[m]))).AsSingle();
            }
            plan->Count[j] = count;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Rows256Store(Vector256<float> a0, Vector256<float> a1, float* yo, float* bias, int r,
        Rows256Plan* plan)
    {
        if (bias is not null)
        {
            var b = Vector256.Create(bias[r]);
            a0 += b;
            a1 += b;
        }
        for (int m = 0; m < plan->Count[0]; m++) Avx.MaskStore(yo + plan->Offset[m], plan->Mask[m], a0);
        for (int m = 8; m < 8 + plan->Count[1]; m++) Avx.MaskStore(yo + plan->Offset[m], plan->Mask[m], a1);
    }

    // RowsWeightKernel for AVX2: 16 output channels (two Vector256) × 6 weight elements, 12 accumulators; a tile
    // cut short (count < 6) runs its elements one at a time.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowsWeightKernel256(float* xi, int* offs, int k0, int count, float* dyT, float* acc, int rows,
        in ConvShape s)
    {
        int og = s.Og, ow = s.OW, wp = RowsWidth(s);
        if (count < RowsWeightTile)
        {
            for (int t = 0; t < count; t++) RowsWeightKernel256One(xi + offs[k0 + t], dyT, acc + (long)t * og, rows, s);
            return;
        }
        float* r0 = acc, r1 = acc + og, r2 = acc + 2 * og, r3 = acc + 3 * og, r4 = acc + 4 * og, r5 = acc + 5 * og;
        Vector256<float> a0 = Vector256.Load(r0), c0 = Vector256.Load(r0 + 8);
        Vector256<float> a1 = Vector256.Load(r1), c1 = Vector256.Load(r1 + 8);
        Vector256<float> a2 = Vector256.Load(r2), c2 = Vector256.Load(r2 + 8);
        Vector256<float> a3 = Vector256.Load(r3), c3 = Vector256.Load(r3 + 8);
        Vector256<float> a4 = Vector256.Load(r4), c4 = Vector256.Load(r4 + 8);
        Vector256<float> a5 = Vector256.Load(r5), c5 = Vector256.Load(r5 + 8);
        float* x0 = xi + offs[k0], x1 = xi + offs[k0 + 1], x2 = xi + offs[k0 + 2];
        float* x3 = xi + offs[k0 + 3], x4 = xi + offs[k0 + 4], x5 = xi + offs[k0 + 5];
        float* d = dyT;
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < ow; j++, d += og)
            {
                var d0 = Vector256.Load(d);
                var d1 = Vector256.Load(d + 8);
                var b = Vector256.Create(x0[j]);
                a0 = Vector256.FusedMultiplyAdd(d0, b, a0);
                c0 = Vector256.FusedMultiplyAdd(d1, b, c0);
                b = Vector256.Create(x1[j]);
                a1 = Vector256.FusedMultiplyAdd(d0, b, a1);
                c1 = Vector256.FusedMultiplyAdd(d1, b, c1);
                b = Vector256.Create(x2[j]);
                a2 = Vector256.FusedMultiplyAdd(d0, b, a2);
                c2 = Vector256.FusedMultiplyAdd(d1, b, c2);
                b = Vector256.Create(x3[j]);
                a3 = Vector256.FusedMultiplyAdd(d0, b, a3);
                c3 = Vector256.FusedMultiplyAdd(d1, b, c3);
                b = Vector256.Create(x4[j]);
                a4 = Vector256.FusedMultiplyAdd(d0, b, a4);
                c4 = Vector256.FusedMultiplyAdd(d1, b, c4);
                b = Vector256.Create(x5[j]);
                a5 = Vector256.FusedMultiplyAdd(d0, b, a5);
                c5 = Vector256.FusedMultiplyAdd(d1, b, c5);
            }
            x0 += wp;
            x1 += wp;
            x2 += wp;
            x3 += wp;
            x4 += wp;
            x5 += wp;
        }
        a0.Store(r0);
        c0.Store(r0 + 8);
        a1.Store(r1);
        c1.Store(r1 + 8);
        a2.Store(r2);
        c2.Store(r2 + 8);
        a3.Store(r3);
        c3.Store(r3 + 8);
        a4.Store(r4);
        c4.Store(r4 + 8);
        a5.Store(r5);
        c5.Store(r5 + 8);
    }

    // One weight element (x: its input window): acc[0..16) += Σ x[i·Wp + j] · dyT row.
    private static void RowsWeightKernel256One(float* x, float* dyT, float* acc, int rows, in ConvShape s)
    {
        int og = s.Og, ow = s.OW, wp = RowsWidth(s);
        var a0 = Vector256.Load(acc);
        var c0 = Vector256.Load(acc + 8);
        float* d = dyT;
        for (int i = 0; i < rows; i++, x += wp)
        {
            for (int j = 0; j < ow; j++, d += og)
            {
                var b = Vector256.Create(x[j]);
                a0 = Vector256.FusedMultiplyAdd(Vector256.Load(d), b, a0);
                c0 = Vector256.FusedMultiplyAdd(Vector256.Load(d + 8), b, c0);
            }
        }
        a0.Store(acc);
        c0.Store(acc + 8);
    }
}
