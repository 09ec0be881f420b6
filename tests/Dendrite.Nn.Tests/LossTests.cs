using Dendrite.Nn;

namespace Dendrite.Tests;

/// <summary>Losses for every reduction against torch.nn.functional (values and prediction gradients) and central
/// differences in float64; shape errors.</summary>
public class LossTests
{
    public static TheoryData<string> Cases => NnFixture.Names("losses");

    private static Reduction ParseReduction(string? r) => r switch
    {
        "mean" => Reduction.Mean,
        "sum" => Reduction.Sum,
        "none" => Reduction.None,
        _ => throw new InvalidDataException($"nn.json: unknown reduction {r}"),
    };

    /// <summary>The fixture loss <paramref name="loss"/> written with Dendrite.</summary>
    private static Tensor Apply(string loss, System.Text.Json.JsonElement args, Reduction red, Tensor p, Tensor t) =>
        loss switch
        {
            "mse" => Losses.Mse(p, t, red),
            "mae" => Losses.Mae(p, t, red),
            "rmse" => Losses.Rmse(p, t),
            "huber" => Losses.Huber(p, t, args.GetProperty("delta").GetDouble(), red),
            "bce" or "bce_edges" => Losses.BinaryCrossEntropy(p, t, red),
            "bce_logits" or "bce_logits_zero" => Losses.BinaryCrossEntropyWithLogits(p, t, red),
            "ce_index" or "ce_probs" => Losses.CrossEntropy(p, t, reduction: red),
            "ce_index_smooth" or "ce_probs_smooth" =>
                Losses.CrossEntropy(p, t, args.GetProperty("smoothing").GetDouble(), red),
            "categorical_ce" or "categorical_ce_index" => Losses.CategoricalCrossEntropy(p, t, red),
            "nll" => Losses.Nll(p, t, red),
            "kl_batchmean" => Losses.KlDivergence(p, t, batchMean: true),
            "kl_mean" => Losses.KlDivergence(p, t, batchMean: false),
            "l1_penalty" => Losses.L1Penalty([p], args.GetProperty("lambda").GetDouble()),
            "l2_penalty" => Losses.L2Penalty([p], args.GetProperty("lambda").GetDouble()),
            _ => throw new KeyNotFoundException($"no Dendrite loss for fixture loss {loss}"),
        };

    private static Tensor Apply(System.Text.Json.JsonElement c, Tensor p, Tensor t) =>
        Apply(c.GetProperty("loss").GetString()!, c.GetProperty("args"),
            ParseReduction(c.GetProperty("reduction").GetString()), p, t);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Loss_MatchesTorch(string name)
    {
        var c = NnFixture.Entry("losses", name);
        var p = NnFixture.ToTensor(c.GetProperty("prediction")).RequireGrad();
        var t = NnFixture.ToTensor(c.GetProperty("target"));
        var y = Apply(c, p, t);
        NnFixture.AssertClose(y, c.GetProperty("output"), $"{name}: loss");
        if (!c.TryGetProperty("grad", out var grad)) return;
        (y * NnFixture.ToTensor(c.GetProperty("r"))).Sum().Backward();
        NnFixture.AssertClose(p.Grad!, grad, $"{name}: gradient");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Loss_GradientMatchesFiniteDifferences(string name)
    {
        var c = NnFixture.Entry("losses", name);
        if (!c.TryGetProperty("grad", out _)) return; // BCE at p = 0 or 1: clamped, not differentiable there
        var p = NnFixture.ToTensor(c.GetProperty("prediction")).RequireGrad();
        var t = NnFixture.ToTensor(c.GetProperty("target"));
        if (t.DType.IsFloating()) t = t.To(DType.Float64);
        var result = Gradcheck.Check(xs => Apply(c, xs[0], t), [p]);
        Assert.True(result.Passed, $"{name}: {result}");
    }

    [Fact]
    public void Losses_ShapeErrorsNameOpAndShapes()
    {
        var a = Tensor.Zeros(2, 3);
        var e = Assert.Throws<ArgumentException>(() => Losses.Mse(a, Tensor.Zeros(3, 2)));
        Assert.Contains("Mse", e.Message);
        Assert.Contains("[2,3]", e.Message);
        Assert.Contains("[3,2]", e.Message);
        e = Assert.Throws<ArgumentException>(() => Losses.CrossEntropy(a, Tensor.From(new long[] { 0, 1, 2 })));
        Assert.Contains("CrossEntropy", e.Message);
        e = Assert.Throws<ArgumentException>(() => Losses.CrossEntropy(Tensor.Zeros(2, 3, 4), Tensor.Zeros(2)));
        Assert.Contains("[2,3,4]", e.Message);
        e = Assert.Throws<ArgumentException>(() => Losses.Nll(a, Tensor.Zeros(2)));
        Assert.Contains("Int64", e.Message);
    }

    [Fact]
    public void Penalties_OfNoParametersAreZero()
    {
        Assert.Equal(0, Losses.L1Penalty([], 0.5).Item());
        Assert.Equal(0, Losses.L2Penalty([], 0.5).Item());
    }
}
