// Inception v3 (Szegedy, Vanhoucke, Ioffe, Shlens & Wojna, 2015, "Rethinking the Inception Architecture for
// Computer Vision"). The 5×5 convolutions of Inception v1 become two 3×3 (module A), n×n ones become a 1×n then an
// n×1 (module C, n = 7: factorised asymmetric convolutions), the coarsest grid widens its 3×3 branches into
// parallel 1×3 and 3×1 (module E), and the grid shrinks through modules that pool and convolve with stride 2 side
// by side (B, D) instead of a pool that would bottleneck the representation. Batch norm follows every
// convolution; one auxiliary classifier on the 17×17 grid acts as a regulariser. torchvision-compatible names
// (Conv2d_1a_3x3, Mixed_5b, AuxLogits, fc): 23,834,568 parameters without the auxiliary head, 27,161,264 with it.
//
// Shapes: x (N, C, 299, 299) → stem (N, 192, 35, 35) → 5b..5d (N, 288, 35, 35) → 6a..6e (N, 768, 17, 17) →
// 7a..7c (N, 2048, 8, 8) → (N, classes). The small-input stem (stride-1 first convolution, padded 3×3s, no stem
// pools) takes 32×32 images to 8×8 at 6a and 3×3 at 7a; the auxiliary head needs the full stem.

using Dendrite.Nn;

namespace Dendrite.Models;

/// <summary>Module A (35×35): 1×1 | 1×1 → 5×5 | 1×1 → 3×3 → 3×3 | avg pool → 1×1.</summary>
public sealed class InceptionA : Module, ILayer
{
    /// <summary>64 + 64 + 96 + <paramref name="poolFeatures"/> output channels.</summary>
    public InceptionA(int inChannels, int poolFeatures)
    {
        Branch1x1 = new BasicConv2d(inChannels, 64, 1);
        Branch5x5_1 = new BasicConv2d(inChannels, 48, 1);
        Branch5x5_2 = new BasicConv2d(48, 64, 5, padding: 2);
        Branch3x3dbl_1 = new BasicConv2d(inChannels, 64, 1);
        Branch3x3dbl_2 = new BasicConv2d(64, 96, 3, padding: 1);
        Branch3x3dbl_3 = new BasicConv2d(96, 96, 3, padding: 1);
        BranchPool = new BasicConv2d(inChannels, poolFeatures, 1);
    }

#pragma warning disable CA1707 // torchvision's names
    /// <summary>1×1 branch.</summary>
    [StateName("branch1x1")]
    public BasicConv2d Branch1x1 { get; }

    /// <summary>5×5 branch, reduction.</summary>
    [StateName("branch5x5_1")]
    public BasicConv2d Branch5x5_1 { get; }

    /// <summary>5×5 branch, convolution.</summary>
    [StateName("branch5x5_2")]
    public BasicConv2d Branch5x5_2 { get; }

    /// <summary>Double 3×3 branch, reduction.</summary>
    [StateName("branch3x3dbl_1")]
    public BasicConv2d Branch3x3dbl_1 { get; }

    /// <summary>Double 3×3 branch, first 3×3.</summary>
    [StateName("branch3x3dbl_2")]
    public BasicConv2d Branch3x3dbl_2 { get; }

    /// <summary>Double 3×3 branch, second 3×3.</summary>
    [StateName("branch3x3dbl_3")]
    public BasicConv2d Branch3x3dbl_3 { get; }
#pragma warning restore CA1707

    /// <summary>Pool branch projection.</summary>
    [StateName("branch_pool")]
    public BasicConv2d BranchPool { get; }

    /// <inheritdoc/>
    public Tensor Forward(Tensor x) => Tensor.Cat([Branch1x1.Call(x), Branch5x5_2.Call(Branch5x5_1.Call(x)),
        Branch3x3dbl_3.Call(Branch3x3dbl_2.Call(Branch3x3dbl_1.Call(x))),
        BranchPool.Call(x.AvgPool2d((3, 3), (1, 1), (1, 1)))], 1);
}

