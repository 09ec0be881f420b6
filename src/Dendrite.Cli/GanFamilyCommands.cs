using System.CommandLine;
using Dendrite.Data;
using Dendrite.Experiments.Generative;
using Dendrite.IO;

namespace Dendrite.Cli;

/// <summary><c>dendrite gan-family --model lapgan|srgan|cyclegan|dvdgan --epochs 3 --out runs/lapgan</c>: trains one
/// of the image-to-image and multi-scale GANs on real data, with a grid and a checkpoint per epoch.</summary>
internal static class GanFamilyCommands
{
    public static void Register(RootCommand root)
    {
        var model = new Option<string>("--model")
        {
            Description = "lapgan (Fashion-MNIST), srgan (×4 super-resolution), cyclegan (MNIST digits ↔ " +
                "Fashion-MNIST) or dvdgan (moving Fashion-MNIST clips)",
            Required = true,
        };
        var epochs = new Option<int>("--epochs") { Description = "epochs", DefaultValueFactory = _ => 3 };
        var output = new Option<string>("--out")
        {
            Description = "folder of the checkpoint (MODEL.safetensors) and grids/",
            DefaultValueFactory = _ => "runs/gan-family",
        };
        var batch = new Option<int>("--batch") { Description = "examples per step", DefaultValueFactory = _ => 32 };
        var seed = new Option<int>("--seed") { Description = "seed", DefaultValueFactory = _ => 0 };
        var train = new Option<int>("--train")
        {
            Description = "use the first N training images (clips for dvdgan; 0: all, 3000 clips)",
        };
        var data = new Option<string?>("--data") { Description = "Fashion-MNIST folder (default: Debian's or data/)" };
        var cmd = new Command("gan-family", "train LAPGAN, SRGAN, CycleGAN or DVD-GAN on real data: a grid and a " +
            "checkpoint per epoch (sample later with dendrite generate --checkpoint OUT/MODEL.safetensors)");
        foreach (var o in new Option[] { model, epochs, output, batch, seed, train, data })
            cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            try
            {
                int n = parse.GetValue(train);
                GanFamilyTraining.Train(new GanFamilyOptions(parse.GetValue(model)!, parse.GetValue(epochs),
                    parse.GetValue(output)!, parse.GetValue(batch), parse.GetValue(seed), n > 0 ? n : null,
                    parse.GetValue(data)), Console.Out);
                return 0;
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
}

/// <summary>Grids from checkpoints of <c>dendrite gan-family</c>: kinds lapgan, srgan, cyclegan, dvdgan.</summary>
internal sealed class GanFamilyCheckpointGenerator(string kind, string description) : ICheckpointGenerator
{
    /// <summary>One generator per model of <c>dendrite gan-family</c>.</summary>
    public static ICheckpointGenerator[] All { get; } =
    [
        new GanFamilyCheckpointGenerator("lapgan", "LAPGAN: a grid of Fashion-MNIST-like images, coarse to fine"),
        new GanFamilyCheckpointGenerator("srgan", "SRGAN: rows of ×4 inputs, bicubic, SRGAN and originals"),
        new GanFamilyCheckpointGenerator("cyclegan", "CycleGAN: Fashion-MNIST items over their digit translations"),
        new GanFamilyCheckpointGenerator("dvdgan", "DVD-GAN: moving-item clips, one per row"),
    ];

    public string Kind => kind;

    public string Description => description;

    public int Generate(GenerateRequest request, IReadOnlyDictionary<string, Tensor> tensors,
        IReadOnlyDictionary<string, string> metadata)
    {
        if (request.Out is null)
            throw new ArgumentException($"generate: a {kind} checkpoint writes an image: give --out grid.png");
        if (request.Count < 1) throw new ArgumentException($"generate: --count must be >= 1, got {request.Count}");
        var model = GanFamilyTraining.FromCheckpoint(tensors, metadata, request.Checkpoint);
        GanFamilyTraining.Grid(model, request.Count, new Generator(request.Seed), request.Out);
        request.Output.WriteLine($"{kind}: {request.Count} samples (seed {request.Seed}) written to {request.Out}");
        return 0;
    }
}
