using Dendrite.Data;
using Dendrite.Models.Generative;
using Dendrite.Nn;
using Dendrite.Nn.Optim;
using Dendrite.Training;

namespace Dendrite.Tests;

/// <summary>The GAN models' shapes and training step, and the adversarial loop's grids and exact resume.</summary>
public class GanTests
{
    private static Gan Small(GanKind kind)
    {
        Generator.ManualSeed(5);
        return new Gan(new GanConfig(kind, LatentSize: 6, Classes: 3, Hidden: 8));
    }

    [Theory]
    [InlineData(GanKind.Vanilla)]
    [InlineData(GanKind.Conditional)]
    [InlineData(GanKind.Dcgan)]
    public void Gan_ShapesAndRange(GanKind kind)
    {
        var gan = Small(kind);
        var labels = gan.Conditional ? Gan.CyclingLabels(5, 3) : null;
        var images = gan.G.Forward(Tensor.Randn([5, 6], new Generator(1)), labels);
        Assert.Equal([5, 1, 28, 28], images.Shape.ToArray());
        var v = images.ToArray<float>();
        Assert.All(v, p => Assert.InRange(p, -1f, 1f));
        Assert.Equal([5], gan.D.Forward(images, labels).Shape.ToArray());
    }

    [Fact]
    public void Dcgan_HasTheReferenceParameterCounts()
    {
        // shared/reference/dcgan.py reports params_g and params_d; these are torch's counts for those layers
        // (ConvTranspose2d(100,256,7) 1,254,400 + BN 512 + ConvT(256,128,4) 524,288 + BN 256 + ConvT(128,1,4) 2,048;
        // Conv2d(1,64,4) 1,024 + Conv2d(64,128,4) 131,072 + BN 256 + Conv2d(128,1,7) 6,272).
        Generator.ManualSeed(0);
        var gan = new Gan(new GanConfig(GanKind.Dcgan));
        Assert.Equal(1_781_504, gan.G.Parameters().Sum(p => (long)p.Numel));
        Assert.Equal(138_624, gan.D.Parameters().Sum(p => (long)p.Numel));
    }

    [Fact]
    public void Gan_ConditionalNeedsLabelsAndUnconditionalRefusesThem()
    {
        var cgan = Small(GanKind.Conditional);
        var e = Assert.Throws<ArgumentException>(() => cgan.G.Forward(Tensor.Zeros(2, 6), null));
        Assert.Contains("MlpGenerator", e.Message);
        var gan = Small(GanKind.Dcgan);
        var classes = Tensor.Zeros(DType.Int64, 2);
        e = Assert.Throws<ArgumentException>(() => gan.D.Forward(Tensor.Zeros(2, 1, 28, 28), classes));
        Assert.Contains("not conditional", e.Message);
    }

    [Theory]
    [InlineData(GanKind.Vanilla)]
    [InlineData(GanKind.Conditional)]
    public void TrainStep_GeneratorGradientIsThatOfItsOwnLoss(GanKind kind)
    {
        // With learning rate 0 nothing moves, so the gradients left after the step can be recomputed by hand: G's come
        // from the non-saturating loss alone (the discriminator's loss saw G(z) detached).
        var gan = Small(kind);
        var real = Tensor.Rand([4, 1, 28, 28], new Generator(2)) * 2 - 1;
        var labels = gan.Conditional ? Gan.CyclingLabels(4, 3) : null;
        var (lossD, lossG) = gan.TrainStep(new Sgd(gan.G.Parameters(), lr: 0), new Sgd(gan.D.Parameters(), lr: 0),
            real, labels, new Generator(9));
        var stepGrads = gan.G.Parameters().Select(p => p.Grad!.ToArray<float>()).ToList();

        foreach (var p in gan.Parameters()) p.Grad = null;
        var z = Tensor.Randn([4, 6], new Generator(9));
        var fake = gan.G.Forward(z, labels);
        double expectedD = Losses.GanDiscriminatorLoss(gan.D.Forward(real, labels), gan.D.Forward(fake, labels)).Item();
        var g = Losses.GanGeneratorLoss(gan.D.Forward(fake, labels));
        g.Backward();
        Assert.Equal(expectedD, lossD, 6);
        Assert.Equal(g.Item(), lossG, 6);
        var handGrads = gan.G.Parameters().Select(p => p.Grad!.ToArray<float>()).ToList();
        for (int i = 0; i < handGrads.Count; i++) Assert.Equal(handGrads[i], stepGrads[i]);
    }

