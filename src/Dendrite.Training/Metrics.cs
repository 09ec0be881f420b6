using Dendrite.Nn;

namespace Dendrite.Training;

/// <summary>Classification and regression metrics over whole prediction sets. Scores are (N, C) logits or
/// probabilities; labels are (N) Int64.</summary>
public static class Metrics
{
    /// <summary>Fraction of rows whose highest score is the label.</summary>
    public static double Accuracy(Tensor scores, Tensor labels) => TopK(scores, labels, 1);

    /// <summary>Fraction of rows whose label is among the k highest scores.</summary>
    public static double TopK(Tensor scores, Tensor labels, int k)
    {
        var s = scores.Contiguous().ToArray<float>();
        var y = labels.ToArray<long>();
        int n = scores.Size(0), c = scores.Size(1);
        if (y.Length != n) throw new ArgumentException($"TopK: {n} score rows but {y.Length} labels");
        int hits = 0;
        for (int i = 0; i < n; i++)
        {
            float target = s[i * c + (int)y[i]];
            int above = 0;
            for (int j = 0; j < c; j++)
            {
                float v = s[i * c + j];
                if (v > target || (v == target && j < y[i])) above++;
            }
            if (above < k) hits++;
        }
        return n == 0 ? 0 : (double)hits / n;
    }

    /// <summary>Confusion matrix: entry [true, predicted] counts examples.</summary>
    public static long[,] ConfusionMatrix(Tensor predictedLabels, Tensor labels, int numClasses)
    {
        var p = predictedLabels.ToArray<long>();
        var y = labels.ToArray<long>();
        var m = new long[numClasses, numClasses];
        for (int i = 0; i < y.Length; i++) m[y[i], p[i]]++;
        return m;
    }

    /// <summary>Per-class precision, recall and F1 from a confusion matrix, plus their macro averages.</summary>
    public static (double[] Precision, double[] Recall, double[] F1, double MacroF1) PrecisionRecallF1(long[,] confusion)
    {
        int c = confusion.GetLength(0);
        var p = new double[c];
        var r = new double[c];
        var f = new double[c];
        for (int k = 0; k < c; k++)
        {
            long tp = confusion[k, k], predicted = 0, actual = 0;
            for (int j = 0; j < c; j++)
            {
                predicted += confusion[j, k];
                actual += confusion[k, j];
            }
            p[k] = predicted == 0 ? 0 : (double)tp / predicted;
            r[k] = actual == 0 ? 0 : (double)tp / actual;
            f[k] = p[k] + r[k] == 0 ? 0 : 2 * p[k] * r[k] / (p[k] + r[k]);
        }
        return (p, r, f, f.Average());
    }

    /// <summary>Mean absolute error.</summary>
    public static double Mae(Tensor prediction, Tensor target)
    {
        using var _ = Autograd.NoGrad();
        return Losses.Mae(prediction, target).Item();
    }

    /// <summary>Root mean squared error.</summary>
    public static double Rmse(Tensor prediction, Tensor target)
    {
        using var _ = Autograd.NoGrad();
        return Losses.Rmse(prediction, target).Item();
    }

    /// <summary>Area under the ROC curve of <paramref name="scores"/> (higher means more likely positive) for the
    /// given labels: the probability that a random positive outscores a random negative, ties counting one half
    /// (the Mann–Whitney U statistic over n₊n₋, as sklearn.metrics.roc_auc_score).</summary>
    public static double RocAuc(IReadOnlyList<double> scores, IReadOnlyList<bool> positive)
    {
        var (order, positives, negatives) = RankInputs("RocAuc", scores, positive);
        // Sum of the positives' mid-ranks (ties share the average of their ranks).
        double rankSum = 0;
        for (int i = 0; i < order.Length;)
        {
            int j = i;
            while (j + 1 < order.Length && scores[order[j + 1]] == scores[order[i]]) j++;
            double midRank = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++)
            {
                if (positive[order[k]]) rankSum += midRank;
            }
            i = j + 1;
        }
        return (rankSum - positives * (positives + 1) / 2.0) / ((double)positives * negatives);
    }

    /// <summary>The ROC curve: false- and true-positive rates at every distinct score threshold, from (0, 0) to
    /// (1, 1), for plotting next to <see cref="RocAuc"/>.</summary>
    public static (double[] FalsePositiveRate, double[] TruePositiveRate) RocCurve(IReadOnlyList<double> scores,
        IReadOnlyList<bool> positive)
    {
        var (order, positives, negatives) = RankInputs("RocCurve", scores, positive);
        var fpr = new List<double> { 0 };
        var tpr = new List<double> { 0 };
        long tp = 0, fp = 0;
        for (int i = order.Length - 1; i >= 0; i--)
        {
            if (positive[order[i]]) tp++;
            else fp++;
            if (i > 0 && scores[order[i - 1]] == scores[order[i]]) continue;
            fpr.Add((double)fp / negatives);
            tpr.Add((double)tp / positives);
        }
        return ([.. fpr], [.. tpr]);
    }

    private static (int[] Order, long Positives, long Negatives) RankInputs(string op, IReadOnlyList<double> scores,
        IReadOnlyList<bool> positive)
    {
        if (scores.Count != positive.Count)
            throw new ArgumentException($"{op}: {scores.Count} scores for {positive.Count} labels");
        if (scores.Any(double.IsNaN)) throw new ArgumentException($"{op}: a score is NaN");
        long positives = positive.Count(p => p), negatives = positive.Count - positives;
        if (positives == 0 || negatives == 0)
            throw new ArgumentException($"{op}: needs both classes, got {positives} positives and {negatives} negatives");
        var order = Enumerable.Range(0, scores.Count).ToArray();
        Array.Sort(order, (a, b) => scores[a].CompareTo(scores[b]));
        return (order, positives, negatives);
    }

    /// <summary>Peak signal-to-noise ratio 10·log₁₀(peak² / MSE) in decibels over all elements (as
    /// skimage.metrics.peak_signal_noise_ratio with data_range = peak); +∞ for identical images.</summary>
    public static double Psnr(Tensor prediction, Tensor target, double peak = 1)
    {
        using var _ = Autograd.NoGrad();
        double mse = Losses.Mse(prediction.To(DType.Float64), target.To(DType.Float64)).Item();
        return 10 * Math.Log10(peak * peak / mse);
    }
}
