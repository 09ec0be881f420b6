using Dendrite.Kernels;
using Dendrite.Kernels.Reference;

namespace Dendrite.Tests.Kernels;

/// <summary>
/// The convolution planner: the kernel it picks for the course models' layers and odd shapes on each instruction
/// set (the table was recorded from the per-kernel predicates it replaced, so a change here is a change of plan to
/// measure first, see bench/README.md), that it only picks kernels that can run the shape, and every kernel forced
/// on every pass against <see cref="ConvReference"/> in float64 where it can run, a clear error where it cannot.
/// </summary>
[Trait("Category", "Kernels")]
public class ConvPlannerTests
{
    // Per shape and instruction set (AVX-512, AVX2, 128-bit, scalar): "forward input weight", with ~ for an input
    // gradient computed as the transposed forward on that kernel and % for one computed phase by phase on it.
    private sealed record Plans(string Avx512, string Avx2, string Vector128, string Scalar);

    private static readonly Dictionary<string, Plans> Expected = new()
    {
        ["lenet_conv1"] =
            new("Wide ~Wide Wide", "Wide ~Wide Wide", "Direct ~Direct Direct", "Direct ~Direct Direct"),
        ["lenet_conv2"] =
            new("Lanes ~Wide Lanes", "Lanes ~Wide Lanes", "Direct ~Direct Direct", "Direct ~Direct Direct"),
        ["resnet_conv3x3_56"] =
            new("Rows ~Rows Rows", "Rows256 ~Rows256 Rows", "Implicit ~Implicit Tall", "Implicit ~Implicit Tall"),
        ["resnet_conv3x3_28"] =
            new("Rows ~Rows Rows", "Rows256 ~Rows256 Rows", "Implicit ~Implicit Tall", "Implicit ~Implicit Tall"),
        ["resnet_conv3x3_14"] =
            new("Rows ~Rows Rows", "Rows256 ~Rows256 Rows", "Implicit ~Implicit Tall", "Implicit ~Implicit Tall"),
        ["resnet_conv3x3_7"] =
            new("Small ~Small Small", "Small ~Small Small", "Small ~Small Small", "Small ~Small Small"),
        ["resnet_conv3x3_4"] =
            new("Small ~Small Small", "Small ~Small Small", "Small ~Small Small", "Small ~Small Small"),
        ["resnet_down3x3_s2_56"] =
            new("Im2col Im2col Tall", "Im2col Im2col Tall", "Im2col Im2col Tall", "Im2col Im2col Tall"),
        ["resnet_down3x3_s2_14"] =
            new("Small Small Small", "Small Small Small", "Small Small Small", "Small Small Small"),
        ["resnet_proj1x1_s2"] =
            new("Im2col Im2col Tall", "Im2col Im2col Tall", "Im2col Im2col Tall", "Im2col Im2col Tall"),
        ["resnet_proj1x1_s2_14"] =
            new("Small Small Small", "Small Small Small", "Small Small Small", "Small Small Small"),
        ["resnet_stem7x7_s2"] =
            new("Im2col Im2col Tall", "Im2col Im2col Tall", "Im2col Im2col Tall", "Im2col Im2col Tall"),
        ["vgg_conv3x3_28"] =
            new("Rows ~Rows Rows", "Rows256 ~Rows256 Rows", "Implicit ~Implicit Tall", "Implicit ~Implicit Tall"),
        ["vgg_conv3x3_first"] =
            new("Rows ~Wide Rows", "Rows256 ~Wide Rows", "Implicit ~Direct Tall", "Implicit ~Direct Tall"),
        ["densenet_conv3x3_28"] =
            new("Rows ~Rows Rows", "Rows256 ~Rows256 Rows", "Implicit ~Implicit Tall", "Implicit ~Implicit Tall"),
        ["densenet_bottleneck1x1_28"] =
            new("Im2col Im2col Im2col", "Im2col Im2col Im2col", "Im2col Im2col Im2col", "Im2col Im2col Im2col"),
        ["googlenet_5x5_28"] =
            new("Rows ~Lanes Rows", "Rows256 ~Lanes Rows", "Implicit ~Direct Tall", "Implicit ~Direct Tall"),
        ["googlenet_3x3_208_14"] =
            new("Rows ~Rows Rows", "Rows256 ~Rows256 Rows", "Implicit ~Implicit Tall", "Implicit ~Implicit Tall"),
        ["googlenet_1x1_14"] =
            new("Im2col Im2col Im2col", "Im2col Im2col Im2col", "Im2col Im2col Im2col", "Im2col Im2col Im2col"),
        ["alexnet_conv1"] =
            new("Im2col Im2col Tall", "Im2col Im2col Tall", "Im2col Im2col Tall", "Im2col Im2col Tall"),
        ["alexnet_conv2"] =
            new("Rows ~Rows Rows", "Rows256 ~Rows256 Rows", "Implicit ~Implicit Tall", "Implicit ~Implicit Tall"),
        ["mobilenet_dw3x3_56"] =
            new("Depthwise ~Depthwise Wide", "Wide ~Wide Wide", "Direct ~Direct Direct", "Direct ~Direct Direct"),
        ["mobilenet_dw3x3_s2_56"] =
            new("Depthwise Depthwise Depthwise", "Depthwise Depthwise Depthwise",
                "Depthwise Depthwise Depthwise", "Depthwise Depthwise Depthwise"),
        ["mobilenet_dw3x3_7"] =
            new("Depthwise ~Depthwise Wide", "Wide ~Wide Wide", "Direct ~Direct Direct", "Direct ~Direct Direct"),
        ["mobilenet_pw1x1_56"] =
            new("Im2col Im2col Im2col", "Im2col Im2col Im2col", "Im2col Im2col Im2col", "Im2col Im2col Im2col"),
        ["pointwise1x1_7"] =
            new("Small Small Small", "Small Small Small", "Small Small Small", "Small Small Small"),
        ["pointwise1x1_4_1024"] =
            new("Small Small Small", "Small Small Small", "Small Small Small", "Small Small Small"),
        ["dcgan_disc4x4_s2"] =
            new("Im2col Im2col Tall", "Im2col Im2col Tall", "Im2col Im2col Tall", "Im2col Im2col Tall"),
        ["dcgan_disc4x4_s2_14"] =
            new("Small Small Small", "Small Small Small", "Small Small Small", "Small Small Small"),
        ["dcgan_gen4x4_s2_7"] =
            new("Small Small Small", "Small Small Small", "Small Small Small", "Small Small Small"),
        ["dcgan_gen4x4_s2_to1"] =
            new("Im2col Im2col Tall", "Im2col Im2col Tall", "Im2col Im2col Tall", "Im2col Im2col Tall"),
        ["dcgan_gen7x7_from1x1"] =
            new("Dense Dense Dense", "Dense Dense Dense", "Dense Dense Dense", "Dense Dense Dense"),
        ["dcgan_disc7x7_to1x1"] =
            new("Dense Dense Dense", "Dense Dense Dense", "Dense Dense Dense", "Dense Dense Dense"),
        ["unet_conv3x3_64_b1"] =
            new("Rows ~Rows Rows", "Rows256 ~Rows256 Rows", "Implicit ~Implicit Tall", "Implicit ~Implicit Tall"),
        ["grouped3x3_g4"] =
            new("Lanes ~Wide Lanes", "Lanes ~Wide Lanes", "Direct ~Direct Direct", "Direct ~Direct Direct"),
        ["grouped3x3_g2_og12"] =
            new("Lanes ~Wide Lanes", "Lanes ~Wide Lanes", "Direct ~Direct Direct", "Direct ~Direct Direct"),
        ["dilated3x3_d2"] =
            new("Rows ~Lanes Rows", "Rows256 ~Lanes Rows", "Im2col ~Direct Tall", "Im2col ~Direct Tall"),
        ["dilated3x3_d2_og8"] =
            new("Wide ~Wide Wide", "Wide ~Wide Wide", "Direct ~Direct Direct", "Direct ~Direct Direct"),
        ["stride3_5x5"] =
            new("Small Small Small", "Small Small Small", "Small Small Small", "Small Small Small"),
        ["stride4_3x3"] =
            new("Im2col Im2col Tall", "Im2col Im2col Tall", "Im2col Im2col Tall", "Im2col Im2col Tall"),
        ["stride2_og8"] =
            new("Im2col Im2col Tall", "Im2col Im2col Tall", "Im2col Im2col Tall", "Im2col Im2col Tall"),
        ["tiny2x2_og64"] =
            new("Small ~Lanes Small", "Small ~Lanes Small", "Small ~Direct Small", "Small ~Direct Small"),
        ["tiny1x1_map"] =
            new("Dense Dense Dense", "Dense Dense Dense", "Dense Dense Dense", "Dense Dense Dense"),
        ["batch1_7x7_og12"] =
            new("Lanes ~Wide Lanes", "Lanes ~Wide Lanes", "Direct ~Direct Direct", "Direct ~Direct Direct"),
        ["batch1_5x5_og100"] =
            new("Rows ~Lanes Tall", "Rows256 ~Lanes Tall", "Implicit ~Direct Tall", "Implicit ~Direct Tall"),
        ["depthwise5x5_s2_dil"] =
            new("Depthwise Depthwise Depthwise", "Depthwise Depthwise Depthwise",
                "Depthwise Depthwise Depthwise", "Depthwise Depthwise Depthwise"),
        ["depthwise_mult2"] =
            new("Wide ~Wide Wide", "Wide ~Wide Wide", "Direct ~Direct Direct", "Direct ~Direct Direct"),
        ["conv1d_k3"] =
            new("Small ~Lanes Small", "Small ~Lanes Small", "Small ~Direct Small", "Small ~Direct Small"),
        ["conv1d_k5_s2"] =
            new("Im2col Im2col Tall", "Im2col Im2col Tall", "Im2col Im2col Tall", "Im2col Im2col Tall"),
        ["asym_pad_1x1_pad"] =
            new("Small Small Small", "Small Small Small", "Small Small Small", "Small Small Small"),
        ["stride_h_only"] =
            new("Im2col Im2col Tall", "Im2col Im2col Tall", "Im2col Im2col Tall", "Im2col Im2col Tall"),
        ["dilation_w_only"] =
            new("Rows ~Wide Tall", "Rows256 ~Wide Tall", "Im2col ~Direct Tall", "Im2col ~Direct Tall"),
    };

