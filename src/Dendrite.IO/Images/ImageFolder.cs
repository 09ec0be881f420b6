namespace Dendrite.IO;

/// <summary>
/// Images stored one sub-folder per class (<c>root/cat/001.png</c>, <c>root/dog/xyz.jpg</c>), as torchvision's
/// <c>ImageFolder</c>: class names are the sub-folder names sorted ordinally, labels their indices, files are taken
/// in sorted order (sub-folders walked too) when their extension is an image's. Images are decoded lazily, on each
/// access, and passed through <paramref name="transform"/>; <see cref="LoadAll"/> stacks the whole set for a
/// <c>DataLoader</c>.
/// </summary>
public sealed class ImageFolder(string root, Func<Tensor, Tensor>? transform = null, ImageReadOptions? options = null)
    : IReadOnlyList<(Tensor Image, long Label)>
{
    /// <summary>The file extensions taken as images (case-insensitive).</summary>
    public static IReadOnlyList<string> Extensions { get; } = [".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"];

    private readonly (IReadOnlyList<string> Classes, IReadOnlyList<(string Path, long Label)> Samples) index =
        Scan(root);

    /// <summary>The folder the classes are in.</summary>
    public string Root { get; } = root;

    /// <summary>Class names, sorted; a label is an index into this list.</summary>
    public IReadOnlyList<string> Classes => index.Classes;

    /// <summary>Every image file with its label, in class order, then path order.</summary>
    public IReadOnlyList<(string Path, long Label)> Samples => index.Samples;

    /// <summary>How files are decoded.</summary>
    public ImageReadOptions Options { get; } = options ?? new ImageReadOptions();

    /// <inheritdoc/>
    public int Count => index.Samples.Count;

    /// <summary>Decodes image <paramref name="i"/> and applies the transform.</summary>
    public (Tensor Image, long Label) this[int i]
    {
        get
        {
            if ((uint)i >= (uint)Count)
                throw new ArgumentOutOfRangeException(nameof(i),
                    $"ImageFolder: index {i} outside [0, {Count}) in {Root}");
            var (path, label) = index.Samples[i];
            var image = Image.Load(path, Options);
            return (transform is null ? image : transform(image), label);
        }
    }

    /// <summary>All images stacked (N, C, H, W) with labels (N) as int64; every transformed image must have the same
    /// shape.</summary>
    public (Tensor Images, Tensor Labels) LoadAll()
    {
        if (Count == 0) throw new InvalidOperationException($"ImageFolder: no images under {Root}");
        var first = this[0].Image;
        int[] shape = first.Shape.ToArray();
        int size = first.Numel;
        var all = new float[(long)Count * size];
        var labels = new long[Count];
        for (int i = 0; i < Count; i++)
        {
            var (image, label) = i == 0 ? (first, index.Samples[0].Label) : this[i];
            if (!image.Shape.SequenceEqual(shape))
                throw new InvalidOperationException($"ImageFolder.LoadAll: {index.Samples[i].Path} gives " +
                    $"{Shapes.Format(image.Shape)}, the first image {Shapes.Format(shape)}; resize in the transform");
            image.Contiguous().ToArray<float>().CopyTo(all, (long)i * size);
            labels[i] = label;
        }
        return (Tensor.From(all, [Count, .. shape]), Tensor.From(labels, Count));
    }

    /// <inheritdoc/>
    public IEnumerator<(Tensor Image, long Label)> GetEnumerator()
    {
        for (int i = 0; i < Count; i++) yield return this[i];
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    private static (IReadOnlyList<string>, IReadOnlyList<(string, long)>) Scan(string root)
    {
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"ImageFolder: {root}: no such folder");
        var classes = Directory.GetDirectories(root).Select(Path.GetFileName).OfType<string>()
            .Order(StringComparer.Ordinal).ToArray();
        if (classes.Length == 0) throw new InvalidOperationException($"ImageFolder: {root} has no class sub-folders");
        var samples = new List<(string, long)>();
        for (int label = 0; label < classes.Length; label++)
        {
            var files = Directory.EnumerateFiles(Path.Combine(root, classes[label]), "*", SearchOption.AllDirectories)
                .Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
                .Order(StringComparer.Ordinal);
            foreach (var f in files) samples.Add((f, label));
        }
        return (classes, samples);
    }
}
