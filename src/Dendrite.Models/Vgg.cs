// VGG (Simonyan & Zisserman, 2014, "Very Deep Convolutional Networks for Large-Scale Image Recognition"): only
// 3×3 convolutions (stride 1, padding 1) and 2×2 max pools, the width doubling after each pool from 64 to 512.
// Two stacked 3×3 layers see a 5×5 window, three a 7×7, with fewer parameters and more non-linearities than one
// large kernel. Configurations A (VGG-11), B (13), D (16) and E (19), optionally with batch norm after every
// convolution (not in the paper; torchvision's _bn variants). The classifier is the paper's 4096-4096-classes
// with dropout; adaptive average pooling to 7×7 lets other input sizes through.
//
// Shapes: x (N, C, H, W) → features (N, 512, H/32, W/32) → avgpool (N, 512, 7, 7) → (N, classes). The small-input
// variant pools to 1×1 and starts the classifier at 512 inputs (for 32×32 images). State-dict names are
// torchvision's: features.{i}.weight counting every layer (convolution, BN, ReLU, pool), classifier.{0,3,6}.

using Dendrite.Nn;

namespace Dendrite.Models;

/// <summary>VGG-11/13/16/19 with or without batch norm, torchvision-compatible.</summary>
public sealed class Vgg : Module, ILayer
{
    private readonly int pooled;

    /// <summary>A VGG whose convolutional part follows <paramref name="config"/>: output widths, 0 for a max pool.
    /// </summary>
    public Vgg(int[] config, bool batchNorm, ZooOptions? options = null)
    {
        var o = options ?? new ZooOptions();
        Options = o;
        Features = new Sequential();
        int channels = o.InChannels;
        foreach (int c in config)
        {
            if (c == 0)
            {
                Features.Append(new MaxPool2d(2, 2));
                continue;
            }
            Features.Append(new Conv2d(channels, c, 3, 1, 1));
            if (batchNorm) Features.Append(new BatchNorm2d(c));
            Features.Append(new Relu());
            channels = c;
        }
        pooled = o.SmallInput ? 1 : 7;
        if (o.IncludeTop)
            Classifier = new Sequential(new Linear(channels * pooled * pooled, 4096), new Relu(), new Dropout(),
                new Linear(4096, 4096), new Relu(), new Dropout(), new Linear(4096, o.NumClasses));
    }

    /// <summary>The options it was built with.</summary>
    public ZooOptions Options { get; }

    /// <summary>The convolutional part: convolution [→ BN] → ReLU per layer, max pools between stages.</summary>
    public Sequential Features { get; }

    /// <summary>Linear 4096 → ReLU → dropout → Linear 4096 → ReLU → dropout → Linear classes (null without the top:
    /// the model then returns the last feature map).</summary>
    public Sequential? Classifier { get; set; }

    /// <summary>Configuration A, 8 convolutions + 3 fully connected layers.</summary>
    public static Vgg Vgg11(bool batchNorm = false, ZooOptions? options = null) =>
        new([64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0], batchNorm, options);

    /// <summary>Configuration B, 10 + 3.</summary>
    public static Vgg Vgg13(bool batchNorm = false, ZooOptions? options = null) =>
        new([64, 64, 0, 128, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0], batchNorm, options);

    /// <summary>Configuration D, 13 + 3; 138,357,544 parameters at 1000 classes (138,365,992 with BN).</summary>
    public static Vgg Vgg16(bool batchNorm = false, ZooOptions? options = null) =>
        new([64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0], batchNorm, options);

    /// <summary>Configuration E, 16 + 3.</summary>
    public static Vgg Vgg19(bool batchNorm = false, ZooOptions? options = null) =>
        new([64, 64, 0, 128, 128, 0, 256, 256, 256, 256, 0, 512, 512, 512, 512, 0, 512, 512, 512, 512, 0], batchNorm,
            options);

    /// <inheritdoc/>
    public Tensor Forward(Tensor x)
    {
        x = Features.Call(x);
        return Classifier is null ? x : Classifier.Call(x.AdaptiveAvgPool2d(pooled, pooled).Flatten(1));
    }
}
