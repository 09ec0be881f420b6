using Dendrite.IO;
using Dendrite.Nn;
using Dendrite.Nn.Optim;
using Dendrite.Training;

namespace Dendrite.Experiments.Foundations;

/// <summary>Gradient norm per layer of a deep sigmoid MLP, the same network with ReLU, and with sigmoid and batch
/// normalisation; and how each trains.</summary>
public sealed class VanishingGradientsMlp : Experiment
{
    /// <inheritdoc/>
    public override string Name => "vanishing-gradients-mlp";

    /// <inheritdoc/>
    public override string Topic => "vanishing-gradients";

    /// <inheritdoc/>
    public override string Summary => "gradient norm per layer: deep sigmoid MLP vs ReLU vs sigmoid with batch norm";

    /// <inheritdoc/>
    public override string Claim => """
        Backpropagation multiplies, layer by layer, by the activation's derivative and the weights. Sigmoid's
        derivative is at most 1/4, so in a deep sigmoid network the gradient shrinks geometrically towards the input:
        the first layers barely learn (the vanishing gradient problem). ReLU's derivative is 1 wherever a unit is
        active, so the gradient keeps its size; batch normalisation keeps each layer's pre-activations near zero mean
        and unit variance, where sigmoid is least saturated, and also rescues the sigmoid network.
        """;

    /// <inheritdoc/>
    public override void Run(ExperimentContext context)
    {
        int layers = context.Choose(12, 6), width = context.Choose(128, 32), probeCount = context.Choose(512, 64);
        int trainCount = context.Choose(10_000, 300), valCount = context.Choose(2_000, 200);
        int epochs = context.Choose(5, 1);
        var (px, py) = FashionSubset.Take("train", probeCount, context.NewGenerator());
        var (x, y) = FashionSubset.Take("train", trainCount, context.NewGenerator());
        var (vx, vy) = FashionSubset.Take("t10k", valCount, context.NewGenerator());
        Func<int[], Generator, Tensor> xavier = (s, g) => Init.XavierNormal(s, g: g);
        Func<int[], Generator, Tensor> he = (s, g) => Init.KaimingNormal(s, g: g);
        (string Name, Func<ILayer> Act, bool Bn, Func<int[], Generator, Tensor>? Weight)[] nets =
        [
            ("sigmoid, Xavier", () => new Sigmoid(), false, xavier),
            ("ReLU, He", () => new Relu(), false, he),
            ("sigmoid + batch norm, Xavier", () => new Sigmoid(), true, xavier),
            ("ReLU, PyTorch default", () => new Relu(), false, null),
        ];
        context.Setup($"MLPs of {layers} Linear layers, 784 → {width} → … → {width} → 10, each activation with the " +
            "initialisation made for it (sigmoid: Xavier normal; ReLU: He normal; biases zero), drawn from the run's " +
            "seed; the batch-norm network has BatchNorm1d between each hidden Linear and its sigmoid. A fourth " +
            "network is the ReLU one with PyTorch's default Linear initialisation, U(±1/√fan-in), whose variance " +
            "is a sixth of He's.");

        context.Setup("Gradient norms: ‖∂L/∂W‖ of each layer's weight for the cross-entropy of " +
            $"{probeCount} Fashion-MNIST training images, at initialisation and after training. Training: " +
            $"{epochs} epochs on {trainCount:N0} images, batches of 64, SGD lr 0.1, validated on {valCount:N0} test " +
            "images.");

        string[] layerColumns = [.. Enumerable.Range(1, layers).Select(i => $"layer {i}")];
        var atInit = context.Table("gradient-norm", "Weight-gradient norm per layer at initialisation",
            ["network", .. layerColumns]);
        var summary = context.Table("summary", "First layer against last, and training",
            "network", "‖∇W₁‖ / ‖∇W_last‖ at init", "‖∇W₁‖ / ‖∇W_last‖ after training", "train loss, epoch 1",
            "final train loss", "validation accuracy");
        var initSeries = new List<Series>();
        var trainedSeries = new List<Series>();
        var lossSeries = new List<Series>();
        double[] layerAxis = [.. Enumerable.Range(1, layers).Select(i => (double)i)];
        foreach (var (name, act, bn, weight) in nets)
        {
            var model = DeepMlp.Build(layers, width, act, bn);
            if (weight is not null)
            {
                var g = context.NewGenerator();
                DeepMlp.Initialise(model, s => weight(s, g));
            }
            var before = DeepMlp.Probe(model, px, py);
            atInit.Add([name, .. before.Select(p => (object)p.WeightGradNorm)]);
            initSeries.Add(new Series(name, layerAxis, [.. before.Select(p => p.WeightGradNorm)]));

            var trainer = new Trainer(model, new Sgd(model.Parameters(), 0.1), (o, t) => Losses.CrossEntropy(o, t));
            var loader = new Dendrite.Data.DataLoader(x, y, 64, shuffle: true,
                generator: new Generator((ulong)context.Seed + 31));
            var e = trainer.Fit(loader, epochs, validation: (vx, vy), verbose: false).Epochs;
            var after = DeepMlp.Probe(model, px, py);
            trainedSeries.Add(new Series(name, layerAxis, [.. after.Select(p => p.WeightGradNorm)]));
            lossSeries.Add(Series.PerEpoch(name, [.. e.Select(r => r.TrainLoss)]));
            summary.Add(name, before[0].WeightGradNorm / before[^1].WeightGradNorm,
                after[0].WeightGradNorm / after[^1].WeightGradNorm, e[0].TrainLoss, e[^1].TrainLoss,
                e[^1].ValAccuracy ?? double.NaN);
            context.Log($"{name}: first/last gradient norm " +
                $"{before[0].WeightGradNorm / before[^1].WeightGradNorm:G3}, " +
                $"validation accuracy {e[^1].ValAccuracy:P1}");
        }
        Plots.Line(context.Figure("gradient-norm-init", "Weight-gradient norm per layer at initialisation (layer 1 " +
            "is next to the input)"), initSeries,
            new LineOptions
            {
                Title = "‖∂L/∂W‖ per layer, at initialisation",
                XLabel = "layer",
                YLabel = "gradient norm",
                LogY = true,
                IntegerX = true,
            });
        Plots.Line(context.Figure("gradient-norm-trained", $"Weight-gradient norm per layer after {epochs} epoch(s)"),
            trainedSeries,
            new LineOptions
            {
                Title = "‖∂L/∂W‖ per layer, after training",
                XLabel = "layer",
                YLabel = "gradient norm",
                LogY = true,
                IntegerX = true,
            });

        Plots.Line(context.Figure("train-loss", "Mean training loss per epoch"), lossSeries,
            new LineOptions { Title = "Training loss", XLabel = "epoch", YLabel = "cross-entropy", IntegerX = true });

        foreach (var row in summary.Rows)
        {
            context.Finding($"{row[0]}: the first layer's gradient is {(double)row[1]:G3}× the last layer's at " +
                $"initialisation; validation accuracy {(double)row[5]:P1} after {epochs} epoch(s).");
        }
    }
}
