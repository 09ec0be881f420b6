using Dendrite.Models.Energy;

namespace Dendrite.Tests.Energy;

public class RbmTests
{
    private static BernoulliRbm Random(int v, int h, double scale, ulong seed)
    {
        var g = new Generator(seed);
        var rbm = new BernoulliRbm(v, h, g);
        rbm.Weight.CopyFrom(Tensor.Randn([h, v], g, 0, scale));
        rbm.VisibleBias.CopyFrom(Tensor.Randn([v], g, 0, 0.5));
        rbm.HiddenBias.CopyFrom(Tensor.Randn([h], g, 0, 0.5));
        return rbm;
    }

    private static Tensor Repeat(Tensor x, int times) => Tensor.Cat([.. Enumerable.Repeat(x, times)]);

    // One visible and one hidden unit, W = ln 3, b = c = 0, v₀ = 1, so σ(W) = 3/4 and σ(0) = 1/2. By hand:
    //   positive phase: p(h₀ = 1 | v₀) = 3/4, so ⟨h v⟩₀ = 3/4, ⟨v⟩₀ = 1, ⟨h⟩₀ = 3/4.
    //   h₀ ~ Bernoulli(3/4); p(v₁ = 1 | h₀) = 3/4 if h₀ = 1 else 1/2, so p(v₁ = 1) = 9/16 + 2/16 = 11/16.
    //   negative phase uses p(h₁ | v₁) = 3/4 if v₁ = 1 else 1/2: ⟨h v⟩₁ = 11/16 · 3/4 = 33/64,
    //   ⟨h⟩₁ = 11/16 · 3/4 + 5/16 · 1/2 = 43/64.
    //   CD-1: dW = 3/4 − 33/64 = 15/64, db = 1 − 11/16 = 5/16, dc = 3/4 − 43/64 = 5/64.
    [Fact]
    public void ContrastiveDivergence_MatchesHandDerivedCase()
    {
        var rbm = new BernoulliRbm(1, 1);
        rbm.Weight.Fill(Math.Log(3));
        int n = 200_000;
        var g = rbm.ContrastiveDivergence(Tensor.Ones(n, 1), 1, new Generator(7));
        // Each statistic is a mean of n terms in [0, 1]: standard error at most 0.5/√n ≈ 0.0011.
        Assert.Equal(15.0 / 64, g.Weight.Item(), 0.006);
        Assert.Equal(5.0 / 16, g.VisibleBias.Item(), 0.006);
        Assert.Equal(5.0 / 64, g.HiddenBias.Item(), 0.006);
    }

    // With long chains CD-k's negative phase reaches the model distribution, and PCD's chains stay there: both then
    // estimate the exact log-likelihood gradient (computed by enumerating the hidden states).
    [Fact]
    public void ContrastiveDivergence_LongChainsMatchExactGradient()
    {
        var rbm = Random(6, 4, 0.7, 11);
        var data = Tensor.Bernoulli(0.4, [8, 6], new Generator(3));
        var exact = RbmExact.Gradient(rbm, data);
        var g = new Generator(5);
        var cd = rbm.ContrastiveDivergence(Repeat(data, 2500), 100, g);
        AssertClose(exact, cd, 0.02, "CD-100");
        var chains = Repeat(data, 2500);
        RbmGradient pcd = cd;
        for (int i = 0; i < 50; i++) pcd = rbm.ContrastiveDivergence(Repeat(data, 2500), 1, g, chains);
        AssertClose(exact, pcd, 0.02, "PCD-1 after 50 updates");
        // CD-1 is biased here: it must not pass the same test, or the test could not tell the two apart.
        var cd1 = rbm.ContrastiveDivergence(Repeat(data, 2500), 1, g);
        Assert.True(MaxDiff(exact.Weight, cd1.Weight) > 0.03, "CD-1 should differ from the exact gradient");
    }

