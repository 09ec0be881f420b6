using Dendrite.IO;
using Dendrite.Nn;
using Dendrite.Nn.Optim;
using Dendrite.Training;

namespace Dendrite.Experiments.Foundations;

/// <summary>Over-fitting on 1,000 Fashion-MNIST images, and what L1, L2 (weight decay), dropout and early stopping
/// each do to the gap between training and validation.</summary>
public sealed class Regularisation : Experiment
{
    /// <inheritdoc/>
    public override string Name => "regularisation";

    /// <inheritdoc/>
    public override string Topic => "regularisation";

    /// <inheritdoc/>
    public override string Summary => "over-fitting on 1,000 Fashion-MNIST images; L1, L2, dropout, early stopping";

    /// <inheritdoc/>
    public override string Claim => """
        A network with far more parameters than training examples can memorise them: the training loss goes to zero
        while the validation loss, after a minimum, rises again (over-fitting). Regularisation narrows the gap
        between training and validation: an L1 penalty λΣ|w| drives weights to exactly zero, an L2 penalty (weight
        decay) λΣw² shrinks them all, dropout trains a random sub-network at each step, and early stopping keeps the
        weights of the epoch with the lowest validation loss.
        """;

    private sealed record Variant(string Name, double Dropout, double L1, double WeightDecay, bool EarlyStop);

    /// <inheritdoc/>
    public override void Run(ExperimentContext context)
    {
        int trainCount = context.Choose(1_000, 200), valCount = context.Choose(2_000, 200);
        int testCount = context.Choose(10_000, 200);
        int epochs = context.Choose(100, 4), hidden = context.Choose(256, 64), patience = context.Choose(10, 2);
        // One permutation of the training images: the first trainCount train, the next valCount validate.
        ulong split = context.NewGenerator().NextUInt64();
        var (x, y) = FashionSubset.Take("train", trainCount, new Generator(split));
        var (vx, vy) = FashionSubset.Take("train", valCount, new Generator(split), skip: trainCount);
        var (tx, ty) = FashionSubset.Take("t10k", testCount, context.NewGenerator());
        Variant[] variants =
        [
            new("none", 0, 0, 0, false),
            new("L1 (λ = 1e-4)", 0, 1e-4, 0, false),
            new("L1 (λ = 1e-3)", 0, 1e-3, 0, false),
            new("L2 (weight decay 5e-3)", 0, 0, 5e-3, false),
            new("L2 (weight decay 5e-2)", 0, 0, 5e-2, false),
            new("dropout (p = 0.5)", 0.5, 0, 0, false),

            new($"early stopping (patience {patience})", 0, 0, 0, true),
        ];
        context.Setup($"{trainCount:N0} Fashion-MNIST training images (a seeded random subset), validation on " +
            $"{valCount:N0} other training images, test on {testCount:N0} test images.");
        long parameters = 784 * hidden + hidden * hidden + 10 * hidden + 2 * hidden + 10;
        context.Setup($"MLP 784 → {hidden} → {hidden} → 10 with ReLU ({parameters:N0} parameters), SGD with " +
            $"momentum 0.9 and lr 0.01, batches of 32, up to {epochs} epochs, the same initial weights and batch " +
            "order for every variant.");
        context.Setup("L1 adds λ Σ|w| over the weights (not biases) to the loss; L2 is the optimizer's weight decay " +
            "(λ·w added to the gradient, the gradient of λ/2 Σw²) on all parameters; dropout sits after each hidden " +
            "ReLU; early stopping watches the validation loss and restores the best epoch's weights.");
        var initial = Model(hidden, 0).StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Clone());
        var table = context.Table("gap", "Train and validation after training, per regulariser",
            "regulariser", "epochs run", "train loss", "validation loss", "train accuracy", "validation accuracy",
            "accuracy gap", "test accuracy", "weights below 1e-3 in magnitude");
        var valCurves = new List<Series>();
        var trainCurves = new List<Series>();
        foreach (var v in variants)
        {
            var model = Model(hidden, v.Dropout);
            model.LoadStateDict(initial);
            var weights = model.NamedParameters().Where(p => p.Name.EndsWith("weight", StringComparison.Ordinal))
                .Select(p => (Tensor)p.Parameter).ToList();
            Func<Tensor, Tensor, Tensor> loss = v.L1 > 0
                ? (o, t) => Losses.CrossEntropy(o, t) + Losses.L1Penalty(weights, v.L1)
                : (o, t) => Losses.CrossEntropy(o, t);
            var optimizer = new Momentum(model.Parameters(), 0.01, 0.9, weightDecay: v.WeightDecay);
            var trainer = new Trainer(model, optimizer, loss);
            var loader = new Dendrite.Data.DataLoader(x, y, 32, shuffle: true,
                generator: new Generator((ulong)context.Seed + 41));
            // The validation curve is the plain cross-entropy: the Trainer's validation loss would include the L1
            // penalty, which is not a measure of fit.
            var validation = new ValidationCrossEntropy(model, vx, vy);
            var callbacks = new List<ICallback> { validation };
            var stopper = new EarlyStopping(patience);
            if (v.EarlyStop) callbacks.Add(stopper);
            (Tensor, Tensor)? watched = v.EarlyStop ? (vx, vy) : null;
            var e = trainer.Fit(loader, epochs, validation: watched, callbacks: callbacks, verbose: false).Epochs;

            var (trainLoss, trainAcc) = FashionSubset.Evaluate(model, model.Forward, x, y);
            var (valLoss, valAcc) = FashionSubset.Evaluate(model, model.Forward, vx, vy);
            var (_, testAcc) = FashionSubset.Evaluate(model, model.Forward, tx, ty);
            long small = weights.Sum(w => (long)w.ToArray<float>().Count(a => Math.Abs(a) < 1e-3));
            long total = weights.Sum(w => (long)w.Numel);
            string ran = v.EarlyStop ? $"{e.Count} (best {stopper.BestEpoch})" : $"{e.Count}";
            table.Add(v.Name, ran, trainLoss, valLoss, trainAcc, valAcc, trainAcc - valAcc, testAcc,
                (double)small / total);
            // The Trainer's training loss: the mean over the epoch's batches, penalty included, dropout active.
            trainCurves.Add(Series.PerEpoch(v.Name, [.. e.Select(r => r.TrainLoss)]));
            valCurves.Add(Series.PerEpoch(v.Name, validation.Losses));

            context.Log($"{v.Name}: train {trainAcc:P1}, validation {valAcc:P1}, {e.Count} epochs");
        }
        Plots.Line(context.Figure("validation-loss", "Validation loss per epoch for each regulariser"), valCurves,
            new LineOptions
            {
                Title = "Validation loss",
                XLabel = "epoch",
                YLabel = "cross-entropy",
                IntegerX = true,
                MarkerSize = 0,
            });
        Plots.Line(context.Figure("train-loss", "Training loss per epoch (mean over the epoch's batches, penalty " +
            "included, dropout active)"), trainCurves,
            new LineOptions
            {
                Title = "Training loss",
                XLabel = "epoch",
                YLabel = "loss",
                IntegerX = true,
                LogY = true,
                MarkerSize = 0,

            });
        var names = table.Rows.Select(r => (string)r[0]).ToList();
        Plots.Bar(context.Figure("gap", "Train accuracy minus validation accuracy after training"), names,
            [.. table.Rows.Select(r => (double)r[6])],
            new PlotOptions { Title = "Generalisation gap", YLabel = "train − validation accuracy", Width = 1200 });

