using System.Text.Json;
using Dendrite.Models.Generative;
using Dendrite.Nn;
using Dendrite.Nn.Optim;

namespace Dendrite.Tests.Models;

/// <summary>
/// LAPGAN, SRGAN, CycleGAN and DVD-GAN: the image-to-image layers against PyTorch
/// (tests/fixtures/image_to_image.json, from tools/make_image_to_image_fixtures.py) and finite differences; each
/// model's shapes, the structure its paper prescribes, and short trainings on tiny synthetic images whose measured
/// effect (PSNR, cycle error) must move the right way.
/// </summary>
public class GanFamilyTests
{
    private static readonly Lazy<JsonDocument> Document = new(() => JsonDocument.Parse(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "image_to_image.json"))));

    /// <summary>Every fixture case.</summary>
    public static TheoryData<string> LayerCases
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var c in Document.Value.RootElement.GetProperty("cases").EnumerateArray())
                data.Add(c.GetProperty("name").GetString()!);
            return data;
        }
    }

    private static ILayer Layer(string kind, double arg) => kind switch
    {
        "pixel_shuffle" => new PixelShuffle((int)arg),
        "instance_norm" => new InstanceNorm2d(arg),
        _ => throw new InvalidDataException($"image_to_image.json: unknown layer {kind}"),
    };

    [Theory]
    [MemberData(nameof(LayerCases))]
    public void ImageToImageLayer_MatchesTorch(string name)
    {
        var c = Document.Value.RootElement.GetProperty("cases").EnumerateArray()
            .First(e => e.GetProperty("name").GetString() == name);
        var layer = Layer(c.GetProperty("layer").GetString()!, c.GetProperty("arg").GetDouble());
        var x = NnFixture.ToTensor(c.GetProperty("input")).RequireGrad();
        var y = layer.Forward(x);
        NnFixture.AssertClose(y, c.GetProperty("output"), $"{name}: output");
        (y * NnFixture.ToTensor(c.GetProperty("r"))).Sum().Backward();
        NnFixture.AssertClose(x.Grad!, c.GetProperty("grad"), $"{name}: gradient", atol: 1e-4);
    }

    [Fact]
    public void ImageToImageLayers_GradientsMatchFiniteDifferences()
    {
        var g = new Generator(5);
        var x = Tensor.Randn([2, 8, 2, 3], g).To(DType.Float64);
        Gradcheck.Assert(xs => new PixelShuffle(2).Forward(xs[0]), x);
        var y = (Tensor.Randn([2, 3, 3, 4], g) * 1.5 + 0.3).To(DType.Float64);
        Gradcheck.Assert(xs => new InstanceNorm2d().Forward(xs[0]), y);
    }

    [Fact]
    public void ImageToImageLayers_RejectWrongShapes()
    {
        Assert.Contains("PixelShuffle: expected (N, C·4, H, W), got [1,6,2,2]",
            Assert.Throws<ArgumentException>(() => new PixelShuffle(2).Forward(Tensor.Zeros(1, 6, 2, 2))).Message);
        Assert.Contains("InstanceNorm2d: expected (N, C, H, W), got [3,4]",
            Assert.Throws<ArgumentException>(() => new InstanceNorm2d().Forward(Tensor.Zeros(3, 4))).Message);
    }

    [Fact]
    public void LapGan_PyramidAndSampleShapes()
    {
        var model = new LapGan(new LapGanConfig(NoiseDim: 8, Hidden: 16, Channels: 4));
        Assert.Equal([14, 28], model.Levels.Select(l => l.Size));
        var x = Tensor.Rand([2, 1, 28, 28], new Generator(1), -1, 1);
        var pyramid = model.Pyramid(x);
        Assert.Equal([7, 14, 28], pyramid.Select(p => p.Size(2)));
        // the coarsest level is the 4×4 block average of the image
        double block = x.Narrow(0, 1, 1).Narrow(2, 4, 4).Narrow(3, 0, 4).Mean().Item();
        Assert.Equal(block, pyramid[0].Narrow(0, 1, 1).Narrow(2, 1, 1).Narrow(3, 0, 1).Item(), 5);
        var samples = model.Sample(3, new Generator(2));
        Assert.Equal([3, 1, 28, 28], samples.Shape.ToArray());
        Assert.False(samples.RequiresGrad);
    }

    [Fact]
    public void LapGan_TrainStepTrainsEveryLevelAndOnlyThroughItsOwnPyramidLevel()
    {
        var model = new LapGan(new LapGanConfig(NoiseDim: 8, Hidden: 16, Channels: 4));
        var optimizers = model.CreateOptimizers();
        var before = model.StateDict().ToDictionary(p => p.Key, p => p.Value.Clone());
        var losses = model.TrainStep(Tensor.Rand([4, 1, 28, 28], new Generator(3), -1, 1), optimizers,
            new Generator(4));
        Assert.Equal(3, losses.Discriminator.Length);
        Assert.All(losses.Discriminator.Concat(losses.Generator), v => Assert.True(double.IsFinite(v)));
        // every generator and discriminator of every level moved
        foreach (var (name, value) in model.StateDict().Where(p => p.Key.EndsWith("weight", StringComparison.Ordinal)))
            Assert.True((value - before[name]).Abs().Max().Item() > 0, $"{name} did not change");
        Assert.Throws<ArgumentException>(() => model.TrainStep(Tensor.Zeros(1, 1, 28, 28), optimizers[..2]));
    }

    [Fact]
    public void SrGan_ShapesAndBicubicBaseline()
    {
        var x4 = new SrGan(new SrGanConfig(Scale: 4, Channels: 8, Blocks: 1, DiscriminatorChannels: 4));
        var x2 = new SrGan(new SrGanConfig(Scale: 2, Channels: 8, Blocks: 1, DiscriminatorChannels: 4));
        var hr = Tensor.Rand([2, 1, 28, 28], new Generator(6), -1, 1);
        Assert.Equal([2, 1, 7, 7], x4.Downscale(hr).Shape.ToArray());
        Assert.Equal([2, 1, 28, 28], x4.Upscale(x4.Downscale(hr)).Shape.ToArray());
        Assert.Equal([2, 1, 28, 28], x2.Upscale(x2.Downscale(hr)).Shape.ToArray());
        Assert.Equal([2, 1], x4.Discriminator.Forward(hr).Shape.ToArray());
        // bicubic upsampling reproduces a constant image exactly, and a smooth one better than nearest
        var flat = Tensor.Full(0.25, 1, 1, 7, 7);
        Assert.Equal(0.25, x4.Bicubic(flat).Max().Item(), 6);
        var ramp = Tensor.Linspace(-0.9, 0.9, 28).Reshape(1, 1, 1, 28).Expand(1, 1, 28, 28).Contiguous();
        var lr = x4.Downscale(ramp);
        Assert.True(SrGan.Psnr(x4.Bicubic(lr), ramp) > SrGan.Psnr(lr.Upsample(4), ramp));
        Assert.Equal(10 * Math.Log10(4 / 0.01), SrGan.Psnr(Tensor.Full(0.1, 1, 1, 2, 2), Tensor.Zeros(1, 1, 2, 2)), 4);
        Assert.Throws<ArgumentException>(() => new SrGan(new SrGanConfig(Scale: 3)));
    }

    [Fact]
    public void SrGan_TrainingRaisesPsnrOnAFixedBatch()
    {
        var g = new Generator(7);
        var model = new SrGan(new SrGanConfig(Scale: 2, Channels: 8, Blocks: 1, DiscriminatorChannels: 4));
        // smooth blobs: low-frequency images the 14×14 input determines well
        var grid = Tensor.Linspace(-1, 1, 28);
        var yy = grid.Reshape(1, 1, 28, 1);
        var xx = grid.Reshape(1, 1, 1, 28);
        var centres = Tensor.Rand([4, 1, 1, 1], g, -0.5, 0.5);
        var hr = ((yy - centres) * (yy - centres) + (xx + centres) * (xx + centres)).Neg().Mul(Tensor.Scalar(4)).Exp()
            * 1.8 - 0.9;
        var lr = model.Downscale(hr);
        double start = SrGan.Psnr(model.Upscale(lr), hr);
        var optimizers = model.CreateOptimizers(lr: 3e-3);
        SrGanLosses last = null!;
        for (int i = 0; i < 40; i++) last = model.TrainStep(hr, optimizers, x => x.AvgPool2d((2, 2)));
        double end = SrGan.Psnr(model.Upscale(lr), hr);
        Assert.True(end > start + 10, $"PSNR {start:F2} → {end:F2} dB after 40 steps");
        Assert.True(last.Content > 0 && double.IsFinite(last.Discriminator));
    }

    [Fact]
    public void SrGan_PretrainStepFitsThePixelsAndLeavesTheDiscriminator()
    {
        var g = new Generator(8);
        var model = new SrGan(new SrGanConfig(Scale: 2, Channels: 8, Blocks: 1, DiscriminatorChannels: 4));
        var grid = Tensor.Linspace(-1, 1, 28);
        var centres = Tensor.Rand([4, 1, 1, 1], g, -0.5, 0.5);
        var yy = grid.Reshape(1, 1, 28, 1) - centres;
        var xx = grid.Reshape(1, 1, 1, 28) + centres;
        var hr = (yy * yy + xx * xx).Mul(Tensor.Scalar(-4)).Exp() * 1.8 - 0.9;
        var before = model.Discriminator.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Clone());
        var optimizer = new Adam(model.Generator.Parameters(), 3e-3);
        double first = model.PretrainStep(hr, optimizer), last = first;
        for (int i = 0; i < 40; i++) last = model.PretrainStep(hr, optimizer);
        Assert.True(last < 0.2 * first, $"pixel MSE {first:F4} → {last:F4} after 40 steps");
        foreach (var (name, value) in model.Discriminator.StateDict())
            Assert.Equal(0, (value - before[name]).Abs().Max().Item());
    }

    [Fact]
    public void CycleGan_ShapesAndCycleErrorFallsWithTraining()
    {
        var model = new CycleGan(new CycleGanConfig(Channels: 4, Blocks: 1, DiscriminatorChannels: 4));
        Assert.Equal([3, 1, 5, 5], model.DiscriminatorA.Forward(Tensor.Zeros(3, 1, 28, 28)).Shape.ToArray());
        // domain A: bright squares; domain B: dark backgrounds with a bright bar
        var a = Tensor.Full(-1.0, 2, 1, 28, 28);
        var b = Tensor.Full(-1.0, 2, 1, 28, 28);
        for (int i = 0; i < 2; i++)
        {
            a.Narrow(0, i, 1).Narrow(2, 4 + 3 * i, 10).Narrow(3, 6, 10).Fill(1);
            b.Narrow(0, i, 1).Narrow(2, 2, 24).Narrow(3, 3 + 4 * i, 5).Fill(0.8);
        }
        double start = model.CycleError(a);
        Assert.Equal([2, 1, 28, 28], model.Translate(a).Shape.ToArray());
        var optimizers = model.CreateOptimizers(lr: 2e-3);
        CycleGanLosses last = null!;
        for (int i = 0; i < 15; i++) last = model.TrainStep(a, b, optimizers);
        double end = model.CycleError(a);
        Assert.True(end < 0.6 * start, $"cycle error A→B→A {start:F3} → {end:F3} after 15 steps");
        Assert.True(double.IsFinite(last.DiscriminatorA + last.DiscriminatorB + last.Identity));
    }

    [Fact]
    public void DvdGan_SpatialDiscriminatorIgnoresMotionTemporalSeesIt()
    {
        var config = new DvdGanConfig(Frames: 4, NoiseDim: 8, FrameNoiseDim: 4, Hidden: 16, Channels: 4,
            SampledFrames: 4);
        var model = new DvdGan(config);
        var video = model.Sample(2, new Generator(9));
        Assert.Equal([2, 4, 1, 28, 28], video.Shape.ToArray());
        var all = Tensor.Arange(4, DType.Int64);
        var reversed = Tensor.From([3L, 2L, 1L, 0L], 4);
        using var _ = Autograd.NoGrad();
        var backwards = video.IndexSelect(1, reversed);
        // D_S scores single frames: reversing time permutes its scores and changes nothing else
        var forwardScores = model.ScoreFrames(video, all).Reshape(2, 4);
        var backwardScores = model.ScoreFrames(backwards, reversed).Reshape(2, 4);
        Assert.True((forwardScores - backwardScores).Abs().Max().Item() < 1e-5);
        // D_T scores the clip as a whole: playing it backwards changes its score
        Assert.Equal([2, 1], model.ScoreClip(video).Shape.ToArray());
        Assert.True((model.ScoreClip(video) - model.ScoreClip(backwards)).Abs().Max().Item() > 1e-6);
    }

    [Fact]
    public void DvdGan_TrainStepMovesGeneratorAndBothDiscriminators()
    {
        var model = new DvdGan(new DvdGanConfig(Frames: 4, NoiseDim: 8, FrameNoiseDim: 4, Hidden: 16, Channels: 4,
            SampledFrames: 2));
        var optimizers = model.CreateOptimizers();
        var before = model.StateDict().ToDictionary(p => p.Key, p => p.Value.Clone());
        var real = Tensor.Rand([3, 4, 1, 28, 28], new Generator(10), -1, 1);
        var losses = model.TrainStep(real, optimizers, new Generator(11));
        Assert.True(double.IsFinite(losses.Spatial + losses.Temporal + losses.Generator));
        foreach (var prefix in new[] { "generator.", "spatial.", "temporal." })
        {
            Assert.Contains(model.StateDict(), p => p.Key.StartsWith(prefix, StringComparison.Ordinal)
                && (p.Value - before[p.Key]).Abs().Max().Item() > 0);
        }
        Assert.Throws<ArgumentException>(() => new DvdGan(new DvdGanConfig(Frames: 4, SampledFrames: 5)));
    }
}
