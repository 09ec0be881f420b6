using Dendrite.Models.Energy;

namespace Dendrite.Tests.Energy;

public class BoltzmannMachineTests
{
    private static BoltzmannMachine Random(int v, int h, double scale, ulong seed)
    {
        var bm = new BoltzmannMachine(v, h, new Generator(seed), scale);
        var g = new Generator(seed + 1);
        for (int i = 0; i < v + h; i++) bm.SetBias(i, 0.5 * g.NextGaussian());
        return bm;
    }

    // Two units, W₁₂ = ln 3, no biases: the unnormalised probabilities of 00, 10, 01, 11 are 1, 1, 1, 3, so Z = 6,
    // p(11) = 1/2 and ⟨s₁s₂⟩ = 1/2. With the data {11}, the clamped ⟨s₁s₂⟩ is 1, so ∂ log p / ∂W₁₂ = 1 − 1/2.
    [Fact]
    public void Exact_MatchesHandDerivedCase()
    {
        var bm = new BoltzmannMachine(2, 0, scale: 0);
        bm.SetWeight(0, 1, Math.Log(3));
        var p = bm.ExactVisibleDistribution();
        double[] expected = [1 / 6.0, 1 / 6.0, 1 / 6.0, 1 / 2.0];   // index: bit i is unit i
        for (int s = 0; s < 4; s++) Assert.Equal(expected[s], p[s], 1e-12);
        var g = bm.ExactGradient(Tensor.From(new float[] { 1, 1 }, 1, 2));
        Assert.Equal(0.5, g.Weight[0, 1], 1e-12);
        Assert.Equal(0.5, g.Weight[1, 0], 1e-12);
        Assert.Equal(1 - 2 / 3.0, g.Bias[0], 1e-12);   // ⟨s₁⟩ = p(10) + p(11) = 2/3
        Assert.Equal(Math.Log(0.5), bm.ExactLogLikelihood(Tensor.From(new float[] { 1, 1 }, 1, 2)), 1e-12);
    }

    [Fact]
    public void Gibbs_SamplesTheExactDistribution()
    {
        var bm = Random(6, 0, 1.0, 41);
        var exact = bm.ExactVisibleDistribution();
        int chains = 4000, n = 6;
        var g = new Generator(43);
        var states = new double[n * chains];
        for (int i = 0; i < states.Length; i++) states[i] = g.NextDouble() < 0.5 ? 1 : 0;
        bm.Gibbs(states, chains, 0, 20, g);
        var counts = new double[1 << n];
        int samples = 0;
        for (int sweep = 0; sweep < 20; sweep++)
        {
            bm.Gibbs(states, chains, 0, 1, g);
            for (int r = 0; r < chains; r++)
            {
                int s = 0;
                for (int i = 0; i < n; i++) s |= (int)states[i * chains + r] << i;
                counts[s]++;
                samples++;
            }
        }
        double tv = 0.5 * exact.Select((p, s) => Math.Abs(p - counts[s] / samples)).Sum();
        Assert.True(tv < 0.03, $"total variation between Gibbs samples and the exact distribution: {tv:G3}");
    }

    [Fact]
    public void SampledGradient_MatchesExactGradient()
    {
        var bm = Random(4, 3, 0.8, 47);
        var data = Tensor.Bernoulli(0.5, [6, 4], new Generator(48));
        var exact = bm.ExactGradient(data);
        var sampled = bm.SampledGradient(data, new BoltzmannSampling(Chains: 4000, ClampedChains: 400, BurnIn: 20,
            Sweeps: 20), new Generator(49));
        var e = exact.Weight.ToArray<double>().Concat(exact.Bias.ToArray<double>()).ToArray();
        var s = sampled.Weight.ToArray<double>().Concat(sampled.Bias.ToArray<double>()).ToArray();
        double max = e.Zip(s).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(max < 0.03, $"sampled learning rule off the exact gradient by {max:G3}");
    }

    [Fact]
    public void LearningRule_RaisesLikelihood()
    {
        var data = BarsAndStripes.Patterns(2);                                  // (6, 4)
        var bm = Random(4, 2, 0.1, 53);
        double before = bm.ExactLogLikelihood(data);
        var g = new Generator(54);
        var sampling = new BoltzmannSampling(Chains: 500, ClampedChains: 20, BurnIn: 5, Sweeps: 5);
        for (int i = 0; i < 100; i++) bm.Step(bm.SampledGradient(data, sampling, g), 0.2);
        double after = bm.ExactLogLikelihood(data);
        Assert.True(after > before + 0.3, $"log-likelihood {before:F3} → {after:F3}");
        Assert.Throws<ArgumentException>(() => bm.ExactGradient(Tensor.Full(0.5, 1, 4)));
        Assert.Throws<ArgumentException>(() => bm.SetWeight(1, 1, 0));
    }
}
