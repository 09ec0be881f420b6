// Deep Boltzmann machine with two hidden layers (Salakhutdinov & Hinton, "Deep Boltzmann machines", AISTATS 2009):
// an undirected model in which h₁ hears both v and h₂,
//   E(v, h₁, h₂) = −bᵀv − c₁ᵀh₁ − c₂ᵀh₂ − h₁ᵀW₁v − h₂ᵀW₂h₁,
//   p(h₁ | v, h₂) = σ(W₁v + W₂ᵀh₂ + c₁),  p(h₂ | h₁) = σ(W₂h₁ + c₂),  p(v | h₁) = σ(W₁ᵀh₁ + b).
// Learning (their §3): the data-dependent expectation comes from mean-field inference (fixed-point updates of
// μ₁ = σ(W₁v + W₂ᵀμ₂ + c₁), μ₂ = σ(W₂μ₁ + c₂)), the model's from persistent Gibbs chains (v, h₂ given h₁ in one
// block, then h₁); the update is ⟨μ vᵀ⟩_data − ⟨h vᵀ⟩_model per weight matrix. Greedy pre-training (their §3.1) trains
// a bottom RBM whose bottom-up weights are doubled and a top RBM whose top-down weights are doubled, so that when the
// two are composed each layer of h₁ counts its two inputs once; mean-field starts from that doubled bottom-up pass.
// With few units in h₁, h₂ and v are summed out in closed form, so Z and log p(v) are exact (2^H₁ terms).
//
// Shapes: N batch, M persistent chains, V visible, H₁ and H₂ hidden units. W₁ (H₁, V), W₂ (H₂, H₁).

namespace Dendrite.Models.Energy;

/// <summary>How to train a <see cref="Dbm"/> jointly after pre-training.</summary>
/// <param name="Epochs">Passes over the data.</param>
/// <param name="BatchSize">N per update; also M, the persistent chains.</param>
/// <param name="LearningRate">ε, decayed linearly to zero over training.</param>
/// <param name="MeanFieldSteps">Fixed-point iterations of the mean-field updates per batch.</param>
/// <param name="Momentum">μ of the update.</param>
/// <param name="WeightDecay">λ, L2 penalty on W₁ and W₂.</param>
public sealed record DbmTrainingConfig(int Epochs = 10, int BatchSize = 100, double LearningRate = 0.005,
    int MeanFieldSteps = 10, double Momentum = 0.9, double WeightDecay = 2e-4);

/// <summary>A two-hidden-layer deep Boltzmann machine over binary visible units, held as its two RBMs (bottom: V ↔ H₁,
/// top: H₁ ↔ H₂). The bottom RBM's hidden biases are c₁; the top RBM's visible biases are unused in the joint
/// model.</summary>
public sealed class Dbm
{
    private Tensor? chainV, chainH1, chainH2;

    /// <summary>V → H₁ → H₂ with small random weights.</summary>
    public Dbm(int visible, int hidden1, int hidden2, Generator? generator = null)
    {
        Bottom = new BernoulliRbm(visible, hidden1, generator);
        Top = new BernoulliRbm(hidden1, hidden2, generator);
    }

    /// <summary>W₁, b and c₁.</summary>
    public BernoulliRbm Bottom { get; }

    /// <summary>W₂ and c₂ (its visible biases are not part of the DBM).</summary>
    public BernoulliRbm Top { get; }

    /// <summary>Greedy pre-training (Salakhutdinov &amp; Hinton §3.1): the bottom RBM with bottom-up weights doubled on
    /// the data, then the top RBM with top-down weights doubled on the bottom one's doubled hidden probabilities.
    /// Returns both layers' reconstruction errors per epoch.</summary>
    public List<List<double>> PreTrain(Tensor data, RbmTrainingConfig config, Generator generator,
        Action<int, int, double>? onEpoch = null)
    {
        Bottom.InitVisibleBias(data);
        Bottom.BottomUpScale = 2;
        var bottom = new RbmTrainer(Bottom, config, generator).Fit(data, (e, err) => onEpoch?.Invoke(0, e, err));
        var h1 = Bottom.HiddenProbabilities(data);                            // (N, H₁), doubled input
        Bottom.BottomUpScale = 1;
        Top.TopDownScale = 2;
        var top = new RbmTrainer(Top, config, generator).Fit(h1, (e, err) => onEpoch?.Invoke(1, e, err));
        Top.TopDownScale = 1;
        return [bottom, top];
    }

