using Dendrite.Kernels;

namespace Dendrite;

// Pooling over the last two dimensions (2-D) or the last one (1-D); every leading dimension is a batch of planes,
// so (N, C, H, W) and (C, H, W) both work. Window rules, output sizes (ceil mode included) and average divisors
// follow PyTorch. The kernels (Kernels/Pool.cs) are generic, so float64 runs the same code as float32.
public partial class Tensor
{
    /// <summary>Max pooling.   (*, H, W) → (*, OH, OW); stride defaults to the kernel size.</summary>
    public Tensor MaxPool2d((int H, int W) kernel, (int H, int W)? stride = null, (int H, int W) padding = default,
        (int H, int W)? dilation = null, bool ceilMode = false) =>
        MaxPool("MaxPool2d", this, 2, kernel, stride ?? kernel, CheckedPadding("MaxPool2d", kernel, padding,
            dilation ?? (1, 1)), dilation ?? (1, 1), ceilMode, indices: false).Values;

    /// <summary>Max pooling that also returns, for each output, the flat index h·W + w of its maximum in the plane
    /// (Int64, as PyTorch's return_indices).</summary>
    public (Tensor Values, Tensor Indices) MaxPool2dWithIndices((int H, int W) kernel, (int H, int W)? stride = null,
        (int H, int W) padding = default, (int H, int W)? dilation = null, bool ceilMode = false)
    {
        var st = stride ?? kernel;
        var dl = dilation ?? (1, 1);
        CheckHalfKernel("MaxPool2d", kernel, padding, dl);
        return MaxPool("MaxPool2d", this, 2, kernel, st, (padding.H, padding.W, padding.H, padding.W), dl, ceilMode);
    }

    /// <summary>Max pooling with separate padding at each edge (ONNX pads); padding positions never win.</summary>
    public (Tensor Values, Tensor Indices) MaxPool2dWithIndices((int H, int W) kernel, (int H, int W) stride,
        (int Top, int Left, int Bottom, int Right) padding, (int H, int W) dilation, bool ceilMode) =>
        MaxPool("MaxPool2d", this, 2, kernel, stride, padding, dilation, ceilMode);

    /// <summary>1-D max pooling.   (*, L) → (*, OL).</summary>
    public Tensor MaxPool1d(int kernel, int? stride = null, int padding = 0, int dilation = 1, bool ceilMode = false)
    {
        CheckHalfKernel("MaxPool1d", (1, kernel), (0, padding), (1, dilation));
        return MaxPool("MaxPool1d", this, 1, (1, kernel), (1, stride ?? kernel), (0, padding, 0, padding),
            (1, dilation), ceilMode, indices: false).Values;
    }

    /// <summary>1-D max pooling with the index of each maximum along L.</summary>
    public (Tensor Values, Tensor Indices) MaxPool1dWithIndices(int kernel, int? stride = null, int padding = 0,
        int dilation = 1, bool ceilMode = false)
    {
        CheckHalfKernel("MaxPool1d", (1, kernel), (0, padding), (1, dilation));
        var (v, i) = MaxPool("MaxPool1d", this, 1, (1, kernel), (1, stride ?? kernel), (0, padding, 0, padding),
            (1, dilation), ceilMode);
        return (v, i);
    }

    /// <summary>Average pooling.   (*, H, W) → (*, OH, OW). With <paramref name="countIncludePad"/> the divisor
    /// counts padding positions (PyTorch's default), otherwise only image positions.</summary>
    public Tensor AvgPool2d((int H, int W) kernel, (int H, int W)? stride = null, (int H, int W) padding = default,
        bool ceilMode = false, bool countIncludePad = true)
    {
        CheckHalfKernel("AvgPool2d", kernel, padding, (1, 1));
        return AvgPool2d(kernel, stride ?? kernel, (padding.H, padding.W, padding.H, padding.W), ceilMode,
            countIncludePad);
    }

    /// <summary>Average pooling with separate padding at each edge (ONNX pads).</summary>
    public Tensor AvgPool2d((int H, int W) kernel, (int H, int W) stride,
        (int Top, int Left, int Bottom, int Right) padding, bool ceilMode, bool countIncludePad) =>
        AvgPool("AvgPool2d", this, 2, kernel, stride, padding, ceilMode, countIncludePad);

    /// <summary>1-D average pooling.   (*, L) → (*, OL).</summary>
    public Tensor AvgPool1d(int kernel, int? stride = null, int padding = 0, bool ceilMode = false,
        bool countIncludePad = true)
    {
        CheckHalfKernel("AvgPool1d", (1, kernel), (0, padding), (1, 1));
        return AvgPool("AvgPool1d", this, 1, (1, kernel), (1, stride ?? kernel), (0, padding, 0, padding), ceilMode,
            countIncludePad);
    }

