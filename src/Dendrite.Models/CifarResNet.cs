// The residual networks for small images of He, Zhang, Ren & Sun (2015, "Deep Residual Learning for Image
// Recognition", §4.2, the CIFAR-10 experiments): a 3×3 convolution to 16 channels, then three stages of n basic
// blocks (two 3×3 convolutions each) at 16, 32 and 64 channels on feature maps of 32², 16² and 8², the first block
// of stages 2 and 3 halving the resolution with a stride of 2, then global average pooling and a fully connected
// layer: 6n + 2 weighted layers (ResNet-20, 32, 44, 56, 110 for n = 3, 5, 7, 9, 18). The paper's CIFAR networks use
// option A shortcuts throughout, the default here: where a block halves the resolution and doubles the width, the
// shortcut takes every second pixel of the input and pads the new channels with zeros, adding no parameter
// (ResNet-20 has 0.27 M). Option B replaces that shortcut by a 1×1 strided convolution and batch norm. The width
// multiplier k scales the three stages to 16k, 32k, 64k channels (k = 1 is the paper's network). Convolutions
// start from He initialisation (fan-out, normal), the paper's §3.4 [13].
//
// Shapes: x (N, C, H, W) → stem (N, 16k, H, W) → stage1 (N, 16k, H, W) → stage2 (N, 32k, H/2, W/2)
// → stage3 (N, 64k, H/4, W/4) → pool (N, 64k) → (N, classes). For Fashion-MNIST's 28×28: 28², 14², 7².

using Dendrite.Nn;

namespace Dendrite.Models;

/// <summary>How a block that changes resolution and width carries its input to the sum (He et al. 2015, §3.3).
/// </summary>
public enum ShortcutKind
{
    /// <summary>Option A: every second pixel, the new channels zero; no parameters (the paper's CIFAR choice).
    /// </summary>
    A,

    /// <summary>Option B: a 1×1 strided convolution and batch norm.</summary>
    B,
}

/// <summary>The basic block of the CIFAR ResNets: y = relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)).
/// x: (N, inChannels, H, W) → (N, outChannels, H/stride, W/stride).</summary>
public sealed class CifarBlock : Module, ILayer
{
    private readonly int inChannels, outChannels, stride;

    /// <summary>A block from <paramref name="inChannels"/> to <paramref name="outChannels"/> with the first
    /// convolution strided by <paramref name="stride"/>.</summary>
    public CifarBlock(int inChannels, int outChannels, int stride, ShortcutKind shortcut = ShortcutKind.A)
    {
        if (stride is not (1 or 2))
            throw new ArgumentException($"CifarBlock: stride must be 1 or 2, got {stride}");
        if (outChannels < inChannels)
            throw new ArgumentException(
                $"CifarBlock: output channels ({outChannels}) must not be fewer than input channels ({inChannels})");
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.stride = stride;
        Conv1 = new Conv2d(inChannels, outChannels, 3, stride, 1, bias: false);
        Bn1 = new BatchNorm2d(outChannels);
        Conv2 = new Conv2d(outChannels, outChannels, 3, 1, 1, bias: false);
        Bn2 = new BatchNorm2d(outChannels);
        Shortcut = shortcut;
        if (shortcut == ShortcutKind.B && (stride != 1 || inChannels != outChannels))
            Downsample = new Sequential(new Conv2d(inChannels, outChannels, 1, stride, bias: false),
                new BatchNorm2d(outChannels));
    }

    /// <summary>The shortcut option of this block.</summary>
    public ShortcutKind Shortcut { get; }

    /// <summary>The first 3×3 convolution (strided in a down-sampling block).</summary>
    public Conv2d Conv1 { get; }

    /// <summary>Batch norm after <see cref="Conv1"/>.</summary>
    public BatchNorm2d Bn1 { get; }

    /// <summary>The second 3×3 convolution.</summary>
    public Conv2d Conv2 { get; }

    /// <summary>Batch norm after <see cref="Conv2"/>.</summary>
    public BatchNorm2d Bn2 { get; }

    /// <summary>Option B's projection (1×1 convolution and batch norm); null for an identity or option A shortcut.
    /// </summary>
    public Sequential? Downsample { get; }

    /// <summary>x: (N, in, H, W) → (N, out, H/stride, W/stride).</summary>
    public Tensor Forward(Tensor x)
    {
        if (x.Rank != 4 || x.Size(1) != inChannels)
            throw new ArgumentException(
                $"CifarBlock: expects (N, {inChannels}, H, W), got {Shapes.Format(x.Shape)}");
        var y = Bn1.Call(Conv1.Call(x)).Relu();
        y = Bn2.Call(Conv2.Call(y));
        return (y + ShortcutOf(x)).Relu();
    }

    private Tensor ShortcutOf(Tensor x)
    {
        if (Downsample is not null) return Downsample.Call(x);
        // Option A: x[:, :, ::2, ::2] (the pixels the strided 3×3 convolution is centred on), then zero channels.
        if (stride == 2) x = x.Slice(2, 0, x.Size(2), 2).Slice(3, 0, x.Size(3), 2);
        return outChannels == inChannels ? x : x.Pad([0, 0, 0, 0, 0, outChannels - inChannels], PadMode.Constant);
    }
}

