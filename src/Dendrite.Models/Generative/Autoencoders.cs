// Autoencoders: an encoder maps an image to a code with fewer numbers than pixels and a decoder maps the code back;
// trained to reproduce their input, they learn a compression of the data (Hinton & Salakhutdinov, "Reducing the
// Dimensionality of Data with Neural Networks", Science 2006). Variants of the course, all on 28×28 grey images in
// [0, 1]:
// - undercomplete MLP: 784 → hidden → code → hidden → 784 (a linear code; with linear units and squared error it
//   would span the PCA subspace, the non-linear layers let it do better at the same code size);
// - undercomplete convolutional: strided convolutions down to 7×7, a transposed convolution and an upsampling back;
// - denoising (Vincent et al., "Extracting and Composing Robust Features with Denoising Autoencoders", ICML 2008):
//   the input is corrupted with Gaussian noise, the target is the clean image;
// - sparse: an L1 penalty λ Σ|z| on the code added to the reconstruction error (Goodfellow et al., Deep Learning,
//   §14.2.1), which drives most code units to zero for any one image.
// The decoder ends in a sigmoid, so reconstructions are grey levels in [0, 1]; the loss is the mean squared error
// per pixel, the same measure as PCA's reconstruction error.
//
// Shapes: N batch, code the code size, images (N, 1, 28, 28).

using System.Globalization;
using Dendrite.Nn;
using Dendrite.Nn.Optim;

namespace Dendrite.Models.Generative;

/// <summary>Configuration of an <see cref="Autoencoder"/>.</summary>
/// <param name="CodeSize">Numbers in the code (2 for a scatter plot, 32 for good reconstructions).</param>
/// <param name="Hidden">Width of the MLP's hidden layers (unused by the convolutional one).</param>
/// <param name="Convolutional">Convolutional encoder and decoder instead of an MLP.</param>
/// <param name="NoiseStd">Standard deviation of the Gaussian noise added to the input in training (denoising;
/// 0 for none).</param>
/// <param name="Sparsity">λ of the L1 penalty λ·mean over the batch of Σ|z| on the code (sparse; 0 for none).</param>
public sealed record AutoencoderConfig(int CodeSize = 32, int Hidden = 256, bool Convolutional = false,
    double NoiseStd = 0, double Sparsity = 0)
{
    /// <summary>The course's name for the variant: "denoising", "sparse", "convolutional" or "mlp".</summary>
    public string Kind => NoiseStd > 0 ? "denoising" : Sparsity > 0 ? "sparse" : Convolutional ? "convolutional" : "mlp";

    /// <summary>The checkpoint metadata that rebuilds this configuration (keys autoencoder.*).</summary>
    public Dictionary<string, string> ToMetadata() => new()
    {
        ["autoencoder.code"] = CodeSize.ToString(CultureInfo.InvariantCulture),
        ["autoencoder.hidden"] = Hidden.ToString(CultureInfo.InvariantCulture),
        ["autoencoder.convolutional"] = Convolutional ? "true" : "false",
        ["autoencoder.noise"] = NoiseStd.ToString("R", CultureInfo.InvariantCulture),
        ["autoencoder.sparsity"] = Sparsity.ToString("R", CultureInfo.InvariantCulture),
    };

    /// <summary>The configuration written by <see cref="ToMetadata"/>; the error names the missing or bad key.</summary>
    public static AutoencoderConfig FromMetadata(IReadOnlyDictionary<string, string> metadata)
    {
        string Get(string key) => metadata.TryGetValue(key, out var v)
            ? v
            : throw new ArgumentException($"AutoencoderConfig: metadata key '{key}' is missing");
        int Int(string key) => int.TryParse(Get(key), CultureInfo.InvariantCulture, out int i)
            ? i
            : throw new ArgumentException($"AutoencoderConfig: metadata key '{key}' is '{Get(key)}', not an integer");
        double Real(string key) => double.TryParse(Get(key), CultureInfo.InvariantCulture, out double d)
            ? d
            : throw new ArgumentException($"AutoencoderConfig: metadata key '{key}' is '{Get(key)}', not a number");
        bool conv = bool.TryParse(Get("autoencoder.convolutional"), out bool b)
            ? b
            : throw new ArgumentException("AutoencoderConfig: metadata key 'autoencoder.convolutional' is not true or false");
        return new AutoencoderConfig(Int("autoencoder.code"), Int("autoencoder.hidden"), conv, Real("autoencoder.noise"),
            Real("autoencoder.sparsity"));
    }
}

