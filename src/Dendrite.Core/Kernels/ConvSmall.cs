using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Dendrite.Kernels.Simd;

namespace Dendrite.Kernels;

// Convolutions over small feature maps (ResNet's last stages: 7×7 and 4×4 outputs): the images of the batch are
// unfolded side by side, so that one product covers many images. A kernel that tiles one image at a time computes
// mostly padding there (a 7×7 map fills 49 of the 80 lanes of its tiles), and a per-image product has only L
// columns.
public static unsafe partial class Conv
{
    // Columns of one batched product: the unfolding (K × columns) and the product (Og × columns) stay within a few
    // MiB for the K of a 512-channel 3×3 layer.
    private const int SmallColumns = 1024;

    // Output maps of at most 100 positions (10×10) and at least 32 output channels per group. 2 threads, GFLOP/s,
    // ResNet 3×3 512 → 512, batch 8, forward / weight gradient / input gradient, per-image kernels → batched:
    // AVX-512 at 4×4 148 / 65 / 96 → 393 / 365 / 239, at 7×7 226 / 151 / 168 → 344 / 365 / 280; AVX2 at 4×4
    // 86 / 59 / 80 → 202 / 203 / 161, at 7×7 150 / 116 / 137 → 190 / 201 / 181. 256 channels, AVX-512: at 10×10
    // 313 / 254 / 301 → 347 / 332 / 315, but at 12×12 320 / 291 / 319 → 292 / 271 / 288, and at 14×14 349 → 329
    // forward: there the rows kernels stay ahead. 1×1 layers too (one product instead of one per image): 512 → 512
    // at 7×7 310 / 355 / 216 → 337 / 368 / 331, 1024 → 1024 at 4×4 211 / 230 / 105 → 345 / 342 / 316.
    private static bool UseSmall(in ConvShape s) => s.L > 0 && s.L <= 100 && s.Og >= 32;

    /// <summary>Whether the batched small-map path runs for <paramref name="s"/> (tests check their shapes by
    /// it).</summary>
    internal static bool SmallAvailable(in ConvShape s) => UseSmall(s);

    // Images per batched product: as many as fit in SmallColumns columns, and in an unfolding of at most 8M floats
    // (32 MiB: a 2048-channel 3×3 layer gets about 450 columns), at least one.
    private static int SmallImages(in ConvShape s) =>
        Math.Max(1, Math.Min(SmallColumns, (8 << 20) / Math.Max(1, s.K)) / s.L);

    // y = conv(x, w) + b, group by group and chunk of images by chunk: unfold, multiply with all threads, scatter.
    private static void ForwardSmall(float* x, float* w, float* bias, float* y, in ConvShape s)
    {
        int k = s.K, l = s.L, og = s.Og, per = Math.Min(s.N, SmallImages(s)), most = per * l;
        var col = BufferPool<float>.Rent(k * most);
        var product = BufferPool<float>.Rent(og * most);
        var shape = s;
        fixed (float* pc = col, pp = product)
        {
            float* cp = pc, prod = pp;
            for (int g = 0; g < s.Groups; g++)
            {
                for (int n0 = 0; n0 < s.N; n0 += per)
                {
                    int images = Math.Min(per, s.N - n0), cols = images * l, group = g;
                    Parallel.For(images, 1, (lo, hi) => UnfoldImages(x, n0, lo, hi, group, cp, cols, shape));
                    Gemm.Sgemm(false, false, og, cols, k, 1f, new ReadOnlySpan<float>(w + (long)g * og * k, og * k),
                        k, new ReadOnlySpan<float>(cp, k * cols), cols, 0f, new Span<float>(prod, og * cols), cols,
                        PackedSgemm.BestPath, Threads.Count);
                    for (int i = 0; i < images; i++)
                    {
                        for (int o = 0; o < og; o++)
                        {
                            var src = new ReadOnlySpan<float>(prod + (long)o * cols + (long)i * l, l);
                            var dst = new Span<float>(y + ((long)(n0 + i) * s.O + g * og + o) * l, l);
                            if (bias is null) src.CopyTo(dst);
                            else System.Numerics.Tensors.TensorPrimitives.Add(src, bias[g * og + o], dst);
                        }
                    }
                }
            }
        }
        BufferPool<float>.Return(product);
        BufferPool<float>.Return(col);
    }

