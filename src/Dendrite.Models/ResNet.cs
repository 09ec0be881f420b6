// Deep residual networks (He, Zhang, Ren & Sun, 2015, "Deep Residual Learning for Image Recognition"). Each block
// learns a residual F(x) added to its input, y = relu(F(x) + x), so a deeper network can always fall back on the
// identity: the cure for the degradation problem, where plain networks got worse with depth. ResNet-18/34 stack
// basic blocks (two 3×3 convolutions); ResNet-50/101/152 bottleneck blocks (1×1 reduce, 3×3, 1×1 expand ×4).
// When a stage halves the resolution or changes the width, the shortcut is a 1×1 strided convolution + BN
// (the paper's option B). As torchvision (v1.5), the bottleneck strides in its 3×3 convolution.
//
// Shapes: x (N, C, H, W) → stem (N, 64, H/4, W/4) → layer1..4 (N, 64·e .. 512·e, H/32, W/32) → (N, classes),
// e = 1 (basic) or 4 (bottleneck). The small-input stem (3×3 stride-1 convolution, no max pool) keeps 32×32 at
// 32×32 until layer2. State-dict names are torchvision's (conv1, bn1, layer1.0.conv1.weight, fc.weight, …).

using Dendrite.Nn;

namespace Dendrite.Models;

/// <summary>A residual block: conv-bn-relu-conv-bn (basic) or 1×1-3×3-1×1 (bottleneck), plus a shortcut.</summary>
public sealed class ResidualBlock : Module, ILayer
{
    /// <summary>A basic block (two 3×3 convolutions) when <paramref name="bottleneck"/> is false, else a bottleneck
    /// block of inner width <paramref name="width"/> and output 4·width. The shortcut is a 1×1 projection when the
    /// stride or the width changes.</summary>
    public ResidualBlock(int inChannels, int width, int stride, bool bottleneck)
    {
        int outChannels = bottleneck ? 4 * width : width;
        if (bottleneck)
        {
            Conv1 = new Conv2d(inChannels, width, 1, bias: false);
            Bn1 = new BatchNorm2d(width);
            Conv2 = new Conv2d(width, width, 3, stride, 1, bias: false);
            Bn2 = new BatchNorm2d(width);
            Conv3 = new Conv2d(width, outChannels, 1, bias: false);
            Bn3 = new BatchNorm2d(outChannels);
        }
        else
        {
            Conv1 = new Conv2d(inChannels, width, 3, stride, 1, bias: false);
            Bn1 = new BatchNorm2d(width);
            Conv2 = new Conv2d(width, width, 3, 1, 1, bias: false);
            Bn2 = new BatchNorm2d(width);
        }
        if (stride != 1 || inChannels != outChannels)
            Downsample = new Sequential(new Conv2d(inChannels, outChannels, 1, stride, bias: false),
                new BatchNorm2d(outChannels));
        OutChannels = outChannels;
    }

    /// <summary>Output channels (width, or 4·width for a bottleneck).</summary>
    public int OutChannels { get; }

    /// <summary>First convolution (3×3, or the 1×1 reduction).</summary>
    public Conv2d Conv1 { get; }

    /// <summary>Batch norm after conv1.</summary>
    public BatchNorm2d Bn1 { get; }

    /// <summary>Second convolution (3×3, strided in a bottleneck).</summary>
    public Conv2d Conv2 { get; }

    /// <summary>Batch norm after conv2.</summary>
    public BatchNorm2d Bn2 { get; }

    /// <summary>The bottleneck's 1×1 expansion; null in a basic block.</summary>
    public Conv2d? Conv3 { get; }

    /// <summary>Batch norm after conv3; null in a basic block.</summary>
    public BatchNorm2d? Bn3 { get; }

    /// <summary>The projection shortcut (1×1 convolution + BN), or null for the identity.</summary>
    public Sequential? Downsample { get; }

    /// <inheritdoc/>
    /// <remarks>In evaluation mode without gradients each batch norm is folded into its convolution
    /// (<see cref="Conv2d.ForwardWithBatchNorm"/>), and the last convolution's fresh output takes the shortcut and
    /// the ReLU in place.</remarks>
    public Tensor Forward(Tensor x)
    {
        var y = Conv1.ForwardWithBatchNorm(Bn1, x, ConvBnActivation.Relu);
        var (last, lastNorm) = Conv3 is null ? (Conv2, Bn2) : (Conv3, Bn3!);
        if (Conv3 is not null) y = Conv2.ForwardWithBatchNorm(Bn2, y, ConvBnActivation.Relu);
        bool folded = last.CanFold(lastNorm, y);
        y = last.ForwardWithBatchNorm(lastNorm, y);
        var shortcut = Downsample is null ? x : Downsample.Call(x);
        return folded && y.Shape.SequenceEqual(shortcut.Shape) ? y.AddInPlace(shortcut).ClampInPlace(0)
            : (y + shortcut).Relu();
    }
}

