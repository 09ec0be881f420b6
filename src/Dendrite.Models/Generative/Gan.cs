// Generative adversarial networks on 28×28 single-channel images: a generator G maps noise z (and, conditioned, a
// class y) to an image, a discriminator D scores images as real or generated, and the two are trained against each
// other with two optimizers over one graph.
//   Vanilla GAN: Goodfellow et al., 2014, "Generative Adversarial Nets", arXiv:1406.2661 (multilayer perceptrons).
//   Conditional GAN: Mirza & Osindero, 2014, "Conditional Generative Adversarial Nets", arXiv:1411.1784 (y fed to
//     both G and D; here through a learned embedding concatenated with z and with the flattened image).
//   DCGAN: Radford, Metz & Chintala, 2015, "Unsupervised Representation Learning with Deep Convolutional Generative
//     Adversarial Networks", arXiv:1511.06434 (strided convolutions, batch norm, ReLU in G, leaky ReLU in D, weights
//     drawn from N(0, 0.02)); the layer sizes are those of shared/reference/dcgan.py, which the dcgan bench mirrors.
//
// Legend: N batch, Z latent size, K classes; images (N, 1, 28, 28) with pixels in [-1, 1] (G ends in tanh);
// D returns one logit per image (N).
using Dendrite.Nn;
using Dendrite.Nn.Optim;

namespace Dendrite.Models.Generative;

/// <summary>The architectures of <see cref="Gan"/>.</summary>
public enum GanKind
{
    /// <summary>Multilayer perceptrons (Goodfellow et al., 2014).</summary>
    Vanilla,

    /// <summary>Multilayer perceptrons conditioned on the class (Mirza &amp; Osindero, 2014).</summary>
    Conditional,

    /// <summary>Deep convolutional GAN (Radford et al., 2015).</summary>
    Dcgan,
}

/// <summary>Sizes of a <see cref="Gan"/>.</summary>
/// <param name="Kind">The architecture.</param>
/// <param name="LatentSize">Z, the length of the noise vector (100 in the papers).</param>
/// <param name="Classes">K, the number of classes a conditional GAN is asked for (10 for Fashion-MNIST).</param>
/// <param name="Hidden">Width of the MLPs' first hidden layer (the second is twice as wide); DCGAN ignores it.</param>
public sealed record GanConfig(GanKind Kind = GanKind.Dcgan, int LatentSize = 100, int Classes = 10, int Hidden = 256)
{
    /// <summary>The kind's name on the command line and in checkpoints: gan, cgan or dcgan.</summary>
    public string Name => Kind switch
    {
        GanKind.Vanilla => "gan",
        GanKind.Conditional => "cgan",
        _ => "dcgan",
    };

    /// <summary>The kind for a name (gan, cgan, dcgan).</summary>
    public static GanKind ParseKind(string name) => name switch
    {
        "gan" or "vanilla" => GanKind.Vanilla,
        "cgan" or "conditional" => GanKind.Conditional,
        "dcgan" => GanKind.Dcgan,
        _ => throw new ArgumentException($"Gan: unknown kind '{name}' (known: gan, cgan, dcgan)"),
    };
}

/// <summary>A GAN's generator: noise (N, Z) and, when conditional, Int64 classes (N) → images (N, 1, 28, 28).</summary>
public abstract class ImageGenerator : Module
{
    /// <summary>Generates images in [-1, 1].   z: (N, Z), labels: (N) or null → (N, 1, 28, 28)</summary>
    public abstract Tensor Forward(Tensor z, Tensor? labels);
}

/// <summary>A GAN's discriminator: images (N, 1, 28, 28) and, when conditional, classes (N) → logits (N).</summary>
public abstract class ImageDiscriminator : Module
{
    /// <summary>One real-vs-generated logit per image.   images: (N, 1, 28, 28), labels: (N) or null → (N)</summary>
    public abstract Tensor Forward(Tensor images, Tensor? labels);
}

