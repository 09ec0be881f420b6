using Dendrite.Data;
using Dendrite.Nn;

namespace Dendrite.Experiments.Foundations;

/// <summary>Seeded subsets of Fashion-MNIST, flattened to 784 standardised pixels, for the foundation experiments.
/// Each split is read from disk once per process.</summary>
internal static class FashionSubset
{
    private static readonly Dictionary<string, (Tensor Images, Tensor Labels)> Cache = [];
    private static readonly Lock Gate = new();

    /// <summary>Where the images come from, for the reports.</summary>
    public static string Source => FashionMnist.Locate();

    /// <summary><paramref name="count"/> images of <paramref name="split"/> ("train" or "t10k") drawn without
    /// replacement by <paramref name="g"/>, skipping the first <paramref name="skip"/> of the same permutation (so two
    /// calls with the same generator state and different skips give disjoint sets): X [count, 784], Y [count].
    /// </summary>
    public static (Tensor X, Tensor Y) Take(string split, int count, Generator g, int skip = 0)
    {
        var (images, labels) = Full(split);
        int n = images.Size(0);
        if (skip + count > n)
            throw new ArgumentException($"Fashion-MNIST {split}: {skip} + {count} images asked of {n}");
        var index = Tensor.Randperm(n, g).Narrow(0, skip, count).Contiguous();
        return (images.IndexSelect(0, index).Reshape(count, 28 * 28), labels.IndexSelect(0, index));
    }

    private static (Tensor Images, Tensor Labels) Full(string split)
    {
        lock (Gate)
        {
            if (!Cache.TryGetValue(split, out var data))
            {
                data = TensorScope.Outside(() => FashionMnist.Load(FashionMnist.Locate(), split));
                Cache[split] = data;
            }
            return data;
        }
    }

    /// <summary>Mean cross-entropy and accuracy of <paramref name="model"/> on (x, y), in evaluation mode and
    /// without gradients; the model's mode is put back.</summary>
    public static (double Loss, double Accuracy) Evaluate(Module model, Func<Tensor, Tensor> forward, Tensor x,
        Tensor y)

    {
        bool training = model.Training;
        model.Train(false);
        try
        {
            using var _ = Autograd.NoGrad();
            using var scope = TensorScope.Begin();
            var logits = forward(x);
            double loss = Losses.CrossEntropy(logits, y).Item();
            double accuracy = logits.ArgMax(1).Eq(y).To(DType.Float64).Mean().Item();
            return (loss, accuracy);
        }
        finally
        {
            model.Train(training);
        }
    }
}
