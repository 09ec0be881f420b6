using System.Globalization;
using Dendrite.Nn;
using Dendrite.Nn.Optim;
using Spectre.Console;

namespace Dendrite.Training;

/// <summary>Stops when the monitored validation loss has not improved by <c>minDelta</c> for <c>patience</c>
/// epochs, and (optionally) puts back the weights of the best epoch.</summary>
public sealed class EarlyStopping(int patience = 3, double minDelta = 0, bool restoreBest = true) : ICallback
{
    private double best = double.PositiveInfinity;
    private int wait;
    private Dictionary<string, Tensor>? bestState;

    /// <summary>The epoch with the lowest validation loss.</summary>
    public int BestEpoch { get; private set; }

    /// <inheritdoc/>
    public void OnEpochEnd(Trainer trainer, EpochResult result)
    {
        double v = result.ValLoss ?? result.TrainLoss;
        if (v < best - minDelta)
        {
            best = v;
            wait = 0;
            BestEpoch = result.Epoch;
            if (restoreBest) bestState = trainer.Model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Clone());
        }
        else if (++wait >= patience)
        {
            trainer.StopRequested = true;
        }
    }

    /// <inheritdoc/>
    public void OnTrainEnd(Trainer trainer)
    {
        if (restoreBest && bestState is not null) trainer.Model.LoadStateDict(bestState);
    }
}

/// <summary>Steps a learning-rate schedule after every epoch (plateau schedules get the validation loss).</summary>
public sealed class LrScheduleCallback(LrScheduler scheduler) : ICallback
{
    /// <summary>A run resumed from a checkpoint continues the schedule at its epoch (plateau schedules keep their
    /// restored rate).</summary>
    public void OnTrainBegin(Trainer trainer)
    {
        if (scheduler is not ReduceLrOnPlateau) scheduler.Restore(trainer.Epoch);
    }

    /// <inheritdoc/>
    public void OnEpochEnd(Trainer trainer, EpochResult result)
    {
        if (scheduler is ReduceLrOnPlateau plateau) plateau.Step(result.ValLoss ?? result.TrainLoss);
        else scheduler.Step();
    }
}

/// <summary>Appends one CSV row per epoch: epoch, train_loss, train_acc, val_loss, val_acc, seconds, lr.</summary>
public sealed class CsvLogger(string path) : ICallback
{
    /// <inheritdoc/>
    public void OnTrainBegin(Trainer trainer)
    {
        if (!File.Exists(path) || trainer.Epoch == 0)
            File.WriteAllText(path, "epoch,train_loss,train_acc,val_loss,val_acc,seconds,lr\n");
    }

    /// <inheritdoc/>
    public void OnEpochEnd(Trainer trainer, EpochResult r)
    {
        string F(double? v) => v is double d ? d.ToString("R", CultureInfo.InvariantCulture) : "";
        File.AppendAllText(path, string.Join(",", r.Epoch.ToString(CultureInfo.InvariantCulture), F(r.TrainLoss),
            F(r.TrainAccuracy), F(r.ValLoss), F(r.ValAccuracy), F(r.Seconds), F(r.LearningRate)) + "\n");
    }
}

/// <summary>Saves a checkpoint every <c>everyBatches</c> batches (when positive) and at the end of every epoch;
/// with <c>bestOnly</c>, the end-of-epoch save happens only when the validation loss improved.</summary>
public sealed class Checkpoint(string path, Dendrite.Data.DataLoader train, int everyBatches = 0,
    IReadOnlyDictionary<string, string>? metadata = null, bool bestOnly = false) : ICallback
{
    private double best = double.PositiveInfinity;

    /// <inheritdoc/>
    public void OnBatchEnd(Trainer trainer, int epoch, int batch, double loss)
    {
        if (everyBatches > 0 && (batch + 1) % everyBatches == 0) trainer.SaveCheckpoint(path, train, metadata);
    }

    /// <inheritdoc/>
    public void OnEpochEnd(Trainer trainer, EpochResult result)
    {
        double v = result.ValLoss ?? result.TrainLoss;
        if (bestOnly && v >= best) return;
        best = Math.Min(best, v);
        trainer.SaveCheckpoint(path, train, metadata);
    }
}

