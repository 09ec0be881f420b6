// GoogLeNet / Inception v1 (Szegedy et al., 2014, "Going Deeper with Convolutions"). Each Inception module runs
// 1×1, 3×3 and 5×5 convolutions and a 3×3 max pool side by side and concatenates their channels, with 1×1
// convolutions in front of the large ones (and after the pool) to cut the channels first: 22 layers deep with 12×
// fewer parameters than AlexNet. Two auxiliary classifiers on inception 4a and 4d add their losses (weight 0.3
// in the paper) during training to push gradient into the middle of the network; they are dropped at inference.
// As torchvision: every convolution is followed by batch norm (eps 1e-3, from Inception v2) and the "5×5" branch
// uses a 3×3 kernel (a slip kept for checkpoint compatibility); 6,624,904 parameters without the auxiliary heads.
//
// Shapes: x (N, C, 224, 224) → stem (N, 192, 28, 28) → 3a, 3b (N, 480, 28, 28) → 4a..4e (N, 832, 14, 14) →
// 5a, 5b (N, 1024, 7, 7) → (N, classes). The small-input stem (3×3 stride-1 conv1, no stem pools) keeps 32×32
// images at 32×32 until inception 3b.

using Dendrite.Nn;

namespace Dendrite.Models;

/// <summary>Convolution without bias → batch norm (eps 1e-3) → ReLU, torchvision's BasicConv2d (children conv, bn).
/// </summary>
public sealed class BasicConv2d : Module, ILayer
{
    /// <summary>A KH×KW convolution with per-dimension stride and padding.</summary>
    public BasicConv2d(int inChannels, int outChannels, (int H, int W) kernel, (int H, int W) stride,
        (int H, int W) padding)
    {
        Conv = new Conv2d(inChannels, outChannels, kernel, stride, padding, bias: false);
        Bn = new BatchNorm2d(outChannels, eps: 1e-3);
    }

    /// <summary>A square K×K convolution.</summary>
    public BasicConv2d(int inChannels, int outChannels, int kernel, int stride = 1, int padding = 0)
        : this(inChannels, outChannels, (kernel, kernel), (stride, stride), (padding, padding))
    {
    }

    /// <summary>The convolution.</summary>
    public Conv2d Conv { get; }

    /// <summary>Its batch norm.</summary>
    public BatchNorm2d Bn { get; }

    /// <inheritdoc/>
    /// <remarks>The batch norm is folded into the convolution in evaluation mode without gradients
    /// (<see cref="Conv2d.ForwardWithBatchNorm"/>).</remarks>
    public Tensor Forward(Tensor x) => Conv.ForwardWithBatchNorm(Bn, x, ConvBnActivation.Relu);
}

/// <summary>An Inception module: four branches (1×1; 1×1 → 3×3; 1×1 → 3×3; 3×3 max pool → 1×1) concatenated.
/// </summary>
public sealed class InceptionModule : Module, ILayer
{
    /// <summary>A module from <paramref name="inChannels"/> to ch1x1 + ch3x3 + ch5x5 + poolProj channels.</summary>
    public InceptionModule(int inChannels, int ch1x1, int ch3x3Reduce, int ch3x3, int ch5x5Reduce, int ch5x5,
        int poolProj)
    {
        Branch1 = new BasicConv2d(inChannels, ch1x1, 1);
        Branch2 = new Sequential(new BasicConv2d(inChannels, ch3x3Reduce, 1),
            new BasicConv2d(ch3x3Reduce, ch3x3, 3, padding: 1));
        Branch3 = new Sequential(new BasicConv2d(inChannels, ch5x5Reduce, 1),
            new BasicConv2d(ch5x5Reduce, ch5x5, 3, padding: 1));
        Branch4 = new Sequential(new MaxPool2d(3, 1, 1, ceilMode: true), new BasicConv2d(inChannels, poolProj, 1));
    }

    /// <summary>1×1 branch.</summary>
    public BasicConv2d Branch1 { get; }

    /// <summary>1×1 → 3×3 branch.</summary>
    public Sequential Branch2 { get; }