    public static IEnumerable<object[]> Named => ConvPlanShapes.Named.Select(p => new object[] { p.Name });

    [Theory]
    [MemberData(nameof(Named))]
    public void Planner_ChoosesRecordedKernels(string name)
    {
        var s = ConvPlanShapes.Named.Single(p => p.Name == name).Shape;
        var plans = Expected[name];
        Assert.Equal(plans.Avx512, Describe(s, ConvIsa.Avx512));
        Assert.Equal(plans.Avx2, Describe(s, ConvIsa.Avx2));
        Assert.Equal(plans.Vector128, Describe(s, ConvIsa.Vector128));
        Assert.Equal(plans.Scalar, Describe(s, ConvIsa.Scalar));
    }

    private static string Describe(ConvShape s, ConvIsa isa)
    {
        var input = ConvPlanner.InputGradient(s, isa);
        return $"{ConvPlanner.Forward(s, isa).Kernel} {(input.Transposed ? "~" : input.Phased ? "%" : "")}" +
            $"{input.Kernel} " +
            $"{ConvPlanner.WeightGradient(s, isa).Kernel}";
    }

    [Fact]
    public void Planner_PicksOnlyKernelsThatRunTheShape()
    {
        foreach (var s in ConvPlanShapes.Named.Select(p => p.Shape).Concat(ForcedShapes.Select(p => p.Shape)))
        {
            foreach (var isa in Enum.GetValues<ConvIsa>())
            {
                Assert.Null(ConvPlanner.Unsupported(ConvPass.Forward, ConvPlanner.Forward(s, isa), s, isa));
                Assert.Null(ConvPlanner.Unsupported(ConvPass.InputGradient, ConvPlanner.InputGradient(s, isa), s,
                    isa));
                Assert.Null(ConvPlanner.Unsupported(ConvPass.WeightGradient, ConvPlanner.WeightGradient(s, isa), s,
                    isa));
            }
        }
    }

