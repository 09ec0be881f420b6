using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Dendrite.Data;
using Dendrite.IO;
using Dendrite.Models.Generative;
using Dendrite.Nn;
using Dendrite.Nn.Optim;
using Dendrite.Training;

namespace Dendrite.Cli;

/// <summary><c>dendrite autoencoder --kind mlp|conv|denoising|sparse|vae|vae-gaussian</c>: trains an autoencoder or
/// a variational autoencoder on Fashion-MNIST, reports its test figure (reconstruction MSE, PSNR or ELBO) and writes
/// a checkpoint with the metadata that rebuilds it, plus a PNG grid of reconstructions or samples.</summary>
internal static class AutoencoderCommands
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private static readonly string[] Kinds = ["mlp", "conv", "denoising", "sparse", "vae", "vae-gaussian"];

    public static void Register(RootCommand root)
    {
        var kind = new Option<string>("--kind")
        {
            Description = "mlp, conv, denoising, sparse (autoencoders) or vae, vae-gaussian",
            DefaultValueFactory = _ => "mlp",
        };
        var code = Opt("--code", "code size (latent size for a VAE)", 32);
        var hidden = Opt("--hidden", "hidden width of the MLP layers", 256);
        var epochs = Opt("--epochs", "epochs to train", 10);
        var batch = Opt("--batch", "batch size", 128);
        var lr = Opt("--lr", "Adam learning rate", 1e-3);
        var noise = Opt("--noise", "noise σ of the denoising autoencoder", 0.3);
        var sparsity = Opt("--sparsity", "L1 weight λ of the sparse autoencoder", 1e-3);
        var trainCount = Opt("--train-count", "training images to use (default: all)", 0);
        var data = new Option<string?>("--data") { Description = "folder with the Fashion-MNIST IDX files" };
        var output = new Option<string>("--out")
        {
            Description = "checkpoint to write; a PNG grid is written beside it",
            DefaultValueFactory = _ => Path.Combine("runs", "autoencoder", "model.safetensors"),
        };
        var seed = Opt("--seed", "random seed", 0UL);
        var threads = Opt("--threads", "compute threads (default: all cores)", 0);
        var cmd = new Command("autoencoder", "train an autoencoder or a VAE on Fashion-MNIST and write a checkpoint");
        Option[] all = [kind, code, hidden, epochs, batch, lr, noise, sparsity, trainCount, data, output, seed, threads];
        foreach (var o in all) cmd.Options.Add(o);
        cmd.SetAction(p =>
        {
            if (p.GetValue(threads) is int n and > 0)
                Environment.SetEnvironmentVariable("DENDRITE_NUM_THREADS", n.ToString(Inv));
            var options = new Options(p.GetValue(kind)!, p.GetValue(code), p.GetValue(hidden), p.GetValue(epochs),
                p.GetValue(batch), p.GetValue(lr), p.GetValue(noise), p.GetValue(sparsity), p.GetValue(trainCount),
                p.GetValue(data), p.GetValue(output)!, p.GetValue(seed));
            return Run(options, Console.Out);
        });
        root.Subcommands.Add(cmd);
    }

    private static Option<T> Opt<T>(string name, string description, T value) =>
        new(name) { Description = description, DefaultValueFactory = _ => value };

    /// <summary>What to train.</summary>
    internal sealed record Options(string Kind, int Code, int Hidden, int Epochs, int Batch, double Lr, double Noise,
        double Sparsity, int TrainCount, string? Data, string Out, ulong Seed);

    /// <summary>Trains, evaluates and saves; returns the exit code (2 with a message on bad input).</summary>
    internal static int Run(Options o, TextWriter log)
    {
        try
        {
            if (!Kinds.Contains(o.Kind))
                throw new ArgumentException($"autoencoder: unknown --kind '{o.Kind}'; use one of {string.Join(", ", Kinds)}");
            if (o.Epochs < 1 || o.Batch < 1 || o.Code < 1 || o.Hidden < 1 || o.TrainCount < 0)
                throw new ArgumentException("autoencoder: --epochs, --batch, --code and --hidden must be >= 1, --train-count >= 0");
            string folder = FashionMnist.Locate(o.Data);
            var (x, _) = FashionMnist.Load(folder, "train", standardize: false);
            var (tx, _) = FashionMnist.Load(folder, "t10k", standardize: false);
            if (o.TrainCount > 0 && o.TrainCount < x.Size(0)) x = x.Narrow(0, 0, o.TrainCount);
            log.WriteLine($"autoencoder: {o.Kind}, {x.Size(0):N0} training and {tx.Size(0):N0} test images from {folder}");
            var g = new Generator(o.Seed);
            return o.Kind.StartsWith("vae", StringComparison.Ordinal) ? TrainVae(o, x, tx, g, log) : TrainAutoencoder(o, x, tx, g, log);
        }
        catch (Exception e) when (e is ArgumentException or IOException or DataFormatException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
    }

    private static int TrainAutoencoder(Options o, Tensor x, Tensor tx, Generator g, TextWriter log)
    {
        var config = new AutoencoderConfig(o.Code, o.Hidden, Convolutional: o.Kind is "conv" or "denoising",
            NoiseStd: o.Kind == "denoising" ? o.Noise : 0, Sparsity: o.Kind == "sparse" ? o.Sparsity : 0);
        var model = new Autoencoder(config);
        var optimizer = new Adam(model.Parameters(), lr: o.Lr);
        var clock = Stopwatch.StartNew();
        for (int e = 0; e < o.Epochs; e++)
        {
            double loss = model.TrainEpoch(x, optimizer, o.Batch, g);
            log.WriteLine($"epoch {e + 1}/{o.Epochs}: training loss {loss:F5} ({clock.Elapsed.TotalSeconds:F0} s)");
        }
        var input = config.NoiseStd > 0 ? Autoencoder.Corrupt(tx, config.NoiseStd, new Generator(o.Seed + 1)) : tx;
        var output = model.Reconstruct(input);
        if (config.NoiseStd > 0)
            log.WriteLine($"test PSNR: noisy {Metrics.Psnr(input, tx):F2} dB, denoised {Metrics.Psnr(output, tx):F2} dB");
        using (Autograd.NoGrad())
            log.WriteLine($"test reconstruction MSE per pixel: {Losses.Mse(output, tx).Item():F5}");
        var meta = config.ToMetadata();
        meta["model"] = "autoencoder";
        Save(o.Out, model, meta, log);
        int show = Math.Min(10, tx.Size(0));
        var rows = config.NoiseStd > 0
            ? new[] { tx.Narrow(0, 0, show), input.Narrow(0, 0, show), output.Narrow(0, 0, show) }
            : [tx.Narrow(0, 0, show), output.Narrow(0, 0, show)];
        WriteGrid(Path.ChangeExtension(o.Out, ".png"), Tensor.Cat(rows, 0), show, log);
        return 0;
    }

    private static int TrainVae(Options o, Tensor x, Tensor tx, Generator g, TextWriter log)
    {
        var likelihood = o.Kind == "vae" ? VaeLikelihood.Bernoulli : VaeLikelihood.Gaussian;
        if (likelihood == VaeLikelihood.Bernoulli)
        {
            x = Vae.Binarize(x);
            tx = Vae.Binarize(tx);
        }
        var config = new VaeConfig(o.Code, o.Hidden, likelihood);
        var vae = new Vae(config);
        var optimizer = new Adam(vae.Parameters(), lr: o.Lr);
        var clock = Stopwatch.StartNew();
        for (int e = 0; e < o.Epochs; e++)
        {
            double elbo = -vae.TrainEpoch(x, optimizer, o.Batch, g);
            log.WriteLine($"epoch {e + 1}/{o.Epochs}: training ELBO {elbo:F2} nats ({clock.Elapsed.TotalSeconds:F0} s)");
        }
        var eval = vae.Evaluate(tx, new Generator(o.Seed + 1));
        log.WriteLine($"test ELBO: {eval.Elbo:F2} nats per image ({eval.ElboPerPixel:F4} per pixel; reconstruction " +
            $"{eval.Reconstruction:F2}, KL {eval.Kl:F2})");
        var meta = config.ToMetadata();
        meta["generator"] = VaeGenerator.KindName;
        Save(o.Out, vae, meta, log);
        WriteGrid(Path.ChangeExtension(o.Out, ".png"), vae.Sample(64, new Generator(o.Seed + 2)), 8, log);
        return 0;
    }

    private static void Save(string path, Module model, Dictionary<string, string> metadata, TextWriter log)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        Safetensors.Save(path, model.StateDict(), metadata);
        log.WriteLine($"wrote {path}");
    }

    internal static void WriteGrid(string path, Tensor images, int columns, TextWriter log)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        Plots.ImageGrid(path, images, new ImageGridOptions
        {
            Columns = columns,
            Scale = 2,
            Normalization = ImageNormalization.None,
        });
        log.WriteLine($"wrote {path}");
    }
}
