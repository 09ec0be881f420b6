using Dendrite.IO;
using Dendrite.Nn.Optim;

namespace Dendrite.Experiments.Convolutional;

/// <summary>Max pooling, average pooling and strided convolution as the way a CNN halves its feature maps.</summary>
public sealed class Pooling : Experiment
{
    /// <inheritdoc/>
    public override string Name => "pooling";

    /// <inheritdoc/>
    public override string Topic => "cnn";

    /// <inheritdoc/>
    public override string Summary => "max pooling vs average pooling vs strided convolution on Fashion-MNIST";

    /// <inheritdoc/>
    public override string Claim => """
        Pooling shrinks the feature maps, which cuts computation and gives some invariance to small shifts: max pooling
        keeps the strongest response in each window (did the feature occur here?), average pooling its mean, which
        dilutes a strong local response. A convolution with stride 2 downsamples with learned weights instead and
        saves the pooling layer (Springenberg et al., 2015, "Striving for Simplicity: The All Convolutional Net").
        On small images max pooling is usually at least as accurate as average pooling.
        """;

    /// <inheritdoc/>
    public override void Run(ExperimentContext context)
    {
        int trainCount = context.Choose(3_000, 128), testCount = context.Choose(2_000, 100);
        int epochs = context.Choose(3, 1);
        var (x, y) = ConvData.Fashion("train", trainCount, context.NewGenerator());
        var (tx, ty) = ConvData.Fashion("t10k", testCount, context.NewGenerator());
        context.Setup($"{x.Size(0):N0} Fashion-MNIST training images (a seeded subset, pixels in [0, 1]), tested on " +
            $"{tx.Size(0):N0} test images ({ConvData.Source}).");
        context.Setup("A small CNN: two 3×3 convolution stages of 16 and 32 channels with ReLU, each halving the " +
            "map by " +
            $"the variant's downsampling, then dense 1568 → 128 → 10; Adam (lr 1e-3), batches of 64, {epochs} " +
            $"epochs, " +
            "the same seed for every variant.");
        var table = context.Table("pooling", "Downsampling by pooling or by stride",
            "downsampling", "parameters", "train loss", "train accuracy", "test accuracy", "seconds per epoch");
        var curves = new List<Series>();
        foreach (var (kind, label) in new[]
        {
            (Downsample.MaxPool, "max pooling 2×2"),
            (Downsample.AvgPool, "average pooling 2×2"),
            (Downsample.StridedConv, "3×3 convolution, stride 2"),
        })
        {
            Generator.ManualSeed((ulong)context.Seed);
            var model = SmallCnn.Build(kind);
            var (history, seconds) = ConvData.Train(model, new Adam(model.Parameters(), lr: 1e-3), x, y, epochs, 64,
                (ulong)context.Seed + 7, validation: (tx, ty));
            var last = history.Epochs[^1];
            table.Add(label, model.ParameterCount(), last.TrainLoss, last.TrainAccuracy, last.ValAccuracy!.Value,
                seconds / epochs);
            curves.Add(Series.PerEpoch(label, [.. history.Epochs.Select(e => e.ValAccuracy!.Value)]));
            context.Log($"{label}: test accuracy {last.ValAccuracy:P2}, {seconds:F1} s");
        }
        Plots.Line(context.Figure("test-accuracy", "Test accuracy after each epoch, per downsampling"), curves,
            new LineOptions { Title = "Pooling", XLabel = "epoch", YLabel = "test accuracy", IntegerX = true });
        var best = table.Rows.MaxBy(r => (double)r[4])!;
        foreach (var row in table.Rows)
        {
            context.Finding($"{row[0]}: test accuracy {(double)row[4]:P2} after {epochs} epochs, training loss " +
                $"{(double)row[2]:G3}, {(double)row[5]:F1} s per epoch.");
        }
        context.Finding($"Best here: {best[0]}.");
    }
}
