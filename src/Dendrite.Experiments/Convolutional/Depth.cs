using Dendrite.IO;
using Dendrite.Nn;
using Dendrite.Nn.Optim;

namespace Dendrite.Experiments.Convolutional;

/// <summary>The degradation problem: a deeper plain CNN trains worse than a shallower one, and the same network with
/// identity shortcuts (a ResNet) does not.</summary>
public sealed class Depth : Experiment
{
    /// <inheritdoc/>
    public override string Name => "depth";

    /// <inheritdoc/>
    public override string Topic => "cnn";

    /// <inheritdoc/>
    public override string Summary => "plain deep CNNs vs ResNets of the same depth: the degradation problem";

    /// <inheritdoc/>
    public override string Claim => """
        Stacking more layers on a plain CNN makes it worse, on the training set too: not over-fitting but an
        optimisation difficulty, the degradation problem (He et al., 2016, "Deep Residual Learning for Image
        Recognition", fig. 1 and 6). Residual blocks y = F(x) + x let each block learn a correction to the identity;
        with them the deeper network trains at least as well as the shallower one.
        """;

    /// <inheritdoc/>
    public override void Run(ExperimentContext context)
    {
        int trainCount = context.Choose(1_500, 64), testCount = context.Choose(2_000, 64);
        int epochs = context.Choose(3, 1), width = context.Choose(8, 4);
        int[] blocks = context.Choose(new[] { 1, 3 }, new[] { 1, 2 });
        var (x, y) = ConvData.Fashion("train", trainCount, context.NewGenerator());
        var (tx, ty) = ConvData.Fashion("t10k", testCount, context.NewGenerator());
        context.Setup($"{x.Size(0):N0} Fashion-MNIST training images, {tx.Size(0):N0} test images, pixels in [0, 1] " +
            $"({ConvData.Source}).");
        context.Setup($"The CIFAR networks of He et al. (2016, §4.2) at width {width}: a 3×3 stem convolution, three " +
            $"stages of n blocks of two 3×3 convolutions (widths {width}, {2 * width}, {4 * width}; the first " +
            $"block of " +
            "stages 2 and 3 has stride 2), batch norm after every convolution, global average pooling and a linear " +
            $"layer: 6n + 2 weighted layers, n in {{{string.Join(", ", blocks)}}}. The ResNet adds x to each block's " +
            "output (a 1×1 projection where the shape changes); the plain network is the same without shortcuts.");
        context.Setup($"SGD with momentum 0.9, lr 0.05, batches of 64, {epochs} epochs, the same seed for every " +
            "network.");
        var table = context.Table("depth", "Plain and residual CNNs by depth",
            "network", "layers", "parameters", "final train loss", "train accuracy", "test accuracy", "seconds");
        var curves = new List<Series>();
        foreach (int n in blocks)
        {
            foreach (bool residual in new[] { false, true })
            {
                Generator.ManualSeed((ulong)context.Seed);
                var model = new DeepCnn(n, residual, width);
                var (history, seconds) = ConvData.Train(model, new Momentum(model.Parameters(), 0.05, 0.9), x, y,
                    epochs, 64, (ulong)context.Seed + 9);
                var (_, trainAcc) = ConvData.Evaluate(model, x, y);
                var (_, testAcc) = ConvData.Evaluate(model, tx, ty);
                string name = $"{(residual ? "ResNet" : "plain")}-{6 * n + 2}";
                table.Add(name, 6 * n + 2, model.ParameterCount(), history.Epochs[^1].TrainLoss, trainAcc, testAcc,
                    seconds);
                curves.Add(Series.PerEpoch(name, [.. history.Epochs.Select(e => e.TrainLoss)]));
                context.Log($"{name}: train loss {history.Epochs[^1].TrainLoss:G3}, test {testAcc:P1}, {seconds:F0} s");
            }
        }
        Plots.Line(context.Figure("train-loss", "Training loss per epoch (mean over the epoch's batches)"), curves,
            new LineOptions
            {
                Title = "Depth",
                XLabel = "epoch",
                YLabel = "training loss",
                IntegerX = true,
                LogY = true,
            });
        foreach (var row in table.Rows)
        {
            context.Finding($"{row[0]}: final training loss {(double)row[3]:G3}, train accuracy {(double)row[4]:P1}, " +
                $"test {(double)row[5]:P1}.");
        }
    }
}

