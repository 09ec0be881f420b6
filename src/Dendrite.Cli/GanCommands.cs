using System.CommandLine;
using System.Globalization;
using Dendrite.Data;
using Dendrite.Experiments.Generative;
using Dendrite.IO;
using Dendrite.Models.Generative;

namespace Dendrite.Cli;

/// <summary><c>dendrite gan --model dcgan --epochs 5 --out runs/dcgan</c>: trains a GAN on Fashion-MNIST, writing a
/// sample grid and a checkpoint per epoch; with <c>--measure</c>, the Fréchet distances afterwards.</summary>
internal static class GanCommands
{
    public static void Register(RootCommand root)
    {
        var model = new Option<string>("--model")
        {
            Description = "gan (MLPs), cgan (class-conditioned MLPs) or dcgan",
            DefaultValueFactory = _ => "dcgan",
        };
        var epochs = new Option<int>("--epochs") { Description = "epochs in total", DefaultValueFactory = _ => 5 };
        var output = new Option<string>("--out")
        {
            Description = "folder of the checkpoint (gan.safetensors) and grids/",
            DefaultValueFactory = _ => "runs/gan",
        };
        var batch = new Option<int>("--batch") { Description = "images per step", DefaultValueFactory = _ => 64 };
        var lr = new Option<double>("--lr")
        {
            Description = "Adam learning rate (G and D)",
            DefaultValueFactory = _ => 2e-4,
        };
        var smoothing = new Option<double>("--label-smoothing")
        {
            Description = "one-sided label smoothing of D's real targets (e.g. 0.1)",
            DefaultValueFactory = _ => 0,
        };
        var latent = new Option<int>("--latent") { Description = "noise size", DefaultValueFactory = _ => 100 };
        var hidden = new Option<int>("--hidden")
        {
            Description = "MLP width (gan, cgan)",
            DefaultValueFactory = _ => 256,
        };
        var seed = new Option<int>("--seed") { Description = "seed", DefaultValueFactory = _ => 0 };
        var train = new Option<int>("--train") { Description = "use the first N training images (0: all)" };
        var data = new Option<string?>("--data") { Description = "Fashion-MNIST folder (default: Debian's or data/)" };
        var resume = new Option<bool>("--resume") { Description = "continue from the checkpoint in --out" };
        var measure = new Option<int>("--measure")
        {
            Description = "afterwards, Fréchet distances on N samples (0: skip; trains the classifier once)",
        };
        var cmd = new Command("gan", "train a GAN on Fashion-MNIST: a grid and a checkpoint per epoch " +
            "(sample later with dendrite generate --checkpoint OUT/gan.safetensors --out grid.png)");
        foreach (var o in new Option[] { model, epochs, output, batch, lr, smoothing, latent, hidden, seed, train, data,
                     resume, measure })
            cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            try
            {
                var config = new GanConfig(GanConfig.ParseKind(parse.GetValue(model)!), parse.GetValue(latent),
                    10, parse.GetValue(hidden));
                int n = parse.GetValue(train);
                var options = new GanTrainingOptions(config, parse.GetValue(epochs), parse.GetValue(output)!,
                    parse.GetValue(batch), parse.GetValue(lr), parse.GetValue(smoothing), parse.GetValue(seed),
                    n > 0 ? n : null, parse.GetValue(data), parse.GetValue(resume));
                return Run(options, parse.GetValue(measure), Console.Out);
            }
            catch (Exception e) when (e is ArgumentException or IOException or SafetensorsFormatException
                or DataFormatException or InvalidOperationException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 2;
            }
        });
        root.Subcommands.Add(cmd);
    }

    internal static int Run(GanTrainingOptions options, int measure, TextWriter output)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = GanTraining.Train(options, output);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{options.Config.Name}: {result.TrainImages} images per epoch, {clock.Elapsed.TotalSeconds:F0} s; " +
            $"checkpoint {result.Checkpoint}"));
        if (measure <= 0) return 0;
        var classifier = FashionClassifier.LoadOrTrain(options.DataFolder, log: output);
        var m = GanTraining.Measure(result.Gan, classifier, measure, new Generator((ulong)options.Seed + 10),
            options.DataFolder);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Fréchet distance to {m.Samples} test images: generated {m.Generated:F3}, real training images " +
            $"{m.RealTrain:F3}, class means {m.ClassMeans:F3}, uniform noise {m.Noise:F3}"));
        if (m.ConditionalAccuracy is double acc)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"share of samples classified as the class asked for: {acc:P2} " +
                $"(class means: {m.ClassMeansAccuracy:P2})"));
        }
        return 0;
    }
}

/// <summary>Samples a grid from a checkpoint of <c>dendrite gan</c> (kinds gan, cgan, dcgan); a conditional GAN's
/// grid has one column per class, labelled.</summary>
internal sealed class GanCheckpointGenerator(string kind) : ICheckpointGenerator
{
    /// <summary>One generator per GAN kind.</summary>
    public static ICheckpointGenerator[] All { get; } =
        [new GanCheckpointGenerator("gan"), new GanCheckpointGenerator("cgan"), new GanCheckpointGenerator("dcgan")];

    public string Kind => kind;

    public string Description => kind switch
    {
        "gan" => "vanilla GAN: a grid of Fashion-MNIST-like images",
        "cgan" => "conditional GAN: a grid with one column per class",
        _ => "DCGAN: a grid of Fashion-MNIST-like images",
    };

    public int Generate(GenerateRequest request, IReadOnlyDictionary<string, Tensor> tensors,
        IReadOnlyDictionary<string, string> metadata)
    {
        if (request.Out is null)
            throw new ArgumentException($"generate: a {kind} checkpoint writes an image: give --out grid.png");
        if (request.Count < 1) throw new ArgumentException($"generate: --count must be >= 1, got {request.Count}");
        var gan = GanTraining.FromCheckpoint(tensors, metadata, request.Checkpoint);
        var images = gan.Sample(request.Count, new Generator(request.Seed));
        bool conditional = gan.Conditional;
        Plots.ImageGrid(request.Out, GanImages.ToUnit(images), new ImageGridOptions
        {
            Columns = conditional ? gan.Config.Classes : null,
            Labels = conditional && gan.Config.Classes == FashionMnist.Classes.Count
                ? [.. Enumerable.Range(0, request.Count).Select(i => FashionMnist.Classes[i % gan.Config.Classes])]
                : null,
            Normalization = ImageNormalization.None,
        });
        request.Output.WriteLine($"{kind}: {request.Count} samples (seed {request.Seed}) written to {request.Out}");
        return 0;
    }
}
