using Dendrite.IO;
using Dendrite.Nn.Optim;

namespace Dendrite.Experiments.Convolutional;

/// <summary>The same CNN with and without batch normalisation, trained by SGD across learning rates.</summary>
public sealed class BatchNormCnn : Experiment
{
    /// <inheritdoc/>
    public override string Name => "batchnorm";

    /// <inheritdoc/>
    public override string Topic => "cnn";

    /// <inheritdoc/>
    public override string Summary => "a CNN with and without batch normalisation across learning rates";

    /// <inheritdoc/>
    public override string Claim => """
        Batch normalisation (Ioffe & Szegedy, 2015) standardises each channel over the batch, then rescales it with
        learned γ and β. It keeps the activations' scale steady as the weights change, which lets SGD take larger
        learning rates without diverging and makes training faster and less sensitive to the choice of rate.
        """;

    /// <inheritdoc/>
    public override void Run(ExperimentContext context)
    {
        int trainCount = context.Choose(2_000, 128), testCount = context.Choose(2_000, 100);
        int epochs = context.Choose(2, 1);
        double[] rates = context.Choose(new[] { 0.01, 0.03, 0.1, 0.3, 1.0 }, new[] { 0.01, 0.3 });
        var (x, y) = ConvData.Fashion("train", trainCount, context.NewGenerator());
        var (tx, ty) = ConvData.Fashion("t10k", testCount, context.NewGenerator());
        context.Setup($"{x.Size(0):N0} Fashion-MNIST training images, {tx.Size(0):N0} test images, pixels in [0, 1] " +
            $"({ConvData.Source}).");
        context.Setup("The small CNN (3×3 convolutions of 16 and 32 channels, ReLU, 2×2 max pooling, dense 1568 " +
            "→ 128 " +
            "→ 10), with BatchNorm2d after each convolution or without; plain SGD (no momentum), batches of 64, " +
            $"{epochs} epochs, learning rates {string.Join(", ", rates)}; the same seed for every run.");
        var table = context.Table("batchnorm", "Test accuracy by learning rate, with and without batch norm",
            "learning rate", "batch norm", "final train loss", "test accuracy", "seconds");
        var curves = new Dictionary<bool, List<double>> { [false] = [], [true] = [] };
        foreach (double lr in rates)
        {
            foreach (bool bn in new[] { false, true })
            {
                Generator.ManualSeed((ulong)context.Seed);
                var model = SmallCnn.Build(batchNorm: bn);
                var (history, seconds) = ConvData.Train(model, new Sgd(model.Parameters(), lr), x, y, epochs, 64,
                    (ulong)context.Seed + 5);
                double trainLoss = history.Epochs[^1].TrainLoss;
                double accuracy = double.IsFinite(trainLoss) ? ConvData.Evaluate(model, tx, ty).Accuracy : 0.1;
                table.Add(lr, bn ? "yes" : "no", trainLoss, accuracy, seconds);
                curves[bn].Add(accuracy);
                context.Log($"lr {lr}, batch norm {bn}: train loss {trainLoss:G3}, test {accuracy:P1}");
            }
        }
        double[] logRates = [.. rates.Select(Math.Log10)];
        Plots.Line(context.Figure("accuracy-by-rate", "Test accuracy after training, by learning rate (log scale)"),
            [new Series("without batch norm", logRates, [.. curves[false]]),
                new Series("with batch norm", logRates, [.. curves[true]])],
            new LineOptions
            {
                Title = "Batch normalisation",
                XLabel = "log₁₀ learning rate",
                YLabel = "test accuracy",
            });
        for (int i = 0; i < rates.Length; i++)
        {
            context.Finding($"lr {rates[i]}: {curves[false][i]:P1} without batch norm, {curves[true][i]:P1} with.");
        }
        context.Finding($"Best without batch norm {curves[false].Max():P1} (lr " +
            $"{rates[curves[false].IndexOf(curves[false].Max())]}), with batch norm {curves[true].Max():P1} (lr " +
            $"{rates[curves[true].IndexOf(curves[true].Max())]}); the range of rates within 2 points of the best: " +
            $"{Within(rates, curves[false])} without, {Within(rates, curves[true])} with.");
    }

    private static string Within(double[] rates, List<double> accuracy)
    {
        var ok = rates.Where((_, i) => accuracy[i] >= accuracy.Max() - 0.02).ToList();
        return ok.Count == 1 ? $"{ok[0]} only" : $"{ok.Min()}–{ok.Max()}";
    }
}
