using Dendrite.Kernels;
using Dendrite.Kernels.Reference;

namespace Dendrite.Tests.Kernels;

/// <summary>
/// Depthwise convolutions (the phase-split kernels: every column stride above 1, and the forward at unit stride with
/// AVX-512) against the direct loops of <see cref="ConvReference"/> in float64: forward, input and weight gradients
/// through the public entry points, over strides 1 to 3, 1×1 to 5×5 kernels, dilation, asymmetric padding, output widths across
/// several vectors, with and without bias. The same cases run on every instruction set in CI.
/// </summary>
[Trait("Category", "Kernels")]
public class ConvDepthwiseTests
{
    // N, C, H, W, KH, KW, stride h, stride w, pad, dilation, bias
    public static IEnumerable<object[]> Cases =>
    [
        [2, 5, 9, 10, 3, 3, 2, 2, 1, 1, true],
        [1, 3, 11, 13, 3, 3, 1, 2, 1, 1, false],
        [2, 4, 12, 17, 5, 5, 3, 3, 2, 1, true],
        [1, 2, 9, 11, 3, 3, 2, 2, 2, 2, false],
        [3, 6, 7, 40, 3, 3, 2, 2, 1, 1, true],
        [1, 3, 6, 7, 1, 1, 2, 2, 0, 1, true],
        [2, 2, 8, 9, 3, 1, 2, 2, 1, 1, false],
        [1, 2, 5, 150, 3, 3, 2, 2, 1, 1, true],
        [1, 1, 4, 4, 3, 3, 2, 2, 0, 1, false],
        // Rows of at least 32 columns, odd and even, padded by 1 and 0: the vector phase split and gather, their
        // last window moved back to the row's end.
        [1, 2, 5, 37, 3, 3, 2, 2, 1, 1, false],
        [2, 2, 5, 38, 3, 3, 2, 2, 0, 1, true],
        [1, 2, 4, 67, 5, 5, 2, 2, 2, 1, true],
        // 30 output columns: the forward's last row ends 2 short of a 32-column block (masked stores).
        [1, 2, 5, 59, 3, 3, 2, 2, 1, 1, true],
        // Unit column stride, whose forward takes the phase kernel with AVX-512 (one phase, the padded plane): rows
        // of 56 (MobileNet), 33 and 7 outputs, 5×5 with dilation, a row stride of 2.
        [2, 3, 12, 56, 3, 3, 1, 1, 1, 1, true],
        [1, 2, 9, 33, 3, 3, 1, 1, 1, 1, false],
        [2, 2, 11, 11, 5, 5, 1, 1, 2, 2, true],
        [1, 3, 10, 9, 3, 3, 2, 1, 1, 1, false],
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Depthwise_MatchesReference(int n, int c, int h, int w, int kh, int kw, int sh, int sw, int pad,
        int dil, bool withBias)
    {
        int oh = ConvShape.OutputSize(h, kh, sh, pad, pad, dil), ow = ConvShape.OutputSize(w, kw, sw, pad, pad, dil);
        Check(new ConvShape(n, c, h, w, c, kh, kw, oh, ow, sh, sw, pad, pad, dil, dil, c), withBias, 61);
    }

    // The output size is given, so the far padding can be less than the near one (here none) and rows and columns
    // at the far edge that no window reaches get a zero gradient.
    [Fact]
    public void Depthwise_UnevenPadding()
    {
        Check(new ConvShape(2, 3, 9, 10, 3, 3, 3, 3, 4, 2, 2, 1, 1, 1, 1, 3), true, 62);
        Check(new ConvShape(1, 2, 10, 11, 2, 3, 3, 3, 3, 2, 3, 0, 2, 1, 1, 2), false, 63);
    }

    // Output buffers start as garbage: every element must be written, and nothing past the output.
    private static void Check(ConvShape s, bool withBias, int seed) =>
        KernelAssert.ConvMatchesReference(s, withBias, (ulong)seed);
}