/// <summary>Module B (35 → 17): 3×3 stride 2 | 1×1 → 3×3 → 3×3 stride 2 | max pool stride 2.</summary>
public sealed class InceptionB : Module, ILayer
{
    /// <summary>384 + 96 + inChannels output channels.</summary>
    public InceptionB(int inChannels)
    {
        Branch3x3 = new BasicConv2d(inChannels, 384, 3, 2);
        Branch3x3dbl_1 = new BasicConv2d(inChannels, 64, 1);
        Branch3x3dbl_2 = new BasicConv2d(64, 96, 3, padding: 1);
        Branch3x3dbl_3 = new BasicConv2d(96, 96, 3, 2);
    }

#pragma warning disable CA1707
    /// <summary>Strided 3×3 branch.</summary>
    [StateName("branch3x3")]
    public BasicConv2d Branch3x3 { get; }

    /// <summary>Double 3×3 branch, reduction.</summary>
    [StateName("branch3x3dbl_1")]
    public BasicConv2d Branch3x3dbl_1 { get; }

    /// <summary>Double 3×3 branch, first 3×3.</summary>
    [StateName("branch3x3dbl_2")]
    public BasicConv2d Branch3x3dbl_2 { get; }

    /// <summary>Double 3×3 branch, strided 3×3.</summary>
    [StateName("branch3x3dbl_3")]
    public BasicConv2d Branch3x3dbl_3 { get; }
#pragma warning restore CA1707

    /// <inheritdoc/>
    public Tensor Forward(Tensor x) => Tensor.Cat([Branch3x3.Call(x),
        Branch3x3dbl_3.Call(Branch3x3dbl_2.Call(Branch3x3dbl_1.Call(x))), x.MaxPool2d((3, 3), (2, 2))], 1);
}

/// <summary>Module C (17×17): 1×1 | 1×1 → 1×7 → 7×1 | 1×1 → 7×1 → 1×7 → 7×1 → 1×7 | avg pool → 1×1.</summary>
public sealed class InceptionC : Module, ILayer
{
    /// <summary>4 × 192 output channels; <paramref name="c7"/> inner width of the 7-branches.</summary>
    public InceptionC(int inChannels, int c7)
    {
        Branch1x1 = new BasicConv2d(inChannels, 192, 1);
        Branch7x7_1 = new BasicConv2d(inChannels, c7, 1);
        Branch7x7_2 = Row(c7, c7);
        Branch7x7_3 = Col(c7, 192);
        Branch7x7dbl_1 = new BasicConv2d(inChannels, c7, 1);
        Branch7x7dbl_2 = Col(c7, c7);
        Branch7x7dbl_3 = Row(c7, c7);
        Branch7x7dbl_4 = Col(c7, c7);
        Branch7x7dbl_5 = Row(c7, 192);
        BranchPool = new BasicConv2d(inChannels, 192, 1);
    }

#pragma warning disable CA1707
    /// <summary>1×1 branch.</summary>
    [StateName("branch1x1")]
    public BasicConv2d Branch1x1 { get; }

    /// <summary>7 branch, reduction.</summary>
    [StateName("branch7x7_1")]
    public BasicConv2d Branch7x7_1 { get; }

    /// <summary>7 branch, 1×7.</summary>
    [StateName("branch7x7_2")]
    public BasicConv2d Branch7x7_2 { get; }

    /// <summary>7 branch, 7×1.</summary>
    [StateName("branch7x7_3")]
    public BasicConv2d Branch7x7_3 { get; }

    /// <summary>Double 7 branch, reduction.</summary>
    [StateName("branch7x7dbl_1")]
    public BasicConv2d Branch7x7dbl_1 { get; }

    /// <summary>Double 7 branch, 7×1.</summary>
    [StateName("branch7x7dbl_2")]
    public BasicConv2d Branch7x7dbl_2 { get; }

