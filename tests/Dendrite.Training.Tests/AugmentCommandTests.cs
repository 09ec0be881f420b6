using Dendrite.Cli;
using Dendrite.Data;
using Dendrite.IO;

namespace Dendrite.Tests;

/// <summary><c>dendrite augment</c> on a tiny Fashion-MNIST-shaped test split of noise: it draws a grid of one row
/// per image and one column per transform, and refuses unknown datasets and bad counts with a one-line error.
/// </summary>
[Collection("console")]
public sealed class AugmentCommandTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("dendrite-augment-").FullName;

    public AugmentCommandTests()
    {
        var g = new Generator(4);
        Idx.WriteBytes(Path.Combine(root, "t10k-images-idx3-ubyte"), Tensor.Randint(0, 256, [5, 28, 28], g));
        Idx.WriteBytes(Path.Combine(root, "t10k-labels-idx1-ubyte"), Tensor.Randint(0, 10, [5], g));
    }

    public void Dispose() => Directory.Delete(root, recursive: true);

    private static (int Code, string Error) Cli(params string[] args)
    {
        var (code, _, error) = ConsoleCli.Run(args);
        return (code, error);
    }

    [Fact]
    public void Augment_DrawsAGridOfEveryTransform()
    {
        var png = Path.Combine(root, "out", "grid.png");
        var (code, error) = Cli("augment", "--dataset", "fashion-mnist", "--data", root, "--out", png, "--count", "3");
        Assert.True(code == 0, error);
        var image = Image.Load(png);
        int height = image.Size(image.Rank - 2), width = image.Size(image.Rank - 1);
        // 14 columns (the image and 13 transforms) of 84-pixel tiles, 3 rows.
        Assert.True(width > 14 * 84 && width < 14 * 100, $"width {width}");
        Assert.True(height > 3 * 84 && height < 3 * 120 + 40, $"height {height}");
    }

    [Fact]
    public void Augment_RefusesUnknownDatasetsAndCounts()
    {
        var png = Path.Combine(root, "x.png");
        var (code, error) = Cli("augment", "--dataset", "cifar10", "--out", png);
        Assert.Equal(1, code);
        Assert.Contains("unknown dataset 'cifar10'", error, StringComparison.Ordinal);
        (code, error) = Cli("augment", "--data", root, "--out", png, "--count", "0");
        Assert.Equal(1, code);
        Assert.Contains("--count", error, StringComparison.Ordinal);
        Assert.False(File.Exists(png));
    }
}
