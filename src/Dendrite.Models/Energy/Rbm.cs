// Restricted Boltzmann machine: visible units v and binary hidden units h joined by weights W, no connections within a
// layer, so p(h | v) and p(v | h) factorise and a whole layer is sampled at once with one matrix product.
//   Bernoulli–Bernoulli:  E(v, h) = −bᵀv − cᵀh − hᵀWv,      p(hⱼ = 1 | v) = σ(cⱼ + Wⱼ·v),  p(vᵢ = 1 | h) = σ(bᵢ + Wᵀh)
//   Gaussian–Bernoulli:   E(v, h) = ½‖v − b‖² − cᵀh − hᵀWv,  p(v | h) = N(b + Wᵀh, I)  (unit variance: standardise v)
// Smolensky (1986) "harmonium"; contrastive divergence: Hinton, "Training products of experts by minimizing
// contrastive divergence" (2002); persistent CD: Tieleman, "Training restricted Boltzmann machines using approximations
// to the likelihood gradient" (ICML 2008); defaults from Hinton, "A practical guide to training RBMs" (2010).
// All sampling runs outside autograd on whole batches: every conditional is one GEMM plus an element-wise pass.
//
// Shapes: N batch (or chains), V visible units, H hidden units. W is (H, V), the layout of a Linear layer's weight, so
// a deep belief network hands it to an MLP unchanged.

using Dendrite.Nn;

namespace Dendrite.Models.Energy;

/// <summary>The log-likelihood ascent direction estimated by one contrastive-divergence step, averaged over the batch:
/// positive-phase statistics minus negative-phase statistics.</summary>
/// <param name="Weight">⟨h vᵀ⟩_data − ⟨h vᵀ⟩_model, (H, V).</param>
/// <param name="VisibleBias">⟨v⟩_data − ⟨v⟩_model, (V).</param>
/// <param name="HiddenBias">⟨h⟩_data − ⟨h⟩_model, (H).</param>
public sealed record RbmGradient(Tensor Weight, Tensor VisibleBias, Tensor HiddenBias);

/// <summary>A restricted Boltzmann machine with binary hidden units. Subclasses fix the visible units' kind:
/// <see cref="BernoulliRbm"/> (binary) and <see cref="GaussianBernoulliRbm"/> (real-valued).</summary>
public abstract class Rbm : Module
{
    /// <summary>Weights N(0, 0.01²) and zero biases, as the practical guide recommends.</summary>
    protected Rbm(int visible, int hidden, Generator? generator)
    {
        if (visible < 1 || hidden < 1)
            throw new ArgumentException(
                $"Rbm: needs at least one visible and one hidden unit, got {visible}, {hidden}");
        Visible = visible;
        Hidden = hidden;
        Weight = new Parameter(Tensor.Randn([hidden, visible], generator, 0, 0.01), requiresGrad: false);
        VisibleBias = new Parameter(Tensor.Zeros(visible), requiresGrad: false);
        HiddenBias = new Parameter(Tensor.Zeros(hidden), requiresGrad: false);
    }

    /// <summary>V, the number of visible units.</summary>
    public int Visible { get; }

    /// <summary>H, the number of hidden units.</summary>
    public int Hidden { get; }

    /// <summary>W, (H, V).</summary>
    public Parameter Weight { get; }

    /// <summary>b, (V).</summary>
    public Parameter VisibleBias { get; }

    /// <summary>c, (H).</summary>
    public Parameter HiddenBias { get; }

    /// <summary>Multiplies W in the bottom-up conditional p(h | v); 1 except in the first layer of a deep Boltzmann
    /// machine's pre-training, where Salakhutdinov &amp; Hinton (2009) double it to stand in for the missing top-down
    /// input. Only the two conditionals see it; the energy, free energy and exact sums are those of the plain
    /// RBM.</summary>
    public double BottomUpScale { get; set; } = 1;

    /// <summary>Multiplies W in the top-down conditional p(v | h); 2 in the top layer of a DBM's
    /// pre-training.</summary>
    public double TopDownScale { get; set; } = 1;

    /// <summary>p(h = 1 | v) = σ(s·v·Wᵀ + c), s = <see cref="BottomUpScale"/>.   v (N, V) → (N, H)</summary>
    public Tensor HiddenProbabilities(Tensor v)
    {
        CheckVisible("HiddenProbabilities", v);
        using var _ = Autograd.NoGrad();
        return (BottomUpScale == 1 ? v : v * BottomUpScale).Linear(Weight, HiddenBias).Sigmoid();
    }

    /// <summary>A binary sample of h given v.   v (N, V) → (N, H)</summary>
    public Tensor SampleHidden(Tensor v, Generator generator) => HiddenProbabilities(v).Bernoulli(generator);

