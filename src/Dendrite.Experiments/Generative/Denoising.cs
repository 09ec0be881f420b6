using Dendrite.IO;
using Dendrite.Models.Generative;
using Dendrite.Nn.Optim;
using Dendrite.Training;

namespace Dendrite.Experiments.Generative;

/// <summary>A denoising autoencoder trained on noisy Fashion-MNIST images restores them: PSNR of the noisy and of
/// the denoised test images against the clean ones.</summary>
public sealed class Denoising : Experiment
{
    /// <inheritdoc/>
    public override string Name => "denoising";

    /// <inheritdoc/>
    public override string Topic => "autoencoders";

    /// <inheritdoc/>
    public override string Summary =>
        "denoising convolutional autoencoder on Fashion-MNIST with Gaussian noise: PSNR before and after";

    /// <inheritdoc/>
    public override string Claim => """
        A denoising autoencoder is trained to map a corrupted input to the clean original (Vincent et al., 2008). It
        cannot copy its input, so it learns what images of the data set look like, and at test time it removes noise
        it has never seen: the peak signal-to-noise ratio of its output is well above that of the noisy input.
        """;

    /// <inheritdoc/>
    public override void Run(ExperimentContext context)
    {
        int trainCount = context.Choose(6_000, 200), testCount = context.Choose(10_000, 50);
        int epochs = context.Choose(3, 1), batch = 128, code = 64;
        double[] noises = context.Choose<double[]>([0.25, 0.5], [0.5]);
        var (x, _) = FashionImages.Take("train", trainCount, context.NewGenerator());
        var (tx, _) = FashionImages.Take("t10k", testCount, context.NewGenerator());
        context.Setup($"Fashion-MNIST from {FashionImages.Source}: {x.Size(0):N0} training, {tx.Size(0):N0} test " +
            "images in [0, 1]. Noise: x + σε, ε ~ N(0, 1), clamped to [0, 1], drawn afresh for every training batch; " +
            "the test images get one fixed draw.");
        context.Setup($"Convolutional autoencoder (code {code}) trained on noisy inputs against clean targets, Adam " +
            $"lr 1e-3, batches of {batch}, {epochs} epochs; the plain autoencoder of the same shape, trained on clean " +
            "images, is applied to the same noisy test images for comparison. PSNR = 10·log₁₀(1 / MSE) in dB over " +
            "all test pixels.");
        var table = context.Table("psnr", "PSNR (dB) of the test images against the clean ones",
            "noise σ", "noisy", "denoising autoencoder", "plain autoencoder", "epochs");
        var plain = TrainModel(context, new AutoencoderConfig(code, Convolutional: true), x, epochs, batch);
        foreach (double sigma in noises)
        {
            var model = TrainModel(context, new AutoencoderConfig(code, Convolutional: true, NoiseStd: sigma), x, epochs, batch);
            var noisy = Autoencoder.Corrupt(tx, sigma, context.NewGenerator());
            var denoised = model.Reconstruct(noisy);
            double before = Metrics.Psnr(noisy, tx), after = Metrics.Psnr(denoised, tx);
            double plainPsnr = Metrics.Psnr(plain.Reconstruct(noisy), tx);
            table.Add(sigma, before, after, plainPsnr, epochs);
            context.Finding($"σ = {sigma}: PSNR {before:F1} dB noisy, {after:F1} dB denoised ({after - before:+0.0;-0.0} dB); " +
                $"the autoencoder trained on clean images gives {plainPsnr:F1} dB.");
            int show = Math.Min(8, tx.Size(0));
            var grid = Tensor.Cat([tx.Narrow(0, 0, show), noisy.Narrow(0, 0, show), denoised.Narrow(0, 0, show)], 0);
            Plots.ImageGrid(context.Figure($"denoised-{(int)Math.Round(sigma * 100)}", $"Clean (top), noisy with " +
                $"σ = {sigma} (middle), denoised (bottom)"), grid, new ImageGridOptions
                {
                    Columns = show,
                    Scale = 2,
                    Normalization = ImageNormalization.None,
                });
        }
    }

    private static Autoencoder TrainModel(ExperimentContext context, AutoencoderConfig config, Tensor x, int epochs,
        int batch)
    {
        var g = context.NewGenerator();
        var model = new Autoencoder(config);
        var optimizer = new Adam(model.Parameters(), lr: 1e-3);
        for (int e = 0; e < epochs; e++)
            context.Log($"{config.Kind}: epoch {e + 1}/{epochs}, loss {model.TrainEpoch(x, optimizer, batch, g):F5}");
        return model;
    }
}
