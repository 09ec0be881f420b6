using Dendrite.Distributions;
using Dendrite.IO;

namespace Dendrite.Experiments.Mathematics;

/// <summary>The central limit theorem: standardised sample means of four very different distributions approach
/// N(0, 1) as the sample size n grows, and the Kolmogorov–Smirnov distance to Φ shrinks like 1/√n.</summary>
public sealed class Clt : Experiment
{
    /// <inheritdoc/>
    public override string Name => "clt";

    /// <inheritdoc/>
    public override string Topic => "mathematics";

    /// <inheritdoc/>
    public override string Summary => "sample means of binomial, Poisson, exponential and uniform draws against the " +
        "normal density";

    /// <inheritdoc/>
    public override string Claim => """
        For independent draws X₁ … Xₙ with mean μ and finite variance σ², the standardised mean √n(X̄ₙ − μ)/σ
        converges in distribution to N(0, 1), whatever the distribution of the Xᵢ: skewed (exponential), discrete
        (binomial, Poisson) or flat (uniform). The Berry–Esseen theorem bounds the distance between the cdfs by
        C·E|X − μ|³/(σ³√n), so the Kolmogorov–Smirnov distance should fall like 1/√n, fastest for the symmetric
        uniform and slowest for the skewed exponential.
        """;

    /// <inheritdoc/>
    public override void Run(ExperimentContext context)
    {
        var sources = new (string Name, Distribution D)[]
        {
            ("Binomial(10, 0.3)", new Binomial(10, Tensor.Scalar(0.3, DType.Float64))),
            ("Poisson(3)", new Poisson(Tensor.Scalar(3.0, DType.Float64))),
            ("Exponential(1)", new Exponential(Tensor.Scalar(1.0, DType.Float64))),
            ("Uniform(0, 1)", new Uniform(Tensor.Scalar(0.0, DType.Float64), Tensor.Scalar(1.0, DType.Float64))),
        };
        int[] sizes = context.Choose(new[] { 1, 2, 5, 10, 30, 100, 300 }, [1, 5, 30]);
        int[] shown = context.Choose(new[] { 1, 5, 30, 300 }, [1, 30]);
        int replicates = context.Choose(20_000, 1_000);
        context.Setup($"For each distribution and each n in {{{string.Join(", ", sizes)}}}, {replicates:N0} sample " +
            $"means " +
            "of n independent draws (one seeded generator per distribution), standardised as √n(X̄ − μ)/σ with the " +
            "exact μ and σ. The KS distance is sup |Fₘ(z) − Φ(z)| over the empirical cdf of the standardised means.");
        var table = context.Table("ks", "Standardised sample means against N(0, 1)", "distribution", "n",
            "mean of z", "variance of z", "KS distance", "KS·√n");
        var curves = new List<Series>();
        foreach (var (name, d) in sources)
        {
            double mu = d.Mean.Item(), sigma = d.Stddev.Item();
            var g = context.NewGenerator();
            var ks = new List<double>();
            var histograms = new List<Series>();
            foreach (int n in sizes)
            {
                var means = d.Sample([replicates, n], g).Mean(1);                       // (replicates)
                var z = (means - mu) * (Math.Sqrt(n) / sigma);
                double distance = Statistics.KolmogorovSmirnov(z, Statistics.NormalCdf);
                ks.Add(distance);
                table.Add(name, n, Statistics.Mean(z), Statistics.Variance(z), distance, distance * Math.Sqrt(n));
                if (shown.Contains(n)) histograms.Add(Density($"n = {n}", z));
            }
            var grid = Enumerable.Range(0, 161).Select(i => -4 + i * 0.05).ToArray();
            histograms.Add(new Series("N(0, " +
                "1)", grid, [.. grid.Select(x => Math.Exp(-x * x / 2) / Math.Sqrt(2 * Math.PI))]));
            string stem = "means-" + new string([.. name.TakeWhile(char.IsLetter)]).ToLowerInvariant();
            Plots.Line(context.Figure(stem, $"Standardised means of {name}: histograms (density) for several n and " +
                $"the " +
                "standard normal density"), histograms,
                new LineOptions
                {
                    Title = $"Sample means of {name}",
                    XLabel = "z = √n(X̄ − " +
                    "μ)/σ",
                    YLabel = "density",
                    MarkerSize = 0
                });
            curves.Add(new Series(name, [.. sizes.Select(n => Math.Log10(n))], [.. ks]));
            context.Finding($"{name}: the KS distance falls from {ks[0]:G3} at n = {sizes[0]} to {ks[^1]:G3} at " +
                $"n = {sizes[^1]} (KS·√n {ks[0] * Math.Sqrt(sizes[0]):G3} → {ks[^1] * Math.Sqrt(sizes[^1]):G3}).");
        }
        // The reference slope: 1/√n through the first point of the slowest curve.
        double top = curves.Max(c => c.Y[0]);
        curves.Add(new Series("∝ " +
            "1/√n", [.. sizes.Select(n => Math.Log10(n))], [.. sizes.Select(n => top / Math.Sqrt(n))]));
        double floor = 1.36 / Math.Sqrt(replicates);
        curves.Add(new Series($"sampling noise (1.36/√{replicates})", [.. sizes.Select(n => Math.Log10(n))],
            [.. sizes.Select(_ => floor)]));
        Plots.Line(context.Figure("ks-distance", "Kolmogorov–Smirnov distance between the standardised means and " +
            "N(0, 1) " +
            $"against n (log scales); below the flat noise level ({floor:G2}) the test cannot tell them apart"), curves,
            new LineOptions
            {
                Title = "Convergence to the normal",
                XLabel = "log₁₀ n",
                YLabel = "KS " +
                "distance",
                LogY = true
            });
        context.Finding($"With {replicates:N0} replicates the KS distance of a truly normal sample would be about " +
            $"{0.87 / Math.Sqrt(replicates):G2} (its median), so distances near that level are sampling noise.");
    }

    // A histogram of z on [−4, 4] as a density curve through the bin centres.
    private static Series Density(string name, Tensor z)
    {
        const int bins = 48;
        var (counts, edges) = Statistics.Histogram(z, bins, -4, 4);
        double width = edges[1] - edges[0], total = z.Numel;
        return new Series(name, [.. Enumerable.Range(0, bins).Select(i => edges[i] + width / 2)],
            [.. counts.Select(c => c / (total * width))]);
    }
}
