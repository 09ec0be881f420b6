using System.Diagnostics;
using Dendrite.Data;
using Dendrite.Data.Transforms;
using Dendrite.IO;
using Dendrite.Models;
using Dendrite.Nn;
using Dendrite.Nn.Optim;

namespace Dendrite.Experiments.Convolutional;

/// <summary>Data augmentation on a small training set: the same CNN with and without random flips, affine maps and
/// erasing, and what the augmentation costs per batch next to a training step.</summary>
public sealed class Augmentation : Experiment
{
    /// <inheritdoc/>
    public override string Name => "augmentation";

    /// <inheritdoc/>
    public override string Topic => "augmentation";

    /// <inheritdoc/>
    public override string Summary => "a CNN on 600 Fashion-MNIST images with and without augmentation; its cost";

    /// <inheritdoc/>
    public override string Claim => """
        Augmentation enlarges a small training set with label-preserving changes (flips, small rotations, shifts,
        zooms, shears, occlusions), drawn afresh at every epoch: the network cannot memorise the exact pixels, so it
        over-fits less and generalises better (Simard et al., 2003; Krizhevsky et al., 2012). Done on the fly, on the
        loader's background thread, it costs little next to the training step.
        """;

    /// <summary>The augmentation of the experiment (and of <c>dendrite augment</c>'s last column).</summary>
    public static ITransform Pipeline() => new Compose(
        new HorizontalFlip(),
        new RandomAffine { Degrees = 10, Translate = (0.1, 0.1), Scale = (0.9, 1.1), Shear = (5, 0) },
        new RandomErasing { Probability = 0.25, Scale = (0.02, 0.15) });

    /// <inheritdoc/>
    public override void Run(ExperimentContext context)
    {
        int trainCount = context.Choose(600, 128), valCount = context.Choose(1_000, 100);
        int testCount = context.Choose(5_000, 100), epochs = context.Choose(25, 1);
        var (x, y) = ConvData.Fashion("train", trainCount, context.NewGenerator());
        ulong split = context.NewGenerator().NextUInt64();
        var (vx, vy) = ConvData.Fashion("t10k", valCount, new Generator(split));
        var (tx, ty) = ConvData.Fashion("t10k", testCount, new Generator(split));
        context.Setup($"{x.Size(0):N0} Fashion-MNIST training images (pixels in [0, 1]); validation curves on " +
            $"{vx.Size(0):N0} test images, final accuracy on {tx.Size(0):N0} ({ConvData.Source}).");
        context.Setup("Augmentation, drawn per image and per epoch on the loader's background thread: horizontal " +
            "flip " +
            "(p 0.5); one random affine map (rotation ±10°, shift ±10 %, zoom 0.9–1.1, shear ±5°, bilinear, fill 0); " +
            "random erasing (p 0.25, 2–15 % of the image).");
        context.Setup("The small CNN (3×3 convolutions of 16 and 32 channels, ReLU, 2×2 max pooling, dense 1568 " +
            "→ 128 " +
            $"→ 10), Adam (lr 1e-3), batches of 32, {epochs} epochs; the same initial weights and batch order.");
        Examples(context, x);

        var table = context.Table("augmentation", "Accuracy with and without augmentation",
            "augmentation", "train accuracy", "test accuracy", "gap", "final validation loss", "seconds");
        var curves = new List<Series>();
        foreach (bool augment in new[] { false, true })
        {
            Generator.ManualSeed((ulong)context.Seed);
            var model = SmallCnn.Build();
            var (history, seconds) = ConvData.Train(model, new Adam(model.Parameters(), lr: 1e-3), x, y, epochs, 32,
                (ulong)context.Seed + 13, validation: (vx, vy), transform: augment ? Pipeline() : null);
            var (_, trainAcc) = ConvData.Evaluate(model, x, y);
            var (_, testAcc) = ConvData.Evaluate(model, tx, ty);
            string name = augment ? "flip + affine + erasing" : "none";
            table.Add(name, trainAcc, testAcc, trainAcc - testAcc, history.Epochs[^1].ValLoss!.Value, seconds);
            curves.Add(Series.PerEpoch(name, [.. history.Epochs.Select(e => e.ValAccuracy!.Value)]));
            context.Log($"augmentation {name}: train {trainAcc:P1}, test {testAcc:P1}, {seconds:F1} s");
        }
        Plots.Line(context.Figure("validation-accuracy", "Validation accuracy per epoch, with and without " +
            "augmentation"), curves, new LineOptions
            {
                Title = "Augmentation",
                XLabel = "epoch",
                YLabel = "validation accuracy",
                IntegerX = true,
            });
        foreach (var row in table.Rows)
        {
            context.Finding($"Augmentation {row[0]}: train accuracy {(double)row[1]:P1}, test {(double)row[2]:P1} " +
                $"(gap {(double)row[3]:P1}).");
        }
        Cost(context);
    }

