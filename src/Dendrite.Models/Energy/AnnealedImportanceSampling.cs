// Annealed importance sampling (Neal 2001) of a binary RBM's partition function, as Salakhutdinov & Murray, "On the
// quantitative analysis of deep belief networks" (ICML 2008), §3–4 do it. The chain of distributions
//   p*_β(v) = exp((1 − β) b_Aᵀv + β bᵀv) · Πⱼ (1 + exp(β (Wⱼ·v + cⱼ))),   0 = β₀ < β₁ < … < β_K = 1,
// runs from a base-rate model A (no hidden interaction, visible biases b_A fitted to the data's pixel marginals, so
// Z_A = 2^H Πᵢ (1 + e^{b_Aᵢ}) is known) to the RBM B. Each chain starts from an exact sample of A and at every β_k
//   adds log p*_{β_k}(v) − log p*_{β_{k−1}}(v) to its log-weight, then moves v by one Gibbs step that leaves p_{β_k}
//   invariant: h ~ σ(β(W v + c)), v ~ σ((1 − β) b_A + β (Wᵀh + b)).
// Then Ẑ_B = Z_A · mean(w), an unbiased estimate of Z_B whose log tends to underestimate log Z_B. All M chains move
// together: each step is two GEMMs of (M, V) by (V, H) plus element-wise passes.
//
// Shapes: M chains, V visible units, H hidden units, K intermediate distributions.

namespace Dendrite.Models.Energy;

/// <summary>The result of an AIS run.</summary>
/// <param name="LogZ">log Ẑ = log Z_A + log mean(w).</param>
/// <param name="LogZLower">log(Ẑ − 3σ̂), σ̂ the standard error of Ẑ over the chains (−∞ when Ẑ − 3σ̂ ≤ 0).</param>
/// <param name="LogZUpper">log(Ẑ + 3σ̂).</param>
/// <param name="BaseLogZ">log Z_A of the base-rate model.</param>
/// <param name="LogWeights">Each chain's log w.</param>
/// <param name="Betas">K, the number of intermediate distributions.</param>
public sealed record AisResult(double LogZ, double LogZLower, double LogZUpper, double BaseLogZ, double[] LogWeights,
    int Betas)
{
    /// <summary>(Σw)² / Σw²: how many of the chains effectively carry the estimate.</summary>
    public double EffectiveSampleSize
    {
        get
        {
            double max = LogWeights.Max(), s = 0, s2 = 0;
            foreach (double lw in LogWeights)
            {
                double r = Math.Exp(lw - max);
                s += r;
                s2 += r * r;
            }
            return s * s / s2;
        }
    }
}

/// <summary>Annealed importance sampling of a <see cref="BernoulliRbm"/>'s log partition function.</summary>
public static class AnnealedImportanceSampling
{
    /// <summary>Salakhutdinov &amp; Murray's spacing scaled to <paramref name="count"/> intermediate distributions:
    /// of their 14,500, 500 are uniform on [0, 0.5], 4,000 on [0.5, 0.9] and 10,000 on [0.9, 1]. Returns
    /// β₀ = 0 … β_K = 1 (count + 1 values).</summary>
    public static double[] Schedule(int count = 14_500)
    {
        if (count < 3)
            throw new ArgumentException($"AnnealedImportanceSampling.Schedule: count must be >= 3, got {count}");
        int first = Math.Max(1, (int)Math.Round(count * 500.0 / 14_500));
        int second = Math.Max(1, (int)Math.Round(count * 4_000.0 / 14_500));
        int third = count - first - second;
        var betas = new List<double> { 0 };
        for (int i = 1; i <= first; i++) betas.Add(0.5 * i / first);
        for (int i = 1; i <= second; i++) betas.Add(0.5 + 0.4 * i / second);
        for (int i = 1; i <= third; i++) betas.Add(0.9 + 0.1 * i / third);
        betas[^1] = 1;
        return [.. betas];
    }

    /// <summary>The base-rate model's visible biases: the log-odds of each unit's mean over <paramref name="data"/>
    /// (N, V), with a pseudo-count of 5% on and off so no unit is exactly 0 or 1 (Salakhutdinov &amp; Murray smooth
    /// it the same way).</summary>
    public static Tensor BaseRateBias(Tensor data)
    {
        if (data.Rank != 2)
            throw new ArgumentException(
                $"AnnealedImportanceSampling.BaseRateBias: expected (N, V), got {Shapes.Format(data.Shape)}");
        var mean = data.Mean(0).Contiguous().AsReadOnlySpan<float>();
        double n = data.Size(0);
        var b = new float[mean.Length];
        for (int i = 0; i < b.Length; i++)
        {
            double p = (mean[i] * n + 0.05 * n) / (1.1 * n);
            b[i] = (float)Math.Log(p / (1 - p));
        }
        return Tensor.From(b, b.Length);
    }

