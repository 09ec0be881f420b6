// SRGAN (Ledig et al., 2017, "Photo-Realistic Single Image Super-Resolution Using a Generative Adversarial
// Network", arXiv:1609.04802): a residual generator (SRResNet) maps a low-resolution image to a high-resolution one
// and is trained with a perceptual loss, a content term measured on the features of a pre-trained classifier (VGG
// in the paper, a Dendrite Fashion-MNIST classifier here) plus 10⁻³ times the adversarial term, against a
// convolutional discriminator that tells real high-resolution images from super-resolved ones. As in the paper, the
// generator is first trained on the pixel MSE alone (SRResNet, PretrainStep), then adversarially (TrainStep).
//
// Generator: conv 9×9 → PReLU → B residual blocks [conv 3×3 → BN → PReLU → conv 3×3 → BN, + skip] → conv 3×3 → BN,
// + the first skip → log₂(scale) × [conv 3×3 to 4C maps → pixel shuffle ×2 → PReLU] → conv 9×9 → tanh.
// The paper's widths are C = 64 and B = 16; the defaults here (32, 4) suit 28×28 images.
// Discriminator: conv blocks with LeakyReLU(0.2), BN after the first, stride 2 every second → dense 256 → logit.
// Low-resolution inputs are 1/scale of the high-resolution images by block averaging; PSNR is compared against
// bicubic upsampling of the same inputs (Tensor.Interpolate with InterpolateMode.Bicubic).
//
// Shapes: lr (N, 1, 28/s, 28/s) → sr (N, 1, 28, 28), images in [−1, 1].

using Dendrite.Nn;
using Dendrite.Nn.Optim;

namespace Dendrite.Models.Generative;

/// <summary>Sizes and loss weights of an <see cref="SrGan"/>.</summary>
/// <param name="Scale">Upscaling factor, a power of two (2: 14→28, 4: 7→28).</param>
/// <param name="Channels">Generator width C.</param>
/// <param name="Blocks">Residual blocks B.</param>
/// <param name="DiscriminatorChannels">Width of the discriminator's first block.</param>
/// <param name="ImageSize">Side of the high-resolution images.</param>
/// <param name="PixelWeight">Weight of the pixel MSE in the generator loss.</param>
/// <param name="ContentWeight">Weight of the feature MSE (the content loss).</param>
/// <param name="AdversarialWeight">Weight of the adversarial term (the paper's 10⁻³).</param>
public sealed record SrGanConfig(int Scale = 4, int Channels = 32, int Blocks = 4, int DiscriminatorChannels = 32,
    int ImageSize = 28, double PixelWeight = 1, double ContentWeight = 1, double AdversarialWeight = 1e-3);

/// <summary>conv 3×3 → BN → PReLU → conv 3×3 → BN, plus the input.   (N, C, H, W) → same</summary>
public sealed class SrResidualBlock(int channels) : Module, ILayer
{
    /// <summary>First convolution.</summary>
    public Conv2d Conv1 { get; } = new(channels, channels, 3, padding: 1);

    /// <summary>First normalisation.</summary>
    public BatchNorm2d Bn1 { get; } = new(channels);

    /// <summary>Activation between the convolutions (one slope per map).</summary>
    public PRelu Act { get; } = new(channels);

    /// <summary>Second convolution.</summary>
    public Conv2d Conv2 { get; } = new(channels, channels, 3, padding: 1);

    /// <summary>Second normalisation.</summary>
    public BatchNorm2d Bn2 { get; } = new(channels);

    /// <inheritdoc/>
    public Tensor Forward(Tensor x) => x + Bn2.Call(Conv2.Call(Act.Call(Bn1.Call(Conv1.Call(x)))));
}

