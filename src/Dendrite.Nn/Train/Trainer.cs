using Dendrite.Nn.Optim;

namespace Dendrite.Nn.Train;

/// <summary>What one epoch produced: mean training loss and, when validation data is given, its loss and accuracy.</summary>
public sealed record EpochResult(int Epoch, double TrainLoss, double TrainAccuracy, double? ValLoss, double? ValAccuracy,
    double Seconds, double LearningRate);

/// <summary>The per-epoch results of a run.</summary>
public sealed class History
{
    /// <summary>Epochs in order.</summary>
    public List<EpochResult> Epochs { get; } = [];
}

/// <summary>Hooks into <see cref="Trainer.Fit"/> (Keras-style, five of them).</summary>
public interface ICallback
{
    /// <summary>Before the first epoch.</summary>
    void OnTrainBegin(Trainer trainer)
    {
    }

    /// <summary>Before each epoch.</summary>
    void OnEpochBegin(Trainer trainer, int epoch)
    {
    }

    /// <summary>After each batch, with its loss.</summary>
    void OnBatchEnd(Trainer trainer, int epoch, int batch, double loss)
    {
    }

    /// <summary>After each epoch (validation included).</summary>
    void OnEpochEnd(Trainer trainer, EpochResult result)
    {
    }

    /// <summary>After the last epoch (or an early stop).</summary>
    void OnTrainEnd(Trainer trainer)
    {
    }
}

/// <summary>
/// The training loop users would write (forward, loss, zero-grad, backward, clip, step), packaged with
/// validation, metrics and callbacks. Each batch runs in a <see cref="TensorScope"/>, so its intermediates go back
/// to the pool.
/// </summary>
public sealed class Trainer(Module model, Func<Tensor, Tensor> forward, Optimizer optimizer, Func<Tensor, Tensor, Tensor> loss)
{
    /// <summary>The model being trained.</summary>
    public Module Model { get; } = model;

    /// <summary>The optimizer.</summary>
    public Optimizer Optimizer { get; } = optimizer;

    /// <summary>Clip gradients to this joint L2 norm when set.</summary>
    public double? ClipNorm { get; init; }

    /// <summary>Set by a callback to end training after the current epoch.</summary>
    public bool StopRequested { get; set; }

    /// <summary>Epochs completed (also restored from a checkpoint).</summary>
    public int Epoch { get; set; }

    /// <summary>Trains for <paramref name="epochs"/> epochs (counting from <see cref="Epoch"/>), validating on
    /// <paramref name="validation"/> after each when given.</summary>
    public History Fit(IEnumerable<(Tensor X, Tensor Y)> train, int epochs, (Tensor X, Tensor Y)? validation = null,
        IReadOnlyList<ICallback>? callbacks = null)
    {
        callbacks ??= [];
        var history = new History();
        foreach (var c in callbacks) c.OnTrainBegin(this);
        StopRequested = false;
        while (Epoch < epochs && !StopRequested)
        {
            int epoch = Epoch + 1;
            foreach (var c in callbacks) c.OnEpochBegin(this, epoch);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            Model.Train();
            double lossSum = 0;
            long correct = 0, seen = 0;
            int batch = 0;
            foreach (var (x, y) in train)
            {
                double l = TrainStep(x, y, out long right);
                lossSum += l * x.Size(0);
                correct += right;
                seen += x.Size(0);
                foreach (var c in callbacks) c.OnBatchEnd(this, epoch, batch, l);
                batch++;
            }
            double seconds = clock.Elapsed.TotalSeconds;
            double? valLoss = null, valAcc = null;
            if (validation is var (vx, vy))
            {
                var (vl, va) = Evaluate(vx, vy);
                valLoss = vl;
                valAcc = va;
            }
            Epoch = epoch;
            var result = new EpochResult(epoch, lossSum / Math.Max(1, seen), (double)correct / Math.Max(1, seen),
                valLoss, valAcc, seconds, Optimizer.Groups[0].Lr);
            history.Epochs.Add(result);
            foreach (var c in callbacks) c.OnEpochEnd(this, result);
        }
        foreach (var c in callbacks) c.OnTrainEnd(this);
        return history;
    }

    /// <summary>One optimisation step on a batch; returns the batch loss and counts correct predictions when
    /// targets are class indices.</summary>
    public double TrainStep(Tensor x, Tensor y, out long correct)
    {
        using var scope = TensorScope.Begin();
        var output = forward(x);
        var l = loss(output, y);
        Optimizer.ZeroGrad();
        l.Backward();
        if (ClipNorm is double max) Clip.GradNorm(Model.Parameters(), max);
        Optimizer.Step();
        correct = CountCorrect(output, y);
        return l.Item();
    }

    private static long CountCorrect(Tensor output, Tensor y)
    {
        if (y.DType != DType.Int64 || output.Rank != 2) return 0;
        using var _ = Autograd.NoGrad();
        return (long)output.ArgMax(1).Eq(y).To(DType.Int64).Sum().Item();
    }

    /// <summary>Mean loss and accuracy (0 for non-classification targets) over a dataset, in evaluation mode and
    /// batches of <paramref name="batchSize"/>.</summary>
    public (double Loss, double Accuracy) Evaluate(Tensor x, Tensor y, int batchSize = 1000)
    {
        bool was = Model.Training;
        Model.Eval();
        using var _ = Autograd.NoGrad();
        double lossSum = 0;
        long correct = 0;
        int n = x.Size(0);
        for (int i = 0; i < n; i += batchSize)
        {
            using var scope = TensorScope.Begin();
            int len = Math.Min(batchSize, n - i);
            var xb = x.Narrow(0, i, len);
            var yb = y.Narrow(0, i, len);
            var output = forward(xb);
            lossSum += loss(output, yb).Item() * len;
            correct += CountCorrect(output, yb);
        }
        Model.Train(was);
        return (lossSum / Math.Max(1, n), (double)correct / Math.Max(1, n));
    }

    /// <summary>Model outputs for every row of <paramref name="x"/>, in evaluation mode.</summary>
    public Tensor Predict(Tensor x, int batchSize = 1000)
    {
        bool was = Model.Training;
        Model.Eval();
        using var _ = Autograd.NoGrad();
        var parts = new List<Tensor>();
        for (int i = 0; i < x.Size(0); i += batchSize) parts.Add(forward(x.Narrow(0, i, Math.Min(batchSize, x.Size(0) - i))));
        Model.Train(was);
        return Tensor.Cat(parts, 0);
    }
}
