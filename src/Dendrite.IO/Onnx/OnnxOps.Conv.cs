namespace Dendrite.IO;

// Convolution and pooling operators (1-D and 2-D) on the Tensor ops of Tensor.Conv.cs / Tensor.Pool.cs. A 1-D
// node runs as 2-D with height 1. ONNX pads are [begin…, end…]; auto_pad SAME_UPPER / SAME_LOWER pad so that
// output = ⌈input / stride⌉, the odd element going at the end (UPPER) or the beginning (LOWER).
// GlobalAveragePool, GlobalMaxPool and BatchNormalization live in OnnxOps.Reduce.cs.
internal static partial class OnnxOps
{
    private static void AddConv(Dictionary<string, Func<OnnxNode, Tensor[]>> t)
    {
        t["Conv"] = One(Conv);
        t["ConvTranspose"] = One(ConvTranspose);
        t["MaxPool"] = MaxPool;
        t["AveragePool"] = One(AveragePool);
        t["LRN"] = One(Lrn);
        t["MaxUnpool"] = One(MaxUnpool);
    }

    // The window attributes of a node, lifted to 2-D: (H, W) pairs and (top, left, bottom, right) pads.
    private sealed record Window((int H, int W) Kernel, (int H, int W) Stride, (int H, int W) Dilation,
        (int Top, int Left, int Bottom, int Right) Pads);

    // Sanity limit on every kernel, stride, dilation and pad value: far above any network in use (the widest
    // kernels are in the hundreds), and small enough that the window arithmetic below cannot overflow.
    private const int MaxWindowValue = 1 << 20;

    // The most comparisons a pooling node may make (outputs × kernel area): a few seconds of work.
    private const long MaxPoolWork = 1L << 32;

    private static Window WindowOf(OnnxNode n, Tensor x, int[] kernel, bool transposed = false)
    {
        int d = x.Rank - 2;
        if (d is not (1 or 2)) throw new OnnxUnsupportedException($"{n.Op} with {d} spatial dimensions");
        if (kernel.Length != d)
            throw n.Error($"kernel_shape has {kernel.Length} values, expected {d} for input {Shapes.Format(x.Shape)}");
        CheckWindowValues(n, "kernel_shape", kernel.Select(k => (long)k).ToArray(), 1);
        int[] Ints(string name, int fallback, int count, int min)
        {
            var v = n.Ints(name);
            if (v is null) return Enumerable.Repeat(fallback, count).ToArray();
            if (v.Length != count) throw n.Error($"attribute '{name}' has {v.Length} values, expected {count}");
            CheckWindowValues(n, name, v, min);
            return v.Select(a => (int)a).ToArray();
        }
        var stride = Ints("strides", 1, d, 1);
        var dilation = Ints("dilations", 1, d, 1);
        var pads = Ints("pads", 0, 2 * d, 0);
        string autoPad = n.Str("auto_pad", "NOTSET");
        if (autoPad is "SAME_UPPER" or "SAME_LOWER" && !transposed)
        {
            for (int i = 0; i < d; i++)
            {
                // long: (kernel - 1)·dilation reaches 2⁴⁰ within the limits.
                long input = x.Shape[2 + i], output = (input + stride[i] - 1) / stride[i];
                long total = Math.Max(0, (output - 1) * stride[i] + (kernel[i] - 1L) * dilation[i] + 1 - input);
                if (total > 2L * MaxWindowValue)
                    throw n.Error($"auto_pad {autoPad} needs {total} padding on spatial axis {i}, more than "
                        + $"{2 * MaxWindowValue}");
                pads[i] = (int)(autoPad == "SAME_UPPER" ? total / 2 : total - total / 2);
                pads[d + i] = (int)total - pads[i];
            }
        }
        else if (autoPad == "VALID")
        {
            Array.Clear(pads);
        }
        else if (autoPad is not ("NOTSET" or "SAME_UPPER" or "SAME_LOWER"))
        {
            throw n.Error($"auto_pad '{autoPad}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID");
        }
        return d == 2
            ? new((kernel[0], kernel[1]), (stride[0], stride[1]), (dilation[0], dilation[1]),
                (pads[0], pads[1], pads[2], pads[3]))
            : new((1, kernel[0]), (1, stride[0]), (1, dilation[0]), (0, pads[0], 0, pads[1]));
    }

