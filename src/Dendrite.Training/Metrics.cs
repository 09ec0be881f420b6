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
}
