using Dendrite.Kernels;
using Dendrite.Kernels.Reference;

namespace Dendrite;

// Convolution and pooling in PyTorch layout. Shapes: N batch, C input channels, O output channels, G groups,
// H×W image, KH×KW kernel, OH×OW output. Conv weight (O, C/G, KH, KW); ConvTranspose weight (C, O/G, KH, KW).
// Three kernels carry every convolution: forward, input gradient and weight gradient (Kernels/Conv.cs in float32,
// Kernels/Reference/ConvReference.cs in float64). A transposed convolution is the input gradient of the
// convolution whose weight it shares, so its forward and backward reuse the same three with roles exchanged.
// The 1-D ops are the 2-D ones with H = 1.
public partial class Tensor
{
    /// <summary>2-D convolution (cross-correlation).
    /// x (N, C, H, W), weight (O, C/G, KH, KW), bias (O) → (N, O, OH, OW),
    /// OH = ⌊(H + 2ph - dh·(KH-1) - 1) / sh⌋ + 1. Stride and dilation default to 1.</summary>
    public Tensor Conv2d(Tensor weight, Tensor? bias = null, (int H, int W)? stride = null,
        (int H, int W) padding = default, (int H, int W)? dilation = null, int groups = 1) =>
        Conv2d(weight, bias, stride ?? (1, 1), (padding.H, padding.W, padding.H, padding.W), dilation ?? (1, 1),
            groups);

    /// <summary>2-D convolution with separate padding at each edge (ONNX pads).</summary>
    public Tensor Conv2d(Tensor weight, Tensor? bias, (int H, int W) stride,
        (int Top, int Left, int Bottom, int Right) padding, (int H, int W) dilation, int groups = 1)
    {
        const string op = "Conv2d";
        CheckConv(op, this, weight, bias, 4, groups, weight.Size(0), weight.Size(1) * groups, weight.Size(0));
        CheckWindow(op, stride.H, stride.W, dilation.H, dilation.W,
            [padding.Top, padding.Left, padding.Bottom, padding.Right]);
        int oh = ConvShape.OutputSize(shape[2], weight.shape[2], stride.H, padding.Top, padding.Bottom, dilation.H);
        int ow = ConvShape.OutputSize(shape[3], weight.shape[3], stride.W, padding.Left, padding.Right, dilation.W);
        if (oh < 1 || ow < 1)
            throw new ArgumentException($"{op}: input {Shapes.Format(shape)} with padding {padding} is smaller than " +
                $"the kernel {Shapes.Format(weight.shape)} dilated by {dilation}: output would be {oh}x{ow}");
        var s = new ConvShape(shape[0], shape[1], shape[2], shape[3], weight.shape[0], weight.shape[2],
            weight.shape[3], oh, ow, stride.H, stride.W, padding.Top, padding.Left, dilation.H, dilation.W, groups);
        return ConvRecorded(op, this, weight, bias, s, [("stride", new[] { stride.H, stride.W }),
            ("padding", new[] { padding.Top, padding.Left, padding.Bottom, padding.Right }),
            ("dilation", new[] { dilation.H, dilation.W }), ("groups", groups)]);
    }

    /// <summary>1-D convolution.   x (N, C, L), weight (O, C/G, K), bias (O) → (N, O, OL).</summary>
    public Tensor Conv1d(Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0, int dilation = 1,
        int groups = 1) => Conv1d(weight, bias, stride, (padding, padding), dilation, groups);

    /// <summary>1-D convolution with separate padding at the start and end (causal and "same" padding).</summary>
    public Tensor Conv1d(Tensor weight, Tensor? bias, int stride, (int Begin, int End) padding, int dilation,
        int groups = 1)
    {
        const string op = "Conv1d";
        CheckConv(op, this, weight, bias, 3, groups, weight.Size(0), weight.Size(1) * groups, weight.Size(0));
        CheckWindow(op, 1, stride, 1, dilation, [padding.Begin, padding.End]);
        int ol = ConvShape.OutputSize(shape[2], weight.shape[2], stride, padding.Begin, padding.End, dilation);
        if (ol < 1)
            throw new ArgumentException($"{op}: input {Shapes.Format(shape)} with padding {padding} is shorter than " +
                $"the kernel {Shapes.Format(weight.shape)} dilated by {dilation}");
        var s = new ConvShape(shape[0], shape[1], 1, shape[2], weight.shape[0], 1, weight.shape[2], 1, ol,
            1, stride, 0, padding.Begin, 1, dilation, groups);
        return ConvRecorded(op, Unsqueeze(2), weight.Unsqueeze(2), bias, s, [("stride", stride),
            ("padding", new[] { padding.Begin, padding.End }), ("dilation", dilation), ("groups", groups)]).Squeeze(2);
    }