    // Small shapes that between them reach every kernel's limits: few and many output channels, groups,
    // depthwise at strides 1 and 2, 1×1 with and without stride, 5×5 and 7×7, strides 2 and 3, dilation in one
    // axis or both, padding 0 to 3, 1-D.
    private static readonly (string Name, ConvShape Shape)[] ForcedShapes =
    [
        ("general_og13", new ConvShape(2, 3, 9, 11, 13, 3, 2, 7, 11, 1, 1, 1, 1, 2, 2, 1)),
        ("og32", ConvPlanShapes.Square(2, 4, 8, 32, 3, 1, 1)),
        ("og5_5x5", ConvPlanShapes.Square(1, 3, 12, 5, 5, 1, 2)),
        ("og4_7x7", ConvPlanShapes.Square(2, 3, 8, 4, 7, 1, 3)),
        ("depthwise", ConvPlanShapes.Square(1, 6, 7, 6, 3, 1, 1, groups: 6)),
        ("depthwise_s2", ConvPlanShapes.Square(2, 4, 11, 4, 3, 2, 1, groups: 4)),
        ("pointwise", ConvPlanShapes.Square(2, 8, 6, 16, 1, 1, 0)),
        ("pointwise_s2", ConvPlanShapes.Square(1, 2, 9, 32, 1, 2, 0)),
        ("og8_s2", ConvPlanShapes.Square(2, 4, 9, 8, 3, 2, 1)),
        ("grouped_og24", ConvPlanShapes.Square(2, 8, 5, 48, 3, 1, 1, groups: 2)),
        ("no_pad_og20", new ConvShape(1, 2, 10, 13, 20, 3, 3, 8, 11, 1, 1, 0, 0, 1, 1, 1)),
        ("dilated_og24", ConvPlanShapes.Square(1, 4, 9, 24, 3, 1, 2, dil: 2)),
        ("stride3_og12", ConvPlanShapes.Square(1, 4, 10, 12, 3, 3, 1)),
        ("dilation_h_only", new ConvShape(1, 3, 9, 12, 17, 3, 3, 7, 12, 1, 1, 1, 1, 2, 1, 1)),
        ("conv1d_og16", new ConvShape(2, 2, 1, 20, 16, 1, 3, 1, 20, 1, 1, 0, 1, 1, 1, 1)),
        // Kernels that are multiples of the strides (the phased input gradient): odd sizes, batch 1, channel counts
        // off the vector widths, groups, a single output channel, padding 0 to 2, unequal strides, a 1-D case.
        ("k4_s2_odd", ConvPlanShapes.Square(2, 3, 9, 20, 4, 2, 1)),
        ("k4_s2_b1_og37", ConvPlanShapes.Square(1, 5, 14, 37, 4, 2, 1)),
        ("k4_s2_c1", ConvPlanShapes.Square(3, 1, 11, 24, 4, 2, 1)),
        ("k4_s2_to_c1", ConvPlanShapes.Square(2, 40, 7, 1, 4, 2, 2)),
        ("k4_s2_g2", ConvPlanShapes.Square(2, 6, 10, 34, 4, 2, 1, groups: 2)),
        ("k2_s2_pad0", ConvPlanShapes.Square(2, 7, 9, 33, 2, 2, 0)),
        ("k6_s3_pad2", ConvPlanShapes.Square(1, 4, 13, 19, 6, 3, 2)),
        ("k4x2_s2x1", new ConvShape(2, 3, 9, 8, 18, 4, 2, 4, 9, 2, 1, 1, 1, 1, 1, 1)),
        ("conv1d_k4_s2", new ConvShape(2, 5, 1, 17, 20, 1, 4, 1, 8, 1, 2, 0, 1, 1, 1, 1)),
        // Stride-2 rows of 10 and 20 outputs: the vector steps of the stride-2 fold, on the small-map and im2col paths.
        ("k4_s2_small_10", ConvPlanShapes.Square(3, 4, 20, 32, 4, 2, 1)),
        ("k4_s2_wide_20", ConvPlanShapes.Square(2, 3, 40, 20, 4, 2, 1)),
        // One output position over the whole image (the dense kernel): rectangular, and grouped with a stride.
        ("dense_7x5", new ConvShape(3, 4, 7, 5, 9, 7, 5, 1, 1, 1, 1, 0, 0, 1, 1, 1)),
        ("dense_g2_s2", new ConvShape(2, 6, 3, 3, 4, 3, 3, 1, 1, 2, 2, 0, 0, 1, 1, 2)),
    ];