/// <summary>The SRResNet generator.   lr (N, 1, h, w) → (N, 1, h·scale, w·scale)</summary>
public sealed class SrGenerator : Module, ILayer
{
    /// <summary>Builds the generator for <paramref name="c"/>.</summary>
    public SrGenerator(SrGanConfig c)
    {
        if (c.Scale < 2 || (c.Scale & (c.Scale - 1)) != 0)
            throw new ArgumentException($"SrGenerator: scale {c.Scale} must be a power of two, at least 2");
        int w = c.Channels;
        Head = new Sequential(new Conv2d(1, w, 9, padding: 4), new PRelu(w));
        Body = new Sequential(Enumerable.Range(0, c.Blocks).Select(_ => (ILayer)new SrResidualBlock(w)).ToArray());
        BodyTail = new Sequential(new Conv2d(w, w, 3, padding: 1), new BatchNorm2d(w));
        var up = new List<ILayer>();
        for (int s = c.Scale; s > 1; s /= 2)
            up.AddRange([new Conv2d(w, 4 * w, 3, padding: 1), new PixelShuffle(2), new PRelu(w)]);
        Upsampler = new Sequential(up.ToArray());
        Output = new Conv2d(w, 1, 9, padding: 4);
    }

    /// <summary>conv 9×9 → PReLU.</summary>
    public Sequential Head { get; }

    /// <summary>The residual blocks.</summary>
    public Sequential Body { get; }

    /// <summary>conv 3×3 → BN after the blocks (added to the head's output).</summary>
    public Sequential BodyTail { get; }

    /// <summary>Sub-pixel upsampling blocks, ×2 each.</summary>
    public Sequential Upsampler { get; }

    /// <summary>Final conv 9×9 to one map.</summary>
    public Conv2d Output { get; }

    /// <inheritdoc/>
    public Tensor Forward(Tensor x)
    {
        var h = Head.Forward(x);                          // (N, C, h, w)
        var body = h + BodyTail.Forward(Body.Forward(h)); // (N, C, h, w)
        return Output.Call(Upsampler.Forward(body)).Tanh(); // (N, 1, h·s, w·s)
    }
}

/// <summary>Losses of one <see cref="SrGan.TrainStep"/>.</summary>
/// <param name="Discriminator">BCE of the discriminator.</param>
/// <param name="Pixel">Pixel MSE of the super-resolved batch.</param>
/// <param name="Content">Feature MSE (content loss).</param>
/// <param name="Adversarial">Non-saturating generator loss.</param>
public sealed record SrGanLosses(double Discriminator, double Pixel, double Content, double Adversarial);

/// <summary>SRGAN: the SRResNet generator, its discriminator and the perceptual training step.</summary>
public sealed class SrGan : Module
{
    /// <summary>Builds both networks.</summary>
    public SrGan(SrGanConfig? config = null)
    {
        Config = config ?? new SrGanConfig();
        if (Config.ImageSize % Config.Scale != 0)
            throw new ArgumentException($"SrGan: image size {Config.ImageSize} is not a multiple of scale " +
                $"{Config.Scale}");
        Generator = new SrGenerator(Config);
        int d = Config.DiscriminatorChannels, s = Config.ImageSize / 4;
        Discriminator = new Sequential(
            new Conv2d(1, d, 3, padding: 1), new LeakyRelu(0.2),
            new Conv2d(d, d, 3, stride: 2, padding: 1), new BatchNorm2d(d), new LeakyRelu(0.2),
            new Conv2d(d, 2 * d, 3, padding: 1), new BatchNorm2d(2 * d), new LeakyRelu(0.2),
            new Conv2d(2 * d, 2 * d, 3, stride: 2, padding: 1), new BatchNorm2d(2 * d), new LeakyRelu(0.2),
            new Flatten(), new Linear(2 * d * s * s, 256), new LeakyRelu(0.2), new Linear(256, 1));
    }

    /// <summary>The sizes and weights it was built with.</summary>
    public SrGanConfig Config { get; }

    /// <summary>The SRResNet generator.</summary>
    public SrGenerator Generator { get; }

    /// <summary>(N, 1, size, size) → logits (N, 1).</summary>
    public Sequential Discriminator { get; }

