using MathNet.Numerics.LinearAlgebra;

namespace Dendrite.Models.Classic;

/// <summary>
/// Ordinary least squares with an intercept: ŵ = argmin ‖y − Xw − b‖², solved in closed form on centred data
/// (ŵ = V Σ⁺ Uᵀ ỹ from the SVD of the centred X, the minimum-norm solution when X is rank-deficient, as
/// numpy.linalg.lstsq), b = ȳ − x̄·ŵ. Matches sklearn.linear_model.LinearRegression.
/// </summary>
public sealed class LinearRegression : IEstimator
{
    /// <inheritdoc/>
    public string Name => "linear regression (least squares)";

    /// <summary>w.   (d)</summary>
    public double[] Coefficients { get; private set; } = [];

    /// <summary>b.</summary>
    public double Intercept { get; private set; }

    /// <inheritdoc/>
    public void Fit(Tensor x, Tensor? y)
    {
        var (xs, n, d) = Data.Matrix("LinearRegression.Fit", x);
        double[] ys = Data.Targets("LinearRegression.Fit", y, n);
        var xMean = new double[d];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < d; j++) xMean[j] += xs[i * d + j] / n;
        }
        double yMean = ys.Average();
        var a = Matrix<double>.Build.Dense(n, d, (i, j) => xs[i * d + j] - xMean[j]);
        var b = Vector<double>.Build.Dense(n, i => ys[i] - yMean);
        var svd = a.Svd(computeVectors: true);
        var s = svd.S;
        double cutoff = s.Count == 0 ? 0 : s[0] * Math.Max(n, d) * 2.220446049250313e-16;
        var uTb = svd.U.TransposeThisAndMultiply(b);
        var w = Vector<double>.Build.Dense(d);
        for (int k = 0; k < s.Count; k++)
        {
            if (s[k] <= cutoff) continue;
            w += svd.VT.Row(k) * (uTb[k] / s[k]);
        }
        Coefficients = w.ToArray();
        Intercept = yMean - w.DotProduct(Vector<double>.Build.Dense(xMean));
    }

    /// <summary>ŷ = x·w + b.   x: (m, d) → (m), float64</summary>
    public Tensor Predict(Tensor x) => Linear.Predict("LinearRegression", x, Coefficients, Intercept);
}

/// <summary>
/// The same least-squares model fitted by full-batch gradient descent on L = (1/2n)‖Xw + b − y‖²:
/// w ← w − η·Xᵀ(Xw + b − y)/n, b ← b − η·mean(Xw + b − y), from w = 0, b = 0. It reaches the closed form when η is
/// below 2/λmax(XᵀX/n) and the epochs suffice; <see cref="Losses"/> records L per epoch.
/// </summary>
public sealed class GradientDescentRegression(double learningRate = 0.1, int epochs = 1000) : IEstimator
{
    /// <inheritdoc/>
    public string Name => "linear regression (gradient descent)";

    /// <summary>w.   (d)</summary>
    public double[] Coefficients { get; private set; } = [];

    /// <summary>b.</summary>
    public double Intercept { get; private set; }

    /// <summary>L before each update.</summary>
    public IReadOnlyList<double> Losses { get; private set; } = [];

    /// <inheritdoc/>
    public void Fit(Tensor x, Tensor? y)
    {
        if (!(learningRate > 0) || epochs < 1)
            throw new ArgumentException($"GradientDescentRegression: learningRate {learningRate} and epochs {epochs} " +
                $"must be positive");
        var (_, n, d) = Data.Matrix("GradientDescentRegression.Fit", x);
        double[] ys = Data.Targets("GradientDescentRegression.Fit", y, n);
        using var _ = Autograd.NoGrad();
        var xt = x.Detach().To(DType.Float64);
        var target = Tensor.From(ys, n, 1);
        var w = Tensor.Zeros(DType.Float64, d, 1);
        double b = 0;
        var losses = new List<double>(epochs);
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            var residual = xt.MatMul(w) + b - target;             // (n, 1)
            losses.Add(0.5 * (residual * residual).Mean().Item());
            var gradW = xt.T.MatMul(residual) / n;                 // (d, 1)
            w = w - gradW * learningRate;
            b -= learningRate * residual.Mean().Item();
        }
        Coefficients = w.ToArray<double>();
        Intercept = b;
        Losses = losses;
    }

    /// <summary>ŷ = x·w + b.   x: (m, d) → (m), float64</summary>
    public Tensor Predict(Tensor x) => Linear.Predict("GradientDescentRegression", x, Coefficients, Intercept);
}

internal static class Linear
{
    public static Tensor Predict(string op, Tensor x, double[] w, double b)
    {
        if (w.Length == 0) throw Data.NotFitted(op);
        Data.Features(op + ".Predict", x, w.Length);
        using var _ = Autograd.NoGrad();
        return x.Detach().To(DType.Float64).MatMul(Tensor.From(w, w.Length, 1)).Reshape(-1) + b;
    }
}
