using System.Globalization;
using Dendrite.Models;
using Dendrite.Nn;
using Dendrite.Nn.Optim;
using Dendrite.Training;

namespace Dendrite.Tests;

/// <summary>Trainer.Fit, EarlyStopping, CsvLogger and the metrics on small hand-checkable cases.</summary>
public class TrainerTests
{
    /// <summary>Three Gaussian blobs in the plane (seeded): x (n, 2), class (n).</summary>
    private static (Tensor X, Tensor Y) Blobs(int n, ulong seed)
    {
        var g = new Generator(seed);
        var labels = Tensor.Randint(0, 3, [n], g);
        float[][] centres = [[-2, 0], [2, 0], [0, 2.5f]];
        var noise = Tensor.Randn([n, 2], g, 0, 0.6).ToArray<float>();
        var y = labels.ToArray<long>();
        var x = new float[n * 2];
        for (int i = 0; i < n; i++)
        {
            x[2 * i] = centres[y[i]][0] + noise[2 * i];
            x[2 * i + 1] = centres[y[i]][1] + noise[2 * i + 1];
        }
        return (Tensor.From(x, n, 2), labels);
    }

    // Fixed-order batches, as the helper before the DataLoader-based Fit produced.
    private static Dendrite.Data.DataLoader Batches(Tensor x, Tensor y, int size) => new(x, y, size);

    private static (Mlp Model, Trainer Trainer) Make(double lr)
    {
        var mlp = new Mlp(new MlpConfig(2, [16], 3));
        var g = new Generator(5);
        mlp.LoadStateDict(mlp.StateDict().ToDictionary(kv => kv.Key,
            kv => Tensor.Rand(kv.Value.Shape, g, -0.5, 0.5)));
        return (mlp, new Trainer(mlp, new Adam(mlp.Parameters(), lr: lr), Losses.CrossEntropy));
    }

    [Fact]
    public void Fit_ReducesLossOnBlobs()
    {
        var (x, y) = Blobs(240, 1);
        var (vx, vy) = Blobs(90, 2);
        var (_, trainer) = Make(0.02);
        var history = trainer.Fit(Batches(x, y, 32), epochs: 15, validation: (vx, vy));
        Assert.Equal(15, history.Epochs.Count);
        var a = history.Epochs[0];
        var b = history.Epochs[^1];
        Assert.True(b.TrainLoss < 0.5 * a.TrainLoss, $"train loss {a.TrainLoss} → {b.TrainLoss}");
        Assert.True(b.ValAccuracy > 0.9, $"validation accuracy {b.ValAccuracy}");
        Assert.True(b.TrainAccuracy > 0.9, $"train accuracy {b.TrainAccuracy}");
        Assert.Equal(15, trainer.Epoch);
        var (_, acc) = trainer.Evaluate(vx, vy, batchSize: 7);
        Assert.Equal(b.ValAccuracy!.Value, acc, 12);
        Assert.Equal([90, 3], trainer.Predict(vx).Shape.ToArray());
    }

