using System.Diagnostics;
using Dendrite.Data;
using Dendrite.IO;
using Dendrite.Models.Generative;

namespace Dendrite.Experiments.Generative;

/// <summary>LAPGAN on Fashion-MNIST: a 7 → 14 → 28 pyramid of GANs, measured by the Fréchet distance on the
/// classifier's features against trivial generators and against its own coarse level alone.</summary>
public sealed class LapGanExperiment : Experiment
{
    /// <inheritdoc/>
    public override string Name => "lapgan";

    /// <inheritdoc/>
    public override string Topic => "generative";

    /// <inheritdoc/>
    public override string Summary => "LAPGAN (a Laplacian pyramid of GANs) on Fashion-MNIST: Fréchet distances";

    /// <inheritdoc/>
    public override string Claim => """
        Generating an image coarse to fine, each level a conditional GAN that adds the band-pass detail its
        coarser level lacks, splits a hard generation problem into easier ones (Denton et al., 2015): every level
        trains on its own scale of real images, and the finer levels make samples measurably closer to real
        images than the coarse level alone.
        """;

    /// <inheritdoc/>
    public override void Run(ExperimentContext context)
    {
        int trainCount = context.Choose(10_000, 32), evalCount = context.Choose(1_000, 32);
        int epochs = context.Choose(3, 1), batch = context.Choose(64, 16);
        var config = new LapGanConfig(Channels: context.Choose(32, 8), Hidden: context.Choose(256, 32));
        var (train, _) = GanFamilyData.Take("train", trainCount, context.NewGenerator());
        var (test, _) = GanFamilyData.Take("t10k", evalCount, context.NewGenerator());
        var (reference, _) = GanFamilyData.Take("train", evalCount, context.NewGenerator());
        var classifier = GanFamilyData.Classifier(context);
        context.Setup($"Fashion-MNIST from {GanFamilyData.Source} in [-1, 1], {trainCount} training images. Pyramid " +
            "28 → 14 → 7 by 2×2 averaging, bilinear upsampling. Top (7×7): MLP generator and discriminator with " +
            $"{config.Hidden} hidden units, noise {config.NoiseDim}; levels 14 and 28: three 3×3 convolutions with " +
            $"{config.Channels} maps taking the upsampled coarse image and a noise plane, discriminator of two " +
            "stride-2 convolutions on (detail, coarse image). Non-saturating GAN losses, Adam (lr 2·10⁻⁴, β₁ 0.5), " +
            $"batch {batch}, {epochs} epoch(s); every level trains at every step on its own level of the real " +
            $"pyramid. Fréchet distance: {evalCount} images each, on the 128 penultimate ReLU activations of the " +
            "Fashion-MNIST classifier (`FashionClassifier.Features`), against the test images.");
        var model = TensorScope.Outside(() => new LapGan(config));
        var optimizers = model.CreateOptimizers();
        var loader = new DataLoader(train, train, batch, shuffle: true, generator: context.NewGenerator());
        var noise = context.NewGenerator();
        var clock = Stopwatch.StartNew();
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            LapGanLosses? last = null;
            foreach (var (x, _) in loader)
            {
                using var scope = TensorScope.Begin();
                last = model.TrainStep(x, optimizers, noise);
            }
            context.Log($"lapgan: epoch {epoch}/{epochs}: D {string.Join(" / ", last!.Discriminator.Select(
                v => v.ToString("F3", System.Globalization.CultureInfo.InvariantCulture)))}, G " +
                string.Join(" / ", last.Generator.Select(
                    v => v.ToString("F3", System.Globalization.CultureInfo.InvariantCulture))));
        }
        double seconds = clock.Elapsed.TotalSeconds;

        var sampler = context.NewGenerator();
        Tensor samples, coarseOnly;
        using (Autograd.NoGrad())
        {
            samples = model.Sample(evalCount, sampler);
            // the same pyramid with the detail levels switched off: the top's 7×7 images upsampled to 28×28
            coarseOnly = LapGan.Up(model.Pyramid(samples)[0], config.ImageSize);
        }
        var realFeatures = classifier.Embed(test);
        double Fd(Tensor images) => FrechetDistance.Compute(realFeatures, classifier.Embed(images));
        var mean = train.Mean(0, keepDim: true).Expand(evalCount, 1, 28, 28).Contiguous();
        var g = context.NewGenerator();
        var table = context.Table("frechet", "Fréchet distance to the test images (classifier features; lower is " +
            "closer)", "images", "Fréchet distance", "epochs", "train s");
        double floor = Fd(reference), full = Fd(samples), top = Fd(coarseOnly);
        table.Add("training images (the floor)", floor, "", "");
        table.Add("LAPGAN samples (7 → 14 → 28)", full, epochs, seconds);
        table.Add("LAPGAN top level only, upsampled", top, epochs, seconds);
        table.Add("mean training image", Fd(mean + Tensor.Randn([evalCount, 1, 28, 28], g, std: 1e-3)), "", "");
        table.Add("uniform noise", Fd(Tensor.Rand([evalCount, 1, 28, 28], g, -1, 1)), "", "");
        context.Finding($"After {epochs} epoch(s) ({seconds:F0} s) LAPGAN's samples are at Fréchet distance " +
            $"{full:F2} from the test images, against {top:F2} for its top level alone and {floor:F2} for real " +
            "training images.");

        int n = Math.Min(16, evalCount);
        var pyramid = model.Pyramid(samples.Narrow(0, 0, n));
        var rows = GanFamilyData.Rows(LapGan.Up(pyramid[0], 28), LapGan.Up(pyramid[1], 28), pyramid[2]);
        Plots.ImageGrid(context.Figure("lapgan-pyramid", "LAPGAN samples at each level: 7×7, 14×14 and 28×28 " +
            "(coarser levels shown upsampled)"), GanImages.ToUnit(rows), new ImageGridOptions
            {
                Title = "LAPGAN: coarse to fine",
                Columns = n,
                Normalization = ImageNormalization.None,
            });
        Plots.ImageGrid(context.Figure("lapgan-samples", "64 LAPGAN samples"),
            GanImages.ToUnit(samples.Narrow(0, 0, Math.Min(64, evalCount))), new ImageGridOptions
            {
                Title = $"LAPGAN samples after {epochs} epoch(s)",
                Columns = 8,
                Normalization = ImageNormalization.None,
            });
    }
}
