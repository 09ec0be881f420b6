using Dendrite.Data;
using Dendrite.IO;
using Dendrite.Models.Classic;
using Dendrite.Models.Generative;
using Dendrite.Nn;
using Dendrite.Nn.Optim;
using Dendrite.Training;

namespace Dendrite.Experiments.Generative;

/// <summary>Anomaly detection by reconstruction error: an autoencoder trained without one Fashion-MNIST class
/// reconstructs that class worse, and its error ranks the unseen class's test images above the others.</summary>
public sealed class Anomaly : Experiment
{
    /// <inheritdoc/>
    public override string Name => "anomaly";

    /// <inheritdoc/>
    public override string Topic => "autoencoders";

    /// <inheritdoc/>
    public override string Summary => "an autoencoder trained without one class scores it by reconstruction error (ROC-AUC)";

    /// <inheritdoc/>
    public override string Claim => """
        An autoencoder trained only on normal data learns to reconstruct what it has seen; inputs unlike the training
        data are reconstructed worse, so the reconstruction error is an anomaly score. Its quality is the area under
        the ROC curve: the probability that a random anomaly scores higher than a random normal input (0.5 is chance).
        """;

    /// <inheritdoc/>
    public override void Run(ExperimentContext context)
    {
        int trainCount = context.Choose(60_000, 300), testCount = context.Choose(10_000, 150);
        int epochs = context.Choose(5, 1), batch = 128, code = 32;
        int[] held = context.Choose<int[]>([1, 8, 5], [8]);
        var (x, y) = FashionImages.Take("train", trainCount, context.NewGenerator());
        var (tx, ty) = FashionImages.Take("t10k", testCount, context.NewGenerator());
        context.Setup($"Fashion-MNIST from {FashionImages.Source}. For each held-out class, an MLP autoencoder " +
            $"(784 → 256 → {code} → 256 → 784, Adam lr 1e-3, batches of {batch}, {epochs} epochs) is trained on the " +
            $"training images of the nine other classes (of {x.Size(0):N0}); all {tx.Size(0):N0} test images are " +
            "scored by their reconstruction MSE, the held-out class being the positive (anomalous) one. PCA with the " +
            "same number of components, fitted on the same images, is the baseline.");
        var table = context.Table("auc", "ROC-AUC of the reconstruction error for detecting the held-out class",
            "held-out class", "autoencoder AUC", "PCA AUC", "mean error normal", "mean error anomalous", "train images");
        var curves = new List<Series>();
        var testLabels = ty.ToArray<long>();
        foreach (int k in held)
        {
            var (nx, _) = FashionImages.Where(x, y, label => label != k);
            var model = new Autoencoder(new AutoencoderConfig(code));
            var optimizer = new Adam(model.Parameters(), lr: 1e-3);
            var g = context.NewGenerator();
            for (int e = 0; e < epochs; e++)
                context.Log($"held out {k}: epoch {e + 1}, loss {model.TrainEpoch(nx, optimizer, batch, g):F5}");
            var scores = model.ReconstructionErrors(tx);
            var positive = testLabels.Select(l => l == k).ToArray();
            double auc = Metrics.RocAuc(scores, positive);
            var pca = new Pca(code).Fit(nx.Reshape(nx.Size(0), 784));
            var flat = tx.Reshape(tx.Size(0), 784);
            var d = pca.InverseTransform(pca.Transform(flat)) - flat;
            var pcaScores = (d * d).Mean(1).To(DType.Float64).ToArray<double>();
            double pcaAuc = Metrics.RocAuc(pcaScores, positive);
            double normal = scores.Where((_, i) => !positive[i]).Average();
            double anomalous = scores.Where((_, i) => positive[i]).Average();
            table.Add(FashionMnist.Classes[k], auc, pcaAuc, normal, anomalous, nx.Size(0));
            var (fpr, tpr) = Metrics.RocCurve(scores, positive);
            curves.Add(new Series($"{FashionMnist.Classes[k]} (AUC {auc:F3})", fpr, tpr));
            context.Finding($"Held-out {FashionMnist.Classes[k]}: ROC-AUC {auc:F3} (autoencoder), {pcaAuc:F3} (PCA).");
        }
        curves.Add(new Series("chance", [0, 1], [0, 1]));
        Plots.Line(context.Figure("roc", "ROC curves of the reconstruction error, one per held-out class"), curves,
            new LineOptions
            {
                Title = "Anomaly detection by reconstruction error",
                XLabel = "false-positive rate",
                YLabel = "true-positive rate",
                Width = 640,
                Height = 520
            });
    }
}