/// <summary>G of the vanilla and conditional GANs: z [‖ embed(y)] → hidden → 2·hidden → 784, leaky ReLU (0.2)
/// between, tanh at the end.</summary>
public sealed class MlpGenerator : ImageGenerator
{
    /// <summary>Z inputs (+ K for the class embedding when <paramref name="classes"/> &gt; 0).</summary>
    public MlpGenerator(int latentSize, int hidden, int classes = 0)
    {
        Embed = classes > 0 ? new Embedding(classes, classes) : null;
        Layers = new Sequential(
            ("0", new Linear(latentSize + classes, hidden)), ("1", new LeakyRelu(0.2)),
            ("2", new Linear(hidden, 2 * hidden)), ("3", new LeakyRelu(0.2)),
            ("4", new Linear(2 * hidden, 28 * 28)), ("5", new Tanh()));
    }

    /// <summary>The class embedding (K, K), or null when unconditional.</summary>
    public Embedding? Embed { get; }

    /// <summary>The MLP.</summary>
    public Sequential Layers { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor z, Tensor? labels)
    {
        var input = Gan.Condition("MlpGenerator", Embed, z, labels);     // (N, Z [+ K])
        return Layers.Forward(input).Reshape(-1, 1, 28, 28);             // (N, 1, 28, 28)
    }
}

/// <summary>D of the vanilla and conditional GANs: image (784) [‖ embed(y)] → 2·hidden → hidden → 1, leaky ReLU (0.2)
/// between.</summary>
public sealed class MlpDiscriminator : ImageDiscriminator
{
    /// <summary>784 inputs (+ K for the class embedding when <paramref name="classes"/> &gt; 0).</summary>
    public MlpDiscriminator(int hidden, int classes = 0)
    {
        Embed = classes > 0 ? new Embedding(classes, classes) : null;
        Layers = new Sequential(
            ("0", new Linear(28 * 28 + classes, 2 * hidden)), ("1", new LeakyRelu(0.2)),
            ("2", new Linear(2 * hidden, hidden)), ("3", new LeakyRelu(0.2)),
            ("4", new Linear(hidden, 1)));
    }

    /// <summary>The class embedding (K, K), or null when unconditional.</summary>
    public Embedding? Embed { get; }

    /// <summary>The MLP.</summary>
    public Sequential Layers { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor images, Tensor? labels)
    {
        var input = Gan.Condition("MlpDiscriminator", Embed, images.Flatten(1), labels);   // (N, 784 [+ K])
        return Layers.Forward(input).Reshape(-1);                                          // (N)
    }
}

/// <summary>DCGAN's G: z (N, Z, 1, 1) → transposed conv 7×7 → (N, 256, 7, 7) → BN, ReLU, transposed conv 4/2 →
/// (N, 128, 14, 14) → BN, ReLU, transposed conv 4/2 → (N, 1, 28, 28) → tanh.</summary>
public sealed class DcganGenerator : ImageGenerator
{
    /// <summary>A generator for <paramref name="latentSize"/>-long noise.</summary>
    public DcganGenerator(int latentSize)
    {
        Layers = new Sequential(
            ("0", new ConvTranspose2d(latentSize, 256, 7, 1, 0, bias: false)), ("1", new BatchNorm2d(256)),
            ("2", new Relu()),
            ("3", new ConvTranspose2d(256, 128, 4, 2, 1, bias: false)), ("4", new BatchNorm2d(128)), ("5", new Relu()),
            ("6", new ConvTranspose2d(128, 1, 4, 2, 1, bias: false)), ("7", new Tanh()));
    }

    /// <summary>The network, named as torch's nn.Sequential in shared/reference/dcgan.py.</summary>
    public Sequential Layers { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor z, Tensor? labels)
    {
        if (labels is not null) throw new ArgumentException("DcganGenerator: this DCGAN is not conditional");
        return Layers.Forward(z.Reshape(z.Size(0), -1, 1, 1));   // (N, Z, 1, 1) → (N, 1, 28, 28)
    }
}

