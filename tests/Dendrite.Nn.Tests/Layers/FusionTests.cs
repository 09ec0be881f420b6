using Dendrite.Models;
using Dendrite.Nn;
using Xunit;

namespace Dendrite.Nn.Tests.Layers;

/// <summary>Evaluation-mode folding of batch norm into convolutions (<see cref="Conv2d.ForwardWithBatchNorm"/>, the
/// pattern in <see cref="Sequential"/>, the zoo's ResNet, GoogLeNet and MobileNet), the fused batch norm of
/// evaluation mode and the in-place clamp: the folded output equals the unfused one, and training mode is
/// untouched.</summary>
public class FusionTests
{
    // Random statistics and affine terms, so that a wrong fold cannot hide behind mean 0, variance 1, γ 1, β 0.
    private static void Randomize(BatchNorm2d bn, Generator gen)
    {
        int c = bn.Weight.Numel;
        using var _ = Autograd.NoGrad();
        bn.RunningMean.CopyFrom(Tensor.Randn([c], gen));
        bn.RunningVar.CopyFrom(Tensor.Rand([c], gen) + 0.5);
        bn.Weight.CopyFrom(Tensor.Randn([c], gen));
        bn.Bias.CopyFrom(Tensor.Randn([c], gen));
    }

    private static void RandomizeAll(Module model, Generator gen)
    {
        foreach (var (_, m) in model.NamedModules())
        {
            if (m is BatchNorm2d bn) Randomize(bn, gen);
        }
    }

    // The unfused forward of an eval-mode model: gradients recorded for the input, so nothing folds.
    private static Tensor Unfused(ILayer model, Tensor x)
    {
        var xg = x.Clone().RequireGrad();
        return model.Call(xg).Detach();
    }

    private static void AssertClose(Tensor actual, Tensor expected, double tol = 1e-5)
    {
        Assert.Equal(expected.Shape.ToArray(), actual.Shape.ToArray());
        double scale = Math.Max(1, expected.Abs().Max().Item());
        double diff = (actual - expected).Abs().Max().Item();
        Assert.True(diff <= tol * scale, $"max |difference| {diff} above {tol} × {scale}");
    }

    [Theory]
    [InlineData(ConvBnActivation.None, true, 1, 1)]
    [InlineData(ConvBnActivation.Relu, false, 2, 1)]
    [InlineData(ConvBnActivation.Relu6, false, 1, 4)]
    public void FoldedConvBatchNormEqualsUnfused(ConvBnActivation activation, bool bias, int stride, int groups)
    {
        var gen = new Generator(3);
        var conv = new Conv2d(8, 12, 3, stride, 1, groups: groups, bias: bias);
        var bn = new BatchNorm2d(12);
        Randomize(bn, gen);
        conv.Eval();
        bn.Eval();
        var x = Tensor.Randn([2, 8, 9, 9], gen);
        Tensor expected;
        using (Autograd.NoGrad())
        {
            var y = ((ILayer)bn).Forward(((ILayer)conv).Forward(x)).ToArray<float>();
            var e = Tensor.From(y, 2, 12, (9 + 2 - 3) / stride + 1, (9 + 2 - 3) / stride + 1);
            expected = activation switch
            {
                ConvBnActivation.Relu => e.Relu(),
                ConvBnActivation.Relu6 => e.Clamp(0, 6),
                _ => e,
            };
        }
        Tensor folded;
        using (Autograd.NoGrad())
        {
            Assert.True(conv.CanFold(bn, x));
            folded = conv.ForwardWithBatchNorm(bn, x, activation);
        }
        AssertClose(folded, expected);
    }

    [Fact]
    public void FoldIsRecomputedWhenStatisticsOrWeightsChange()
    {
        var gen = new Generator(4);
        var conv = new Conv2d(4, 6, 3, padding: 1).Eval();
        var bn = new BatchNorm2d(6).Eval();
        Randomize(bn, gen);
        var x = Tensor.Randn([1, 4, 5, 5], gen);
        using var _ = Autograd.NoGrad();
        var first = conv.ForwardWithBatchNorm(bn, x);
        bn.RunningMean.CopyFrom(bn.RunningMean + 1);
        var afterStats = conv.ForwardWithBatchNorm(bn, x);
        AssertClose(afterStats, ((ILayer)bn).Forward(((ILayer)conv).Forward(x)));
        Assert.True((afterStats - first).Abs().Max().Item() > 1e-3);
        conv.Weight.CopyFrom(conv.Weight * 2);
        AssertClose(conv.ForwardWithBatchNorm(bn, x), ((ILayer)bn).Forward(((ILayer)conv).Forward(x)));
    }

    [Fact]
    public void TrainingModeIsUntouched()
    {
        var gen = new Generator(5);
        Generator.ManualSeed(5);
        var conv = new Conv2d(3, 4, 3, padding: 1);
        var bn = new BatchNorm2d(4);
        Generator.ManualSeed(5);
        var conv2 = new Conv2d(3, 4, 3, padding: 1);
        var bn2 = new BatchNorm2d(4);
        var x = Tensor.Randn([4, 3, 6, 6], gen);
        var fused = conv.ForwardWithBatchNorm(bn, x, ConvBnActivation.Relu);
        var plain = ((ILayer)bn2).Call(((ILayer)conv2).Call(x)).Relu();
        Assert.False(conv.CanFold(bn, x));
        Assert.Equal(plain.ToArray<float>(), fused.ToArray<float>());
        Assert.Equal(bn2.RunningMean.ToArray<float>(), bn.RunningMean.ToArray<float>());
        fused.Sum().Backward();
        plain.Sum().Backward();
        Assert.Equal(conv2.Weight.Grad!.ToArray<float>(), conv.Weight.Grad!.ToArray<float>());
        Assert.Equal(bn2.Weight.Grad!.ToArray<float>(), bn.Weight.Grad!.ToArray<float>());
    }

