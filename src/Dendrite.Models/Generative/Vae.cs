// Variational autoencoder (Kingma & Welling, "Auto-Encoding Variational Bayes", 2013, arXiv:1312.6114): a latent
// variable model p(x, z) = p(z) p(x | z) with prior p(z) = N(0, I), trained by maximising the evidence lower bound
//   ELBO(x) = E_q(z|x)[log p(x | z)] − KL(q(z | x) ‖ p(z))  ≤  log p(x)
// with an encoder q(z | x) = N(μ(x), diag σ²(x)) and one reparameterised sample z = μ + σ ⊙ ε per image (the paper's
// SGVB estimator; the KL of two Gaussians is analytic). The architecture is the paper's MLP (appendix C): one
// hidden layer of ReLU units each way (the paper used tanh; ReLU trains faster and is what PyTorch's example uses).
// Decoders:
// - Bernoulli: the decoder gives one logit per pixel, for binarised images (x ∈ {0, 1}); the ELBO is then a
//   bound on a proper discrete log-likelihood, in nats;
// - Gaussian: the decoder gives the mean (a sigmoid, in [0, 1]) of each grey level, and a learned log-variance per
//   pixel, clamped below at −6 (σ ≥ 0.05) because pixels that are always 0 would otherwise drive the density to ∞.
// The reference for the fixtures is torch.distributions (tools/make_generative_fixtures.py).
//
// Shapes: N batch, L latent size, h hidden width, images (N, 1, 28, 28).

using System.Globalization;
using Dendrite.Nn;
using Dendrite.Nn.Optim;

namespace Dendrite.Models.Generative;

/// <summary>The decoder's distribution over pixels.</summary>
public enum VaeLikelihood
{
    /// <summary>Independent Bernoulli pixels (binarised images).</summary>
    Bernoulli,

    /// <summary>Independent Gaussian grey levels with a learned per-pixel variance.</summary>
    Gaussian,
}

/// <summary>Configuration of a <see cref="Vae"/>.</summary>
/// <param name="Latent">L, the size of z (2 for the manifold plot; 20 in the paper's Fashion-MNIST-sized runs).</param>
/// <param name="Hidden">h, the width of the encoder's and the decoder's hidden layer.</param>
/// <param name="Likelihood">The decoder's distribution.</param>
public sealed record VaeConfig(int Latent = 20, int Hidden = 400, VaeLikelihood Likelihood = VaeLikelihood.Bernoulli)
{
    /// <summary>The checkpoint metadata that rebuilds this configuration (keys vae.latent, vae.hidden,
    /// vae.likelihood).</summary>
    public Dictionary<string, string> ToMetadata() => new()
    {
        ["vae.latent"] = Latent.ToString(CultureInfo.InvariantCulture),
        ["vae.hidden"] = Hidden.ToString(CultureInfo.InvariantCulture),
        ["vae.likelihood"] = Likelihood.ToString().ToLowerInvariant(),
    };

    /// <summary>The configuration written by <see cref="ToMetadata"/>; the error names the missing or bad key.</summary>
    public static VaeConfig FromMetadata(IReadOnlyDictionary<string, string> metadata)
    {
        int Int(string key) =>
            metadata.TryGetValue(key, out var v) && int.TryParse(v, CultureInfo.InvariantCulture, out int i) && i > 0
                ? i
                : throw new ArgumentException($"VaeConfig: metadata key '{key}' is missing or not a positive integer");
        string like = metadata.TryGetValue("vae.likelihood", out var l) ? l : "bernoulli";
        var likelihood = Enum.TryParse<VaeLikelihood>(like, ignoreCase: true, out var k)
            ? k
            : throw new ArgumentException($"VaeConfig: metadata key 'vae.likelihood' is '{like}', not bernoulli or gaussian");
        return new VaeConfig(Int("vae.latent"), Int("vae.hidden"), likelihood);
    }
}

/// <summary>The terms of the negative ELBO on a batch, each a mean over the batch in nats per image:
/// <see cref="Loss"/> = <see cref="Reconstruction"/> + <see cref="Kl"/>.</summary>
public sealed record VaeLoss(Tensor Loss, Tensor Reconstruction, Tensor Kl);

/// <summary>The ELBO on a data set, in nats per image, with its two terms: ELBO = −reconstruction − KL.</summary>
public sealed record VaeEvaluation(double Elbo, double Reconstruction, double Kl)
{
    /// <summary>The ELBO divided by the 784 pixels: nats per pixel.</summary>
    public double ElboPerPixel => Elbo / 784;
}