/// <summary>The terms of an autoencoder's training loss on a batch: the total, the reconstruction error (mean
/// squared error per pixel against the clean image) and the sparsity penalty.</summary>
public sealed record AutoencoderLoss(Tensor Total, Tensor Reconstruction, Tensor Penalty);

/// <summary>Encoder → code → decoder, trained to reconstruct its (clean) input. See the file header for the
/// variants.   x: (N, 1, 28, 28) in [0, 1] → reconstruction (N, 1, 28, 28) in [0, 1]</summary>
public sealed class Autoencoder : Module, ILayer
{
    private const int Side = 28, Pixels = Side * Side;

    /// <summary>Builds the encoder and decoder for <paramref name="config"/>.</summary>
    public Autoencoder(AutoencoderConfig config)
    {
        if (config.CodeSize < 1) throw new ArgumentException($"Autoencoder: code size must be >= 1, got {config.CodeSize}");
        if (config.NoiseStd < 0 || config.Sparsity < 0)
            throw new ArgumentException($"Autoencoder: noise {config.NoiseStd} and sparsity {config.Sparsity} must be >= 0");
        Config = config;
        int h = config.Hidden, code = config.CodeSize;
        if (config.Convolutional)
        {
            Encoder = new Sequential(
                new Conv2d(1, 16, 3, stride: 2, padding: 1), new Relu(),            // (N, 16, 14, 14)
                new Conv2d(16, 32, 3, stride: 2, padding: 1), new Relu(),           // (N, 32, 7, 7)
                new Flatten(), new Linear(32 * 7 * 7, code));                       // (N, code)
            Decoder = new Sequential(
                new Linear(code, 32 * 7 * 7), new Relu(), new Unflatten(32, 7, 7),  // (N, 32, 7, 7)
                new ConvTranspose2d(32, 16, 4, stride: 2, padding: 1), new Relu(),  // (N, 16, 14, 14)
                new Upsample((Side, Side)),                                         // (N, 16, 28, 28)
                new Conv2d(16, 1, 3, padding: 1));                                  // (N, 1, 28, 28) logits
        }
        else
        {
            if (h < 1) throw new ArgumentException($"Autoencoder: hidden width must be >= 1, got {h}");
            Encoder = new Sequential(new Flatten(), new Linear(Pixels, h), new Relu(), new Linear(h, code));
            Decoder = new Sequential(new Linear(code, h), new Relu(), new Linear(h, Pixels), new Unflatten(1, Side, Side));
        }
    }

    /// <summary>The configuration.</summary>
    public AutoencoderConfig Config { get; }

    /// <summary>Image → code.   (N, 1, 28, 28) → (N, code)</summary>
    public Sequential Encoder { get; }

    /// <summary>Code → logits of the reconstruction.   (N, code) → (N, 1, 28, 28)</summary>
    public Sequential Decoder { get; }

    /// <summary>The code of each image.   (N, 1, 28, 28) → (N, code)</summary>
    public Tensor Encode(Tensor x) => Encoder.Call(Images("Encode", x));

    /// <summary>The image of each code, grey levels in [0, 1].   (N, code) → (N, 1, 28, 28)</summary>
    public Tensor Decode(Tensor code)
    {
        if (code.Rank != 2 || code.Size(1) != Config.CodeSize)
            throw new ArgumentException($"Autoencoder.Decode: expects codes (N, {Config.CodeSize}), got {Shapes.Format(code.Shape)}");
        return Decoder.Call(code).Sigmoid();
    }

    /// <inheritdoc/>
    public Tensor Forward(Tensor x) => Decode(Encode(x));

