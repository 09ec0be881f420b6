using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dendrite.Kernels;

// Convolutions over small feature maps (ResNet's last stages: 7×7 and 4×4 outputs): the images of the batch are
// unfolded side by side, so that one product covers many images. A kernel that tiles one image at a time computes
// mostly padding there (a 7×7 map fills 49 of the 80 lanes of its tiles), and a per-image product has only L
// columns.
internal static unsafe partial class Conv
{
    // Columns of one batched product: the unfolding (K × columns) and the product (Og × columns) stay within a few
    // MiB for the K of a 512-channel 3×3 layer.
    private const int SmallColumns = 1024;

    // Images per batched product: as many as fit in SmallColumns columns, and in an unfolding of at most 8M floats
    // (32 MiB: a 2048-channel 3×3 layer gets about 450 columns), at least one.
    private static int SmallImages(in ConvShape s) =>
        Math.Max(1, Math.Min(SmallColumns, (8 << 20) / Math.Max(1, s.K)) / s.L);

    // One chunk of images [n0, n0 + images) of group g, cols = images·L columns: col holds K × cols floats (the
    // chunk's unfolding), planes Og × cols (its channel planes side by side, see MovePlanes).
    private delegate void SmallChunk(int g, int n0, int images, int cols, float* col, float* planes);

    // Runs body for every group and chunk of images, with pooled buffers for the chunk's unfolding and planes.
    private static void SmallChunks(in ConvShape s, SmallChunk body)
    {
        int per = Math.Min(s.N, SmallImages(s)), most = per * s.L;
        var col = BufferPool<float>.Rent(s.K * most);
        var planes = BufferPool<float>.Rent(s.Og * most);
        fixed (float* pc = col, pp = planes)
        {
            for (int g = 0; g < s.Groups; g++)
            {
                for (int n0 = 0; n0 < s.N; n0 += per)
                {
                    int images = Math.Min(per, s.N - n0);
                    body(g, n0, images, images * s.L, pc, pp);
                }
            }
        }
        BufferPool<float>.Return(planes);
        BufferPool<float>.Return(col);
    }

    // Between the NCHW tensor t (images n0 .., group g's Og channels) and a chunk's planes (Og × cols, image i's
    // plane of channel o at column i·L): gathered into planes, or scattered out of them with bias[g·Og + o] added
    // when bias is not null.
    private static void MovePlanes(float* t, float* planes, int n0, int images, int g, int cols, bool gather,
        float* bias, in ConvShape s)
    {
        int l = s.L, og = s.Og;
        for (int i = 0; i < images; i++)
        {
            for (int o = 0; o < og; o++)
            {
                var chunk = new Span<float>(planes + (long)o * cols + (long)i * l, l);
                var plane = new Span<float>(t + ((long)(n0 + i) * s.O + g * og + o) * l, l);
                if (gather) plane.CopyTo(chunk);
                else if (bias is null) chunk.CopyTo(plane);
                else System.Numerics.Tensors.TensorPrimitives.Add(chunk, bias[g * og + o], plane);
            }
        }
    }

    // y = conv(x, w) + b, chunk by chunk: unfold, multiply with all threads, scatter into y.
    private static void ForwardSmall(float* x, float* w, float* bias, float* y, in ConvShape s)
    {
        var shape = s;
        int k = s.K, og = s.Og;
        SmallChunks(s, (g, n0, images, cols, col, planes) =>
        {
            Parallel.For(images, 1, (lo, hi) => UnfoldImages(x, n0, lo, hi, g, col, cols, shape));
            Gemm.Sgemm(false, false, og, cols, k, 1f, new ReadOnlySpan<float>(w + (long)g * og * k, og * k), k,
                new ReadOnlySpan<float>(col, k * cols), cols, 0f, new Span<float>(planes, og * cols), cols,
                PackedSgemm.BestPath, Threads.Count);
            MovePlanes(y, planes, n0, images, g, cols, false, bias, shape);
        });
    }

