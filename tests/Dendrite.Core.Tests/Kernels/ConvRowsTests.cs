using Dendrite.Kernels;
using Dendrite.Kernels.Reference;

namespace Dendrite.Tests.Kernels;

/// <summary>
/// The rows kernels (padded NCHW image read in place, AVX-512) against the direct loops of
/// <see cref="ConvReference"/> in float64: forward through the kernel itself and through <see cref="Conv.Forward"/>,
/// input and weight gradients through the public entry points, over 3×3, 5×5 and 1×3 kernels, dilation, padding
/// 0 to 2, output widths 1 to 20, batches 1 and 3, groups, output channels that are not a multiple of 8, with and
/// without bias. Without AVX-512 the kernel refuses and the same cases check the fallback paths (with AVX2, the
/// 6-channel × 16-position rows forward of ConvRows256.cs).
/// </summary>
[Trait("Category", "Kernels")]
public class ConvRowsTests
{
    // N, C, H, W, O, KH, KW, padding, dilation, groups, bias
    public static IEnumerable<object[]> Cases =>
    [
        [1, 3, 7, 9, 20, 3, 3, 1, 1, 1, true],
        [3, 5, 6, 5, 17, 3, 3, 0, 1, 1, false],
        [1, 4, 9, 8, 24, 3, 3, 2, 2, 1, true],
        [3, 6, 8, 8, 36, 3, 3, 1, 1, 2, true],
        [1, 4, 11, 12, 19, 5, 5, 2, 1, 1, false],
        [3, 3, 5, 12, 18, 1, 3, 0, 1, 1, true],
        [1, 2, 4, 7, 25, 1, 3, 1, 2, 1, false],
        // 1×1 with padding is not a plain product: the rows kernels take it.
        [3, 3, 4, 5, 20, 1, 1, 1, 1, 1, true],
        [1, 3, 4, 5, 64, 1, 1, 2, 1, 1, false],
        [1, 16, 14, 14, 32, 3, 3, 1, 1, 1, true],
        [3, 8, 5, 20, 64, 3, 3, 1, 1, 1, false],
        [1, 6, 3, 3, 40, 3, 3, 0, 1, 2, true],
        // More than 16 input channels per group: the input gradient runs the rows forward too.
        [1, 20, 6, 7, 24, 3, 3, 1, 1, 1, true],
        [3, 40, 5, 6, 18, 3, 3, 2, 2, 2, false],
        [1, 18, 6, 9, 9, 5, 5, 2, 1, 1, false],
        // Multiples of 64 output channels per group: the rows weight gradient, including tiles of weight elements
        // cut short (K = 45, 50) and several chunks of output rows.
        [1, 5, 6, 7, 64, 3, 3, 1, 1, 1, true],
        [2, 4, 5, 9, 128, 3, 3, 2, 2, 2, false],
        [1, 3, 4, 6, 64, 1, 3, 0, 1, 1, true],
        [1, 2, 9, 9, 64, 5, 5, 2, 1, 1, false],
        [3, 2, 12, 30, 128, 3, 3, 1, 1, 1, true],
        // Multiples of 32 (not 64) output channels per group: the two-vector weight-gradient tiles, one block
        // (32, DenseNet's growth) or three (96), groups of 32, a short last tile of weight elements (K = 14, 20),
        // and many items split across the threads.
        [1, 16, 14, 14, 32, 3, 3, 1, 1, 1, false],
        [2, 5, 6, 7, 96, 3, 3, 1, 1, 1, true],
        [3, 4, 5, 9, 64, 3, 3, 2, 2, 2, true],
        [1, 14, 6, 6, 32, 1, 1, 1, 1, 1, false],
        [16, 20, 4, 5, 32, 1, 1, 1, 1, 1, true],
        [6, 6, 5, 6, 96, 3, 3, 1, 1, 3, false],
        // Odd multiples of 16 (GoogLeNet's 48 and 208): 32-channel tiles and a last one-vector tile of 16.
        [2, 5, 6, 7, 48, 3, 3, 1, 1, 1, true],
        [1, 4, 5, 9, 80, 3, 3, 1, 1, 1, false],
        [3, 6, 5, 6, 96, 3, 3, 1, 1, 2, true],
        [1, 14, 6, 6, 48, 1, 1, 1, 1, 1, false],
        [16, 20, 4, 5, 48, 1, 1, 1, 1, 1, true],
        // Many (image, group) items: the weight gradient splits whole items across the threads (one image splits
        // the tiles of weight elements instead).
        [16, 3, 4, 5, 64, 3, 3, 1, 1, 1, true],
        [6, 6, 5, 6, 128, 3, 3, 1, 1, 2, false],
        [2, 5, 6, 7, 64, 3, 3, 1, 1, 1, true],
        // Positions ending in the first 32 lanes of an image's last tile (28 rows of Wp = 30: 840 = 17·48 + 24):
        // that tile runs the two-vector kernel (so do the small shapes above, 7 rows of 11: 77 = 48 + 29).
        [2, 3, 28, 28, 20, 3, 3, 1, 1, 1, true],
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Rows_MatchReference(int n, int c, int h, int w, int o, int kh, int kw, int pad, int dil, int groups,
        bool withBias)
    {
        int oh = ConvShape.OutputSize(h, kh, 1, pad, pad, dil), ow = ConvShape.OutputSize(w, kw, 1, pad, pad, dil);
        Check(new ConvShape(n, c, h, w, o, kh, kw, oh, ow, 1, 1, pad, pad, dil, dil, groups), withBias, 41);
    }

    // Output widths 1 to 20 (the junk columns and the masked stores at every offset within a vector), 3×3 and
    // 1×3 kernels, padding 1 and 0, more than 16 channels on both sides so that the forward and the input
    // gradient (64 → 18 channels) both run the rows kernel, and so does the weight gradient.
    [Theory]
    [InlineData(3, 1)]
    [InlineData(1, 0)]
    public void Rows_EveryOutputWidth(int kernel, int pad)
    {
        for (int ow = 1; ow <= 20; ow++)
        {
            int w = ow + 2 - 2 * pad, h = 5;
            var s = new ConvShape(ow % 2 == 0 ? 1 : 3, 18, h, w, 64, kernel, 3,
                ConvShape.OutputSize(h, kernel, 1, pad, pad, 1), ow, 1, 1, pad, pad, 1, 1, 1);
            Assert.Equal(ow, ConvShape.OutputSize(w, 3, 1, pad, pad, 1));
            Check(s, ow % 3 == 0, 100 + ow);
        }
    }

    // Asymmetric geometry: vertical dilation only and more padding on the left than the kernel reaches on the
    // right (the output size is given, so the far padding differs).
    [Fact]
    public void Rows_UnevenPaddingAndVerticalDilation()
    {
        // N, C, H, W, O, KH, KW, OH, OW, strides, pad top/left, dilations, groups
        Check(new ConvShape(2, 6, 9, 10, 21, 3, 3, 7, 11, 1, 1, 2, 2, 2, 1, 3), true, 43);
    }

    // All the padding on one side, with more than 16 output channels so that the rows kernels run: the padded rows
    // share their padding (RowsWidth), so a row must leave room for the reach of its last window on the right
    // (padding only on the right) and for all of its image columns (padding only on the left).
    [Theory]
    [InlineData(0, 1)]
    [InlineData(2, 1)]
    [InlineData(0, 2)]
    [InlineData(4, 2)]
    public void Rows_PaddingOnOneSide(int left, int dilation)
    {
        // Output as wide and tall as the input: what the kernel's reach does not take on the left goes to the right.
        Check(new ConvShape(2, 5, 7, 9, 24, 3, 3, 7, 9, 1, 1, left, left, dilation, dilation, 1), true, 45 + left);
        Check(new ConvShape(1, 20, 6, 11, 32, 3, 3, 6, 11, 1, 1, left, left, dilation, dilation, 1), false, 46 + left);
    }

    // Stride 2 is not a rows shape: the kernel refuses it with the op's name, and Conv.Forward takes another path.
    [Fact]
    public void RowsForward_RejectsStride()
    {
        var s = new ConvShape(1, 2, 8, 8, 20, 3, 3, 4, 4, 2, 2, 1, 1, 1, 1, 1);
        var e = Assert.Throws<ArgumentException>(() => Forced(ConvPass.Forward, ConvKernel.Rows,
            () => Conv.Forward(new float[128], new float[360], default, new float[320], s)));
        Assert.Contains("Conv.Forward: forced kernel Rows", e.Message);
        Check(s, true, 44);
    }

    private static void Check(ConvShape s, bool withBias, int seed)
    {
        var gen = new Generator((ulong)seed);
        var x = Tensor.Randn([s.N * s.C * s.H * s.W], gen).ToFloatArray();
        var wt = Tensor.Randn([s.O * s.K], gen).ToFloatArray();
        var bias = Tensor.Randn([s.O], gen).ToFloatArray();
        var b = withBias ? bias : [];
        var dy = Tensor.Randn([s.N * s.O * s.L], gen).ToFloatArray();
        var y64 = new double[s.N * s.O * s.L];
        ConvReference.Forward<double>(KernelAssert.D(x), KernelAssert.D(wt), KernelAssert.D(b), y64, s);

        var y = KernelAssert.Garbage(y64.Length);
        if (Runs(ConvPass.Forward, s))
        {
            Forced(ConvPass.Forward, ConvKernel.Rows, () => Conv.Forward(x, wt, b, y, s));
            KernelAssert.Close(y64, y, $"rows forward {s}");
            y = KernelAssert.Garbage(y64.Length);
        }
        else if (s.StrideH == 1)
        {
            Assert.Throws<ArgumentException>(() => Forced(ConvPass.Forward, ConvKernel.Rows,
                () => Conv.Forward(x, wt, b, y, s)));
        }
        Conv.Forward(x, wt, b, y, s);
        KernelAssert.Close(y64, y, $"forward {s}");

        // Output buffers start as garbage: every path must overwrite them.
        var dx = KernelAssert.Garbage(x.Length);
        Conv.BackwardInput(dy, wt, dx, s);
        var dx64 = new double[x.Length];
        ConvReference.BackwardInput<double>(KernelAssert.D(dy), KernelAssert.D(wt), dx64, s);
        KernelAssert.Close(dx64, dx, $"input gradient {s}");

        var dw64 = new double[wt.Length];
        ConvReference.BackwardWeight<double>(KernelAssert.D(x), KernelAssert.D(dy), dw64, s);
        var dw = KernelAssert.Garbage(wt.Length);
        if (Runs(ConvPass.WeightGradient, s))
        {
            Forced(ConvPass.WeightGradient, ConvKernel.Rows, () => Conv.BackwardWeight(x, dy, dw, s));
            KernelAssert.Close(dw64, dw, $"rows weight gradient {s}");
            dw = KernelAssert.Garbage(wt.Length);
        }
        else if (s.StrideH == 1 && s.Og % 16 == 0)
        {
            Assert.Throws<ArgumentException>(() => Forced(ConvPass.WeightGradient, ConvKernel.Rows,
                () => Conv.BackwardWeight(x, dy, dw, s)));
        }
        Conv.BackwardWeight(x, dy, dw, s);
        KernelAssert.Close(dw64, dw, $"weight gradient {s}");
    }

    // Whether the rows kernel runs the pass of s on this machine.
    private static bool Runs(ConvPass pass, ConvShape s) =>
        ConvPlanner.Unsupported(pass, new ConvPlan(ConvKernel.Rows), s, ConvPlanner.Isa) is null;

    private static void Forced(ConvPass pass, ConvKernel kernel, Action call)
    {
        using var _ = ConvPlanner.Force(pass, kernel);
        call();
    }
}
