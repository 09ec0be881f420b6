// DenseNet (Huang, Liu, van der Maaten & Weinberger, 2017, "Densely Connected Convolutional Networks"). Inside a
// dense block every layer takes the concatenation of all earlier feature maps and adds k (the growth rate, 32)
// new ones: BN → ReLU → 1×1 conv (4k, the bottleneck) → BN → ReLU → 3×3 conv (k). Features are reused rather than
// relearned, so the layers stay narrow. Transition layers between blocks (BN → ReLU → 1×1 conv halving the
// channels → 2×2 average pool) shrink the maps. DenseNet-121 has blocks of 6, 12, 24, 16 layers (7,978,856
// parameters), DenseNet-169 6, 12, 32, 32 (14,149,480). State-dict names are torchvision's
// (features.denseblock1.denselayer1.conv1.weight, features.transition1.norm.weight, classifier.weight).
//
// Shapes: x (N, C, 224, 224) → stem (N, 64, 56, 56) → block1 (N, 256, 56, 56) → … → block4 (N, 1024, 7, 7) for
// DenseNet-121 → (N, classes). The small-input stem (3×3 stride-1 conv0, no pool0) keeps 32×32 at 32×32 in block1.

using Dendrite.Nn;

namespace Dendrite.Models;

/// <summary>One dense layer: BN → ReLU → 1×1 conv (bnSize·growth) → BN → ReLU → 3×3 conv (growth).
///   (N, C, H, W) → (N, growth, H, W); the block concatenates it to its input.</summary>
public sealed class DenseLayer : Module, ILayer
{
    /// <summary>A layer reading <paramref name="inChannels"/> and adding <paramref name="growthRate"/> maps.</summary>
    public DenseLayer(int inChannels, int growthRate, int bnSize)
    {
        Norm1 = new BatchNorm2d(inChannels);
        Conv1 = new Conv2d(inChannels, bnSize * growthRate, 1, bias: false);
        Norm2 = new BatchNorm2d(bnSize * growthRate);
        Conv2 = new Conv2d(bnSize * growthRate, growthRate, 3, padding: 1, bias: false);
    }

    /// <summary>BN on the concatenated input.</summary>
    public BatchNorm2d Norm1 { get; }

    /// <summary>The 1×1 bottleneck.</summary>
    public Conv2d Conv1 { get; }

    /// <summary>BN after the bottleneck.</summary>
    public BatchNorm2d Norm2 { get; }

    /// <summary>The 3×3 convolution producing the new maps.</summary>
    public Conv2d Conv2 { get; }

    /// <inheritdoc/>
    public Tensor Forward(Tensor x) => Conv2.Call(Norm2.Call(Conv1.Call(Norm1.Call(x).Relu())).Relu());
}

/// <summary>A dense block: layer i reads the block input and every earlier layer's output, concatenated.
///   (N, C, H, W) → (N, C + layers·growth, H, W). Children are named denselayer1, denselayer2, ….</summary>
public sealed class DenseBlock : Module, ILayer
{
    private readonly List<DenseLayer> layers = [];

    /// <summary>A block of <paramref name="count"/> layers.</summary>
    public DenseBlock(int count, int inChannels, int growthRate, int bnSize)
    {
        for (int i = 0; i < count; i++)
        {
            var layer = new DenseLayer(inChannels + i * growthRate, growthRate, bnSize);
            RegisterModule($"denselayer{i + 1}", layer);
            layers.Add(layer);
        }
        OutChannels = inChannels + count * growthRate;
    }

    /// <summary>Channels after the block.</summary>
    public int OutChannels { get; }

    /// <inheritdoc/>
    public Tensor Forward(Tensor x)
    {
        var features = new List<Tensor> { x };
        foreach (var layer in layers) features.Add(layer.Call(features.Count == 1 ? x : Tensor.Cat(features, 1)));
        return Tensor.Cat(features, 1);
    }
}

/// <summary>DenseNet-121/169, torchvision-compatible.</summary>
public sealed class DenseNet : Module, ILayer
{
    /// <summary>A DenseNet with <paramref name="blocks"/> layers per dense block.</summary>
    public DenseNet(int[] blocks, ZooOptions? options = null, int growthRate = 32, int initFeatures = 64,
        int bnSize = 4)
    {
        var o = options ?? new ZooOptions();
        Options = o;
        Features = o.SmallInput
            ? new Sequential(("conv0", new Conv2d(o.InChannels, initFeatures, 3, 1, 1, bias: false)),
                ("norm0", new BatchNorm2d(initFeatures)), ("relu0", new Relu()))
            : new Sequential(("conv0", new Conv2d(o.InChannels, initFeatures, 7, 2, 3, bias: false)),
                ("norm0", new BatchNorm2d(initFeatures)), ("relu0", new Relu()), ("pool0", new MaxPool2d(3, 2, 1)));
        int c = initFeatures;
        for (int i = 0; i < blocks.Length; i++)
        {
            var block = new DenseBlock(blocks[i], c, growthRate, bnSize);
            Features.Append($"denseblock{i + 1}", block);
            c = block.OutChannels;
            if (i == blocks.Length - 1) break;
            Features.Append($"transition{i + 1}", new Sequential(("norm", new BatchNorm2d(c)), ("relu", new Relu()),
                ("conv", new Conv2d(c, c / 2, 1, bias: false)), ("pool", new AvgPool2d(2, 2))));
            c /= 2;
        }
        Features.Append("norm5", new BatchNorm2d(c));
        FeatureCount = c;
        if (o.IncludeTop) Classifier = new Linear(c, o.NumClasses);
    }

    /// <summary>The options it was built with.</summary>
    public ZooOptions Options { get; }

    /// <summary>Channels of the last feature map (1024 for DenseNet-121, 1664 for DenseNet-169).</summary>
    public int FeatureCount { get; }

    /// <summary>Stem, dense blocks and transitions, final BN.</summary>
    public Sequential Features { get; }

    /// <summary>The classifier (null without the top: the model then returns the last feature map after ReLU).
    /// </summary>
    public Linear? Classifier { get; set; }

    /// <summary>DenseNet-121: blocks 6, 12, 24, 16.</summary>
    public static DenseNet DenseNet121(ZooOptions? options = null) => new([6, 12, 24, 16], options);

    /// <summary>DenseNet-169: blocks 6, 12, 32, 32.</summary>
    public static DenseNet DenseNet169(ZooOptions? options = null) => new([6, 12, 32, 32], options);

    /// <inheritdoc/>
    public Tensor Forward(Tensor x)
    {
        x = Features.Call(x).Relu();
        return Classifier is null ? x : Classifier.Call(x.AdaptiveAvgPool2d(1, 1).Flatten(1));
    }
}