    /// <summary>Adaptive average pooling to a fixed output size.   (*, H, W) → (*, outH, outW); cell i averages rows
    /// ⌊i·H/outH⌋ .. ⌈(i+1)·H/outH⌉.</summary>
    public Tensor AdaptiveAvgPool2d(int outH, int outW)
    {
        const string op = "AdaptiveAvgPool2d";
        if (Rank < 2 || !DType.IsFloating() || outH < 1 || outW < 1)
            throw new ArgumentException($"{op}: needs a floating-point input of rank ≥ 2 and an output size ≥ 1, " +
                $"got {DType} {Shapes.Format(shape)} → {outH}x{outW}");
        var x = this;
        var s = new PoolShape(Numel / Math.Max(1, shape[^2] * shape[^1]), shape[^2], shape[^1], 0, 0, outH, outW,
            1, 1, 0, 0, 0, 0, 1, 1);
        int[] outShape = [.. shape[..^2], outH, outW];
        var y = RunPool(x, outShape, (xc, yc) =>
        {
            if (xc.DType == DType.Float32) Pool.AdaptiveAvgForward<float>(xc.Span<float>(), yc.Span<float>(), s);
            else Pool.AdaptiveAvgForward<double>(xc.Span<double>(), yc.Span<double>(), s);
        });
        return y.Record(op, [x], g => [RunPool(g, x.shape, (gc, dx) =>
        {
            if (gc.DType == DType.Float32) Pool.AdaptiveAvgBackward<float>(gc.Span<float>(), dx.Span<float>(), s);
            else Pool.AdaptiveAvgBackward<double>(gc.Span<double>(), dx.Span<double>(), s);
        })], attributes: [("outputSize", new[] { outH, outW })], differentiable: false);
    }

    /// <summary>Adaptive max pooling to a fixed output size.   (*, H, W) → (*, outH, outW); cell (i, j) is the maximum
    /// over rows ⌊i·H/outH⌋ .. ⌈(i+1)·H/outH⌉ and the matching columns, as PyTorch. When the sizes divide evenly it is
    /// a max pool with kernel = stride = H/outH; otherwise each cell is a max over its narrowed window.</summary>
    public Tensor AdaptiveMaxPool2d(int outH, int outW)
    {
        const string op = "AdaptiveMaxPool2d";
        if (Rank < 3 || !DType.IsFloating() || outH < 1 || outW < 1)
            throw new ArgumentException($"{op}: needs a floating-point input (*, H, W) with a channel dimension and " +
                $"an output size ≥ 1, got {DType} {Shapes.Format(shape)} → {outH}x{outW}");
        int h = shape[^2], w = shape[^1];
        if (h % outH == 0 && w % outW == 0) return MaxPool2d((h / outH, w / outW));
        var rows = new Tensor[outH];
        for (int i = 0; i < outH; i++)
        {
            int r0 = i * h / outH, r1 = ((i + 1) * h + outH - 1) / outH;
            var band = Narrow(Rank - 2, r0, r1 - r0);
            var cells = new Tensor[outW];
            for (int j = 0; j < outW; j++)
            {
                int c0 = j * w / outW, c1 = ((j + 1) * w + outW - 1) / outW;
                cells[j] = band.Narrow(Rank - 1, c0, c1 - c0).Max([Rank - 2, Rank - 1], keepDim: true);
            }
            rows[i] = Cat(cells, Rank - 1);
        }
        return Cat(rows, Rank - 2);
    }

    /// <summary>The partial inverse of max pooling (PyTorch's max_unpool2d): each value of x goes to the flat
    /// position h·W + w its index names in an output plane of <paramref name="outputSize"/>; every other position is
    /// zero. x and indices (N, C, H, W) → (N, C, OH, OW); dx: the output gradient read back at the indices.</summary>
    public Tensor MaxUnpool2d(Tensor indices, int outputHeight, int outputWidth)
    {
        var outputSize = (H: outputHeight, W: outputWidth);
        const string op = "MaxUnpool2d";
        if (Rank < 3 || !DType.IsFloating() || indices.DType != DType.Int64 ||
            !shape.AsSpan().SequenceEqual(indices.shape))
            throw new ArgumentException($"{op}: needs floating-point values (*, H, W) and Int64 indices of the same " +
                $"shape, got {DType} {Shapes.Format(shape)} and {indices.DType} {Shapes.Format(indices.shape)}");
        if (outputSize.H < 1 || outputSize.W < 1)
            throw new ArgumentException($"{op}: output size {outputSize} must be positive");
        long plane = (long)outputSize.H * outputSize.W;
        var ix = indices.Contiguous().ToArray<long>();
        foreach (long i in ix)
        {
            if (i < 0 || i >= plane)
                throw new ArgumentException($"{op}: index {i} is outside the output plane " +
                    $"{outputSize.H}x{outputSize.W} of input {Shapes.Format(shape)}");
        }
        int lead = Numel / Math.Max(1, shape[^2] * shape[^1]);
        var flat = Reshape(lead, shape[^2] * shape[^1]);
        var y = Zeros(DType, lead, (int)plane).Scatter(1, indices.Reshape(lead, -1), flat);
        return y.Reshape([.. shape[..^2], outputSize.H, outputSize.W]);
    }

