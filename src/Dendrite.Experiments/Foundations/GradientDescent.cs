using System.Diagnostics;
using Dendrite.IO;
using Dendrite.Nn;
using Dendrite.Nn.Optim;

namespace Dendrite.Experiments.Foundations;

/// <summary>Batch, mini-batch and stochastic gradient descent on the same softmax regression of Fashion-MNIST:
/// loss against epochs and against wall time, each variant at the best learning rate of a small sweep.</summary>
public sealed class GradientDescent : Experiment
{
    /// <inheritdoc/>
    public override string Name => "gradient-descent";

    /// <inheritdoc/>
    public override string Topic => "gradient-descent";

    /// <inheritdoc/>
    public override string Summary => "batch vs mini-batch vs stochastic gradient descent on Fashion-MNIST";

    /// <inheritdoc/>
    public override string Claim => """
        Batch gradient descent takes one exact step per pass over the data: smooth but slow. Stochastic gradient
        descent takes one noisy step per example: many cheap updates per epoch, a loss that jitters, and per-example
        overhead. Mini-batch gradient descent sits between them: enough examples per step to use vectorised kernels
        and average out noise, enough steps per epoch to make progress, and so usually the lowest loss for a given
        wall time.
        """;

    /// <summary>One training run: the loss curve against epochs and against seconds of training steps.</summary>
    private sealed record Run1(double Lr, long Steps, double Seconds, double[] Epochs, double[] Times, double[] Losses,
        Linear Model);

    /// <inheritdoc/>
    public override void Run(ExperimentContext context)
    {
        int trainCount = context.Choose(5_000, 200), valCount = context.Choose(2_000, 200);
        int epochs = context.Choose(10, 2), probesPerEpoch = context.Choose(10, 2);
        double[] rates = context.Choose<double[]>([1, 0.3, 0.1, 0.03, 0.01, 0.003, 0.001], [0.1, 0.01]);
        var (x, y) = FashionSubset.Take("train", trainCount, context.NewGenerator());
        var (vx, vy) = FashionSubset.Take("t10k", valCount, context.NewGenerator());
        (string Name, int BatchSize)[] variants =
            [("batch", trainCount), ("mini-batch (64)", 64), ("stochastic (1)", 1)];
        context.Setup($"Softmax regression (one Linear 784 → 10, cross-entropy) on {trainCount:N0} Fashion-MNIST " +
            $"training images (a seeded random subset of `{FashionSubset.Source}`), validated on {valCount:N0} test " +
            $"images; {epochs} epochs per run, plain SGD, every run starting from the same weights and, per epoch, " +
            "the same shuffled order.");
        context.Setup($"Each variant runs at every learning rate of {{{string.Join(", ", rates)}}}; the table and " +
            "figures show the rate with the lowest final training loss (the sweep is in `lr-sweep.csv`). The " +
            $"training loss is measured on the whole training subset {probesPerEpoch} times per epoch (batch: after " +
            "every step); wall time counts the training steps only, not these measurements.");
        var initial = new Linear(784, 10).StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Clone());
        var sweep = context.Table("lr-sweep", "Final training loss for each learning rate",
            "variant", "lr", "final train loss");
        var table = context.Table("variants", "Batch, mini-batch and stochastic gradient descent, softmax regression",
            "variant", "batch size", "best lr", "steps", "train seconds", "µs per step", "final train loss",
            "validation loss", "validation accuracy");
        var byEpoch = new List<Series>();
        var byTime = new List<Series>();
        ulong orderSeed = context.NewGenerator().NextUInt64();
        foreach (var (name, batchSize) in variants)
        {
            Run1? best = null;
            foreach (double lr in rates)
            {
                var run = Train(x, y, batchSize, lr, epochs, probesPerEpoch, initial, new Generator(orderSeed));
                double final = run.Losses[^1];
                sweep.Add(name, lr, final);
                context.Log($"{name}, lr {lr}: final train loss {final:G4}, {run.Seconds:F2} s");
                if (double.IsFinite(final) && (best is null || final < best.Losses[^1])) best = run;
            }
            best ??= Train(x, y, batchSize, rates[^1], epochs, probesPerEpoch, initial, new Generator(orderSeed));
            var (valLoss, valAcc) = FashionSubset.Evaluate(best.Model, best.Model.Forward, vx, vy);
            table.Add(name, batchSize, best.Lr, best.Steps, best.Seconds, best.Seconds * 1e6 / best.Steps,
                best.Losses[^1], valLoss, valAcc);
            byEpoch.Add(new Series($"{name}, lr {best.Lr}", best.Epochs, best.Losses));
            byTime.Add(new Series($"{name}, lr {best.Lr}", best.Times, best.Losses));
        }
        Plots.Line(context.Figure("loss-per-epoch", "Training loss against epochs (passes over the data)"), byEpoch,
            new LineOptions
            {
                Title = "Loss against epochs",
                XLabel = "epoch",
                YLabel = "training cross-entropy",
                LogY = true,
                MarkerSize = 0,
            });
        Plots.Line(context.Figure("loss-per-second", "Training loss against wall time spent in training steps"), byTime,
            new LineOptions
            {
                Title = "Loss against wall time",
                XLabel = "seconds",
                YLabel = "training cross-entropy",
                LogY = true,
                MarkerSize = 0,
            });