    /// <summary>Double 7 branch, 1×7.</summary>
    [StateName("branch7x7dbl_3")]
    public BasicConv2d Branch7x7dbl_3 { get; }

    /// <summary>Double 7 branch, 7×1.</summary>
    [StateName("branch7x7dbl_4")]
    public BasicConv2d Branch7x7dbl_4 { get; }

    /// <summary>Double 7 branch, 1×7.</summary>
    [StateName("branch7x7dbl_5")]
    public BasicConv2d Branch7x7dbl_5 { get; }
#pragma warning restore CA1707

    /// <summary>Pool branch projection.</summary>
    [StateName("branch_pool")]
    public BasicConv2d BranchPool { get; }

    /// <inheritdoc/>
    public Tensor Forward(Tensor x)
    {
        var b7 = Branch7x7_3.Call(Branch7x7_2.Call(Branch7x7_1.Call(x)));
        var d = Branch7x7dbl_3.Call(Branch7x7dbl_2.Call(Branch7x7dbl_1.Call(x)));
        d = Branch7x7dbl_5.Call(Branch7x7dbl_4.Call(d));
        return Tensor.Cat([Branch1x1.Call(x), b7, d, BranchPool.Call(x.AvgPool2d((3, 3), (1, 1), (1, 1)))], 1);
    }

    internal static BasicConv2d Row(int i, int o) => new(i, o, (1, 7), (1, 1), (0, 3));

    internal static BasicConv2d Col(int i, int o) => new(i, o, (7, 1), (1, 1), (3, 0));
}

/// <summary>Module D (17 → 8): 1×1 → 3×3 stride 2 | 1×1 → 1×7 → 7×1 → 3×3 stride 2 | max pool stride 2.</summary>
public sealed class InceptionD : Module, ILayer
{
    /// <summary>320 + 192 + inChannels output channels.</summary>
    public InceptionD(int inChannels)
    {
        Branch3x3_1 = new BasicConv2d(inChannels, 192, 1);
        Branch3x3_2 = new BasicConv2d(192, 320, 3, 2);
        Branch7x7x3_1 = new BasicConv2d(inChannels, 192, 1);
        Branch7x7x3_2 = InceptionC.Row(192, 192);
        Branch7x7x3_3 = InceptionC.Col(192, 192);
        Branch7x7x3_4 = new BasicConv2d(192, 192, 3, 2);
    }

#pragma warning disable CA1707
    /// <summary>3×3 branch, reduction.</summary>
    [StateName("branch3x3_1")]
    public BasicConv2d Branch3x3_1 { get; }

    /// <summary>3×3 branch, strided.</summary>
    [StateName("branch3x3_2")]
    public BasicConv2d Branch3x3_2 { get; }

    /// <summary>7×7×3 branch, reduction.</summary>
    [StateName("branch7x7x3_1")]
    public BasicConv2d Branch7x7x3_1 { get; }

    /// <summary>7×7×3 branch, 1×7.</summary>
    [StateName("branch7x7x3_2")]
    public BasicConv2d Branch7x7x3_2 { get; }

    /// <summary>7×7×3 branch, 7×1.</summary>
    [StateName("branch7x7x3_3")]
    public BasicConv2d Branch7x7x3_3 { get; }

    /// <summary>7×7×3 branch, strided 3×3.</summary>
    [StateName("branch7x7x3_4")]
    public BasicConv2d Branch7x7x3_4 { get; }
#pragma warning restore CA1707

    /// <inheritdoc/>
    public Tensor Forward(Tensor x)
    {
        var b3 = Branch3x3_2.Call(Branch3x3_1.Call(x));
        var b7 = Branch7x7x3_4.Call(Branch7x7x3_3.Call(Branch7x7x3_2.Call(Branch7x7x3_1.Call(x))));
        return Tensor.Cat([b3, b7, x.MaxPool2d((3, 3), (2, 2))], 1);
    }
}

