// Boltzmann machine: n fully connected binary stochastic units s (V visible, then H hidden), symmetric weights with a
// zero diagonal (Hinton & Sejnowski, "Learning and relearning in Boltzmann machines", 1986; Ackley, Hinton &
// Sejnowski, "A learning algorithm for Boltzmann machines", Cognitive Science 9, 1985).
//   E(s) = −½ sᵀWs − bᵀs,   p(s) = e^{−E(s)} / Z,   p(sᵢ = 1 | s₋ᵢ) = σ(bᵢ + Σⱼ Wᵢⱼ sⱼ)
//   ∂ mean log p(v) / ∂Wᵢⱼ = ⟨sᵢ sⱼ⟩_clamped − ⟨sᵢ sⱼ⟩_free        (positive phase minus negative phase)
// Every unit talks to every other, so a Gibbs sweep must visit the units one after another; what runs at once is the
// batch of chains: the states are kept unit-major (n, B), and updating unit i is one row of W times the state matrix
// (n axpys of length B). With n ≤ 20 every quantity is also computed exactly by visiting all 2^n states in Gray-code
// order, which is what the sampled learning rule is checked against.
//
// Shapes: N data vectors, B chains, V visible, H hidden, n = V + H units. Unit i of state index s is bit i of s.

using System.Numerics.Tensors;

namespace Dendrite.Models.Energy;

/// <summary>Gradient of the mean log-likelihood of the visible data, or its sampled estimate.</summary>
/// <param name="Weight">⟨s sᵀ⟩_clamped − ⟨s sᵀ⟩_free, (n, n), zero diagonal, Float64.</param>
/// <param name="Bias">⟨s⟩_clamped − ⟨s⟩_free, (n), Float64.</param>
public sealed record BoltzmannGradient(Tensor Weight, Tensor Bias);

/// <summary>How the sampled learning rule estimates the two phases.</summary>
/// <param name="Chains">B, free-running chains for the negative phase (persistent across updates).</param>
/// <param name="ClampedChains">Chains per data vector for the positive phase (only used with hidden units).</param>
/// <param name="BurnIn">Gibbs sweeps before the statistics are collected.</param>
/// <param name="Sweeps">Sweeps whose states are averaged into the statistics.</param>
public sealed record BoltzmannSampling(int Chains = 1000, int ClampedChains = 20, int BurnIn = 10, int Sweeps = 10);

/// <summary>A fully connected Boltzmann machine with visible and (optionally) hidden binary units.</summary>
public sealed class BoltzmannMachine
{
    /// <summary>The most units for the exact computations (2^20 states).</summary>
    public const int MaxExactUnits = 20;

    private readonly double[] w, b;
    private double[]? free;   // persistent negative-phase chains, (n, B)

