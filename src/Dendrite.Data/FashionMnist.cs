namespace Dendrite.Data;

/// <summary>
/// Fashion-MNIST (Xiao, Rasul &amp; Vollgraf, 2017): 28×28 grey images of 10 clothing classes, 60,000 for training
/// and 10,000 for testing. Read from IDX files: Debian's <c>dataset-fashion-mnist</c> package
/// (<see cref="DebianPath"/>), any folder with the four files, or the small subset bundled under <c>data/</c>.
/// </summary>
public static class FashionMnist
{
    /// <summary>Where Debian's dataset-fashion-mnist installs the files.</summary>
    public const string DebianPath = "/usr/share/datasets/fashion-mnist";

    /// <summary>Mean and standard deviation of the training pixels after scaling to [0, 1].</summary>
    public const double Mean = 0.2860, Std = 0.3530;

    /// <summary>The class names, by label.</summary>
    public static IReadOnlyList<string> Classes { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>Loads a split ("train" or "t10k") from <paramref name="folder"/>: images as float32 (N, 1, 28, 28)
    /// scaled to [0, 1] (and standardised with <see cref="Mean"/>/<see cref="Std"/> when asked), labels as Int64 (N).</summary>
    public static (Tensor Images, Tensor Labels) Load(string folder, string split, bool standardize = true)
    {
        var (imagesPath, labelsPath) = Files(folder, split);
        var images = Idx.Read(imagesPath, asFloat: true);
        var labels = Idx.Read(labelsPath);
        Check(imagesPath, images.Shape, labelsPath, labels.Shape);
        var x = images.Reshape(-1, 1, 28, 28) / 255.0;
        if (standardize) x = (x - Mean) / Std;
        return (x, labels);
    }

    /// <summary>Loads a split as <see cref="Load"/> does, keeping the pixels as bytes (47 MB for the training split
    /// instead of 188 MB): a <see cref="DataLoader"/> over them yields float32 (B, 1, 28, 28) batches holding, bit
    /// for bit, the values <see cref="Load"/> gives.</summary>
    public static (ByteImages Images, Tensor Labels) LoadBytes(string folder, string split, bool standardize = true)
    {
        var (imagesPath, labelsPath) = Files(folder, split);
        var (pixels, shape) = Idx.ReadBytes(imagesPath);
        var labels = Idx.Read(labelsPath);
        Check(imagesPath, shape, labelsPath, labels.Shape);
        var table = standardize ? ByteImages.Table(255.0, Mean, Std) : ByteImages.Table(255.0);
        return (new ByteImages(pixels, [shape[0], 1, 28, 28], table), labels);
    }

    private static (string Images, string Labels) Files(string folder, string split)
    {
        string Find(string stem)
        {
            foreach (var name in new[] { stem + ".gz", stem })
            {
                var p = Path.Combine(folder, name);
                if (File.Exists(p)) return p;
            }
            throw new FileNotFoundException($"Fashion-MNIST: {stem}(.gz) not found in {folder}");
        }
        return (Find($"{split}-images-idx3-ubyte"), Find($"{split}-labels-idx1-ubyte"));
    }

    private static void Check(string imagesPath, ReadOnlySpan<int> images, string labelsPath, ReadOnlySpan<int> labels)
    {
        if (images.Length != 3 || images[1] != 28 || images[2] != 28)
            throw new DataFormatException(
                $"{imagesPath}: expected images of shape [N,28,28], found {Shapes.Format(images)}");
        if (labels.Length != 1 || labels[0] != images[0])
            throw new DataFormatException($"{labelsPath}: {Shapes.Format(labels)} labels for {images[0]} images");
    }

    /// <summary>The first folder that holds the data: an explicit path, Debian's package, or the bundled subset
    /// found by walking up from the working directory and the program's directory to <c>data/fashion-mnist</c>.</summary>
    public static string Locate(string? path = null)
    {
        if (path is not null)
        {
            return Directory.Exists(path) ? path : throw new DirectoryNotFoundException($"Fashion-MNIST: folder {path} does not exist");
        }
        if (Directory.Exists(DebianPath)) return DebianPath;
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
            {
                var p = Path.Combine(d.FullName, "data", "fashion-mnist");
                if (Directory.Exists(p)) return p;
            }
        }
        throw new DirectoryNotFoundException(
            $"Fashion-MNIST not found in {DebianPath} or a data/fashion-mnist folder: install it with " +
            "dendrite data install fashion-mnist (apt-get install dataset-fashion-mnist), or pass a folder");
    }
}
