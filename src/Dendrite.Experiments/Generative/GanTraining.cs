// Training the GANs of Models.Generative on Fashion-MNIST and measuring them: what `dendrite gan` and the gan, cgan
// and dcgan experiments share. The measurement follows the issue: a Fréchet distance on FashionClassifier features
// for generated images against real test images, next to the same distance for real training images (the floor)
// and for two trivial generators (uniform noise; the mean image of a class), and for a conditional GAN the share of
// samples the classifier puts in the class that was asked for.
using System.Globalization;
using Dendrite.Data;
using Dendrite.Models.Generative;
using Dendrite.Nn;
using Dendrite.Training;

namespace Dendrite.Experiments.Generative;

/// <summary>How to train a GAN on Fashion-MNIST.</summary>
/// <param name="Config">The model.</param>
/// <param name="Epochs">Epochs to complete in total (a resumed run continues up to this).</param>
/// <param name="OutputFolder">Where the checkpoint (<c>gan.safetensors</c>) and per-epoch grids (<c>grids/</c>)
/// go.</param>
/// <param name="BatchSize">Images per step (64 as in the DCGAN paper's reference code).</param>
/// <param name="Lr">Adam's learning rate for both G and D (β₁ = 0.5).</param>
/// <param name="LabelSmoothing">One-sided label smoothing ε of D's real targets (0: none).</param>
/// <param name="Seed">Seed of the initial weights, the noise and the shuffling.</param>
/// <param name="TrainCount">Use only the first this many training images (all when null).</param>
/// <param name="DataFolder">Fashion-MNIST folder (<see cref="FashionMnist.Locate"/> when null).</param>
/// <param name="Resume">Continue from the checkpoint in <paramref name="OutputFolder"/> when it exists.</param>
public sealed record GanTrainingOptions(GanConfig Config, int Epochs, string OutputFolder, int BatchSize = 64,
    double Lr = 2e-4, double LabelSmoothing = 0, int Seed = 0, int? TrainCount = null, string? DataFolder = null,
    bool Resume = false);

/// <summary>A finished training run.</summary>
/// <param name="Gan">The trained model.</param>
/// <param name="History">The epochs trained by this call.</param>
/// <param name="Checkpoint">The checkpoint file.</param>
/// <param name="TrainImages">How many training images it saw per epoch.</param>
public sealed record GanTrainingResult(Gan Gan, IReadOnlyList<AdversarialEpoch> History, string Checkpoint,
    int TrainImages);

/// <summary>Fréchet distances (on <see cref="FashionClassifier.Features"/>) to real test images, and class
/// accuracies.</summary>
/// <param name="Generated">Generated images vs test images.</param>
/// <param name="RealTrain">Real training images vs test images: the floor a perfect generator reaches.</param>
/// <param name="Noise">Uniform noise in [-1, 1] vs test images.</param>
/// <param name="ClassMeans">The mean training image of each class vs test images.</param>
/// <param name="Samples">Images per set.</param>
/// <param name="ConditionalAccuracy">Share of conditional samples classified as the class asked for (null when not
/// conditional).</param>
/// <param name="ClassMeansAccuracy">Share of class-mean images classified as their class.</param>
public sealed record GanMeasurement(double Generated, double RealTrain, double Noise, double ClassMeans, int Samples,
    double? ConditionalAccuracy, double ClassMeansAccuracy);

/// <summary>Trains and measures the GANs of <see cref="Gan"/> on Fashion-MNIST.</summary>
public static class GanTraining
{
    /// <summary>The checkpoint metadata that rebuilds <paramref name="config"/> (<c>generator</c> is the kind's
    /// name, which <c>dendrite generate</c> dispatches on).</summary>
    public static Dictionary<string, string> Metadata(GanConfig config) => new()
    {
        ["generator"] = config.Name,
        ["latent_size"] = config.LatentSize.ToString(CultureInfo.InvariantCulture),
        ["classes"] = config.Classes.ToString(CultureInfo.InvariantCulture),
        ["hidden"] = config.Hidden.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>The model a checkpoint's metadata describes.</summary>
    public static GanConfig ConfigFrom(IReadOnlyDictionary<string, string> metadata, string path)
    {
        int Read(string key)
        {
            if (!metadata.TryGetValue(key, out var text))
                throw new IOException($"{path}: GAN checkpoint has no '{key}' metadata");
            bool ok = int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int v);
            return ok && v is > 0 and <= 65536
                ? v
                : throw new IOException($"{path}: metadata '{key}' = '{text}' is not a size in 1..65536");
        }
        var kind = metadata.TryGetValue("generator", out var name)
            ? GanConfig.ParseKind(name)
            : throw new IOException($"{path}: GAN checkpoint has no 'generator' metadata");
        return new GanConfig(kind, Read("latent_size"), Read("classes"), Read("hidden"));
    }

