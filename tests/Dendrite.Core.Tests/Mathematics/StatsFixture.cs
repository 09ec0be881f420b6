using System.Text.Json;

namespace Dendrite.Tests.Mathematics;

/// <summary>tests/fixtures/stats.json, written by tools/make_stats_fixtures.py (torch.distributions, SciPy).</summary>
internal static class StatsFixture
{
    private static readonly Lazy<JsonDocument> Document = new(() => JsonDocument.Parse(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "stats.json"))));

    public static JsonElement Root => Document.Value.RootElement;

    public static JsonElement Distribution(string name) =>
        Root.GetProperty("distributions").EnumerateArray().First(e => e.GetProperty("name").GetString() == name);

    public static double[] Doubles(this JsonElement e) => [.. e.EnumerateArray().Select(v => v.GetDouble())];

    public static int[] Ints(this JsonElement e) => [.. e.EnumerateArray().Select(v => v.GetInt32())];

    public static void Close(double[] expected, Tensor actual, double tol, string what)
    {
        double[] a = actual.ToArray<double>();
        Assert.True(expected.Length == a.Length, $"{what}: {a.Length} values, expected {expected.Length}");
        for (int i = 0; i < a.Length; i++) Close(expected[i], a[i], tol, $"{what}[{i}]");
    }

    public static void Close(double expected, double actual, double tol, string what)
    {
        if (double.IsNegativeInfinity(expected) && double.IsNegativeInfinity(actual)) return;
        Assert.True(System.Math.Abs(expected - actual) <= tol * (1 + System.Math.Abs(expected)),
            $"{what}: got {actual:R}, expected {expected:R}");
    }
}
