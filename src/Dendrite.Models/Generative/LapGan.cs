// LAPGAN (Denton, Chintala, Szlam & Fergus, 2015, "Deep Generative Image Models using a Laplacian Pyramid of
// Adversarial Networks", arXiv:1506.05751): an image is built coarse to fine. The coarsest level is an ordinary
// GAN; every finer level is a conditional GAN whose generator, given the upsampled coarser image, adds the missing
// band-pass detail (the Laplacian coefficient), and whose discriminator judges that detail given the same coarse
// image. Each level trains on its own level of real pyramids, independently of the others, as in the paper.
//
// Pyramid for 28×28 images in [−1, 1]: I₀ = x (28), I₁ = d(I₀) (14), I₂ = d(I₁) (7), with d = 2×2 average and
// u = bilinear ×2. Coefficients hₖ = Iₖ − u(Iₖ₊₁); the top keeps I₂ itself.
// Sampling: Ĩ₂ = G₂(z₂);  Ĩₖ = u(Ĩₖ₊₁) + Gₖ(zₖ, u(Ĩₖ₊₁)).
// As in the paper's CIFAR-10 model, the top is a pair of MLPs and the levels are small convolutional networks that
// take the noise as an extra input plane.
//
// Shapes: z (N, noise) → Ĩ₂ (N, 1, 7, 7) → (N, 1, 14, 14) → (N, 1, 28, 28).

using Dendrite.Nn;
using Dendrite.Nn.Optim;

namespace Dendrite.Models.Generative;

/// <summary>Sizes of a <see cref="LapGan"/>.</summary>
/// <param name="ImageSize">Side of the finest level (28 for Fashion-MNIST).</param>
/// <param name="Levels">Pyramid levels including the top (3: 28, 14, 7).</param>
/// <param name="NoiseDim">Noise size of the top generator.</param>
/// <param name="Hidden">Hidden units of the top's MLPs.</param>
/// <param name="Channels">Feature maps of the level networks.</param>
public sealed record LapGanConfig(int ImageSize = 28, int Levels = 3, int NoiseDim = 64, int Hidden = 256,
    int Channels = 64)
{
    /// <summary>Side of the top (coarsest) level.</summary>
    public int TopSize => ImageSize >> (Levels - 1);
}

/// <summary>The coarsest level: an MLP generator of TopSize² images and an MLP discriminator.</summary>
public sealed class LapGanTop : Module
{
    /// <summary>Builds the pair for <paramref name="c"/>.</summary>
    public LapGanTop(LapGanConfig c)
    {
        int pixels = c.TopSize * c.TopSize;
        Generator = new Sequential(new Linear(c.NoiseDim, c.Hidden), new Relu(), new Linear(c.Hidden, c.Hidden),
            new Relu(), new Linear(c.Hidden, pixels), new Tanh());
        Discriminator = new Sequential(new Flatten(), new Linear(pixels, c.Hidden), new LeakyRelu(0.2),
            new Linear(c.Hidden, c.Hidden), new LeakyRelu(0.2), new Linear(c.Hidden, 1));
    }

    /// <summary>z (N, noise) → (N, TopSize²) in [−1, 1].</summary>
    public Sequential Generator { get; }

    /// <summary>(N, 1, TopSize, TopSize) → logits (N, 1).</summary>
    public Sequential Discriminator { get; }
}

/// <summary>One finer level: Gₖ(zₖ, l) → hₖ and Dₖ(hₖ, l) → logit, with l the upsampled coarser image.</summary>
public sealed class LapGanLevel : Module
{
    /// <summary>Builds the level networks for <paramref name="size"/>² images.</summary>
    public LapGanLevel(int size, int channels)
    {
        Size = size;
        int c = channels, s = (size + 1) / 2, s2 = (s + 1) / 2;
        // input planes: the coarse image and one plane of noise (the paper's CIFAR-10 levels)
        Generator = new Sequential(new Conv2d(2, c, 3, padding: 1), new Relu(), new Conv2d(c, c, 3, padding: 1),
            new Relu(), new Conv2d(c, 1, 3, padding: 1));
        Discriminator = new Sequential(new Conv2d(2, c, 3, stride: 2, padding: 1), new LeakyRelu(0.2),
            new Conv2d(c, c, 3, stride: 2, padding: 1), new LeakyRelu(0.2), new Flatten(),
            new Linear(c * s2 * s2, 1));
    }

    /// <summary>Side of this level's images.</summary>
    public int Size { get; }

    /// <summary>(N, 2, size, size): coarse image, noise → band-pass detail (N, 1, size, size).</summary>
    public Sequential Generator { get; }

    /// <summary>(N, 2, size, size): detail, coarse image → logits (N, 1).</summary>
    public Sequential Discriminator { get; }

    /// <summary>The generated detail for the upsampled coarse image <paramref name="coarse"/>.</summary>
    public Tensor Detail(Tensor coarse, Generator? generator = null)
    {
        var z = Tensor.Randn(coarse.Shape, generator);
        return Generator.Forward(Tensor.Cat([coarse, z], 1));
    }

    /// <summary>The discriminator's logits for <paramref name="detail"/> given <paramref name="coarse"/>.</summary>
    public Tensor Judge(Tensor detail, Tensor coarse) => Discriminator.Forward(Tensor.Cat([detail, coarse], 1));
}

/// <summary>Losses of one <see cref="LapGan.TrainStep"/>, per level from the top (coarsest) down.</summary>
public sealed record LapGanLosses(double[] Discriminator, double[] Generator);

