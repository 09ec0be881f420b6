using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Dendrite.Data;
using Dendrite.IO;
using Dendrite.Models.Generative;
using Dendrite.Nn;

namespace Dendrite.Experiments.Generative;

/// <summary>What <see cref="GanFamilyTraining.Train"/> trains: <paramref name="Kind"/> is lapgan, srgan, cyclegan or
/// dvdgan; <paramref name="TrainCount"/> caps the training images (clips for dvdgan; null: the model's default).
/// </summary>
public sealed record GanFamilyOptions(string Kind, int Epochs, string OutputFolder, int Batch = 32, int Seed = 0,
    int? TrainCount = null, string? DataFolder = null);

/// <summary>Training from the command line for LAPGAN, SRGAN (×4), CycleGAN (MNIST digits ↔ Fashion-MNIST) and
/// DVD-GAN (moving Fashion-MNIST) on real data: a sample grid per epoch and a safetensors checkpoint whose
/// metadata (<c>generator</c> = the kind, <c>config</c> = the model's config as JSON) rebuilds the model for
/// <c>dendrite generate</c>.</summary>
public static class GanFamilyTraining
{
    /// <summary>The kinds, in the order of the help text.</summary>
    public static IReadOnlyList<string> Kinds { get; } = ["lapgan", "srgan", "cyclegan", "dvdgan"];