    // Images [n0 + lo, n0 + hi) of group g unfolded into col (K rows, ld floats apart, image i at column i·L). Each
    // image is first zero-padded, so that every output row of an unfolded row is a few vector moves from its padded
    // row: with AVX2 and unit strides, masked moves of 8 floats (UnitRows); with AVX-512, a column stride of 2 to 31
    // and a kernel wider than 1×1, lane permutes (StridedRows); with AVX2 alone and column stride 2, even-lane
    // shuffles (EvenRows). Otherwise Im2Col.
    private static void UnfoldImages(float* x, int n0, int lo, int hi, int g, float* col, int ld, in ConvShape s)
    {
        // A 1×1 kernel reads each input value at most once: padding the image first would only add a pass (ResNet's
        // 1×1 stride-2 projection onto 7×7 measured slower that way).
        if (Avx512F.IsSupported && s.StrideW > 1 && s.StrideW < 32 && s.KH * s.KW > 1)
        {
            UnfoldPadded(x, n0, lo, hi, g, col, ld, s, new StridedRows(s.StrideW));
            return;
        }
        if (Avx2.IsSupported && s.StrideW == 1)
        {
            UnfoldPadded(x, n0, lo, hi, g, col, ld, s, new UnitRows(s.OW));
            return;
        }
        if (Avx2.IsSupported && s.StrideW == 2 && s.KH * s.KW > 1)
        {
            UnfoldPadded(x, n0, lo, hi, g, col, ld, s, new EvenRows(s.OW));
            return;
        }
        for (int i = lo; i < hi; i++)
        {
            var xg = new ReadOnlySpan<float>(x + ((long)(n0 + i) * s.C + g * s.Cg) * s.H * s.W, s.Cg * s.H * s.W);
            Im2Col(xg, new Span<float>(col + (long)i * s.L, (s.K - 1) * ld + s.L), ld, s);
        }
    }

    // Copies one output row of an unfolded row (ow values, the column stride apart from src on) to dst; may read up
    // to 32 floats past the row's last value.
    private interface IRowMove
    {
        void Move(float* src, float* dst, int ow);
    }

