using System.Diagnostics;
using Dendrite.IO;
using Dendrite.Models.Energy;

namespace Dendrite.Experiments.Energy;

/// <summary>Binary RBMs trained by CD-k and persistent CD on binarised digits, their log-likelihood estimated by
/// annealed importance sampling and checked against exact sums on a small RBM; a Gaussian–Bernoulli RBM on real-valued
/// pixels.</summary>
public sealed class RbmExperiment : Experiment
{
    /// <inheritdoc/>
    public override string Name => "rbm";

    /// <inheritdoc/>
    public override string Topic => "energy";

    /// <inheritdoc/>
    public override string Summary =>
        "RBMs by CD-k and PCD on MNIST: reconstruction, filters, Gibbs samples, AIS log-likelihood";

    /// <inheritdoc/>
    public override string Claim => """
        A restricted Boltzmann machine has no connections within a layer, so each layer is sampled in one block given
        the other. Contrastive divergence (Hinton, 2002) replaces the intractable model expectation of the likelihood
        gradient by the statistics after k Gibbs steps from the data; persistent CD (Tieleman, 2008) keeps the chains
        running across updates instead. Reconstruction error is easy to watch but says little about the likelihood;
        the partition function can be estimated by annealed importance sampling, which is how Salakhutdinov & Murray
        (2008) showed that RBMs trained with more Gibbs steps are much better density models of MNIST.
        """;

    private sealed record Spec(string Name, int Hidden, int K, bool Persistent);

    /// <inheritdoc/>
    public override void Run(ExperimentContext context)
    {
        var g = context.NewGenerator();
        var (trainRaw, _, testRaw, _, source) = EnergyData.Images(context, context.Choose(8000, 600),
            context.Choose(2000, 200), g);
        var train = EnergyData.Binarise(trainRaw, g);
        var test = EnergyData.Binarise(testRaw, g);
        int epochs = context.Choose(10, 2), chains = context.Choose(100, 20), betaCount = context.Choose(14_500, 100);
        int big = context.Choose(500, 10), small = context.Choose(20, 10);
        var betas = AnnealedImportanceSampling.Schedule(betaCount);
        var baseBias = AnnealedImportanceSampling.BaseRateBias(train);
        Spec[] specs = context.Quick
            ? [new("CD-1", big, 1, false), new("PCD-1", big, 1, true)]
            : [new("CD-1", big, 1, false), new("PCD-1", big, 1, true), new("CD-1 small", small, 1, false)];
        context.Setup($"Data: {source}; every pixel binarised once, on with probability equal to its intensity. " +
            $"Training: {epochs} epochs, batches of 100, learning rate 0.05 (PCD: decayed linearly to 0), momentum " +
            $"0.5 " +
            $"for 5 epochs then 0.9, weight decay 1e-4, weights N(0, 0.01²), visible biases at the pixels' log-odds. " +
            $"AIS: {chains} chains, {betaCount:N0} intermediate distributions spaced as Salakhutdinov & Murray " +
            $"(2008) (uniform in [0, 0.5], [0.5, 0.9], [0.9, 1] in the ratio 500 : 4,000 : 10,000), base-rate model " +
            $"from the " +
            $"training pixels' marginals. Reconstruction error: Σ over pixels of (v − E[v | p(h | v)])², per image.");

        var training = context.Table("training", "Training", "model", "hidden", "epochs", "train recon. error",
            "test recon. error", "train wall s");
        var ais = context.Table("ais",
            "Log-likelihood per image (nats) by AIS, and exactly where the hidden layer is small",
            "model", "log Z (AIS)", "log Z − 3σ", "log Z + 3σ", "ESS", "exact log Z", "train LL", "test LL (AIS)",
            "test LL (exact)", "AIS wall s");
        var curves = new List<Series>();
        var trained = new Dictionary<string, BernoulliRbm>();
        foreach (var spec in specs)
        {
            var rbm = new BernoulliRbm(784, spec.Hidden, context.NewGenerator());
            rbm.InitVisibleBias(train);
            var config = new RbmTrainingConfig(Epochs: epochs, BatchSize: 100, LearningRate: 0.05, K: spec.K,
                Persistent: spec.Persistent, DecayToZero: spec.Persistent);
            var clock = Stopwatch.StartNew();
            var errors = new RbmTrainer(rbm, config, context.NewGenerator()).Fit(train,
                (e, err) => context.Log($"{spec.Name}: epoch {e + 1}/{epochs} reconstruction error {err:F2}"));
            double trainSeconds = clock.Elapsed.TotalSeconds;
            training.Add(spec.Name, spec.Hidden, epochs, rbm.ReconstructionError(train), rbm.ReconstructionError(test),
                trainSeconds);
            curves.Add(Series.PerEpoch(spec.Name, errors));
            trained[spec.Name] = rbm;

            clock.Restart();
            var estimate = AnnealedImportanceSampling.LogPartition(rbm, baseBias, chains, betas,
                context.NewGenerator());
            double aisSeconds = clock.Elapsed.TotalSeconds;
            double? exact = spec.Hidden <= 20 ? RbmExact.LogPartition(rbm) : null;
            ais.Add(spec.Name, estimate.LogZ, estimate.LogZLower, estimate.LogZUpper, estimate.EffectiveSampleSize,
                exact is { } z ? z : "—", RbmExact.LogLikelihood(rbm, train, estimate.LogZ),
                RbmExact.LogLikelihood(rbm, test, estimate.LogZ),
                exact is { } z2 ? RbmExact.LogLikelihood(rbm, test, z2) : "—", aisSeconds);
            context.Log($"{spec.Name}: AIS log Z {estimate.LogZ:F2} " +
                $"[{estimate.LogZLower:F2}, {estimate.LogZUpper:F2}]" +
                (exact is null ? "" : $", exact {exact:F2}"));
        }

        Plots.Line(context.Figure("reconstruction",
                "Reconstruction error per epoch (training batches, before each update)"),
            curves, new LineOptions
            {
                Title = "RBM reconstruction error",
                XLabel = "epoch",
                YLabel = "squared error per image",
                IntegerX = true
            });
        var cd1 = trained["CD-1"];
        int shown = Math.Min(100, cd1.Hidden);
        Plots.ImageGrid(context.Figure("filters",
                $"Weights of {shown} hidden units of the CD-1 RBM, each as a 28×28 image"),
            cd1.Weight.Narrow(0, 0, shown).Contiguous().Reshape(shown, 28, 28),
            new ImageGridOptions { Title = "CD-1 RBM filters", Columns = 10, Scale = 2 });
        int steps = context.Choose(1000, 20), count = context.Choose(64, 16);
        foreach (var name in new[] { "CD-1", "PCD-1" })
        {
            var sampler = context.NewGenerator();
            var start = Tensor.Bernoulli(0.5, [count, 784], sampler);
            var v = trained[name].Gibbs(start, steps - 1, sampler);
            var p = trained[name].VisibleMean(trained[name].SampleHidden(v, sampler));
            Plots.ImageGrid(context.Figure($"samples-{name.ToLowerInvariant()}",
                    $"{count} independent Gibbs chains of the {name} RBM after {steps} steps from random images: " +
                    "p(v | h)"),
                EnergyData.AsImages(p), new ImageGridOptions
                {
                    Title = $"{name} RBM: Gibbs samples after {steps} steps",
                    Columns = 8,
                    Scale = 2,
                    Normalization = ImageNormalization.None
                });
        }

        GaussianPart(context, trainRaw, testRaw, epochs);

        var rows = ais.Rows;
        context.Finding($"After {epochs} epochs the AIS estimates of the mean test log-likelihood are " +
            string.Join(", ", rows.Select(r => $"{r[0]}: {(double)r[7]:F1}")) + " nats per image.");
        var smallRow = rows.Last();
        context.Finding($"On the RBM with {small} hidden units, where Z is an exact sum over 2^{small} hidden " +
            $"states, AIS " +
            $"gives log Z = {(double)smallRow[1]:F3} against the exact {(double)smallRow[5]:F3} (±3σ interval " +
            $"[{(double)smallRow[2]:F3}, {(double)smallRow[3]:F3}]).");
    }