/// <summary>Module E (8×8): 1×1 | 1×1 → (1×3 ‖ 3×1) | 1×1 → 3×3 → (1×3 ‖ 3×1) | avg pool → 1×1; 2048 channels.
/// </summary>
public sealed class InceptionE : Module, ILayer
{
    /// <summary>320 + 768 + 768 + 192 output channels.</summary>
    public InceptionE(int inChannels)
    {
        Branch1x1 = new BasicConv2d(inChannels, 320, 1);
        Branch3x3_1 = new BasicConv2d(inChannels, 384, 1);
        Branch3x3_2a = new BasicConv2d(384, 384, (1, 3), (1, 1), (0, 1));
        Branch3x3_2b = new BasicConv2d(384, 384, (3, 1), (1, 1), (1, 0));
        Branch3x3dbl_1 = new BasicConv2d(inChannels, 448, 1);
        Branch3x3dbl_2 = new BasicConv2d(448, 384, 3, padding: 1);
        Branch3x3dbl_3a = new BasicConv2d(384, 384, (1, 3), (1, 1), (0, 1));
        Branch3x3dbl_3b = new BasicConv2d(384, 384, (3, 1), (1, 1), (1, 0));
        BranchPool = new BasicConv2d(inChannels, 192, 1);
    }

#pragma warning disable CA1707
    /// <summary>1×1 branch.</summary>
    [StateName("branch1x1")]
    public BasicConv2d Branch1x1 { get; }

    /// <summary>3×3 branch, reduction.</summary>
    [StateName("branch3x3_1")]
    public BasicConv2d Branch3x3_1 { get; }

    /// <summary>3×3 branch, 1×3 half.</summary>
    [StateName("branch3x3_2a")]
    public BasicConv2d Branch3x3_2a { get; }

    /// <summary>3×3 branch, 3×1 half.</summary>
    [StateName("branch3x3_2b")]
    public BasicConv2d Branch3x3_2b { get; }

    /// <summary>Double 3×3 branch, reduction.</summary>
    [StateName("branch3x3dbl_1")]
    public BasicConv2d Branch3x3dbl_1 { get; }

    /// <summary>Double 3×3 branch, 3×3.</summary>
    [StateName("branch3x3dbl_2")]
    public BasicConv2d Branch3x3dbl_2 { get; }

    /// <summary>Double 3×3 branch, 1×3 half.</summary>
    [StateName("branch3x3dbl_3a")]
    public BasicConv2d Branch3x3dbl_3a { get; }

    /// <summary>Double 3×3 branch, 3×1 half.</summary>
    [StateName("branch3x3dbl_3b")]
    public BasicConv2d Branch3x3dbl_3b { get; }
#pragma warning restore CA1707

    /// <summary>Pool branch projection.</summary>
    [StateName("branch_pool")]
    public BasicConv2d BranchPool { get; }

    /// <inheritdoc/>
    public Tensor Forward(Tensor x)
    {
        var b3 = Branch3x3_1.Call(x);
        b3 = Tensor.Cat([Branch3x3_2a.Call(b3), Branch3x3_2b.Call(b3)], 1);
        var d = Branch3x3dbl_2.Call(Branch3x3dbl_1.Call(x));
        d = Tensor.Cat([Branch3x3dbl_3a.Call(d), Branch3x3dbl_3b.Call(d)], 1);
        return Tensor.Cat([Branch1x1.Call(x), b3, d, BranchPool.Call(x.AvgPool2d((3, 3), (1, 1), (1, 1)))], 1);
    }
}

/// <summary>Inception v3's auxiliary classifier on the 17×17 grid: 5×5 stride-3 average pool → 1×1 (128) →
/// 5×5 (768) → global average → FC.</summary>
public sealed class InceptionAux : Module, ILayer
{
    /// <summary>A head on <paramref name="inChannels"/> maps.</summary>
    public InceptionAux(int inChannels, int numClasses)
    {
        Conv0 = new BasicConv2d(inChannels, 128, 1);
        Conv1 = new BasicConv2d(128, 768, 5);
        Fc = new Linear(768, numClasses);
    }

