using Dendrite.Data;
using Dendrite.Nn;

namespace Dendrite.Experiments.Generative;

/// <summary>Data and judges shared by the LAPGAN, SRGAN, CycleGAN and DVD-GAN experiments: seeded subsets of
/// Fashion-MNIST in [-1, 1] (<see cref="GanImages"/>), and the Fashion-MNIST classifier, cached and trained on the
/// whole training split in the full forms, fitted in a second on a small subset in the quick forms (where its
/// figures only show that the pipeline runs).</summary>
internal static class GanFamilyData
{
    private static readonly Dictionary<string, (Tensor Images, Tensor Labels)> Cache = [];
    private static readonly Lock Gate = new();

    /// <summary>Where the images come from, for the reports.</summary>
    public static string Source => FashionMnist.Locate();

    /// <summary>A whole split ("train" or "t10k") in [-1, 1], read once per process.</summary>
    public static (Tensor Images, Tensor Labels) Split(string split)
    {
        lock (Gate)
        {
            if (!Cache.TryGetValue(split, out var data))
            {
                data = GanImages.Load(FashionMnist.Locate(), split);
                Cache[split] = data;
            }
            return data;
        }
    }

    /// <summary><paramref name="count"/> images of <paramref name="split"/> drawn without replacement by
    /// <paramref name="g"/>; only those of <paramref name="classes"/> when given.</summary>
    public static (Tensor Images, Tensor Labels) Take(string split, int count, Generator g, int[]? classes = null)
    {
        var (images, labels) = Split(split);
        var index = Tensor.Randperm(images.Size(0), g);
        if (classes is not null)
        {
            var y = labels.ToArray<long>();
            index = Tensor.From(index.ToArray<long>().Where(i => classes.Contains((int)y[i])).ToArray());
        }
        if (count > index.Size(0))
            throw new ArgumentException($"Fashion-MNIST {split}: {count} images asked of {index.Size(0)}");
        index = index.Narrow(0, 0, count).Contiguous();
        return TensorScope.Outside(() => (images.IndexSelect(0, index), labels.IndexSelect(0, index)));
    }

    /// <summary>The judge: the cached classifier (<see cref="FashionClassifier.LoadOrTrain"/>) in the full form;
    /// in the quick form one fitted for one epoch on 512 training images. Frozen either way.</summary>
    public static FashionClassifier Classifier(ExperimentContext context)
    {
        FashionClassifier model;
        if (context.Quick)
        {
            var (x, y) = Take("train", 512, context.NewGenerator());
            model = TensorScope.Outside(() => new FashionClassifier());
            model.Fit(x, y, 1, context.NewGenerator());
        }
        else
        {
            model = FashionClassifier.LoadOrTrain(log: Console.Out);
        }
        model.Eval();
        return model.Freeze();
    }

    /// <summary>Rows of images interleaved for a grid: row r of the result is <paramref name="rows"/>[r], so a
    /// grid with <c>columns = n</c> shows one kind of image per row.   each (n, 1, H, W) → (k·n, 1, H, W)</summary>
    public static Tensor Rows(params Tensor[] rows) => Tensor.Cat(rows, 0);
}