    /// <summary>The low-resolution input of <paramref name="highRes"/>: scale×scale block averages.</summary>
    public Tensor Downscale(Tensor highRes) => highRes.AvgPool2d((Config.Scale, Config.Scale));

    /// <summary>The baseline: bicubic upsampling of <paramref name="lowRes"/> to the full size, clamped to
    /// [−1, 1].</summary>
    public Tensor Bicubic(Tensor lowRes) =>
        lowRes.Interpolate([Config.ImageSize, Config.ImageSize], mode: InterpolateMode.Bicubic).Clamp(-1, 1);

    /// <summary>Super-resolves <paramref name="lowRes"/> in evaluation mode, without recording.</summary>
    public Tensor Upscale(Tensor lowRes)
    {
        using var _ = Autograd.NoGrad();
        bool training = Generator.Training;
        Generator.Eval();
        var y = Generator.Forward(lowRes);
        Generator.Train(training);
        return y;
    }

    /// <summary>Mean over images of PSNR = 10·log₁₀(peak² / MSE) in dB, for images in [−1, 1] (peak-to-peak 2);
    /// how super-resolution papers report it.   (N, …) pairs → scalar</summary>
    public static double Psnr(Tensor prediction, Tensor target)
    {
        using var _ = Autograd.NoGrad();
        var err = prediction.To(DType.Float64) - target.To(DType.Float64);
        var mse = (err * err).Reshape(err.Size(0), -1).Mean(1).ToArray<double>();
        return mse.Average(m => 10 * Math.Log10(4 / Math.Max(m, 1e-12)));
    }

    /// <summary>Adam(lr, β₁ = 0.9) for the generator and the discriminator, as in the paper.</summary>
    public (Optimizer Generator, Optimizer Discriminator) CreateOptimizers(double lr = 1e-4) =>
        (new Adam(Generator.Parameters(), lr, 0.9), new Adam(Discriminator.Parameters(), lr, 0.9));

    /// <summary>One generator step on the pixel MSE alone: the SRResNet stage, which the paper trains first and uses
    /// to initialise SRGAN's generator. Returns the batch's pixel MSE. The discriminator is not touched.</summary>
    public double PretrainStep(Tensor highRes, Optimizer generator)
    {
        ArgumentNullException.ThrowIfNull(highRes);
        ArgumentNullException.ThrowIfNull(generator);
        var pixel = Losses.Mse(Generator.Forward(Downscale(highRes)), highRes);
        generator.ZeroGrad();
        pixel.Backward();
        generator.Step();
        return pixel.Item();
    }

    /// <summary>One discriminator step and one generator step on the high-resolution batch
    /// <paramref name="highRes"/> (N, 1, size, size). <paramref name="features"/> maps images in [−1, 1] to the
    /// classifier features the content loss compares (null: pixel loss only).</summary>
    public SrGanLosses TrainStep(Tensor highRes, (Optimizer Generator, Optimizer Discriminator) optimizers,
        Func<Tensor, Tensor>? features)
    {
        var lowRes = Downscale(highRes);
        var sr = Generator.Forward(lowRes);
        optimizers.Discriminator.ZeroGrad();
        var dLoss = Losses.GanDiscriminatorLoss(Discriminator.Forward(highRes), Discriminator.Forward(sr.Detach()));
        dLoss.Backward();
        optimizers.Discriminator.Step();

        optimizers.Generator.ZeroGrad();
        var pixel = Losses.Mse(sr, highRes);
        var adversarial = Losses.GanGeneratorLoss(Discriminator.Forward(sr));
        var loss = pixel * Config.PixelWeight + adversarial * Config.AdversarialWeight;
        double content = 0;
        if (features is not null)
        {
            Tensor target;
            using (Autograd.NoGrad()) target = features(highRes);
            var c = Losses.Mse(features(sr), target);
            loss = loss + c * Config.ContentWeight;
            content = c.Item();
        }
        loss.Backward();
        optimizers.Generator.Step();
        return new SrGanLosses(dLoss.Item(), pixel.Item(), content, adversarial.Item());
    }
}
