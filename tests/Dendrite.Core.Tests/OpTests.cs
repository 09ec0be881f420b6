namespace Dendrite.Tests;

/// <summary>
/// Every op against PyTorch: one theory row per case of tests/fixtures/ops.json (see tools/make_fixtures.py and
/// <see cref="OpCheck"/>). Gradient kinks and ties get named tests that check torch's convention directly.
/// </summary>
public class OpTests
{
    public static IEnumerable<object[]> CaseNames =>
        OpCheck.Cases.Select(c => new object[] { c.GetProperty("name").GetString()! });

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Op_MatchesTorch(string name) => OpCheck.Run(name);

    [Fact]
    public void Fixture_HeaderNamesGeneratorAndSeed()
    {
        var h = OpCheck.Header;
        Assert.Equal("tools/make_fixtures.py", h.GetProperty("generator").GetString());
        Assert.StartsWith("1.13", h.GetProperty("torch").GetString());
        Assert.True(h.GetProperty("seed").GetInt64() > 0);
        Assert.Equal(h.GetProperty("cases").GetInt32(), OpCheck.Cases.Count());
    }

    [Fact]
    public void Fixture_CoversEveryOp()
    {
        var used = OpCheck.Cases.Select(c => c.GetProperty("op").GetString()!).ToHashSet();
        var unused = OpCheck.Ops.Keys.Where(k => !used.Contains(k)).ToArray();
        Assert.True(unused.Length == 0, "ops without a fixture case: " + string.Join(", ", unused));
    }

    // The kink tests below compare with torch's gradient from the fixture and also spell out the convention.

    private static double[] GradOf(Func<Tensor, Tensor> f, Tensor x)
    {
        x.RequireGrad();
        f(x).Sum().Backward();
        return x.Grad!.ToArray<double>();
    }

    [Fact]
    public void Abs_GradAtZeroIsZero()
    {
        OpCheck.Run("abs_at_zero");
        Assert.Equal([-1.0, 0.0, 1.0], GradOf(t => t.Abs(), Tensor.From([-1f, 0f, 2f], 3)));
    }

    [Fact]
    public void Relu_GradAtZeroIsZero()
    {
        OpCheck.Run("relu_at_zero");
        Assert.Equal([0.0, 0.0, 1.0], GradOf(t => t.Relu(), Tensor.From([-1f, 0f, 2f], 3)));
    }

    [Fact]
    public void Clamp_GradAtBoundsIsOne()
    {
        OpCheck.Run("clamp_at_bounds");
        var x = Tensor.From([-1f, -0.5f, 0f, 0.5f, 1f], 5);
        Assert.Equal([0.0, 1.0, 1.0, 1.0, 0.0], GradOf(t => t.Clamp(-0.5, 0.5), x));
    }

    [Fact]
    public void Maximum_TieSplitsGradientInHalf()
    {
        OpCheck.Run("maximum_ties");
        OpCheck.Run("minimum_ties");
        var a = Tensor.From([1f, 2f, -1f], 3).RequireGrad();
        var b = Tensor.From([1f, 0.5f, -1f], 3).RequireGrad();
        a.Maximum(b).Sum().Backward();
        Assert.Equal([0.5, 1.0, 0.5], a.Grad!.ToArray<double>());
        Assert.Equal([0.5, 0.0, 0.5], b.Grad!.ToArray<double>());
    }

    [Fact]
    public void Max_TiesShareGradientEvenly()
    {
        OpCheck.Run("max_ties");
        OpCheck.Run("max_all_ties");
        OpCheck.Run("min_ties");
        var x = Tensor.From([1f, 3f, 3f, 2f, 2f, 2f], 2, 3);
        double third = 1.0 / 3;
        double[] want = [0, 0.5, 0.5, third, third, third];
        double[] got = GradOf(t => t.Max(1), x);
        for (int i = 0; i < want.Length; i++) Assert.Equal(want[i], got[i], 6);
    }

    [Fact]
    public void ArgMax_TiesPickFirstUnlessAskedForLast()
    {
        OpCheck.Run("argmax_ties_first");
        var x = Tensor.From([1f, 3f, 3f, 2f, 2f, 0f], 2, 3);
        Assert.Equal([2L, 1L], x.ArgMax(1, selectLast: true).ToArray<long>());
    }
}
