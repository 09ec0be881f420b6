using System.Diagnostics;
using Dendrite.Data;
using Dendrite.IO;
using Dendrite.Models.Generative;
using Dendrite.Nn.Optim;

namespace Dendrite.Experiments.Generative;

/// <summary>SRGAN on Fashion-MNIST: 7×7 → 28×28 and 14×14 → 28×28 super-resolution, PSNR against bicubic
/// upsampling on test images, and whether the classifier still recognises the super-resolved items.</summary>
public sealed class SrGanExperiment : Experiment
{
    /// <inheritdoc/>
    public override string Name => "srgan";

    /// <inheritdoc/>
    public override string Topic => "generative";

    /// <inheritdoc/>
    public override string Summary => "SRGAN super-resolution of Fashion-MNIST (×4 and ×2): PSNR against bicubic";

    /// <inheritdoc/>
    public override string Claim => """
        A residual generator trained with a content loss on a pre-trained network's features plus a small
        adversarial term recovers high-resolution detail that fixed interpolation cannot: its output is closer to
        the true image than bicubic upsampling of the same low-resolution input (Ledig et al., 2017). The paper
        trains the generator on the pixel MSE first (SRResNet, the highest PSNR) and finds that the adversarial
        stage trades a little PSNR for sharper texture.
        """;