    /// <summary>1×1 → "5×5" (3×3, as torchvision) branch.</summary>
    public Sequential Branch3 { get; }

    /// <summary>Max pool → 1×1 projection branch.</summary>
    public Sequential Branch4 { get; }

    /// <inheritdoc/>
    public Tensor Forward(Tensor x) =>
        Tensor.Cat([Branch1.Call(x), Branch2.Call(x), Branch3.Call(x), Branch4.Call(x)], 1);
}

/// <summary>GoogLeNet's auxiliary classifier: 4×4 average pool → 1×1 conv (128) → FC 1024 → dropout 0.7 → FC.
/// </summary>
public sealed class GoogLeNetAux : Module, ILayer
{
    /// <summary>A head on a feature map of <paramref name="inChannels"/>.</summary>
    public GoogLeNetAux(int inChannels, int numClasses)
    {
        Conv = new BasicConv2d(inChannels, 128, 1);
        Fc1 = new Linear(2048, 1024);
        Fc2 = new Linear(1024, numClasses);
        Dropout = new Dropout(0.7);
    }

    /// <summary>1×1 convolution to 128 channels.</summary>
    public BasicConv2d Conv { get; }

    /// <summary>2048 → 1024.</summary>
    public Linear Fc1 { get; }

    /// <summary>1024 → classes.</summary>
    public Linear Fc2 { get; }

    /// <summary>Dropout 0.7.</summary>
    public Dropout Dropout { get; }

    /// <inheritdoc/>
    public Tensor Forward(Tensor x) =>
        Fc2.Call(Dropout.Call(Fc1.Call(Conv.Call(x.AdaptiveAvgPool2d(4, 4)).Flatten(1)).Relu()));
}

/// <summary>GoogLeNet, torchvision-compatible (transform_input off).</summary>
public sealed class GoogLeNet : Module, ILayer
{
    /// <summary>Builds the network; <paramref name="auxLogits"/> adds the two auxiliary heads (with the top only).
    /// </summary>
    public GoogLeNet(ZooOptions? options = null, bool auxLogits = false)
    {
        var o = options ?? new ZooOptions();
        Options = o;
        bool small = o.SmallInput;
        Conv1 = small ? new BasicConv2d(o.InChannels, 64, 3, 1, 1) : new BasicConv2d(o.InChannels, 64, 7, 2, 3);
        Maxpool1 = small ? new Identity() : new MaxPool2d(3, 2, ceilMode: true);
        Conv2 = new BasicConv2d(64, 64, 1);
        Conv3 = new BasicConv2d(64, 192, 3, padding: 1);
        Maxpool2 = small ? new Identity() : new MaxPool2d(3, 2, ceilMode: true);
        Inception3a = new InceptionModule(192, 64, 96, 128, 16, 32, 32);
        Inception3b = new InceptionModule(256, 128, 128, 192, 32, 96, 64);
        Maxpool3 = new MaxPool2d(3, 2, ceilMode: true);
        Inception4a = new InceptionModule(480, 192, 96, 208, 16, 48, 64);
        Inception4b = new InceptionModule(512, 160, 112, 224, 24, 64, 64);
        Inception4c = new InceptionModule(512, 128, 128, 256, 24, 64, 64);
        Inception4d = new InceptionModule(512, 112, 144, 288, 32, 64, 64);
        Inception4e = new InceptionModule(528, 256, 160, 320, 32, 128, 128);
        Maxpool4 = new MaxPool2d(2, 2, ceilMode: true);
        Inception5a = new InceptionModule(832, 256, 160, 320, 32, 128, 128);
        Inception5b = new InceptionModule(832, 384, 192, 384, 48, 128, 128);
        if (o.IncludeTop && auxLogits)
        {
            Aux1 = new GoogLeNetAux(512, o.NumClasses);
            Aux2 = new GoogLeNetAux(528, o.NumClasses);
        }
        if (o.IncludeTop)
        {
            Dropout = new Dropout(0.2);
            Fc = new Linear(1024, o.NumClasses);
        }
    }