    private static void CheckWindowValues(OnnxNode n, string name, long[] values, int min)
    {
        foreach (long v in values)
        {
            if (v < min || v > MaxWindowValue)
                throw n.Error($"attribute '{name}' value {v} is outside {min}..{MaxWindowValue}");
        }
    }

    // Pooling loops over the kernel for every output: bound that work before running, from the output size the
    // window gives (floor or ceil mode alike within one element).
    private static void CheckPoolWork(OnnxNode n, Tensor x, Window win)
    {
        int d = x.Rank - 2;
        long planes = (long)x.Shape[0] * x.Shape[1], work = planes;
        (int K, int S, int D, int P0, int P1)[] axes = d == 2
            ? [(win.Kernel.H, win.Stride.H, win.Dilation.H, win.Pads.Top, win.Pads.Bottom),
                (win.Kernel.W, win.Stride.W, win.Dilation.W, win.Pads.Left, win.Pads.Right)]
            : [(win.Kernel.W, win.Stride.W, win.Dilation.W, win.Pads.Left, win.Pads.Right)];
        for (int i = 0; i < d; i++)
        {
            var (k, s, dil, p0, p1) = axes[i];
            long extent = (k - 1L) * dil + 1, padded = (long)x.Shape[2 + i] + p0 + p1;
            if (extent > padded)
                throw n.Error($"kernel extent {extent} on spatial axis {i} exceeds the padded input {padded} "
                    + $"(input {Shapes.Format(x.Shape)})");
            work = SaturatingMul(SaturatingMul(work, (padded - extent) / s + 2), k);
        }
        if (work > MaxPoolWork)
            throw n.Error($"pooling {Shapes.Format(x.Shape)} with kernel ({win.Kernel.H}, {win.Kernel.W}) would take "
                + $"{work:N0} steps, more than {MaxPoolWork:N0}");
    }

    private static long SaturatingMul(long a, long b) => b != 0 && a > long.MaxValue / b ? long.MaxValue : a * b;

    private static int[] KernelOf(OnnxNode n, Tensor? weight)
    {
        var k = n.Ints("kernel_shape");
        if (k is not null)
        {
            CheckWindowValues(n, "kernel_shape", k, 1);
            return k.Select(v => (int)v).ToArray();
        }
        if (weight is null) throw n.Error("attribute 'kernel_shape' is required");
        return weight.Shape[2..].ToArray();
    }

    // Runs a 2-D op on a 1-D input by inserting a height of 1.
    private static Tensor As2d(Tensor x, Func<Tensor, Tensor> f) => x.Rank == 3 ? f(x.Unsqueeze(2)).Squeeze(2) : f(x);

    private static Tensor Conv(OnnxNode n) => Conv(n, n.In(0), n.In(1), n.Opt(2));

    /// <summary>Conv with the node's attributes on the given operands (ConvInteger and QLinearConv shift theirs
    /// first).</summary>
    private static Tensor Conv(OnnxNode n, Tensor x, Tensor w, Tensor? b)
    {
        var win = WindowOf(n, x, KernelOf(n, w));
        int groups = (int)n.Int("group", 1);
        var w2 = w.Rank == 3 ? w.Unsqueeze(2) : w;
        return As2d(x, x2 => x2.Conv2d(w2, b, win.Stride, win.Pads, win.Dilation, groups));
    }