/// <summary>A Laplacian pyramid of GANs (LAPGAN) for square grey images in [−1, 1].</summary>
public sealed class LapGan : Module
{
    /// <summary>Builds the top pair and one conditional pair per finer level.</summary>
    public LapGan(LapGanConfig? config = null)
    {
        Config = config ?? new LapGanConfig();
        if (Config.Levels < 1 || Config.ImageSize % (1 << (Config.Levels - 1)) != 0)
            throw new ArgumentException(
                $"LapGan: image size {Config.ImageSize} must halve exactly {Config.Levels - 1} times");
        Top = new LapGanTop(Config);
        Levels = new ModuleList<LapGanLevel>(Enumerable.Range(0, Config.Levels - 1)
            .Select(k => new LapGanLevel(Config.TopSize << (k + 1), Config.Channels)));
    }

    /// <summary>The sizes it was built with.</summary>
    public LapGanConfig Config { get; }

    /// <summary>The coarsest level's GAN.</summary>
    public LapGanTop Top { get; }

    /// <summary>The conditional levels, coarse to fine.</summary>
    public ModuleList<LapGanLevel> Levels { get; }

    /// <summary>d: 2×2 average.   (N, C, H, W) → (N, C, H/2, W/2)</summary>
    public static Tensor Down(Tensor x) => x.AvgPool2d((2, 2));

    /// <summary>u: bilinear resize to <paramref name="size"/>².</summary>
    public static Tensor Up(Tensor x, int size) => x.Interpolate([size, size], mode: InterpolateMode.Linear);

    /// <summary>The Gaussian-style pyramid [I_top, …, I₀] of <paramref name="x"/>, coarse to fine.</summary>
    public IReadOnlyList<Tensor> Pyramid(Tensor x)
    {
        var levels = new List<Tensor> { x };
        for (int k = 1; k < Config.Levels; k++) levels.Insert(0, Down(levels[0]));
        return levels;
    }

    /// <summary>Samples <paramref name="n"/> images (N, 1, size, size) coarse to fine, without recording.</summary>
    public Tensor Sample(int n, Generator? generator = null)
    {
        using var _ = Autograd.NoGrad();
        var image = TopSample(n, generator);
        foreach (var level in Levels)
        {
            var coarse = Up(image, level.Size);
            image = coarse + level.Detail(coarse, generator);
        }
        return image;
    }

    /// <summary>Optimizers for every network: Adam(lr, β₁ = 0.5) as in DCGAN, one per generator and
    /// discriminator, top first.</summary>
    public (Optimizer Generator, Optimizer Discriminator)[] CreateOptimizers(double lr = 2e-4)
    {
        var pairs = new List<(Sequential G, Sequential D)> { (Top.Generator, Top.Discriminator) };
        pairs.AddRange(Levels.Select(l => (l.Generator, l.Discriminator)));
        return pairs.Select(p => ((Optimizer)new Adam(p.G.Parameters(), lr, 0.5),
            (Optimizer)new Adam(p.D.Parameters(), lr, 0.5))).ToArray();
    }

    /// <summary>One discriminator step and one generator step at every level on the real batch
    /// <paramref name="real"/> (N, 1, size, size); each level sees only its own level of the real pyramid.</summary>
    public LapGanLosses TrainStep(Tensor real, (Optimizer Generator, Optimizer Discriminator)[] optimizers,
        Generator? generator = null, double labelSmoothing = 0)
    {
        if (optimizers.Length != Config.Levels)
            throw new ArgumentException($"LapGan.TrainStep: {optimizers.Length} optimizer pairs for " +
                $"{Config.Levels} levels");
        var pyramid = Pyramid(real);
        int n = real.Size(0);
        var dLoss = new double[Config.Levels];
        var gLoss = new double[Config.Levels];
        // the top: an ordinary GAN on I_top
        var fake = TopSample(n, generator, record: true);
        (dLoss[0], gLoss[0]) = Step(optimizers[0], Top.Discriminator.Forward(pyramid[0]),
            () => Top.Discriminator.Forward(fake.Detach()), () => Top.Discriminator.Forward(fake), labelSmoothing);
        // finer levels: detail hₖ given the upsampled real coarser image
        for (int k = 0; k < Levels.Count; k++)
        {
            var level = Levels[k];
            var coarse = Up(pyramid[k], level.Size);
            var detail = pyramid[k + 1] - coarse;
            var fakeDetail = level.Detail(coarse, generator);
            (dLoss[k + 1], gLoss[k + 1]) = Step(optimizers[k + 1], level.Judge(detail, coarse),
                () => level.Judge(fakeDetail.Detach(), coarse), () => level.Judge(fakeDetail, coarse),
                labelSmoothing);
        }
        return new LapGanLosses(dLoss, gLoss);
    }

    private Tensor TopSample(int n, Generator? generator, bool record = false)
    {
        int s = Config.TopSize;
        var z = Tensor.Randn([n, Config.NoiseDim], generator);
        var image = Top.Generator.Forward(z).Reshape(n, 1, s, s);
        return record ? image : image.Detach();
    }

    // D step on (real, detached fake), then the non-saturating G step on the fake.
    private static (double D, double G) Step((Optimizer Generator, Optimizer Discriminator) opt, Tensor realLogits,
        Func<Tensor> fakeDetached, Func<Tensor> fake, double labelSmoothing)
    {
        opt.Discriminator.ZeroGrad();
        var dLoss = Losses.GanDiscriminatorLoss(realLogits, fakeDetached(), labelSmoothing);
        dLoss.Backward();
        opt.Discriminator.Step();
        opt.Generator.ZeroGrad();
        var gLoss = Losses.GanGeneratorLoss(fake());
        gLoss.Backward();
        opt.Generator.Step();
        return (dLoss.Item(), gLoss.Item());
    }
}