    /// <summary>The options it was built with.</summary>
    public ZooOptions Options { get; }

    /// <summary>Stem: 7×7 stride-2 convolution, 64 channels (3×3 stride 1 with the small-input stem).</summary>
    public BasicConv2d Conv1 { get; }

    /// <summary>Stem: 3×3 stride-2 max pool (the identity with the small-input stem).</summary>
    public Module Maxpool1 { get; }

    /// <summary>Stem: 1×1 convolution, 64 channels.</summary>
    public BasicConv2d Conv2 { get; }

    /// <summary>Stem: 3×3 convolution, 192 channels.</summary>
    public BasicConv2d Conv3 { get; }

    /// <summary>Stem: 3×3 stride-2 max pool (the identity with the small-input stem).</summary>
    public Module Maxpool2 { get; }

    /// <summary>Inception module 3a of the paper's table 1.</summary>
    public InceptionModule Inception3a { get; }

    /// <summary>Inception module 3b of the paper's table 1.</summary>
    public InceptionModule Inception3b { get; }

    /// <summary>3×3 stride-2 max pool between stages 3 and 4.</summary>
    public MaxPool2d Maxpool3 { get; }

    /// <summary>Inception module 4a of the paper's table 1.</summary>
    public InceptionModule Inception4a { get; }

    /// <summary>Inception module 4b of the paper's table 1.</summary>
    public InceptionModule Inception4b { get; }

    /// <summary>Inception module 4c of the paper's table 1.</summary>
    public InceptionModule Inception4c { get; }

    /// <summary>Inception module 4d of the paper's table 1.</summary>
    public InceptionModule Inception4d { get; }

    /// <summary>Inception module 4e of the paper's table 1.</summary>
    public InceptionModule Inception4e { get; }

    /// <summary>2×2 stride-2 max pool between stages 4 and 5.</summary>
    public MaxPool2d Maxpool4 { get; }

    /// <summary>Inception module 5a of the paper's table 1.</summary>
    public InceptionModule Inception5a { get; }

    /// <summary>Inception module 5b of the paper's table 1.</summary>
    public InceptionModule Inception5b { get; }

    /// <summary>Auxiliary head on inception 4a (null unless built with auxLogits).</summary>
    public GoogLeNetAux? Aux1 { get; set; }

    /// <summary>Auxiliary head on inception 4d (null unless built with auxLogits).</summary>
    public GoogLeNetAux? Aux2 { get; set; }

    /// <summary>Dropout 0.2 before the classifier (null without the top).</summary>
    public Dropout? Dropout { get; }

    /// <summary>1024 → classes (null without the top: the model then returns inception 5b's feature map).</summary>
    public Linear? Fc { get; set; }

    /// <inheritdoc/>
    public Tensor Forward(Tensor x) => ForwardWithAux(x).Logits;

    /// <summary>The logits, and in training mode with auxiliary heads their two outputs (null otherwise), for a
    /// loss of L + 0.3·(L_aux1 + L_aux2) as in the paper.</summary>
    public (Tensor Logits, Tensor? Aux1, Tensor? Aux2) ForwardWithAux(Tensor x)
    {
        x = ((ILayer)Maxpool1).Call(Conv1.Call(x));
        x = ((ILayer)Maxpool2).Call(Conv3.Call(Conv2.Call(x)));
        x = Maxpool3.Call(Inception3b.Call(Inception3a.Call(x)));
        x = Inception4a.Call(x);
        var a1 = Training && Aux1 is not null ? Aux1.Call(x) : null;
        x = Inception4d.Call(Inception4c.Call(Inception4b.Call(x)));
        var a2 = Training && Aux2 is not null ? Aux2.Call(x) : null;
        x = Maxpool4.Call(Inception4e.Call(x));
        x = Inception5b.Call(Inception5a.Call(x));
        if (Fc is null) return (x, null, null);
        return (Fc.Call(Dropout!.Call(x.AdaptiveAvgPool2d(1, 1).Flatten(1))), a1, a2);
    }
}