    /// <summary>Max unpooling with PyTorch's default output size (H-1)·stride - 2·padding + kernel per dimension.
    /// </summary>
    public Tensor MaxUnpool2d(Tensor indices, (int H, int W) kernel, (int H, int W)? stride = null,
        (int H, int W) padding = default)
    {
        var st = stride ?? kernel;
        if (Rank < 3)
            throw new ArgumentException(
                $"MaxUnpool2d: needs (*, H, W) with a channel dimension, got {Shapes.Format(shape)}");
        return MaxUnpool2d(indices, (shape[^2] - 1) * st.H - 2 * padding.H + kernel.H,
            (shape[^1] - 1) * st.W - 2 * padding.W + kernel.W);
    }

    /// <summary>Local response normalisation across channels (Krizhevsky et al., 2012), as PyTorch:
    /// y = x / (k + α/n · Σ x²)^β, the sum over the n channels c - ⌊n/2⌋ .. c + ⌊(n-1)/2⌋.   (N, C, *) → same.
    /// Composed of differentiable ops.</summary>
    public Tensor LocalResponseNorm(int size, double alpha = 1e-4, double beta = 0.75, double k = 1)
    {
        if (Rank < 3 || size < 1)
            throw new ArgumentException(
                $"LocalResponseNorm: needs (N, C, *) input and size ≥ 1, got {Shapes.Format(shape)}, size {size}");
        int c = shape[1];
        var before = new int[Rank];
        var after = new int[Rank];
        before[1] = size / 2;
        after[1] = (size - 1) / 2;
        var sq = (this * this).PadDims(before, after);
        var sum = sq.Narrow(1, 0, c);
        for (int i = 1; i < size; i++) sum = sum + sq.Narrow(1, i, c);
        return this / (sum * (alpha / size) + k).Pow(beta);
    }

    // Values and indices; with indices false and no gradient to record, the kernel writes no indices and the
    // second tensor is empty (0 elements).
    private static (Tensor Values, Tensor Indices) MaxPool(string op, Tensor x, int dims, (int H, int W) kernel,
        (int H, int W) stride, (int Top, int Left, int Bottom, int Right) padding, (int H, int W) dilation,
        bool ceilMode, bool indices = true)
    {
        var s = MakePool(op, x, dims, kernel, stride, padding, dilation, ceilMode, out var outShape);
        bool record = Autograd.IsEnabled && x.RequiresGrad;
        var idx = indices || record ? Empty(DType.Int64, outShape) : Empty(DType.Int64, [0]);
        var y = RunPool(x, outShape, (xc, yc) =>
        {
            var ix = idx.Span<long>();
            if (xc.DType == DType.Float32) Pool.MaxForward<float>(xc.Span<float>(), yc.Span<float>(), ix, s);
            else Pool.MaxForward<double>(xc.Span<double>(), yc.Span<double>(), ix, s);
        });
        if (!record) return (y, idx);
        y = y.Record(op, [x], g => [RunPool(g, x.shape, (gc, dx) =>
        {
            var ix = idx.Span<long>();
            if (gc.DType == DType.Float32) Pool.MaxBackward<float>(gc.Span<float>(), ix, dx.Span<float>(), s);
            else Pool.MaxBackward<double>(gc.Span<double>(), ix, dx.Span<double>(), s);
        })], saved: [idx], attributes: PoolAttributes(kernel, stride, padding, dilation, ceilMode),
            differentiable: false);
        return (y, idx);
    }