    // Eight training images, each with six random draws of the pipeline.
    private static void Examples(ExperimentContext context, Tensor x)
    {
        int n = Math.Min(8, x.Size(0)), draws = 6;
        var originals = x.Narrow(0, 0, n);
        var g = context.NewGenerator();
        var tiles = new List<Tensor>();
        var pipeline = Pipeline();
        var columns = new[] { originals }.Concat(Enumerable.Range(0, draws).Select(_ => pipeline.Apply(originals, g)))
            .ToList();
        for (int i = 0; i < n; i++)
        {
            foreach (var c in columns) tiles.Add(c.Narrow(0, i, 1));
        }
        Plots.ImageGrid(context.Figure("examples", "Each row: a training image, then six draws of the augmentation"),
            Tensor.Cat(tiles, 0),
            new ImageGridOptions { Columns = draws + 1, Normalization = ImageNormalization.Global });
    }

    // Epoch time of LeNet-5 with and without the augmentation, and the transform's cost per batch on its own.
    private static void Cost(ExperimentContext context)
    {
        int count = context.Choose(3_000, 128), batch = 64;
        var (x, y) = ConvData.Fashion("train", count, context.NewGenerator());
        var cost = context.Table("cost", $"What augmentation costs: LeNet-5 (modern), one epoch of {x.Size(0):N0} " +
            $"images in batches of {batch}, on {Threading.Count} thread(s)",
            "augmentation", "epoch seconds", "ms per training step", "ms per batch for the transform alone");
        var pipeline = Pipeline();
        double transformMs = TransformMs(pipeline, x, batch, context.NewGenerator());
        foreach (bool augment in new[] { false, true })
        {
            Generator.ManualSeed((ulong)context.Seed);
            var model = LeNet.Modern();
            var opt = new Momentum(model.Parameters(), 0.01, 0.9);
            // A first epoch warms the kernels and the pools; the second is timed.
            ConvData.Train(model, opt, x, y, 1, batch, 1, transform: augment ? pipeline : null);
            var (_, seconds) = ConvData.Train(model, opt, x, y, 1, batch, 2, transform: augment ? pipeline : null);
            int batches = (x.Size(0) + batch - 1) / batch;
            cost.Add(augment ? "flip + affine + erasing (prefetched)" : "none", seconds, 1000 * seconds / batches,
                augment ? transformMs : 0.0);
        }
        double plain = (double)cost.Rows[0][1], augmented = (double)cost.Rows[1][1];
        context.Finding($"Cost: the augmentation takes {transformMs:F2} ms per batch of {batch} on its own, against " +
            $"{(double)cost.Rows[0][2]:F1} ms for a LeNet-5 training step; an epoch takes {augmented:F2} s with " +
            $"it and " +
            $"{plain:F2} s without (a change of {augmented / plain - 1:+0%;-0%}) on {Threading.Count} thread(s), the " +
            "load of the machine at the time included.");
    }

    private static double TransformMs(ITransform pipeline, Tensor x, int batch, Generator g)
    {
        var loader = new DataLoader(x, Tensor.Zeros(DType.Int64, x.Size(0)), batch);
        var clock = new Stopwatch();
        int batches = 0;
        foreach (var (bx, _) in loader)
        {
            clock.Start();
            pipeline.ApplyInPlace(bx, g);
            clock.Stop();
            batches++;
        }
        return clock.Elapsed.TotalMilliseconds / batches;
    }
}
