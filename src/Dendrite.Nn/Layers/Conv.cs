namespace Dendrite.Nn;

// Shapes: N batch, C in channels, O out channels, G groups, L length, H×W image, K kernel size.
// Init (PyTorch's default, kaiming_uniform with a = √5): weight and bias ~ U(±1/√fanIn), fanIn = weight.Size(1)·K·K.

/// <summary>1-D convolution.   x (N, C, L) → (N, O, OL); weight (O, C/G, K). Padding is an amount or a mode:
/// "valid" (none), "same" (output length = input length; stride 1), "causal" (all of it on the left, so output t
/// sees only inputs ≤ t).</summary>
public sealed class Conv1d : Module, ILayer
{
    private readonly int stride, dilation, groups;
    private readonly (int Begin, int End) padding;

    /// <summary>Padding by a fixed amount at both ends.</summary>
    public Conv1d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int dilation = 1,
        int groups = 1, bool bias = true)
        : this(inChannels, outChannels, kernelSize, stride, (padding, padding), dilation, groups, bias)
    {
    }

    /// <summary>Padding by mode: "valid", "same" or "causal".</summary>
    public Conv1d(int inChannels, int outChannels, int kernelSize, string padding, int stride = 1, int dilation = 1,
        int groups = 1, bool bias = true)
        : this(inChannels, outChannels, kernelSize, stride, Mode(padding, kernelSize, stride, dilation), dilation,
            groups, bias)
    {
    }

    private Conv1d(int inChannels, int outChannels, int kernelSize, int stride, (int, int) padding, int dilation,
        int groups, bool bias)
    {
        ConvChecks.Channels("Conv1d", inChannels, outChannels, groups);
        (this.stride, this.padding, this.dilation, this.groups) = (stride, padding, dilation, groups);
        double bound = 1 / Math.Sqrt(inChannels / groups * kernelSize);
        Weight = Init.Uniform([outChannels, inChannels / groups, kernelSize], bound);
        Bias = bias ? Init.Uniform([outChannels], bound) : null;
    }

    /// <summary>[O, C/G, K].</summary>
    public Parameter Weight { get; }

    /// <summary>[O], or null without bias.</summary>
    public Parameter? Bias { get; }

    /// <inheritdoc/>
    public Tensor Forward(Tensor x) => x.Conv1d(Weight, Bias, stride, padding, dilation, groups);

    // "same" splits the padding d·(K-1) as PyTorch does: the extra element (odd total) goes on the right.
    private static (int, int) Mode(string mode, int kernelSize, int stride, int dilation)
    {
        int total = dilation * (kernelSize - 1);
        return mode switch
        {
            "valid" => (0, 0),
            "same" when stride == 1 => (total / 2, total - total / 2),
            "same" => throw new ArgumentException($"Conv1d: padding \"same\" needs stride 1, got {stride}"),
            "causal" => (total, 0),
            _ => throw new ArgumentException($"Conv1d: padding mode \"{mode}\" is not one of valid, same, causal"),
        };
    }
}

/// <summary>2-D convolution.   x (N, C, H, W) → (N, O, OH, OW); weight (O, C/G, KH, KW). The kernel may be
/// rectangular; padding is an amount per dimension, an amount per edge (top, left, bottom, right) or a mode:
/// "valid" (none) or "same" (output size = input size; stride 1, odd totals put the extra row/column at the
/// bottom/right as PyTorch).</summary>
public sealed class Conv2d : Module, ILayer
{
    private readonly (int H, int W) stride, dilation;
    private readonly (int Top, int Left, int Bottom, int Right) padding;
    private readonly int groups;
    private FoldedConv? folded;