    /// <summary>E[v | h]: σ(s·h·W + b) for binary visibles, s·h·W + b for Gaussian ones
    /// (s = <see cref="TopDownScale"/>).   h (N, H) → (N, V)</summary>
    public Tensor VisibleMean(Tensor h)
    {
        if (h.Rank != 2 || h.Size(1) != Hidden)
            throw new ArgumentException(
                $"{GetType().Name}.VisibleMean: expected h (N, {Hidden}), got {Shapes.Format(h.Shape)}");
        using var _ = Autograd.NoGrad();
        return MeanFromInput((TopDownScale == 1 ? h : h * TopDownScale).MatMul(Weight) + VisibleBias);
    }

    /// <summary>A sample of v given h.   h (N, H) → (N, V)</summary>
    public abstract Tensor SampleVisible(Tensor h, Generator generator);

    /// <summary>F(v) = −log Σ_h exp(−E(v, h)), per row.   v (N, V) → (N)</summary>
    public Tensor FreeEnergy(Tensor v)
    {
        CheckVisible("FreeEnergy", v);
        using var _ = Autograd.NoGrad();
        var pre = v.Linear(Weight, HiddenBias).Contiguous().AsReadOnlySpan<float>();   // (N, H)
        var x = v.Contiguous().AsReadOnlySpan<float>();
        var b = VisibleBias.AsReadOnlySpan<float>();
        int n = v.Size(0);
        var f = new float[n];
        for (int r = 0; r < n; r++)
        {
            double softplus = 0;
            foreach (float a in pre.Slice(r * Hidden, Hidden)) softplus += Softplus(a);
            f[r] = (float)(VisibleEnergy(x.Slice(r * Visible, Visible), b) - softplus);
        }
        return Tensor.From(f, n);
    }

    /// <summary>k steps of block Gibbs sampling v → h → v from <paramref name="v"/>.   (N, V) → (N, V)</summary>
    public Tensor Gibbs(Tensor v, int steps, Generator generator)
    {
        for (int i = 0; i < steps; i++) v = SampleVisible(SampleHidden(v, generator), generator);
        return v;
    }

    /// <summary>Samples from the model: <paramref name="count"/> independent chains started from uniform random binary
    /// states, <paramref name="steps"/> Gibbs steps each, returning E[v | h] of the last hidden state (smoother to look
    /// at than a binary sample).   → (count, V)</summary>
    public Tensor Sample(int count, int steps, Generator generator)
    {
        if (count < 1 || steps < 1)
            throw new ArgumentException($"{GetType().Name}.Sample: count and steps must be >= 1, got {count}, {steps}");
        var v = Gibbs(Tensor.Bernoulli(0.5, [count, Visible], generator), steps - 1, generator);
        return VisibleMean(SampleHidden(v, generator));
    }

    /// <summary>The mean-field reconstruction E[v | h = p(h | v)].   (N, V) → (N, V)</summary>
    public Tensor Reconstruct(Tensor v) => VisibleMean(HiddenProbabilities(v));

    /// <summary>Squared reconstruction error ‖v − Reconstruct(v)‖², averaged over the rows.</summary>
    public double ReconstructionError(Tensor v)
    {
        using var _ = Autograd.NoGrad();
        var d = v - Reconstruct(v);
        return (d * d).Sum().Item() / v.Size(0);
    }

    /// <summary>CD-k (Hinton 2002), or persistent CD-k (Tieleman 2008) when <paramref name="chains"/> is given: the
    /// positive phase uses p(h | v₀) on the data; the negative phase runs k steps of Gibbs sampling from the data (CD)
    /// or from the persistent chains (PCD, updated in place) and uses p(h | v_k). Binary states are sampled throughout
    /// the chain; only the statistics use probabilities, which lowers their variance without changing the
    /// expectation.   v0 (N, V), chains (M, V)</summary>
    public RbmGradient ContrastiveDivergence(Tensor v0, int k, Generator generator, Tensor? chains = null)
    {
        CheckVisible("ContrastiveDivergence", v0);
        if (k < 1) throw new ArgumentException($"Rbm.ContrastiveDivergence: k must be >= 1, got {k}");
        if (chains is not null) CheckVisible("ContrastiveDivergence (chains)", chains);
        using var _ = Autograd.NoGrad();
        var ph0 = HiddenProbabilities(v0);                                          // (N, H)
        var h = chains is null ? ph0.Bernoulli(generator) : SampleHidden(chains, generator);
        Tensor vk = v0, phk = ph0;
        for (int step = 1; step <= k; step++)
        {
            vk = SampleVisible(h, generator);                                       // (M, V)
            phk = HiddenProbabilities(vk);                                          // (M, H)
            if (step < k) h = phk.Bernoulli(generator);
        }
        chains?.CopyFrom(vk);
        double n = v0.Size(0), m = vk.Size(0);
        var dW = ph0.T.MatMul(v0) * (1 / n) - phk.T.MatMul(vk) * (1 / m);        // (H, V)
        var db = v0.Mean(0) - vk.Mean(0);                                          // (V)
        var dc = ph0.Mean(0) - phk.Mean(0);                                        // (H)
        return new RbmGradient(dW, db, dc);
    }

