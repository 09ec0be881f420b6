using System.Text.Json;
using Dendrite.Nn;

namespace Dendrite.Tests.Generative;

/// <summary>The variational-autoencoder ops against torch.distributions (tests/fixtures/generative.json, written by
/// tools/make_generative_fixtures.py) and against finite differences.</summary>
public class VariationalTests
{
    private static readonly Lazy<JsonDocument> Fixture = new(() => JsonDocument.Parse(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "generative.json"))));

    private static JsonElement Case(string name) => Fixture.Value.RootElement.GetProperty("ops").EnumerateArray()
        .First(e => e.GetProperty("name").GetString() == name);

    // Each fixture case's op as a function of its inputs, returning (N).
    private static Func<Tensor[], Tensor> Op(string name, JsonElement e) => name switch
    {
        "kl_standard_normal" => xs => Variational.KlStandardNormal(xs[0], xs[1], Reduction.None),
        "reparameterize" => xs => Variational.Reparameterize(xs[0], xs[1], Noise(e, xs[0].DType)).Sum(1),
        "bernoulli_log_likelihood" or "bernoulli_log_likelihood_grey" =>
            xs => Variational.BernoulliLogLikelihood(xs[0], Target(e, xs[0].DType), Reduction.None),
        _ => xs => Variational.GaussianLogLikelihood(xs[0], xs[1], Target(e, xs[0].DType), Reduction.None),
    };

    private static Tensor Noise(JsonElement e, DType d) => NnFixture.ToTensor(e.GetProperty("noise")).To(d);

    private static Tensor Target(JsonElement e, DType d) => NnFixture.ToTensor(e.GetProperty("target")).To(d);

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var e in Fixture.Value.RootElement.GetProperty("ops").EnumerateArray())
            data.Add(e.GetProperty("name").GetString()!);
        return data;
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Op_MatchesTorch(string name)
    {
        var e = Case(name);
        var inputs = e.GetProperty("inputs").EnumerateArray().Select(NnFixture.ToTensor).ToArray();
        foreach (var x in inputs) x.RequiresGrad = true;
        var output = Op(name, e)(inputs);
        NnFixture.AssertClose(output, e.GetProperty("out"), $"{name} output");
        (output * NnFixture.ToTensor(e.GetProperty("r"))).Sum().Backward();
        var grads = e.GetProperty("grads").EnumerateArray().ToArray();
        for (int i = 0; i < inputs.Length; i++)
            NnFixture.AssertClose(inputs[i].Grad!, grads[i], $"{name} gradient of input {i}");
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Op_GradMatchesFiniteDifference(string name)
    {
        var e = Case(name);
        var inputs = e.GetProperty("inputs").EnumerateArray().Select(NnFixture.ToTensor).ToArray();
        Gradcheck.Assert(Op(name, e), inputs);
    }

    [Fact]
    public void Reduction_MeanAndSumOfPerSample()
    {
        var mu = Tensor.Randn([3, 4], new Generator(1));
        var lv = Tensor.Randn([3, 4], new Generator(2));
        var per = Variational.KlStandardNormal(mu, lv, Reduction.None);
        Assert.Equal(per.Mean().Item(), Variational.KlStandardNormal(mu, lv).Item(), 5);
        Assert.Equal(per.Sum().Item(), Variational.KlStandardNormal(mu, lv, Reduction.Sum).Item(), 5);
    }

    [Fact]
    public void KlStandardNormal_IsZeroAtThePrior()
    {
        var zero = Tensor.Zeros(DType.Float32, 2, 3);
        Assert.Equal(0, Variational.KlStandardNormal(zero, zero).Item(), 6);
    }

    [Fact]
    public void Reparameterize_SamplesHaveTheAskedMeanAndVariance()
    {
        var mu = Tensor.Full(1.5, DType.Float32, 20_000, 1);
        var lv = Tensor.Full(Math.Log(0.25), DType.Float32, 20_000, 1);
        var z = Variational.Reparameterize(mu, lv, new Generator(7));
        double mean = z.Mean().Item(), variance = ((z - mean) * (z - mean)).Mean().Item();
        Assert.InRange(mean, 1.5 - 0.02, 1.5 + 0.02);      // standard error 0.5/√20000 ≈ 0.0035
        Assert.InRange(variance, 0.24, 0.26);
    }

    [Fact]
    public void Errors_NameOpAndShapes()
    {
        var a = Tensor.Zeros(DType.Float32, 2, 3);
        var b = Tensor.Zeros(DType.Float32, 2, 4);
        var e = Assert.Throws<ArgumentException>(() => Variational.KlStandardNormal(a, b));
        Assert.Contains("KlStandardNormal", e.Message);
        Assert.Contains("[2,4]", e.Message.Replace(" ", "", StringComparison.Ordinal));
        Assert.Throws<ArgumentException>(() => Variational.GaussianLogLikelihood(a, Tensor.Zeros(DType.Float32, 4), a));
        Assert.Throws<ArgumentException>(() => Variational.BernoulliLogLikelihood(Tensor.Zeros(DType.Float32, 3),
            Tensor.Zeros(DType.Float32, 3)));
    }
}
