// The judge of the generative experiments: a small CNN trained in Dendrite on Fashion-MNIST, whose 128 penultimate
// activations are the features of the Fréchet distance (as Inception's pool3 features are for FID, Heusel et al.,
// 2017) and whose prediction gives a conditional GAN's class accuracy. Trained once per data set and cached.
//
//   image (N, 1, 28, 28) in [-1, 1]
//   → conv 3×3 16, ReLU, max-pool 2   (N, 16, 14, 14)
//   → conv 3×3 32, ReLU, max-pool 2   (N, 32, 7, 7)
//   → flatten, linear 1568 → 128, ReLU = Features (N, 128)
//   → linear 128 → 10 = logits (N, 10)
using Dendrite.Data;
using Dendrite.IO;
using Dendrite.Nn;
using Dendrite.Nn.Optim;

namespace Dendrite.Experiments.Generative;

/// <summary>A Fashion-MNIST classifier for measuring generated images: <see cref="Features"/> are the 128 ReLU
/// activations of its penultimate (fully connected) layer, <see cref="Predict"/> its class. Images are
/// (N, 1, 28, 28) with pixels in [-1, 1], the range of a tanh generator (<see cref="GanImages"/> loads real ones
/// that way).</summary>
public sealed class FashionClassifier : Module
{
    /// <summary>Width of <see cref="Features"/>.</summary>
    public const int FeatureSize = 128;

    /// <summary>Version of the architecture and training recipe, part of the cache file's name.</summary>
    public const string Version = "v1";

    /// <summary>The convolutional body up to the penultimate layer: (N, 1, 28, 28) → (N, 128).</summary>
    public Sequential Body { get; } = new(
        ("conv1", new Conv2d(1, 16, 3, padding: 1)), ("relu1", new Relu()), ("pool1", new MaxPool2d(2)),
        ("conv2", new Conv2d(16, 32, 3, padding: 1)), ("relu2", new Relu()), ("pool2", new MaxPool2d(2)),
        ("flatten", new Flatten()), ("fc", new Linear(32 * 7 * 7, FeatureSize)), ("relu3", new Relu()));

    /// <summary>The classification layer: (N, 128) → (N, 10) logits.</summary>
    public Linear Head { get; } = new(FeatureSize, 10);

    /// <summary>The penultimate layer's activations (after its ReLU), differentiable (a content loss can use them).
    /// images: (N, 1, 28, 28) in [-1, 1] → (N, 128)</summary>
    public Tensor Features(Tensor images) => Body.Forward(Check(images));

    /// <summary>Class scores.   images: (N, 1, 28, 28) → (N, 10)</summary>
    public Tensor Logits(Tensor images) => Head.Forward(Features(images));

    /// <summary><see cref="Features"/> without gradients, in batches of <paramref name="batchSize"/>, for
    /// Fréchet distances over thousands of images.   images: (N, 1, 28, 28) → (N, 128)</summary>
    public Tensor Embed(Tensor images, int batchSize = 500) => Batched(Check(images), batchSize, Features);

    /// <summary>The predicted class of each image, without gradients.   images: (N, 1, 28, 28) → Int64 (N)</summary>
    public Tensor Predict(Tensor images, int batchSize = 500) =>
        Batched(Check(images), batchSize, x => Logits(x).ArgMax(1));

    /// <summary>Share of images whose predicted class equals the label.</summary>
    public double Accuracy(Tensor images, Tensor labels)
    {
        using var _ = Autograd.NoGrad();
        return Predict(images).Eq(labels).To(DType.Float64).Mean().Item();
    }