    /// <summary>Estimates log Z of <paramref name="rbm"/> with <paramref name="chains"/> independent AIS runs over
    /// <paramref name="betas"/> (from 0 to 1, increasing), starting from the base-rate model with visible biases
    /// <paramref name="baseBias"/> (V).</summary>
    public static AisResult LogPartition(BernoulliRbm rbm, Tensor baseBias, int chains, IReadOnlyList<double> betas,
        Generator generator)
    {
        int m = chains, v = rbm.Visible, h = rbm.Hidden;
        if (baseBias.Rank != 1 || baseBias.Size(0) != v)
            throw new ArgumentException(
                $"AnnealedImportanceSampling.LogPartition: base biases {Shapes.Format(baseBias.Shape)}, expected " +
                $"({v})");
        if (chains < 2)
            throw new ArgumentException($"AnnealedImportanceSampling.LogPartition: needs >= 2 chains, got {chains}");
        if (betas.Count < 2 || betas[0] != 0 || betas[^1] != 1 ||
            betas.Zip(betas.Skip(1)).Any(p => p.Second <= p.First))
            throw new ArgumentException(
                "AnnealedImportanceSampling.LogPartition: betas must rise strictly from 0 to 1");
        using var _ = Autograd.NoGrad();
        var bA = baseBias.Contiguous().AsReadOnlySpan<float>().ToArray();
        var b = rbm.VisibleBias.AsReadOnlySpan<float>().ToArray();
        double logZA = h * Math.Log(2);
        foreach (float x in bA) logZA += Rbm.Softplus(x);

        // v ~ A: independent units with p(vᵢ = 1) = σ(b_Aᵢ).
        var probs = Tensor.Zeros(m, v);
        var ps = probs.AsSpan<float>();
        for (int r = 0; r < m; r++)
            for (int i = 0; i < v; i++) ps[r * v + i] = (float)(1 / (1 + Math.Exp(-bA[i])));
        var state = probs.Bernoulli(generator);
        var logW = new double[m];
        var hp = new float[m * h];                                                 // p(h | v) at β_k, (M, H)
        var pv = new float[m * v];                                                 // p(v | h) at β_k, (M, V)
        // Chains are independent, so the element-wise work is split across cores by chain when there is enough of it.
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = m * (v + h) >= 1 << 16 ? -1 : 1 };
        for (int k = 1; k < betas.Count; k++)
        {
            double beta = betas[k], previous = betas[k - 1];
            var pre = state.Linear(rbm.Weight, rbm.HiddenBias).Contiguous();          // (M, H): W v + c
            var a = pre.AsReadOnlySpan<float>().ToArray();
            var x = state.Contiguous().AsReadOnlySpan<float>().ToArray();
            Parallel.For(0, m, parallel, r =>
            {
                // log p*_β(v) − log p*_β'(v) = (β − β')(b − b_A)ᵀv + Σⱼ softplus(β aⱼ) − softplus(β' aⱼ)
                double d = 0;
                for (int i = 0; i < v; i++) d += (b[i] - bA[i]) * (double)x[r * v + i];
                d *= beta - previous;
                for (int j = 0; j < h; j++)
                {
                    double aj = a[r * h + j];
                    d += Rbm.Softplus(beta * aj) - Rbm.Softplus(previous * aj);
                    hp[r * h + j] = (float)(1 / (1 + Math.Exp(-beta * aj)));
                }
                logW[r] += d;
            });
            if (k == betas.Count - 1) break;
            // One Gibbs step of the RBM with weights βW, hidden biases βc and visible biases (1 − β)b_A + βb.
            var top = Tensor.From(hp, m, h).Bernoulli(generator).MatMul(rbm.Weight);   // (M, V): Wᵀh
            var t = top.Contiguous().AsReadOnlySpan<float>().ToArray();
            Parallel.For(0, m, parallel, r =>
            {
                for (int i = 0; i < v; i++)
                {
                    double input = (1 - beta) * bA[i] + beta * (t[r * v + i] + b[i]);
                    pv[r * v + i] = (float)(1 / (1 + Math.Exp(-input)));
                }
            });
            state = Tensor.From(pv, m, v).Bernoulli(generator);
        }

        double max = logW.Max(), mean = 0, square = 0;
        foreach (double lw in logW)
        {
            double w = Math.Exp(lw - max);
            mean += w / m;
            square += w * w / m;
        }
        double se = Math.Sqrt(Math.Max(0, square - mean * mean) / (m - 1));
        double shift = logZA + max;
        double lower = mean - 3 * se > 0 ? shift + Math.Log(mean - 3 * se) : double.NegativeInfinity;
        return new AisResult(shift + Math.Log(mean), lower, shift + Math.Log(mean + 3 * se), logZA, logW,
            betas.Count - 1);
    }
}