        var none = table.Rows[0];
        var plain = valCurves[0].Y;
        int bestEpoch = Array.IndexOf(plain, plain.Min()) + 1;
        context.Finding($"Without regularisation the MLP reaches {(double)none[4]:P1} training accuracy against " +
            $"{(double)none[5]:P1} validation (gap {(double)none[6]:P1}); its validation loss is lowest at epoch " +
            $"{bestEpoch} ({plain.Min():G3}) and ends at {(double)none[3]:G3}.");
        foreach (var row in table.Rows.Skip(1))
        {
            context.Finding($"{row[0]}: gap {(double)row[6]:P1}, validation accuracy {(double)row[5]:P1}, test " +
                $"accuracy {(double)row[7]:P1}, {(double)row[8]:P1} of weights below 1e-3 in magnitude.");

        }
    }

    private static Sequential Model(int hidden, double dropout)
    {
        var net = new Sequential();
        net.Append("fc1", new Linear(784, hidden)).Append("relu1", new Relu());
        if (dropout > 0) net.Append("drop1", new Dropout(dropout));
        net.Append("fc2", new Linear(hidden, hidden)).Append("relu2", new Relu());
        if (dropout > 0) net.Append("drop2", new Dropout(dropout));
        net.Append("fc3", new Linear(hidden, 10));
        return net;
    }
}

/// <summary>Records the cross-entropy of the model on a validation set after each epoch, without any penalty the
/// training loss adds.</summary>
internal sealed class ValidationCrossEntropy(Sequential model, Tensor x, Tensor y) : ICallback
{
    /// <summary>One value per epoch.</summary>
    public List<double> Losses { get; } = [];

    /// <inheritdoc/>
    public void OnEpochEnd(Trainer trainer, EpochResult result) =>
        Losses.Add(FashionSubset.Evaluate(model, model.Forward, x, y).Loss);
}
