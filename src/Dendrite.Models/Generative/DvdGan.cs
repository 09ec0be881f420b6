// DVD-GAN (Clark, Donahue & Simonyan, 2019, "Adversarial Video Generation on Complex Datasets",
// arXiv:1907.06571), small: a video generator judged by two discriminators. The spatial discriminator D_S scores K
// frames drawn at random from each clip, one at a time, at full resolution: it sees the content of single frames
// and nothing of motion. The temporal discriminator D_T scores the whole clip at half resolution: it sees motion
// and nothing of fine detail. Splitting the work this way is what keeps the cost of judging a video low.
//
// Generator: a recurrent latent (the paper's convolutional GRU, here a GRU cell over vectors) unrolled for T frames
// from h₀ = tanh(W·z), with fresh per-frame noise as input, then one frame decoder shared by all frames:
// dense → 2C×7×7 → ReLU → transposed conv ×2 (14) → BN → ReLU → transposed conv ×2 (28) → tanh.
// D_S: conv 4×4 s2 → LeakyReLU → conv 4×4 s2 → LeakyReLU → dense → logit, per frame.
// D_T: clips downscaled by 2×2 averaging; Dendrite has no 3-D convolution, so its first layer takes the T frames as
// T input channels (every position sees the whole clip), then conv 4×4 s2 twice → dense → logit.
//
// Shapes: z (N, noise) → video (N, T, 1, 28, 28) in [−1, 1]; D_S: (N·K, 1, 28, 28) → (N·K, 1);
// D_T: (N, T, 14, 14) → (N, 1).

using Dendrite.Nn;
using Dendrite.Nn.Optim;

namespace Dendrite.Models.Generative;

/// <summary>Sizes of a <see cref="DvdGan"/>.</summary>
/// <param name="Frames">Frames T per clip.</param>
/// <param name="NoiseDim">Size of the clip's noise z.</param>
/// <param name="FrameNoiseDim">Size of each frame's noise (the GRU's input).</param>
/// <param name="Hidden">GRU state size.</param>
/// <param name="Channels">Width C of the decoder and the discriminators.</param>
/// <param name="SampledFrames">Frames K that D_S scores per clip.</param>
public sealed record DvdGanConfig(int Frames = 8, int NoiseDim = 64, int FrameNoiseDim = 16, int Hidden = 128,
    int Channels = 32, int SampledFrames = 4);

/// <summary>The video generator: a GRU over frame latents and a shared frame decoder.
/// z (N, noise) → (N, T, 1, 28, 28)</summary>
public sealed class DvdGenerator : Module
{
    private readonly DvdGanConfig c;

    /// <summary>Builds the generator for <paramref name="config"/>.</summary>
    public DvdGenerator(DvdGanConfig config)
    {
        c = config;
        Initial = new Linear(c.NoiseDim, c.Hidden);
        Recurrent = new GruCell(c.FrameNoiseDim, c.Hidden);
        Project = new Linear(c.Hidden, 2 * c.Channels * 49);
        Decoder = new Sequential(new ConvTranspose2d(2 * c.Channels, c.Channels, 4, stride: 2, padding: 1),
            new BatchNorm2d(c.Channels), new Relu(),
            new ConvTranspose2d(c.Channels, 1, 4, stride: 2, padding: 1), new Tanh());
    }

    /// <summary>h₀ = tanh(W·z + b).</summary>
    public Linear Initial { get; }

    /// <summary>The recurrent latent over frames.</summary>
    public GruCell Recurrent { get; }

    /// <summary>Frame latent (M, hidden) → (M, 2C·7·7), followed by ReLU.</summary>
    public Linear Project { get; }

    /// <summary>(M, 2C, 7, 7) → frame (M, 1, 28, 28).</summary>
    public Sequential Decoder { get; }

    /// <summary>Clips for the noise <paramref name="z"/> (N, noise); per-frame noise from
    /// <paramref name="generator"/>.</summary>
    public Tensor Forward(Tensor z, Generator? generator = null)
    {
        int n = z.Size(0);
        var h = Initial.Call(z).Tanh();                                        // (N, hidden)
        var states = new Tensor[c.Frames];
        for (int t = 0; t < c.Frames; t++)
        {
            h = Recurrent.Forward(Tensor.Randn([n, c.FrameNoiseDim], generator), h);
            states[t] = h;
        }
        var latents = Tensor.Stack(states, 1).Reshape(n * c.Frames, c.Hidden); // (N·T, hidden)
        var maps = Project.Call(latents).Relu().Reshape(-1, 2 * c.Channels, 7, 7);  // (N·T, 2C, 7, 7)
        return Decoder.Forward(maps).Reshape(n, c.Frames, 1, 28, 28);            // (N, T, 1, 28, 28)
    }
}

/// <summary>Losses of one <see cref="DvdGan.TrainStep"/>.</summary>
/// <param name="Spatial">BCE of D_S.</param>
/// <param name="Temporal">BCE of D_T.</param>
/// <param name="Generator">The generator's non-saturating loss against both.</param>
public sealed record DvdGanLosses(double Spatial, double Temporal, double Generator);

