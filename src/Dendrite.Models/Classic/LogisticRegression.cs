using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.Optimization;

namespace Dendrite.Models.Classic;

/// <summary>
/// Binary logistic regression, P(y = 1 | x) = σ(x·w + b), fitted by L-BFGS (MathNet.Numerics) on the L2-penalised
/// log-loss Σᵢ log(1 + e^(−sᵢ(xᵢ·w + b))) + ‖w‖²/2C with sᵢ = ±1 (the intercept is not penalised): the objective of
/// sklearn.linear_model.LogisticRegression(C) with its default lbfgs solver. Labels are 0 and 1.
/// </summary>
public sealed class LogisticRegression(double c = 1.0, int maxIterations = 500) : IClassifier
{
    /// <inheritdoc/>
    public string Name => "logistic regression";

    /// <summary>w.   (d)</summary>
    public double[] Coefficients { get; private set; } = [];

    /// <summary>b.</summary>
    public double Intercept { get; private set; }

    /// <summary>L-BFGS iterations of the last fit.</summary>
    public int Iterations { get; private set; }

    /// <inheritdoc/>
    public void Fit(Tensor x, Tensor? y)
    {
        var (_, n, d) = Data.Matrix("LogisticRegression.Fit", x);
        long[] labels = Data.Labels("LogisticRegression.Fit", y, n, out int classes);
        if (classes > 2) throw new ArgumentException($"LogisticRegression: labels must be 0 or 1, got up to " +
            $"{classes - 1}; use SoftmaxRegression");
        using var _ = Autograd.NoGrad();
        var xt = x.Detach();
        var target = Tensor.From(labels.Select(v => (double)v).ToArray(), n, 1).To(xt.DType);
        // θ = (w, b); f = (1/n)[Σ log-loss + ‖w‖²/2C]; ∇w = (1/n)[Xᵀ(σ(z) − y) + w/C], ∂b = mean(σ(z) − y).
        (double, Vector<double>) Objective(Vector<double> theta)
        {
            var w = Tensor.From(theta.SubVector(0, d).ToArray(), d, 1).To(xt.DType);
            double b = theta[d];
            var z = xt.MatMul(w) + b;
            // log(1 + e^z) − y·z, computed stably as max(z, 0) + log(1 + e^−|z|) − y·z.
            var loss = (z.Relu() + ((-z.Abs()).Exp() + 1).Log() - target * z).Sum().Item();
            var r = z.Sigmoid() - target;
            var gw = xt.T.MatMul(r).ToArray<double>();
            var grad = Vector<double>.Build.Dense(d + 1);
            double penalty = 0;
            for (int j = 0; j < d; j++)
            {
                penalty += theta[j] * theta[j];
                grad[j] = (gw[j] + theta[j] / c) / n;
            }
            grad[d] = r.Sum().Item() / n;
            return ((loss + penalty / (2 * c)) / n, grad);
        }
        var (theta, iterations) = Lbfgs.Minimize(Objective, d + 1, maxIterations);
        Coefficients = theta[..d];
        Intercept = theta[d];
        Iterations = iterations;
    }

    /// <summary>(1 − p, p) per row.   x: (m, d) → (m, 2)</summary>
    public Tensor PredictProba(Tensor x)
    {
        var z = Linear.Predict("LogisticRegression", x, Coefficients, Intercept).Reshape(-1, 1);
        var p = z.Sigmoid();
        return Tensor.Cat([1 - p, p], 1);
    }

    /// <summary>1 where x·w + b &gt; 0, else 0.   x: (m, d) → (m) Int64</summary>
    public Tensor Predict(Tensor x) =>
        Linear.Predict("LogisticRegression", x, Coefficients, Intercept).Gt(0).To(DType.Int64);
}

/// <summary>
/// Softmax (multinomial logistic) regression, P(y = k | x) = softmax(W x + b)ₖ, fitted by L-BFGS on the
/// L2-penalised cross-entropy Σᵢ −log P(yᵢ | xᵢ) + ‖W‖²/2C: sklearn's LogisticRegression(multi_class="multinomial").
/// W is (K, d). The objective and gradient are tensor expressions in the input's dtype, so float32 data of
/// Fashion-MNIST's size runs on the GEMM kernels.
/// </summary>
public sealed class SoftmaxRegression(double c = 1.0, int maxIterations = 500) : IClassifier
{
    /// <inheritdoc/>
    public string Name => "softmax regression";

