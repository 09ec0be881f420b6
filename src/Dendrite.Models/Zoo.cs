using Dendrite.Nn;

namespace Dendrite.Models;

/// <summary>What every zoo CNN takes: the number of classes, the input channels, whether to build the classifier
/// head (without it the model returns its last feature map, for feature extraction and new heads), and a stem for
/// small images (28×28, 32×32) that downsamples less than the ImageNet stem.</summary>
/// <param name="NumClasses">Outputs of the classifier.</param>
/// <param name="InChannels">Channels of the input images (3 for RGB, 1 for grey).</param>
/// <param name="IncludeTop">Build the classifier head.</param>
/// <param name="SmallInput">Use the small-input stem.</param>
public sealed record ZooOptions(int NumClasses = 1000, int InChannels = 3, bool IncludeTop = true,
    bool SmallInput = false);

/// <summary>Models that the command line can build by name, with the input shape they expect (batch excluded).</summary>
public static class Zoo
{
    /// <summary>One entry: how to build the model and what one example looks like. <paramref name="Build"/>, when
    /// present, builds it with other <see cref="ZooOptions"/> (classes, channels, head, small-input stem).</summary>
    public sealed record Entry(string Name, string Description, int[] InputShape, Func<Module> Create,
        Func<ZooOptions, Module>? Build = null);

    /// <summary>Every model by name.</summary>
    public static IReadOnlyList<Entry> All { get; } =
    [
        new("mlp", "784-256-128-10 ReLU MLP for Fashion-MNIST", [1, 28, 28], Mlp.FashionMnist),
        .. Cnns(),
    ];

    /// <summary>The model called <paramref name="name"/> built with <paramref name="options"/>.</summary>
    public static Module Create(string name, ZooOptions options)
    {
        var e = Get(name);
        return e.Build is null
            ? throw new ArgumentException($"model '{name}' takes no ZooOptions; build it with Zoo.Get(name).Create()")
            : e.Build(options);
    }

    private static IEnumerable<Entry> Cnns()
    {
        int[] image = [3, 224, 224];
        Entry E(string name, string description, int[] input, Func<ZooOptions, Module> build) =>
            new(name, description, input, () => build(new ZooOptions()), build);
        var digits = new ZooOptions(NumClasses: 10, InChannels: 1);
        yield return new("lenet5", "LeNet-5 (LeCun 1998): tanh, average pooling, 10 classes", [1, 28, 28],
            () => LeNet.Classic(digits), o => LeNet.Classic(o));
        yield return new("lenet5_modern", "LeNet-5 with ReLU and max pooling, 10 classes", [1, 28, 28],
            () => LeNet.Modern(digits), o => LeNet.Modern(o));
        yield return E("alexnet", "AlexNet, torchvision's single-GPU variant", image, o => AlexNet.Torchvision(o));
        yield return E("alexnet_paper", "AlexNet as in the 2012 paper: LRN, two-GPU grouped convolutions", image,
            o => AlexNet.Paper(o));
        yield return E("zfnet", "ZFNet (Zeiler & Fergus 2013): 7x7 stride-2 first layer", image, o => ZfNet.Create(o));
        foreach (int depth in new[] { 11, 13, 16, 19 })
        {
            foreach (bool bn in new[] { false, true })
            {
                int d = depth;
                bool b = bn;
                yield return E($"vgg{d}{(b ? "_bn" : "")}", $"VGG-{d}{(b ? " with batch norm" : "")}", image,
                    o => d switch
                    {
                        11 => Vgg.Vgg11(b, o),
                        13 => Vgg.Vgg13(b, o),
                        16 => Vgg.Vgg16(b, o),
                        _ => Vgg.Vgg19(b, o),
                    });
            }
        }
        yield return E("googlenet", "GoogLeNet / Inception v1, without auxiliary heads", image,
            o => new GoogLeNet(o, auxLogits: false));
        yield return E("googlenet_aux", "GoogLeNet / Inception v1 with its two auxiliary heads", image,
            o => new GoogLeNet(o, auxLogits: true));
        yield return E("resnet18", "ResNet-18 (basic blocks)", image, o => ResNet.ResNet18(o));
        yield return E("resnet34", "ResNet-34 (basic blocks)", image, o => ResNet.ResNet34(o));
        yield return E("resnet50", "ResNet-50 (bottleneck blocks)", image, o => ResNet.ResNet50(o));
        yield return E("resnet101", "ResNet-101 (bottleneck blocks)", image, o => ResNet.ResNet101(o));
        yield return E("resnet152", "ResNet-152 (bottleneck blocks)", image, o => ResNet.ResNet152(o));
        foreach (var (depth, n) in new[] { (20, 3), (32, 5), (44, 7), (56, 9), (110, 18) })
        {
            int blocks = n;
            yield return new($"resnet{depth}", $"ResNet-{depth} for 32x32 images, 10 classes (He 2015 §4.2, " +
                "option A shortcuts)", [3, 32, 32], () => new CifarResNet(blocks), o => new CifarResNet(blocks, o));
        }
        yield return E("inception_v3", "Inception v3, without the auxiliary head", [3, 299, 299],
            o => new InceptionV3(o, auxLogits: false));
        yield return E("inception_v3_aux", "Inception v3 with its auxiliary head", [3, 299, 299],
            o => new InceptionV3(o, auxLogits: true));
        yield return E("xception", "Xception (Chollet 2017): depthwise separable convolutions", [3, 299, 299],
            o => new Xception(o));
        yield return E("mobilenet_v1", "MobileNet v1: depthwise separable blocks", image, o => MobileNet.V1(o));
        yield return E("mobilenet_v2", "MobileNet v2: inverted residuals, linear bottlenecks", image,
            o => MobileNet.V2(o));
        yield return E("densenet121", "DenseNet-121 (growth 32)", image, o => DenseNet.DenseNet121(o));
        yield return E("densenet169", "DenseNet-169 (growth 32)", image, o => DenseNet.DenseNet169(o));
    }

    /// <summary>The entry called <paramref name="name"/>.</summary>
    public static Entry Get(string name) => All.FirstOrDefault(e => e.Name == name)
        ?? throw new ArgumentException($"unknown model '{name}'; known: {string.Join(", ", All.Select(e => e.Name))}");
}
