using Xunit.Abstractions;

namespace Dendrite.IO.Tests;

/// <summary>A fact that is skipped, with the reason, when Debian's libonnx-testdata is not installed.</summary>
public sealed class OnnxTestDataFactAttribute : FactAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when the node tests are absent.</summary>
    public OnnxTestDataFactAttribute()
    {
        if (!Directory.Exists(OnnxConformance.DefaultDirectory))
            Skip = $"libonnx-testdata is not installed ({OnnxConformance.DefaultDirectory} is missing)";
    }
}

public class OnnxConformanceTests(ITestOutputHelper output)
{
    // The pass count reached when this test was written; a change that loses a passing test fails here.
    private const int MinimumPassed = 838;

    [OnnxTestDataFact]
    public void EveryNodeTestPassesOrIsUnsupported()
    {
        var tests = OnnxConformance.FindTests(OnnxConformance.DefaultDirectory);
        var results = tests.Select(OnnxConformance.Run).ToList();
        var failures = results.Where(r => r.Outcome == ConformanceOutcome.Fail).Select(r => r.ToString()).ToList();
        int passed = results.Count(r => r.Outcome == ConformanceOutcome.Pass);
        int unsupported = results.Count(r => r.Outcome == ConformanceOutcome.Unsupported);
        output.WriteLine($"onnx: {passed} passed, {failures.Count} failed, {unsupported} unsupported");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(passed >= MinimumPassed, $"{passed} passed, expected at least {MinimumPassed}");
    }

    [OnnxTestDataFact]
    public void UnsupportedOperatorIsReportedByName()
    {
        var dir = Path.Combine(OnnxConformance.DefaultDirectory, "test_conv_with_strides_padding");
        var r = OnnxConformance.Run(dir);
        if (r.Outcome == ConformanceOutcome.Unsupported) Assert.Equal("Conv", r.Detail);
        else Assert.Equal(ConformanceOutcome.Pass, r.Outcome);
    }

    [OnnxTestDataFact]
    public void RandomOutputTestsAreRunButNotCountedAsPassed()
    {
        var r = OnnxConformance.Run(Path.Combine(OnnxConformance.DefaultDirectory, "test_bernoulli_seed"));
        Assert.Equal(ConformanceOutcome.Unsupported, r.Outcome);
        Assert.StartsWith("random outputs", r.Detail);
    }

    [Fact]
    public void CompareLayoutChecksOnlyShapeAndType()
    {
        var e = Tensor.From([1f, 0f], 2);
        Assert.Null(OnnxConformance.CompareLayout(e, Tensor.From([0f, 1f], 2)).Problem);
        Assert.NotNull(OnnxConformance.CompareLayout(e, Tensor.From([1.0, 0.0], 2)).Problem);
        Assert.NotNull(OnnxConformance.CompareLayout(e, Tensor.From([1f, 0f], 1, 2)).Problem);
    }

    [Fact]
    public void CompareUsesOnnxTolerancesAndMatchesNaN()
    {
        var e = Tensor.From([1f, float.NaN, 1000f], 3);
        Assert.Null(OnnxConformance.Compare(e, Tensor.From([1f, float.NaN, 1000.9f], 3)).Problem);
        Assert.NotNull(OnnxConformance.Compare(e, Tensor.From([1f, float.NaN, 1001.1f], 3)).Problem);
        Assert.NotNull(OnnxConformance.Compare(e, Tensor.From([1f, 0f, 1000f], 3)).Problem);
        Assert.NotNull(OnnxConformance.Compare(e, Tensor.From([1f, float.NaN, 1000f], 1, 3)).Problem);
        var i = Tensor.From([1L, 2L], 2);
        Assert.NotNull(OnnxConformance.Compare(i, Tensor.From([1L, 3L], 2)).Problem);
    }
}
