using Dendrite.Data;

namespace Dendrite.Experiments.Generative;

/// <summary>Seeded subsets of Fashion-MNIST as images (N, 1, 28, 28) with grey levels in [0, 1] (not standardised:
/// the autoencoders reconstruct pixels), for the generative-model experiments. Each split is read once per process.</summary>
internal static class FashionImages
{
    private static readonly Dictionary<string, (Tensor Images, Tensor Labels)> Cache = [];
    private static readonly Lock Gate = new();

    /// <summary>Where the images come from, for the reports.</summary>
    public static string Source => FashionMnist.Locate();

    /// <summary>Up to <paramref name="count"/> images of <paramref name="split"/> ("train" or "t10k") in an order
    /// drawn by <paramref name="g"/> (all of them when the split holds fewer, as the bundled subset does):
    /// X (n, 1, 28, 28), Y (n).</summary>
    public static (Tensor X, Tensor Y) Take(string split, int count, Generator g)
    {
        var (images, labels) = Full(split);
        int n = Math.Min(count, images.Size(0));
        var index = Tensor.Randperm(images.Size(0), g).Narrow(0, 0, n).Contiguous();
        return (images.IndexSelect(0, index), labels.IndexSelect(0, index));
    }

    /// <summary>The rows of (x, y) whose label satisfies <paramref name="keep"/>.</summary>
    public static (Tensor X, Tensor Y) Where(Tensor x, Tensor y, Func<long, bool> keep)
    {
        var labels = y.ToArray<long>();
        var rows = Enumerable.Range(0, labels.Length).Where(i => keep(labels[i])).Select(i => (long)i).ToArray();
        var index = Tensor.From(rows, rows.Length);
        return (x.IndexSelect(0, index), y.IndexSelect(0, index));
    }

    private static (Tensor Images, Tensor Labels) Full(string split)
    {
        lock (Gate)
        {
            if (!Cache.TryGetValue(split, out var data))
            {
                data = TensorScope.Outside(() => FashionMnist.Load(FashionMnist.Locate(), split, standardize: false));
                Cache[split] = data;
            }
            return data;
        }
    }
}