    [Fact]
    public void GaussianContrastiveDivergence_LongChainsMatchExactGradient()
    {
        var g = new Generator(17);
        var rbm = new GaussianBernoulliRbm(3, 4, g);
        rbm.Weight.CopyFrom(Tensor.Randn([4, 3], g, 0, 0.5));
        rbm.HiddenBias.CopyFrom(Tensor.Randn([4], g, 0, 0.5));
        var data = Tensor.Randn([6, 3], g);
        var exact = RbmExact.Gradient(rbm, data);
        // 18,000 chains: the statistics' standard error is about 0.012, so 0.05 is four of them.
        var cd = rbm.ContrastiveDivergence(Repeat(data, 3000), 50, g);
        AssertClose(exact, cd, 0.05, "Gaussian CD-50");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ExactGradient_MatchesFiniteDifferences(bool gaussian)
    {
        var g = new Generator(23);
        Rbm rbm = gaussian ? new GaussianBernoulliRbm(4, 3, g) : new BernoulliRbm(5, 3, g);
        rbm.Weight.CopyFrom(Tensor.Randn([3, rbm.Visible], g, 0, 0.5));
        rbm.VisibleBias.CopyFrom(Tensor.Randn([rbm.Visible], g, 0, 0.5));
        rbm.HiddenBias.CopyFrom(Tensor.Randn([3], g, 0, 0.5));
        var data = gaussian ? Tensor.Randn([7, 4], g) : Tensor.Bernoulli(0.5, [7, 5], g);
        var exact = RbmExact.Gradient(rbm, data);
        foreach (var (p, grad) in new[] { (rbm.Weight, exact.Weight), (rbm.VisibleBias, exact.VisibleBias),
                     (rbm.HiddenBias, exact.HiddenBias) })
        {
            var analytic = grad.ToArray<double>();
            for (int i = 0; i < p.Numel; i++)
            {
                float old = p.AsSpan<float>()[i];
                const float eps = 1e-2f;
                p.AsSpan<float>()[i] = old + eps;
                double up = RbmExact.LogLikelihood(rbm, data);
                p.AsSpan<float>()[i] = old - eps;
                double down = RbmExact.LogLikelihood(rbm, data);
                p.AsSpan<float>()[i] = old;
                Assert.Equal(analytic[i], (up - down) / (2 * eps), 1e-3);
            }
        }
    }

    [Fact]
    public void Ais_MatchesExactPartitionFunction()
    {
        var rbm = Random(30, 10, 0.5, 29);
        var data = Tensor.Bernoulli(0.3, [50, 30], new Generator(2));
        double exact = RbmExact.LogPartition(rbm);
        var ais = AnnealedImportanceSampling.LogPartition(rbm, AnnealedImportanceSampling.BaseRateBias(data), 200,
            AnnealedImportanceSampling.Schedule(1000), new Generator(4));
        Assert.Equal(exact, ais.LogZ, 0.05);
        Assert.InRange(exact, ais.LogZLower - 0.01, ais.LogZUpper + 0.01);
        Assert.Equal(1000, ais.Betas);
        // One step from base to target is plain importance sampling from the base model, which is far worse here.
        var one = AnnealedImportanceSampling.LogPartition(rbm, AnnealedImportanceSampling.BaseRateBias(data), 200,
            [0, 1], new Generator(4));
        Assert.True(Math.Abs(one.LogZ - exact) > Math.Abs(ais.LogZ - exact));
    }

    [Fact]
    public void Schedule_FollowsSalakhutdinovMurraySpacing()
    {
        var betas = AnnealedImportanceSampling.Schedule();
        Assert.Equal(14_501, betas.Length);
        Assert.Equal(0, betas[0]);
        Assert.Equal(0.5, betas[500], 1e-12);
        Assert.Equal(0.9, betas[4500], 1e-12);
        Assert.Equal(1, betas[^1]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Trainer_RaisesExactLikelihoodOfBarsAndStripes(bool persistent)
    {
        var data = Repeat(BarsAndStripes.Patterns(3), 10);                     // (140, 9)
        var g = new Generator(31);
        var rbm = new BernoulliRbm(9, 8, g);
        rbm.InitVisibleBias(data);
        double before = RbmExact.LogLikelihood(rbm, data);
        var errors = new RbmTrainer(rbm, new RbmTrainingConfig(Epochs: 60, BatchSize: 14, LearningRate: 0.1,
            Persistent: persistent, DecayToZero: persistent), g).Fit(data);
        double after = RbmExact.LogLikelihood(rbm, data);
        // 14 patterns: a perfect model scores log(1/14) = −2.64; the fitted base rate scores about −6.1.
        Assert.True(after > before + 1.5, $"log-likelihood {before:F3} → {after:F3}");
        Assert.True(errors[^1] < errors[0], $"reconstruction error {errors[0]:F3} → {errors[^1]:F3}");
    }

    [Fact]
    public void Rbm_StateDictAndErrors()
    {
        var rbm = new BernoulliRbm(5, 3);
        Assert.Equal(["weight", "visible_bias", "hidden_bias"], rbm.StateDict().Keys);
        Assert.Equal([3, 5], rbm.Weight.Shape.ToArray());
        var e = Assert.Throws<ArgumentException>(() => rbm.HiddenProbabilities(Tensor.Zeros(2, 4)));
        Assert.Contains("BernoulliRbm.HiddenProbabilities", e.Message);
        Assert.Contains("[2,4]", e.Message);
        Assert.Throws<ArgumentException>(() => rbm.ContrastiveDivergence(Tensor.Zeros(2, 5), 0, new Generator(1)));
        Assert.Throws<ArgumentException>(() => RbmExact.LogPartition(new BernoulliRbm(2, 25)));
    }

    private static double MaxDiff(Tensor a, Tensor b)
    {
        var x = a.To(DType.Float64).ToArray<double>();
        var y = b.To(DType.Float64).ToArray<double>();
        return x.Zip(y).Max(p => Math.Abs(p.First - p.Second));
    }

    private static void AssertClose(RbmGradient exact, RbmGradient sampled, double tol, string what)
    {
        double dW = MaxDiff(exact.Weight, sampled.Weight), db = MaxDiff(exact.VisibleBias, sampled.VisibleBias);
        double dc = MaxDiff(exact.HiddenBias, sampled.HiddenBias);
        Assert.True(dW < tol, $"{what}: dW off by {dW:G3}");
        Assert.True(db < tol, $"{what}: db off by {db:G3}");
        Assert.True(dc < tol, $"{what}: dc off by {dc:G3}");
    }
}