    private static (Gan Gan, AdversarialTrainer Trainer, DataLoader Loader) Make(Tensor x, Tensor y, string? folder,
        string? checkpoint)
    {
        var gan = Small(GanKind.Conditional);
        var (optG, optD) = gan.Optimizers(lr: 1e-3);
        var fixedZ = Tensor.Randn([6, 6], new Generator(77));
        var trainer = new AdversarialTrainer(gan.G, gan.D, optG, optD, new Generator(8))
        {
            Sampler = () => gan.Sample(fixedZ, Gan.CyclingLabels(6, 3)),
            GridFolder = folder,
            CheckpointPath = checkpoint,
            Metadata = new Dictionary<string, string> { ["generator"] = "cgan" },
        };
        var loader = new DataLoader(x, y, 8, shuffle: true, generator: new Generator(4));
        return (gan, trainer, loader);
    }

    private static (Tensor X, Tensor Y) Data()
    {
        var g = new Generator(21);
        return (Tensor.Rand([24, 1, 28, 28], g) * 2 - 1, Tensor.Randint(0, 3, [24], g));
    }

    private static AdversarialLosses Step(Gan gan, AdversarialTrainer t, Tensor x, Tensor y)
    {
        var (d, g) = gan.TrainStep(t.GeneratorOptimizer, t.DiscriminatorOptimizer, x, y, t.Noise, labelSmoothing: 0.1);
        return new AdversarialLosses(d, g);
    }

    [Fact]
    public void AdversarialTrainer_ResumedRunEqualsUninterruptedRun()
    {
        var (x, y) = Data();
        var dir = Path.Combine(Path.GetTempPath(), $"gan-{Guid.NewGuid():N}");
        try
        {
            var (reference, refTrainer, refLoader) = Make(x, y, Path.Combine(dir, "grids"), null);
            var history = refTrainer.Fit(refLoader, (a, b) => Step(reference, refTrainer, a, b), untilEpoch: 3);
            Assert.Equal(3, history.Count);
            Assert.All(history, h => Assert.True(File.Exists(h.Grid), $"grid {h.Grid}"));

            var path = Path.Combine(dir, "gan.safetensors");
            var (first, t1, l1) = Make(x, y, null, path);
            t1.Fit(l1, (a, b) => Step(first, t1, a, b), untilEpoch: 1);

            Generator.ManualSeed(999);
            var (resumed, t2, l2) = Make(x, y, null, null);
            Generator.ManualSeed(4242);
            var meta = t2.LoadCheckpoint(path, l2);
            Assert.Equal("cgan", meta["generator"]);
            Assert.Equal(1, t2.Epoch);
            t2.Fit(l2, (a, b) => Step(resumed, t2, a, b), untilEpoch: 3);

            var want = reference.StateDict();
            foreach (var (k, v) in resumed.StateDict()) Assert.Equal(want[k].ToArray<float>(), v.ToArray<float>());
            var wantD = refTrainer.DiscriminatorOptimizer.StateDict();
            foreach (var (k, v) in t2.DiscriminatorOptimizer.StateDict())
                Assert.Equal(wantD[k].ToArray<double>(), v.ToArray<double>());
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void AdversarialTrainer_BadCheckpointChangesNothing()
    {
        var (x, y) = Data();
        var dir = Path.Combine(Path.GetTempPath(), $"gan-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            var path = Path.Combine(dir, "gan.safetensors");
            var (gan, t, loader) = Make(x, y, null, null);
            t.SaveCheckpoint(path, loader);
            var (tensors, meta) = Dendrite.IO.Safetensors.Load(path);
            tensors.Remove("optim_d.state.0.exp_avg");
            tensors["generator.Layers.0.Weight"] = Tensor.Zeros(3, 3);
            Dendrite.IO.Safetensors.Save(path, tensors, meta);

            var (other, t2, l2) = Make(x, y, null, null);
            using (Autograd.NoGrad())
                foreach (var p in other.G.Parameters()) p.Fill(0.5);
            var before = other.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray<float>());
            var e = Assert.ThrowsAny<Exception>(() => t2.LoadCheckpoint(path, l2));
            Assert.Contains(path, e.Message);
            foreach (var (k, v) in other.StateDict()) Assert.Equal(before[k], v.ToArray<float>());
            Assert.Equal(0, t2.Epoch);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
