using System.Diagnostics;
using Dendrite.Data;
using Dendrite.IO;
using Dendrite.Models.Classic;
using Dendrite.Models.Generative;
using Dendrite.Nn;
using Dendrite.Nn.Optim;

namespace Dendrite.Experiments.Generative;

/// <summary>Autoencoders as dimensionality reduction on Fashion-MNIST: reconstruction error against PCA at the same
/// code size, the 2-D codes coloured by class, and what an L1 penalty does to the code.</summary>
public sealed class Autoencoders : Experiment
{
    /// <inheritdoc/>
    public override string Name => "autoencoders";

    /// <inheritdoc/>
    public override string Topic => "autoencoders";

    /// <inheritdoc/>
    public override string Summary => "MLP and convolutional autoencoders against PCA at codes of 2, 8 and 32; 2-D codes; sparsity";

    /// <inheritdoc/>
    public override string Claim => """
        An undercomplete autoencoder learns a code smaller than its input. With linear units and squared error its
        best solution spans the same subspace as PCA (Baldi & Hornik, 1989); with non-linear encoder and decoder it
        can reconstruct better than PCA at the same code size, and its 2-D code separates classes that PCA's first
        two components mix (Hinton & Salakhutdinov, 2006). An L1 penalty on the code makes most code units zero for
        any one image (a sparse code) at some cost in reconstruction.
        """;

    /// <inheritdoc/>
    public override void Run(ExperimentContext context)
    {
        int trainCount = context.Choose(30_000, 256), testCount = context.Choose(10_000, 100);
        int epochs = context.Choose(5, 1), batch = 128, sparseEpochs = context.Choose(2, 1);
        // The convolutional models cost about eight times the MLP's per image: they see fewer images.
        int convCount = context.Choose(5_000, 256), convEpochs = context.Choose(3, 1);
        int[] codes = context.Choose<int[]>([2, 8, 32], [2]);
        var (x, y) = FashionImages.Take("train", trainCount, context.NewGenerator());
        var convX = x.Narrow(0, 0, Math.Min(convCount, x.Size(0)));
        var (tx, ty) = FashionImages.Take("t10k", testCount, context.NewGenerator());
        context.Setup($"Fashion-MNIST from {FashionImages.Source}: {x.Size(0):N0} training and {tx.Size(0):N0} test " +
            "images, grey levels in [0, 1]. The error is the mean squared error per pixel on the test images.");
        context.Setup($"MLP autoencoder 784 → 256 → code → 256 → 784 (ReLU, sigmoid output); convolutional " +
            "autoencoder with two stride-2 3×3 convolutions (16, 32 channels) and a linear code, decoded by a " +
            "4×4 stride-2 transposed convolution, a nearest upsampling to 28×28 and a 3×3 convolution. Adam " +
            $"(lr 1e-3), batches of {batch}; the MLPs train {epochs} epochs on all the training images, the " +
            $"convolutional ones {convEpochs} epochs on the first {convX.Size(0):N0}. PCA is fitted on all the " +
            "training images.");
        var table = context.Table("reconstruction", "Test reconstruction error (MSE per pixel) at each code size",
            "code size", "PCA", "MLP autoencoder", "convolutional autoencoder", "PCA variance kept",
            "MLP train time (s)", "conv train time (s)");
        Tensor? pca2 = null, ae2 = null;
        (Tensor Pca, Tensor Ae)? largest = null;
        var flat = x.Reshape(x.Size(0), 784);
        var testFlat = tx.Reshape(tx.Size(0), 784);
        foreach (int code in codes)
        {
            var pca = new Pca(code).Fit(flat);
            var pcaRecon = pca.InverseTransform(pca.Transform(testFlat)).Reshape(tx.Size(0), 1, 28, 28);
            double pcaMse = Mse(pcaRecon, tx);
            var (mlp, mlpSeconds) = Train(context, new AutoencoderConfig(code), x, epochs, batch);
            var (conv, convSeconds) = Train(context, new AutoencoderConfig(code, Convolutional: true), convX, convEpochs,
                batch);
            var mlpRecon = mlp.Reconstruct(tx);
            double mlpMse = Mse(mlpRecon, tx), convMse = Mse(conv.Reconstruct(tx), tx);
            table.Add(code, pcaMse, mlpMse, convMse, pca.ExplainedVarianceRatio.Sum(), mlpSeconds, convSeconds);
            context.Finding($"Code size {code}: test MSE {pcaMse:F4} (PCA), {mlpMse:F4} (MLP autoencoder), " +
                $"{convMse:F4} (convolutional autoencoder).");
            if (code == 2)
            {
                pca2 = pca.Transform(testFlat);
                ae2 = mlp.Codes(tx);
            }
            largest = (pcaRecon, mlpRecon);
        }
        var labels = ty.ToArray<long>();
        var names = FashionMnist.Classes.ToArray();
        if (ae2 is not null && pca2 is not null)
        {
            Plots.Scatter(context.Figure("codes-2d", "2-D codes of the test images: MLP autoencoder, coloured by class"),
                ae2, ty, new ScatterOptions
                {
                    Title = "Autoencoder code (2-D)",
                    XLabel = "z₁",
                    YLabel = "z₂",
                    ClassNames = names,
                    MarkerSize = 3,
                    Width = 720,
                    Height = 560
                });
            Plots.Scatter(context.Figure("pca-2d", "The first two principal components of the test images, by class"),
                pca2, ty, new ScatterOptions
                {
                    Title = "PCA (2 components)",
                    XLabel = "PC 1",
                    YLabel = "PC 2",
                    ClassNames = names,
                    MarkerSize = 3,
                    Width = 720,
                    Height = 560
                });
            context.Finding($"Classes' 2-D codes, share of test images whose nearest class centroid is their own " +
                $"class: {CentroidAccuracy(ae2, labels):P1} (autoencoder) against {CentroidAccuracy(pca2, labels):P1} (PCA).");
        }
        if (largest is { } l)
        {
            int show = Math.Min(8, tx.Size(0)), code = codes[^1];
            var grid = Tensor.Cat([tx.Narrow(0, 0, show), l.Pca.Narrow(0, 0, show), l.Ae.Narrow(0, 0, show)], 0);
            Plots.ImageGrid(context.Figure("reconstructions", $"Test images (top), PCA with {code} components (middle), " +
                $"the MLP autoencoder with a {code}-number code (bottom)"), grid, new ImageGridOptions
                {
                    Columns = show,
                    Scale = 2,
                    Normalization = ImageNormalization.None,
                });
        }

        // Sparse codes: the same MLP with an L1 penalty on a wider code.
        int sparseCode = 64;
        double[] lambdas = context.Choose<double[]>([0, 1e-3, 1e-2], [0, 1e-2]);
        var sparse = context.Table("sparsity", $"An L1 penalty λ·Σ|z| on a {sparseCode}-number code (MLP, " +
            $"{sparseEpochs} epochs)",
            "λ", "test MSE", "code entries below 0.01 in magnitude", "mean Σ|z| per image");
        foreach (double lambda in lambdas)
        {
            var (model, _) = Train(context, new AutoencoderConfig(sparseCode, Sparsity: lambda), x, sparseEpochs, batch);
            var z = model.Codes(tx);
            double zeroShare = z.Abs().Lt(0.01).To(DType.Float64).Mean().Item();
            sparse.Add(lambda, Mse(model.Reconstruct(tx), tx), zeroShare, z.Abs().Sum(1).Mean().Item());
        }
    }

