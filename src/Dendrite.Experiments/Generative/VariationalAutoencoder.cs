using System.Diagnostics;
using Dendrite.Data;
using Dendrite.IO;
using Dendrite.Models.Generative;
using Dendrite.Nn.Optim;

namespace Dendrite.Experiments.Generative;

/// <summary>The variational autoencoder on Fashion-MNIST: test ELBO in nats, samples from the prior, latent
/// interpolations, the 2-D latent manifold and the 2-D posterior means by class.</summary>
public sealed class VariationalAutoencoder : Experiment
{
    /// <inheritdoc/>
    public override string Name => "vae";

    /// <inheritdoc/>
    public override string Topic => "autoencoders";

    /// <inheritdoc/>
    public override string Summary => "VAE on Fashion-MNIST: test ELBO (nats), samples, interpolations, 2-D manifold";

    /// <inheritdoc/>
    public override string Claim => """
        A variational autoencoder maximises the evidence lower bound ELBO = E_q[log p(x|z)] − KL(q(z|x) ‖ N(0, I)) ≤
        log p(x) with the reparameterisation trick (Kingma & Welling, 2013). The bound, measured on test images,
        rises with training and with the latent size; the KL term keeps the posterior near the prior, so decoding
        z ~ N(0, I) gives images of the data set, and straight lines in latent space decode to gradual changes.
        """;

    /// <inheritdoc/>
    public override void Run(ExperimentContext context)
    {
        int trainCount = context.Choose(60_000, 300), testCount = context.Choose(10_000, 100);
        int epochs = context.Choose(5, 1), batch = 128, hidden = context.Choose(256, 32);
        var (x, _) = FashionImages.Take("train", trainCount, context.NewGenerator());
        var (tx, ty) = FashionImages.Take("t10k", testCount, context.NewGenerator());
        var bx = Vae.Binarize(x);
        var btx = Vae.Binarize(tx);
        context.Setup($"Fashion-MNIST from {FashionImages.Source}: {x.Size(0):N0} training and {tx.Size(0):N0} test " +
            "images. The Bernoulli decoder models the images binarised at grey level ½; the Gaussian decoder models the " +
            "grey levels in [0, 1] with a learned variance per pixel (a density: its nats are not comparable to the " +
            "Bernoulli ones).");
        context.Setup($"Encoder 784 → {hidden} (ReLU) → μ, log σ² (L each); decoder L → {hidden} (ReLU) → 784. Adam " +
            $"lr 1e-3, batches of {batch}, {epochs} epochs, one sample of z per image. The ELBO is estimated on the " +
            "test images with one sample of z each; it is a lower bound on log p(x).");
        var table = context.Table("elbo", "Test ELBO per image and per pixel (nats; higher is better)",
            "decoder", "latent L", "test ELBO", "ELBO per pixel", "reconstruction −E log p(x|z)", "KL",
            "train ELBO (last epoch)", "epochs", "train time (s)");
        var runs = new (VaeLikelihood Likelihood, int Latent)[]
        {
            (VaeLikelihood.Bernoulli, 2), (VaeLikelihood.Bernoulli, 20), (VaeLikelihood.Gaussian, 20),
        };
        var curves = new List<Series>();
        foreach (var (likelihood, latent) in runs)
        {
            var train = likelihood == VaeLikelihood.Bernoulli ? bx : x;
            var test = likelihood == VaeLikelihood.Bernoulli ? btx : tx;
            var vae = new Vae(new VaeConfig(latent, hidden, likelihood));
            var optimizer = new Adam(vae.Parameters(), lr: 1e-3);
            var g = context.NewGenerator();
            var clock = Stopwatch.StartNew();
            var history = new List<double>();
            for (int e = 0; e < epochs; e++)
            {
                history.Add(-vae.TrainEpoch(train, optimizer, batch, g));
                context.Log($"{likelihood} L={latent}: epoch {e + 1}/{epochs}, train ELBO {history[^1]:F2} nats");
            }
            double seconds = clock.Elapsed.TotalSeconds;
            var eval = vae.Evaluate(test, context.NewGenerator());
            table.Add(likelihood.ToString(), latent, eval.Elbo, eval.ElboPerPixel, eval.Reconstruction, eval.Kl,
                history[^1], epochs, seconds);
            context.Finding($"{likelihood} decoder, L = {latent}: test ELBO {eval.Elbo:F1} nats per image " +
                $"({eval.ElboPerPixel:F4} per pixel; KL {eval.Kl:F1}) after {epochs} epochs, {seconds:F0} s.");
            if (likelihood == VaeLikelihood.Bernoulli)
            {
                curves.Add(new Series($"Bernoulli, L = {latent}",
                    [.. Enumerable.Range(1, epochs).Select(i => (double)i)], [.. history]));
            }
            Figures(context, vae, test, ty, likelihood, latent);
        }
        Plots.Line(context.Figure("elbo", "Training ELBO per epoch (nats per image, binarised images)"), curves,
            new LineOptions { Title = "VAE training", XLabel = "epoch", YLabel = "ELBO (nats)", IntegerX = true });
    }

    private static void Figures(ExperimentContext context, Vae vae, Tensor test, Tensor labels,
        VaeLikelihood likelihood, int latent)
    {
        string tag = $"{likelihood.ToString().ToLowerInvariant()}-l{latent}";
        var grid = new ImageGridOptions { Columns = 8, Scale = 2, Normalization = ImageNormalization.None };
        Plots.ImageGrid(context.Figure($"samples-{tag}", $"{likelihood} VAE, L = {latent}: the decoder's mean for 64 " +
            "draws of z ~ N(0, I)"), vae.Sample(64, context.NewGenerator()), grid);
        if (latent == 2)
        {
            Plots.ImageGrid(context.Figure("manifold", "The 2-D latent manifold: decoded means over a 15×15 grid of " +
                "z at the normal quantiles 1/30 … 29/30"), vae.Manifold(15), grid with { Columns = 15, Scale = 1 });
            using var _ = Autograd.NoGrad();
            var means = vae.Encode(test).Mean;
            Plots.Scatter(context.Figure("latent-2d", "Posterior means μ(x) of the test images, coloured by class"),
                means, labels, new ScatterOptions
                {
                    Title = "VAE latent means (L = 2)",
                    XLabel = "μ₁",
                    YLabel = "μ₂",
                    ClassNames = FashionMnist.Classes.ToArray(),
                    MarkerSize = 3,
                    Width = 720,
                    Height = 560
                });
            return;
        }
        // Interpolations between pairs of test images of different classes.
        var rows = new List<Tensor>();
        var ys = labels.ToArray<long>();
        int pairs = 0;
        for (int i = 0; i + 1 < ys.Length && pairs < 4; i += 2)
        {
            if (ys[i] == ys[i + 1]) continue;
            rows.Add(vae.Interpolate(test.Narrow(0, i, 1), test.Narrow(0, i + 1, 1), 10));
            pairs++;
        }
        if (rows.Count > 0)
        {
            Plots.ImageGrid(context.Figure($"interpolation-{tag}", $"{likelihood} VAE, L = {latent}: decoded means " +
                "along straight lines between the posterior means of two test images"), Tensor.Cat(rows, 0),
                grid with { Columns = 10 });
        }
    }
}
