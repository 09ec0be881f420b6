using System.Text.Json;
using Dendrite.Distributions;

namespace Dendrite.Tests.Mathematics;

public class DistributionTests
{
    private static Tensor Param(JsonElement e, string name, int[] shape)
    {
        var t = Tensor.From(e.GetProperty("params").GetProperty(name).Doubles(), shape);
        t.RequiresGrad = true;
        return t;
    }

    private static (Distribution D, Tensor[] Params, string[] Names) Build(JsonElement e)
    {
        int[] shape = e.GetProperty("shape").Ints();
        string name = e.GetProperty("name").GetString()!;
        switch (name)
        {
            case "normal":
                {
                    Tensor a = Param(e, "loc", shape), b = Param(e, "scale", shape);
                    return (new Normal(a, b), [a, b], ["loc", "scale"]);
                }
            case "uniform":
                {
                    Tensor a = Param(e, "low", shape), b = Param(e, "high", shape);
                    return (new Uniform(a, b), [a, b], ["low", "high"]);
                }
            case "exponential":
                {
                    var a = Param(e, "rate", shape);
                    return (new Exponential(a), [a], ["rate"]);
                }
            case "gamma":
                {
                    Tensor a = Param(e, "concentration", shape), b = Param(e, "rate", shape);
                    return (new Gamma(a, b), [a, b], ["concentration", "rate"]);
                }
            case "beta":
                {
                    Tensor a = Param(e, "alpha", shape), b = Param(e, "beta", shape);
                    return (new Beta(a, b), [a, b], ["alpha", "beta"]);
                }
            case "bernoulli":
                {
                    var a = Param(e, "probs", shape);
                    return (new Bernoulli(a), [a], ["probs"]);
                }
            case "binomial":
                {
                    var a = Param(e, "probs", shape);
                    return (new Binomial(e.GetProperty("total_count").GetInt32(), a), [a], ["probs"]);
                }
            case "poisson":
                {
                    var a = Param(e, "rate", shape);
                    return (new Poisson(a), [a], ["rate"]);
                }
            case "categorical":
                {
                    var a = Param(e, "probs", shape);
                    return (new Categorical(a), [a], ["probs"]);
                }
            case "mvn":
                {
                    var loc = Param(e, "loc", shape);
                    var cov = Tensor.From(e.GetProperty("covariance").Doubles(), shape[0], shape[0]);
                    return (MultivariateNormal.FromCovariance(loc, cov), [loc], ["loc"]);
                }
            default: throw new ArgumentException(name);
        }
    }

    [Theory]
    [InlineData("normal")]
    [InlineData("uniform")]
    [InlineData("exponential")]
    [InlineData("gamma")]
    [InlineData("beta")]
    [InlineData("bernoulli")]
    [InlineData("binomial")]
    [InlineData("poisson")]
    [InlineData("categorical")]
    [InlineData("mvn")]
    public void Distribution_MatchesTorchAndSciPy(string name)
    {
        var e = StatsFixture.Distribution(name);
        var (d, ps, names) = Build(e);
        var values = name == "categorical"
            ? Tensor.From(e.GetProperty("values").Doubles().Select(v => (long)v).ToArray(),
                e.GetProperty("values_shape").Ints())
            : Tensor.From(e.GetProperty("values").Doubles(), e.GetProperty("values_shape").Ints());
        var logProb = d.LogProb(values);
        StatsFixture.Close(e.GetProperty("log_prob").Doubles(), logProb, 1e-10, $"{name} log_prob");
        StatsFixture.Close(e.GetProperty("mean").Doubles(), d.Mean, 1e-10, $"{name} mean");
        StatsFixture.Close(e.GetProperty("variance").Doubles(), d.Variance, 1e-10, $"{name} variance");
        StatsFixture.Close(e.GetProperty("entropy").Doubles(), d.Entropy(), 1e-9, $"{name} entropy");
        var cdf = e.GetProperty("cdf");
        if (cdf.ValueKind != JsonValueKind.Null)
        {
            var c = Assert.IsAssignableFrom<ICumulative>(d);
            StatsFixture.Close(cdf.Doubles(), c.Cdf(values), 1e-10, $"{name} cdf");
        }
        var grads = Autograd.Grad([logProb.Sum()], ps);
        for (int i = 0; i < ps.Length; i++)
            StatsFixture.Close(e.GetProperty("grad").GetProperty(names[i]).Doubles(), grads[i]!, 1e-9, $"{name} " +
                $"d/d{names[i]}");
    }