    private static (Autoencoder Model, double Seconds) Train(ExperimentContext context, AutoencoderConfig config,
        Tensor x, int epochs, int batch)
    {
        var g = context.NewGenerator();
        var model = new Autoencoder(config);
        var optimizer = new Adam(model.Parameters(), lr: 1e-3);
        var clock = Stopwatch.StartNew();
        for (int e = 0; e < epochs; e++)
        {
            double loss = model.TrainEpoch(x, optimizer, batch, g);
            context.Log($"{config.Kind} code {config.CodeSize}: epoch {e + 1}/{epochs}, training loss {loss:F5}");
        }
        return (model, clock.Elapsed.TotalSeconds);
    }

    internal static double Mse(Tensor a, Tensor b)
    {
        using var _ = Autograd.NoGrad();
        return Losses.Mse(a.To(DType.Float64), b.To(DType.Float64)).Item();
    }

    // How well the 2-D code keeps the classes apart, as one number: nearest-centroid accuracy on the code itself.
    private static double CentroidAccuracy(Tensor codes, long[] labels)
    {
        var z = codes.To(DType.Float64).ToArray<double>();
        int n = labels.Length;
        var sum = new double[10, 2];
        var count = new int[10];
        for (int i = 0; i < n; i++)
        {
            sum[labels[i], 0] += z[2 * i];
            sum[labels[i], 1] += z[2 * i + 1];
            count[labels[i]]++;
        }
        int correct = 0;
        for (int i = 0; i < n; i++)
        {
            int best = -1;
            double bestD = double.PositiveInfinity;
            for (int k = 0; k < 10; k++)
            {
                if (count[k] == 0) continue;
                double dx = z[2 * i] - sum[k, 0] / count[k], dy = z[2 * i + 1] - sum[k, 1] / count[k];
                if (dx * dx + dy * dy < bestD) (best, bestD) = (k, dx * dx + dy * dy);
            }
            if (best == labels[i]) correct++;
        }
        return (double)correct / n;
    }
}