    /// <summary>W.   (K, d)</summary>
    public Tensor Weights { get; private set; } = Tensor.Zeros(DType.Float64, 0, 0);

    /// <summary>b.   (K)</summary>
    public Tensor Bias { get; private set; } = Tensor.Zeros(DType.Float64, 0);

    /// <summary>L-BFGS iterations of the last fit.</summary>
    public int Iterations { get; private set; }

    /// <inheritdoc/>
    public void Fit(Tensor x, Tensor? y)
    {
        var (_, n, d) = Data.Matrix("SoftmaxRegression.Fit", x);
        long[] labels = Data.Labels("SoftmaxRegression.Fit", y, n, out int k);
        if (k < 2) throw new ArgumentException("SoftmaxRegression: needs at least two classes");
        using var _ = Autograd.NoGrad();
        var xt = x.Detach();
        var oneHot = Tensor.From(labels, n).OneHot(k, xt.DType);                 // (n, K)
        (double, Vector<double>) Objective(Vector<double> theta)
        {
            double[] t = theta.ToArray();
            var w = Tensor.From(t[..(k * d)], k, d).To(xt.DType);
            var b = Tensor.From(t[(k * d)..], k).To(xt.DType);
            var logits = xt.MatMul(w.T) + b;                                  // (n, K)
            var logP = logits.LogSoftmax(1);
            double loss = -(logP * oneHot).Sum().Item();
            var r = logP.Exp() - oneHot;                                      // P − Y
            double[] gw = r.T.MatMul(xt).ToArray<double>();                   // (K, d)
            double[] gb = r.Sum(0).ToArray<double>();
            var grad = new double[t.Length];
            double penalty = 0;
            for (int i = 0; i < k * d; i++)
            {
                penalty += t[i] * t[i];
                grad[i] = (gw[i] + t[i] / c) / n;
            }
            for (int i = 0; i < k; i++) grad[k * d + i] = gb[i] / n;
            return ((loss + penalty / (2 * c)) / n, Vector<double>.Build.Dense(grad));
        }
        var (theta, iterations) = Lbfgs.Minimize(Objective, k * d + k, maxIterations);
        Weights = Tensor.From(theta[..(k * d)], k, d);
        Bias = Tensor.From(theta[(k * d)..], k);
        Iterations = iterations;
    }

    /// <summary>softmax(x Wᵀ + b).   x: (m, d) → (m, K)</summary>
    public Tensor PredictProba(Tensor x) => Logits(x).Softmax(1);

    /// <summary>argmaxₖ of the logits.   x: (m, d) → (m) Int64</summary>
    public Tensor Predict(Tensor x) => Logits(x).ArgMax(1);

    private Tensor Logits(Tensor x)
    {
        if (Weights.Numel == 0) throw Data.NotFitted("SoftmaxRegression");
        Data.Features("SoftmaxRegression.Predict", x, Weights.Shape[1]);
        using var _ = Autograd.NoGrad();
        var xt = x.Detach();
        return xt.MatMul(Weights.To(xt.DType).T) + Bias.To(xt.DType);
    }
}

// MathNet's L-BFGS from θ = 0. It throws when it reaches its iteration limit or its line search fails; the best
// point evaluated so far is the answer then (and the iteration count says the limit was hit).
internal static class Lbfgs
{
    public static (double[] Theta, int Iterations) Minimize(Func<Vector<double>, (double, Vector<double>)> f, int size,
        int maxIterations)
    {
        double bestValue = double.PositiveInfinity;
        double[] best = new double[size];
        int evaluations = 0;
        (double, Vector<double>) Tracked(Vector<double> theta)
        {
            var (value, grad) = f(theta);
            evaluations++;
            if (value < bestValue)
            {
                bestValue = value;
                best = theta.ToArray();
            }
            return (value, grad);
        }
        var minimizer = new LimitedMemoryBfgsMinimizer(1e-8, 1e-12, 1e-14, memory: 10,
            maximumIterations: maxIterations);
        try
        {
            var result = minimizer.FindMinimum(ObjectiveFunction.Gradient(Tracked), Vector<double>.Build.Dense(size));
            return (result.MinimizingPoint.ToArray(), result.Iterations);
        }
        catch (MaximumIterationsException)
        {
            return (best, maxIterations);
        }
        catch (Exception e) when (e is InnerOptimizationException or OptimizationException)
        {
            // The line search could not improve further: a stationary point to working precision.
            return (best, evaluations);
        }
    }
}