/// <summary>ResNet for small images (He et al. 2015, §4.2): 6n + 2 layers, stages of 16k, 32k, 64k channels.
/// x: (N, C, H, W) → (N, classes), or (N, 64k, H/4, W/4) without the top.</summary>
public sealed class CifarResNet : Module, ILayer
{
    /// <summary>A network of <paramref name="blocksPerStage"/> (the paper's n) basic blocks per stage, stages
    /// <paramref name="width"/> times as wide as the paper's, with <paramref name="shortcut"/> where a stage
    /// starts. <see cref="ZooOptions.SmallInput"/> does not apply: the network is the small-input form.</summary>
    public CifarResNet(int blocksPerStage, ZooOptions? options = null, int width = 1,
        ShortcutKind shortcut = ShortcutKind.A)
    {
        var o = options ?? new ZooOptions(NumClasses: 10, InChannels: 3);
        if (blocksPerStage < 1)
            throw new ArgumentException($"CifarResNet: blocks per stage must be at least 1, got {blocksPerStage}");
        if (width < 1) throw new ArgumentException($"CifarResNet: width multiplier must be at least 1, got {width}");
        Options = o;
        BlocksPerStage = blocksPerStage;
        Width = width;
        Conv1 = new Conv2d(o.InChannels, 16 * width, 3, 1, 1, bias: false);
        Bn1 = new BatchNorm2d(16 * width);
        Layer1 = Stage(16 * width, 16 * width, blocksPerStage, 1, shortcut);
        Layer2 = Stage(16 * width, 32 * width, blocksPerStage, 2, shortcut);
        Layer3 = Stage(32 * width, 64 * width, blocksPerStage, 2, shortcut);
        Features = 64 * width;
        if (o.IncludeTop) Fc = new Linear(Features, o.NumClasses);
        using var noGrad = Autograd.NoGrad();
        foreach (var conv in NamedModules().Select(m => m.Module).OfType<Conv2d>())
            conv.Weight.CopyFrom(Init.KaimingNormal(conv.Weight.Shape, fanOut: true));
    }

    /// <summary>The options it was built with.</summary>
    public ZooOptions Options { get; }

    /// <summary>Basic blocks per stage, the paper's n (depth 6n + 2).</summary>
    public int BlocksPerStage { get; }

    /// <summary>The width multiplier k (1: 16, 32, 64 channels).</summary>
    public int Width { get; }

    /// <summary>Weighted layers: 6n + 2.</summary>
    public int Depth => 6 * BlocksPerStage + 2;

    /// <summary>Channels after the last stage (64k): the feature size a new head takes.</summary>
    public int Features { get; }

    /// <summary>The 3×3 stem convolution.</summary>
    public Conv2d Conv1 { get; }

    /// <summary>Batch norm after the stem.</summary>
    public BatchNorm2d Bn1 { get; }

    /// <summary>Stage 1: n blocks at 16k channels, full resolution.</summary>
    public Sequential Layer1 { get; }

    /// <summary>Stage 2: n blocks at 32k channels, half resolution.</summary>
    public Sequential Layer2 { get; }

    /// <summary>Stage 3: n blocks at 64k channels, quarter resolution.</summary>
    public Sequential Layer3 { get; }

    /// <summary>The classifier head (null without the top); replaceable.</summary>
    public Linear? Fc { get; set; }

    /// <summary>ResNet-20 (n = 3).</summary>
    public static CifarResNet ResNet20(ZooOptions? options = null, int width = 1) => new(3, options, width);

    /// <summary>ResNet-32 (n = 5).</summary>
    public static CifarResNet ResNet32(ZooOptions? options = null, int width = 1) => new(5, options, width);

    /// <summary>ResNet-44 (n = 7).</summary>
    public static CifarResNet ResNet44(ZooOptions? options = null, int width = 1) => new(7, options, width);

    /// <summary>ResNet-56 (n = 9).</summary>
    public static CifarResNet ResNet56(ZooOptions? options = null, int width = 1) => new(9, options, width);

    /// <summary>ResNet-110 (n = 18).</summary>
    public static CifarResNet ResNet110(ZooOptions? options = null, int width = 1) => new(18, options, width);

    /// <summary>x: (N, C, H, W) → logits (N, classes), or the last stage's maps without the top.</summary>
    public Tensor Forward(Tensor x)
    {
        if (x.Rank != 4 || x.Size(1) != Options.InChannels)
            throw new ArgumentException(
                $"CifarResNet: expects (N, {Options.InChannels}, H, W), got {Shapes.Format(x.Shape)}");
        x = Bn1.Call(Conv1.Call(x)).Relu();
        x = Layer3.Call(Layer2.Call(Layer1.Call(x)));
        return Fc is null ? x : Fc.Call(x.AdaptiveAvgPool2d(1, 1).Flatten(1));
    }

    private static Sequential Stage(int inChannels, int outChannels, int count, int stride, ShortcutKind shortcut)
    {
        var stage = new Sequential();
        for (int i = 0; i < count; i++)
            stage.Append(new CifarBlock(i == 0 ? inChannels : outChannels, outChannels, i == 0 ? stride : 1,
                shortcut));
        return stage;
    }
}