/// <summary>Writes each epoch's losses, accuracies and learning rate as TensorBoard scalars, and a histogram of every
/// parameter, to an event file.</summary>
public sealed class TensorBoardLogger(Dendrite.IO.TensorBoardWriter writer, bool histograms = true) : ICallback
{
    /// <inheritdoc/>
    public void OnEpochEnd(Trainer trainer, EpochResult r)
    {
        writer.Scalar("loss/train", r.TrainLoss, r.Epoch);
        writer.Scalar("accuracy/train", r.TrainAccuracy, r.Epoch);
        if (r.ValLoss is double vl) writer.Scalar("loss/validation", vl, r.Epoch);
        if (r.ValAccuracy is double va) writer.Scalar("accuracy/validation", va, r.Epoch);
        writer.Scalar("learning_rate", r.LearningRate, r.Epoch);
        if (!histograms) return;
        foreach (var (name, p) in trainer.Model.NamedParameters()) writer.Histogram(name, p.ToFloatArray(), r.Epoch);
    }
}

/// <summary>Reports progress as training runs; <see cref="Trainer.Fit"/> adds one unless told
/// <c>verbose: false</c>. On a terminal it draws a live Spectre.Console bar per epoch with the running loss; when
/// the output is redirected (a file, a pipe, a CI log), or a writer is given, it writes one plain line per epoch:
/// <c>epoch 2/5: train loss 0.4312 acc 84.90% | validation loss 0.4105 acc 85.40% | 3.21 s</c>.</summary>
public sealed class ProgressPrinter(TextWriter? output = null) : ICallback
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private ProgressContext? context;
    private ProgressTask? task;
    private double lossSum;
    private int count;

    /// <summary>True when it draws live bars: no writer was given and the console is a terminal that can redraw.
    /// </summary>
    public bool Live => output is null && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    // Live bars need the training loop to run inside Spectre.Console's progress display.
    internal T RunLive<T>(Func<T> fit)
    {
        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(),
                new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                context = ctx;
                try
                {
                    result = fit();
                }
                finally
                {
                    context = null;
                }
            });
        return result;
    }

    private static string Name(Trainer trainer, int epoch) =>
        trainer.TargetEpoch > 0 ? $"epoch {epoch}/{trainer.TargetEpoch}" : $"epoch {epoch}";

    /// <inheritdoc/>
    public void OnEpochBegin(Trainer trainer, int epoch)
    {
        lossSum = 0;
        count = 0;
        task = context?.AddTask(Name(trainer, epoch), maxValue: 1);
    }

    /// <inheritdoc/>
    public void OnBatchEnd(Trainer trainer, int epoch, int batch, double loss)
    {
        lossSum += loss;
        count++;
        if (task is null || batch % 10 != 0) return;
        task.Description = $"{Name(trainer, epoch)}: loss {(lossSum / count).ToString("F3", Inv)}";
        task.Value = trainer.EpochOrder is { } order ? Math.Min(1, (double)trainer.EpochTotals.Seen / order.Length) : 0;
    }

    /// <inheritdoc/>
    public void OnEpochEnd(Trainer trainer, EpochResult r)
    {
        string validation = r.ValLoss is double vl
            ? $" | validation loss {vl.ToString("F4", Inv)} acc {r.ValAccuracy?.ToString("P2", Inv)}"
            : "";
        string line = $"{Name(trainer, r.Epoch)}: train loss {r.TrainLoss.ToString("F4", Inv)} acc " +
            $"{r.TrainAccuracy.ToString("P2", Inv)}{validation} | {r.Seconds.ToString("F2", Inv)} s";
        if (task is null)
        {
            (output ?? Console.Out).WriteLine(line);
            return;
        }
        task.Value = 1;
        task.Description = r.ValAccuracy is double va
            ? $"{Name(trainer, r.Epoch)}: loss {r.TrainLoss.ToString("F3", Inv)}, " +
                $"validation acc {va.ToString("P1", Inv)}"
            : $"{Name(trainer, r.Epoch)}: loss {r.TrainLoss.ToString("F3", Inv)}";
        task.StopTask();
    }
}