    public static IEnumerable<object[]> Forced =>
        from shape in ForcedShapes
        from pass in Enum.GetValues<ConvPass>()
        select new object[] { shape.Name, pass.ToString() };

    // Every kernel, and for the input gradient every kernel again as the transposed forward and phase by phase.
    private static IEnumerable<ConvPlan> AllPlans(ConvPass pass) =>
        Enum.GetValues<ConvKernel>().Select(k => new ConvPlan(k)).Concat(pass == ConvPass.InputGradient
            ? Enum.GetValues<ConvKernel>().SelectMany(k => new[] { new ConvPlan(k, Transposed: true),
                new ConvPlan(k, Phased: true) })
            : []);

    [Theory]
    [MemberData(nameof(Forced))]
    public void ForcedKernels_MatchReferenceOrRefuse(string name, string passName)
    {
        var pass = Enum.Parse<ConvPass>(passName);
        var s = ForcedShapes.Single(p => p.Name == name).Shape;
        var gen = new Generator(91);
        var x = Tensor.Randn([s.N * s.C * s.H * s.W], gen).ToFloatArray();
        var w = Tensor.Randn([s.O * s.K], gen).ToFloatArray();
        var b = Tensor.Randn([s.O], gen).ToFloatArray();
        var dy = Tensor.Randn([s.N * s.O * s.L], gen).ToFloatArray();
        var expected = new double[pass switch
        {
            ConvPass.Forward => dy.Length,
            ConvPass.InputGradient => x.Length,
            _ => w.Length,
        }];
        switch (pass)
        {
            case ConvPass.Forward:
                ConvReference.Forward<double>(KernelAssert.D(x), KernelAssert.D(w), KernelAssert.D(b), expected, s);
                break;
            case ConvPass.InputGradient:
                ConvReference.BackwardInput<double>(KernelAssert.D(dy), KernelAssert.D(w), expected, s);
                break;
            default:
                ConvReference.BackwardWeight<double>(KernelAssert.D(x), KernelAssert.D(dy), expected, s);
                break;
        }
        int ran = 0;
        foreach (var plan in AllPlans(pass))
        {
            var result = KernelAssert.Garbage(expected.Length);
            void Run()
            {
                using var _ = ConvPlanner.Force(pass, plan);
                switch (pass)
                {
                    case ConvPass.Forward: Conv.Forward(x, w, b, result, s); break;
                    case ConvPass.InputGradient: Conv.BackwardInput(dy, w, result, s); break;
                    default: Conv.BackwardWeight(x, dy, result, s); break;
                }
            }
            if (ConvPlanner.Unsupported(pass, plan, s, ConvPlanner.Isa) is null)
            {
                Run();
                KernelAssert.Close(expected, result, $"{pass} forced to {plan} on {s}");
                ran++;
            }
            else
            {
                var e = Assert.Throws<ArgumentException>(Run);
                Assert.Contains($"forced kernel {plan}", e.Message);
                Assert.Contains(s.ToString(), e.Message);
            }
        }
        Assert.True(ran >= 2, $"{pass} of {s}: only {ran} kernels ran");
    }

