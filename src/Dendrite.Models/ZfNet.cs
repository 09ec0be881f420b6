// ZFNet (Zeiler & Fergus, 2013, "Visualizing and Understanding Convolutional Networks"): AlexNet re-tuned after
// looking at what its filters learned through deconvolution. The 11×11 stride-4 first layer produced aliasing and
// dead filters, so ZFNet uses 7×7 stride 2 (and conv2 stride 2), keeping the 224 → 110 → 55 → 26 → 13 → 6 sizes
// of the paper's figure 3; the channels are dense (no two-GPU groups), 96-256-384-384-256, with contrast
// normalisation (here LRN) after the first two layers.
//
// Shapes: x (N, C, 224, 224) → features (N, 256, 6, 6) → (N, classes). The small-input stem uses 3×3 stride-1
// first two convolutions and 2×2 pools, pooled to 1×1 before a 256-input classifier.

using Dendrite.Nn;

namespace Dendrite.Models;

/// <summary>ZFNet, built as an <see cref="AlexNet"/>-shaped <see cref="Sequential"/> pair (features, classifier).
/// </summary>
public sealed class ZfNet : Module, ILayer
{
    private readonly int pooled;

    private ZfNet(ZooOptions o)
    {
        Options = o;
        bool small = o.SmallInput;
        Features = small
            ? new Sequential(new Conv2d(o.InChannels, 96, 3, 1, 1), new Relu(), new MaxPool2d(2),
                new LocalResponseNorm(5, 1e-4, 0.75, 2), new Conv2d(96, 256, 3, 1, 1), new Relu(), new MaxPool2d(2),
                new LocalResponseNorm(5, 1e-4, 0.75, 2))
            : new Sequential(new Conv2d(o.InChannels, 96, 7, 2, 1), new Relu(), new MaxPool2d(3, 2, 1),
                new LocalResponseNorm(5, 1e-4, 0.75, 2), new Conv2d(96, 256, 5, 2, 0), new Relu(),
                new MaxPool2d(3, 2, 1), new LocalResponseNorm(5, 1e-4, 0.75, 2));
        Features.Append(new Conv2d(256, 384, 3, padding: 1)).Append(new Relu())
            .Append(new Conv2d(384, 384, 3, padding: 1)).Append(new Relu())
            .Append(new Conv2d(384, 256, 3, padding: 1)).Append(new Relu())
            .Append(small ? new MaxPool2d(2) : new MaxPool2d(3, 2));
        pooled = small ? 1 : 6;
        if (o.IncludeTop)
            Classifier = new Sequential(new Dropout(), new Linear(256 * pooled * pooled, 4096), new Relu(),
                new Dropout(), new Linear(4096, 4096), new Relu(), new Linear(4096, o.NumClasses));
    }

    /// <summary>The options it was built with.</summary>
    public ZooOptions Options { get; }

    /// <summary>The convolutional part.</summary>
    public Sequential Features { get; }

    /// <summary>The classifier (null without the top: the model then returns the last feature map).</summary>
    public Sequential? Classifier { get; set; }

    /// <summary>ZFNet for <paramref name="options"/> (1000 classes of 224×224 RGB images by default).</summary>
    public static ZfNet Create(ZooOptions? options = null) => new(options ?? new ZooOptions());

    /// <inheritdoc/>
    public Tensor Forward(Tensor x)
    {
        x = Features.Call(x);
        return Classifier is null ? x : Classifier.Call(x.AdaptiveAvgPool2d(pooled, pooled).Flatten(1));
    }
}