    /// <summary>2-D transposed convolution (the gradient of Conv2d with respect to its input).   x (N, C, H, W),
    /// weight (C, O/G, KH, KW), bias (O) → (N, O, OH, OW), OH = (H-1)·sh - 2ph + dh·(KH-1) + oph + 1.</summary>
    public Tensor ConvTranspose2d(Tensor weight, Tensor? bias = null, (int H, int W)? stride = null,
        (int H, int W) padding = default, (int H, int W) outputPadding = default, int groups = 1,
        (int H, int W)? dilation = null)
    {
        var st = stride ?? (1, 1);
        var dl = dilation ?? (1, 1);
        if (outputPadding.H < 0 || outputPadding.W < 0 ||
            outputPadding.H >= Math.Max(st.H, dl.H) || outputPadding.W >= Math.Max(st.W, dl.W))
            throw new ArgumentException($"ConvTranspose2d: output padding {outputPadding} must be non-negative and " +
                $"smaller than the stride {st} or the dilation {dl}");
        return ConvTranspose2d(weight, bias, st, (padding.H, padding.W, padding.H, padding.W), outputPadding,
            groups, dl);
    }

    /// <summary>2-D transposed convolution with separate padding (cropping) at each edge (ONNX pads).</summary>
    public Tensor ConvTranspose2d(Tensor weight, Tensor? bias, (int H, int W) stride,
        (int Top, int Left, int Bottom, int Right) padding, (int H, int W) outputPadding, int groups,
        (int H, int W) dilation)
    {
        const string op = "ConvTranspose2d";
        int outChannels = weight.Rank == 4 ? weight.shape[1] * groups : 0;
        CheckConv(op, this, weight, bias, 4, groups, weight.Size(0), weight.Size(0), outChannels);
        CheckWindow(op, stride.H, stride.W, dilation.H, dilation.W,
            [padding.Top, padding.Left, padding.Bottom, padding.Right, outputPadding.H, outputPadding.W]);
        int kh = weight.shape[2], kw = weight.shape[3];
        int oh = (shape[2] - 1) * stride.H - padding.Top - padding.Bottom + dilation.H * (kh - 1) + outputPadding.H + 1;
        int ow = (shape[3] - 1) * stride.W - padding.Left - padding.Right + dilation.W * (kw - 1) + outputPadding.W + 1;
        if (oh < 1 || ow < 1)
            throw new ArgumentException($"{op}: input {Shapes.Format(shape)}, weight {Shapes.Format(weight.shape)} " +
                $"and padding {padding} give an empty output {oh}x{ow}");
        // The convolution this op is the input gradient of: its input is our output, its output our input.
        var s = new ConvShape(shape[0], outChannels, oh, ow, shape[1], kh, kw, shape[2], shape[3], stride.H, stride.W,
            padding.Top, padding.Left, dilation.H, dilation.W, groups);
        var x = this;
        Tensor y;
        using (Autograd.NoGrad())
        {
            y = ConvInputGrad(x, weight, s);
            if (bias is not null) y.AddInPlace(bias.Reshape(1, -1, 1, 1));
        }
        return y.Record(op, bias is null ? [x, weight] : [x, weight, bias], g =>
        {
            var grads = new Tensor?[bias is null ? 2 : 3];
            if (x.requiresGrad) grads[0] = ConvForward(g, weight, null, s);
            if (weight.requiresGrad) grads[1] = ConvWeightGrad(g, x, s);
            if (bias is { requiresGrad: true }) grads[2] = ConvBiasGrad(g);
            return grads;
        }, saved: [x, weight], differentiable: false, attributes: [("stride", new[] { stride.H, stride.W }),
            ("padding", new[] { padding.Top, padding.Left, padding.Bottom, padding.Right }),
            ("outputPadding", new[] { outputPadding.H, outputPadding.W }),
            ("dilation", new[] { dilation.H, dilation.W }), ("groups", groups)]);
    }

    /// <summary>1-D transposed convolution (the gradient of Conv1d with respect to its input).   x (N, C, L),
    /// weight (C, O/G, K), bias (O) → (N, O, OL), OL = (L-1)·stride - 2·padding + dilation·(K-1) + outputPadding + 1.
    /// The 2-D op with H = 1.</summary>
    public Tensor ConvTranspose1d(Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0,
        int outputPadding = 0, int groups = 1, int dilation = 1)
    {
        if (Rank != 3 || weight.Rank != 3)
            throw new ArgumentException($"ConvTranspose1d: input {Shapes.Format(shape)} and weight " +
                $"{Shapes.Format(weight.shape)} must both have rank 3 (N, C, L) and (C, O/G, K)");
        if (outputPadding < 0 || outputPadding >= Math.Max(stride, dilation))
            throw new ArgumentException($"ConvTranspose1d: output padding {outputPadding} must be non-negative and " +
                $"smaller than the stride {stride} or the dilation {dilation}");
        return Unsqueeze(2).ConvTranspose2d(weight.Unsqueeze(2), bias, (1, stride), (0, padding, 0, padding),
            (0, outputPadding), groups, (1, dilation)).Squeeze(2);
    }

