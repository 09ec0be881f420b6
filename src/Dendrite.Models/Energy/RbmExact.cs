// Exact quantities of a small RBM, by summing over all 2^H hidden states (the visible units are summed or integrated
// out in closed form for each hidden state, so V may be large: 784 pixels with 10–20 hidden units is fine):
//   Z = Σ_h exp(cᵀh) · S(b + Wᵀh),   S(a) = Π(1 + e^aᵢ) (binary v)  or  (2π)^{V/2} exp(½‖a‖² − ½‖b‖²) (Gaussian v)
//   log p(v) = −F(v) − log Z
//   ∂ mean log p / ∂W = ⟨σ(Wv + c) vᵀ⟩_data − Σ_h p(h) h E[v | h]ᵀ
// The hidden states are visited in Gray-code order, so each step flips one unit and updates a = b + Wᵀh with one
// row of W: 2^H·V work instead of 2^H·H·V. Everything is in double precision. These are the references that validate
// annealed importance sampling and the CD-k update.
//
// Shapes: N examples, V visible units, H hidden units.

namespace Dendrite.Models.Energy;

/// <summary>Exact partition function, log-likelihood and log-likelihood gradient of an RBM with few hidden
/// units.</summary>
public static class RbmExact
{
    /// <summary>The most hidden units the exact sums accept (2^24 states).</summary>
    public const int MaxHidden = 24;

    /// <summary>log Z, summing over all 2^H hidden states.</summary>
    public static double LogPartition(Rbm rbm)
    {
        double max = double.NegativeInfinity, sum = 0;
        Enumerate(rbm, "LogPartition", (t, _, _) =>
        {
            if (t > max)
            {
                sum = sum * Math.Exp(max - t) + 1;
                max = t;
            }
            else sum += Math.Exp(t - max);
        });
        return max + Math.Log(sum);
    }

    /// <summary>Mean exact log-likelihood (nats; a log-density for Gaussian visibles) of the rows of
    /// <paramref name="data"/> (N, V).</summary>
    public static double LogLikelihood(Rbm rbm, Tensor data) => LogLikelihood(rbm, data, LogPartition(rbm));

    /// <summary>Mean log-likelihood given log Z (exact or estimated): mean(−F(v)) − log Z.</summary>
    public static double LogLikelihood(Rbm rbm, Tensor data, double logPartition)
    {
        int v = rbm.Visible, h = rbm.Hidden;
        if (data.Rank != 2 || data.Size(1) != v)
            throw new ArgumentException(
                $"RbmExact.LogLikelihood: expected data (N, {v}), got {Shapes.Format(data.Shape)}");
        var w = rbm.Weight.To(DType.Float64).Contiguous().AsReadOnlySpan<double>();
        var b = rbm.VisibleBias.To(DType.Float64).Contiguous().AsReadOnlySpan<double>();
        var c = rbm.HiddenBias.To(DType.Float64).Contiguous().AsReadOnlySpan<double>();
        var x = data.To(DType.Float64).Contiguous().AsReadOnlySpan<double>();
        bool gaussian = rbm is GaussianBernoulliRbm;
        int n = data.Size(0);
        double sum = 0;
        for (int r = 0; r < n; r++)
        {
            // −F(v) = −E_v(v) + Σⱼ softplus(cⱼ + Wⱼ·v), with E_v = −bᵀv or ½‖v − b‖².
            var row = x.Slice(r * v, v);
            double e = 0;
            for (int i = 0; i < v; i++) e += gaussian ? 0.5 * (row[i] - b[i]) * (row[i] - b[i]) : -b[i] * row[i];
            sum -= e;
            for (int j = 0; j < h; j++) sum += Rbm.Softplus(c[j] + Dot(w.Slice(j * v, v), row));
        }
        return sum / n - logPartition;
    }

    /// <summary>The exact gradient of the mean log-likelihood of <paramref name="data"/> (N, V) as Float64 tensors:
    /// data statistics minus model statistics.</summary>
    public static RbmGradient Gradient(Rbm rbm, Tensor data)
    {
        int v = rbm.Visible, h = rbm.Hidden;
        if (data.Rank != 2 || data.Size(1) != v)
            throw new ArgumentException($"RbmExact.Gradient: expected data (N, {v}), got {Shapes.Format(data.Shape)}");
        double logZ = LogPartition(rbm);
        bool gaussian = rbm is GaussianBernoulliRbm;
        var dW = new double[h * v];
        var db = new double[v];
        var dc = new double[h];
        // Model statistics: Σ_h p(h) · h E[v|h]ᵀ.
        var mean = new double[v];
        Enumerate(rbm, "Gradient", (t, state, a) =>
        {
            double p = Math.Exp(t - logZ);
            for (int i = 0; i < v; i++) mean[i] = p * (gaussian ? a[i] : Sigmoid(a[i]));
            for (int i = 0; i < v; i++) db[i] -= mean[i];
            for (int j = 0; j < h; j++)
            {
                if (state[j] == 0) continue;
                dc[j] -= p;
                var row = dW.AsSpan(j * v, v);
                for (int i = 0; i < v; i++) row[i] -= mean[i];
            }
        });
        // Data statistics: mean of σ(Wv + c) vᵀ.
        var w = rbm.Weight.To(DType.Float64).Contiguous().AsReadOnlySpan<double>();
        var c = rbm.HiddenBias.To(DType.Float64).Contiguous().AsReadOnlySpan<double>();
        var x = data.To(DType.Float64).Contiguous().AsReadOnlySpan<double>();
        int n = data.Size(0);
        for (int r = 0; r < n; r++)
        {
            var row = x.Slice(r * v, v);
            for (int i = 0; i < v; i++) db[i] += row[i] / n;
            for (int j = 0; j < h; j++)
            {
                double q = Sigmoid(c[j] + Dot(w.Slice(j * v, v), row)) / n;
                dc[j] += q;
                var g = dW.AsSpan(j * v, v);
                for (int i = 0; i < v; i++) g[i] += q * row[i];
            }
        }
        return new RbmGradient(Tensor.From(dW, h, v), Tensor.From(db, v), Tensor.From(dc, h));
    }

    // Calls visit(cᵀh + log S(b + Wᵀh), h, b + Wᵀh) for each of the 2^H hidden states, in Gray-code order.
    private static void Enumerate(Rbm rbm, string op, Action<double, int[], double[]> visit)
    {
        int v = rbm.Visible, h = rbm.Hidden;
        if (h > MaxHidden)
            throw new ArgumentException($"RbmExact.{op}: {h} hidden units means 2^{h} states; at most {MaxHidden}");
        var w = rbm.Weight.To(DType.Float64).Contiguous().AsReadOnlySpan<double>().ToArray();
        var c = rbm.HiddenBias.To(DType.Float64).Contiguous().AsReadOnlySpan<double>().ToArray();
        var a = rbm.VisibleBias.To(DType.Float64).Contiguous().AsReadOnlySpan<double>().ToArray();
        var state = new int[h];
        double bias = 0;
        visit(bias + rbm.LogVisibleSum(a), state, a);
        for (long i = 1; i < 1L << h; i++)
        {
            int j = System.Numerics.BitOperations.TrailingZeroCount(i);   // the unit the Gray code flips
            double sign = state[j] == 0 ? 1 : -1;
            state[j] ^= 1;
            bias += sign * c[j];
            var row = w.AsSpan(j * v, v);
            for (int k = 0; k < v; k++) a[k] += sign * row[k];
            visit(bias + rbm.LogVisibleSum(a), state, a);
        }
    }

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }
}