    /// <summary>1×1 reduction.</summary>
    public BasicConv2d Conv0 { get; }

    /// <summary>5×5 convolution over the pooled 5×5 map.</summary>
    public BasicConv2d Conv1 { get; }

    /// <summary>768 → classes.</summary>
    public Linear Fc { get; }

    /// <inheritdoc/>
    public Tensor Forward(Tensor x) =>
        Fc.Call(Conv1.Call(Conv0.Call(x.AvgPool2d((5, 5), (3, 3)))).AdaptiveAvgPool2d(1, 1).Flatten(1));
}

/// <summary>Inception v3, torchvision-compatible (transform_input off).</summary>
public sealed class InceptionV3 : Module, ILayer
{
    /// <summary>Builds the network; <paramref name="auxLogits"/> adds the auxiliary head (with the top and the full
    /// stem only).</summary>
    public InceptionV3(ZooOptions? options = null, bool auxLogits = false)
    {
        var o = options ?? new ZooOptions();
        if (auxLogits && o.SmallInput)
            throw new ArgumentException("InceptionV3: the auxiliary head needs the full stem (17×17 maps at " +
                "Mixed_6e); build the small-input model without it");
        Options = o;
        bool small = o.SmallInput;
        Conv2d_1a_3x3 = new BasicConv2d(o.InChannels, 32, 3, small ? 1 : 2, small ? 1 : 0);
        Conv2d_2a_3x3 = new BasicConv2d(32, 32, 3, padding: small ? 1 : 0);
        Conv2d_2b_3x3 = new BasicConv2d(32, 64, 3, padding: 1);
        Maxpool1 = small ? new Identity() : new MaxPool2d(3, 2);
        Conv2d_3b_1x1 = new BasicConv2d(64, 80, 1);
        Conv2d_4a_3x3 = new BasicConv2d(80, 192, 3, padding: small ? 1 : 0);
        Maxpool2 = small ? new Identity() : new MaxPool2d(3, 2);
        Mixed_5b = new InceptionA(192, 32);
        Mixed_5c = new InceptionA(256, 64);
        Mixed_5d = new InceptionA(288, 64);
        Mixed_6a = new InceptionB(288);
        Mixed_6b = new InceptionC(768, 128);
        Mixed_6c = new InceptionC(768, 160);
        Mixed_6d = new InceptionC(768, 160);
        Mixed_6e = new InceptionC(768, 192);
        if (auxLogits && o.IncludeTop) AuxLogits = new InceptionAux(768, o.NumClasses);
        Mixed_7a = new InceptionD(768);
        Mixed_7b = new InceptionE(1280);
        Mixed_7c = new InceptionE(2048);
        if (o.IncludeTop)
        {
            Dropout = new Dropout(0.5);
            Fc = new Linear(2048, o.NumClasses);
        }
    }

    /// <summary>The options it was built with.</summary>
    public ZooOptions Options { get; }

#pragma warning disable CA1707 // torchvision's names
    /// <summary>Stem: 3×3 stride-2 convolution, 32 channels.</summary>
    [StateName("Conv2d_1a_3x3")]
    public BasicConv2d Conv2d_1a_3x3 { get; }

    /// <summary>Stem: 3×3 convolution, 32 channels.</summary>
    [StateName("Conv2d_2a_3x3")]
    public BasicConv2d Conv2d_2a_3x3 { get; }

    /// <summary>Stem: 3×3 padded convolution, 64 channels.</summary>
    [StateName("Conv2d_2b_3x3")]
    public BasicConv2d Conv2d_2b_3x3 { get; }

    /// <summary>Stem: 3×3 stride-2 max pool (the identity with the small-input stem).</summary>
    public Module Maxpool1 { get; }

    /// <summary>Stem: 1×1 convolution, 80 channels.</summary>
    [StateName("Conv2d_3b_1x1")]
    public BasicConv2d Conv2d_3b_1x1 { get; }

