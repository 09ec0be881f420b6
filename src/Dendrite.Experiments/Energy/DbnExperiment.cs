using System.Diagnostics;
using Dendrite.IO;
using Dendrite.Models;
using Dendrite.Models.Energy;
using Dendrite.Nn;
using Dendrite.Nn.Optim;

namespace Dendrite.Experiments.Energy;

/// <summary>A deep belief net pre-trained greedily, then fine-tuned as a classifier, against the same network from
/// random initialisation, with all labels and with few.</summary>
public sealed class DbnExperiment : Experiment
{
    /// <inheritdoc/>
    public override string Name => "dbn";

    /// <inheritdoc/>
    public override string Topic => "energy";

    /// <inheritdoc/>
    public override string Summary =>
        "DBN: greedy RBM pre-training, then fine-tuning as a classifier, vs random initialisation";

    /// <inheritdoc/>
    public override string Claim => """
        A deep belief network is learned one layer at a time: an RBM on the data, another on its hidden activities, and
        so on (Hinton, Osindero & Teh, 2006). The learned weights are a good starting point for a feed-forward network
        trained by backpropagation: pre-training uses no labels, and it helps most when labels are few (Erhan et al.,
        "Why does unsupervised pre-training help deep learning?", 2010).
        """;

    /// <inheritdoc/>
    public override void Run(ExperimentContext context)
    {
        var g = context.NewGenerator();
        var (trainX, trainY, testX, testY, source) = EnergyData.Images(context, context.Choose(8000, 600),
            context.Choose(2000, 200), g);
        int[] hidden = context.Choose<int[]>([500, 500], [32, 16]);
        int preEpochs = context.Choose(10, 1), fineEpochs = context.Choose(20, 2);
        int[] labelled = context.Choose<int[]>([trainX.Size(0), 1000], [trainX.Size(0), 100]);
        context.Setup($"Data: {source}. Network: 784-{string.Join("-", hidden)}-10, sigmoid hidden units. " +
            $"Pre-training: one binary RBM per hidden layer on all {trainX.Size(0):N0} training images (no labels), " +
            $"CD-1, {preEpochs} epochs each, batches of 100, learning rate 0.05, momentum 0.5 then 0.9, weight decay " +
            $"1e-4; the first RBM sees the pixel intensities as probabilities. Fine-tuning: Adam (lr 1e-3), batches " +
            $"of " +
            $"50, {fineEpochs} epochs of cross-entropy on the first n labelled images; the random-initialisation " +
            $"baseline is the same MLP with PyTorch's default initialisation and the same schedule.");

        var clock = Stopwatch.StartNew();
        var dbn = new Dbn(784, hidden, context.NewGenerator());
        dbn.PreTrain(trainX, new RbmTrainingConfig(Epochs: preEpochs, BatchSize: 100, LearningRate: 0.05),
            context.NewGenerator(),
            (l, e, err) => context.Log($"layer {l + 1} epoch {e + 1}: reconstruction {err:F3}"));
        double preSeconds = clock.Elapsed.TotalSeconds;

        var table = context.Table("accuracy", "Test accuracy after fine-tuning", "labelled images", "initialisation",
            "test accuracy", "test loss", "fine-tune epochs", "fine-tune wall s");
        var curves = new List<Series>();
        foreach (int n in labelled)
        {
            foreach (bool pretrained in new[] { true, false })
            {
                var mlp = pretrained ? dbn.ToClassifier(10)
                    : new Mlp(new MlpConfig(784, hidden, 10, "sigmoid"));
                clock.Restart();
                var accuracy = FineTune(mlp, trainX.Narrow(0, 0, n), trainY.Narrow(0, 0, n), testX, testY, fineEpochs,
                    context.NewGenerator());
                var (loss, acc) = Evaluate(mlp, testX, testY);
                string init = pretrained ? "DBN pre-training" : "random";
                table.Add(n, init, acc, loss, fineEpochs, clock.Elapsed.TotalSeconds);
                curves.Add(Series.PerEpoch($"{init}, {n} labels", accuracy));
            }
        }
        Plots.Line(context.Figure("accuracy", "Test accuracy per fine-tuning epoch"), curves,
            new LineOptions
            {
                Title = "DBN pre-training vs random initialisation",
                XLabel = "epoch",
                YLabel = "test accuracy",
                IntegerX = true
            });
        int shown = Math.Min(100, hidden[0]);
        Plots.ImageGrid(context.Figure("filters", $"First-layer RBM weights of {shown} units after pre-training"),
            dbn.Layers[0].Weight.Narrow(0, 0, shown).Contiguous().Reshape(shown, 28, 28),
            new ImageGridOptions { Title = "DBN layer-1 filters", Columns = 10, Scale = 2 });
        var rows = table.Rows;
        for (int i = 0; i < rows.Count; i += 2)
            context.Finding($"With {rows[i][0]:N0} labelled images: {(double)rows[i][2]:P2} test accuracy after DBN " +
                $"pre-training, {(double)rows[i + 1][2]:P2} from random initialisation (pre-training took " +
                $"{preSeconds:F0} s).");
    }

    // Returns the test accuracy after each epoch.
    private static List<double> FineTune(Mlp mlp, Tensor x, Tensor y, Tensor testX, Tensor testY, int epochs,
        Generator g)
    {
        var optimizer = new Adam(mlp.Parameters(), lr: 1e-3);
        var history = new List<double>();
        int n = x.Size(0), batch = 50;
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            mlp.Train();
            var order = Tensor.Randperm(n, g);
            for (int i = 0; i + batch <= n; i += batch)
            {
                using var scope = TensorScope.Begin();
                var index = order.Narrow(0, i, batch);
                optimizer.ZeroGrad();
                var loss = Losses.CrossEntropy(mlp.Forward(x.IndexSelect(0, index)), y.IndexSelect(0, index));
                loss.Backward();
                optimizer.Step();
            }
            history.Add(Evaluate(mlp, testX, testY).Accuracy);
        }
        return history;
    }

    private static (double Loss, double Accuracy) Evaluate(Mlp mlp, Tensor x, Tensor y)
    {
        mlp.Train(false);
        using var _ = Autograd.NoGrad();
        var logits = mlp.Forward(x);
        return (Losses.CrossEntropy(logits, y).Item(), logits.ArgMax(1).Eq(y).To(DType.Float64).Mean().Item());
    }
}