    /// <summary>Mean-field posterior q(h₁) q(h₂) given v: starts from the doubled bottom-up pass, then runs
    /// <paramref name="steps"/> fixed-point updates.   v (N, V) → μ₁ (N, H₁), μ₂ (N, H₂)</summary>
    public (Tensor Mu1, Tensor Mu2) MeanField(Tensor v, int steps)
    {
        using var _ = Autograd.NoGrad();
        var up = v.Linear(Bottom.Weight, Bottom.HiddenBias);                   // (N, H₁): W₁v + c₁
        var mu1 = (up + v.Linear(Bottom.Weight)).Sigmoid();                     // σ(2W₁v + c₁)
        var mu2 = mu1.Linear(Top.Weight, Top.HiddenBias).Sigmoid();            // (N, H₂)
        for (int i = 0; i < steps; i++)
        {
            mu1 = (up + mu2.MatMul(Top.Weight)).Sigmoid();                      // σ(W₁v + W₂ᵀμ₂ + c₁)
            mu2 = mu1.Linear(Top.Weight, Top.HiddenBias).Sigmoid();            // σ(W₂μ₁ + c₂)
        }
        return (mu1, mu2);
    }

    /// <summary>One Gibbs sweep of the joint model: h₁ | v, h₂, then v | h₁ and h₂ | h₁ together.</summary>
    public (Tensor V, Tensor H1, Tensor H2) Gibbs(Tensor v, Tensor h2, Generator generator)
    {
        using var _ = Autograd.NoGrad();
        var h1 = (v.Linear(Bottom.Weight, Bottom.HiddenBias) + h2.MatMul(Top.Weight)).Sigmoid().Bernoulli(generator);
        return (Bottom.SampleVisible(h1, generator), h1, Top.SampleHidden(h1, generator));
    }

    /// <summary>Joint training by mean-field (positive phase) and persistent chains (negative phase). Returns the
    /// mean-field reconstruction error ‖v − σ(W₁ᵀμ₁ + b)‖² per epoch.</summary>
    public List<double> Train(Tensor data, DbmTrainingConfig config, Generator generator,
        Action<int, double>? onEpoch = null)
    {
        int n = data.Size(0), bs = config.BatchSize, batches = n / bs;
        if (batches == 0) throw new ArgumentException($"Dbm.Train: {n} examples is fewer than one batch of {bs}");
        var velocity = new[] { Bottom.Weight, Bottom.VisibleBias, Bottom.HiddenBias, Top.Weight, Top.HiddenBias }
            .Select(p => new float[p.Numel]).ToArray();
        if (chainV is null || chainV.Size(0) != bs)
        {
            chainV = Tensor.Bernoulli(0.5, [bs, Bottom.Visible], generator);
            chainH2 = Tensor.Bernoulli(0.5, [bs, Top.Hidden], generator);
        }
        var errors = new List<double>();
        using var _ = Autograd.NoGrad();
        for (int epoch = 0; epoch < config.Epochs; epoch++)
        {
            var order = Tensor.Randperm(n, generator);
            double error = 0;
            for (int i = 0; i < batches; i++)
            {
                var v = data.IndexSelect(0, order.Narrow(0, i * bs, bs));          // (N, V)
                var (mu1, mu2) = MeanField(v, config.MeanFieldSteps);
                var d = v - Bottom.VisibleMean(mu1);
                error += (d * d).Sum().Item() / bs;
                (chainV, chainH1, chainH2) = Gibbs(chainV, chainH2!, generator);
                double m = bs, progress = (double)(epoch * batches + i) / (config.Epochs * batches);
                Tensor[] gradients =
                [
                    (mu1.T.MatMul(v) - chainH1.T.MatMul(chainV)) * (1 / m),        // (H₁, V)
                    v.Mean(0) - chainV.Mean(0),                                      // (V)
                    mu1.Mean(0) - chainH1.Mean(0),                                   // (H₁)
                    (mu2.T.MatMul(mu1) - chainH2!.T.MatMul(chainH1)) * (1 / m),    // (H₂, H₁)
                    mu2.Mean(0) - chainH2.Mean(0),                                   // (H₂)
                ];
                Tensor[] parameters =
                    [Bottom.Weight, Bottom.VisibleBias, Bottom.HiddenBias, Top.Weight, Top.HiddenBias];
                for (int p = 0; p < parameters.Length; p++)
                {
                    double decay = p is 0 or 3 ? config.WeightDecay : 0;
                    Update(parameters[p].AsSpan<float>(), gradients[p].Contiguous().AsReadOnlySpan<float>(),
                        velocity[p], config.LearningRate * (1 - progress), config.Momentum, decay);
                }
            }
            errors.Add(error / batches);
            onEpoch?.Invoke(epoch, errors[^1]);
        }
        return errors;
    }

    /// <summary>The persistent chains' visible states (M, V) after training, or null before.</summary>
    public Tensor? ChainSamples => chainV;