    [Fact]
    public void SpecialFunctions_MatchTorch()
    {
        var s = StatsFixture.Root.GetProperty("special");
        double[] x = s.GetProperty("x").Doubles(), lg = s.GetProperty("lgamma").Doubles(),
            dg = s.GetProperty("digamma").Doubles();
        for (int i = 0; i < x.Length; i++)
        {
            StatsFixture.Close(lg[i], SpecialFunctions.LogGamma(x[i]), 1e-13, $"lgamma({x[i]})");
            StatsFixture.Close(dg[i], SpecialFunctions.Digamma(x[i]), 1e-12, $"digamma({x[i]})");
        }
        double[] pos = [.. x.Where(v => v > 0)], tg = s.GetProperty("trigamma").Doubles();
        for (int i = 0; i < pos.Length; i++) StatsFixture.Close(tg[i], SpecialFunctions.Trigamma(pos[i]), 1e-12,
            $"trigamma({pos[i]})");
    }

    [Fact]
    public void LogGammaAndDigamma_GradientsMatchFiniteDifferences()
    {
        var x = Tensor.From(new[] { 0.3, 1.7, 4.2, 11.0 }, 4);
        Gradcheck.Assert(xs => SpecialFunctions.LogGamma(xs[0]), x);
        Gradcheck.Assert(xs => SpecialFunctions.Digamma(xs[0]), x);
        var a = Tensor.From(new[] { 0.8, 2.5 }, 2);
        var b = Tensor.From(new[] { 1.5, 0.7 }, 2);
        Gradcheck.Assert(xs => new Beta(xs[0], xs[1]).Entropy(), a, b);
        Gradcheck.Assert(xs => new Gamma(xs[0], xs[1]).LogProb(Tensor.From(new[] { 0.4, 2.0 }, 2)), a, b);
    }

    [Fact]
    public void Normal_RSampleGradientsReachLocAndScale()
    {
        var loc = Tensor.From(new[] { 0.5, -1.0 }, 2);
        var scale = Tensor.From(new[] { 1.5, 0.3 }, 2);
        Gradcheck.Assert(xs => new Normal(xs[0], xs[1]).RSample([3], new Generator(11)), loc, scale);
        // d/dμ Σ samples = number of samples per element; d/dσ Σ samples = Σ ε.
        loc.RequiresGrad = true;
        scale.RequiresGrad = true;
        var y = new Normal(loc, scale).RSample([4], new Generator(3));
        var eps = new Normal(Tensor.Zeros(DType.Float64, 2), Tensor.Ones(DType.Float64, 2)).Sample([4],
            new Generator(3));
        var g = Autograd.Grad([y.Sum()], [loc, scale]);
        StatsFixture.Close([4, 4], g[0]!, 1e-12, "dμ");
        StatsFixture.Close(eps.Sum(0).ToArray<double>(), g[1]!, 1e-12, "dσ");
    }