    private static Tensor ConvTranspose(OnnxNode n)
    {
        var x = n.In(0);
        var w = n.In(1);
        var b = n.Opt(2);
        var kernel = KernelOf(n, w);
        var win = WindowOf(n, x, kernel, transposed: true);
        int d = x.Rank - 2;
        int groups = (int)n.Int("group", 1);
        var outPadValues = n.Ints("output_padding");
        if (outPadValues is not null) CheckWindowValues(n, "output_padding", outPadValues, 0);
        var outPad = outPadValues?.Select(v => (int)v).ToArray() ?? new int[d];
        var outShapeValues = n.Ints("output_shape");
        if (outShapeValues?.FirstOrDefault(v => v is < 1 or > int.MaxValue) is { } bad and not 0)
            throw n.Error($"attribute 'output_shape' value {bad} is outside 1..{int.MaxValue}");
        var outShape = outShapeValues?.Select(v => (int)v).ToArray();
        if (outPad.Length != d || outShape is not null && outShape.Length != d)
            throw n.Error($"output_padding and output_shape must have {d} values");
        string autoPad = n.Str("auto_pad", "NOTSET");
        if (outShape is null && autoPad is "SAME_UPPER" or "SAME_LOWER")
        {
            // SAME: the output is input·stride.
            outShape = Enumerable.Range(0, d)
                .Select(i => x.Shape[2 + i] * (d == 2 ? Pick(win.Stride, i) : win.Stride.W)).ToArray();
        }
        int[] begin = d == 2 ? [win.Pads.Top, win.Pads.Left] : [win.Pads.Left];
        int[] end = d == 2 ? [win.Pads.Bottom, win.Pads.Right] : [win.Pads.Right];
        int[] strides = d == 2 ? [win.Stride.H, win.Stride.W] : [win.Stride.W];
        int[] dilations = d == 2 ? [win.Dilation.H, win.Dilation.W] : [win.Dilation.W];
        if (outShape is not null)
        {
            // total = s·(in-1) + outputPadding + d·(k-1) + 1 - output, split as the ONNX operator definition says.
            for (int i = 0; i < d; i++)
            {
                long wide = (long)strides[i] * (x.Shape[2 + i] - 1) + outPad[i] + (kernel[i] - 1L) * dilations[i] + 1 -
                    outShape[i];
                if (Math.Abs(wide) > int.MaxValue / 2)
                    throw n.Error($"output_shape {outShape[i]} on spatial axis {i} needs padding {wide}");
                int total = (int)wide;
                int half = (int)Math.Floor(total / 2.0);
                begin[i] = autoPad == "SAME_UPPER" ? half : total - half;
                end[i] = total - begin[i];
            }
        }
        for (int i = 0; i < d; i++)
        {
            // A negative end pad grows the output: the same as extra output padding.
            if (end[i] < 0)
            {
                outPad[i] -= end[i];
                end[i] = 0;
            }
            if (begin[i] < 0) throw new OnnxUnsupportedException("ConvTranspose with a negative leading pad");
        }
        var w2 = w.Rank == 3 ? w.Unsqueeze(2) : w;
        return d == 2
            ? x.ConvTranspose2d(w2, b, win.Stride, (begin[0], begin[1], end[0], end[1]), (outPad[0], outPad[1]),
                groups, win.Dilation)
            : As2d(x, x2 => x2.ConvTranspose2d(w2, b, win.Stride, (0, begin[0], 0, end[0]), (0, outPad[0]), groups,
                win.Dilation));
    }

    private static int Pick((int H, int W) pair, int i) => i == 0 ? pair.H : pair.W;

    private static Tensor[] MaxPool(OnnxNode n)
    {
        var input = n.In(0);
        if (input.DType == DType.Bool) throw new OnnxUnsupportedException("MaxPool on Bool");
        // Integer images (uint8 arrives as Int64) pool exactly in float64.
        var x = input.DType.IsFloating() ? input : input.To(DType.Float64);
        var win = WindowOf(n, x, KernelOf(n, null));
        CheckPoolWork(n, x, win);
        bool ceil = n.Int("ceil_mode", 0) != 0;
        var x4 = x.Rank == 3 ? x.Unsqueeze(2) : x;
        var (y, idx) = x4.MaxPool2dWithIndices(win.Kernel, win.Stride, win.Pads, win.Dilation, ceil);
        if (x.Rank == 3)
        {
            y = y.Squeeze(2);
            idx = idx.Squeeze(2);
        }
        y = y.To(input.DType);
        if (!n.WantsOutput(1)) return [y];
        // ONNX indices count over the whole tensor; storage_order 1 numbers each plane column by column.
        int h = x4.Shape[2], w = x4.Shape[3];
        if (n.Int("storage_order", 0) != 0)
        {
            var row = idx.FloorDiv(Tensor.Scalar(w, DType.Int64));
            idx = row + (idx - row * w) * h;
        }
        int[] planeShape = [x.Shape[0], x.Shape[1], .. Enumerable.Repeat(1, x.Rank - 2)];
        var plane = Tensor.Arange(0, x.Shape[0] * x.Shape[1], 1, DType.Int64).Reshape(planeShape);
        return [y, idx + plane * (h * w)];
    }