    /// <summary>The training loss on clean images x: the input is corrupted first when the configuration is
    /// denoising (noise from <paramref name="generator"/>), and the code's L1 penalty is added when it is sparse.</summary>
    public AutoencoderLoss Loss(Tensor x, Generator? generator = null)
    {
        var input = Config.NoiseStd > 0 ? Corrupt(x, Config.NoiseStd, generator) : x;
        var code = Encode(input);
        var reconstruction = Losses.Mse(Decode(code), x);
        var penalty = Config.Sparsity > 0
            ? code.Abs().Sum(1).Mean() * Config.Sparsity
            : Tensor.Scalar(0, x.DType);
        return new AutoencoderLoss(reconstruction + penalty, reconstruction, penalty);
    }

    /// <summary>x + σ·ε with ε ~ N(0, I), clamped to [0, 1]: the denoising autoencoder's corruption.</summary>
    public static Tensor Corrupt(Tensor x, double std, Generator? generator = null) =>
        (x + Tensor.Randn(x.Shape, generator, std: std, dtype: x.DType)).Clamp(0, 1);

    /// <summary>One epoch of mini-batch training on <paramref name="images"/> in an order drawn from
    /// <paramref name="generator"/> (which also draws the denoising noise); returns the mean training loss.</summary>
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
            var batch = images.IndexSelect(0, order.Narrow(0, i, len));
            var loss = Loss(batch, generator).Total;
            optimizer.ZeroGrad();
            loss.Backward();
            optimizer.Step();
            sum += loss.Item() * len;
        }
        return sum / n;
    }

    /// <summary>Mean squared error per pixel of each image's reconstruction from the (clean) image itself, in
    /// evaluation mode without gradients: the anomaly score.   (N, 1, 28, 28) → double[N]</summary>
    public double[] ReconstructionErrors(Tensor images, int batchSize = 500)
    {
        Images("ReconstructionErrors", images);
        var errors = new double[images.Size(0)];
        Map(images, batchSize, (i, batch, _) =>
        {
            var d = Forward(batch) - batch;
            var perImage = (d * d).Reshape(batch.Size(0), -1).Mean(1).To(DType.Float64).ToArray<double>();
            perImage.CopyTo(errors, i);
        });
        return errors;
    }

    /// <summary>Reconstructions of <paramref name="images"/> (already corrupted ones, for a denoising model), in
    /// evaluation mode without gradients.   (N, 1, 28, 28) → (N, 1, 28, 28)</summary>
    public Tensor Reconstruct(Tensor images, int batchSize = 500) => Apply(images, batchSize, Forward);

    /// <summary>Codes of <paramref name="images"/>, in evaluation mode without gradients.   (N, 1, 28, 28) → (N, code)</summary>
    public Tensor Codes(Tensor images, int batchSize = 500) => Apply(images, batchSize, Encode);

    private Tensor Apply(Tensor images, int batchSize, Func<Tensor, Tensor> f)
    {
        Images("Apply", images);
        var parts = new List<Tensor>();
        Map(images, batchSize, (_, batch, scope) => parts.Add(scope.Keep(f(batch))));
        return Tensor.Cat(parts, 0);
    }

    private void Map(Tensor images, int batchSize, Action<int, Tensor, TensorScope> body)
    {
        bool was = Training;
        this.Eval();
        try
        {
            using var _ = Autograd.NoGrad();
            for (int i = 0; i < images.Size(0); i += batchSize)
            {
                using var scope = TensorScope.Begin();
                body(i, images.Narrow(0, i, Math.Min(batchSize, images.Size(0) - i)), scope);
            }
        }
        finally
        {
            this.Train(was);
        }
    }

    private static Tensor Images(string op, Tensor x)
    {
        if (x.Rank != 4 || x.Size(1) != 1 || x.Size(2) != Side || x.Size(3) != Side)
            throw new ArgumentException($"Autoencoder.{op}: expects images (N, 1, 28, 28), got {Shapes.Format(x.Shape)}");
        return x;
    }
}