    /// <summary>Samples: <paramref name="steps"/> Gibbs sweeps from random states; returns p(v | h₁).
    ///   → (count, V)</summary>
    public Tensor Sample(int count, int steps, Generator generator)
    {
        var v = Tensor.Bernoulli(0.5, [count, Bottom.Visible], generator);
        var h2 = Tensor.Bernoulli(0.5, [count, Top.Hidden], generator);
        Tensor h1 = Tensor.Zeros(count, Bottom.Hidden);
        for (int i = 0; i < steps; i++) (v, h1, h2) = Gibbs(v, h2, generator);
        return Bottom.VisibleMean(h1);
    }

    /// <summary>Exact log Z: Σ over h₁ of exp(c₁ᵀh₁) Πᵢ(1 + e^{bᵢ + (W₁ᵀh₁)ᵢ}) Πₖ(1 + e^{c₂ₖ + (W₂h₁)ₖ}).</summary>
    public double ExactLogPartition()
    {
        var bottom = new DoubleRbm(Bottom);
        var top = new DoubleRbm(Top);
        int h1 = Bottom.Hidden, v = Bottom.Visible, h2 = Top.Hidden;
        CheckExact("ExactLogPartition");
        var a = (double[])bottom.B.Clone();                                    // b + W₁ᵀh₁
        var t = (double[])top.C.Clone();                                       // c₂ + W₂h₁
        var state = new int[h1];
        double bias = 0;
        var terms = new double[1L << h1];
        for (long k = 0; k < terms.Length; k++)
        {
            if (k > 0)
            {
                int j = System.Numerics.BitOperations.TrailingZeroCount(k);
                double sign = state[j] == 0 ? 1 : -1;
                state[j] ^= 1;
                bias += sign * bottom.C[j];
                for (int i = 0; i < v; i++) a[i] += sign * bottom.W[j * v + i];
                for (int i = 0; i < h2; i++) t[i] += sign * top.W[i * h1 + j];
            }
            terms[k] = bias + a.Sum(Rbm.Softplus) + t.Sum(Rbm.Softplus);
        }
        return LogSumExp(terms);
    }

    /// <summary>Mean exact log p(v) over <paramref name="data"/> (N, V), given log Z: for each v, h₂ is summed out in
    /// closed form and h₁ enumerated.</summary>
    public double ExactLogLikelihood(Tensor data, double logPartition)
    {
        CheckExact("ExactLogLikelihood");
        var top = new DoubleRbm(Top);
        int h1 = Bottom.Hidden, h2 = Top.Hidden, n = data.Size(0);
        var up = data.To(DType.Float64).Linear(Bottom.Weight.To(DType.Float64), Bottom.HiddenBias.To(DType.Float64))
            .Contiguous().AsReadOnlySpan<double>().ToArray();                  // (N, H₁): W₁v + c₁
        var vb = data.To(DType.Float64).MatMul(Bottom.VisibleBias.To(DType.Float64)).AsReadOnlySpan<double>().ToArray();
        var terms = new double[1L << h1];
        double total = 0;
        var t = new double[h2];
        for (int r = 0; r < n; r++)
        {
            Array.Copy(top.C, t, h2);
            var state = new int[h1];
            double s = 0;
            for (long k = 0; k < terms.Length; k++)
            {
                if (k > 0)
                {
                    int j = System.Numerics.BitOperations.TrailingZeroCount(k);
                    double sign = state[j] == 0 ? 1 : -1;
                    state[j] ^= 1;
                    s += sign * up[r * h1 + j];
                    for (int i = 0; i < h2; i++) t[i] += sign * top.W[i * h1 + j];
                }
                terms[k] = s + t.Sum(Rbm.Softplus);
            }
            total += vb[r] + LogSumExp(terms);
        }
        return total / n - logPartition;
    }

    private void CheckExact(string op)
    {
        if (Bottom.Hidden > RbmExact.MaxHidden)
            throw new InvalidOperationException(
                $"Dbm.{op}: {Bottom.Hidden} units in h₁ is 2^{Bottom.Hidden} terms; at most {RbmExact.MaxHidden}");
    }

    private static double LogSumExp(double[] x)
    {
        double max = x.Max(), s = 0;
        foreach (double v in x) s += Math.Exp(v - max);
        return max + Math.Log(s);
    }

    private static void Update(Span<float> theta, ReadOnlySpan<float> g, float[] delta, double lr, double mu,
        double decay)
    {
        for (int i = 0; i < theta.Length; i++)
        {
            delta[i] = (float)(mu * delta[i] + lr * (g[i] - decay * theta[i]));
            theta[i] += delta[i];
        }
    }

    private sealed class DoubleRbm(Rbm rbm)
    {
        public double[] W { get; } = rbm.Weight.To(DType.Float64).Contiguous().AsReadOnlySpan<double>().ToArray();

        public double[] B { get; } = rbm.VisibleBias.To(DType.Float64).Contiguous().AsReadOnlySpan<double>().ToArray();

        public double[] C { get; } = rbm.HiddenBias.To(DType.Float64).Contiguous().AsReadOnlySpan<double>().ToArray();
    }
}
