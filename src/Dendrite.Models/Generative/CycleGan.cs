// CycleGAN (Zhu, Park, Isola & Efros, 2017, "Unpaired Image-to-Image Translation using Cycle-Consistent
// Adversarial Networks", arXiv:1703.10593): two generators G: A → B and F: B → A learn from two unpaired sets of
// images. Each has a discriminator in its target domain (D_B, D_A), trained with the least-squares GAN loss; a
// cycle loss ‖F(G(a)) − a‖₁ + ‖G(F(b)) − b‖₁ (weight λ = 10) keeps a translation tied to its input, and an identity
// loss ‖G(b) − b‖₁ + ‖F(a) − a‖₁ (weight λ/2) keeps a generator from changing images already in its target domain.
//
// Generator (the paper's ResNet generator, narrowed for 28×28): c7s1-C → d2C → d4C → R residual blocks → u2C → uC
// → c7s1-1 → tanh, with instance normalisation and ReLU; d are stride-2 convolutions (28 → 14 → 7), u stride-2
// transposed convolutions (7 → 14 → 28). Discriminator: a PatchGAN, C4-2C4-4C4 (stride 2, 2, 1) then a one-map
// convolution, LeakyReLU(0.2), scoring overlapping patches (5×5 logits for 28×28). The paper's history buffer of
// 50 generated images is not used: the discriminators see the current batch's translations.
//
// Shapes: a, b (N, 1, 28, 28) in [−1, 1] → G(a), F(b) (N, 1, 28, 28); D(x) (N, 1, 5, 5).

using Dendrite.Nn;
using Dendrite.Nn.Optim;

namespace Dendrite.Models.Generative;

/// <summary>Sizes and loss weights of a <see cref="CycleGan"/>.</summary>
/// <param name="Channels">Width C of the generators' first layer.</param>
/// <param name="Blocks">Residual blocks R in each generator.</param>
/// <param name="DiscriminatorChannels">Width of the discriminators' first layer.</param>
/// <param name="CycleWeight">λ of the cycle loss (the paper's 10).</param>
/// <param name="IdentityWeight">Weight of the identity loss (the paper's λ/2 = 5).</param>
public sealed record CycleGanConfig(int Channels = 16, int Blocks = 3, int DiscriminatorChannels = 32,
    double CycleWeight = 10, double IdentityWeight = 5);

/// <summary>conv 3×3 → IN → ReLU → conv 3×3 → IN, plus the input.   (N, C, H, W) → same</summary>
public sealed class CycleResidualBlock(int channels) : Module, ILayer
{
    /// <summary>The two convolutions with their normalisations.</summary>
    public Sequential Body { get; } = new(new Conv2d(channels, channels, 3, padding: 1), new InstanceNorm2d(),
        new Relu(), new Conv2d(channels, channels, 3, padding: 1), new InstanceNorm2d());

    /// <inheritdoc/>
    public Tensor Forward(Tensor x) => x + Body.Forward(x);
}

/// <summary>The ResNet translation generator.   (N, 1, H, W) → (N, 1, H, W), H and W multiples of 4</summary>
public sealed class CycleGenerator : Module, ILayer
{
    /// <summary>Builds the generator for <paramref name="c"/>.</summary>
    public CycleGenerator(CycleGanConfig c)
    {
        int w = c.Channels;
        var layers = new List<ILayer>
        {
            new Conv2d(1, w, 7, padding: 3), new InstanceNorm2d(), new Relu(),                      // (N, C, H, W)
            new Conv2d(w, 2 * w, 3, stride: 2, padding: 1), new InstanceNorm2d(), new Relu(),       // H/2
            new Conv2d(2 * w, 4 * w, 3, stride: 2, padding: 1), new InstanceNorm2d(), new Relu(),   // H/4
        };
        for (int i = 0; i < c.Blocks; i++) layers.Add(new CycleResidualBlock(4 * w));
        layers.AddRange(
        [
            new ConvTranspose2d(4 * w, 2 * w, 3, stride: 2, padding: 1, outputPadding: 1), new InstanceNorm2d(),
            new Relu(),                                                                             // H/2
            new ConvTranspose2d(2 * w, w, 3, stride: 2, padding: 1, outputPadding: 1), new InstanceNorm2d(),
            new Relu(),                                                                             // H
            new Conv2d(w, 1, 7, padding: 3), new Tanh(),
        ]);
        Net = new Sequential(layers.ToArray());
    }

    /// <summary>The layers in order.</summary>
    public Sequential Net { get; }

    /// <inheritdoc/>
    public Tensor Forward(Tensor x) => Net.Forward(x);
}

/// <summary>Losses of one <see cref="CycleGan.TrainStep"/>.</summary>
/// <param name="DiscriminatorA">Least-squares loss of D_A.</param>
/// <param name="DiscriminatorB">Least-squares loss of D_B.</param>
/// <param name="Adversarial">The generators' least-squares terms, G and F together.</param>
/// <param name="Cycle">‖F(G(a)) − a‖₁ + ‖G(F(b)) − b‖₁ (unweighted).</param>
/// <param name="Identity">‖G(b) − b‖₁ + ‖F(a) − a‖₁ (unweighted).</param>
public sealed record CycleGanLosses(double DiscriminatorA, double DiscriminatorB, double Adversarial, double Cycle,
    double Identity);

