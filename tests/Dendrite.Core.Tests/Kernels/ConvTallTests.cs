using Dendrite.Kernels;
using Dendrite.Kernels.Reference;

namespace Dendrite.Tests.Kernels;

/// <summary>
/// The chunked (tall GEMM) convolution path against the direct loops of <see cref="ConvReference"/> in float64:
/// forward, input gradient and weight gradient, with chunk lengths that end mid-row, span several rows, or cover
/// a whole image, over padding, stride 2, dilation, groups and asymmetric geometry.
/// </summary>
[Trait("Category", "Kernels")]
public class ConvTallTests
{
    // N, C, H, W, O, KH, KW, stride, padding, dilation, groups, chunk target
    public static IEnumerable<object[]> Cases =>
    [
        [2, 3, 7, 9, 20, 3, 3, 1, 1, 1, 1, 5],
        [2, 3, 7, 9, 20, 3, 3, 1, 1, 1, 1, 512],
        [1, 4, 10, 11, 18, 3, 3, 2, 1, 1, 1, 7],
        [2, 4, 9, 8, 24, 3, 3, 1, 2, 2, 1, 13],
        [3, 6, 8, 8, 36, 3, 3, 1, 1, 1, 2, 9],
        [1, 8, 6, 7, 8, 3, 3, 2, 1, 1, 4, 3],
        [2, 2, 5, 12, 17, 3, 5, 1, 0, 1, 1, 16],
        [1, 3, 11, 10, 19, 5, 4, 3, 2, 2, 1, 4],
        [2, 16, 14, 14, 32, 3, 3, 1, 1, 1, 1, 64],
        // At least 4 (image, group) items per thread: the forward pads and runs whole items per thread.
        [3, 8, 6, 7, 24, 3, 3, 1, 1, 1, 4, 10],
        [9, 3, 5, 6, 17, 3, 3, 1, 1, 1, 1, 6],
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void TallPath_MatchesReference(int n, int c, int h, int w, int o, int kh, int kw, int st, int pad,
        int dil, int groups, int target)
    {
        int oh = ConvShape.OutputSize(h, kh, st, pad, pad, dil), ow = ConvShape.OutputSize(w, kw, st, pad, pad, dil);
        var s = new ConvShape(n, c, h, w, o, kh, kw, oh, ow, st, st, pad, pad, dil, dil, groups);
        var gen = new Generator(31);
        var x = Tensor.Randn([n * c * h * w], gen).ToFloatArray();
        var wt = Tensor.Randn([o * s.K], gen).ToFloatArray();
        var b = Tensor.Randn([o], gen).ToFloatArray();
        var dy = Tensor.Randn([n * o * s.L], gen).ToFloatArray();

        var y = new float[n * o * s.L];
        if (st == 1 && dil == 1)
        {
            Conv.TallForward(x, wt, b, y, s, target);
            var y64 = new double[y.Length];
            ConvReference.Forward<double>(KernelAssert.D(x), KernelAssert.D(wt), KernelAssert.D(b), y64, s);
            KernelAssert.Close(y64, y, "forward");
        }
        else
        {
            Assert.Throws<ArgumentException>(() => Conv.TallForward(x, wt, b, y, s, target));
        }

        // The input buffer is filled with garbage first: the path must overwrite it.
        var dx = Enumerable.Repeat(7f, x.Length).ToArray();
        Conv.BackwardInput(dy, wt, dx, s);
        var dx64 = new double[x.Length];
        ConvReference.BackwardInput<double>(KernelAssert.D(dy), KernelAssert.D(wt), dx64, s);
        KernelAssert.Close(dx64, dx, "input gradient");

        var dw = Enumerable.Repeat(7f, wt.Length).ToArray();
        Conv.TallBackwardWeight(x, dy, dw, s, target);
        var dw64 = new double[wt.Length];
        ConvReference.BackwardWeight<double>(KernelAssert.D(x), KernelAssert.D(dy), dw64, s);
        KernelAssert.Close(dw64, dw, "weight gradient");
    }

    // The implicit forward with vertical dilation, asymmetric padding (more on the left than the kernel reaches
    // on the right) and no bias, against the reference; chunk targets below, at and above one padded row.
    [Theory]
    [InlineData(1)]
    [InlineData(12)]
    [InlineData(40)]
    [InlineData(4096)]
    public void TallForward_VerticalDilationAndUnevenPadding(int target)
    {
        // N, C, H, W, O, KH, KW, OH, OW, strides, pad top/left, dilations, groups
        var s = new ConvShape(2, 6, 9, 10, 21, 3, 3, 7, 11, 1, 1, 2, 2, 2, 1, 3);
        var gen = new Generator(32);
        var x = Tensor.Randn([s.N * s.C * s.H * s.W], gen).ToFloatArray();
        var wt = Tensor.Randn([s.O * s.K], gen).ToFloatArray();
        var y = new float[s.N * s.O * s.L];
        Conv.TallForward(x, wt, default, y, s, target);
        var y64 = new double[y.Length];
        ConvReference.Forward<double>(KernelAssert.D(x), KernelAssert.D(wt), default, y64, s);
        KernelAssert.Close(y64, y, "forward");
    }
}