    // Unit column stride with AVX2: 8 floats at a time, the row's end through a masked move.
    private readonly struct UnitRows(int ow) : IRowMove
    {
        private readonly Vector256<float> tail =
            Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(ow % 8)).AsSingle();

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Move(float* src, float* dst, int ow)
        {
            int j = 0;
            for (; j + 8 <= ow; j += 8) Vector256.Load(src + j).Store(dst + j);
            if (j < ow) Avx.MaskStore(dst + j, tail, Avx.MaskLoad(src + j, tail));
        }
    }

    // Column stride 2 with AVX2: the even lanes of 16 consecutive floats, 8 values at a time, the row's end through a
    // masked store (a DCGAN discriminator's 4×4 stride-2 layer onto 7×7 spent its unfolding in Im2Col's per-row
    // bookkeeping, as StridedRows says below).
    private readonly struct EvenRows(int ow) : IRowMove
    {
        private readonly Vector256<float> tail =
            Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(ow % 8)).AsSingle();

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Move(float* src, float* dst, int ow)
        {
            int j = 0;
            for (; j + 8 <= ow; j += 8) Even(src + 2 * j).Store(dst + j);
            if (j < ow) Avx.MaskStore(dst + j, tail, Even(src + 2 * j));
        }

        // src[0], src[2], …, src[14]: a shuffle picks the even lanes per 128-bit half, a permute orders the halves.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<float> Even(float* src) =>
            Avx2.Permute4x64(Avx.Shuffle(Vector256.Load(src), Vector256.Load(src + 8), 0x88).AsDouble(), 0xD8)
                .AsSingle();
    }

    // Column strides of 2 to 31 with AVX-512: pieces of up to 32 / stride values, each one lane permute of the 32
    // floats that start at the piece's first value and one masked store. Strided layers onto small maps spent most of
    // their forward in Im2Col's per-row bookkeeping (7 values a row for ResNet's downsampling onto 7×7).
    private readonly struct StridedRows(int sw) : IRowMove
    {
        private readonly Vector512<int> index = Vector512<int>.Indices * sw;
        private readonly int piece = 31 / sw + 1;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Move(float* src, float* dst, int ow)
        {
            for (int j = 0; j < ow; j += piece)
            {
                float* w = src + (long)j * sw;
                var v = Avx512F.PermuteVar16x32x2(Vector512.Load(w), index, Vector512.Load(w + 16));
                var mask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(Math.Min(piece, ow - j)));
                Avx512F.MaskStore(dst + j, mask.AsSingle(), v);
            }
        }
    }

    // UnfoldImages through a padded copy of each image: rows of (OW - 1)·sw + (KW - 1)·dw + 1 floats, the rows the
    // taps read, and 32 floats of slack past the last for the row mover's reads.
    private static void UnfoldPadded<TRows>(float* x, int n0, int lo, int hi, int g, float* col, int ld,
        in ConvShape s, TRows rows) where TRows : struct, IRowMove
    {
        int hp = PaddedHeight(s), wp = (s.OW - 1) * s.StrideW + (s.KW - 1) * s.DilationW + 1;
        var pad = BufferPool<float>.Rent(s.Cg * hp * wp + 32);
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
                            for (int r = 0; r < s.OH; r++, src += s.StrideH * wp, d += s.OW) rows.Move(src, d, s.OW);
                        }
                    }
                }
            }
        }
        BufferPool<float>.Return(pad);
    }

    // dw (cleared by the caller) += dY · colᵀ, chunk by chunk: the chunk's unfolding and its dY planes, one product
    // with all threads.
    private static void BackwardWeightSmall(float* x, float* dy, float* dw, in ConvShape s)
    {
        var shape = s;
        int k = s.K, og = s.Og;
        SmallChunks(s, (g, n0, images, cols, col, planes) =>
        {
            Parallel.For(images, 1, (lo, hi) => UnfoldImages(x, n0, lo, hi, g, col, cols, shape));
            MovePlanes(dy, planes, n0, images, g, cols, true, null, shape);
            Gemm.Sgemm(false, true, og, k, cols, 1f, new ReadOnlySpan<float>(planes, og * cols), cols,
                new ReadOnlySpan<float>(col, k * cols), cols, 1f, new Span<float>(dw + (long)g * og * k, og * k), k,
                PackedSgemm.BestPath, Threads.Count);
        });
    }

    // dx for strided small maps (unit strides take the forward with flipped weights), chunk by chunk: the chunk's dY
    // planes, dcol = Wᵀ · dY with all threads, then each image's columns added back into its plane (Col2Im).
    private static void BackwardInputSmall(float* dy, float* w, float* dx, in ConvShape s)
    {
        var shape = s;
        int k = s.K, og = s.Og;
        SmallChunks(s, (g, n0, images, cols, col, planes) =>
        {
            MovePlanes(dy, planes, n0, images, g, cols, true, null, shape);
            Gemm.Sgemm(true, false, k, cols, og, 1f, new ReadOnlySpan<float>(w + (long)g * og * k, og * k), k,
                new ReadOnlySpan<float>(planes, og * cols), cols, 0f, new Span<float>(col, k * cols), cols,
                PackedSgemm.BestPath, Threads.Count);
            Parallel.For(shape.Cg, 1, (lo, hi) => Col2ImImages(col, cols, dx, n0, images, g, lo, hi, shape));
        });
    }

    // The adjoint of the side-by-side unfolding for input channels [c0, c1) of group g and images [n0, n0 + images):
    // col holds K rows ld floats apart, image i's columns at i·L. Row by row, every image in turn, so col streams
    // through once and the channel's planes (images × H × W floats) stay in L1 across its KH·KW rows; image by image
    // instead, each image read a short piece of every row of a many-MiB col. Overwrites those planes.
    private static void Col2ImImages(float* col, int ld, float* dx, int n0, int images, int g, int c0, int c1,
        in ConvShape s)
    {
        int hw = s.H * s.W;
        for (int c = c0; c < c1; c++)
        {
            float* plane0 = dx + ((long)n0 * s.C + g * s.Cg + c) * hw;
            for (int i = 0; i < images; i++) new Span<float>(plane0 + (long)i * s.C * hw, hw).Clear();
            for (int p = 0; p < s.KH; p++)
            {
                for (int q = 0; q < s.KW; q++)
                {
                    float* src = col + ((long)(c * s.KH + p) * s.KW + q) * ld;
                    int v0 = q * s.DilationW - s.PadLeft;
                    var (jlo, jhi) = Inside(v0, s.StrideW, s.W, s.OW);
                    if (jlo >= jhi) continue;
                    for (int oh = 0; oh < s.OH; oh++)
                    {
                        int h = oh * s.StrideH - s.PadTop + p * s.DilationH;
                        if ((uint)h >= (uint)s.H) continue;
                        for (int i = 0; i < images; i++)
                        {
                            float* d = plane0 + (long)i * s.C * hw + h * s.W + v0;
                            float* r = src + (long)i * s.L + oh * s.OW;
                            AddStrided(d, r, jlo, jhi, s.StrideW, s.W - v0);
                        }
                    }
                }
            }
        }
    }

    // d[j·stride] += r[j] for j in [lo, hi); d[rowLength - 1] is the last float of the row that may be touched.
    private static void AddStrided(float* d, float* r, int lo, int hi, int stride, int rowLength)
    {
        if (stride == 1)
        {
            var t = new Span<float>(d + lo, hi - lo);
            System.Numerics.Tensors.TensorPrimitives.Add(t, new ReadOnlySpan<float>(r + lo, hi - lo), t);
        }
        else if (stride == 2)
        {
            AddStride2(d, lo * 2, r + lo, hi - lo, rowLength);
        }
        else
        {
            for (int j = lo; j < hi; j++) d[j * stride] += r[j];
        }
    }
}
