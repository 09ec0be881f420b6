using System.Text.Json;
using Dendrite.Training;

namespace Dendrite.Tests;

/// <summary>ROC-AUC against sklearn.metrics.roc_auc_score and PSNR against skimage's peak_signal_noise_ratio
/// (tests/fixtures/generative.json, written by tools/make_generative_fixtures.py).</summary>
public class GenerativeMetricsTests
{
    private static readonly Lazy<JsonDocument> Fixture = new(() => JsonDocument.Parse(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "generative.json"))));

    private static IEnumerable<JsonElement> Section(string name) =>
        Fixture.Value.RootElement.GetProperty(name).EnumerateArray();

    private static Tensor ToTensor(JsonElement e) => Tensor.From(
        e.GetProperty("data").EnumerateArray().Select(v => (float)v.GetDouble()).ToArray(),
        e.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()).ToArray());

    [Fact]
    public void RocAuc_MatchesSklearn()
    {
        foreach (var c in Section("roc_auc"))
        {
            var scores = c.GetProperty("scores").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            var labels = c.GetProperty("labels").EnumerateArray().Select(v => v.GetInt32() == 1).ToArray();
            double want = c.GetProperty("auc").GetDouble();
            Assert.True(Math.Abs(Metrics.RocAuc(scores, labels) - want) < 1e-12, c.GetProperty("name").GetString());
        }
    }

    [Fact]
    public void RocCurve_RunsFromOriginToOneOneAndItsAreaIsTheAuc()
    {
        foreach (var c in Section("roc_auc"))
        {
            var scores = c.GetProperty("scores").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            var labels = c.GetProperty("labels").EnumerateArray().Select(v => v.GetInt32() == 1).ToArray();
            var (fpr, tpr) = Metrics.RocCurve(scores, labels);
            Assert.Equal((0.0, 0.0), (fpr[0], tpr[0]));
            Assert.Equal((1.0, 1.0), (fpr[^1], tpr[^1]));
            double area = 0;
            for (int i = 1; i < fpr.Length; i++) area += (fpr[i] - fpr[i - 1]) * (tpr[i] + tpr[i - 1]) / 2;
            Assert.Equal(c.GetProperty("auc").GetDouble(), area, 12);
        }
    }

    [Fact]
    public void RocAuc_ErrorsSayWhatIsWrong()
    {
        Assert.Contains("both classes", Assert.Throws<ArgumentException>(() => Metrics.RocAuc([1, 2], [true, true])).Message);
        Assert.Contains("2 scores for 3 labels",
            Assert.Throws<ArgumentException>(() => Metrics.RocAuc([1, 2], [true, false, true])).Message);
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => Metrics.RocAuc([double.NaN, 2], [true, false])).Message);
    }

    [Fact]
    public void Psnr_MatchesSkimage()
    {
        foreach (var c in Section("psnr"))
        {
            double got = Metrics.Psnr(ToTensor(c.GetProperty("image")), ToTensor(c.GetProperty("reference")));
            Assert.Equal(c.GetProperty("psnr").GetDouble(), got, 4);
        }
        Assert.Equal(double.PositiveInfinity, Metrics.Psnr(Tensor.Ones(DType.Float32, 2, 2), Tensor.Ones(DType.Float32, 2, 2)));
    }
}