    [Fact]
    public void Force_IsScopedAndNests()
    {
        var s = ConvPlanShapes.Square(1, 2, 6, 4, 3, 2, 1);
        Assert.Equal(ConvKernel.Im2col, ConvPlanner.Choose("test", ConvPass.Forward, s).Kernel);
        using (ConvPlanner.Force(ConvPass.Forward, ConvKernel.Small))
        {
            using (ConvPlanner.Force(ConvPass.Forward, ConvKernel.Im2col))
                Assert.Equal(ConvKernel.Im2col, ConvPlanner.Choose("test", ConvPass.Forward, s).Kernel);
            Assert.Equal(ConvKernel.Small, ConvPlanner.Choose("test", ConvPass.Forward, s).Kernel);
            Assert.Equal(ConvPlanner.WeightGradient(s, ConvPlanner.Isa),
                ConvPlanner.Choose("test", ConvPass.WeightGradient, s));
        }
        Assert.Equal(ConvKernel.Im2col, ConvPlanner.Choose("test", ConvPass.Forward, s).Kernel);
    }

    [Fact]
    public void ForcedKernel_ErrorNamesOpKernelAndShape()
    {
        var s = ConvPlanShapes.Square(1, 2, 6, 4, 3, 2, 1);
        using var _ = ConvPlanner.Force(ConvPass.Forward, ConvKernel.Implicit);
        var e = Assert.Throws<ArgumentException>(() =>
            Conv.Forward(new float[2 * 36], new float[4 * 18], default, new float[4 * 9], s));
        Assert.StartsWith("Conv.Forward: forced kernel Implicit needs unit strides", e.Message);
        Assert.Contains(s.ToString(), e.Message);
    }
}
