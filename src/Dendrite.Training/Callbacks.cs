using System.Globalization;
using Dendrite.Nn;
using Dendrite.Nn.Optim;

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
