using System.Text.Json;
using Dendrite.Models.Classic;

namespace Dendrite.Tests.Classic;

// Each estimator against scikit-learn on the same data (tests/fixtures/classic.json, tools/make_classic_fixtures.py).
public class ClassicTests
{
    private static readonly Lazy<JsonDocument> Document = new(() => JsonDocument.Parse(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "classic.json"))));

    private static JsonElement Case(string name) => Document.Value.RootElement.GetProperty(name);

    private static double[] Doubles(JsonElement e) => [.. e.EnumerateArray().Select(v => v.GetDouble())];

    private static Tensor Matrix(JsonElement e) =>
        Tensor.From(Doubles(e.GetProperty("data")),
            [.. e.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32())]);

    private static Tensor Labels(JsonElement e) => Tensor.From(e.EnumerateArray().Select(v => v.GetInt64())
        .ToArray(), e.GetArrayLength());

    private static void Close(double[] expected, double[] actual, double tol, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol * (1 + Math.Abs(expected[i])),
                $"{what}[{i}]: got {actual[i]:R}, expected {expected[i]:R}");
        }
    }

    [Fact]
    public void LinearRegression_MatchesSklearn()
    {
        var c = Case("linear");
        var x = Matrix(c.GetProperty("x"));
        var y = Tensor.From(Doubles(c.GetProperty("y")), 60);
        var lr = new LinearRegression();
        lr.Fit(x, y);
        Close(Doubles(c.GetProperty("coef")), lr.Coefficients, 1e-10, "coef");
        Close([c.GetProperty("intercept").GetDouble()], [lr.Intercept], 1e-10, "intercept");
        Assert.True(Scores.R2(lr.Predict(x), y) > 0.99);

        var gd = new GradientDescentRegression(learningRate: 0.3, epochs: 400);
        gd.Fit(x, y);
        Close(lr.Coefficients, gd.Coefficients, 1e-6, "gradient-descent coef");
        Close([lr.Intercept], [gd.Intercept], 1e-6, "gradient-descent intercept");
        Assert.True(gd.Losses[^1] < gd.Losses[0] / 100);
    }

    [Fact]
    public void ConstantPredictors_MatchDummyEstimators()
    {
        var c = Case("linear");
        var x = Matrix(c.GetProperty("x"));
        var y = Tensor.From(Doubles(c.GetProperty("y")), 60);
        var mean = new MeanRegressor();
        mean.Fit(x, y);
        Close([c.GetProperty("mean").GetDouble()], mean.Predict(x).ToArray<double>()[..1], 1e-12, "mean");
        var median = new MedianRegressor();
        median.Fit(x.Narrow(0, 0, 59), y.Narrow(0, 0, 59));
        Close([c.GetProperty("median").GetDouble()], [median.Value], 1e-12, "median (even count)");

        var s = Case("softmax");
        var xi = Matrix(s.GetProperty("x"));
        var yi = Labels(s.GetProperty("y"));
        var majority = new MajorityClassifier();
        majority.Fit(xi.Narrow(0, 10, 140), yi.Narrow(0, 10, 140));
        Assert.Equal(s.GetProperty("majority").GetInt64(), majority.Label);
        Assert.Equal(Enumerable.Repeat(majority.Label, 150), majority.Predict(xi).ToArray<long>());
    }

    [Fact]
    public void Forecasts_NaiveAndSeasonalNaive()
    {
        var series = Tensor.From(new double[] { 1, 5, 2, 8, 3, 6, 4, 9 }, 8);
        var naive = new NaiveForecast();
        naive.Fit(series);
        Assert.Equal(new double[] { 9, 9, 9 }, naive.Forecast(3).ToArray<double>());
        var seasonal = new SeasonalNaiveForecast(3);
        seasonal.Fit(series);
        // Last season: 6, 4, 9 → repeated.
        Assert.Equal(new double[] { 6, 4, 9, 6, 4 }, seasonal.Forecast(5).ToArray<double>());
        Assert.Throws<ArgumentException>(() => new SeasonalNaiveForecast(12).Fit(series));
    }

    [Fact]
    public void LogisticRegression_MatchesSklearn()
    {
        var c = Case("logistic");
        var x = Matrix(c.GetProperty("x"));
        var y = Labels(c.GetProperty("y"));
        var clf = new LogisticRegression(c: c.GetProperty("c").GetDouble());
        clf.Fit(x, y);
        Close(Doubles(c.GetProperty("coef")), clf.Coefficients, 1e-5, "coef");
        Close([c.GetProperty("intercept").GetDouble()], [clf.Intercept], 1e-5, "intercept");
        Close(Doubles(c.GetProperty("proba").GetProperty("data")), clf.PredictProba(x.Narrow(0, 0,
            5)).ToArray<double>(), 1e-6, "proba");
        Assert.Equal(c.GetProperty("accuracy").GetDouble(), Scores.Accuracy(clf.Predict(x), y), 10);
    }

    [Fact]
    public void SoftmaxRegression_MatchesSklearnMultinomial()
    {
        var c = Case("softmax");
        var x = Matrix(c.GetProperty("x"));
        var y = Labels(c.GetProperty("y"));
        var clf = new SoftmaxRegression();
        clf.Fit(x, y);
        Close(Doubles(c.GetProperty("coef").GetProperty("data")), clf.Weights.ToArray<double>(), 1e-4, "coef");
        Close(Doubles(c.GetProperty("intercept")), clf.Bias.ToArray<double>(), 1e-4, "intercept");
        Assert.Equal(c.GetProperty("accuracy").GetDouble(), Scores.Accuracy(clf.Predict(x), y), 10);
        var p = clf.PredictProba(x).Sum(1).ToArray<double>();
        Assert.All(p, v => Assert.Equal(1, v, 12));
    }

    [Fact]
    public void KMeans_MatchesSklearnUpToRelabelling()
    {
        var c = Case("kmeans");
        var x = Matrix(c.GetProperty("x"));
        long[] expected = Labels(c.GetProperty("labels")).ToArray<long>();
        var km = new KMeans(4, seed: 1);
        km.Fit(x, null);
        long[] got = km.Labels.ToArray<long>();
        // A relabelling is a bijection: each sklearn cluster maps to exactly one of ours.
        var map = new Dictionary<long, long>();
        for (int i = 0; i < got.Length; i++)
        {
            if (map.TryGetValue(expected[i], out long m)) Assert.Equal(m, got[i]);
            else map[expected[i]] = got[i];
        }
        Assert.Equal(4, map.Values.Distinct().Count());
        Close([c.GetProperty("inertia").GetDouble()], [km.Inertia], 1e-9, "inertia");
        Assert.Equal(got, km.Predict(x).ToArray<long>());
    }

    [Fact]
    public void Pca_MatchesSklearnUpToSign()
    {
        var c = Case("pca");
        var x = Matrix(c.GetProperty("x"));
        var pca = new Pca(3).Fit(x);
        double[] expected = Doubles(c.GetProperty("components").GetProperty("data")),
            got = pca.Components.ToArray<double>();
        for (int k = 0; k < 3; k++)
        {
            double sign = Math.Sign(expected[k * 6] * got[k * 6]);
            Close(expected[(k * 6)..(k * 6 + 6)], [.. got[(k * 6)..(k * 6 + 6)].Select(v => v * sign)], 1e-8,
                $"component {k}");
        }
        // sklearn's sign convention (svd_flip) is followed, so the scores agree exactly.
        Close(expected, got, 1e-8, "components with sign");
        Close(Doubles(c.GetProperty("explained_variance")), pca.ExplainedVariance, 1e-10, "explained variance");
        Close(Doubles(c.GetProperty("ratio")), pca.ExplainedVarianceRatio, 1e-10, "ratio");
        var first = x.Narrow(0, 0, 5);
        Close(Doubles(c.GetProperty("transform").GetProperty("data")), pca.Transform(first).ToArray<double>(),
            1e-8, "transform");
        Close(Doubles(c.GetProperty("inverse").GetProperty("data")),
            pca.InverseTransform(pca.Transform(first)).ToArray<double>(), 1e-8, "inverse");
        var white = new Pca(3, whiten: true).Fit(x);
        Close(Doubles(c.GetProperty("whitened").GetProperty("data")), white.Transform(first).ToArray<double>(),
            1e-8, "whitened");
        var full = new Pca(6, whiten: true).Fit(x);
        Close(x.ToArray<double>(), full.InverseTransform(full.Transform(x)).ToArray<double>(), 1e-8, "full round trip");
    }

    [Fact]
    public void KNearestNeighborsAndNaiveBayes_MatchSklearn()
    {
        var c = Case("knn_nb");
        Tensor xtr = Matrix(c.GetProperty("x_train")), ytr = Labels(c.GetProperty("y_train"));
        Tensor xte = Matrix(c.GetProperty("x_test")), yte = Labels(c.GetProperty("y_test"));
        var knn = new KNearestNeighbors(5, blockSize: 32);
        knn.Fit(xtr, ytr);
        Assert.Equal(Labels(c.GetProperty("knn_pred")).ToArray<long>(), knn.Predict(xte).ToArray<long>());
        Assert.Equal(c.GetProperty("knn_accuracy").GetDouble(), Scores.Accuracy(knn.Predict(xte), yte), 10);

        var nb = new GaussianNaiveBayes();
        nb.Fit(xtr, ytr);
        Close(Doubles(c.GetProperty("nb_theta").GetProperty("data")), nb.Means.ToArray<double>(), 1e-12, "theta");
        Close(Doubles(c.GetProperty("nb_var").GetProperty("data")), nb.Variances.ToArray<double>(), 1e-12, "var");
        Assert.Equal(Labels(c.GetProperty("nb_pred")).ToArray<long>(), nb.Predict(xte).ToArray<long>());
        Close(Doubles(c.GetProperty("nb_proba").GetProperty("data")), nb.PredictProba(xte.Narrow(0, 0,
            5)).ToArray<double>(), 1e-9, "proba");
    }

    [Fact]
    public void Estimators_ShareTheInterfaceAndRejectBadInput()
    {
        IEstimator[] all = [new LinearRegression(), new GradientDescentRegression(), new LogisticRegression(),
            new SoftmaxRegression(), new KMeans(2), new KNearestNeighbors(), new GaussianNaiveBayes(),
                new MeanRegressor(),
            new MedianRegressor(), new MajorityClassifier()];
        Assert.Equal(all.Length, all.Select(e => e.Name).Distinct().Count());
        var e = Assert.Throws<InvalidOperationException>(() => new KNearestNeighbors().Predict(Tensor.Zeros(2, 3)));
        Assert.Contains("call Fit", e.Message);
        var bad = Assert.Throws<ArgumentException>(() => new LinearRegression().Fit(Tensor.Zeros(4, 2),
            Tensor.Zeros(3)));
        Assert.Contains("y must be (4)", bad.Message);
        Assert.Throws<ArgumentException>(() => new Pca(5).Fit(Tensor.Zeros(3, 4)));
    }
}
