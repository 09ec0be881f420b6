using Dendrite.Kernels;
using Dendrite.Kernels.Reference;

namespace Dendrite.Tests.Kernels;

/// <summary>
/// The direct convolution kernels (at most 16 output channels per group, unit horizontal stride; with AVX-512, or
/// AVX2 in two halves, the 16-lane position kernel for up to 8 channels and the channels-in-lanes kernels for 9 to
/// 16; the 8-lane kernels with 128-bit vectors) against the float64
/// loops of <see cref="ConvReference"/>: forward, input gradient and weight gradient, for every output channel
/// count from 1 to 18, ragged rows (widths below, at and above 16), vertical stride, dilation, asymmetric padding,
/// groups, batch 1 and odd batches, and the two LeNet layers.
/// </summary>
[Trait("Category", "Kernels")]
public class ConvDirectTests
{
    // N, C, H, W, O, KH, KW, OH, OW, stride H, pad top, pad left, dilation H, dilation W, groups
    public static IEnumerable<object[]> Shapes()
    {
        for (int o = 1; o <= 18; o++)
        {
            yield return [3, 2, 9, 11, o, 3, 3, 7, 9, 1, 0, 0, 1, 1, 1];
            yield return [1, 3, 12, 21, o, 5, 5, 12, 21, 1, 2, 2, 1, 1, 1];
        }
        yield return [64, 1, 28, 28, 6, 5, 5, 28, 28, 1, 2, 2, 1, 1, 1];
        yield return [5, 6, 14, 14, 16, 5, 5, 10, 10, 1, 0, 0, 1, 1, 1];
        yield return [1, 6, 14, 14, 16, 5, 5, 10, 10, 1, 0, 0, 1, 1, 1];
        yield return [2, 4, 13, 17, 12, 3, 3, 6, 17, 2, 1, 1, 1, 1, 2];
        yield return [3, 4, 13, 17, 6, 3, 2, 5, 15, 2, 1, 0, 2, 3, 2];
        yield return [2, 3, 10, 33, 14, 3, 3, 4, 29, 2, 0, 0, 2, 2, 1];
        yield return [2, 16, 10, 10, 6, 5, 5, 14, 14, 1, 4, 4, 1, 1, 1];
        yield return [1, 2, 6, 6, 9, 2, 3, 7, 5, 1, 1, 0, 1, 1, 1];
        yield return [3, 6, 8, 9, 24, 3, 3, 8, 9, 1, 1, 1, 1, 1, 3];
        yield return [2, 5, 7, 40, 3, 1, 5, 7, 36, 1, 0, 0, 1, 1, 1];
        yield return [2, 3, 9, 14, 10, 2, 6, 8, 9, 1, 0, 0, 1, 1, 1];
        yield return [1, 2, 8, 16, 11, 3, 7, 6, 10, 1, 0, 0, 1, 1, 1];
        yield return [2, 2, 9, 30, 13, 3, 3, 7, 28, 1, 0, 0, 1, 1, 1];
        // Output rows whose windows lie partly or wholly in the top or bottom padding.
        yield return [2, 3, 9, 20, 5, 3, 3, 7, 18, 2, 3, 1, 2, 1, 1];
        yield return [3, 2, 4, 12, 7, 5, 3, 12, 10, 1, 6, 0, 1, 1, 1];
        yield return [1, 2, 5, 7, 5, 5, 3, 13, 5, 1, 4, 0, 1, 1, 1];
        // No padding, even OH: the 9-16 channel forward reads the image in place (stride 2, dilation 1×2).
        yield return [2, 3, 11, 20, 12, 3, 3, 4, 16, 2, 0, 0, 1, 2, 1];
        yield return [2, 3, 6, 9, 4, 3, 3, 9, 9, 1, 2, 1, 1, 1, 1];
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void DirectKernels_MatchReference(int n, int c, int h, int w, int o, int kh, int kw, int oh, int ow,
        int sh, int pt, int pl, int dh, int dw, int groups)
    {
        var s = new ConvShape(n, c, h, w, o, kh, kw, oh, ow, sh, 1, pt, pl, dh, dw, groups);
        var gen = new Generator(41);
        var x = Tensor.Randn([n * c * h * w], gen).ToFloatArray();
        var wt = Tensor.Randn([o * s.K], gen).ToFloatArray();
        var b = Tensor.Randn([o], gen).ToFloatArray();
        var dy = Tensor.Randn([n * o * s.L], gen).ToFloatArray();

        // Every output buffer starts as garbage: the kernels must overwrite it.
        var y = KernelAssert.Garbage(n * o * s.L);
        Conv.Forward(x, wt, b, y, s);
        var y64 = new double[n * o * s.L];
        ConvReference.Forward<double>(KernelAssert.D(x), KernelAssert.D(wt), KernelAssert.D(b), y64, s);
        KernelAssert.Close(y64, y, "forward with bias");

        Conv.Forward(x, wt, default, y, s);
        ConvReference.Forward<double>(KernelAssert.D(x), KernelAssert.D(wt), default, y64, s);
        KernelAssert.Close(y64, y, "forward");

        var dx = KernelAssert.Garbage(x.Length);
        Conv.BackwardInput(dy, wt, dx, s);
        var dx64 = new double[x.Length];
        ConvReference.BackwardInput<double>(KernelAssert.D(dy), KernelAssert.D(wt), dx64, s);
        KernelAssert.Close(dx64, dx, "input gradient");

        var dwt = KernelAssert.Garbage(wt.Length);
        Conv.BackwardWeight(x, dy, dwt, s);
        var dw64 = new double[wt.Length];
        ConvReference.BackwardWeight<double>(KernelAssert.D(x), KernelAssert.D(dy), dw64, s);
        KernelAssert.Close(dw64, dwt, "weight gradient");
    }

    // The float32 bias gradient (its own kernel) of Conv2d, Conv1d and ConvTranspose2d against the float64 path
    // (a plain sum over N, H and W), with more output channels than threads and fewer.
    [Theory]
    [InlineData(3, 6)]
    [InlineData(2, 1)]
    [InlineData(5, 17)]
    public void BiasGradient_MatchesFloat64(int n, int o)
    {
        var gen = new Generator(43);
        var x = Tensor.Randn([n, 4, 9, 11], gen);
        var w = Tensor.Randn([o, 4, 3, 3], gen);
        var wt = Tensor.Randn([4, o, 3, 3], gen);
        var w1 = Tensor.Randn([o, 4, 3], gen);
        var b = Tensor.Randn([o], gen);
        foreach (var (kernel, op) in new (Tensor, Func<Tensor, Tensor, Tensor, Tensor>)[]
                 {
                     (w, (xx, ww, bb) => xx.Conv2d(ww, bb, padding: (1, 1))),
                     (wt, (xx, ww, bb) => xx.ConvTranspose2d(ww, bb, (2, 2))),
                     (w1, (xx, ww, bb) => xx.Reshape(n, 4, -1).Conv1d(ww, bb, 2)),
                 })
        {
            var g32 = BiasGrad(DType.Float32, kernel, op, x, b);
            var g64 = BiasGrad(DType.Float64, kernel, op, x, b);
            KernelAssert.Close(g64.ToArray<double>(), g32.ToFloatArray(), "bias gradient");
        }
    }

    [Fact]
    public void BackwardBias_RejectsShortBuffers()
    {
        var e = Assert.Throws<ArgumentException>(() => Conv.BackwardBias(new float[11], new float[3], 2, 3, 2));
        Assert.Contains("Conv.BackwardBias", e.Message);
        Assert.Throws<ArgumentException>(() => Conv.BackwardBias(new float[12], new float[2], 2, 3, 2));
    }

    private static Tensor BiasGrad(DType dtype, Tensor kernel, Func<Tensor, Tensor, Tensor, Tensor> op, Tensor x,
        Tensor b)
    {
        var bb = b.To(dtype).Detach().RequireGrad();
        var y = op(x.To(dtype), kernel.To(dtype), bb);
        var r = Tensor.Randn(y.Shape.ToArray(), new Generator(5)).To(dtype);
        (y * r).Sum().Backward();
        return bb.Grad!;
    }
}