/// <summary>Encoder q(z | x) = N(μ, σ²) and decoder p(x | z), trained on the negative ELBO.
/// x: (N, 1, 28, 28) → (μ, log σ²): (N, L) → z: (N, L) → decoder output (N, 1, 28, 28)</summary>
public sealed class Vae : Module
{
    private const int Side = 28, Pixels = Side * Side;
    private const double MinLogVariance = -6;

    /// <summary>Builds the encoder and decoder for <paramref name="config"/>.</summary>
    public Vae(VaeConfig config)
    {
        if (config.Latent < 1 || config.Hidden < 1)
            throw new ArgumentException($"Vae: latent {config.Latent} and hidden {config.Hidden} must be >= 1");
        Config = config;
        Encoder = new Sequential(new Flatten(), new Linear(Pixels, config.Hidden), new Relu());
        Mean = new Linear(config.Hidden, config.Latent);
        LogVariance = new Linear(config.Hidden, config.Latent);
        Decoder = new Sequential(new Linear(config.Latent, config.Hidden), new Relu(), new Linear(config.Hidden, Pixels),
            new Unflatten(1, Side, Side));
        if (config.Likelihood == VaeLikelihood.Gaussian)
            PixelLogVariance = new Parameter(Tensor.Zeros(DType.Float32, 1, Side, Side));
    }

    /// <summary>The configuration.</summary>
    public VaeConfig Config { get; }

    /// <summary>The shared hidden layer of the encoder.   (N, 1, 28, 28) → (N, h)</summary>
    public Sequential Encoder { get; }

    /// <summary>μ(x).   (N, h) → (N, L)</summary>
    public Linear Mean { get; }

    /// <summary>log σ²(x).   (N, h) → (N, L)</summary>
    public Linear LogVariance { get; }

    /// <summary>The decoder: logits (Bernoulli) or pre-sigmoid means (Gaussian).   (N, L) → (N, 1, 28, 28)</summary>
    public Sequential Decoder { get; }

    /// <summary>The Gaussian decoder's per-pixel log-variance (null for the Bernoulli decoder).   (1, 28, 28)</summary>
    public Parameter? PixelLogVariance { get; }

    /// <summary>The parameters of q(z | x).   (N, 1, 28, 28) → μ, log σ²: (N, L)</summary>
    public (Tensor Mean, Tensor LogVariance) Encode(Tensor x)
    {
        var h = Encoder.Call(Images("Encode", x));                   // (N, h)
        return (Mean.Call(h), LogVariance.Call(h));
    }

    /// <summary>The decoder's raw output: Bernoulli logits, or Gaussian means before the sigmoid.
    /// (N, L) → (N, 1, 28, 28)</summary>
    public Tensor DecodeLogits(Tensor z)
    {
        if (z.Rank != 2 || z.Size(1) != Config.Latent)
            throw new ArgumentException($"Vae.Decode: expects latent codes (N, {Config.Latent}), got {Shapes.Format(z.Shape)}");
        return Decoder.Call(z);
    }

    /// <summary>The mean of p(x | z), grey levels (or pixel probabilities) in [0, 1].   (N, L) → (N, 1, 28, 28)</summary>
    public Tensor Decode(Tensor z) => DecodeLogits(z).Sigmoid();

    /// <summary>log p(x | z) per image from the decoder's raw output.   (N, 1, 28, 28) → (N)</summary>
    public Tensor LogLikelihood(Tensor decoderOutput, Tensor x) => Config.Likelihood == VaeLikelihood.Bernoulli
        ? Variational.BernoulliLogLikelihood(decoderOutput, x, Reduction.None)
        : Variational.GaussianLogLikelihood(decoderOutput.Sigmoid(), PixelLogVariance!.Clamp(min: MinLogVariance), x,
            Reduction.None);

    /// <summary>The negative ELBO of a batch with one reparameterised sample per image (noise from
    /// <paramref name="generator"/>): −log p(x | z) + KL(q(z | x) ‖ N(0, I)), means over the batch in nats.</summary>
    public VaeLoss Loss(Tensor x, Generator? generator = null)
    {
        var (mu, logVar) = Encode(x);                                   // (N, L) each
        var z = Variational.Reparameterize(mu, logVar, generator);      // (N, L)
        var reconstruction = -LogLikelihood(DecodeLogits(z), x).Mean();
        var kl = Variational.KlStandardNormal(mu, logVar);
        return new VaeLoss(reconstruction + kl, reconstruction, kl);
    }