    /// <summary>Trains, writing OUT/grids/epoch-N.png and OUT/KIND.safetensors after every epoch; returns the
    /// checkpoint's path.</summary>
    public static string Train(GanFamilyOptions o, TextWriter log)
    {
        if (!Kinds.Contains(o.Kind))
            throw new ArgumentException($"gan-family: unknown model '{o.Kind}'; known: {string.Join(", ", Kinds)}");
        if (o.Epochs < 1 || o.Batch < 1)
            throw new ArgumentException($"gan-family: epochs ({o.Epochs}) and batch ({o.Batch}) must be >= 1");
        var folder = FashionMnist.Locate(o.DataFolder);
        var g = new Generator((ulong)o.Seed);
        var (images, _) = GanImages.Load(folder, "train");
        int n = Math.Min(o.TrainCount ?? images.Size(0), images.Size(0));
        var train = images.Narrow(0, 0, n);
        Directory.CreateDirectory(Path.Combine(o.OutputFolder, "grids"));
        var checkpoint = Path.Combine(o.OutputFolder, o.Kind + ".safetensors");
        Module model;
        object config;
        Action<Tensor, Tensor?> step;
        Tensor data = train, partner = train;
        switch (o.Kind)
        {
            case "lapgan":
                var lap = new LapGan();
                var lapOpt = lap.CreateOptimizers();
                (model, config, step) = (lap, lap.Config, (x, _) => lap.TrainStep(x, lapOpt, g));
                break;
            case "srgan":
                var sr = new SrGan();
                var srOpt = sr.CreateOptimizers();
                var classifier = FashionClassifier.LoadOrTrain(o.DataFolder, log: log);
                classifier.Freeze();
                (model, config, step) = (sr, sr.Config, (x, _) => sr.TrainStep(x, srOpt, classifier.Features));
                break;
            case "cyclegan":
                var cycle = new CycleGan();
                var cycleOpt = cycle.CreateOptimizers();
                var (digits, _) = MnistDigits.Load();
                using (Autograd.NoGrad())
                    data = (digits.IndexSelect(0, Tensor.Randperm(digits.Size(0), g)) * 2 - 1).Narrow(0, 0,
                        Math.Min(n, digits.Size(0)));
                partner = train.Narrow(0, 0, data.Size(0));
                (model, config, step) = (cycle, cycle.Config, (a, b) => cycle.TrainStep(a, b!, cycleOpt));
                break;
            default:
                var dvd = new DvdGan();
                var dvdOpt = dvd.CreateOptimizers();
                (data, _) = MovingImages.Make(GanImages.ToUnit(train), o.TrainCount ?? 3_000, dvd.Config.Frames,
                    generator: g);
                using (Autograd.NoGrad()) data = data * 2 - 1;
                (model, config, step) = (dvd, dvd.Config, (x, _) => dvd.TrainStep(x, dvdOpt, g));
                break;
        }
        var loader = new DataLoader(data, data, o.Batch, shuffle: true, dropLast: true, generator: g);
        var partners = new DataLoader(partner, partner, o.Batch, shuffle: true, dropLast: true, generator: g);
        for (int epoch = 1; epoch <= o.Epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            foreach (var ((x, _), (y, _)) in loader.Zip(partners))
            {
                using var scope = TensorScope.Begin();
                step(x, o.Kind == "cyclegan" ? y : null);
            }
            var metadata = new Dictionary<string, string>
            {
                ["generator"] = o.Kind,
                ["config"] = JsonSerializer.Serialize(config, config.GetType()),
                ["epoch"] = epoch.ToString(CultureInfo.InvariantCulture),
            };
            Safetensors.Save(checkpoint, model.StateDict(), metadata);
            var grid = Path.Combine(o.OutputFolder, "grids", $"epoch-{epoch}.png");
            Grid(model, 16, new Generator((ulong)o.Seed + 1), grid, o.DataFolder);
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{o.Kind}: epoch {epoch}/{o.Epochs}, {data.Size(0)} examples, {clock.Elapsed.TotalSeconds:F0} s; " +
                $"grid {grid}; checkpoint {checkpoint}"));
        }
        return checkpoint;
    }

    /// <summary>Rebuilds the model a checkpoint of <see cref="Train"/> describes and loads its weights.</summary>
    public static Module FromCheckpoint(IReadOnlyDictionary<string, Tensor> tensors,
        IReadOnlyDictionary<string, string> metadata, string path)
    {
        if (!metadata.TryGetValue("generator", out var kind) || !metadata.TryGetValue("config", out var json))
            throw new IOException($"{path}: metadata lacks 'generator' or 'config'");
        Module model;
        try
        {
            model = kind switch
            {
                "lapgan" => new LapGan(JsonSerializer.Deserialize<LapGanConfig>(json)),
                "srgan" => new SrGan(JsonSerializer.Deserialize<SrGanConfig>(json)),
                "cyclegan" => new CycleGan(JsonSerializer.Deserialize<CycleGanConfig>(json)),
                "dvdgan" => new DvdGan(JsonSerializer.Deserialize<DvdGanConfig>(json)),
                _ => throw new IOException($"{path}: generator '{kind}' is not one of {string.Join(", ", Kinds)}"),
            };
        }
        catch (JsonException e)
        {
            throw new IOException($"{path}: metadata 'config' is not a valid {kind} config: {e.Message}");
        }
        model.LoadStateDict(tensors);
        model.Eval();
        return model;
    }

    /// <summary>Writes a grid of <paramref name="count"/> samples from a model of <see cref="Train"/>: LAPGAN
    /// samples; SRGAN rows of ×4 inputs, bicubic, SRGAN and originals (Fashion-MNIST test images); CycleGAN
    /// Fashion-MNIST test items above their translation to digits; DVD-GAN clips, one per row.</summary>
    public static void Grid(Module model, int count, Generator g, string path, string? dataFolder = null)
    {
        using var _ = Autograd.NoGrad();
        Tensor images;
        int? columns = null;
        switch (model)
        {
            case LapGan lap:
                images = lap.Sample(count, g);
                break;
            case SrGan sr:
                var test = TestImages(count, dataFolder);
                var lr = sr.Downscale(test);
                images = Tensor.Cat([lr.Upsample(sr.Config.Scale), sr.Bicubic(lr), sr.Upscale(lr), test], 0);
                columns = test.Size(0);
                break;
            case CycleGan cycle:
                var items = TestImages(count, dataFolder);
                images = Tensor.Cat([items, cycle.Translate(items, reverse: true)], 0);
                columns = items.Size(0);
                break;
            case DvdGan dvd:
                int clips = Math.Max(1, count / dvd.Config.Frames);
                images = dvd.Sample(clips, g).Reshape(clips * dvd.Config.Frames, 1, 28, 28);
                columns = dvd.Config.Frames;
                break;
            default:
                throw new ArgumentException($"gan-family: no grid for a {model.GetType().Name}");
        }
        Plots.ImageGrid(path, GanImages.ToUnit(images), new ImageGridOptions
        {
            Columns = columns,
            Normalization = ImageNormalization.None,
        });
    }

    private static Tensor TestImages(int count, string? dataFolder)
    {
        var (test, _) = GanImages.Load(FashionMnist.Locate(dataFolder), "t10k");
        return test.Narrow(0, 0, Math.Clamp(count, 1, test.Size(0)));
    }
}
