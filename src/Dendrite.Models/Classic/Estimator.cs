namespace Dendrite.Models.Classic;

// The course's classical baselines, each with the same Fit/Predict shape so experiments can report them side by
// side. Data: x (n, d) floating point, one sample per row; regression targets y (n); class labels y (n) Int64 in
// 0 … K − 1. Each matches scikit-learn's estimator of the same name (tools/make_classic_fixtures.py).

/// <summary>A model fitted to samples x (n, d) and targets y, then asked for predictions.</summary>
public interface IEstimator
{
    /// <summary>A short name for tables.</summary>
    string Name { get; }

    /// <summary>Fits to x (n, d) and y (n); unsupervised estimators (k-means) ignore y, which may be null.</summary>
    void Fit(Tensor x, Tensor? y);

    /// <summary>Predictions for x (m, d): values (m) for regressors, Int64 labels (m) for classifiers and
    /// clusterers.</summary>
    Tensor Predict(Tensor x);
}

/// <summary>A classifier that also gives class probabilities.</summary>
public interface IClassifier : IEstimator
{
    /// <summary>P(class | x).   x: (m, d) → (m, K)</summary>
    Tensor PredictProba(Tensor x);
}

/// <summary>A forecaster of a univariate series.</summary>
public interface IForecaster
{
    /// <summary>A short name for tables.</summary>
    string Name { get; }

    /// <summary>Learns from the series observed so far.   series: (T)</summary>
    void Fit(Tensor series);

    /// <summary>The next <paramref name="horizon"/> values.   → (horizon)</summary>
    Tensor Forecast(int horizon);
}

/// <summary>Scores for the baselines.</summary>
public static class Scores
{
    /// <summary>The fraction of predictions equal to the labels.</summary>
    public static double Accuracy(Tensor predicted, Tensor labels)
    {
        long[] p = predicted.ToArray<long>(), y = labels.ToArray<long>();
        if (p.Length != y.Length)
            throw new ArgumentException($"Accuracy: {p.Length} predictions for {y.Length} labels");
        if (p.Length == 0) throw new ArgumentException("Accuracy: no predictions");
        return p.Zip(y).Count(t => t.First == t.Second) / (double)p.Length;
    }

    /// <summary>The coefficient of determination R² = 1 − Σ(y − ŷ)² / Σ(y − ȳ)².</summary>
    public static double R2(Tensor predicted, Tensor targets)
    {
        double[] p = predicted.ToArray<double>(), y = targets.ToArray<double>();
        if (p.Length != y.Length) throw new ArgumentException($"R2: {p.Length} predictions for {y.Length} targets");
        double mean = y.Average(), ss = 0, st = 0;
        for (int i = 0; i < y.Length; i++)
        {
            ss += (y[i] - p[i]) * (y[i] - p[i]);
            st += (y[i] - mean) * (y[i] - mean);
        }
        return 1 - ss / st;
    }
}

// Checks and conversions shared by the estimators.
internal static class Data
{
    public static (double[] X, int N, int D) Matrix(string op, Tensor x)
    {
        if (x.Rank != 2 || !x.DType.IsFloating())
            throw new ArgumentException($"{op}: x must be a floating-point (n, d) matrix, got {x.DType} " +
                $"{Shapes.Format(x.Shape)}");
        if (x.Shape[0] == 0) throw new ArgumentException($"{op}: x {Shapes.Format(x.Shape)} has no samples");
        using var _ = Autograd.NoGrad();
        return (x.Detach().ToArray<double>(), x.Shape[0], x.Shape[1]);
    }

    public static double[] Targets(string op, Tensor? y, int n)
    {
        if (y is null) throw new ArgumentException($"{op}: targets y are required");
        if (y.Numel != n || y.Rank != 1)
            throw new ArgumentException($"{op}: y must be ({n}) to match x, got {Shapes.Format(y.Shape)}");
        using var _ = Autograd.NoGrad();
        return y.Detach().ToArray<double>();
    }

    public static long[] Labels(string op, Tensor? y, int n, out int classes)
    {
        if (y is null) throw new ArgumentException($"{op}: labels y are required");
        if (y.Numel != n || y.Rank != 1)
            throw new ArgumentException($"{op}: labels must be ({n}) to match x, got {Shapes.Format(y.Shape)}");
        long[] labels = y.ToArray<long>();
        long max = labels.Max(), min = labels.Min();
        if (min < 0) throw new ArgumentException($"{op}: labels must be 0 … K − 1, got {min}");
        classes = (int)max + 1;
        return labels;
    }

    public static void Features(string op, Tensor x, int d)
    {
        if (x.Rank != 2 || x.Shape[1] != d)
            throw new ArgumentException($"{op}: x must be (m, {d}) like the training data, got " +
                $"{Shapes.Format(x.Shape)}");
    }

    public static InvalidOperationException NotFitted(string op) => new($"{op}: call Fit before Predict");
}
