namespace Dendrite.Models.Classic;

/// <summary>
/// Gaussian naive Bayes: features independent given the class, each normal with a per-class mean θ and variance σ²;
/// log P(k | x) ∝ log πₖ − ½Σⱼ[log 2πσ²ₖⱼ + (xⱼ − θₖⱼ)²/σ²ₖⱼ]. Variances get ε = 1e-9 × the largest feature
/// variance added for stability, and the priors are the class frequencies (sklearn.naive_bayes.GaussianNB).
/// </summary>
public sealed class GaussianNaiveBayes(double varianceSmoothing = 1e-9) : IClassifier
{
    /// <inheritdoc/>
    public string Name => "Gaussian naive Bayes";

    /// <summary>θ: per-class feature means.   (K, d)</summary>
    public Tensor Means { get; private set; } = Tensor.Zeros(DType.Float64, 0, 0);

    /// <summary>σ²: per-class feature variances, smoothed.   (K, d)</summary>
    public Tensor Variances { get; private set; } = Tensor.Zeros(DType.Float64, 0, 0);

    /// <summary>π: class priors.   (K)</summary>
    public double[] Priors { get; private set; } = [];

    /// <inheritdoc/>
    public void Fit(Tensor x, Tensor? y)
    {
        var (xs, n, d) = Data.Matrix("GaussianNaiveBayes.Fit", x);
        long[] labels = Data.Labels("GaussianNaiveBayes.Fit", y, n, out int k);
        var mean = new double[k * d];
        var sq = new double[k * d];
        var counts = new int[k];
        for (int i = 0; i < n; i++)
        {
            int c = (int)labels[i];
            counts[c]++;
            for (int j = 0; j < d; j++) mean[c * d + j] += xs[i * d + j];
        }
        for (int c = 0; c < k; c++)
        {
            if (counts[c] == 0) throw new ArgumentException($"GaussianNaiveBayes: class {c} has no samples");
            for (int j = 0; j < d; j++) mean[c * d + j] /= counts[c];
        }
        for (int i = 0; i < n; i++)
        {
            int c = (int)labels[i];
            for (int j = 0; j < d; j++) sq[c * d + j] += Math.Pow(xs[i * d + j] - mean[c * d + j], 2);
        }
        double maxVar = 0;
        for (int j = 0; j < d; j++)
        {
            double m = 0, s = 0;
            for (int i = 0; i < n; i++) m += xs[i * d + j] / n;
            for (int i = 0; i < n; i++) s += (xs[i * d + j] - m) * (xs[i * d + j] - m);
            maxVar = Math.Max(maxVar, s / n);
        }
        double eps = varianceSmoothing * maxVar;
        for (int c = 0; c < k; c++)
        {
            for (int j = 0; j < d; j++) sq[c * d + j] = sq[c * d + j] / counts[c] + eps;
        }
        Means = Tensor.From(mean, k, d);
        Variances = Tensor.From(sq, k, d);
        Priors = [.. counts.Select(c => c / (double)n)];
    }

    /// <summary>The joint log-likelihood log πₖ + log p(x | k).   x: (m, d) → (m, K), float64</summary>
    public Tensor JointLogLikelihood(Tensor x)
    {
        if (Priors.Length == 0) throw Data.NotFitted("GaussianNaiveBayes");
        Data.Features("GaussianNaiveBayes.Predict", x, Means.Shape[1]);
        using var _ = Autograd.NoGrad();
        var xt = x.Detach().To(DType.Float64).Unsqueeze(1);                   // (m, 1, d)
        var diff = xt - Means.Unsqueeze(0);                                   // (m, K, d)
        var logNorm = ((Variances * (2 * Math.PI)).Log()).Sum(1);             // (K)
        var quad = (diff * diff / Variances.Unsqueeze(0)).Sum(2);             // (m, K)
        var logPrior = Tensor.From([.. Priors.Select(p => Math.Log(p))], Priors.Length);
        return logPrior - (logNorm + quad) * 0.5;
    }

    /// <summary>P(k | x).   x: (m, d) → (m, K)</summary>
    public Tensor PredictProba(Tensor x) => JointLogLikelihood(x).Softmax(1);

    /// <summary>The most probable class.   x: (m, d) → (m) Int64</summary>
    public Tensor Predict(Tensor x) => JointLogLikelihood(x).ArgMax(1);
}
