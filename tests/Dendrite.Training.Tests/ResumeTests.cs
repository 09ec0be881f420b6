using Dendrite.Data;
using Dendrite.Data.Transforms;
using Dendrite.Models;
using Dendrite.Nn;
using Dendrite.Nn.Optim;
using Dendrite.Training;

namespace Dendrite.Tests;

public class ResumeTests
{
    private static (Tensor X, Tensor Y) Data()
    {
        var g = new Generator(11);
        var x = Tensor.Randn([120, 6], g);
        var y = x.Narrow(1, 0, 3).ArgMax(1);
        return (x, y);
    }

    // A small model with dropout, so the default generator's state matters too.
    private static (Mlp Model, Trainer Trainer, DataLoader Loader) Make(Tensor x, Tensor y)
    {
        Generator.ManualSeed(3);
        var model = new Mlp(new MlpConfig(6, [16], 3, Dropout: 0.2));
        var trainer = new Trainer(model, model.Forward, new Adam(model.Parameters(), lr: 0.01),
            (o, t) => Losses.CrossEntropy(o, t));
        var loader = new DataLoader(x, y, 16, shuffle: true, generator: new Generator(4));
        return (model, trainer, loader);
    }

    private sealed class StopAfter(int batches) : ICallback
    {
        private int seen;

        public void OnBatchEnd(Trainer trainer, int epoch, int batch, double loss)
        {
            if (++seen == batches) throw new OperationCanceledException("simulated crash");
        }
    }

    [Fact]
    public void KilledMidEpochAndResumed_EqualsUninterruptedRun()
    {
        var (x, y) = Data();
        var (reference, refTrainer, refLoader) = Make(x, y);
        refTrainer.Fit(refLoader, epochs: 3);

        var path = Path.Combine(Path.GetTempPath(), $"resume-{Guid.NewGuid():N}.safetensors");
        try
        {
            // Run 1: checkpoint every 3 batches, crash in the middle of epoch 2 (8 batches per epoch).
            var (_, t1, l1) = Make(x, y);
            Assert.Throws<OperationCanceledException>(() =>
                t1.Fit(l1, epochs: 3, callbacks: [new Checkpoint(path, l1, everyBatches: 3), new StopAfter(13)]));

            // Run 2: a fresh process would rebuild everything from a different seed, then load the checkpoint.
            Generator.ManualSeed(999);
            var (resumed, t2, l2) = Make(x, y);
            Generator.ManualSeed(12345);
            t2.LoadCheckpoint(path, l2);
            Assert.Equal(1, t2.Epoch);
            Assert.Equal(3, t2.BatchInEpoch); // last save: after the 3rd batch of epoch 2 (11th overall)
            t2.Fit(l2, untilEpoch: 3);

            foreach (var (name, p) in reference.NamedParameters())
            {
                var q = resumed.StateDict()[name];
                Assert.Equal(p.ToFloatArray(), q.ToFloatArray());
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Augmented_KilledMidEpochAndResumed_EqualsUninterruptedRun()
    {
        // Images (N, 1, 4, 4) through random crops and flips: the augmentation's generator is part of the checkpoint.
        var (flat, y) = Data();
        var x = Tensor.Cat([flat, flat.Narrow(1, 0, 4), flat], 1).Reshape(120, 1, 4, 4);
        (Mlp, Trainer, DataLoader) MakeAugmented()
        {
            Generator.ManualSeed(3);
            var model = new Mlp(new MlpConfig(16, [16], 3));
            var trainer = new Trainer(model, t => model.Forward(t.Flatten(1)),
                new Momentum(model.Parameters(), lr: 0.05, weightDecay: 1e-3), (o, t) => Losses.CrossEntropy(o, t));
            var loader = new DataLoader(x, y, 16, shuffle: true, generator: new Generator(4))
            {
                Transform = AugmentSpec.Parse("crop:1,flip"),
                TransformGenerator = new Generator(5),
            };
            return (model, trainer, loader);
        }
        var (reference, refTrainer, refLoader) = MakeAugmented();
        refTrainer.Fit(refLoader, epochs: 2, verbose: false);
        var path = Path.Combine(Path.GetTempPath(), $"resume-aug-{Guid.NewGuid():N}.safetensors");
        try
        {
            var (_, t1, l1) = MakeAugmented();
            Assert.Throws<OperationCanceledException>(() => t1.Fit(l1, epochs: 2, verbose: false,
                callbacks: [new Checkpoint(path, l1, everyBatches: 3), new StopAfter(13)]));
            Assert.True(Dendrite.IO.Safetensors.Load(path).Tensors.ContainsKey("rng.transform"));
            var (resumed, t2, l2) = MakeAugmented();
            t2.LoadCheckpoint(path, l2);
            t2.Fit(l2, untilEpoch: 2, verbose: false);
            foreach (var (name, p) in reference.NamedParameters())
                Assert.Equal(p.ToFloatArray(), resumed.StateDict()[name].ToFloatArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void SameSeed_GivesBitIdenticalWeights()
    {
        var (x, y) = Data();
        var (a, ta, la) = Make(x, y);
        ta.Fit(la, epochs: 2);
        var (b, tb, lb) = Make(x, y);
        tb.Fit(lb, epochs: 2);
        foreach (var (name, p) in a.NamedParameters()) Assert.Equal(p.ToFloatArray(), b.StateDict()[name].ToFloatArray());
    }

    [Fact]
    public void OptimizerLoadStateDict_BadEntryLeavesStateUnchanged()
    {
        var (x, y) = Data();
        var (_, trainer, loader) = Make(x, y);
        trainer.Fit(loader, epochs: 1);
        var before = trainer.Optimizer.StateDict();
        var bad = new Dictionary<string, Tensor>(before) { ["state.0.exp_avg"] = Tensor.Zeros(3) };
        var e = Assert.Throws<ArgumentException>(() => trainer.Optimizer.LoadStateDict(bad));
        Assert.Contains("'state.0.exp_avg' has 3 values", e.Message);
        var after = trainer.Optimizer.StateDict();
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        foreach (var (k, v) in before) Assert.Equal(v.ToArray<double>(), after[k].ToArray<double>());
    }
}