    /// <summary>Rebuilds the generator from a checkpoint written by <see cref="Train"/> (its <c>generator.*</c>
    /// tensors).</summary>
    public static Gan FromCheckpoint(IReadOnlyDictionary<string, Tensor> tensors,
        IReadOnlyDictionary<string, string> metadata, string path)
    {
        var gan = TensorScope.Outside(() => new Gan(ConfigFrom(metadata, path)));
        var state = tensors.Where(kv => kv.Key.StartsWith("generator.", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key["generator.".Length..], kv => kv.Value);
        if (state.Count == 0) throw new IOException($"{path}: no generator.* tensors");
        gan.G.LoadStateDict(state);
        return gan;
    }

    /// <summary>Trains G and D with <see cref="AdversarialTrainer"/>: a grid of samples from fixed noise after each
    /// epoch (a conditional GAN's with one column per class), a checkpoint after each epoch.</summary>
    public static GanTrainingResult Train(GanTrainingOptions o, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(o);
        if (o.Epochs < 0 || o.BatchSize < 1)
            throw new ArgumentException($"gan: epochs ({o.Epochs}) must be >= 0 and batch size ({o.BatchSize}) >= 1");
        var folder = FashionMnist.Locate(o.DataFolder);
        var (images, labels) = GanImages.Load(folder, "train");
        if (o.TrainCount is int n && n < images.Size(0))
        {
            if (n < 1) throw new ArgumentException($"gan: train count must be >= 1, got {n}");
            (images, labels) = (images.Narrow(0, 0, n), labels.Narrow(0, 0, n));
        }
        Generator.ManualSeed((ulong)o.Seed);
        var gan = TensorScope.Outside(() => new Gan(o.Config));
        var (optG, optD) = gan.Optimizers(o.Lr);
        var loader = new DataLoader(images, labels, o.BatchSize, shuffle: true, dropLast: true,
            generator: new Generator((ulong)o.Seed + 1));
        // A conditional GAN's grid has one column per class (10 rows), the others 8×8.
        bool conditional = o.Config.Kind == GanKind.Conditional;
        int gridCount = conditional ? 10 * o.Config.Classes : 64;
        var fixedZ = TensorScope.Outside(() =>
            Tensor.Randn([gridCount, o.Config.LatentSize], new Generator((ulong)o.Seed + 2)));
        var gridLabels = Gan.CyclingLabels(gridCount, o.Config.Classes);
        var checkpoint = Path.Combine(o.OutputFolder, "gan.safetensors");
        var trainer = new AdversarialTrainer(gan.G, gan.D, optG, optD, new Generator((ulong)o.Seed + 3))
        {
            Sampler = () => gan.Sample(fixedZ, gridLabels),
            GridFolder = Path.Combine(o.OutputFolder, "grids"),
            GridColumns = conditional ? o.Config.Classes : null,
            CheckpointPath = checkpoint,
            Metadata = Metadata(o.Config),
        };
        if (o.Resume && File.Exists(checkpoint))
        {
            trainer.LoadCheckpoint(checkpoint, loader);
            log?.WriteLine($"gan: resumed {checkpoint} after epoch {trainer.Epoch}");
        }
        var history = trainer.Fit(loader, (x, y) =>
        {
            var (d, g) = gan.TrainStep(optG, optD, x, y, trainer.Noise, o.LabelSmoothing);
            return new AdversarialLosses(d, g);
        }, o.Epochs, log);
        if (!File.Exists(checkpoint)) trainer.SaveCheckpoint(checkpoint, loader);
        return new GanTrainingResult(gan, history, checkpoint, loader.Count * o.BatchSize);
    }

    /// <summary>Measures <paramref name="gan"/> against <paramref name="samples"/> real test images: see
    /// <see cref="GanMeasurement"/>. Real training images and class means come from the training split in
    /// <paramref name="dataFolder"/>.</summary>
    public static GanMeasurement Measure(Gan gan, FashionClassifier classifier, int samples, Generator generator,
        string? dataFolder = null)
    {
        ArgumentNullException.ThrowIfNull(gan);
        ArgumentNullException.ThrowIfNull(classifier);
        var folder = FashionMnist.Locate(dataFolder);
        var (train, trainLabels) = GanImages.Load(folder, "train");
        var (test, _) = GanImages.Load(folder, "t10k");
        samples = Math.Min(samples, Math.Min(train.Size(0), test.Size(0)));
        using var _ = Autograd.NoGrad();
        var testPick = Tensor.Randperm(test.Size(0), generator).Narrow(0, 0, samples).Contiguous();
        var trainPick = Tensor.Randperm(train.Size(0), generator).Narrow(0, 0, samples).Contiguous();
        var reference = FrechetDistance.Statistics(classifier.Embed(test.IndexSelect(0, testPick)));
        double Distance(Tensor images) =>
            FrechetDistance.Compute(reference, FrechetDistance.Statistics(classifier.Embed(images)));

        var asked = Tensor.Randint(0, gan.Config.Classes, [samples], generator);
        var generated = Tensor.Cat(Enumerable.Range(0, (samples + 499) / 500).Select(i =>
        {
            int start = i * 500, count = Math.Min(500, samples - start);
            var z = Tensor.Randn([count, gan.Config.LatentSize], generator);
            return gan.Sample(z, asked.Narrow(0, start, count));
        }).ToList(), 0);
        var noise = Tensor.Rand([samples, 1, 28, 28], generator) * 2 - 1;
        var means = ClassMeans(train, trainLabels, 10);
        var meanLabels = Tensor.Randint(0, 10, [samples], generator);
        var meanImages = means.IndexSelect(0, meanLabels);
        double? conditional = gan.Conditional ? classifier.Accuracy(generated, asked) : null;
        return new GanMeasurement(Distance(generated), Distance(train.IndexSelect(0, trainPick)), Distance(noise),
            Distance(meanImages), samples, conditional, classifier.Accuracy(meanImages, meanLabels));
    }

    /// <summary>The mean image of each class.   images: (N, 1, 28, 28), labels: (N) → (K, 1, 28, 28)</summary>
    public static Tensor ClassMeans(Tensor images, Tensor labels, int classes)
    {
        using var _ = Autograd.NoGrad();
        var oneHot = labels.OneHot(classes);                                                       // (N, K)
        var counts = oneHot.Sum(0).Clamp(min: 1);                                                  // (K)
        var sums = oneHot.T.MatMul(images.Reshape(images.Size(0), -1));                            // (K, 784)
        return (sums / counts.Unsqueeze(1)).Reshape(classes, 1, 28, 28);
    }
}
