namespace Dendrite.IO.Tests;

public sealed class ImageFolderTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("dendrite-imagefolder-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    private void Write(string relative, float level)
    {
        var path = Path.Combine(root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        Image.SavePng(path, Tensor.From([.. Enumerable.Repeat(level, 3 * 4 * 5)], 3, 4, 5));
    }

    [Fact]
    public void ImageFolder_SortsClassesAndFilesAsTorchvision()
    {
        Write("dog/b.png", 0.2f);
        Write("dog/a.png", 0.1f);
        Write("Cat/z.png", 0.3f);
        Write("bird/nested/x.png", 0.4f);
        System.IO.File.WriteAllText(Path.Combine(root, "dog", "notes.txt"), "not an image");
        var set = new ImageFolder(root);
        Assert.Equal(["Cat", "bird", "dog"], set.Classes);
        Assert.Equal([0L, 1L, 2L, 2L], set.Samples.Select(s => s.Label));
        Assert.EndsWith("a.png", set.Samples[2].Path);
        Assert.Equal(4, set.Count);
        var (image, label) = set[3];
        Assert.Equal(2, label);
        Assert.Equal([3, 4, 5], image.Shape.ToArray());
        Assert.Equal(MathF.Round(0.2f * 255) / 255, image.ToArray<float>()[0]);
    }

    [Fact]
    public void ImageFolder_AppliesTheTransformAndStacks()
    {
        Write("a/1.png", 1f);
        Write("b/1.png", 0f);
        Write("b/2.png", 1f);
        var set = new ImageFolder(root, x => x.Sum(), new ImageReadOptions(ImageColor.Grey));
        Assert.Equal(20f, set[0].Image.ToArray<float>()[0], 3);
        var (images, labels) = new ImageFolder(root).LoadAll();
        Assert.Equal([3, 3, 4, 5], images.Shape.ToArray());
        Assert.Equal([0L, 1L, 1L], labels.ToArray<long>());
        Assert.Equal(2, set.Count(item => item.Label == 1));
    }

    [Fact]
    public void ImageFolder_NamesWhatIsWrong()
    {
        Assert.Throws<DirectoryNotFoundException>(() => new ImageFolder(Path.Combine(root, "missing")));
        Write("a/1.png", 1f);
        var path = Path.Combine(root, "a", "2.png");
        System.IO.File.WriteAllText(path, "broken");
        var set = new ImageFolder(root);
        var e = Assert.Throws<ImageFormatException>(() => set[1]);
        Assert.StartsWith(path, e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => set[2]);
    }
}
