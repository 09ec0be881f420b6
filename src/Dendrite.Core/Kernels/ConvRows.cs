using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dendrite.Kernels;

/// <summary>
/// Unit-stride convolutions with AVX-512 on the zero-padded NCHW image read in place ("rows" kernels).
/// Each channel plane of an (image, group) is copied once into a padded plane of Hp × Wp floats (plain row copies,
/// Wp = OW + (KW-1)·dw, Hp = OH + (KH-1)·dh). Output positions are numbered over the padded width, v = i·Wp + j
/// (the columns j ≥ OW are junk, computed and never stored), so
///   out[o][v] = Σ_{c,p,q} W[o][c][p][q] · xp[c][v + p·dh·Wp + q·dw]
/// and for one weight element k = (c, p, q) the inputs of consecutive positions are consecutive floats of xp.
///   forward: a register tile of 8 output channels × 48 positions (3 Vector512) takes per weight element three
///     unaligned loads from xp and 8 broadcasts from a weight sliver (element (r, k) at k·8 + r); the tile is
///     stored straight into NCHW with masked stores that skip the junk columns, the bias added on the way.
///   weight gradient: dW[o][c][p][q] = Σ_v dYp[o][v] · xp[c][v + p·dh·Wp + q·dw] with dY copied over the padded
///     width (zeros in the junk columns); a register tile of 8 output channels × KW taps of one (c, p) keeps
///     Vector512 partial sums over a block of positions, reading dYp and xp in place.
/// The input gradient of a unit-stride convolution is a forward convolution (see BackwardInput) and takes the
/// forward kernel. Used only when Vector512 is accelerated; the other paths remain the fallbacks.
/// </summary>
public static unsafe partial class Conv
{
    private const int RowsSliver = 8;
    private const int RowsTile = 3 * 16;

    private static bool UseRows(in ConvShape s) =>
        Vector512.IsHardwareAccelerated && Avx512F.IsSupported && s.StrideH == 1 && s.StrideW == 1 &&
        !IsPointwise(s);

    private static int RowsWidth(in ConvShape s) => s.OW + (s.KW - 1) * s.DilationW;

    private static int RowsHeight(in ConvShape s) => s.OH + (s.KH - 1) * s.DilationH;

    private static int RowsPlane(in ConvShape s) => RowsHeight(s) * RowsWidth(s);

    // Tiles of 48 virtual positions per (image, group).
    private static int RowsTiles(in ConvShape s) => (s.OH * RowsWidth(s) + RowsTile - 1) / RowsTile;

    // One padded (image, group): Cg planes plus the slack that the junk lanes of the last tile read past the last
    // plane (below 48 + (KW-1)·dw floats), rounded to whole cache lines.
    private static int RowsImage(in ConvShape s) =>
        (s.Cg * RowsPlane(s) + RowsTile + (s.KW - 1) * s.DilationW + 15) / 16 * 16;

    /// <summary><see cref="Forward"/> on the rows kernel (tests call it directly); needs unit strides and
    /// AVX-512.</summary>
    internal static void RowsForward(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias,
        Span<float> y, in ConvShape s)
    {
        Check("Conv.RowsForward", x.Length, w.Length, y.Length, s, bias.Length);
        if (!UseRows(s))
            throw new ArgumentException($"Conv.RowsForward: needs unit strides, a kernel other than 1×1 and AVX-512, " +
                $"got {s}");
        fixed (float* px = x, pw = w, pb = bias, py = y)
        {
            ForwardRows(px, pw, bias.IsEmpty ? null : pb, py, s);
        }
    }

    /// <summary>Whether the rows kernels run on this machine for <paramref name="s"/>.</summary>
    internal static bool RowsAvailable(in ConvShape s) => UseRows(s);

