using Dendrite.IO;
using Dendrite.Nn;
using Dendrite.Nn.Optim;

namespace Dendrite.Experiments.Convolutional;

/// <summary>What a CNN learns to look for: its first-layer filters before and after training, drawn as images, and
/// the feature maps of one test image at the first and second convolution.</summary>
public sealed class Filters : Experiment
{
    /// <inheritdoc/>
    public override string Name => "filters";

    /// <inheritdoc/>
    public override string Topic => "cnn";

    /// <inheritdoc/>
    public override string Summary => "first-layer filters and feature maps of a CNN trained on Fashion-MNIST";

    /// <inheritdoc/>
    public override string Claim => """
        A convolution layer is a bank of learned filters slid over the image. Trained, the first layer's filters
        become edge, bar and blob detectors (oriented light/dark transitions), like the receptive fields Hubel and
        Wiesel found in the visual cortex; each feature map shows where in the image its filter responds. Deeper
        layers combine them into larger, more specific, more abstract parts (Zeiler & Fergus, 2014).
        """;

    /// <inheritdoc/>
    public override void Run(ExperimentContext context)
    {
        int trainCount = context.Choose(5_000, 128), testCount = context.Choose(2_000, 100);
        int epochs = context.Choose(2, 1);
        var (x, y) = ConvData.Fashion("train", trainCount, context.NewGenerator());
        var (tx, ty) = ConvData.Fashion("t10k", testCount, context.NewGenerator());
        context.Setup($"{x.Size(0):N0} Fashion-MNIST training images, {tx.Size(0):N0} test images, pixels in [0, 1] " +
            $"({ConvData.Source}).");
        context.Setup("A CNN with 5×5 filters: conv 1 → 16 (padding 2), ReLU, 2×2 max pooling, conv 16 → 32 (padding " +
            $"2), ReLU, 2×2 max pooling, dense 1568 → 10; Adam (lr 1e-3), batches of 64, {epochs} epochs.");
        Generator.ManualSeed((ulong)context.Seed);
        var model = new Sequential(
            ("conv1", new Conv2d(1, 16, 5, 1, 2)), ("relu1", new Relu()), ("pool1", new MaxPool2d(2)),
            ("conv2", new Conv2d(16, 32, 5, 1, 2)), ("relu2", new Relu()), ("pool2", new MaxPool2d(2)),
            ("flatten", new Flatten()), ("fc", new Linear(32 * 7 * 7, 10)));
        var conv1 = (Conv2d)model["conv1"];
        var before = conv1.Weight.Detach().Clone();
        double initialAccuracy = ConvData.Evaluate(model, tx, ty).Accuracy;
        var (history, seconds) = ConvData.Train(model, new Adam(model.Parameters(), lr: 1e-3), x, y, epochs, 64,
            (ulong)context.Seed + 3);
        var (_, accuracy) = ConvData.Evaluate(model, tx, ty);
        var table = context.Table("training", "The CNN whose filters are drawn", "epochs", "final train loss",
            "test accuracy before training", "test accuracy after", "seconds");
        table.Add(epochs, history.Epochs[^1].TrainLoss, initialAccuracy, accuracy, seconds);

        var after = conv1.Weight.Detach().Clone();
        var labels = Enumerable.Range(0, 16).Select(i => $"{i}").ToList();
        Plots.ImageGrid(context.Figure("filters-initial", "The 16 first-layer 5×5 filters at initialisation (each " +
            "scaled to its own range: dark negative, light positive)"), before.Squeeze(1),
            new ImageGridOptions { Columns = 8, Scale = 12, Labels = labels });
        Plots.ImageGrid(context.Figure("filters-trained", "The same filters after training"), after.Squeeze(1),
            new ImageGridOptions { Columns = 8, Scale = 12, Labels = labels });

        // One test image through the first and second convolution (after ReLU).
        var image = tx.Narrow(0, 0, 1);
        Tensor maps1, maps2;
        using (Autograd.NoGrad())
        {
            model.Train(false);
            maps1 = ((ILayer)model["relu1"]).Forward(conv1.Forward(image)).Contiguous();
            var pooled = ((ILayer)model["pool1"]).Forward(maps1);
            maps2 = ((ILayer)model["relu2"]).Forward(((Conv2d)model["conv2"]).Forward(pooled)).Contiguous();
        }
        Plots.ImageGrid(context.Figure("input", "The test image whose feature maps follow"), image,
            new ImageGridOptions { Scale = 6 });
        Plots.ImageGrid(context.Figure("feature-maps-1", "Feature maps of the first convolution (after ReLU, 28×28)"),
            maps1.Squeeze(0), new ImageGridOptions { Columns = 8, Scale = 3, Labels = labels });
        Plots.ImageGrid(context.Figure("feature-maps-2", "Feature maps of the second convolution (after ReLU, 14×14)"),
            maps2.Squeeze(0), new ImageGridOptions { Columns = 8, Scale = 4 });

        // How much each filter changed, and how much of it is an edge detector: the share of its energy that is not
        // its mean (a flat filter only measures brightness).
        var stats = context.Table("filters", "First-layer filters: change and structure", "filter", "norm before",
            "norm after", "mean after", "share of energy off the mean after");
        var b = before.ToArray<float>();
        var a = after.ToArray<float>();
        for (int f = 0; f < 16; f++)
        {
            var wb = b.AsSpan(f * 25, 25).ToArray();
            var wa = a.AsSpan(f * 25, 25).ToArray();
            double normB = Math.Sqrt(wb.Sum(v => (double)v * v)), normA = Math.Sqrt(wa.Sum(v => (double)v * v));
            double mean = wa.Average(v => (double)v);
            double offMean = wa.Sum(v => (v - mean) * (v - mean)) / Math.Max(1e-12, normA * normA);
            stats.Add(f, normB, normA, mean, offMean);
        }
        double grown = stats.Rows.Average(r => (double)r[2] / (double)r[1]);
        context.Finding($"After {epochs} epochs the CNN reaches {accuracy:P1} test accuracy (from " +
            $"{initialAccuracy:P1} " +
            $"at initialisation); its first-layer filters' norms grew {grown:F2}× on average. The figures show them " +
            "before and after, and the feature maps of one test image.");
    }
}
