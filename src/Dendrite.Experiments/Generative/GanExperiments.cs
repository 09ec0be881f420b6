using Dendrite.Data;
using Dendrite.IO;
using Dendrite.Models.Generative;

namespace Dendrite.Experiments.Generative;

/// <summary>A vanilla GAN (MLPs) on Fashion-MNIST, measured by Fréchet distance.</summary>
public sealed class GanExperiment : Experiment
{
    /// <inheritdoc/>
    public override string Name => "gan";

    /// <inheritdoc/>
    public override string Topic => "generative";

    /// <inheritdoc/>
    public override string Summary => "vanilla GAN (MLPs) on Fashion-MNIST: Fréchet distance vs trivial generators";

    /// <inheritdoc/>
    public override string Claim => """
        Two networks trained against each other, a generator from noise to images and a discriminator that tells
        generated images from real ones, make the generator's images approach the data distribution (Goodfellow et
        al., 2014). Measured, not eyeballed: the Fréchet distance of its samples to real images falls far below that
        of uniform noise and of the class-mean images.
        """;

    /// <inheritdoc/>
    public override void Run(ExperimentContext context) =>
        GanExperimentRun.Run(context, GanKind.Vanilla, fullEpochs: 5);
}

/// <summary>A conditional GAN on Fashion-MNIST: Fréchet distance and the share of samples of the asked class.</summary>
public sealed class ConditionalGanExperiment : Experiment
{
    /// <inheritdoc/>
    public override string Name => "cgan";

    /// <inheritdoc/>
    public override string Topic => "generative";

    /// <inheritdoc/>
    public override string Summary => "conditional GAN on Fashion-MNIST: samples of the class asked for";

    /// <inheritdoc/>
    public override string Claim => """
        Feeding the class to both networks makes the generator produce an item of the class it is asked for (Mirza
        and Osindero, 2014): a classifier trained on real images puts most conditional samples in the requested
        class, far above the 10% of chance.
        """;

    /// <inheritdoc/>
    public override void Run(ExperimentContext context) =>
        GanExperimentRun.Run(context, GanKind.Conditional, fullEpochs: 5);
}

/// <summary>DCGAN on Fashion-MNIST, measured by Fréchet distance.</summary>
public sealed class DcganExperiment : Experiment
{
    /// <inheritdoc/>
    public override string Name => "dcgan";

    /// <inheritdoc/>
    public override string Topic => "generative";

    /// <inheritdoc/>
    public override string Summary => "DCGAN on Fashion-MNIST: Fréchet distance vs the MLP GAN's and trivial ones";

    /// <inheritdoc/>
    public override string Claim => """
        Convolutional generators and discriminators with strided (transposed) convolutions, batch normalisation,
        ReLU in G and leaky ReLU in D train stably and give sharper images than multilayer perceptrons (Radford et
        al., 2015): a lower Fréchet distance after fewer epochs.
        """;

    /// <inheritdoc/>
    public override void Run(ExperimentContext context) =>
        GanExperimentRun.Run(context, GanKind.Dcgan, fullEpochs: 2);
}