    // y = conv(x, w) + b (bias may be null): pad the batch (one (image, group) per task), then tiles of 48
    // positions × all output channels of the group, split evenly across the threads.
    internal static void ForwardRows(float* x, float* w, float* bias, float* y, in ConvShape s)
    {
        int items = s.N * s.Groups, image = RowsImage(s), tiles = RowsTiles(s), k = s.K;
        int slivers = (s.Og + RowsSliver - 1) / RowsSliver;
        var shape = s;
        var padded = BufferPool<float>.Rent(items * image);
        var packed = BufferPool<float>.Rent(s.Groups * slivers * RowsSliver * k);
        var offsets = BufferPool<int>.Rent(k);
        fixed (float* pp = padded, pk = packed)
        fixed (int* po = offsets)
        {
            float* xp = pp, wk = pk;
            int* offs = po;
            RowsOffsets(offs, s);
            PackSlivers(w, wk, s);
            Parallel.For(items, 1, (lo, hi) =>
            {
                for (int item = lo; item < hi; item++) RowsPad(x, item, xp + (long)item * image, shape);
            });
            Parallel.For(items * tiles, 4, (lo, hi) =>
            {
                for (int task = lo; task < hi; task++)
                {
                    int item = task / tiles, v0 = task % tiles * RowsTile, g = item % shape.Groups;
                    int n = item / shape.Groups;
                    float* xv = xp + (long)item * image + v0;
                    for (int sl = 0; sl < slivers; sl++)
                    {
                        int o0 = sl * RowsSliver;
                        float* yo = y + ((long)n * shape.O + g * shape.Og + o0) * shape.L;
                        float* bo = bias is null ? null : bias + g * shape.Og + o0;
                        RowsTileKernel(xv, wk + ((long)g * slivers + sl) * RowsSliver * k, offs, k, yo, bo,
                            Math.Min(RowsSliver, shape.Og - o0), v0, shape);
                    }
                }
            });
        }
        BufferPool<int>.Return(offsets);
        BufferPool<float>.Return(packed);
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

    // Output channels [o0, o0 + rows) (yo: channel o0's plane, bo: its bias or null) at virtual positions
    // [v0, v0 + 48) (xv: the padded image advanced by v0), from the 8-wide weight sliver wk.
    private static void RowsTileKernel(float* xv, float* wk, int* offs, int k, float* yo, float* bo, int rows,
        int v0, in ConvShape s)
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
        long l = s.L;
        RowsStoreRow(a00, a01, a02, yo, bo, 0, v0, s);
        if (rows > 1) RowsStoreRow(a10, a11, a12, yo + l, bo, 1, v0, s);
        if (rows > 2) RowsStoreRow(a20, a21, a22, yo + 2 * l, bo, 2, v0, s);
        if (rows > 3) RowsStoreRow(a30, a31, a32, yo + 3 * l, bo, 3, v0, s);
        if (rows > 4) RowsStoreRow(a40, a41, a42, yo + 4 * l, bo, 4, v0, s);
        if (rows > 5) RowsStoreRow(a50, a51, a52, yo + 5 * l, bo, 5, v0, s);
        if (rows > 6) RowsStoreRow(a60, a61, a62, yo + 6 * l, bo, 6, v0, s);
        if (rows > 7) RowsStoreRow(a70, a71, a72, yo + 7 * l, bo, 7, v0, s);
    }

    // One output channel's 48 positions (plus bias[r] when bias is not null) into its NCHW plane yo.
    private static void RowsStoreRow(Vector512<float> a0, Vector512<float> a1, Vector512<float> a2, float* yo,
        float* bias, int r, int v0, in ConvShape s)
    {
        if (bias is not null)
        {
            var b = Vector512.Create(bias[r]);
            a0 += b;
            a1 += b;
            a2 += b;
        }
        RowsStore(a0, yo, v0, s);
        RowsStore(a1, yo, v0 + 16, s);
        RowsStore(a2, yo, v0 + 32, s);
    }

    // Lane i of acc holds virtual position vs + i, i.e. row y = (vs + i) / Wp, column (vs + i) - y·Wp; lanes of
    // real columns (< OW) of real rows (< OH) go to yo[y·OW + column], one (masked) store per row touched.
    private static void RowsStore(Vector512<float> acc, float* yo, int vs, in ConvShape s)
    {
        int wp = RowsWidth(s), ow = s.OW, end = vs + 16;
        for (int y = vs / wp; y < s.OH; y++)
        {
            int start = y * wp;
            if (start >= end) break;
            int a = Math.Max(vs, start), b = Math.Min(end, start + ow);
            if (a >= b) continue;
            float* dst = yo + vs - (long)y * (wp - ow);
            if (a == vs && b == end)
            {
                acc.Store(dst);
            }
            else
            {
                var lane = Vector512<int>.Indices;
                var mask = Vector512.GreaterThanOrEqual(lane, Vector512.Create(a - vs)) &
                    Vector512.LessThan(lane, Vector512.Create(b - vs));
                Avx512F.MaskStore(dst, mask.AsSingle(), acc);
            }
        }
    }
}