    /// <summary>A square kernel of side <paramref name="kernelSize"/> with the same padding on every edge.</summary>
    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int dilation = 1,
        int groups = 1, bool bias = true)
        : this(inChannels, outChannels, (kernelSize, kernelSize), (stride, stride),
            (padding, padding, padding, padding), (dilation, dilation), groups, bias)
    {
    }

    /// <summary>A KH×KW kernel with per-dimension stride, padding (both edges of a dimension) and dilation.</summary>
    public Conv2d(int inChannels, int outChannels, (int H, int W) kernelSize, (int H, int W)? stride = null,
        (int H, int W) padding = default, (int H, int W)? dilation = null, int groups = 1, bool bias = true)
        : this(inChannels, outChannels, kernelSize, stride ?? (1, 1), (padding.H, padding.W, padding.H, padding.W),
            dilation ?? (1, 1), groups, bias)
    {
    }

    /// <summary>Padding by mode: "valid" or "same".</summary>
    public Conv2d(int inChannels, int outChannels, (int H, int W) kernelSize, string padding,
        (int H, int W)? stride = null, (int H, int W)? dilation = null, int groups = 1, bool bias = true)
        : this(inChannels, outChannels, kernelSize, stride ?? (1, 1),
            Mode(padding, kernelSize, stride ?? (1, 1), dilation ?? (1, 1)), dilation ?? (1, 1), groups, bias)
    {
    }

    /// <summary>Separate padding at each edge (top, left, bottom, right), as ONNX pads or Keras' asymmetric "same".
    /// </summary>
    public Conv2d(int inChannels, int outChannels, (int H, int W) kernelSize, (int H, int W) stride,
        (int Top, int Left, int Bottom, int Right) padding, (int H, int W) dilation, int groups = 1, bool bias = true)
    {
        ConvChecks.Channels("Conv2d", inChannels, outChannels, groups);
        if (kernelSize.H < 1 || kernelSize.W < 1)
            throw new ArgumentException($"Conv2d: kernel size {kernelSize} must be positive");
        (this.stride, this.padding, this.dilation, this.groups) = (stride, padding, dilation, groups);
        double bound = 1 / Math.Sqrt(inChannels / groups * kernelSize.H * kernelSize.W);
        Weight = Init.Uniform([outChannels, inChannels / groups, kernelSize.H, kernelSize.W], bound);
        Bias = bias ? Init.Uniform([outChannels], bound) : null;
    }

    /// <summary>[O, C/G, KH, KW].</summary>
    public Parameter Weight { get; }

    /// <summary>[O], or null without bias.</summary>
    public Parameter? Bias { get; }

    /// <inheritdoc/>
    public Tensor Forward(Tensor x) => x.Conv2d(Weight, Bias, stride, padding, dilation, groups);

    /// <summary>activation(norm(conv(x))): this convolution, the batch norm after it, then the activation. When
    /// <see cref="CanFold"/> holds it runs one convolution whose weights and bias have the batch norm folded in
    /// (W·γ/√(σ²+ε) per output channel, (b - μ)·γ/√(σ²+ε) + β), computed once and reused until any of the six
    /// tensors changes or either module runs in training mode, and applies the activation in place on the
    /// convolution's output. Otherwise it runs the three steps as written, through their forward hooks.</summary>
    public Tensor ForwardWithBatchNorm(BatchNorm2d norm, Tensor x, ConvBnActivation activation = ConvBnActivation.None)
    {
        ArgumentNullException.ThrowIfNull(norm);
        if (!CanFold(norm, x))
        {
            if (Training || norm.Training) folded = null;
            var y = ((ILayer)norm).Call(this.Call(x));
            return activation switch
            {
                ConvBnActivation.Relu => y.Relu(),
                ConvBnActivation.Relu6 => y.Clamp(0, 6),
                _ => y,
            };
        }
        var (w, b) = Folded(norm);
        var z = x.Conv2d(w, b, stride, padding, dilation, groups);
        return activation switch
        {
            ConvBnActivation.Relu => z.ClampInPlace(0),
            ConvBnActivation.Relu6 => z.ClampInPlace(0, 6),
            _ => z,
        };
    }

    /// <summary>Whether <see cref="ForwardWithBatchNorm"/> folds <paramref name="norm"/> into this convolution for
    /// <paramref name="x"/>: both modules in evaluation mode, neither with forward hooks, no gradient recorded
    /// (autograd off, or neither x nor any of the weights requires grad), and x, the weights and the batch norm's
    /// statistics of one floating-point type.</summary>
    public bool CanFold(BatchNorm2d norm, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(norm);
        ArgumentNullException.ThrowIfNull(x);
        if (Training || norm.Training || HasForwardHooks || norm.HasForwardHooks) return false;
        if (Autograd.IsEnabled && (x.RequiresGrad || Weight.RequiresGrad || Bias is { RequiresGrad: true } ||
            norm.Weight.RequiresGrad || norm.Bias.RequiresGrad))
            return false;
        var t = x.DType;
        return t.IsFloating() && Weight.DType == t && (Bias is null || Bias.DType == t) && norm.Weight.DType == t &&
            norm.Bias.DType == t && norm.RunningMean.DType == t && norm.RunningVar.DType == t &&
            norm.Weight.Numel == Weight.Size(0);
    }

    // The folded weight and bias, recomputed when the batch norm or a version of any source tensor differs from
    // the ones they were made from.
    private (Tensor Weight, Tensor Bias) Folded(BatchNorm2d norm)
    {
        var sources = new[] { Weight, Bias, norm.Weight, norm.Bias, norm.RunningMean, norm.RunningVar };
        var versions = sources.Select(t => t?.Version ?? -1).ToArray();
        if (folded is { } f && ReferenceEquals(f.Norm, norm) && f.Eps == norm.Eps && f.Versions.SequenceEqual(versions))
            return (f.Weight, f.Bias);
        var made = TensorScope.Outside(() =>
        {
            using var _ = Autograd.NoGrad();
            var scale = norm.Weight.To(DType.Float64) / (norm.RunningVar.To(DType.Float64) + norm.Eps).Sqrt();
            var w = (Weight.To(DType.Float64) * scale.Reshape(-1, 1, 1, 1)).To(Weight.DType);
            var b0 = Bias is null ? Tensor.Zeros(Weight.Size(0)).To(DType.Float64) : Bias.To(DType.Float64);
            var b = ((b0 - norm.RunningMean.To(DType.Float64)) * scale + norm.Bias.To(DType.Float64))
                .To(Weight.DType);
            return new FoldedConv(norm, norm.Eps, versions, w.Contiguous(), b.Contiguous());
        });
        folded = made;
        return (made.Weight, made.Bias);
    }

    private sealed record FoldedConv(BatchNorm2d Norm, double Eps, int[] Versions, Tensor Weight, Tensor Bias);

    /// <inheritdoc/>
    public override string ToString() =>
        $"Conv2d({Weight.Size(1) * groups}, {Weight.Size(0)}, kernel=({Weight.Size(2)}, {Weight.Size(3)}), " +
        $"stride={stride}, padding={padding})";

    private static (int, int, int, int) Mode(string mode, (int H, int W) kernel, (int H, int W) stride,
        (int H, int W) dilation)
    {
        int th = dilation.H * (kernel.H - 1), tw = dilation.W * (kernel.W - 1);
        return mode switch
        {
            "valid" => (0, 0, 0, 0),
            "same" when stride == (1, 1) => (th / 2, tw / 2, th - th / 2, tw - tw / 2),
            "same" => throw new ArgumentException($"Conv2d: padding \"same\" needs stride 1, got {stride}"),
            _ => throw new ArgumentException($"Conv2d: padding mode \"{mode}\" is not one of valid, same"),
        };
    }
}

