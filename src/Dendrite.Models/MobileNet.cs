// MobileNets: convolutional networks for phones, built on depthwise separable convolutions, a per-channel 3×3
// (depthwise, groups = channels) followed by a 1×1 mixing channels (pointwise): about 8–9× fewer multiply-adds
// than a full 3×3 convolution at the same widths.
//  * v1 (Howard et al., 2017): a 3×3 stride-2 convolution, then 13 depthwise separable blocks (BN + ReLU after both
//    convolutions) from 64 to 1024 channels, global average pooling and one linear layer; 4,231,976 parameters
//    at 1000 classes (Keras reports 4,253,864 because it also counts the batch-norm statistics).
//  * v2 (Sandler et al., 2018): inverted residual blocks, 1×1 expansion by t (ReLU6) → 3×3 depthwise (ReLU6) →
//    1×1 linear projection (no activation: ReLU on a thin layer destroys information), with a shortcut when the
//    stride is 1 and the widths agree. State-dict names are torchvision's (features.{i}.conv.{j}…,
//    classifier.1).
//
// Shapes: x (N, C, H, W) → features (N, 1024 or 1280, H/32, W/32) → (N, classes). The small-input stem makes the
// first convolution and the first stride-2 block stride 1 (32×32 images end at 4×4, not 1×1).

using Dendrite.Nn;

namespace Dendrite.Models;

/// <summary>MobileNet v2's inverted residual block: [1×1 expand → BN → ReLU6] → 3×3 depthwise → BN → ReLU6 →
/// 1×1 project → BN, plus the input when the stride is 1 and the widths agree.</summary>
public sealed class InvertedResidual : Module, ILayer
{
    private readonly bool residual;

    /// <summary>A block from <paramref name="inChannels"/> to <paramref name="outChannels"/> with expansion
    /// factor <paramref name="expandRatio"/> (t in the paper).</summary>
    public InvertedResidual(int inChannels, int outChannels, int stride, int expandRatio)
    {
        int hidden = inChannels * expandRatio;
        residual = stride == 1 && inChannels == outChannels;
        Conv = new Sequential();
        if (expandRatio != 1) Conv.Append(MobileNet.ConvBnAct(inChannels, hidden, 1, 1, 1, new Relu6()));
        Conv.Append(MobileNet.ConvBnAct(hidden, hidden, 3, stride, hidden, new Relu6()));
        Conv.Append(new Conv2d(hidden, outChannels, 1, bias: false));
        Conv.Append(new BatchNorm2d(outChannels));
    }

    /// <summary>The block's layers, named as torchvision's <c>conv</c>.</summary>
    public Sequential Conv { get; }

    /// <inheritdoc/>
    public Tensor Forward(Tensor x) => residual ? x + Conv.Call(x) : Conv.Call(x);
}

/// <summary>MobileNet v1 and v2.</summary>
public sealed class MobileNet : Module, ILayer
{
    private MobileNet(Sequential features, int width, ZooOptions o, double dropout)
    {
        Options = o;
        Features = features;
        FeatureCount = width;
        if (o.IncludeTop)
            Classifier = dropout > 0
                ? new Sequential(new Dropout(dropout), new Linear(width, o.NumClasses))
                : new Sequential(new Linear(width, o.NumClasses));
    }

    /// <summary>The options it was built with.</summary>
    public ZooOptions Options { get; }

    /// <summary>Width of the last feature map (1024 or 1280).</summary>
    public int FeatureCount { get; }

    /// <summary>The convolutional part.</summary>
    public Sequential Features { get; }

    /// <summary>[dropout →] Linear classes (null without the top: the model then returns the last feature map).
    /// </summary>
    public Sequential? Classifier { get; set; }

    /// <summary>MobileNet v1 at width multiplier 1: 28 layers counting depthwise and pointwise separately.</summary>
    public static MobileNet V1(ZooOptions? options = null)
    {
        var o = options ?? new ZooOptions();
        var f = new Sequential();
        f.Append(ConvBnAct(o.InChannels, 32, 3, o.SmallInput ? 1 : 2, 1, new Relu()));
        (int Width, int Stride)[] blocks =
            [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1), (512, 1), (512, 1),
             (512, 1), (1024, 2), (1024, 1)];
        int c = 32;
        bool first = true;
        foreach (var (w, s) in blocks)
        {
            int stride = s == 2 && first && o.SmallInput ? 1 : s;
            if (s == 2) first = false;
            f.Append(new Sequential(new Conv2d(c, c, 3, stride, 1, groups: c, bias: false), new BatchNorm2d(c),
                new Relu(), new Conv2d(c, w, 1, bias: false), new BatchNorm2d(w), new Relu()));
            c = w;
        }
        return new MobileNet(f, c, o, 0);
    }

    /// <summary>MobileNet v2 at width multiplier 1, torchvision-compatible: 3,504,872 parameters at 1000 classes.
    /// </summary>
    public static MobileNet V2(ZooOptions? options = null)
    {
        var o = options ?? new ZooOptions();
        var f = new Sequential();
        f.Append(ConvBnAct(o.InChannels, 32, 3, o.SmallInput ? 1 : 2, 1, new Relu6()));
        (int T, int C, int N, int S)[] settings =
            [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)];
        int c = 32;
        bool first = true;
        foreach (var (t, width, n, s) in settings)
        {
            for (int i = 0; i < n; i++)
            {
                int stride = i > 0 ? 1 : s == 2 && first && o.SmallInput ? 1 : s;
                f.Append(new InvertedResidual(c, width, stride, t));
                c = width;
            }
            if (s == 2) first = false;
        }
        f.Append(ConvBnAct(c, 1280, 1, 1, 1, new Relu6()));
        return new MobileNet(f, 1280, o, 0.2);
    }

    /// <inheritdoc/>
    public Tensor Forward(Tensor x)
    {
        x = Features.Call(x);
        return Classifier is null ? x : Classifier.Call(x.AdaptiveAvgPool2d(1, 1).Flatten(1));
    }

    /// <summary>Convolution (no bias, "same" padding for odd kernels) → BN → activation, as children 0, 1, 2.
    /// </summary>
    internal static Sequential ConvBnAct(int inChannels, int outChannels, int kernel, int stride, int groups,
        ILayer activation) =>
        new(new Conv2d(inChannels, outChannels, kernel, stride, (kernel - 1) / 2, groups: groups, bias: false),
            new BatchNorm2d(outChannels), activation);
}