/// <summary>What the three GAN experiments share: train, tabulate the epochs, measure, draw.</summary>
internal static class GanExperimentRun
{
    public static void Run(ExperimentContext context, GanKind kind, int fullEpochs)
    {
        var folder = FashionMnist.Locate();
        int epochs = context.Choose(fullEpochs, 1);
        int? trainCount = context.Choose<int?>(null, kind == GanKind.Dcgan ? 64 : 128);
        int batch = context.Choose(64, 32);
        int samples = context.Choose(5000, 200);
        var config = new GanConfig(kind);
        var options = new GanTrainingOptions(config, epochs, Path.Combine(context.Directory, "train"), batch,
            Seed: context.Seed, TrainCount: trainCount, DataFolder: folder);
        string used = trainCount is int n ? $"the first {n}" : "all";
        context.Setup($"Fashion-MNIST from {folder}, pixels scaled to [-1, 1]; {used} " +
            $"training images, batches of {batch}, {epochs} epoch(s). {Describe(config)} Adam (lr 2e-4, β₁ 0.5) for " +
            "G and D; per batch one D step on real and detached generated images, then one non-saturating G step.");

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var run = GanTraining.Train(options, new LogWriter(context));
        double trainSeconds = clock.Elapsed.TotalSeconds;
        var table = context.Table("epochs", "Losses per epoch", "epoch", "D loss", "G loss", "seconds");
        foreach (var e in run.History) table.Add(e.Epoch, e.DiscriminatorLoss, e.GeneratorLoss, e.Seconds);

        var classifier = Classifier(context, folder);
        var m = GanTraining.Measure(run.Gan, classifier, samples, context.NewGenerator(), folder);
        var fd = context.Table("frechet", $"Fréchet distance to {m.Samples} real test images on the classifier's " +
            $"{FashionClassifier.FeatureSize} penultimate features (lower is closer)", "images", "Fréchet distance");
        fd.Add("real training images (floor)", m.RealTrain);
        fd.Add($"{config.Name} after {epochs} epoch(s)", m.Generated);
        fd.Add("class-mean images (trivial)", m.ClassMeans);
        fd.Add("uniform noise (trivial)", m.Noise);
        context.Finding($"After {epochs} epoch(s) ({trainSeconds:F0} s of training), the {config.Name} samples are " +
            $"at Fréchet distance {m.Generated:F2} from real test images, against {m.RealTrain:F2} for real training " +
            $"images, {m.ClassMeans:F2} for class means and {m.Noise:F2} for uniform noise.");
        if (m.ConditionalAccuracy is double acc)
        {
            var ca = context.Table("conditional", "Share of images the classifier assigns to the class they stand for",
                "images", "share in asked class");
            ca.Add($"cgan samples ({m.Samples}, random classes)", acc);
            ca.Add("class-mean images", m.ClassMeansAccuracy);
            context.Finding($"The classifier puts {acc:P1} of the conditional samples in the class asked for " +
                "(chance: 10%).");
        }

        var grid = run.Gan.Sample(64, context.NewGenerator());
        var labels = kind == GanKind.Conditional
            ? Enumerable.Range(0, 64).Select(i => FashionMnist.Classes[i % 10]).ToList()
            : null;
        Plots.ImageGrid(context.Figure("samples", $"64 samples of the {config.Name} after {epochs} epoch(s)"),
            GanImages.ToUnit(grid), new ImageGridOptions
            {
                Columns = kind == GanKind.Conditional ? 10 : 8,
                Labels = labels,
                Normalization = ImageNormalization.None,
                Scale = 2,
            });
        double[] x = [.. run.History.Select(e => (double)e.Epoch)];
        Plots.Line(context.Figure("losses", "Mean D and G losses per epoch"),
            [new Series("D", x, [.. run.History.Select(e => e.DiscriminatorLoss)]),
             new Series("G", x, [.. run.History.Select(e => e.GeneratorLoss)])],
            new LineOptions { Title = $"{config.Name} losses", XLabel = "epoch", YLabel = "loss" });
    }

    private static string Describe(GanConfig c) => c.Kind switch
    {
        GanKind.Dcgan => "DCGAN as shared/reference/dcgan.py (transposed convolutions 7×7 and 4/2 with batch norm; " +
            "D convolutions 4/2 with leaky ReLU 0.2), weights from N(0, 0.02).",
        GanKind.Conditional => $"MLPs {c.LatentSize}+{c.Classes} → {c.Hidden} → {2 * c.Hidden} → 784 (G) and " +
            $"784+{c.Classes} → {2 * c.Hidden} → {c.Hidden} → 1 (D), the class through a learned {c.Classes}-wide " +
            "embedding, leaky ReLU 0.2.",
        _ => $"MLPs {c.LatentSize} → {c.Hidden} → {2 * c.Hidden} → 784 (G) and 784 → {2 * c.Hidden} → {c.Hidden} → 1 " +
            "(D), leaky ReLU 0.2.",
    };

    // Full runs use the cached classifier trained on all of Fashion-MNIST; quick runs train a small one in seconds.
    private static FashionClassifier Classifier(ExperimentContext context, string folder)
    {
        if (!context.Quick)
        {
            var c = FashionClassifier.LoadOrTrain(folder, log: new LogWriter(context));
            context.Setup($"The judge: {nameof(FashionClassifier)} ({FashionClassifier.CachePath(60000)} when " +
                "trained on all 60,000 images; two 3×3 convolutions with max pooling, then 128 ReLU units whose " +
                "activations are the features of the Fréchet distance).");
            return c;
        }
        var (images, labels) = GanImages.Load(folder, "train");
        var model = TensorScope.Outside(() => new FashionClassifier());
        model.Fit(images.Narrow(0, 0, 512), labels.Narrow(0, 0, 512), 1, context.NewGenerator());
        context.Setup("Quick form: the classifier is trained for one epoch on 512 images, so its distances are only " +
            "a smoke test.");
        return model;
    }

    // Lines written by the trainer go to the experiment's log.
    private sealed class LogWriter(ExperimentContext context) : StringWriter
    {
        public override void WriteLine(string? value) => context.Log(value ?? "");
    }
}
