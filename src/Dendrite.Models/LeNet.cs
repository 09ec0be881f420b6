// LeNet-5 (LeCun, Bottou, Bengio & Haffner, 1998, "Gradient-Based Learning Applied to Document Recognition"):
// C1 6@5×5 → S2 2×2 subsampling → C3 16@5×5 → S4 2×2 subsampling → C5 120@5×5 → F6 84 → output 10, on 32×32
// images (MNIST's 28×28 digits centred in a 32×32 field, here by padding C1 by 2). The paper's form uses squashing
// (tanh) units and average subsampling; its trainable subsampling coefficients, sparse C3 connection table and RBF
// output are replaced by the usual simplifications (plain average pooling, full C3, a linear output), giving
// 61,706 parameters. The modern form uses ReLU and max pooling. The small-input stem does not apply: LeNet is a
// small-image network.
//
// Shapes: x (N, C, 28, 28) or (N, C, 32, 32) → C1 (N, 6, 28, 28) → S2 (N, 6, 14, 14) → C3 (N, 16, 10, 10)
// → S4 (N, 16, 5, 5) → C5 (N, 120, 1, 1) → F6 (N, 84) → (N, classes).

using Dendrite.Nn;

namespace Dendrite.Models;

/// <summary>LeNet-5 in the paper's form (tanh, average pooling) or the modern one (ReLU, max pooling).</summary>
public sealed class LeNet : Module, ILayer
{
    private readonly bool modern;

    /// <summary>Builds LeNet-5 for <paramref name="imageSize"/>×<paramref name="imageSize"/> inputs (28 or 32).
    /// </summary>
    public LeNet(bool modern, ZooOptions? options = null, int imageSize = 28)
    {
        var o = options ?? new ZooOptions(NumClasses: 10, InChannels: 1);
        if (imageSize is not (28 or 32))
            throw new ArgumentException($"LeNet: image size must be 28 (padded to 32) or 32, got {imageSize}");
        this.modern = modern;
        Options = o;
        C1 = new Conv2d(o.InChannels, 6, 5, padding: (32 - imageSize) / 2);
        S2 = modern ? new MaxPool2d(2) : new AvgPool2d(2);
        C3 = new Conv2d(6, 16, 5);
        S4 = modern ? new MaxPool2d(2) : new AvgPool2d(2);
        C5 = new Conv2d(16, 120, 5);
        if (o.IncludeTop)
        {
            F6 = new Linear(120, 84);
            Output = new Linear(84, o.NumClasses);
        }
    }

    /// <summary>The options it was built with.</summary>
    public ZooOptions Options { get; }

    /// <summary>C1: 6 feature maps, 5×5.</summary>
    public Conv2d C1 { get; }

    /// <summary>S2: 2×2 subsampling (average, or max in the modern form).</summary>
    public Module S2 { get; }

    /// <summary>C3: 16 feature maps, 5×5.</summary>
    public Conv2d C3 { get; }

    /// <summary>S4: 2×2 subsampling.</summary>
    public Module S4 { get; }

    /// <summary>C5: 120 maps of 1×1 (a convolution over the whole 5×5 map).</summary>
    public Conv2d C5 { get; }

    /// <summary>F6: 84 units (null without the top).</summary>
    public Linear? F6 { get; set; }

    /// <summary>The output layer (null without the top: the model then returns C5's (N, 120, 1, 1)).</summary>
    public Linear? Output { get; set; }

    /// <summary>The paper's form: tanh units, average subsampling; 10 classes of 28×28 grey images by default.
    /// </summary>
    public static LeNet Classic(ZooOptions? options = null, int imageSize = 28) => new(false, options, imageSize);

    /// <summary>The modern form: ReLU units, max pooling.</summary>
    public static LeNet Modern(ZooOptions? options = null, int imageSize = 28) => new(true, options, imageSize);

    /// <inheritdoc/>
    public Tensor Forward(Tensor x)
    {
        x = Subsample(S2, Act(C1.Call(x)));
        x = Act(C5.Call(Subsample(S4, Act(C3.Call(x)))));
        if (F6 is null || Output is null) return x;
        return Output.Call(Act(F6.Call(x.Flatten(1))));
    }

    private Tensor Act(Tensor x) => modern ? x.Relu() : x.Tanh();

    // The paper's form squashes the subsampled maps again; in the modern form that ReLU would meet the maximum of
    // values already ≥ 0, the identity, so it is left out (one pass and one tensor fewer each way).
    private Tensor Subsample(Module pool, Tensor x)
    {
        var y = ((ILayer)pool).Call(x);
        return modern ? y : Act(y);
    }
}
