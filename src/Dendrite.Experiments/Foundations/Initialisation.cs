using System.Globalization;
using Dendrite.IO;
using Dendrite.Nn;
using Dendrite.Nn.Optim;
using Dendrite.Training;

namespace Dendrite.Experiments.Foundations;

/// <summary>Per-layer activation and gradient statistics of 10-layer tanh and ReLU networks under zero, small normal,
/// Xavier and He initialisation, and which of them trains on Fashion-MNIST.</summary>
public sealed class Initialisation : Experiment
{
    /// <inheritdoc/>
    public override string Name => "initialisation";

    /// <inheritdoc/>
    public override string Topic => "initialisation";

    /// <inheritdoc/>
    public override string Summary => "zero, small normal, Xavier and He initialisation in 10-layer tanh and ReLU nets";

    /// <inheritdoc/>
    public override string Claim => """
        Initial weights decide whether signals survive a deep network. All-zero weights make every unit of a layer
        compute the same thing and receive the same gradient, so the symmetry never breaks (here: nothing moves at
        all). Small random weights shrink the activations layer after layer, and the gradients with them. Xavier
        (Glorot) initialisation, variance 2 / (fan-in + fan-out), keeps the variance of tanh layers roughly constant;
        He (Kaiming) initialisation, variance 2 / fan-in, does the same for ReLU, which zeroes half its inputs.
        """;

    private sealed record Scheme(string Name, Func<int[], Generator, Tensor> Weight);

    private static readonly Scheme[] Schemes =
    [
        new("zero", (s, _) => Tensor.Zeros(s)),
        new("normal σ=0.01", (s, g) => Init.Normal(s, 0.01, g)),
        new("Xavier", (s, g) => Init.XavierNormal(s, g: g)),
        new("He", (s, g) => Init.KaimingNormal(s, g: g)),
    ];