/// <summary>A small DVD-GAN: video generator, spatial and temporal discriminators.</summary>
public sealed class DvdGan : Module
{
    /// <summary>Builds the three networks.</summary>
    public DvdGan(DvdGanConfig? config = null)
    {
        Config = config ?? new DvdGanConfig();
        if (Config.SampledFrames < 1 || Config.SampledFrames > Config.Frames)
            throw new ArgumentException(
                $"DvdGan: sampled frames {Config.SampledFrames} must be in 1..{Config.Frames}");
        int w = Config.Channels;
        Generator = new DvdGenerator(Config);
        Spatial = new Sequential(new Conv2d(1, w, 4, stride: 2, padding: 1), new LeakyRelu(0.2),
            new Conv2d(w, 2 * w, 4, stride: 2, padding: 1), new LeakyRelu(0.2), new Flatten(),
            new Linear(2 * w * 49, 1));
        Temporal = new Sequential(new Conv2d(Config.Frames, w, 3, padding: 1), new LeakyRelu(0.2),
            new Conv2d(w, 2 * w, 4, stride: 2, padding: 1), new LeakyRelu(0.2),
            new Conv2d(2 * w, 2 * w, 4, stride: 2, padding: 1), new LeakyRelu(0.2), new Flatten(),
            new Linear(2 * w * 9, 1));
    }

    /// <summary>The sizes it was built with.</summary>
    public DvdGanConfig Config { get; }

    /// <summary>The video generator.</summary>
    public DvdGenerator Generator { get; }

    /// <summary>D_S: one frame (M, 1, 28, 28) → logits (M, 1).</summary>
    public Sequential Spatial { get; }

    /// <summary>D_T: a half-resolution clip with frames as channels (N, T, 14, 14) → logits (N, 1).</summary>
    public Sequential Temporal { get; }

    /// <summary>Samples <paramref name="n"/> clips (N, T, 1, 28, 28) in evaluation mode, without recording.
    /// </summary>
    public Tensor Sample(int n, Generator? generator = null)
    {
        using var _ = Autograd.NoGrad();
        bool training = Generator.Training;
        Generator.Eval();
        var video = Generator.Forward(Tensor.Randn([n, Config.NoiseDim], generator), generator);
        Generator.Train(training);
        return video;
    }

    /// <summary>D_S's logits for K frames of each clip, chosen by <paramref name="frames"/> (K indices).
    /// video (N, T, 1, 28, 28) → (N·K, 1)</summary>
    public Tensor ScoreFrames(Tensor video, Tensor frames)
    {
        var chosen = video.IndexSelect(1, frames);                                  // (N, K, 1, 28, 28)
        return Spatial.Forward(chosen.Reshape(-1, 1, video.Size(3), video.Size(4)));
    }

    /// <summary>D_T's logits for whole clips at half resolution.   video (N, T, 1, 28, 28) → (N, 1)</summary>
    public Tensor ScoreClip(Tensor video)
    {
        int n = video.Size(0), t = video.Size(1), h = video.Size(3), w = video.Size(4);
        var small = video.Reshape(n, t, h, w).AvgPool2d((2, 2));                    // (N, T, 14, 14)
        return Temporal.Forward(small);
    }

    /// <summary>Adam(lr, β₁ = 0.5) for the generator and for both discriminators together.</summary>
    public (Optimizer Generator, Optimizer Discriminators) CreateOptimizers(double lr = 2e-4) =>
        (new Adam(Generator.Parameters(), lr, 0.5),
         new Adam(Spatial.Parameters().Concat(Temporal.Parameters()), lr, 0.5));

    /// <summary>One step of both discriminators on <paramref name="real"/> clips (N, T, 1, 28, 28) against
    /// detached generated ones, then one generator step against both. <paramref name="temporalWeight"/> scales
    /// D_T's part of the generator loss; 0 leaves D_T out of the step altogether (the spatial-only ablation).
    /// </summary>
    public DvdGanLosses TrainStep(Tensor real, (Optimizer Generator, Optimizer Discriminators) optimizers,
        Generator? generator = null, double labelSmoothing = 0, double temporalWeight = 1)
    {
        int n = real.Size(0);
        bool temporal = temporalWeight != 0;
        var frames = Tensor.Randperm(Config.Frames, generator).Narrow(0, 0, Config.SampledFrames);
        var fake = Generator.Forward(Tensor.Randn([n, Config.NoiseDim], generator), generator);
        optimizers.Discriminators.ZeroGrad();
        var spatial = Losses.GanDiscriminatorLoss(ScoreFrames(real, frames), ScoreFrames(fake.Detach(), frames),
            labelSmoothing);
        var dLoss = spatial;
        double temporalLoss = 0;
        if (temporal)
        {
            var t = Losses.GanDiscriminatorLoss(ScoreClip(real), ScoreClip(fake.Detach()), labelSmoothing);
            dLoss = dLoss + t;
            temporalLoss = t.Item();
        }
        dLoss.Backward();
        optimizers.Discriminators.Step();

        optimizers.Generator.ZeroGrad();
        var gLoss = Losses.GanGeneratorLoss(ScoreFrames(fake, frames));
        if (temporal) gLoss = gLoss + Losses.GanGeneratorLoss(ScoreClip(fake)) * temporalWeight;
        gLoss.Backward();
        optimizers.Generator.Step();
        return new DvdGanLosses(spatial.Item(), temporalLoss, gLoss.Item());
    }
}