    [Fact]
    public void HooksAndRecordedGradientsKeepTheUnfusedPath()
    {
        var gen = new Generator(6);
        var seq = new Sequential(new Conv2d(3, 4, 3, padding: 1), new BatchNorm2d(4), new Relu()).Eval();
        var conv = (Conv2d)seq[0];
        var bn = (BatchNorm2d)seq[1];
        Randomize(bn, gen);
        var x = Tensor.Randn([2, 3, 5, 5], gen);
        Assert.False(conv.CanFold(bn, x)); // autograd on, parameters require grad
        int calls = 0;
        using (conv.RegisterForwardHook((_, _, _) =>
               {
                   calls++;
                   return null;
               }))
        {
            using var _ = Autograd.NoGrad();
            Assert.False(conv.CanFold(bn, x));
            ((ILayer)seq).Call(x);
        }
        Assert.Equal(1, calls);
        var xg = x.Clone().RequireGrad();
        var y = ((ILayer)seq).Call(xg);
        y.Sum().Backward();
        Assert.NotNull(xg.Grad);
        Assert.NotNull(conv.Weight.Grad);
    }

    [Fact]
    public void SequentialFoldsConvBatchNormActivation()
    {
        var gen = new Generator(7);
        var seq = new Sequential(new Conv2d(3, 8, 3, padding: 1, bias: false), new BatchNorm2d(8), new Relu6(),
            new Conv2d(8, 8, 1), new BatchNorm2d(8), new Conv2d(8, 4, 3, stride: 2), new BatchNorm2d(4),
            new Relu()).Eval();
        RandomizeAll(seq, gen);
        var x = Tensor.Randn([2, 3, 10, 10], gen) * 4;
        Tensor folded;
        using (Autograd.NoGrad()) folded = ((ILayer)seq).Call(x);
        AssertClose(folded, Unfused(seq, x));
    }

    [Fact]
    public void ZooModelsInEvaluationModeEqualTheUnfusedForward()
    {
        var gen = new Generator(8);
        var options = new ZooOptions(NumClasses: 10, SmallInput: true);
        // One block per stage keeps the test fast; the basic and the bottleneck block both occur.
        foreach (var model in new Module[] { new ResNet([1, 1, 1, 1], false, options), MobileNet.V2(options),
                     new ResNet([1, 1, 1, 1], true, options) })
        {
            model.Eval();
            RandomizeAll(model, gen);
            var x = Tensor.Randn([1, 3, 16, 16], gen);
            Tensor folded;
            using (Autograd.NoGrad()) folded = ((ILayer)model).Call(x);
            AssertClose(folded, Unfused((ILayer)model, x), 1e-4);
        }
    }

    [Fact]
    public void GoogLeNetBasicConvFoldsInEvaluationMode()
    {
        var gen = new Generator(9);
        var block = new InceptionModule(16, 8, 8, 12, 4, 6, 6).Eval();
        RandomizeAll(block, gen);
        var x = Tensor.Randn([2, 16, 7, 7], gen);
        Tensor folded;
        using (Autograd.NoGrad()) folded = ((ILayer)block).Call(x);
        AssertClose(folded, Unfused(block, x));
    }

    [Fact]
    public void BatchNormInferenceMatchesTheCompositeFormAndHasGradients()
    {
        var gen = new Generator(10);
        var x = Tensor.Randn([3, 5, 4, 2], gen);
        var mean = Tensor.Randn([5], gen);
        var var = Tensor.Rand([5], gen) + 0.1;
        var w = Tensor.Randn([5], gen);
        var b = Tensor.Randn([5], gen);
        var view = new[] { 1, -1, 1, 1 };
        var expected = ((x.To(DType.Float64) - mean.To(DType.Float64).Reshape(view)) /
            (var.To(DType.Float64).Reshape(view) + 1e-3).Sqrt() * w.To(DType.Float64).Reshape(view) +
            b.To(DType.Float64).Reshape(view)).To(DType.Float32);
        AssertClose(x.BatchNormInference(mean, var, w, b, 1e-3), expected);
        var ex = Assert.Throws<ArgumentException>(() => x.BatchNormInference(mean, var, w, Tensor.Zeros(4), 1e-3));
        Assert.Contains("BatchNormInference", ex.Message);
        Gradcheck.Assert(t => t[0].BatchNormInference(t[1], t[2], t[3], t[4], 1e-3),
            x.To(DType.Float64).RequireGrad(), mean.To(DType.Float64).RequireGrad(),
            var.To(DType.Float64).RequireGrad(), w.To(DType.Float64).RequireGrad(),
            b.To(DType.Float64).RequireGrad());
    }

    [Fact]
    public void ClampInPlaceClampsAndRefusesTensorsThatRequireGrad()
    {
        var t = Tensor.From([-2f, -0.5f, 0.5f, 3f, 8f], 5);
        var same = t.ClampInPlace(0, 6);
        Assert.Same(t, same);
        Assert.Equal(new[] { 0f, 0f, 0.5f, 3f, 6f }, t.ToArray<float>());
        var d = Tensor.From([-1.0, 2.0], 2);
        d.ClampInPlace(max: 1);
        Assert.Equal(new[] { -1.0, 1.0 }, d.ToArray<double>());
        var g = Tensor.From([1f, -1f], 2).RequireGrad();
        Assert.Throws<InvalidOperationException>(() => g.ClampInPlace(0));
    }
}