    /// <inheritdoc/>
    public override void Run(ExperimentContext context)
    {
        const int Layers = 10;
        int width = context.Choose(256, 64), probeCount = context.Choose(1_000, 100);
        int trainCount = context.Choose(10_000, 300), valCount = context.Choose(2_000, 200);
        int epochs = context.Choose(3, 1);
        var (px, py) = FashionSubset.Take("train", probeCount, context.NewGenerator());
        var (x, y) = FashionSubset.Take("train", trainCount, context.NewGenerator());
        var (vx, vy) = FashionSubset.Take("t10k", valCount, context.NewGenerator());
        context.Setup($"Networks of {Layers} Linear layers, 784 → {width} → … → {width} → 10, tanh or ReLU after " +
            "each but the last, biases zero. Initialisations: all zeros; N(0, 0.01²); Xavier normal " +
            "N(0, 2 / (fan-in + fan-out)); He normal N(0, 2 / fan-in).");
        context.Setup("Statistics from one forward and backward pass (cross-entropy) of " +
            $"{probeCount:N0} Fashion-MNIST training images at initialisation: standard deviation of each layer's " +
            "output (after its activation) and of the loss's gradient with respect to each layer's weight.");
        context.Setup($"Training: {epochs} epochs on {trainCount:N0} training images, batches of 64, SGD with " +
            $"momentum 0.9 and lr 0.01, validated on {valCount:N0} test images. \"Trains\" means a validation " +
            "accuracy above 50 % (chance is 10 %).");
        string[] layerColumns = [.. Enumerable.Range(1, Layers).Select(i => $"layer {i}")];
        var activations = context.Table("activation-std", "Standard deviation of each layer's output at initialisation",
            ["network", "initialisation", .. layerColumns]);
        var gradients = context.Table("gradient-std",
            "Standard deviation of each layer's weight gradient at initialisation",
            ["network", "initialisation", .. layerColumns]);
        var training = context.Table("training", $"Which initialisation trains ({epochs} epochs)",
            "network", "initialisation", "train loss, epoch 1", "final train loss", "validation accuracy", "trains");
        var accuracy = new List<Series>();
        var networks = new (string, Func<ILayer>)[] { ("tanh", () => new Tanh()), ("ReLU", () => new Relu()) };
        foreach (var (net, act) in networks)
        {
            var actSeries = new List<Series>();
            var gradSeries = new List<Series>();
            foreach (var scheme in Schemes)
            {
                var model = DeepMlp.Build(Layers, width, act);
                var g = context.NewGenerator();
                DeepMlp.Initialise(model, s => scheme.Weight(s, g));
                var probes = DeepMlp.Probe(model, px, py);
                activations.Add([net, scheme.Name, .. probes.Select(p => (object)p.OutputStd)]);
                gradients.Add([net, scheme.Name, .. probes.Select(p => (object)p.WeightGradStd)]);
                double[] layerAxis = [.. Enumerable.Range(1, Layers).Select(i => (double)i)];
                if (probes.All(p => p.OutputStd > 0))
                    actSeries.Add(new Series(scheme.Name, layerAxis, [.. probes.Select(p => p.OutputStd)]));
                if (probes.All(p => p.WeightGradStd > 0))
                    gradSeries.Add(new Series(scheme.Name, layerAxis, [.. probes.Select(p => p.WeightGradStd)]));

                var trainer = new Trainer(model, new Momentum(model.Parameters(), 0.01, 0.9),
                    (o, t) => Losses.CrossEntropy(o, t));
                var loader = new Dendrite.Data.DataLoader(x, y, 64, shuffle: true,
                    generator: new Generator((ulong)context.Seed + 29));
                var e = trainer.Fit(loader, epochs, validation: (vx, vy), verbose: false).Epochs;
                double valAcc = e[^1].ValAccuracy ?? double.NaN;
                training.Add(net, scheme.Name, e[0].TrainLoss, e[^1].TrainLoss, valAcc, valAcc > 0.5 ? "yes" : "no");
                accuracy.Add(Series.PerEpoch($"{net}, {scheme.Name}", [.. e.Select(r => r.ValAccuracy ?? double.NaN)]));
                context.Log($"{net} {scheme.Name}: output std of layer 10 {probes[^1].OutputStd:G3}, " +
                    $"validation accuracy {valAcc:P1}");
            }
            string stem = net.ToLowerInvariant();
            Plots.Line(context.Figure($"{stem}-activations", $"{net} network: standard deviation of each layer's " +
                "output at initialisation (zero initialisation, whose standard deviations are exactly 0, is not " +
                "drawn on the log axis)"), actSeries,

                new LineOptions
                {
                    Title = $"{net}: output std per layer",
                    XLabel = "layer",
                    YLabel = "std",
                    LogY = true,
                    IntegerX = true,
                });
            Plots.Line(context.Figure($"{stem}-gradients", $"{net} network: standard deviation of each layer's " +
                "weight gradient at initialisation (zero initialisation not drawn)"), gradSeries,
                new LineOptions
                {
                    Title = $"{net}: weight-gradient std per layer",
                    XLabel = "layer",
                    YLabel = "std",
                    LogY = true,
                    IntegerX = true,
                });
        }
        Plots.Line(context.Figure("validation-accuracy", "Validation accuracy per epoch of the eight networks"),
            accuracy,
            new LineOptions
            {
                Title = "Which initialisation trains",
                XLabel = "epoch",
                YLabel = "validation accuracy",
                IntegerX = true,

            });


        foreach (var row in training.Rows)
        {
            context.Finding($"{row[0]} with {row[1]} initialisation: validation accuracy {(double)row[4]:P1} after " +
                $"{epochs} epoch(s) ({((string)row[5] == "yes" ? "trains" : "does not train")}).");
        }
        foreach (var row in activations.Rows.Where(r => (string)r[1] != "zero"))
        {
            double first = (double)row[2], last = (double)row[^2];
            context.Finding(string.Create(CultureInfo.InvariantCulture,
                $"{row[0]}, {row[1]}: hidden output std goes from {first:G3} (layer 1) to {last:G3} (layer 9)."));
        }
    }
}