    // Images [n0 + lo, n0 + hi) of group g unfolded into col (K rows, ld floats apart, image i at column i·L). With
    // AVX2 and unit strides each image is first zero-padded, so that every output row of an unfolded row is one
    // masked vector move per 8 floats; otherwise Im2Col.
    private static void UnfoldImages(float* x, int n0, int lo, int hi, int g, float* col, int ld, in ConvShape s)
    {
        if (!Avx2.IsSupported || s.StrideW != 1)
        {
            for (int i = lo; i < hi; i++)
            {
                var xg = new ReadOnlySpan<float>(x + ((long)(n0 + i) * s.C + g * s.Cg) * s.H * s.W, s.Cg * s.H * s.W);
                Im2Col(xg, new Span<float>(col + (long)i * s.L, (s.K - 1) * ld + s.L), ld, s);
            }
            return;
        }
        int hp = (s.OH - 1) * s.StrideH + (s.KH - 1) * s.DilationH + 1, wp = s.OW + (s.KW - 1) * s.DilationW;
        var pad = BufferPool<float>.Rent(s.Cg * hp * wp + 8);
        var tail = Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(s.OW % 8)).AsSingle();
        fixed (float* pp = pad)
        {
            for (int i = lo; i < hi; i++)
            {
                PadImage(x, n0 + i, g, pp, hp, wp, s);
                float* dst = col + (long)i * s.L;
                for (int c = 0; c < s.Cg; c++)
                {
                    for (int p = 0; p < s.KH; p++)
                    {
                        for (int q = 0; q < s.KW; q++, dst += ld)
                        {
                            float* src = pp + ((long)c * hp + p * s.DilationH) * wp + q * s.DilationW;
                            float* d = dst;
                            for (int r = 0; r < s.OH; r++, src += s.StrideH * wp, d += s.OW)
                            {
                                int j = 0;
                                for (; j + 8 <= s.OW; j += 8) Vector256.Load(src + j).Store(d + j);
                                if (j < s.OW) Avx.MaskStore(d + j, tail, Avx.MaskLoad(src + j, tail));
                            }
                        }
                    }
                }
            }
        }
        BufferPool<float>.Return(pad);
    }

    // dw (cleared by the caller) += dY · colᵀ, group by group and chunk of images by chunk: the chunk's dY gathered
    // into Og × columns, its unfolding K × columns, one product with all threads.
    private static void BackwardWeightSmall(float* x, float* dy, float* dw, in ConvShape s)
    {
        int k = s.K, l = s.L, og = s.Og, per = Math.Min(s.N, SmallImages(s)), most = per * l;
        var col = BufferPool<float>.Rent(k * most);
        var grad = BufferPool<float>.Rent(og * most);
        var shape = s;
        fixed (float* pc = col, pg = grad)
        {
            float* cp = pc, gp = pg;
            for (int g = 0; g < s.Groups; g++)
            {
                for (int n0 = 0; n0 < s.N; n0 += per)
                {
                    int images = Math.Min(per, s.N - n0), cols = images * l, group = g;
                    Parallel.For(images, 1, (lo, hi) => UnfoldImages(x, n0, lo, hi, group, cp, cols, shape));
                    GatherGradient(dy, n0, images, g, gp, cols, s);
                    Gemm.Sgemm(false, true, og, k, cols, 1f, new ReadOnlySpan<float>(gp, og * cols), cols,
                        new ReadOnlySpan<float>(cp, k * cols), cols, 1f, new Span<float>(dw + (long)g * og * k, og * k),
                        k, PackedSgemm.BestPath, Threads.Count);
                }
            }
        }
        BufferPool<float>.Return(grad);
        BufferPool<float>.Return(col);
    }

    // dx for strided small maps (unit strides take the forward with flipped weights): per group and chunk of
    // images, the chunk's dY gathered into Og × columns, dcol = Wᵀ · dY with all threads, then each image's columns
    // added back into its plane (Col2Im).
    private static void BackwardInputSmall(float* dy, float* w, float* dx, in ConvShape s)
    {
        int k = s.K, l = s.L, og = s.Og, per = Math.Min(s.N, SmallImages(s)), most = per * l;
        var col = BufferPool<float>.Rent(k * most);
        var grad = BufferPool<float>.Rent(og * most);
        var shape = s;
        fixed (float* pc = col, pg = grad)
        {
            float* cp = pc, gp = pg;
            for (int g = 0; g < s.Groups; g++)
            {
                for (int n0 = 0; n0 < s.N; n0 += per)
                {
                    int images = Math.Min(per, s.N - n0), cols = images * l, group = g;
                    GatherGradient(dy, n0, images, g, gp, cols, s);
                    Gemm.Sgemm(true, false, k, cols, og, 1f, new ReadOnlySpan<float>(w + (long)g * og * k, og * k), k,
                        new ReadOnlySpan<float>(gp, og * cols), cols, 0f, new Span<float>(cp, k * cols), cols,
                        PackedSgemm.BestPath, Threads.Count);
                    Parallel.For(images, 1, (lo, hi) =>
                    {
                        for (int i = lo; i < hi; i++)
                        {
                            long plane = (long)shape.Cg * shape.H * shape.W;
                            var dxg = new Span<float>(dx + ((long)(n0 + i) * shape.C + group * shape.Cg) * shape.H *
                                shape.W, (int)plane);
                            Col2Im(new ReadOnlySpan<float>(cp + (long)i * l, (k - 1) * cols + l), dxg, cols, shape);
                        }
                    });
                }
            }
        }
        BufferPool<float>.Return(grad);
        BufferPool<float>.Return(col);
    }

    // dY of images [n0, n0 + images), group g, into grad (Og × cols): image i's plane of channel o at column i·L.
    private static void GatherGradient(float* dy, int n0, int images, int g, float* grad, int cols, in ConvShape s)
    {
        int l = s.L, og = s.Og;
        for (int i = 0; i < images; i++)
        {
            for (int o = 0; o < og; o++)
            {
                new ReadOnlySpan<float>(dy + ((long)(n0 + i) * s.O + g * og + o) * l, l)
                    .CopyTo(new Span<float>(grad + (long)o * cols + (long)i * l, l));
            }
        }
    }
}