/// <summary>CycleGAN: generators A→B and B→A, a PatchGAN discriminator per domain, cycle and identity losses.
/// </summary>
public sealed class CycleGan : Module
{
    /// <summary>Builds the four networks.</summary>
    public CycleGan(CycleGanConfig? config = null)
    {
        Config = config ?? new CycleGanConfig();
        GeneratorAB = new CycleGenerator(Config);
        GeneratorBA = new CycleGenerator(Config);
        DiscriminatorA = PatchDiscriminator(Config.DiscriminatorChannels);
        DiscriminatorB = PatchDiscriminator(Config.DiscriminatorChannels);
    }

    /// <summary>The sizes and weights it was built with.</summary>
    public CycleGanConfig Config { get; }

    /// <summary>G: A → B.</summary>
    public CycleGenerator GeneratorAB { get; }

    /// <summary>F: B → A.</summary>
    public CycleGenerator GeneratorBA { get; }

    /// <summary>D_A: real A images against F(b).</summary>
    public Sequential DiscriminatorA { get; }

    /// <summary>D_B: real B images against G(a).</summary>
    public Sequential DiscriminatorB { get; }

    /// <summary>A PatchGAN: C4 s2 → 2C4 s2 → 4C4 s1 → 1 map 4 s1.   (N, 1, 28, 28) → (N, 1, 5, 5)</summary>
    public static Sequential PatchDiscriminator(int c) => new(
        new Conv2d(1, c, 4, stride: 2, padding: 1), new LeakyRelu(0.2),
        new Conv2d(c, 2 * c, 4, stride: 2, padding: 1), new InstanceNorm2d(), new LeakyRelu(0.2),
        new Conv2d(2 * c, 4 * c, 4, padding: 1), new InstanceNorm2d(), new LeakyRelu(0.2),
        new Conv2d(4 * c, 1, 4, padding: 1));

    /// <summary>G(a) (or F(b) with <paramref name="reverse"/>), without recording.</summary>
    public Tensor Translate(Tensor x, bool reverse = false)
    {
        using var _ = Autograd.NoGrad();
        return (reverse ? GeneratorBA : GeneratorAB).Forward(x);
    }

    /// <summary>Mean absolute cycle error ‖F(G(a)) − a‖₁ per pixel (‖G(F(b)) − b‖₁ with
    /// <paramref name="reverse"/>), without recording.</summary>
    public double CycleError(Tensor x, bool reverse = false)
    {
        using var _ = Autograd.NoGrad();
        var back = Translate(Translate(x, reverse), !reverse);
        return (back - x).Abs().Mean().Item();
    }

    /// <summary>Adam(lr, β₁ = 0.5) over both generators together and over both discriminators, as in the paper.
    /// </summary>
    public (Optimizer Generators, Optimizer Discriminators) CreateOptimizers(double lr = 2e-4) =>
        (new Adam(GeneratorAB.Parameters().Concat(GeneratorBA.Parameters()), lr, 0.5),
         new Adam(DiscriminatorA.Parameters().Concat(DiscriminatorB.Parameters()), lr, 0.5));

    /// <summary>One generator step (adversarial + λ·cycle + identity, G and F together), then one step of both
    /// discriminators on the detached translations. <paramref name="a"/> and <paramref name="b"/> are unpaired
    /// batches of the two domains.</summary>
    public CycleGanLosses TrainStep(Tensor a, Tensor b, (Optimizer Generators, Optimizer Discriminators) optimizers)
    {
        optimizers.Generators.ZeroGrad();
        var fakeB = GeneratorAB.Forward(a);                 // G(a)
        var fakeA = GeneratorBA.Forward(b);                 // F(b)
        var adversarial = LeastSquares(DiscriminatorB.Forward(fakeB), 1)
            + LeastSquares(DiscriminatorA.Forward(fakeA), 1);
        var cycle = (GeneratorBA.Forward(fakeB) - a).Abs().Mean() + (GeneratorAB.Forward(fakeA) - b).Abs().Mean();
        var identity = (GeneratorAB.Forward(b) - b).Abs().Mean() + (GeneratorBA.Forward(a) - a).Abs().Mean();
        var gLoss = adversarial + cycle * Config.CycleWeight + identity * Config.IdentityWeight;
        gLoss.Backward();
        optimizers.Generators.Step();

        // the discriminators: ½[(D(real) − 1)² + D(fake)²] each, on translations that no longer reach G or F
        optimizers.Discriminators.ZeroGrad();
        var dA = (LeastSquares(DiscriminatorA.Forward(a), 1)
            + LeastSquares(DiscriminatorA.Forward(fakeA.Detach()), 0)) * 0.5;
        var dB = (LeastSquares(DiscriminatorB.Forward(b), 1)
            + LeastSquares(DiscriminatorB.Forward(fakeB.Detach()), 0)) * 0.5;
        (dA + dB).Backward();
        optimizers.Discriminators.Step();
        return new CycleGanLosses(dA.Item(), dB.Item(), adversarial.Item(), cycle.Item(), identity.Item());
    }

    // LSGAN (Mao et al., 2017): mean (D(x) − target)².
    private static Tensor LeastSquares(Tensor logits, double target)
    {
        var d = logits - target;
        return (d * d).Mean();
    }
}
