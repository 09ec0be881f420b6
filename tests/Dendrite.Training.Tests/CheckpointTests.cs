using Dendrite.Data;
using Dendrite.Nn;
using Dendrite.Nn.Optim;
using Dendrite.Training;

namespace Dendrite.IO.Tests;

public sealed class CheckpointTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("dendrite-ckpt-").FullName;

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

    private static Dictionary<string, float[]> Weights(Module m) =>
        m.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray<float>());

    private string SavedCheckpoint()
    {
        var (trainer, _, data) = Setup(5);
        trainer.Fit(data, epochs: 1);
        string path = Path.Combine(dir, "ckpt.safetensors");
        trainer.SaveCheckpoint(path, data);
        return path;
    }

    [Fact]
    public void LoadCheckpoint_RestoresWeights()
    {
        string path = SavedCheckpoint();
        var saved = Safetensors.Load(path).Tensors;
        var (trainer, model, data) = Setup(6);
        trainer.LoadCheckpoint(path, data);
        foreach (var (k, v) in Weights(model)) Assert.Equal(saved["model." + k].ToArray<float>(), v);
    }

    [Fact]
    public void LoadCheckpoint_TruncatedOrGarbageLeavesWeightsUnchanged()
    {
        var bytes = File.ReadAllBytes(SavedCheckpoint());
        var (trainer, model, data) = Setup(7);
        var before = Weights(model);
        string bad = Path.Combine(dir, "bad.safetensors");
        var gen = new Random(1);
        var garbage = new byte[bytes.Length];
        gen.NextBytes(garbage);
        foreach (var content in new[] { bytes[..(bytes.Length / 2)], bytes[..^1], garbage, bytes[..7] })
        {
            File.WriteAllBytes(bad, content);
            var e = Assert.Throws<SafetensorsFormatException>(() => trainer.LoadCheckpoint(bad, data));
            Assert.Contains(bad, e.Message);
            Assert.Equal(before, Weights(model));
        }
    }

    [Fact]
    public void LoadCheckpoint_WellFormedButWrongContentLeavesWeightsUnchanged()
    {
        var (saved, meta) = Safetensors.Load(SavedCheckpoint());
        var (trainer, model, data) = Setup(8);
        var before = Weights(model);
        string path = Path.Combine(dir, "wrong.safetensors");
        void Expect<TException>(Action<Dictionary<string, Tensor>> edit, string fragment) where TException : Exception
        {
            var d = new Dictionary<string, Tensor>(saved);
            edit(d);
            Safetensors.Save(path, d, meta);
            var e = Assert.Throws<TException>(() => trainer.LoadCheckpoint(path, data));
            Assert.Contains(fragment, e.Message);
            Assert.Equal(before, Weights(model));
        }
        // The weight is loaded before the bias would fail: the weight must be rolled back.
        Expect<SafetensorsFormatException>(d => d["model.bias"] = Tensor.Zeros(5), "'bias' has shape [2]");
        Expect<SafetensorsFormatException>(d => d.Remove("rng.loader"), "rng.loader: checkpoint has no such tensor");
        Expect<SafetensorsFormatException>(d => d["trainer.totals"] = Tensor.Zeros(DType.Float64, 2),
            "3 floating values");
        Expect<SafetensorsFormatException>(d => d["rng.default"] = Tensor.Zeros(DType.Int64, 4), "5 INT64 words");
        Expect<SafetensorsFormatException>(d => d["optim.state.0.exp_avg"] = Tensor.Zeros(1), "optimizer state");
    }
}