    // MaxUnpool(X, I, output_shape?) places each X value at the flat position I (as MaxPool's indices number the
    // whole tensor) in a zero tensor of spatial size (in − 1)·stride + kernel − pad_begin − pad_end. A larger
    // output_shape keeps each value at the same coordinates, the extra rows and columns staying zero.
    private static Tensor MaxUnpool(OnnxNode n)
    {
        var x = n.In(0);
        var idx = n.In(1);
        if (idx.DType != DType.Int64 || !Shapes.Equal(idx.Shape, x.Shape))
            throw n.Error($"indices {idx.DType} {Shapes.Format(idx.Shape)} must be integers shaped like X "
                + Shapes.Format(x.Shape));
        int d = x.Rank - 2;
        if (d < 1) throw n.Error($"X must be [N, C, spatial…], got {Shapes.Format(x.Shape)}");
        var kernel = n.Ints("kernel_shape") ?? throw n.Error("attribute kernel_shape is required");
        var strides = n.Ints("strides") ?? Enumerable.Repeat(1L, d).ToArray();
        var pads = n.Ints("pads") ?? new long[2 * d];
        if (kernel.Length != d || strides.Length != d || pads.Length != 2 * d)
            throw n.Error($"kernel_shape, strides and pads must have {d}, {d} and {2 * d} values");
        long[] natural = [x.Shape[0], x.Shape[1], .. Enumerable.Range(0, d)
            .Select(i => (x.Shape[2 + i] - 1) * strides[i] + kernel[i] - pads[i] - pads[d + i])];
        int naturalTotal = CheckedNumel(n, natural, "unpooled shape");
        var shape = natural;
        if (n.Opt(2) is not null)
        {
            shape = n.Longs(2);
            if (shape.Length != x.Rank || shape.Where((s, i) => s < natural[i]).Any())
                throw n.Error($"output_shape [{string.Join(",", shape)}] must have rank {x.Rank} and be at least "
                    + $"[{string.Join(",", natural)}]");
        }
        int total = CheckedNumel(n, shape, "output shape");
        var y = new double[total];
        var v = x.ToArray<double>();
        var at = idx.ToArray<long>();
        for (int i = 0; i < v.Length; i++)
        {
            if (at[i] < 0 || at[i] >= naturalTotal)
                throw n.Error($"index {at[i]} at element {i} is outside the unpooled {naturalTotal} elements");
            // Decode the index in the natural shape and encode the same coordinates in the output shape.
            long rest = at[i], flat = 0, stride = 1;
            for (int a = x.Rank - 1; a >= 0; a--)
            {
                flat += rest % natural[a] * stride;
                rest /= natural[a];
                stride *= shape[a];
            }
            y[flat] = v[i];
        }
        return Tensor.From(y, shape.Select(s => (int)s).ToArray()).To(x.DType);
    }

    private static Tensor AveragePool(OnnxNode n)
    {
        var x = n.In(0);
        var win = WindowOf(n, x, KernelOf(n, null));
        if (win.Dilation != (1, 1)) throw new OnnxUnsupportedException("AveragePool with dilations");
        CheckPoolWork(n, x, win);
        bool ceil = n.Int("ceil_mode", 0) != 0;
        bool includePad = n.Int("count_include_pad", 0) != 0;
        return As2d(x, x2 => x2.AvgPool2d(win.Kernel, win.Stride, win.Pads, ceil, includePad));
    }

    // ONNX sums channels c - ⌊(n-1)/2⌋ .. c + ⌈(n-1)/2⌉; PyTorch's window, used by LocalResponseNorm, is the same
    // for odd n and shifted by one for even n.
    private static Tensor Lrn(OnnxNode n)
    {
        long size = n.Int("size", 0);
        var x = n.In(0);
        if (size < 1) throw n.Error($"attribute 'size' is {size}, must be at least 1");
        if (x.Rank < 3) throw n.Error($"input must be (N, C, …), got {Shapes.Format(x.Shape)}");
        if (size % 2 == 0) throw new OnnxUnsupportedException("LRN with an even size");
        double alpha = n.Float("alpha", 1e-4f);
        // An odd window of 2C − 1 channels or more already spans every channel from every channel: summing over
        // a wider one adds only padding zeros, so run the narrowest such window with alpha/size unchanged (the
        // window loop is as long as the size, which the file sets).
        long cover = 2L * x.Shape[1] + 1;
        if (size > cover)
        {
            alpha *= (double)cover / size;
            size = cover;
        }
        return x.LocalResponseNorm((int)size, alpha, n.Float("beta", 0.75f), n.Float("bias", 1f));
    }
}