    /// <summary>Trains on (images in [-1, 1], Int64 labels) with Adam (lr 1e-3) on the cross-entropy, batches of
    /// <paramref name="batchSize"/> shuffled by <paramref name="generator"/>.</summary>
    public void Fit(Tensor images, Tensor labels, int epochs, Generator generator, int batchSize = 128,
        TextWriter? log = null)
    {
        Check(images);
        var optimizer = new Adam(Parameters(), lr: 1e-3);
        var loader = new DataLoader(images, labels, batchSize, shuffle: true, generator: generator);
        this.Train();
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            double sum = 0;
            foreach (var (x, y) in loader)
            {
                using var scope = TensorScope.Begin();
                var loss = Losses.CrossEntropy(Logits(x), y);
                optimizer.ZeroGrad();
                loss.Backward();
                optimizer.Step();
                sum += loss.Item() * x.Size(0);
            }
            log?.WriteLine($"fashion classifier: epoch {epoch}/{epochs}, training loss {sum / loader.Length:F4}");
        }
        this.Eval();
    }

    /// <summary>The cache file for a classifier trained on <paramref name="trainCount"/> images:
    /// <c>models/fashion-classifier-v1-N.safetensors</c> in the data cache (<see cref="DataHome"/>).</summary>
    public static string CachePath(int trainCount) =>
        Path.Combine(DataHome.Folder("models"), $"fashion-classifier-{Version}-{trainCount}.safetensors");

    /// <summary>The classifier for the Fashion-MNIST copy in <paramref name="dataFolder"/> (located by
    /// <see cref="FashionMnist.Locate"/> when null): loaded from its cache file, or trained for
    /// <paramref name="epochs"/> epochs on the whole training split (seed 0) and cached, with its test accuracy in
    /// the file's metadata (<c>test_accuracy</c>).</summary>
    public static FashionClassifier LoadOrTrain(string? dataFolder = null, int epochs = 3, TextWriter? log = null)
    {
        var folder = FashionMnist.Locate(dataFolder);
        var (train, trainLabels) = GanImages.Load(folder, "train");
        var path = CachePath(train.Size(0));
        var model = TensorScope.Outside(() => new FashionClassifier());
        if (File.Exists(path))
        {
            try
            {
                var (tensors, _) = Safetensors.Load(path);
                model.LoadStateDict(tensors);
                model.Eval();
                return model;
            }
            catch (Exception e) when (e is IOException or ArgumentException or SafetensorsFormatException)
            {
                log?.WriteLine($"fashion classifier: {path} cannot be used ({e.Message}); training again");
            }
        }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        model.Fit(train, trainLabels, epochs, new Generator(0), log: log);
        var (test, testLabels) = GanImages.Load(folder, "t10k");
        double accuracy = model.Accuracy(test, testLabels);
        log?.WriteLine($"fashion classifier: test accuracy {accuracy:P2} after {epochs} epochs " +
            $"({clock.Elapsed.TotalSeconds:F0} s); cached in {path}");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        Safetensors.Save(path, model.StateDict(), new Dictionary<string, string>
        {
            ["model"] = $"fashion-classifier-{Version}",
            ["train_images"] = train.Size(0).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["epochs"] = epochs.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["test_accuracy"] = accuracy.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        });
        return model;
    }

    private static Tensor Check(Tensor images) =>
        images.Rank == 4 && images.Size(1) == 1 && images.Size(2) == 28 && images.Size(3) == 28
            ? images
            : throw new ArgumentException(
                $"FashionClassifier: expected images (N, 1, 28, 28), got {Shapes.Format(images.Shape)}");

    private Tensor Batched(Tensor images, int batchSize, Func<Tensor, Tensor> f)
    {
        if (batchSize < 1) throw new ArgumentException($"FashionClassifier: batch size must be >= 1, got {batchSize}");
        using var _ = Autograd.NoGrad();
        bool training = Training;
        this.Eval();
        try
        {
            var parts = new List<Tensor>();
            for (int start = 0; start < images.Size(0); start += batchSize)
            {
                using var scope = TensorScope.Begin();
                int n = Math.Min(batchSize, images.Size(0) - start);
                parts.Add(scope.Keep(f(images.Narrow(0, start, n)).Contiguous()));
            }
            return parts.Count == 1 ? parts[0] : Tensor.Cat(parts, 0);
        }
        finally
        {
            this.Train(training);
        }
    }
}

/// <summary>Fashion-MNIST images in the range of a tanh generator: pixels scaled to [-1, 1] (2·p/255 − 1).</summary>
public static class GanImages
{
    private static readonly Dictionary<(string, string), (Tensor, Tensor)> Cache = [];
    private static readonly Lock Gate = new();

    /// <summary>A split ("train" or "t10k") of the Fashion-MNIST copy in <paramref name="folder"/>:
    /// images (N, 1, 28, 28) in [-1, 1] and Int64 labels (N). Each split is read once per process; callers must not
    /// write into the tensors.</summary>
    public static (Tensor Images, Tensor Labels) Load(string folder, string split)
    {
        var key = (Path.GetFullPath(folder), split);
        lock (Gate)
        {
            if (Cache.TryGetValue(key, out var hit)) return hit;
            var (images, labels) = TensorScope.Outside(() => FashionMnist.Load(folder, split, standardize: false));
            using var _ = Autograd.NoGrad();
            var loaded = (TensorScope.Outside(() => images * 2 - 1), labels);
            Cache[key] = loaded;
            return loaded;
        }
    }

    /// <summary>Images in [-1, 1] back to [0, 1], for image grids.</summary>
    public static Tensor ToUnit(Tensor images) => ((images + 1) * 0.5).Clamp(0, 1);
}