        // The same time budget for all: the loss each variant had reached when the mini-batch run finished.
        double budget = byTime[1].X[^1];
        context.Finding($"Within the {budget:G3} s the mini-batch run took, the training losses were: " +
            string.Join("; ", byTime.Select(s => $"{s.Name} {s.Y[Array.FindLastIndex(s.X, t => t <= budget)]:G3}")) +
            ".");

        var rows = table.Rows;
        foreach (var row in rows)
        {
            context.Finding($"{row[0]}: best lr {row[2]}, {row[3]} steps in {(double)row[4]:G3} s, final training " +
                $"loss {(double)row[6]:G3}, validation accuracy {(double)row[8]:P1}.");
        }
        double perExampleMini = (double)rows[1][5] / 64, perExampleSgd = (double)rows[2][5];
        context.Finding($"Per example, a stochastic step costs {perExampleSgd:G3} µs and a 64-example mini-batch " +
            $"step {perExampleMini:G3} µs ({perExampleSgd / perExampleMini:G3}× less).");
    }

    private static Run1 Train(Tensor x, Tensor y, int batchSize, double lr, int epochs, int probesPerEpoch,
        Dictionary<string, Tensor> initial, Generator order)
    {
        var model = new Linear(784, 10);
        model.LoadStateDict(initial);
        var optimizer = new Sgd(model.Parameters(), lr);
        int n = x.Size(0), stepsPerEpoch = (n + batchSize - 1) / batchSize;
        int probeEvery = Math.Max(1, stepsPerEpoch / probesPerEpoch);
        var epochAxis = new List<double> { 0 };
        var timeAxis = new List<double> { 0 };
        var losses = new List<double> { FashionSubset.Evaluate(model, model.Forward, x, y).Loss };
        var clock = new Stopwatch();
        long steps = 0;
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            var perm = Tensor.Randperm(n, order).ToArray<long>();
            for (int s = 0; s < stepsPerEpoch; s++)
            {
                clock.Start();
                using (TensorScope.Begin())
                {
                    int start = s * batchSize, count = Math.Min(batchSize, n - start);
                    var index = Tensor.From(perm.AsSpan(start, count).ToArray(), count);
                    var loss = Losses.CrossEntropy(model.Forward(x.IndexSelect(0, index)), y.IndexSelect(0, index));
                    optimizer.ZeroGrad();
                    loss.Backward();
                    optimizer.Step();
                }
                clock.Stop();
                steps++;
                if ((s + 1) % probeEvery == 0 || s == stepsPerEpoch - 1)
                {
                    epochAxis.Add(epoch + (s + 1.0) / stepsPerEpoch);
                    timeAxis.Add(clock.Elapsed.TotalSeconds);
                    losses.Add(FashionSubset.Evaluate(model, model.Forward, x, y).Loss);
                }
            }
        }
        return new Run1(lr, steps, clock.Elapsed.TotalSeconds, [.. epochAxis], [.. timeAxis], [.. losses], model);
    }
}