/// <summary>The CIFAR ResNet of He et al. (2016, §4.2) for one-channel 28×28 images, or the same network without
/// shortcuts. x (N, 1, 28, 28) → stem (N, w, 28, 28) → stages (N, 4w, 7, 7) → pooled (N, 4w) → (N, 10).</summary>
public sealed class DeepCnn : Module, ILayer
{
    /// <summary>6<paramref name="n"/> + 2 weighted layers of base width <paramref name="width"/>, with or without
    /// identity shortcuts.</summary>
    public DeepCnn(int n, bool residual, int width = 16)
    {
        Stem = new Sequential(("conv", new Conv2d(1, width, 3, 1, 1, bias: false)), ("bn", new BatchNorm2d(width)),
            ("relu", new Relu()));
        Stages = new Sequential();
        int channels = width;
        for (int stage = 0; stage < 3; stage++)
        {
            int outCh = width << stage;
            for (int b = 0; b < n; b++)
            {
                Stages.Append(new PlainOrResidualBlock(channels, outCh, stage > 0 && b == 0 ? 2 : 1, residual));
                channels = outCh;
            }
        }
        Fc = new Linear(channels, 10);
    }

    /// <summary>3×3 convolution, batch norm, ReLU.</summary>
    public Sequential Stem { get; }

    /// <summary>The 3n blocks.</summary>
    public Sequential Stages { get; }

    /// <summary>The classifier after global average pooling.</summary>
    public Linear Fc { get; }

    /// <inheritdoc/>
    public Tensor Forward(Tensor x) =>
        Fc.Call(Stages.Call(Stem.Call(x)).AdaptiveAvgPool2d(1, 1).Flatten(1));
}

/// <summary>Two 3×3 convolutions with batch norm: y = relu(F(x) + shortcut(x)) when residual, else relu(F(x)).
/// </summary>
public sealed class PlainOrResidualBlock : Module, ILayer
{
    private readonly bool residual;

    /// <summary>A block from <paramref name="inChannels"/> to <paramref name="outChannels"/>.</summary>
    public PlainOrResidualBlock(int inChannels, int outChannels, int stride, bool residual)
    {
        this.residual = residual;
        Conv1 = new Conv2d(inChannels, outChannels, 3, stride, 1, bias: false);
        Bn1 = new BatchNorm2d(outChannels);
        Conv2 = new Conv2d(outChannels, outChannels, 3, 1, 1, bias: false);
        Bn2 = new BatchNorm2d(outChannels);
        // Option B of the paper: a 1×1 projection only where the shape changes.
        if (residual && (stride != 1 || inChannels != outChannels))
        {
            Downsample = new Sequential(new Conv2d(inChannels, outChannels, 1, stride, bias: false),
                new BatchNorm2d(outChannels));
        }
    }

    /// <summary>First convolution (carries the stride).</summary>
    public Conv2d Conv1 { get; }

    /// <summary>Batch norm after the first convolution.</summary>
    public BatchNorm2d Bn1 { get; }

    /// <summary>Second convolution.</summary>
    public Conv2d Conv2 { get; }

    /// <summary>Batch norm after the second convolution.</summary>
    public BatchNorm2d Bn2 { get; }

    /// <summary>The projection shortcut (null for the identity or in the plain network).</summary>
    public Sequential? Downsample { get; }

    /// <inheritdoc/>
    public Tensor Forward(Tensor x)
    {
        var f = Bn2.Call(Conv2.Call(Bn1.Call(Conv1.Call(x)).Relu()));
        if (!residual) return f.Relu();
        return (f + (Downsample is null ? x : Downsample.Call(x))).Relu();
    }
}
