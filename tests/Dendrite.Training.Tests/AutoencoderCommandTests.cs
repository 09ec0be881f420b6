using Dendrite.Cli;
using Dendrite.Data;
using Dendrite.IO;
using Dendrite.Models.Generative;

namespace Dendrite.Tests;

/// <summary><c>dendrite autoencoder</c> and <c>dendrite generate</c> on a tiny Fashion-MNIST-shaped data set (60
/// training and 20 test images of noise): checkpoints carry the metadata that rebuilds the model, and a VAE
/// checkpoint samples a grid.</summary>
[Collection("console")]
public sealed class AutoencoderCommandTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("dendrite-ae-").FullName;

    public AutoencoderCommandTests()
    {
        var g = new Generator(5);
        foreach (var (split, n) in new[] { ("train", 60), ("t10k", 20) })
        {
            Idx.WriteBytes(Path.Combine(Data, $"{split}-images-idx3-ubyte"), Tensor.Randint(0, 256, [n, 28, 28], g));
            Idx.WriteBytes(Path.Combine(Data, $"{split}-labels-idx1-ubyte"), Tensor.Randint(0, 10, [n], g));
        }
    }

    private string Data => Directory.CreateDirectory(Path.Combine(root, "data")).FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    private static (int Code, string Out, string Error) Cli(params string[] args)
    {
        var (outBefore, errorBefore) = (Console.Out, Console.Error);
        var output = new StringWriter();
        var error = new StringWriter();
        Console.SetOut(TextWriter.Synchronized(output));
        Console.SetError(TextWriter.Synchronized(error));
        try
        {
            return (Program.Main(args), output.ToString(), error.ToString());
        }
        finally
        {
            Console.SetOut(outBefore);
            Console.SetError(errorBefore);
        }
    }

    [Theory]
    [InlineData("mlp")]
    [InlineData("conv")]
    [InlineData("denoising")]
    [InlineData("sparse")]
    public void Autoencoder_TrainsAndWritesCheckpointAndGrid(string kind)
    {
        string ckpt = Path.Combine(root, kind, "model.safetensors");
        var (code, output, error) = Cli("autoencoder", "--kind", kind, "--data", Data, "--epochs", "1", "--batch", "30",
            "--code", "4", "--hidden", "16", "--out", ckpt);
        Assert.True(code == 0, error);
        Assert.Contains("test reconstruction MSE", output);
        if (kind == "denoising") Assert.Contains("test PSNR", output);
        var (tensors, meta) = Safetensors.Load(ckpt);
        var config = AutoencoderConfig.FromMetadata(meta);
        Assert.Equal(4, config.CodeSize);
        Assert.Equal(kind is "conv" or "denoising", config.Convolutional);
        var model = new Autoencoder(config);
        model.LoadStateDict(tensors);
        Assert.True(File.Exists(Path.ChangeExtension(ckpt, ".png")));
        // Not samplable: generate says it is not a generative checkpoint.
        var (genCode, _, genError) = Cli("generate", "--checkpoint", ckpt, "--out", Path.Combine(root, "x.png"));
        Assert.Equal(2, genCode);
        Assert.Contains("no 'generator' metadata key", genError);
    }

    [Fact]
    public void Vae_TrainsAndGenerateWritesAGrid()
    {
        string ckpt = Path.Combine(root, "vae", "model.safetensors");
        var (code, output, error) = Cli("autoencoder", "--kind", "vae", "--data", Data, "--epochs", "1", "--batch", "30",
            "--code", "2", "--hidden", "16", "--out", ckpt);
        Assert.True(code == 0, error);
        Assert.Contains("test ELBO", output);
        var (_, meta) = Safetensors.Load(ckpt);
        Assert.Equal("vae", meta["generator"]);
        string grid = Path.Combine(root, "grid.png");
        var (genCode, _, genError) = Cli("generate", "--checkpoint", ckpt, "--out", grid, "--count", "9", "--seed", "3");
        Assert.True(genCode == 0, genError);
        var image = Image.Load(grid);
        Assert.True(image.Shape[^1] > 28 * 3);
    }

    [Fact]
    public void Autoencoder_UnknownKindIsAnError()
    {
        var (code, _, error) = Cli("autoencoder", "--kind", "gan", "--data", Data);
        Assert.Equal(2, code);
        Assert.Contains("unknown --kind 'gan'", error);
    }
}