    /// <summary>Stem: 3×3 convolution, 192 channels.</summary>
    [StateName("Conv2d_4a_3x3")]
    public BasicConv2d Conv2d_4a_3x3 { get; }

    /// <summary>Stem: 3×3 stride-2 max pool (the identity with the small-input stem).</summary>
    public Module Maxpool2 { get; }

    /// <summary>Mixed stage 5b (InceptionA).</summary>
    [StateName("Mixed_5b")]
    public InceptionA Mixed_5b { get; }

    /// <summary>Mixed stage 5c (InceptionA).</summary>
    [StateName("Mixed_5c")]
    public InceptionA Mixed_5c { get; }

    /// <summary>Mixed stage 5d (InceptionA).</summary>
    [StateName("Mixed_5d")]
    public InceptionA Mixed_5d { get; }

    /// <summary>Grid reduction 35 → 17 (module B).</summary>
    [StateName("Mixed_6a")]
    public InceptionB Mixed_6a { get; }

    /// <summary>Mixed stage 6b (InceptionC).</summary>
    [StateName("Mixed_6b")]
    public InceptionC Mixed_6b { get; }

    /// <summary>Mixed stage 6c (InceptionC).</summary>
    [StateName("Mixed_6c")]
    public InceptionC Mixed_6c { get; }

    /// <summary>Mixed stage 6d (InceptionC).</summary>
    [StateName("Mixed_6d")]
    public InceptionC Mixed_6d { get; }

    /// <summary>Mixed stage 6e (InceptionC).</summary>
    [StateName("Mixed_6e")]
    public InceptionC Mixed_6e { get; }
#pragma warning restore CA1707

    /// <summary>The auxiliary head (null unless built with auxLogits).</summary>
    [StateName("AuxLogits")]
    public InceptionAux? AuxLogits { get; set; }

#pragma warning disable CA1707 // torchvision's names
    /// <summary>Grid reduction 17 → 8 (module D).</summary>
    [StateName("Mixed_7a")]
    public InceptionD Mixed_7a { get; }

    /// <summary>Mixed stage 7b (InceptionE).</summary>
    [StateName("Mixed_7b")]
    public InceptionE Mixed_7b { get; }

    /// <summary>Mixed stage 7c (InceptionE).</summary>
    [StateName("Mixed_7c")]
    public InceptionE Mixed_7c { get; }
#pragma warning restore CA1707

    /// <summary>Dropout 0.5 before the classifier (null without the top).</summary>
    public Dropout? Dropout { get; }

    /// <summary>2048 → classes (null without the top: the model then returns Mixed_7c's feature map).</summary>
    public Linear? Fc { get; set; }

    /// <inheritdoc/>
    public Tensor Forward(Tensor x) => ForwardWithAux(x).Logits;

    /// <summary>The logits and, in training mode with the auxiliary head, its output (null otherwise); the paper
    /// weighs its loss by 0.3.</summary>
    public (Tensor Logits, Tensor? Aux) ForwardWithAux(Tensor x)
    {
        x = Conv2d_2b_3x3.Call(Conv2d_2a_3x3.Call(Conv2d_1a_3x3.Call(x)));
        x = ((ILayer)Maxpool1).Call(x);
        x = ((ILayer)Maxpool2).Call(Conv2d_4a_3x3.Call(Conv2d_3b_1x1.Call(x)));
        x = Mixed_5d.Call(Mixed_5c.Call(Mixed_5b.Call(x)));
        x = Mixed_6e.Call(Mixed_6d.Call(Mixed_6c.Call(Mixed_6b.Call(Mixed_6a.Call(x)))));
        var aux = Training && AuxLogits is not null ? AuxLogits.Call(x) : null;
        x = Mixed_7c.Call(Mixed_7b.Call(Mixed_7a.Call(x)));
        if (Fc is null) return (x, null);
        return (Fc.Call(Dropout!.Call(x.AdaptiveAvgPool2d(1, 1).Flatten(1))), aux);
    }
}
