// AlexNet (Krizhevsky, Sutskever & Hinton, 2012, "ImageNet Classification with Deep Convolutional Neural
// Networks"): five convolutions (11×11 stride 4, 5×5, then three 3×3) with ReLU, overlapping 3×3 stride-2 max
// pools, and three fully connected layers with dropout. The paper's form keeps what the two-GPU training imposed:
// conv2, conv4 and conv5 see only the half of the channels on their own GPU (groups = 2), and local response
// normalisation (n = 5, α = 1e-4, β = 0.75, k = 2) follows the ReLU of conv1 and conv2: 60,965,224 parameters.
// torchvision's variant (from "One weird trick", Krizhevsky 2014) has no groups or LRN and 64-192-384-256-256
// channels: 61,100,840 parameters, with its state-dict names (features.{0,3,6,8,10}, classifier.{1,4,6}).
//
// Shapes: x (N, C, 224, 224) → features (N, 256, 6, 6) → avgpool (N, 256, 6, 6) → (N, classes). The small-input
// stem (3×3 stride-1 first convolution, 2×2 pools) takes 32×32 images to (N, 256, 4, 4), pooled to 1×1, and the
// classifier starts at 256 inputs.

using Dendrite.Nn;

namespace Dendrite.Models;

/// <summary>AlexNet: the paper's two-GPU form with LRN, or torchvision's single-GPU variant.</summary>
public sealed class AlexNet : Module, ILayer
{
    private readonly int pooled;

    private AlexNet(Sequential features, int channels, ZooOptions o)
    {
        Options = o;
        Features = features;
        pooled = o.SmallInput ? 1 : 6;
        if (o.IncludeTop)
        {
            int inputs = channels * pooled * pooled;
            Classifier = new Sequential(new Dropout(), new Linear(inputs, 4096), new Relu(), new Dropout(),
                new Linear(4096, 4096), new Relu(), new Linear(4096, o.NumClasses));
        }
    }

    /// <summary>The options it was built with.</summary>
    public ZooOptions Options { get; }

    /// <summary>The convolutional part.</summary>
    public Sequential Features { get; }

    /// <summary>Dropout → Linear 4096 → ReLU → dropout → Linear 4096 → ReLU → Linear classes (null without the
    /// top: the model then returns the last feature map).</summary>
    public Sequential? Classifier { get; set; }

    /// <summary>torchvision's AlexNet: 61,100,840 parameters at 1000 classes.</summary>
    public static AlexNet Torchvision(ZooOptions? options = null)
    {
        var o = options ?? new ZooOptions();
        var (first, pool) = Stem(o, 64, 11, 4, 2);
        var f = new Sequential(first, new Relu(), pool(), new Conv2d(64, 192, 5, padding: 2), new Relu(), pool(),
            new Conv2d(192, 384, 3, padding: 1), new Relu(), new Conv2d(384, 256, 3, padding: 1), new Relu(),
            new Conv2d(256, 256, 3, padding: 1), new Relu(), pool());
        return new AlexNet(f, 256, o);
    }

    /// <summary>The paper's AlexNet: 96-256-384-384-256 channels, grouped conv2/4/5, LRN after conv1 and conv2;
    /// 60,965,224 parameters at 1000 classes.</summary>
    public static AlexNet Paper(ZooOptions? options = null)
    {
        var o = options ?? new ZooOptions();
        var (first, pool) = Stem(o, 96, 11, 4, 2);
        var f = new Sequential(first, new Relu(), new LocalResponseNorm(5, 1e-4, 0.75, 2), pool(),
            new Conv2d(96, 256, 5, padding: 2, groups: 2), new Relu(), new LocalResponseNorm(5, 1e-4, 0.75, 2), pool(),
            new Conv2d(256, 384, 3, padding: 1), new Relu(), new Conv2d(384, 384, 3, padding: 1, groups: 2),
            new Relu(), new Conv2d(384, 256, 3, padding: 1, groups: 2), new Relu(), pool());
        return new AlexNet(f, 256, o);
    }

    /// <inheritdoc/>
    public Tensor Forward(Tensor x)
    {
        x = Features.Call(x);
        return Classifier is null ? x : Classifier.Call(x.AdaptiveAvgPool2d(pooled, pooled).Flatten(1));
    }

    // The first convolution and the pool used between stages: the ImageNet ones, or 3×3 stride 1 and 2×2 pools for
    // small images.
    internal static (Conv2d First, Func<MaxPool2d> Pool) Stem(ZooOptions o, int width, int kernel, int stride,
        int padding) => o.SmallInput
        ? (new Conv2d(o.InChannels, width, 3, 1, 1), () => new MaxPool2d(2, 2))
        : (new Conv2d(o.InChannels, width, kernel, stride, padding), () => new MaxPool2d(3, 2));
}