    // A Gaussian–Bernoulli RBM on the real-valued pixels, standardised per pixel.
    private static void GaussianPart(ExperimentContext context, Tensor trainRaw, Tensor testRaw, int epochs)
    {
        using var scope = Autograd.NoGrad();
        var mean = trainRaw.Mean(0);
        var std = ((trainRaw - mean) * (trainRaw - mean)).Mean(0).Sqrt() + 0.1;
        var train = (trainRaw - mean) / std;
        var test = (testRaw - mean) / std;
        int hidden = context.Choose(200, 10);
        var rbm = new GaussianBernoulliRbm(784, hidden, context.NewGenerator());
        rbm.InitVisibleBias(train);
        double before = rbm.ReconstructionError(test);
        var clock = Stopwatch.StartNew();
        new RbmTrainer(rbm, new RbmTrainingConfig(Epochs: epochs, BatchSize: 100, LearningRate: 0.001),
            context.NewGenerator()).Fit(train);
        var table = context.Table("gaussian", "Gaussian–Bernoulli RBM on standardised real-valued pixels (CD-1)",
            "hidden", "epochs", "test recon. error before", "test recon. error after", "error of the mean image",
            "train wall s");
        double meanImage = (test * test).Sum().Item() / test.Size(0);
        table.Add(hidden, epochs, before, rbm.ReconstructionError(test), meanImage, clock.Elapsed.TotalSeconds);
        int shown = Math.Min(64, hidden);
        Plots.ImageGrid(context.Figure("gaussian-filters",
                $"Weights of {shown} hidden units of the Gaussian–Bernoulli RBM"),
            rbm.Weight.Narrow(0, 0, shown).Contiguous().Reshape(shown, 28, 28),
            new ImageGridOptions { Title = "Gaussian–Bernoulli RBM filters", Columns = 8, Scale = 2 });
        context.Finding($"The Gaussian–Bernoulli RBM ({hidden} hidden units, {epochs} epochs) reconstructs held-out " +
            $"standardised images with squared error {(double)table.Rows[0][3]:F1} per image, against " +
            $"{meanImage:F1} for the mean image.");
    }
}