/// <summary>DCGAN's D: (N, 1, 28, 28) → conv 4/2 → (N, 64, 14, 14) → leaky ReLU, conv 4/2 → (N, 128, 7, 7) → BN,
/// leaky ReLU, conv 7×7 → (N, 1, 1, 1) logits. No batch norm on D's input layer, as the paper advises.</summary>
public sealed class DcganDiscriminator : ImageDiscriminator
{
    /// <summary>The network, named as torch's nn.Sequential in shared/reference/dcgan.py.</summary>
    public Sequential Layers { get; } = new(
        ("0", new Conv2d(1, 64, 4, 2, 1, bias: false)), ("1", new LeakyRelu(0.2)),
        ("2", new Conv2d(64, 128, 4, 2, 1, bias: false)), ("3", new BatchNorm2d(128)), ("4", new LeakyRelu(0.2)),
        ("5", new Conv2d(128, 1, 7, 1, 0, bias: false)));

    /// <inheritdoc/>
    public override Tensor Forward(Tensor images, Tensor? labels)
    {
        if (labels is not null) throw new ArgumentException("DcganDiscriminator: this DCGAN is not conditional");
        return Layers.Forward(images).Reshape(-1);   // (N, 1, 1, 1) → (N)
    }
}

/// <summary>A generator and a discriminator of one <see cref="GanKind"/>, with the training step of Goodfellow et
/// al.'s Algorithm 1 (one D step, then one G step) and sampling.</summary>
public sealed class Gan : Module
{
    /// <summary>Builds G and D for <paramref name="config"/>, initialised from
    /// <see cref="Generator.Default"/>.</summary>
    public Gan(GanConfig config)
    {
        Config = config;
        int k = config.Kind == GanKind.Conditional ? config.Classes : 0;
        if (config.LatentSize < 1 || config.Hidden < 1 || (k == 0 && config.Kind == GanKind.Conditional))
            throw new ArgumentException($"Gan: sizes must be positive, got {config}");
        if (config.Kind == GanKind.Dcgan)
        {
            G = new DcganGenerator(config.LatentSize);
            D = new DcganDiscriminator();
            DcganInit(G);
            DcganInit(D);
        }
        else
        {
            G = new MlpGenerator(config.LatentSize, config.Hidden, k);
            D = new MlpDiscriminator(config.Hidden, k);
        }
    }

    /// <summary>The sizes.</summary>
    public GanConfig Config { get; }

    /// <summary>The generator.</summary>
    public ImageGenerator G { get; }

    /// <summary>The discriminator.</summary>
    public ImageDiscriminator D { get; }

    /// <summary>Whether G and D take a class.</summary>
    public bool Conditional => Config.Kind == GanKind.Conditional;

    /// <summary>One D step and one G step on a batch of real images (and their classes, when conditional; the fakes
    /// are asked for the same classes). D minimises <see cref="Losses.GanDiscriminatorLoss"/> on D(x) and
    /// D(G(z).Detach()): the detach keeps D's loss out of G. Then G minimises the non-saturating
    /// <see cref="Losses.GanGeneratorLoss"/> on the updated D's logits for the same G(z); that backward pass also
    /// leaves gradients on D, which D's next ZeroGrad clears.   real: (N, 1, 28, 28), labels: (N) or null</summary>
    public (double DiscriminatorLoss, double GeneratorLoss) TrainStep(Optimizer optimizerG, Optimizer optimizerD,
        Tensor real, Tensor? labels, Generator noise, double labelSmoothing = 0)
    {
        ArgumentNullException.ThrowIfNull(optimizerG);
        ArgumentNullException.ThrowIfNull(optimizerD);
        var y = Conditional ? labels : null;
        var z = Tensor.Randn([real.Size(0), Config.LatentSize], noise);                 // (N, Z)
        var fake = G.Forward(z, y);                                                      // (N, 1, 28, 28)
        var lossD = Losses.GanDiscriminatorLoss(D.Forward(real, y), D.Forward(fake.Detach(), y), labelSmoothing);
        optimizerD.ZeroGrad();
        lossD.Backward();
        optimizerD.Step();
        var lossG = Losses.GanGeneratorLoss(D.Forward(fake, y));
        optimizerG.ZeroGrad();
        lossG.Backward();
        optimizerG.Step();
        return (lossD.Item(), lossG.Item());
    }

