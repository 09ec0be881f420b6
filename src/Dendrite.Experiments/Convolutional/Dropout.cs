using Dendrite.IO;
using Dendrite.Nn.Optim;

namespace Dendrite.Experiments.Convolutional;

/// <summary>A CNN over-fits 600 Fashion-MNIST images; dropout before its dense layers narrows the gap.</summary>
public sealed class DropoutCnn : Experiment
{
    /// <inheritdoc/>
    public override string Name => "dropout";

    /// <inheritdoc/>
    public override string Topic => "cnn";

    /// <inheritdoc/>
    public override string Summary => "a CNN on 600 Fashion-MNIST images with and without dropout";

    /// <inheritdoc/>
    public override string Claim => """
        With few training images a CNN memorises them: training accuracy reaches 100 % while the validation loss,
        after a minimum, climbs. Dropout (Srivastava et al., 2014) zeroes each unit with probability p at every
        training step, so that no unit can rely on particular others; placed before the dense layers, where most of
        the parameters are, it reduces over-fitting and raises validation accuracy.
        """;

    /// <inheritdoc/>
    public override void Run(ExperimentContext context)
    {
        int trainCount = context.Choose(600, 128), valCount = context.Choose(1_000, 100);
        int testCount = context.Choose(5_000, 100), epochs = context.Choose(25, 2);
        var (x, y) = ConvData.Fashion("train", trainCount, context.NewGenerator());
        var testGenerator = context.NewGenerator();
        ulong split = testGenerator.NextUInt64();
        var (vx, vy) = ConvData.Fashion("t10k", valCount, new Generator(split));
        var (tx, ty) = ConvData.Fashion("t10k", testCount, new Generator(split));
        context.Setup($"{x.Size(0):N0} Fashion-MNIST training images (pixels in [0, 1]); the validation curves use " +
            $"{vx.Size(0):N0} test images, the final accuracy all {tx.Size(0):N0} ({ConvData.Source}).");
        context.Setup("The small CNN (3×3 convolutions of 16 and 32 channels with ReLU and 2×2 max pooling, dense " +
            $"1568 → 128 → 10), Adam (lr 1e-3), batches of 32, {epochs} epochs, the same initial weights and batch " +
            "order with and without dropout; dropout sits before each dense layer.");
        var table = context.Table("dropout", "Over-fitting with and without dropout",
            "dropout", "train accuracy", "test accuracy", "gap", "lowest validation loss (epoch)",
            "final validation loss");
        var valCurves = new List<Series>();
        var trainCurves = new List<Series>();
        foreach (double p in new[] { 0.0, 0.5 })
        {
            Generator.ManualSeed((ulong)context.Seed);
            var model = SmallCnn.Build(dropout: p, dropoutGenerator: new Generator((ulong)context.Seed + 3));
            var (history, _) = ConvData.Train(model, new Adam(model.Parameters(), lr: 1e-3), x, y, epochs, 32,
                (ulong)context.Seed + 11, validation: (vx, vy));
            var (_, trainAcc) = ConvData.Evaluate(model, x, y);
            var (_, testAcc) = ConvData.Evaluate(model, tx, ty);
            var val = history.Epochs.Select(e => e.ValLoss!.Value).ToArray();
            int bestEpoch = Array.IndexOf(val, val.Min()) + 1;
            string name = p == 0 ? "none" : $"p = {p}";
            table.Add(name, trainAcc, testAcc, trainAcc - testAcc, $"{val.Min():G3} ({bestEpoch})", val[^1]);
            valCurves.Add(Series.PerEpoch(name, val));
            trainCurves.Add(Series.PerEpoch(name, [.. history.Epochs.Select(e => e.TrainLoss)]));
            context.Log($"dropout {name}: train {trainAcc:P1}, test {testAcc:P1}");
        }
        Plots.Line(context.Figure("validation-loss", "Validation loss per epoch, with and without dropout"), valCurves,
            new LineOptions { Title = "Validation loss", XLabel = "epoch", YLabel = "cross-entropy", IntegerX = true });
        Plots.Line(context.Figure("train-loss", "Training loss per epoch (dropout active while training)"),
            trainCurves, new LineOptions
            {
                Title = "Training loss",
                XLabel = "epoch",
                YLabel = "cross-entropy",
                IntegerX = true,
                LogY = true,
            });
        foreach (var row in table.Rows)
        {
            context.Finding($"Dropout {row[0]}: train accuracy {(double)row[1]:P1}, test {(double)row[2]:P1} (gap " +
                $"{(double)row[3]:P1}); validation loss lowest {row[4]}, final {(double)row[5]:G3}.");
        }
    }
}
