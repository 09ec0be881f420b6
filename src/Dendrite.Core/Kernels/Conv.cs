namespace Dendrite.Kernels;

/// <summary>
/// Float32 convolution by im2col + GEMM. For each image n and group g the input is unfolded into a K×L matrix
/// (K = Cg·KH·KW rows, one per weight element; L = OH·OW columns, one per output position), so that
///   forward:        Y[n,g] (Og×L)  = W[g] (Og×K) · col (K×L) + b
///   input grad:     col (K×L)      = W[g]ᵀ (K×Og) · dY[n,g] (Og×L), folded back by col2im (overlaps add)
///   weight grad:    dW[g] (Og×K)  += dY[n,g] (Og×L) · colᵀ (L×K)
/// A 1×1 convolution with stride 1 and no padding needs no unfolding: the image itself is the K×L matrix.
/// Depthwise convolutions take the same path: measured once (4×32×56×56, 3×3, single thread), im2col + GEMM took
/// 7.2 ms against 10.5 ms for the direct loops of ConvReference (and 27 ms against 445 ms for a dense 3×3).
/// </summary>
public static class Conv
{
    /// <summary>y = conv(x, w) + b over contiguous NCHW buffers; <paramref name="bias"/> may be empty.</summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y,
        in ConvShape s)
    {
        int k = s.K, l = s.L, og = s.Og;
        bool direct = IsPointwise(s);
        var colArray = direct ? null : BufferPool<float>.Rent(k * l);
        for (int n = 0; n < s.N; n++)
        {
            for (int g = 0; g < s.Groups; g++)
            {
                var xg = x.Slice((n * s.C + g * s.Cg) * s.H * s.W, s.Cg * s.H * s.W);
                ReadOnlySpan<float> col = xg;
                if (colArray is not null)
                {
                    Im2Col(xg, colArray.AsSpan(0, k * l), s);
                    col = colArray.AsSpan(0, k * l);
                }
                var yg = y.Slice((n * s.O + g * og) * l, og * l);
                if (!bias.IsEmpty)
                {
                    for (int o = 0; o < og; o++) yg.Slice(o * l, l).Fill(bias[g * og + o]);
                }
                Gemm.Sgemm(false, false, og, l, k, 1f, w.Slice(g * og * k, og * k), k, col, l,
                    bias.IsEmpty ? 0f : 1f, yg, l);
            }
        }
        if (colArray is not null) BufferPool<float>.Return(colArray);
    }

    /// <summary>dx = ∂(Σ y·dy)/∂x. Overwrites dx.</summary>
    public static void BackwardInput(ReadOnlySpan<float> dy, ReadOnlySpan<float> w, Span<float> dx, in ConvShape s)
    {
        int k = s.K, l = s.L, og = s.Og, plane = s.Cg * s.H * s.W;
        bool direct = IsPointwise(s);
        var colArray = direct ? null : BufferPool<float>.Rent(k * l);
        for (int n = 0; n < s.N; n++)
        {
            for (int g = 0; g < s.Groups; g++)
            {
                var dxg = dx.Slice((n * s.C + g * s.Cg) * s.H * s.W, plane);
                var col = colArray is null ? dxg : colArray.AsSpan(0, k * l);
                Gemm.Sgemm(true, false, k, l, og, 1f, w.Slice(g * og * k, og * k), k,
                    dy.Slice((n * s.O + g * og) * l, og * l), l, 0f, col, l);
                if (colArray is not null) Col2Im(col, dxg, s);
            }
        }
        if (colArray is not null) BufferPool<float>.Return(colArray);
    }

    /// <summary>dw = ∂(Σ y·dy)/∂w. Overwrites dw.</summary>
    public static void BackwardWeight(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dw, in ConvShape s)
    {
        int k = s.K, l = s.L, og = s.Og;
        bool direct = IsPointwise(s);
        var colArray = direct ? null : BufferPool<float>.Rent(k * l);
        dw.Clear();
        for (int n = 0; n < s.N; n++)
        {
            for (int g = 0; g < s.Groups; g++)
            {
                var xg = x.Slice((n * s.C + g * s.Cg) * s.H * s.W, s.Cg * s.H * s.W);
                ReadOnlySpan<float> col = xg;
                if (colArray is not null)
                {
                    Im2Col(xg, colArray.AsSpan(0, k * l), s);
                    col = colArray.AsSpan(0, k * l);
                }
                Gemm.Sgemm(false, true, og, k, l, 1f, dy.Slice((n * s.O + g * og) * l, og * l), l, col, l, 1f,
                    dw.Slice(g * og * k, og * k), k);
            }
        }
        if (colArray is not null) BufferPool<float>.Return(colArray);
    }

    /// <summary>Unfolds one group of one image, (Cg, H, W), into col (K×L); positions in the padding read 0.</summary>
    public static void Im2Col(ReadOnlySpan<float> x, Span<float> col, in ConvShape s)
    {
        int row = 0;
        for (int c = 0; c < s.Cg; c++)
        {
            for (int p = 0; p < s.KH; p++)
            {
                for (int q = 0; q < s.KW; q++, row++)
                {
                    var dst = col.Slice(row * s.L, s.L);
                    for (int i = 0; i < s.OH; i++)
                    {
                        var d = dst.Slice(i * s.OW, s.OW);
                        int h = i * s.StrideH - s.PadTop + p * s.DilationH;
                        if ((uint)h >= (uint)s.H)
                        {
                            d.Clear();
                            continue;
                        }
                        var src = x.Slice((c * s.H + h) * s.W, s.W);
                        int v = q * s.DilationW - s.PadLeft;
                        for (int j = 0; j < s.OW; j++, v += s.StrideW) d[j] = (uint)v < (uint)s.W ? src[v] : 0f;
                    }
                }
            }
        }
    }

    /// <summary>The adjoint of <see cref="Im2Col"/>: adds every column entry back onto the input position it was
    /// read from. Overwrites dx (one group of one image).</summary>
    public static void Col2Im(ReadOnlySpan<float> col, Span<float> dx, in ConvShape s)
    {
        dx.Clear();
        int row = 0;
        for (int c = 0; c < s.Cg; c++)
        {
            for (int p = 0; p < s.KH; p++)
            {
                for (int q = 0; q < s.KW; q++, row++)
                {
                    var src = col.Slice(row * s.L, s.L);
                    for (int i = 0; i < s.OH; i++)
                    {
                        int h = i * s.StrideH - s.PadTop + p * s.DilationH;
                        if ((uint)h >= (uint)s.H) continue;
                        var d = dx.Slice((c * s.H + h) * s.W, s.W);
                        var r = src.Slice(i * s.OW, s.OW);
                        int v = q * s.DilationW - s.PadLeft;
                        for (int j = 0; j < s.OW; j++, v += s.StrideW)
                        {
                            if ((uint)v < (uint)s.W) d[v] += r[j];
                        }
                    }
                }
            }
        }
    }

    private static bool IsPointwise(in ConvShape s) =>
        s.KH == 1 && s.KW == 1 && s.StrideH == 1 && s.StrideW == 1 && s.PadTop == 0 && s.PadLeft == 0 &&
        s.OH == s.H && s.OW == s.W;
}
