using Dendrite.Kernels;
using Dendrite.Kernels.Reference;

namespace Dendrite.Tests.Kernels;

/// <summary>
/// Small output maps (at most 100 positions, at least 32 output channels per group: ResNet's last stages), where
/// the images of the batch are unfolded side by side into one product, against the float64 loops of
/// <see cref="ConvReference"/>: forward, input and weight gradients through the public entry points, for 1×1 to
/// 10×10 maps, 5×5, 3×3, 1×3 and 1×1 kernels, padding, dilation, strides 2 to 4, groups, batches that take several products
/// (more than 1024 columns), with and without bias. Every output buffer carries a guard that no kernel may write.
/// </summary>
[Trait("Category", "Kernels")]
public class ConvSmallTests
{
    // N, C, H, W, O, KH, KW, stride, padding, dilation, groups, bias
    public static IEnumerable<object[]> Cases =>
    [
        [8, 24, 7, 7, 32, 3, 3, 1, 1, 1, 1, true],
        [3, 40, 4, 4, 64, 3, 3, 1, 1, 1, 1, false],
        [2, 6, 1, 1, 32, 3, 3, 1, 1, 1, 1, true],
        [5, 16, 8, 8, 48, 3, 3, 1, 2, 2, 1, false],
        [4, 12, 6, 5, 64, 1, 3, 1, 0, 1, 2, true],
        [3, 10, 14, 14, 40, 3, 3, 2, 1, 1, 1, true],
        [2, 8, 8, 8, 36, 5, 5, 1, 2, 1, 1, false],
        [3, 10, 10, 10, 32, 3, 3, 1, 1, 1, 1, true],
        // 25 images of 49 positions: products of 20 and 5 images (unit stride, and stride 2, whose input gradient
        // adds the batched product back image by image).
        [25, 6, 7, 7, 32, 3, 3, 1, 1, 1, 1, true],
        [25, 4, 14, 14, 32, 3, 3, 2, 1, 1, 1, false],
        // Column strides of 2 to 4 unfolded through lane permutes: 10 positions a row at stride 2 (one piece of 16)
        // and stride 4 (pieces of 8 and 2), stride 3 with dilation 2.
        [3, 5, 20, 20, 32, 5, 5, 2, 2, 1, 1, true],
        [2, 6, 37, 37, 32, 3, 3, 4, 1, 1, 1, false],
        [3, 7, 20, 20, 40, 3, 3, 3, 2, 2, 1, true],
        // A ResNet projection (1×1, stride 2) and a plain 1×1 layer.
        [6, 16, 8, 8, 32, 1, 1, 2, 0, 1, 1, true],
        [4, 40, 6, 6, 48, 1, 1, 1, 0, 1, 1, false],
    ];

    // An empty output (no positions) is not a small-map shape: the forward writes nothing, and both gradients are
    // zero, on every path.
    [Fact]
    public void Small_EmptyOutput()
    {
        var s = new ConvShape(2, 4, 2, 2, 32, 3, 3, 0, 0, 1, 1, 0, 0, 1, 1, 1);
        Assert.NotEqual(ConvKernel.Small, ConvPlanner.Forward(s, ConvPlanner.Isa).Kernel);
        var x = new float[2 * 4 * 2 * 2];
        var w = new float[32 * s.K];
        Conv.Forward(x, w, default, Span<float>.Empty, s);
        var dx = KernelAssert.Garbage(x.Length);
        Conv.BackwardInput(ReadOnlySpan<float>.Empty, w, dx, s);
        KernelAssert.Close(new double[x.Length], dx, "input gradient");
        var dw = KernelAssert.Garbage(w.Length);
        Conv.BackwardWeight(x, ReadOnlySpan<float>.Empty, dw, s);
        KernelAssert.Close(new double[w.Length], dw, "weight gradient");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Small_MatchesReference(int n, int c, int h, int w, int o, int kh, int kw, int stride, int pad,
        int dil, int groups, bool withBias)
    {
        int oh = ConvShape.OutputSize(h, kh, stride, pad, pad, dil);
        int ow = ConvShape.OutputSize(w, kw, stride, pad, pad, dil);
        var s = new ConvShape(n, c, h, w, o, kh, kw, oh, ow, stride, stride, pad, pad, dil, dil, groups);
        Assert.True(ConvPlanner.Forward(s, ConvPlanner.Isa).Kernel == ConvKernel.Small, $"not a small-map shape: {s}");
        KernelAssert.ConvMatchesReference(s, withBias, 71);
    }
}