    /// <summary>One epoch of mini-batch training on <paramref name="images"/> in an order drawn from
    /// <paramref name="generator"/> (which also draws ε); returns the mean negative ELBO in nats per image.</summary>
    public double TrainEpoch(Tensor images, Optimizer optimizer, int batchSize, Generator generator)
    {
        Images("TrainEpoch", images);
        this.Train();
        int n = images.Size(0);
        var order = Tensor.Randperm(n, generator);
        double sum = 0;
        for (int i = 0; i < n; i += batchSize)
        {
            using var scope = TensorScope.Begin();
            int len = Math.Min(batchSize, n - i);
            var loss = Loss(images.IndexSelect(0, order.Narrow(0, i, len)), generator).Loss;
            optimizer.ZeroGrad();
            loss.Backward();
            optimizer.Step();
            sum += loss.Item() * len;
        }
        return sum / n;
    }

    /// <summary>The ELBO of <paramref name="images"/> (one sample of z per image), in nats per image, without
    /// gradients.</summary>
    public VaeEvaluation Evaluate(Tensor images, Generator generator, int batchSize = 500)
    {
        Images("Evaluate", images);
        using var _ = Autograd.NoGrad();
        double reconstruction = 0, kl = 0;
        int n = images.Size(0);
        for (int i = 0; i < n; i += batchSize)
        {
            using var scope = TensorScope.Begin();
            int len = Math.Min(batchSize, n - i);
            var terms = Loss(images.Narrow(0, i, len), generator);
            reconstruction += terms.Reconstruction.Item() * len;
            kl += terms.Kl.Item() * len;
        }
        return new VaeEvaluation(-(reconstruction + kl) / n, reconstruction / n, kl / n);
    }

    /// <summary>Images decoded from z ~ N(0, I): the mean of p(x | z) for each.   → (count, 1, 28, 28)</summary>
    public Tensor Sample(int count, Generator generator)
    {
        if (count < 1) throw new ArgumentException($"Vae.Sample: count must be >= 1, got {count}");
        using var _ = Autograd.NoGrad();
        return Decode(Tensor.Randn([count, Config.Latent], generator));
    }

    /// <summary>Images decoded along the straight line between the posterior means of two images, both ends
    /// included.   a, b: (1, 28, 28) or (1, 1, 28, 28) → (steps, 1, 28, 28)</summary>
    public Tensor Interpolate(Tensor a, Tensor b, int steps)
    {
        if (steps < 2) throw new ArgumentException($"Vae.Interpolate: steps must be >= 2, got {steps}");
        using var _ = Autograd.NoGrad();
        var za = Encode(a.Reshape(1, 1, Side, Side)).Mean;                   // (1, L)
        var zb = Encode(b.Reshape(1, 1, Side, Side)).Mean;
        var t = Tensor.From([.. Enumerable.Range(0, steps).Select(i => (float)i / (steps - 1))], steps, 1);
        return Decode(za + (zb - za) * t);                                     // (steps, L) → images
    }

    /// <summary>The learned 2-D manifold (L = 2): the decoded means of a grid of z whose coordinates are the
    /// standard normal's quantiles at evenly spaced probabilities, so the grid covers the prior's mass evenly (the
    /// paper's figure 4). Row r has z₂ decreasing from the top, column c has z₁ increasing.   → (n², 1, 28, 28)</summary>
    public Tensor Manifold(int n)
    {
        if (Config.Latent != 2)
            throw new InvalidOperationException($"Vae.Manifold: needs a 2-D latent space, this one has {Config.Latent}");
        if (n < 2) throw new ArgumentException($"Vae.Manifold: n must be >= 2, got {n}");
        var q = Enumerable.Range(0, n)
            .Select(i => MathNet.Numerics.Distributions.Normal.InvCDF(0, 1, (i + 0.5) / n)).ToArray();
        var z = new float[n * n * 2];
        for (int r = 0; r < n; r++)
        {
            for (int c = 0; c < n; c++)
            {
                z[(r * n + c) * 2] = (float)q[c];
                z[(r * n + c) * 2 + 1] = (float)q[n - 1 - r];
            }
        }
        using var _ = Autograd.NoGrad();
        return Decode(Tensor.From(z, n * n, 2));
    }

    /// <summary>Images with every grey level above ½ set to 1 and the rest to 0: the data of the Bernoulli decoder.</summary>
    public static Tensor Binarize(Tensor images)
    {
        using var _ = Autograd.NoGrad();
        return images.Gt(0.5).To(images.DType);
    }

    private static Tensor Images(string op, Tensor x)
    {
        if (x.Rank != 4 || x.Size(1) != 1 || x.Size(2) != Side || x.Size(3) != Side)
            throw new ArgumentException($"Vae.{op}: expects images (N, 1, 28, 28), got {Shapes.Format(x.Shape)}");
        return x;
    }
}
