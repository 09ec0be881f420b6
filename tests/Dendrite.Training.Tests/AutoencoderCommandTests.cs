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
        NoiseFashionMnist.Write(Data, 60, 20, 5);
    }

    private string Data => Directory.CreateDirectory(Path.Combine(root, "data")).FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    private static (int Code, string Out, string Error) Cli(params string[] args) => ConsoleCli.Run(args);

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