/// <summary>ResNet-18/34/50/101/152, torchvision-compatible.</summary>
public sealed class ResNet : Module, ILayer
{
    /// <summary>A ResNet with <paramref name="blocks"/> blocks per stage (four stages of width 64, 128, 256, 512).
    /// </summary>
    public ResNet(int[] blocks, bool bottleneck, ZooOptions? options = null)
    {
        var o = options ?? new ZooOptions();
        if (blocks.Length != 4 || blocks.Any(b => b < 1))
            throw new ArgumentException(
                $"ResNet: needs 4 stages of at least one block, got [{string.Join(", ", blocks)}]");
        Options = o;
        Conv1 = o.SmallInput
            ? new Conv2d(o.InChannels, 64, 3, 1, 1, bias: false)
            : new Conv2d(o.InChannels, 64, 7, 2, 3, bias: false);
        Bn1 = new BatchNorm2d(64);
        Maxpool = o.SmallInput ? new Identity() : new MaxPool2d(3, 2, 1);
        int channels = 64;
        Layer1 = Stage(ref channels, 64, blocks[0], 1, bottleneck);
        Layer2 = Stage(ref channels, 128, blocks[1], 2, bottleneck);
        Layer3 = Stage(ref channels, 256, blocks[2], 2, bottleneck);
        Layer4 = Stage(ref channels, 512, blocks[3], 2, bottleneck);
        Features = channels;
        if (o.IncludeTop) Fc = new Linear(channels, o.NumClasses);
    }

    /// <summary>The options it was built with.</summary>
    public ZooOptions Options { get; }

    /// <summary>Width of the last stage (512 or 2048): the feature size a new head takes.</summary>
    public int Features { get; }

    /// <summary>Stem convolution: 7×7 stride 2 (3×3 stride 1 with the small-input stem).</summary>
    public Conv2d Conv1 { get; }

    /// <summary>Stem batch norm.</summary>
    public BatchNorm2d Bn1 { get; }

    /// <summary>Stem 3×3 stride-2 max pool (the identity with the small-input stem).</summary>
    public Module Maxpool { get; }

    /// <summary>Stage 1 (width 64, stride 1).</summary>
    public Sequential Layer1 { get; }

    /// <summary>Stage 2 (width 128, stride 2).</summary>
    public Sequential Layer2 { get; }

    /// <summary>Stage 3 (width 256, stride 2).</summary>
    public Sequential Layer3 { get; }

    /// <summary>Stage 4 (width 512, stride 2).</summary>
    public Sequential Layer4 { get; }

    /// <summary>The classifier (null without the top: the model then returns the last feature map).</summary>
    public Linear? Fc { get; set; }

    /// <summary>ResNet-18: basic blocks [2, 2, 2, 2]; 11,689,512 parameters at 1000 classes.</summary>
    public static ResNet ResNet18(ZooOptions? options = null) => new([2, 2, 2, 2], false, options);

    /// <summary>ResNet-34: basic blocks [3, 4, 6, 3].</summary>
    public static ResNet ResNet34(ZooOptions? options = null) => new([3, 4, 6, 3], false, options);

    /// <summary>ResNet-50: bottleneck blocks [3, 4, 6, 3]; 25,557,032 parameters at 1000 classes.</summary>
    public static ResNet ResNet50(ZooOptions? options = null) => new([3, 4, 6, 3], true, options);

    /// <summary>ResNet-101: bottleneck blocks [3, 4, 23, 3].</summary>
    public static ResNet ResNet101(ZooOptions? options = null) => new([3, 4, 23, 3], true, options);

    /// <summary>ResNet-152: bottleneck blocks [3, 8, 36, 3].</summary>
    public static ResNet ResNet152(ZooOptions? options = null) => new([3, 8, 36, 3], true, options);

    /// <inheritdoc/>
    public Tensor Forward(Tensor x)
    {
        x = ((ILayer)Maxpool).Call(Conv1.ForwardWithBatchNorm(Bn1, x, ConvBnActivation.Relu));
        x = Layer4.Call(Layer3.Call(Layer2.Call(Layer1.Call(x))));
        return Fc is null ? x : Fc.Call(x.AdaptiveAvgPool2d(1, 1).Flatten(1));
    }

    private static Sequential Stage(ref int channels, int width, int count, int stride, bool bottleneck)
    {
        var stage = new Sequential();
        for (int i = 0; i < count; i++)
        {
            var block = new ResidualBlock(channels, width, i == 0 ? stride : 1, bottleneck);
            channels = block.OutChannels;
            stage.Append(block);
        }
        return stage;
    }
}