    /// <summary>Sets b to the data's log-odds log(p̄ / (1 − p̄)) for binary units (the practical guide's §8), or to its
    /// mean for Gaussian ones.   data (N, V)</summary>
    public abstract void InitVisibleBias(Tensor data);

    /// <summary>log Σ_v exp(aᵀv − ½‖v‖²·[Gaussian]) − ½‖b‖²·[Gaussian]: the visible units summed (or integrated) out
    /// for one hidden state whose top-down input is a = b + Wᵀh. Used by the exact partition function.</summary>
    public abstract double LogVisibleSum(ReadOnlySpan<double> a);

    /// <summary>E[v | h] from the top-down input a = b + Wᵀh.</summary>
    protected abstract Tensor MeanFromInput(Tensor a);

    /// <summary>The hidden-independent part of the energy, −bᵀv or ½‖v − b‖².</summary>
    protected abstract double VisibleEnergy(ReadOnlySpan<float> v, ReadOnlySpan<float> b);

    /// <summary>log(1 + eˣ), without overflow.</summary>
    public static double Softplus(double x) => Math.Max(x, 0) + Math.Log(1 + Math.Exp(-Math.Abs(x)));

    /// <summary>Checks that <paramref name="v"/> is (N, V).</summary>
    protected void CheckVisible(string op, Tensor v)
    {
        if (v.Rank != 2 || v.Size(1) != Visible)
            throw new ArgumentException(
                $"{GetType().Name}.{op}: expected (N, {Visible}), got {Shapes.Format(v.Shape)}");
    }
}

/// <summary>An RBM with binary visible and hidden units.</summary>
public sealed class BernoulliRbm(int visible, int hidden, Generator? generator = null) : Rbm(visible, hidden, generator)
{
    /// <inheritdoc/>
    public override Tensor SampleVisible(Tensor h, Generator generator) => VisibleMean(h).Bernoulli(generator);

    /// <inheritdoc/>
    public override void InitVisibleBias(Tensor data)
    {
        CheckVisible("InitVisibleBias", data);
        // Clipped away from 0 and 1 so that a pixel that is never on gets a large negative bias, not −∞.
        var p = data.Mean(0).Contiguous().AsReadOnlySpan<float>();
        var b = VisibleBias.AsSpan<float>();
        for (int i = 0; i < Visible; i++)
        {
            double q = Math.Clamp(p[i], 1e-3, 1 - 1e-3);
            b[i] = (float)Math.Log(q / (1 - q));
        }
    }

    /// <inheritdoc/>
    public override double LogVisibleSum(ReadOnlySpan<double> a)
    {
        double s = 0;
        foreach (double x in a) s += Softplus(x);   // Π (1 + e^aᵢ)
        return s;
    }

    /// <inheritdoc/>
    protected override Tensor MeanFromInput(Tensor a) => a.Sigmoid();

    /// <inheritdoc/>
    protected override double VisibleEnergy(ReadOnlySpan<float> v, ReadOnlySpan<float> b)
    {
        double e = 0;
        for (int i = 0; i < v.Length; i++) e -= b[i] * (double)v[i];
        return e;
    }
}

/// <summary>An RBM with real-valued Gaussian visible units of unit variance and binary hidden units (Hinton &amp;
/// Salakhutdinov 2006; the practical guide's §13.2). Standardise each input to zero mean and unit variance, and use a
/// learning rate one or two orders of magnitude below the binary RBM's.</summary>
public sealed class GaussianBernoulliRbm(int visible, int hidden, Generator? generator = null)
    : Rbm(visible, hidden, generator)
{
    /// <inheritdoc/>
    public override Tensor SampleVisible(Tensor h, Generator generator)
    {
        var mean = VisibleMean(h);
        using var _ = Autograd.NoGrad();
        return mean + Tensor.Randn(mean.Shape, generator);
    }

    /// <inheritdoc/>
    public override void InitVisibleBias(Tensor data)
    {
        CheckVisible("InitVisibleBias", data);
        using var _ = Autograd.NoGrad();
        VisibleBias.CopyFrom(data.Mean(0));
    }

    /// <inheritdoc/>
    public override double LogVisibleSum(ReadOnlySpan<double> a)
    {
        // ∫ exp(−½‖v − b‖² + hᵀWv) dv = (2π)^{V/2} exp(½‖a‖² − ½‖b‖²) with a = b + Wᵀh.
        var b = VisibleBias.AsReadOnlySpan<float>();
        double s = 0.5 * a.Length * Math.Log(2 * Math.PI);
        for (int i = 0; i < a.Length; i++) s += 0.5 * (a[i] * a[i] - (double)b[i] * b[i]);
        return s;
    }

    /// <inheritdoc/>
    protected override Tensor MeanFromInput(Tensor a) => a;

    /// <inheritdoc/>
    protected override double VisibleEnergy(ReadOnlySpan<float> v, ReadOnlySpan<float> b)
    {
        double e = 0;
        for (int i = 0; i < v.Length; i++) e += 0.5 * (v[i] - (double)b[i]) * (v[i] - b[i]);
        return e;
    }
}
