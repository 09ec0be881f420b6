// Xception (Chollet, 2017, "Xception: Deep Learning with Depthwise Separable Convolutions"): the Inception
// hypothesis taken to its extreme, cross-channel and spatial correlations mapped entirely separately. 36
// convolutions, all but the first two depthwise separable (a 3×3 per channel then a 1×1 across channels, no
// non-linearity between), in 14 modules with linear residual connections: an entry flow (three modules that
// halve the grid: 128, 256, 728 channels), a middle flow (eight modules of three 728-wide separable convolutions)
// and an exit flow (728 → 1024 with a last halving, then 1536 and 2048), global average pooling and a logistic
// layer. Batch norm follows every convolution. 22,855,952 parameters at 1000 classes as in the paper (Keras
// reports 22,910,480 because it also counts the batch-norm statistics). torchvision has no Xception; names
// here follow the common PyTorch port (block1.rep…, block1.skip, conv3.pointwise, fc).
//
// Shapes: x (N, C, 299, 299) → entry (N, 728, 19, 19) → middle (same) → exit (N, 2048, 10, 10) → (N, classes).
// The small-input stem (stride-1, padded first convolutions) takes 32×32 images to 2×2 before the exit pool.

using Dendrite.Nn;

namespace Dendrite.Models;

/// <summary>A depthwise separable convolution: 3×3 per channel (conv1) then 1×1 across channels (pointwise), no
/// bias, no activation between.   (N, C, H, W) → (N, O, H, W).</summary>
public sealed class SeparableConv2d : Module, ILayer
{
    /// <summary>A separable convolution from <paramref name="inChannels"/> to <paramref name="outChannels"/>.
    /// </summary>
    public SeparableConv2d(int inChannels, int outChannels, int kernel = 3)
    {
        Conv1 = new Conv2d(inChannels, inChannels, kernel, 1, (kernel - 1) / 2, groups: inChannels, bias: false);
        Pointwise = new Conv2d(inChannels, outChannels, 1, bias: false);
    }

    /// <summary>The depthwise convolution.</summary>
    public Conv2d Conv1 { get; }

    /// <summary>The pointwise (1×1) convolution.</summary>
    public Conv2d Pointwise { get; }

    /// <inheritdoc/>
    public Tensor Forward(Tensor x) => Pointwise.Call(Conv1.Call(x));
}

/// <summary>An Xception module: [ReLU →] separable conv → BN, repeated, [→ 3×3 stride-2 max pool], plus a shortcut
/// (a 1×1 strided convolution + BN when the width or the grid changes).</summary>
public sealed class XceptionBlock : Module, ILayer
{
    /// <summary>A module of <paramref name="reps"/> separable convolutions; <paramref name="growFirst"/> widens in
    /// the first one (else in the last); <paramref name="startWithRelu"/> puts a ReLU before the first.</summary>
    public XceptionBlock(int inChannels, int outChannels, int reps, int stride, bool startWithRelu, bool growFirst)
    {
        if (outChannels != inChannels || stride != 1)
        {
            Skip = new Conv2d(inChannels, outChannels, 1, stride, bias: false);
            Skipbn = new BatchNorm2d(outChannels);
        }
        Rep = new Sequential();
        int c = inChannels;
        for (int i = 0; i < reps; i++)
        {
            int width = growFirst ? outChannels : i == reps - 1 ? outChannels : inChannels;
            if (i > 0 || startWithRelu) Rep.Append(new Relu());
            Rep.Append(new SeparableConv2d(c, width));
            Rep.Append(new BatchNorm2d(width));
            c = width;
        }
        if (stride != 1) Rep.Append(new MaxPool2d(3, stride, 1));
    }

    /// <summary>The residual branch.</summary>
    public Sequential Rep { get; }

    /// <summary>The projection shortcut, or null for the identity.</summary>
    public Conv2d? Skip { get; }

    /// <summary>Batch norm of the projection shortcut.</summary>
    public BatchNorm2d? Skipbn { get; }

    /// <inheritdoc/>
    public Tensor Forward(Tensor x) => Rep.Call(x) + (Skip is null ? x : Skipbn!.Call(Skip.Call(x)));
}

/// <summary>Xception.</summary>
public sealed class Xception : Module, ILayer
{
    private readonly List<XceptionBlock> blocks = [];

    /// <summary>Builds the network for <paramref name="options"/> (1000 classes of 299×299 RGB by default).</summary>
    public Xception(ZooOptions? options = null)
    {
        var o = options ?? new ZooOptions();
        Options = o;
        Conv1 = new Conv2d(o.InChannels, 32, 3, o.SmallInput ? 1 : 2, o.SmallInput ? 1 : 0, bias: false);
        Bn1 = new BatchNorm2d(32);
        Conv2 = new Conv2d(32, 64, 3, 1, o.SmallInput ? 1 : 0, bias: false);
        Bn2 = new BatchNorm2d(64);
        Add(new XceptionBlock(64, 128, 2, 2, startWithRelu: false, growFirst: true));
        Add(new XceptionBlock(128, 256, 2, 2, startWithRelu: true, growFirst: true));
        Add(new XceptionBlock(256, 728, 2, 2, startWithRelu: true, growFirst: true));
        for (int i = 0; i < 8; i++) Add(new XceptionBlock(728, 728, 3, 1, startWithRelu: true, growFirst: true));
        Add(new XceptionBlock(728, 1024, 2, 2, startWithRelu: true, growFirst: false));
        Conv3 = new SeparableConv2d(1024, 1536);
        Bn3 = new BatchNorm2d(1536);
        Conv4 = new SeparableConv2d(1536, 2048);
        Bn4 = new BatchNorm2d(2048);
        if (o.IncludeTop) Fc = new Linear(2048, o.NumClasses);
    }

    /// <summary>The options it was built with.</summary>
    public ZooOptions Options { get; }

    /// <summary>Entry flow: 3×3 stride-2 convolution, 32 channels.</summary>
    public Conv2d Conv1 { get; }

    /// <summary>Batch norm after conv1.</summary>
    public BatchNorm2d Bn1 { get; }

    /// <summary>Entry flow: 3×3 convolution, 64 channels.</summary>
    public Conv2d Conv2 { get; }

    /// <summary>Batch norm after conv2.</summary>
    public BatchNorm2d Bn2 { get; }

    /// <summary>Exit flow: separable convolution to 1536.</summary>
    public SeparableConv2d Conv3 { get; }

    /// <summary>Batch norm after conv3.</summary>
    public BatchNorm2d Bn3 { get; }

    /// <summary>Exit flow: separable convolution to 2048.</summary>
    public SeparableConv2d Conv4 { get; }

    /// <summary>Batch norm after conv4.</summary>
    public BatchNorm2d Bn4 { get; }

    /// <summary>2048 → classes (null without the top: the model then returns the last feature map).</summary>
    public Linear? Fc { get; set; }

    /// <inheritdoc/>
    public Tensor Forward(Tensor x)
    {
        x = Bn2.Call(Conv2.Call(Bn1.Call(Conv1.Call(x)).Relu())).Relu();
        foreach (var b in blocks) x = b.Call(x);
        x = Bn4.Call(Conv4.Call(Bn3.Call(Conv3.Call(x)).Relu())).Relu();
        return Fc is null ? x : Fc.Call(x.AdaptiveAvgPool2d(1, 1).Flatten(1));
    }

    private void Add(XceptionBlock block)
    {
        RegisterModule($"block{blocks.Count + 1}", block);
        blocks.Add(block);
    }
}