    [Fact]
    public void MultivariateNormal_RSampleAndLogProbAreDifferentiable()
    {
        var loc = Tensor.From(new[] { 0.5, -1.0, 2.0 }, 3);
        var tril = Tensor.From(new[] { 1.2, 0, 0, 0.3, 0.8, 0, -0.4, 0.1, 0.5 }, 3, 3);
        Gradcheck.Assert(xs => MultivariateNormal.FromScaleTril(xs[0], xs[1]).RSample([2], new Generator(5)), loc,
            tril);
        var x = Tensor.From(new[] { 0.1, 0.2, 0.3, 1.0, -2.0, 2.5 }, 2, 3);
        Gradcheck.Assert(xs => MultivariateNormal.FromScaleTril(xs[0], xs[1]).LogProb(x), loc, tril);
        Gradcheck.Assert(xs => MultivariateNormal.FromScaleTril(xs[0], xs[1]).Entropy(), loc, tril);
    }

    [Fact]
    public void MultivariateNormal_ScaleTrilMatchesTorchCholesky()
    {
        var e = StatsFixture.Distribution("mvn");
        var cov = Tensor.From(e.GetProperty("covariance").Doubles(), 3, 3);
        var d = MultivariateNormal.FromCovariance(Tensor.Zeros(DType.Float64, 3), cov);
        StatsFixture.Close(e.GetProperty("scale_tril").Doubles(), d.ScaleTril, 1e-12, "scale_tril");
        StatsFixture.Close(cov.ToArray<double>(), d.Covariance, 1e-12, "L·Lᵀ");
    }

    // Moments of 40,000 seeded draws: the sample mean within 5 standard errors, the variance within 5%.
    public static TheoryData<string> Samplers => ["normal", "uniform", "exponential", "gamma-small", "gamma", "beta",
        "bernoulli", "binomial", "binomial-large", "poisson", "poisson-large", "mvn"];

