using System.Diagnostics;
using Dendrite.Data;
using Dendrite.Nn;
using Dendrite.Nn.Optim;
using Dendrite.Training;

namespace Dendrite.IO.Tests;

/// <summary>Checkpoints that are well-formed safetensors but hold training state no run could have written
/// (issue 19): each is rejected whole, naming file and field, before anything changes.</summary>
public sealed class CheckpointUntrustedTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("dendrite-ckpt-bad-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static (Trainer Trainer, Linear Model, DataLoader Data) Setup(int seed)
    {
        Generator.ManualSeed((ulong)seed);
        var model = new Linear(3, 2);
        var trainer = new Trainer(model, new Adam(model.Parameters(), 0.01), Losses.CrossEntropy);
        var gen = new Generator(1);
        var x = Tensor.Randn([8, 3], gen);
        var y = Tensor.Randint(0, 2, [8], gen);
        return (trainer, model, new DataLoader(x, y, 4, shuffle: true, generator: new Generator(2)));
    }

    private (Dictionary<string, Tensor> Saved, Dictionary<string, string> Meta) Saved()
    {
        var (trainer, _, data) = Setup(5);
        trainer.Fit(data, epochs: 1);
        string path = Path.Combine(dir, "ckpt.safetensors");
        trainer.SaveCheckpoint(path, data);
        return Safetensors.Load(path);
    }

    private static Dictionary<string, float[]> Weights(Module m) =>
        m.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray<float>());

    private void Rejects(Action<Dictionary<string, Tensor>> edit, params string[] parts)
    {
        var (saved, meta) = Saved();
        var d = new Dictionary<string, Tensor>(saved);
        edit(d);
        string path = Path.Combine(dir, "bad.safetensors");
        Safetensors.Save(path, d, meta);
        var (trainer, model, data) = Setup(9);
        var before = Weights(model);
        var rngBefore = Generator.Default.GetState();
        var loaderBefore = data.Generator.GetState();
        var e = Assert.Throws<SafetensorsFormatException>(() => trainer.LoadCheckpoint(path, data));
        Assert.Contains(path, e.Message);
        foreach (var p in parts) Assert.Contains(p, e.Message);
        Assert.Equal(before, Weights(model));
        Assert.Equal(rngBefore, Generator.Default.GetState());
        Assert.Equal(loaderBefore, data.Generator.GetState());
        Assert.Equal(0, trainer.Epoch);
    }

    [Fact]
    public void AllZeroGeneratorStateIsRejectedInsteadOfHangingTheNextFit()
    {
        Rejects(d => d["rng.loader"] = Tensor.Zeros(DType.Int64, 5), "rng.loader", "all zero");
        Rejects(d => d["rng.default"] = Tensor.Zeros(DType.Int64, 5), "rng.default", "all zero");
        Assert.Throws<ArgumentException>(() => new Generator(1).SetState(new ulong[5]));
    }

    [Fact]
    public void OrderMustBeAPermutationOfTheData()
    {
        Rejects(d => d["trainer.order"] = Tensor.Arange(0, 1_000_000, 1, DType.Int64), "trainer.order", "8 INT64");
        Rejects(d => d["trainer.order"] = Tensor.From(new long[] { 0, 1, 2, 3, 4, 5, 6, 6 }, 8), "trainer.order",
            "index 6 at position 7");
        Rejects(d => d["trainer.order"] = Tensor.From(new long[] { 0, 1, 2, 3, 4, 5, 6, 8 }, 8), "trainer.order");
    }

    [Fact]
    public void CountersAndTotalsMustBeInRange()
    {
        Rejects(d => d["trainer.epoch"] = Tensor.Scalar(double.NaN), "trainer.epoch", "INT64");
        Rejects(d => d["trainer.batch"] = Tensor.Scalar(1000, DType.Int64), "trainer.batch", "past the 2 batches");
        Rejects(d => d["trainer.totals"] = Tensor.From(new[] { 1.0, 1e300, 1e300 }), "trainer.totals", "examples seen");
        Rejects(d => d["trainer.totals"] = Tensor.From(new[] { double.NaN, 0, 0 }), "trainer.totals", "loss sum");
        Rejects(d => d["trainer.totals"] = Tensor.From(new[] { 1.0, 5, 4 }), "trainer.totals", "correct count");
    }

    [Fact]
    public void LearningRatesWeightsAndDTypesAreChecked()
    {
        Rejects(d => d["optim.group.0.lr"] = Tensor.Scalar(-1e30, DType.Float64), "optim.group.0.lr");
        Rejects(d => d["model.weight"] = Tensor.Full(float.NaN, DType.Float32, [2, 3]), "model.weight", "NaN");
        Rejects(d => d["model.weight"] = Tensor.Zeros(DType.Bool, 2, 3), "model.weight", "Bool");
    }

    [Fact]
    public void NonFiniteWeightsLoadWhenAllowed()
    {
        var (saved, meta) = Saved();
        saved["model.weight"] = Tensor.Full(float.NaN, DType.Float32, [2, 3]);
        string path = Path.Combine(dir, "nan.safetensors");
        Safetensors.Save(path, saved, meta);
        var (trainer, model, data) = Setup(9);
        trainer.LoadCheckpoint(path, data, allowNonFinite: true);
        Assert.True(float.IsNaN(model.Weight.ToArray<float>()[0]));
    }

    [Fact]
    public void ValidCheckpointStillResumesQuickly()
    {
        var (saved, meta) = Saved();
        string path = Path.Combine(dir, "ok.safetensors");
        Safetensors.Save(path, saved, meta);
        var (trainer, _, data) = Setup(9);
        trainer.LoadCheckpoint(path, data);
        var watch = Stopwatch.StartNew();
        trainer.Fit(data, epochs: 2);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10));
    }
}