    /// <summary>Weights N(0, <paramref name="scale"/>²) made symmetric with a zero diagonal; zero biases.</summary>
    public BoltzmannMachine(int visible, int hidden, Generator? generator = null, double scale = 0.1)
    {
        if (visible < 1 || hidden < 0)
            throw new ArgumentException(
                $"BoltzmannMachine: needs visible >= 1 and hidden >= 0, got {visible}, {hidden}");
        Visible = visible;
        Hidden = hidden;
        int n = Units;
        var g = generator ?? Generator.Default;
        w = new double[n * n];
        b = new double[n];
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++) w[i * n + j] = w[j * n + i] = scale * g.NextGaussian();
    }

    /// <summary>V, visible units (the first V).</summary>
    public int Visible { get; }

    /// <summary>H, hidden units (the last H).</summary>
    public int Hidden { get; }

    /// <summary>n = V + H.</summary>
    public int Units => Visible + Hidden;

    /// <summary>A copy of W, (n, n), Float64.</summary>
    public Tensor Weight => Tensor.From((double[])w.Clone(), Units, Units);

    /// <summary>A copy of b, (n), Float64.</summary>
    public Tensor Bias => Tensor.From((double[])b.Clone(), Units);

    /// <summary>Sets Wᵢⱼ = Wⱼᵢ = <paramref name="value"/> (i ≠ j).</summary>
    public void SetWeight(int i, int j, double value)
    {
        if (i == j || (uint)i >= Units || (uint)j >= Units)
            throw new ArgumentException(
                $"BoltzmannMachine.SetWeight: ({i}, {j}) is not an off-diagonal pair of {Units} units");
        w[i * Units + j] = w[j * Units + i] = value;
    }

    /// <summary>Sets bᵢ.</summary>
    public void SetBias(int i, double value) => b[i] = value;

    /// <summary>E(s) = −½ sᵀWs − bᵀs for the state whose unit i is bit i of <paramref name="state"/>.</summary>
    public double Energy(long state)
    {
        int n = Units;
        double e = 0;
        for (int i = 0; i < n; i++)
        {
            if ((state >> i & 1) == 0) continue;
            e -= b[i];
            for (int j = i + 1; j < n; j++) if ((state >> j & 1) != 0) e -= w[i * n + j];
        }
        return e;
    }

    /// <summary>−E(s) − log Z for all 2^n states, indexed by state.</summary>
    public double[] ExactLogProbabilities()
    {
        int n = Units;
        if (n > MaxExactUnits)
            throw new InvalidOperationException(
                $"BoltzmannMachine: {n} units is 2^{n} states; exact sums take at most {MaxExactUnits}");
        var logp = new double[1L << n];
        var field = (double[])b.Clone();   // bᵢ + Σⱼ Wᵢⱼ sⱼ for the current state
        long s = 0;
        double negE = 0;
        for (long k = 1; k < logp.Length; k++)
        {
            int j = System.Numerics.BitOperations.TrailingZeroCount(k);   // Gray code: flip unit j
            double sign = (s >> j & 1) == 0 ? 1 : -1;
            negE += sign * field[j];                                   // −ΔE = ±(bⱼ + Σₖ Wⱼₖ sₖ)
            s ^= 1L << j;
            for (int i = 0; i < n; i++) field[i] += sign * w[i * n + j];
            logp[s] = negE;
        }
        double max = logp.Max(), z = 0;
        foreach (double x in logp) z += Math.Exp(x - max);
        double logZ = max + Math.Log(z);
        for (long k = 0; k < logp.Length; k++) logp[k] -= logZ;
        return logp;
    }

    /// <summary>p(v) of each of the 2^V visible states (hidden units summed out), indexed by visible pattern.</summary>
    public double[] ExactVisibleDistribution()
    {
        var logp = ExactLogProbabilities();
        var p = new double[1 << Visible];
        for (long s = 0; s < logp.Length; s++) p[s & ((1L << Visible) - 1)] += Math.Exp(logp[s]);
        return p;
    }

    /// <summary>Mean exact log p(v) of the rows of <paramref name="data"/> (N, V) with entries 0 or 1.</summary>
    public double ExactLogLikelihood(Tensor data)
    {
        var p = ExactVisibleDistribution();
        var patterns = Patterns(data, "ExactLogLikelihood");
        return patterns.Average(v => Math.Log(p[v]));
    }

    /// <summary>The exact gradient of <see cref="ExactLogLikelihood"/>: clamped minus free statistics.</summary>
    public BoltzmannGradient ExactGradient(Tensor data)
    {
        int n = Units;
        var patterns = Patterns(data, "ExactGradient");
        var logp = ExactLogProbabilities();
        var dw = new double[n * n];
        var db = new double[n];
        // Free phase: Σ_s p(s) s sᵀ.
        for (long s = 0; s < logp.Length; s++) Accumulate(s, -Math.Exp(logp[s]), dw, db);
        // Clamped phase: for each data vector, Σ_h p(h | v) s sᵀ with s = (v, h), averaged over the data.
        foreach (var (v, count) in patterns.GroupBy(v => v).Select(g => (g.Key, g.Count())))
        {
            double norm = 0;
            for (long h = 0; h < 1L << Hidden; h++) norm += Math.Exp(logp[v | h << Visible]);
            for (long h = 0; h < 1L << Hidden; h++)
            {
                long s = v | h << Visible;
                Accumulate(s, count * Math.Exp(logp[s]) / norm / patterns.Length, dw, db);
            }
        }
        return new BoltzmannGradient(Tensor.From(dw, n, n), Tensor.From(db, n));
    }

    /// <summary>The learning rule's sampled estimate of the gradient: the positive phase runs
    /// <see cref="BoltzmannSampling.ClampedChains"/> chains per data vector over the hidden units with the visible
    /// ones clamped (exact when there are no hidden units); the negative phase continues B persistent free-running
    /// chains over all units.</summary>
    public BoltzmannGradient SampledGradient(Tensor data, BoltzmannSampling sampling, Generator generator)
    {
        int n = Units;
        var patterns = Patterns(data, "SampledGradient");
        var dw = new double[n * n];
        var db = new double[n];
        // Positive phase: one clamped chain block of (n, N·C), visible rows fixed to the data.
        int c = Hidden == 0 ? 1 : sampling.ClampedChains, cols = patterns.Length * c;
        var clamped = new double[n * cols];
        for (int r = 0; r < cols; r++)
        {
            long v = patterns[r / c];
            for (int i = 0; i < Visible; i++) clamped[i * cols + r] = v >> i & 1;
            for (int i = Visible; i < n; i++) clamped[i * cols + r] = generator.NextDouble() < 0.5 ? 1 : 0;
        }
        Statistics(clamped, cols, Visible, Hidden == 0 ? 0 : sampling.BurnIn, Hidden == 0 ? 1 : sampling.Sweeps,
            1, dw, db, generator);
        // Negative phase: persistent chains, started uniformly at random the first time.
        int chains = sampling.Chains;
        if (free is null || free.Length != n * chains)
        {
            free = new double[n * chains];
            for (int k = 0; k < free.Length; k++) free[k] = generator.NextDouble() < 0.5 ? 1 : 0;
        }
        Statistics(free, chains, 0, sampling.BurnIn, sampling.Sweeps, -1, dw, db, generator);
        return new BoltzmannGradient(Tensor.From(dw, n, n), Tensor.From(db, n));
    }

    /// <summary>Runs <paramref name="sweeps"/> Gibbs sweeps over units first..n−1 of the chains in
    /// <paramref name="states"/> (n, B) unit-major, in place.</summary>
    public void Gibbs(Span<double> states, int chains, int first, int sweeps, Generator generator)
    {
        int n = Units;
        if (states.Length != n * chains)
            throw new ArgumentException(
                $"BoltzmannMachine.Gibbs: {states.Length} values is not (n = {n}, B = {chains})");
        var field = new double[chains];
        for (int sweep = 0; sweep < sweeps; sweep++)
        {
            for (int i = first; i < n; i++)
            {
                // field = bᵢ + Σⱼ Wᵢⱼ s_j for every chain at once; Wᵢᵢ = 0 so unit i's own state does not enter.
                Array.Fill(field, b[i]);
                for (int j = 0; j < n; j++)
                    if (w[i * n + j] != 0)
                        TensorPrimitives.MultiplyAdd(states.Slice(j * chains, chains), w[i * n + j], field, field);
                var row = states.Slice(i * chains, chains);
                for (int r = 0; r < chains; r++)
                    row[r] = generator.NextDouble() * (1 + Math.Exp(-field[r])) < 1 ? 1 : 0;   // u < σ(field)
            }
        }
    }

    /// <summary>θ ← θ + ε·g (W stays symmetric with a zero diagonal).</summary>
    public void Step(BoltzmannGradient gradient, double learningRate)
    {
        var gw = gradient.Weight.AsReadOnlySpan<double>();
        var gb = gradient.Bias.AsReadOnlySpan<double>();
        int n = Units;
        for (int i = 0; i < n; i++)
        {
            b[i] += learningRate * gb[i];
            for (int j = 0; j < n; j++)
                if (i != j) w[i * n + j] += learningRate * 0.5 * (gw[i * n + j] + gw[j * n + i]);
        }
    }

    // Burn in, then add sign · (mean over sweeps and chains of s sᵀ) into dw, db.
    private void Statistics(double[] states, int chains, int first, int burnIn, int sweeps, double sign, double[] dw,
        double[] db, Generator generator)
    {
        int n = Units;
        Gibbs(states, chains, first, burnIn, generator);
        double scale = sign / ((double)sweeps * chains);
        for (int sweep = 0; sweep < sweeps; sweep++)
        {
            if (first < n && (sweep > 0 || burnIn == 0)) Gibbs(states, chains, first, 1, generator);
            for (int i = 0; i < n; i++)
            {
                var si = states.AsSpan(i * chains, chains);
                db[i] += scale * TensorPrimitives.Sum<double>(si);
                for (int j = i + 1; j < n; j++)
                {
                    double d = scale * TensorPrimitives.Dot<double>(si, states.AsSpan(j * chains, chains));
                    dw[i * n + j] += d;
                    dw[j * n + i] += d;
                }
            }
        }
    }

    private void Accumulate(long s, double weight, double[] dw, double[] db)
    {
        int n = Units;
        for (int i = 0; i < n; i++)
        {
            if ((s >> i & 1) == 0) continue;
            db[i] += weight;
            for (int j = i + 1; j < n; j++)
                if ((s >> j & 1) != 0)
                {
                    dw[i * n + j] += weight;
                    dw[j * n + i] += weight;
                }
        }
    }

    private long[] Patterns(Tensor data, string op)
    {
        if (data.Rank != 2 || data.Size(1) != Visible)
            throw new ArgumentException(
                $"BoltzmannMachine.{op}: expected data (N, {Visible}), got {Shapes.Format(data.Shape)}");
        var x = data.To(DType.Float64).Contiguous().AsReadOnlySpan<double>();
        var patterns = new long[data.Size(0)];
        for (int r = 0; r < patterns.Length; r++)
            for (int i = 0; i < Visible; i++)
            {
                double u = x[r * Visible + i];
                if (u is not (0 or 1))
                    throw new ArgumentException(
                        $"BoltzmannMachine.{op}: data[{r}, {i}] = {u} is not a binary state 0 or 1");
                if (u == 1) patterns[r] |= 1L << i;
            }
        return patterns;
    }
}