    // y = conv(x, w) + b, recording dx = convᵀ(g, w), dw = corr(x, g), db = Σ g over N, OH, OW.
    private static Tensor ConvRecorded(string op, Tensor x, Tensor w, Tensor? b, ConvShape s,
        (string Name, object Value)[] attributes)
    {
        Tensor y;
        using (Autograd.NoGrad()) y = ConvForward(x, w, b, s);
        return y.Record(op, b is null ? [x, w] : [x, w, b], g =>
        {
            var grads = new Tensor?[b is null ? 2 : 3];
            if (x.requiresGrad) grads[0] = ConvInputGrad(g, w, s).Reshape(x.shape);
            if (w.requiresGrad) grads[1] = ConvWeightGrad(x, g, s).Reshape(w.shape);
            if (b is { requiresGrad: true }) grads[2] = ConvBiasGrad(g);
            return grads;
        }, saved: [x, w], attributes: attributes, differentiable: false);
    }

    // db = Σ g over N, H and W.
    private static Tensor ConvBiasGrad(Tensor g)
    {
        if (g.DType != DType.Float32) return g.Sum([0, 2, 3]);
        g = g.Contiguous();
        var db = Empty(DType.Float32, [g.shape[1]]);
        Conv.BackwardBias(g.Span<float>(), db.Span<float>(), g.shape[0], g.shape[1], g.shape[2] * g.shape[3]);
        return db;
    }

    private static Tensor ConvForward(Tensor x, Tensor w, Tensor? b, in ConvShape s)
    {
        var y = Empty(x.DType, [s.N, s.O, s.OH, s.OW]);
        x = x.Contiguous();
        w = w.Contiguous();
        b = b?.Contiguous();
        if (x.DType == DType.Float32)
            Conv.Forward(x.Span<float>(), w.Span<float>(), b is null ? default : b.Span<float>(), y.Span<float>(), s);
        else
            ConvReference.Forward<double>(x.Span<double>(), w.Span<double>(), b is null ? default : b.Span<double>(),
                y.Span<double>(), s);
        return y;
    }

    private static Tensor ConvInputGrad(Tensor dy, Tensor w, in ConvShape s)
    {
        var dx = Empty(dy.DType, [s.N, s.C, s.H, s.W]);
        dy = dy.Contiguous();
        w = w.Contiguous();
        if (dy.DType == DType.Float32) Conv.BackwardInput(dy.Span<float>(), w.Span<float>(), dx.Span<float>(), s);
        else ConvReference.BackwardInput<double>(dy.Span<double>(), w.Span<double>(), dx.Span<double>(), s);
        return dx;
    }

    private static Tensor ConvWeightGrad(Tensor x, Tensor dy, in ConvShape s)
    {
        var dw = Empty(x.DType, [s.O, s.Cg, s.KH, s.KW]);
        x = x.Contiguous();
        dy = dy.Contiguous();
        if (x.DType == DType.Float32) Conv.BackwardWeight(x.Span<float>(), dy.Span<float>(), dw.Span<float>(), s);
        else ConvReference.BackwardWeight<double>(x.Span<double>(), dy.Span<double>(), dw.Span<double>(), s);
        return dw;
    }

    // Ranks, dtypes, channel counts and bias length, with messages that name the op and the shapes.
    private static void CheckConv(string op, Tensor x, Tensor w, Tensor? b, int rank, int groups, int weightIn,
        int channels, int outChannels)
    {
        if (x.Rank != rank || w.Rank != rank)
            throw new ArgumentException($"{op}: input {Shapes.Format(x.shape)} and weight {Shapes.Format(w.shape)} " +
                $"must both have rank {rank}");
        if (!x.DType.IsFloating() || w.DType != x.DType || (b is not null && b.DType != x.DType))
            throw new ArgumentException($"{op}: input ({x.DType}), weight ({w.DType})" +
                (b is null ? "" : $" and bias ({b.DType})") + " must share one floating-point type");
        if (groups < 1 || weightIn % groups != 0 || outChannels % groups != 0 || outChannels == 0)
            throw new ArgumentException($"{op}: groups {groups} must divide the input and output channels " +
                $"of weight {Shapes.Format(w.shape)}");
        if (x.shape[1] != channels)
            throw new ArgumentException($"{op}: input {Shapes.Format(x.shape)} has {x.shape[1]} channels, weight " +
                $"{Shapes.Format(w.shape)} expects {channels} (groups {groups})");
        if (b is not null && (b.Rank != 1 || b.shape[0] != outChannels))
            throw new ArgumentException($"{op}: bias {Shapes.Format(b.shape)} must have shape [{outChannels}]");
    }

    private static void CheckWindow(string op, int strideH, int strideW, int dilationH, int dilationW,
        ReadOnlySpan<int> pads)
    {
        if (strideH < 1 || strideW < 1 || dilationH < 1 || dilationW < 1)
            throw new ArgumentException($"{op}: stride ({strideH},{strideW}) and dilation ({dilationH},{dilationW}) " +
                "must be at least 1");
        foreach (int p in pads)
        {
            if (p < 0) throw new ArgumentException($"{op}: padding must be non-negative, got {p}");
        }
    }
}