    /// <inheritdoc/>
    public override void Run(ExperimentContext context)
    {
        int trainCount = context.Choose(6_000, 32), testCount = context.Choose(1_000, 16);
        int epochs = context.Choose(2, 1), pretrainEpochs = context.Choose(2, 1), batch = context.Choose(32, 16);
        var (train, _) = GanFamilyData.Take("train", trainCount, context.NewGenerator());
        var (test, testLabels) = GanFamilyData.Take("t10k", testCount, context.NewGenerator());
        var classifier = GanFamilyData.Classifier(context);
        context.Setup($"Fashion-MNIST from {GanFamilyData.Source}, pixels in [-1, 1]: {trainCount} training and " +
            $"{testCount} test images. Low-resolution inputs are block averages (4×4 for ×4, 2×2 for ×2). " +
            "Generator: SRResNet with 32 maps and 4 residual blocks (8 and 1 in the quick form), sub-pixel ×2 " +
            "upsampling; discriminator: four " +
            "3×3 convolutions (stride 2 every second), dense 256. Generator loss = pixel MSE + feature MSE on the " +
            "128 penultimate ReLU activations of the Fashion-MNIST classifier (`FashionClassifier.Features`, frozen) " +
            $"+ 10⁻³ · non-saturating adversarial loss. As in the paper, the generator is first trained on the pixel " +
            $"MSE alone (SRResNet: {pretrainEpochs} epoch(s), Adam lr 10⁻³ halved each epoch after the first), then " +
            $"adversarially from those weights (SRGAN: Adam lr 10⁻⁴, β₁ 0.9, {epochs} epoch(s)); batch {batch}, " +
            "per scale. PSNR is the mean over test images of 10·log₁₀(2² / MSE) on the [-1, 1] range.");
        var table = context.Table("psnr", "Test PSNR (dB) and classifier accuracy of each reconstruction",
            "scale", "input", "nearest PSNR", "bicubic PSNR", "SRResNet PSNR", "SRGAN PSNR", "SRResNet − bicubic",
            "SRGAN − bicubic", "accuracy bicubic", "accuracy SRResNet", "accuracy SRGAN", "accuracy original",
            "epochs (MSE + GAN)", "train s");
        var grids = new List<Tensor>();
        foreach (int scale in new[] { 4, 2 })
        {
            var config = context.Quick
                ? new SrGanConfig(Scale: scale, Channels: 8, Blocks: 1, DiscriminatorChannels: 8)
                : new SrGanConfig(Scale: scale);
            var model = TensorScope.Outside(() => new SrGan(config));
            var loader = new DataLoader(train, train, batch, shuffle: true, generator: context.NewGenerator());
            var clock = Stopwatch.StartNew();
            var pretrain = new Adam(model.Generator.Parameters(), 1e-3);
            for (int epoch = 1; epoch <= pretrainEpochs; epoch++)
            {
                if (epoch > 1) pretrain.Groups[0].Lr /= 2;
                double sum = 0;
                int steps = 0;
                foreach (var (x, _) in loader)
                {
                    using var scope = TensorScope.Begin();
                    sum += model.PretrainStep(x, pretrain);
                    steps++;
                }
                context.Log($"srresnet ×{scale}: epoch {epoch}/{pretrainEpochs}: pixel {sum / steps:F4}");
            }
            var srResNet = Reconstruct(model, test).Sr;
            var optimizers = model.CreateOptimizers();
            for (int epoch = 1; epoch <= epochs; epoch++)
            {
                SrGanLosses? last = null;
                foreach (var (x, _) in loader)
                {
                    using var scope = TensorScope.Begin();
                    last = model.TrainStep(x, optimizers, classifier.Features);
                }
                context.Log($"srgan ×{scale}: epoch {epoch}/{epochs}: D {last?.Discriminator:F3}, pixel " +
                    $"{last?.Pixel:F4}, content {last?.Content:F4}, adversarial {last?.Adversarial:F3}");
            }
            double seconds = clock.Elapsed.TotalSeconds;
            var (nearest, bicubic, sr) = Reconstruct(model, test);
            double pn = SrGan.Psnr(nearest, test), pb = SrGan.Psnr(bicubic, test), ps = SrGan.Psnr(sr, test);
            double pr = SrGan.Psnr(srResNet, test);
            double ab = classifier.Accuracy(bicubic, testLabels), asr = classifier.Accuracy(sr, testLabels);
            double ar = classifier.Accuracy(srResNet, testLabels), ao = classifier.Accuracy(test, testLabels);
            int side = 28 / scale;
            table.Add($"×{scale}", $"{side}×{side}", pn, pb, pr, ps, pr - pb, ps - pb, ab, ar, asr, ao,
                $"{pretrainEpochs} + {epochs}", seconds);
            context.Finding($"×{scale} ({side}×{side} → 28×28), on {testCount} test images: SRResNet (pixel MSE, " +
                $"{pretrainEpochs} epoch(s)) reaches {pr:F2} dB and SRGAN (then {epochs} adversarial epoch(s)) " +
                $"{ps:F2} dB, against {pb:F2} dB for bicubic upsampling ({pr - pb:+0.00;-0.00} and " +
                $"{ps - pb:+0.00;-0.00} dB; {seconds:F0} s of training); the classifier recognises {ar:P1} of the " +
                $"SRResNet items, {asr:P1} of the SRGAN ones, {ab:P1} of the bicubic ones and {ao:P1} of the " +
                "originals.");
            int n = Math.Min(8, testCount);
            grids.Add(GanFamilyData.Rows(nearest.Narrow(0, 0, n), bicubic.Narrow(0, 0, n), srResNet.Narrow(0, 0, n),
                sr.Narrow(0, 0, n), test.Narrow(0, 0, n)));
        }
        int cols = Math.Min(8, testCount);
        var figure = context.Figure("srgan-grid", "Rows: ×4 input (nearest), bicubic, SRResNet, SRGAN, " +
            "original; then the same for ×2");
        Plots.ImageGrid(figure, GanImages.ToUnit(Tensor.Cat(grids, 0)), new ImageGridOptions
        {
            Title = "SRGAN on Fashion-MNIST test images",
            Columns = cols,
            Normalization = ImageNormalization.None,
        });
    }

    // Nearest-neighbour and bicubic upsampling of the block-averaged test images, and the generator's output.
    private static (Tensor Nearest, Tensor Bicubic, Tensor Sr) Reconstruct(SrGan model, Tensor test)
    {
        using var _ = Autograd.NoGrad();
        var lr = model.Downscale(test);
        var parts = new List<Tensor>();
        for (int start = 0; start < lr.Size(0); start += 256)
            parts.Add(model.Upscale(lr.Narrow(0, start, Math.Min(256, lr.Size(0) - start))));
        return (lr.Upsample(model.Config.Scale), model.Bicubic(lr), Tensor.Cat(parts, 0));
    }
}