    private static Distribution Sampler(string name) => name switch
    {
        "normal" => new Normal(2.0, 3.0),
        "uniform" => new Uniform(-1.0, 4.0),
        "exponential" => new Exponential(2.5),
        "gamma-small" => new Gamma(0.4, 2.0),
        "gamma" => new Gamma(3.5, 0.5),
        "beta" => new Beta(2.0, 5.0),
        "bernoulli" => new Bernoulli(0.3),
        "binomial" => new Binomial(20, 0.3),
        "binomial-large" => new Binomial(400, 0.7),
        "poisson" => new Poisson(3.5),
        "poisson-large" => new Poisson(80.0),
        "mvn" => MultivariateNormal.FromCovariance(Tensor.From(new[] { 1.0, -2.0 }, 2),
            Tensor.From(new[] { 2.0, 0.6, 0.6, 0.5 }, 2, 2)),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Samplers))]
    public void Sample_MomentsMatch(string name)
    {
        const int n = 40_000;
        var d = Sampler(name);
        var x = d.Sample([n], new Generator(2026)).To(DType.Float64);
        double[] mean = d.Mean.ToArray<double>(), variance = d.Variance.ToArray<double>();
        var sampleMean = x.Mean(0).ToArray<double>();
        var sampleVar = x.Var(0).ToArray<double>();
        for (int i = 0; i < mean.Length; i++)
        {
            double se = System.Math.Sqrt(variance[i] / n);
            Assert.True(System.Math.Abs(sampleMean[i] - mean[i]) < 5 * se,
                $"{name}: sample mean {sampleMean[i]} vs {mean[i]} (standard error {se})");
            Assert.True(System.Math.Abs(sampleVar[i] / variance[i] - 1) < 0.05,
                $"{name}: sample variance {sampleVar[i]} vs {variance[i]}");
        }
    }

    [Theory]
    [InlineData("normal")]
    [InlineData("uniform")]
    [InlineData("exponential")]
    public void Sample_PassesKolmogorovSmirnov(string name)
    {
        const int n = 20_000;
        var d = Sampler(name);
        var x = d.Sample([n], new Generator(99));
        var c = (ICumulative)d;
        double ks = Statistics.KolmogorovSmirnov(x, v => c.Cdf(Tensor.Scalar(v, DType.Float32)).Item());
        // 1.63/√n is the 1% critical value of the one-sample test.
        Assert.True(ks < 1.63 / System.Math.Sqrt(n), $"{name}: KS distance {ks}");
    }

    [Theory]
    [InlineData("bernoulli")]
    [InlineData("binomial")]
    [InlineData("poisson")]
    public void Sample_FrequenciesMatchPmf(string name)
    {
        const int n = 40_000;
        var d = Sampler(name);
        double[] x = d.Sample([n], new Generator(5)).ToArray<double>();
        for (int k = 0; k <= 12; k++)
        {
            double p = d.Prob(Tensor.Scalar(k)).Item();
            double freq = x.Count(v => v == k) / (double)n;
            Assert.True(System.Math.Abs(freq - p) < 5 * System.Math.Sqrt(p * (1 - p) / n) + 1e-9,
                $"{name}: frequency of {k} is {freq}, pmf {p}");
        }
    }

    [Fact]
    public void Categorical_SamplesFollowProbabilitiesPerRow()
    {
        var d = new Categorical(Tensor.From(new[] { 1.0, 2.0, 0.0, 7.0, 5.0, 5.0, 0.0, 0.0 }, 2, 4));
        var x = d.Sample([30_000], new Generator(1));
        Assert.Equal(DType.Int64, x.DType);
        Assert.Equal([30_000, 2], x.Shape.ToArray());
        long[] v = x.ToArray<long>();
        double[] expected0 = [0.1, 0.2, 0, 0.7];
        for (int k = 0; k < 4; k++)
        {
            double f0 = Enumerable.Range(0, 30_000).Count(i => v[2 * i] == k) / 30_000.0;
            Assert.True(System.Math.Abs(f0 - expected0[k]) < 0.012, $"row 0 class {k}: {f0}");
        }
        Assert.DoesNotContain(v.Where((_, i) => i % 2 == 1), c => c > 1);
    }

    [Fact]
    public void Sample_SameSeedSameDraws()
    {
        var d = new Gamma(Tensor.From(new[] { 0.5f, 2f }, 2), Tensor.From(new[] { 1f, 3f }, 2));
        var a = d.Sample([5], new Generator(42)).ToArray<float>();
        var b = d.Sample([5], new Generator(42)).ToArray<float>();
        Assert.Equal(a, b);
        Assert.Equal([5, 2], d.Sample([5], new Generator(1)).Shape.ToArray());
    }

    [Fact]
    public void LogProb_OutsideSupportIsMinusInfinity()
    {
        Assert.Equal(double.NegativeInfinity, new Exponential(1.0).LogProb(Tensor.Scalar(-0.5)).Item());
        Assert.Equal(double.NegativeInfinity, new Uniform(0.0, 1.0).LogProb(Tensor.Scalar(1.0)).Item());
        Assert.Equal(double.NegativeInfinity, new Poisson(2.0).LogProb(Tensor.Scalar(1.5)).Item());
        Assert.Equal(double.NegativeInfinity, new Binomial(3, 0.5).LogProb(Tensor.Scalar(4)).Item());
        Assert.Equal(double.NegativeInfinity, new Beta(2.0, 2.0).LogProb(Tensor.Scalar(0)).Item());
    }

    [Fact]
    public void Constructors_RejectInvalidParameters()
    {
        var e = Assert.Throws<ArgumentException>(() => new Normal(Tensor.From(new[] { 0f }, 1),
            Tensor.From(new[] { -1f }, 1)));
        Assert.Contains("Normal: scale must be positive", e.Message);
        Assert.Throws<ArgumentException>(() => new Bernoulli(1.5));
        Assert.Throws<ArgumentException>(() => new Uniform(2.0, 1.0));
        var m = Assert.Throws<ArgumentException>(() => MultivariateNormal.FromCovariance(Tensor.Zeros(2),
            Tensor.From(new[] { 1f, 2f, 2f, 1f }, 2, 2)));
        Assert.Contains("not positive-definite", m.Message);
    }
}