    [Fact]
    public void EarlyStopping_StopsAfterPatienceAndRestoresBest()
    {
        var (mlp, trainer) = Make(0.01);
        var stop = new EarlyStopping(patience: 2);
        EpochResult R(int epoch, double val) => new(epoch, 1, 0, val, 0, 0, 0.01);
        stop.OnEpochEnd(trainer, R(1, 0.9));
        stop.OnEpochEnd(trainer, R(2, 0.5));
        var best = mlp.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray<float>());
        foreach (var p in mlp.Parameters()) p.MulInPlace(3); // "training" moves the weights
        stop.OnEpochEnd(trainer, R(3, 0.6));
        Assert.False(trainer.StopRequested);
        stop.OnEpochEnd(trainer, R(4, 0.7));
        Assert.True(trainer.StopRequested);
        Assert.Equal(2, stop.BestEpoch);
        stop.OnTrainEnd(trainer);
        foreach (var (name, t) in mlp.StateDict()) Assert.Equal(best[name], t.ToArray<float>());
    }

    [Fact]
    public void EarlyStopping_EndsFitEarly()
    {
        var (x, y) = Blobs(60, 3);
        var (_, trainer) = Make(0.01);
        // no epoch can beat the first by minDelta = 10, so Fit ends after 1 + patience epochs
        var noise = Tensor.Randint(0, 3, [60], new Generator(9));
        var stop = new EarlyStopping(patience: 1, minDelta: 10);
        var history = trainer.Fit(Batches(x, y, 20), epochs: 50, validation: (x, noise), callbacks: [stop]);
        Assert.Equal(2, history.Epochs.Count); // epoch 1 sets the best, epoch 2 fails to beat it by 10
        Assert.Equal(1, stop.BestEpoch);
    }

    [Fact]
    public void CsvLogger_WritesHeaderAndOneRowPerEpoch()
    {
        var (x, y) = Blobs(40, 4);
        var (_, trainer) = Make(0.01);
        string path = Path.Combine(Path.GetTempPath(), $"dendrite-csv-{Guid.NewGuid():N}.csv");
        try
        {
            var history = trainer.Fit(Batches(x, y, 16), epochs: 3, validation: (x, y),
                callbacks: [new CsvLogger(path)]);
            var lines = File.ReadAllLines(path);
            Assert.Equal("epoch,train_loss,train_acc,val_loss,val_acc,seconds,lr", lines[0]);
            Assert.Equal(4, lines.Length);
            for (int e = 1; e <= 3; e++)
            {
                var cells = lines[e].Split(',');
                Assert.Equal(7, cells.Length);
                Assert.Equal(e.ToString(CultureInfo.InvariantCulture), cells[0]);
                Assert.Equal(history.Epochs[e - 1].TrainLoss, double.Parse(cells[1], CultureInfo.InvariantCulture));
                Assert.Equal(0.01, double.Parse(cells[6], CultureInfo.InvariantCulture));
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void LrScheduleCallback_StepsOncePerEpoch()
    {
        var (x, y) = Blobs(20, 6);
        var (_, trainer) = Make(0.1);
        var sched = new StepLr(trainer.Optimizer, stepSize: 1, gamma: 0.5);
        var history = trainer.Fit(Batches(x, y, 10), epochs: 3, callbacks: [new LrScheduleCallback(sched)]);
        Assert.Equal(0.1, history.Epochs[0].LearningRate, 12); // rate used during epoch 1
        Assert.Equal(0.0125, trainer.Optimizer.Groups[0].Lr, 12);
    }

    // scores and labels of the metric cases: predictions (argmax) are 1, 0, 2, 1
    private static readonly Tensor Scores = Tensor.From(new float[]
    {
        0.1f, 0.7f, 0.2f,
        0.5f, 0.3f, 0.2f,
        0.2f, 0.2f, 0.6f,
        0.3f, 0.4f, 0.3f,
    }, 4, 3);

    private static readonly Tensor Truth = Tensor.From(new long[] { 1, 1, 2, 0 });

    [Fact]
    public void Metrics_AccuracyAndTopK()
    {
        Assert.Equal(0.5, Metrics.Accuracy(Scores, Truth));
        Assert.Equal(1.0, Metrics.TopK(Scores, Truth, 2)); // row 4: label 0 ties with class 2 for second place
        Assert.Equal(1.0, Metrics.TopK(Scores, Truth, 3));
        Assert.Throws<ArgumentException>(() => Metrics.TopK(Scores, Tensor.From(new long[] { 1, 2 }), 1));
    }

    [Fact]
    public void Metrics_ConfusionPrecisionRecallF1()
    {
        var m = Metrics.ConfusionMatrix(Scores.ArgMax(1), Truth, 3);
        long[,] expected = { { 0, 1, 0 }, { 1, 1, 0 }, { 0, 0, 1 } };
        Assert.Equal(expected, m);
        var (p, r, f, macro) = Metrics.PrecisionRecallF1(m);
        Assert.Equal([0, 0.5, 1], p);
        Assert.Equal([0, 0.5, 1], r);
        Assert.Equal([0, 0.5, 1], f);
        Assert.Equal(0.5, macro, 12);
    }

    [Fact]
    public void Metrics_Regression()
    {
        var a = Tensor.From(new float[] { 1, 2, 3, 4 });
        var b = Tensor.From(new float[] { 1, 4, 3, 0 });
        Assert.Equal(1.5, Metrics.Mae(a, b), 6);
        Assert.Equal(Math.Sqrt(5), Metrics.Rmse(a, b), 6);
    }
}