/// <summary>1-D transposed convolution.   x (N, C, L) → (N, O, OL),
/// OL = (L-1)·stride - 2·padding + dilation·(K-1) + outputPadding + 1; weight (C, O/G, K).</summary>
public sealed class ConvTranspose1d : Module, ILayer
{
    private readonly int stride, padding, outputPadding, groups, dilation;

    /// <summary>Builds the layer; the weight and bias use PyTorch's default initialisation.</summary>
    public ConvTranspose1d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0,
        int outputPadding = 0, int groups = 1, bool bias = true, int dilation = 1)
    {
        ConvChecks.Channels("ConvTranspose1d", inChannels, outChannels, groups);
        (this.stride, this.padding, this.outputPadding, this.groups, this.dilation) =
            (stride, padding, outputPadding, groups, dilation);
        double bound = 1 / Math.Sqrt(outChannels / groups * kernelSize);
        Weight = Init.Uniform([inChannels, outChannels / groups, kernelSize], bound);
        Bias = bias ? Init.Uniform([outChannels], bound) : null;
    }

    /// <summary>[C, O/G, K].</summary>
    public Parameter Weight { get; }

    /// <summary>[O], or null without bias.</summary>
    public Parameter? Bias { get; }

    /// <inheritdoc/>
    public Tensor Forward(Tensor x) =>
        x.ConvTranspose1d(Weight, Bias, stride, padding, outputPadding, groups, dilation);
}

/// <summary>2-D transposed convolution ("deconvolution").   x (N, C, H, W) → (N, O, OH, OW),
/// OH = (H-1)·stride - 2·padding + dilation·(K-1) + outputPadding + 1; weight (C, O/G, K, K).</summary>
public sealed class ConvTranspose2d : Module, ILayer
{
    private readonly int stride, padding, outputPadding, groups, dilation;

    /// <summary>A square kernel of side <paramref name="kernelSize"/>.</summary>
    public ConvTranspose2d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0,
        int outputPadding = 0, int groups = 1, bool bias = true, int dilation = 1)
    {
        ConvChecks.Channels("ConvTranspose2d", inChannels, outChannels, groups);
        (this.stride, this.padding, this.outputPadding, this.groups, this.dilation) =
            (stride, padding, outputPadding, groups, dilation);
        // PyTorch computes fanIn from the weight's dimension 1, which here is O/G.
        double bound = 1 / Math.Sqrt(outChannels / groups * kernelSize * kernelSize);
        Weight = Init.Uniform([inChannels, outChannels / groups, kernelSize, kernelSize], bound);
        Bias = bias ? Init.Uniform([outChannels], bound) : null;
    }

    /// <summary>[C, O/G, K, K].</summary>
    public Parameter Weight { get; }

    /// <summary>[O], or null without bias.</summary>
    public Parameter? Bias { get; }

    /// <inheritdoc/>
    public Tensor Forward(Tensor x) => x.ConvTranspose2d(Weight, Bias, (stride, stride), (padding, padding),
        (outputPadding, outputPadding), groups, (dilation, dilation));
}

/// <summary>The activation <see cref="Conv2d.ForwardWithBatchNorm"/> applies after the batch norm.</summary>
public enum ConvBnActivation
{
    /// <summary>No activation.</summary>
    None,

    /// <summary>max(0, x).</summary>
    Relu,

    /// <summary>min(max(0, x), 6).</summary>
    Relu6,
}

internal static class ConvChecks
{
    public static void Channels(string op, int inChannels, int outChannels, int groups)
    {
        if (inChannels < 1 || outChannels < 1 || groups < 1 || inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"{op}: groups {groups} must divide both {inChannels} input and " +
                $"{outChannels} output channels");
    }
}
