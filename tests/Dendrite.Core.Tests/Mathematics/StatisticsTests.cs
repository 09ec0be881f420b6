namespace Dendrite.Tests.Mathematics;

public class StatisticsTests
{
    private static readonly System.Text.Json.JsonElement S = StatsFixture.Root.GetProperty("stats");

    private static Tensor Sample => Tensor.From(S.GetProperty("x").Doubles(), S.GetProperty("x").GetArrayLength());

    [Fact]
    public void Descriptive_MatchTorch()
    {
        var x = Sample;
        StatsFixture.Close(S.GetProperty("mean").GetDouble(), Statistics.Mean(x), 1e-12, "mean");
        StatsFixture.Close(S.GetProperty("var").GetDouble(), Statistics.Variance(x), 1e-12, "var");
        StatsFixture.Close(S.GetProperty("var_population").GetDouble(), Statistics.Variance(x, 0), 1e-12, "var(0)");
        Assert.Equal(S.GetProperty("median").GetDouble(), Statistics.Median(x));
        Assert.Equal(S.GetProperty("mode").GetDouble(), Statistics.Mode(x));
        var q = Statistics.Quantiles(x, S.GetProperty("q").Doubles());
        StatsFixture.Close(S.GetProperty("quantiles").Doubles(), Tensor.From(q, q.Length), 1e-12, "quantiles");
    }

    [Fact]
    public void Histogram_MatchesHistc()
    {
        var (counts, edges) = Statistics.Histogram(Sample, S.GetProperty("histc_bins").GetInt32());
        Assert.Equal(S.GetProperty("histc").Doubles(), counts.Select(c => (double)c).ToArray());
        Assert.Equal(counts.Length + 1, edges.Length);
        var range = S.GetProperty("histc_range").Doubles();
        var (ranged, _) = Statistics.Histogram(Sample, 5, range[0], range[1]);
        Assert.Equal(S.GetProperty("histc_ranged").Doubles(), ranged.Select(c => (double)c).ToArray());
    }

    [Fact]
    public void CovarianceAndCorrelation_MatchTorch()
    {
        var m = Tensor.From(S.GetProperty("matrix").Doubles(), 3, 20);
        StatsFixture.Close(S.GetProperty("cov").Doubles(), Statistics.Covariance(m), 1e-12, "cov");
        StatsFixture.Close(S.GetProperty("corrcoef").Doubles(), Statistics.Correlation(m), 1e-12, "corrcoef");
        StatsFixture.Close(S.GetProperty("pearson01").GetDouble(), Statistics.Pearson(m.Select(0, 0), m.Select(0,
            2)), 1e-12,
            "pearson");
    }

    [Fact]
    public void KolmogorovSmirnov_MatchesSciPy()
    {
        var x = Tensor.From(S.GetProperty("normal_sample").Doubles(), 200);
        StatsFixture.Close(S.GetProperty("ks_normal").GetDouble(), Statistics.KolmogorovSmirnov(x,
            Statistics.NormalCdf),
            1e-9, "ks");
    }

    [Fact]
    public void Statistics_RejectEmptyAndNaN()
    {
        Assert.Contains("Median: the tensor [0] is empty",
            Assert.Throws<ArgumentException>(() => Statistics.Median(Tensor.Zeros(0))).Message);
        Assert.Throws<ArgumentException>(() => Statistics.Mean(Tensor.From(new[] { 1f, float.NaN }, 2)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Statistics.Quantile(Tensor.Ones(3), 1.5));
    }
}
