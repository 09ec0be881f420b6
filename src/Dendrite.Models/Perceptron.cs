// The perceptron (Rosenblatt, 1958): a single threshold unit y = step(w·x + b) trained by the perceptron
// learning rule rather than by gradients (the step function has none). On a mistake the weights move toward
// (w ← w + ηx) or away from (w ← w - ηx) the input; the perceptron convergence theorem guarantees a finite number
// of mistakes when the classes are linearly separable, and no convergence otherwise (XOR).
//
// Shapes: x (N, F) float inputs, y (N) labels in {0, 1}.

namespace Dendrite.Models;

/// <summary>A single-layer perceptron with the course's learning rule.</summary>
public sealed class Perceptron
{
    /// <summary>A perceptron over <paramref name="features"/> inputs, weights and bias starting at zero.</summary>
    public Perceptron(int features, double learningRate = 1)
    {
        Weights = new double[features];
        LearningRate = learningRate;
    }

    /// <summary>w, one per input.</summary>
    public double[] Weights { get; }

    /// <summary>b (the threshold's negative).</summary>
    public double Bias { get; private set; }

    /// <summary>η in w ← w ± ηx.</summary>
    public double LearningRate { get; }

    /// <summary>1 when w·x + b ≥ 0, else 0.</summary>
    public int Predict(ReadOnlySpan<float> x)
    {
        if (x.Length != Weights.Length)
            throw new ArgumentException($"Perceptron: input has {x.Length} features, the model has {Weights.Length}");
        double s = Bias;
        for (int i = 0; i < x.Length; i++) s += Weights[i] * x[i];
        return s >= 0 ? 1 : 0;
    }

    /// <summary>Predictions for every row of x (N, F).</summary>
    public Tensor Predict(Tensor x)
    {
        var (n, f, v) = Rows(x);
        var r = new long[n];
        for (int i = 0; i < n; i++) r[i] = Predict(v.AsSpan(i * f, f));
        return Tensor.From(r);
    }

    /// <summary>One pass over the data in order, applying the rule on each mistake; returns the number of mistakes.</summary>
    public int Epoch(Tensor x, Tensor y)
    {
        var (n, f, v) = Rows(x);
        var labels = y.ToArray<long>();
        if (labels.Length != n) throw new ArgumentException($"Perceptron: {n} inputs but {labels.Length} labels");
        int mistakes = 0;
        for (int i = 0; i < n; i++)
        {
            var xi = v.AsSpan(i * f, f);
            int predicted = Predict(xi);
            if (predicted == labels[i]) continue;
            mistakes++;
            double sign = labels[i] == 1 ? 1 : -1; // false negative: w ← w + ηx; false positive: w ← w - ηx
            for (int j = 0; j < f; j++) Weights[j] += sign * LearningRate * xi[j];
            Bias += sign * LearningRate;
        }
        return mistakes;
    }

    /// <summary>Repeats epochs until one makes no mistake or <paramref name="maxEpochs"/> pass. Returns the
    /// mistakes of every epoch; the run converged when the last entry is 0.</summary>
    public List<int> Fit(Tensor x, Tensor y, int maxEpochs = 100)
    {
        var history = new List<int>();
        for (int e = 0; e < maxEpochs; e++)
        {
            history.Add(Epoch(x, y));
            if (history[^1] == 0) break;
        }
        return history;
    }

    private (int N, int F, float[] Values) Rows(Tensor x)
    {
        if (x.Rank != 2 || x.Size(1) != Weights.Length)
            throw new ArgumentException($"Perceptron: expected inputs (N, {Weights.Length}), got {Shapes.Format(x.Shape)}");
        return (x.Size(0), x.Size(1), x.ToArray<float>());
    }
}
