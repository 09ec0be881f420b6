using System.Diagnostics;
using Dendrite.Data;
using Dendrite.Data.Transforms;
using Dendrite.Nn;
using Dendrite.Nn.Optim;
using Dendrite.Training;

namespace Dendrite.Experiments.Convolutional;

/// <summary>Image sets for the convolutional experiments: Fashion-MNIST as (N, 1, 28, 28) pixels in [0, 1] (so that a
/// constant fill of 0 is the background), each split read once per process, and seeded subsets of it.</summary>
internal static class ConvData
{
    private static readonly Dictionary<string, (Tensor Images, Tensor Labels)> Cache = [];
    private static readonly Lock Gate = new();

    /// <summary>Where the images come from, for the reports.</summary>
    public static string Source => FashionMnist.Locate();

    /// <summary><paramref name="count"/> images of <paramref name="split"/> ("train" or "t10k") drawn without
    /// replacement by <paramref name="g"/> after skipping <paramref name="skip"/> of the same permutation:
    /// X (count, 1, 28, 28), Y (count). Asking for more than the split holds (the bundled subset in CI) takes all.
    /// </summary>
    public static (Tensor X, Tensor Y) Fashion(string split, int count, Generator g, int skip = 0)
    {
        var (images, labels) = Full(split);
        int n = images.Size(0);
        if (skip >= n) throw new ArgumentException($"Fashion-MNIST {split}: skip {skip} of {n} images");
        count = Math.Min(count, n - skip);
        var index = Tensor.Randperm(n, g).Narrow(0, skip, count).Contiguous();
        return (images.IndexSelect(0, index), labels.IndexSelect(0, index));
    }

    /// <summary>The number of images in a split (the bundled subset holds fewer than the full set).</summary>
    public static int Count(string split) => Full(split).Images.Size(0);

    private static (Tensor Images, Tensor Labels) Full(string split)
    {
        lock (Gate)
        {
            if (!Cache.TryGetValue(split, out var data))
            {
                data = TensorScope.Outside(() => FashionMnist.Load(FashionMnist.Locate(), split, standardize: false));
                Cache[split] = data;
            }
            return data;
        }
    }

    /// <summary>Trains <paramref name="model"/> with the given optimizer on the cross-entropy, batches
    /// of <paramref name="batchSize"/> shuffled by <paramref name="seed"/>, an optional augmentation, validation on
    /// <paramref name="validation"/> after each epoch. Returns the history and the wall time in seconds.</summary>
    public static (History History, double Seconds) Train(Module model, Optimizer optimizer, Tensor x, Tensor y,
        int epochs, int batchSize, ulong seed, (Tensor X, Tensor Y)? validation = null, ITransform? transform = null)
    {
        var trainer = new Trainer(model, optimizer, (Tensor o, Tensor t) => Losses.CrossEntropy(o, t));
        var loader = new DataLoader(x, y, batchSize, shuffle: true, generator: new Generator(seed), prefetch: true)
        {
            Transform = transform,
            TransformGenerator = new Generator(seed + 1),
        };
        var clock = Stopwatch.StartNew();
        var history = trainer.Fit(loader, epochs, validation: validation, verbose: false);
        return (history, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Mean cross-entropy and accuracy in evaluation mode, 500 examples at a time.</summary>
    public static (double Loss, double Accuracy) Evaluate(Module model, Tensor x, Tensor y)
    {
        var trainer = new Trainer(model, new Sgd(model.Parameters(), 0),
            (Tensor o, Tensor t) => Losses.CrossEntropy(o, t));
        return trainer.Evaluate(x, y, batchSize: 500);
    }

    /// <summary>"m ± s" of the values (sample standard deviation).</summary>
    public static string MeanStd(IReadOnlyList<double> values, string format = "P1")
    {
        double mean = values.Average();
        double sd = values.Count > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1)) : 0;
        return $"{mean.ToString(format, System.Globalization.CultureInfo.InvariantCulture)} ± " +
            sd.ToString(format, System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>How a small CNN halves its feature maps.</summary>
internal enum Downsample
{
    /// <summary>2×2 max pooling after the convolution.</summary>
    MaxPool,

    /// <summary>2×2 average pooling after the convolution.</summary>
    AvgPool,

    /// <summary>The convolution itself has stride 2 (no pooling layer).</summary>
    StridedConv,
}

/// <summary>The small CNN of the experiments: two 3×3 convolution stages (width w, then 2w), each halving the map,
/// then a dense layer of 128 and the 10-way output. (N, 1, 28, 28) → (N, w, 14, 14) → (N, 2w, 7, 7) → (N, 10).
/// </summary>
internal static class SmallCnn
{
    /// <summary>Builds it; <paramref name="batchNorm"/> adds BatchNorm2d after each convolution,
    /// <paramref name="dropout"/> &gt; 0 adds Dropout before each dense layer.</summary>
    public static Sequential Build(Downsample downsample = Downsample.MaxPool, bool batchNorm = false,
        double dropout = 0, int width = 16, Generator? dropoutGenerator = null)
    {
        var net = new Sequential();
        int inCh = 1;
        for (int stage = 1; stage <= 2; stage++)
        {
            int outCh = width * stage;
            int stride = downsample == Downsample.StridedConv ? 2 : 1;
            net.Append($"conv{stage}", new Conv2d(inCh, outCh, 3, stride, 1, bias: !batchNorm));
            if (batchNorm) net.Append($"bn{stage}", new BatchNorm2d(outCh));
            net.Append($"relu{stage}", new Relu());
            if (downsample == Downsample.MaxPool) net.Append($"pool{stage}", new MaxPool2d(2));
            if (downsample == Downsample.AvgPool) net.Append($"pool{stage}", new AvgPool2d(2));
            inCh = outCh;
        }
        net.Append("flatten", new Flatten());
        if (dropout > 0) net.Append("drop1", new Dropout(dropout, dropoutGenerator));
        net.Append("fc1", new Linear(inCh * 7 * 7, 128)).Append("relu3", new Relu());
        if (dropout > 0) net.Append("drop2", new Dropout(dropout, dropoutGenerator));
        net.Append("fc2", new Linear(128, 10));
        return net;
    }
}