    /// <summary>The optimizers of the DCGAN paper for G and D: Adam with lr 2e-4 and β₁ = 0.5.</summary>
    public (Optimizer G, Optimizer D) Optimizers(double lr = 2e-4) =>
        (new Adam(G.Parameters(), lr: lr, beta1: 0.5, beta2: 0.999),
         new Adam(D.Parameters(), lr: lr, beta1: 0.5, beta2: 0.999));

    /// <summary>Images from G for the given noise without gradients, in evaluation mode (batch norm uses its running
    /// statistics); the mode is put back.   z: (N, Z), labels: (N) or null → (N, 1, 28, 28) in [-1, 1]</summary>
    public Tensor Sample(Tensor z, Tensor? labels = null)
    {
        if (Conditional && labels is null)
            throw new ArgumentException("Gan.Sample: a conditional GAN needs a class per sample");
        bool training = G.Training;
        G.Eval();
        try
        {
            using var _ = Autograd.NoGrad();
            return G.Forward(z, Conditional ? labels : null);
        }
        finally
        {
            G.Train(training);
        }
    }

    /// <summary><paramref name="count"/> images from fresh noise drawn by <paramref name="noise"/>; a conditional GAN
    /// is asked for classes 0, 1, …, K−1 in turn.   → (count, 1, 28, 28)</summary>
    public Tensor Sample(int count, Generator noise)
    {
        var z = Tensor.Randn([count, Config.LatentSize], noise);
        return Sample(z, Conditional ? CyclingLabels(count, Config.Classes) : null);
    }

    /// <summary>0, 1, …, K−1, 0, 1, … as Int64 (count).</summary>
    public static Tensor CyclingLabels(int count, int classes) =>
        Tensor.From([.. Enumerable.Range(0, count).Select(i => (long)(i % classes))]);

    /// <summary>z ‖ embed(y) for a conditional network, z alone otherwise.   (N, F) → (N, F [+ K])</summary>
    internal static Tensor Condition(string op, Embedding? embed, Tensor x, Tensor? labels)
    {
        if (embed is null)
        {
            return labels is null ? x : throw new ArgumentException($"{op}: this network is not conditional");
        }
        if (labels is null || labels.DType != DType.Int64 || labels.Rank != 1 || labels.Size(0) != x.Size(0))
            throw new ArgumentException($"{op}: expected Int64 classes ({x.Size(0)}), got " +
                (labels is null ? "none" : $"{labels.DType} {Shapes.Format(labels.Shape)}"));
        return Tensor.Cat([x, embed.Forward(labels)], 1);
    }

    // The DCGAN paper: "All weights were initialized from a zero-centered Normal distribution with standard
    // deviation 0.02"; batch-norm scales as in the PyTorch DCGAN example, N(1, 0.02), shifts 0.
    private static void DcganInit(Module m)
    {
        using var _ = Autograd.NoGrad();
        foreach (var (_, layer) in m.NamedModules())
        {
            if (layer is Conv2d conv) conv.Weight.CopyFrom(Tensor.Randn(conv.Weight.Shape) * 0.02);
            if (layer is ConvTranspose2d deconv) deconv.Weight.CopyFrom(Tensor.Randn(deconv.Weight.Shape) * 0.02);
            if (layer is BatchNorm norm)
            {
                norm.Weight.CopyFrom(Tensor.Randn(norm.Weight.Shape) * 0.02 + 1);
                norm.Bias.Fill(0);
            }
        }
    }
}