    private static Tensor AvgPool(string op, Tensor x, int dims, (int H, int W) kernel, (int H, int W) stride,
        (int Top, int Left, int Bottom, int Right) padding, bool ceilMode, bool includePad)
    {
        var s = MakePool(op, x, dims, kernel, stride, padding, (1, 1), ceilMode, out var outShape);
        var y = RunPool(x, outShape, (xc, yc) =>
        {
            if (xc.DType == DType.Float32) Pool.AvgForward<float>(xc.Span<float>(), yc.Span<float>(), s, includePad);
            else Pool.AvgForward<double>(xc.Span<double>(), yc.Span<double>(), s, includePad);
        });
        return y.Record(op, [x], g => [RunPool(g, x.shape, (gc, dx) =>
        {
            if (gc.DType == DType.Float32) Pool.AvgBackward<float>(gc.Span<float>(), dx.Span<float>(), s, includePad);
            else Pool.AvgBackward<double>(gc.Span<double>(), dx.Span<double>(), s, includePad);
        })], attributes:
            [.. PoolAttributes(kernel, stride, padding, (1, 1), ceilMode), ("countIncludePad", Box(includePad))],
            differentiable: false);
    }

    // Window attributes for Node.Attributes, as (H, W) pairs; a 1-D pool has H = 1.
    private static (string Name, object Value)[] PoolAttributes((int H, int W) kernel, (int H, int W) stride,
        (int Top, int Left, int Bottom, int Right) padding, (int H, int W) dilation, bool ceilMode)
    {
        return [("kernel", new[] { kernel.H, kernel.W }), ("stride", new[] { stride.H, stride.W }),
            ("padding", new[] { padding.Top, padding.Left, padding.Bottom, padding.Right }),
            ("dilation", new[] { dilation.H, dilation.W }), ("ceilMode", Box(ceilMode))];
    }

    // Runs a pooling kernel from a contiguous copy of src into a new tensor of outShape, without recording.
    private static Tensor RunPool(Tensor src, int[] outShape, Action<Tensor, Tensor> kernel)
    {
        var y = Empty(src.DType, outShape);
        using (Autograd.NoGrad()) kernel(src.Contiguous(), y);
        return y;
    }

    private static PoolShape MakePool(string op, Tensor x, int dims, (int H, int W) kernel, (int H, int W) stride,
        (int Top, int Left, int Bottom, int Right) padding, (int H, int W) dilation, bool ceilMode, out int[] outShape)
    {
        if (x.Rank < dims + 1 || !x.DType.IsFloating())
            throw new ArgumentException($"{op}: needs a floating-point input with a batch or channel dimension and " +
                $"{dims} spatial, got {x.DType} {Shapes.Format(x.shape)}");
        if (kernel.H < 1 || kernel.W < 1 || stride.H < 1 || stride.W < 1 || dilation.H < 1 || dilation.W < 1)
            throw new ArgumentException($"{op}: kernel {kernel}, stride {stride} and dilation {dilation} must be ≥ 1");
        if (padding.Top < 0 || padding.Left < 0 || padding.Bottom < 0 || padding.Right < 0)
            throw new ArgumentException($"{op}: padding {padding} must be non-negative");
        int h = dims == 2 ? x.shape[^2] : 1, w = x.shape[^1];
        int oh = PoolShape.OutputSize(h, kernel.H, stride.H, padding.Top, padding.Bottom, dilation.H, ceilMode);
        int ow = PoolShape.OutputSize(w, kernel.W, stride.W, padding.Left, padding.Right, dilation.W, ceilMode);
        if (oh < 1 || ow < 1)
            throw new ArgumentException($"{op}: input {Shapes.Format(x.shape)} with padding {padding} is smaller " +
                $"than the kernel {kernel} dilated by {dilation}: output would be {oh}x{ow}");
        outShape = dims == 2 ? [.. x.shape[..^2], oh, ow] : [.. x.shape[..^1], ow];
        return new PoolShape(x.Numel / Math.Max(1, h * w), h, w, kernel.H, kernel.W, oh, ow, stride.H, stride.W,
            padding.Top, padding.Left, padding.Bottom, padding.Right, dilation.H, dilation.W);
    }

    // The four-sided padding of a symmetric 2-D pool, after PyTorch's half-kernel check.
    private static (int Top, int Left, int Bottom, int Right) CheckedPadding(string op, (int H, int W) kernel,
        (int H, int W) padding, (int H, int W) dilation)
    {
        CheckHalfKernel(op, kernel, padding, dilation);
        return (padding.H, padding.W, padding.H, padding.W);
    }

    // PyTorch's rule for symmetric padding: at most half the (dilated) kernel, so every window sees the image.
    private static void CheckHalfKernel(string op, (int H, int W) kernel, (int H, int W) padding,
        (int H, int W) dilation)
    {
        if (padding.H > (dilation.H * (kernel.H - 1) + 1) / 2 || padding.W > (dilation.W * (kernel.W - 1) + 1) / 2)
            throw new ArgumentException($"{op}: padding {padding} must be at most half of the kernel {kernel}");
    }
}
