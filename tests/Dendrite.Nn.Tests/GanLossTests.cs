using System.Text.Json;
using Dendrite.Models.Generative;
using Dendrite.Nn;

namespace Dendrite.Tests;

/// <summary>The GAN losses against torch.nn.functional (tests/fixtures/gan.json, tools/make_gan_fixtures.py) and
/// central differences; the Fréchet distance against SciPy's sqrtm-based formula (pytorch-fid's).</summary>
public class GanLossTests
{
    private static readonly Lazy<JsonDocument> Document = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "gan.json"))));

    private static IEnumerable<JsonElement> Section(string name) =>
        Document.Value.RootElement.GetProperty(name).EnumerateArray();

    public static TheoryData<string> LossCases =>
        [.. Section("losses").Select(e => e.GetProperty("name").GetString()!)];

    public static TheoryData<string> FrechetCases =>
        [.. Section("frechet").Select(e => e.GetProperty("name").GetString()!)];

    private static JsonElement Entry(string section, string name) =>
        Section(section).First(e => e.GetProperty("name").GetString() == name);

    private static Tensor ToTensor(JsonElement e)
    {
        int[] shape = [.. e.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32())];
        var data = e.GetProperty("data").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        return e.GetProperty("dtype").GetString() == "float64"
            ? Tensor.From(data, shape)
            : Tensor.From(data.Select(v => (float)v).ToArray(), shape);
    }

    [Theory]
    [MemberData(nameof(LossCases))]
    public void GanLosses_MatchTorch(string name)
    {
        var c = Entry("losses", name);
        double eps = c.GetProperty("smoothing").GetDouble();
        var real = ToTensor(c.GetProperty("real")).RequireGrad();
        var fake = ToTensor(c.GetProperty("fake")).RequireGrad();
        var d = Losses.GanDiscriminatorLoss(real, fake, eps);
        Assert.Equal(c.GetProperty("discriminator").GetDouble(), d.Item(), 5);
        d.Backward();
        NnFixture.AssertClose(real.Grad!, c.GetProperty("discriminator_grad_real"), $"{name}: dD/dreal");
        NnFixture.AssertClose(fake.Grad!, c.GetProperty("discriminator_grad_fake"), $"{name}: dD/dfake");

        var fg = ToTensor(c.GetProperty("fake")).RequireGrad();
        var g = Losses.GanGeneratorLoss(fg);
        Assert.Equal(c.GetProperty("generator").GetDouble(), g.Item(), 5);
        g.Backward();
        NnFixture.AssertClose(fg.Grad!, c.GetProperty("generator_grad"), $"{name}: dG/dfake");

        var fm = ToTensor(c.GetProperty("fake")).RequireGrad();
        var m = Losses.GanGeneratorMinimaxLoss(fm);
        Assert.Equal(c.GetProperty("minimax").GetDouble(), m.Item(), 5);
        m.Backward();
        NnFixture.AssertClose(fm.Grad!, c.GetProperty("minimax_grad"), $"{name}: minimax dG/dfake");
    }

    [Theory]
    [MemberData(nameof(LossCases))]
    public void GanLosses_GradientsMatchFiniteDifferences(string name)
    {
        var c = Entry("losses", name);
        double eps = c.GetProperty("smoothing").GetDouble();
        var real = ToTensor(c.GetProperty("real")).To(DType.Float64).RequireGrad();
        var fake = ToTensor(c.GetProperty("fake")).To(DType.Float64).RequireGrad();
        Gradcheck.Assert(xs => Losses.GanDiscriminatorLoss(xs[0], xs[1], eps), real, fake);
        Gradcheck.Assert(xs => Losses.GanGeneratorLoss(xs[0]), fake);
        Gradcheck.Assert(xs => Losses.GanGeneratorMinimaxLoss(xs[0]), fake);
    }

    [Fact]
    public void GanDiscriminatorLoss_RejectsSmoothingOutsideRange()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            Losses.GanDiscriminatorLoss(Tensor.Zeros(2), Tensor.Zeros(2), labelSmoothing: 1));
        Assert.Contains("GanDiscriminatorLoss", e.Message);
        Assert.Contains("[0, 1)", e.Message);
    }

    [Fact]
    public void GanGeneratorLoss_DoesNotSaturateWhereMinimaxDoes()
    {
        // A discriminator that confidently rejects the fakes (logit -10): the minimax gradient σ(z) is ~4.5e-5,
        // the non-saturating one σ(z) − 1 is ~ −1 (per element, before the mean).
        var z = Tensor.Full(-10.0, 4).RequireGrad();
        Losses.GanGeneratorLoss(z).Backward();
        double nonSaturating = Math.Abs(z.Grad!.ToArray<float>()[0]) * 4;
        var w = Tensor.Full(-10.0, 4).RequireGrad();
        Losses.GanGeneratorMinimaxLoss(w).Backward();
        double minimax = Math.Abs(w.Grad!.ToArray<float>()[0]) * 4;
        Assert.InRange(nonSaturating, 0.999, 1.0);
        Assert.True(minimax < 1e-4, $"minimax gradient {minimax}");
    }

    [Theory]
    [MemberData(nameof(FrechetCases))]
    public void FrechetDistance_MatchesScipySqrtm(string name)
    {
        var c = Entry("frechet", name);
        double expected = c.GetProperty("distance").GetDouble();
        double got = FrechetDistance.Compute(ToTensor(c.GetProperty("a")), ToTensor(c.GetProperty("b")));
        Assert.True(Math.Abs(got - expected) <= 1e-8 + 1e-7 * expected, $"{name}: got {got:R}, SciPy {expected:R}");
    }

    [Fact]
    public void FrechetDistance_IsZeroForTheSameSetAndSymmetric()
    {
        var g = new Generator(3);
        var a = Tensor.Randn([200, 7], g);
        var b = Tensor.Randn([150, 7], g) * 1.5 + 0.3;
        Assert.True(FrechetDistance.Compute(a, a) < 1e-9);
        Assert.Equal(FrechetDistance.Compute(a, b), FrechetDistance.Compute(b, a), 6);
    }

    [Fact]
    public void FrechetDistance_ErrorsNameShapes()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            FrechetDistance.Compute(Tensor.Zeros(10, 4), Tensor.Zeros(10, 5)));
        Assert.Contains("[10,4]", e.Message);
        Assert.Contains("[10,5]", e.Message);
        e = Assert.Throws<ArgumentException>(() => FrechetDistance.Statistics(Tensor.Zeros(1, 4)));
        Assert.Contains("N >= 2", e.Message);
    }
}
