using System.Text.Json;
using Dendrite.Models.Energy;

namespace Dendrite.Tests.Energy;

// Exact partition functions, log-likelihoods and gradients against PyTorch's brute-force values
// (tests/fixtures/energy.json, tools/make_energy_fixtures.py): every joint state enumerated, gradients by autograd.
public class EnergyFixtureTests
{
    private static readonly Lazy<JsonDocument> Document = new(() => JsonDocument.Parse(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "energy.json"))));

    private static JsonElement Case(string name) => Document.Value.RootElement.GetProperty(name);

    private static double[] Doubles(JsonElement e) =>
        [.. e.GetProperty("data").EnumerateArray().Select(v => v.GetDouble())];

    private static Tensor Matrix(JsonElement e) =>
        Tensor.From([.. Doubles(e).Select(v => (float)v)],
            [.. e.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32())]);

    internal static void Close(double[] expected, double[] actual, double tol, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol * (1 + Math.Abs(expected[i])),
                $"{what}[{i}]: got {actual[i]:R}, expected {expected[i]:R}");
    }

    private static void Load(Rbm rbm, JsonElement c)
    {
        rbm.Weight.CopyFrom(Matrix(c.GetProperty("weight")));
        rbm.VisibleBias.CopyFrom(Matrix(c.GetProperty("visible_bias")));
        rbm.HiddenBias.CopyFrom(Matrix(c.GetProperty("hidden_bias")));
    }

    [Theory]
    [InlineData("bernoulli_rbm")]
    [InlineData("gaussian_rbm")]
    public void RbmExact_MatchesPyTorch(string name)
    {
        var c = Case(name);
        int v = c.GetProperty("visible").GetInt32(), h = c.GetProperty("hidden").GetInt32();
        Rbm rbm = name == "bernoulli_rbm" ? new BernoulliRbm(v, h) : new GaussianBernoulliRbm(v, h);
        Load(rbm, c);
        var data = Matrix(c.GetProperty("data"));
        // The fixture is float64 and the RBM float32: agreement to ~1e-6 relative is all the rounding allows.
        Close([c.GetProperty("log_z").GetDouble()], [RbmExact.LogPartition(rbm)], 1e-5, "log Z");
        Close([c.GetProperty("log_likelihood").GetDouble()], [RbmExact.LogLikelihood(rbm, data)], 1e-5,
            "log-likelihood");
        Close([.. c.GetProperty("free_energy").EnumerateArray().Select(e => e.GetDouble())],
            [.. rbm.FreeEnergy(data).ToArray<float>().Select(f => (double)f)], 1e-5, "free energy");
        var g = RbmExact.Gradient(rbm, data);
        Close(Doubles(c.GetProperty("grad_weight")), g.Weight.ToArray<double>(), 1e-5, "dW");
        Close(Doubles(c.GetProperty("grad_visible_bias")), g.VisibleBias.ToArray<double>(), 1e-5, "db");
        Close(Doubles(c.GetProperty("grad_hidden_bias")), g.HiddenBias.ToArray<double>(), 1e-5, "dc");
    }

    [Fact]
    public void BoltzmannMachineExact_MatchesPyTorch()
    {
        var c = Case("boltzmann");
        int v = c.GetProperty("visible").GetInt32(), h = c.GetProperty("hidden").GetInt32(), n = v + h;
        var bm = new BoltzmannMachine(v, h);
        var w = Doubles(c.GetProperty("weight"));
        var b = Doubles(c.GetProperty("bias"));
        for (int i = 0; i < n; i++)
        {
            bm.SetBias(i, b[i]);
            for (int j = i + 1; j < n; j++) bm.SetWeight(i, j, w[i * n + j]);
        }
        var data = Matrix(c.GetProperty("data"));
        // E(0) = 0, so log p(0) = −log Z.
        Close([c.GetProperty("log_z").GetDouble()], [-bm.ExactLogProbabilities()[0]], 1e-10, "log Z");
        Close([c.GetProperty("log_likelihood").GetDouble()], [bm.ExactLogLikelihood(data)], 1e-10, "log-likelihood");
        var g = bm.ExactGradient(data);
        var gw = g.Weight.ToArray<double>();
        var expected = Doubles(c.GetProperty("grad_weight"));
        for (int i = 0; i < n; i++) expected[i * n + i] = 0;   // the diagonal is not a parameter
        Close(expected, gw, 1e-10, "dW");
        Close(Doubles(c.GetProperty("grad_bias")), g.Bias.ToArray<double>(), 1e-10, "db");
    }

    [Fact]
    public void DbmExact_MatchesPyTorch()
    {
        var c = Case("dbm");
        var dbm = new Dbm(c.GetProperty("visible").GetInt32(), c.GetProperty("hidden1").GetInt32(),
            c.GetProperty("hidden2").GetInt32());
        dbm.Bottom.Weight.CopyFrom(Matrix(c.GetProperty("w1")));
        dbm.Bottom.VisibleBias.CopyFrom(Matrix(c.GetProperty("b")));
        dbm.Bottom.HiddenBias.CopyFrom(Matrix(c.GetProperty("c1")));
        dbm.Top.Weight.CopyFrom(Matrix(c.GetProperty("w2")));
        dbm.Top.HiddenBias.CopyFrom(Matrix(c.GetProperty("c2")));
        double logZ = dbm.ExactLogPartition();
        Close([c.GetProperty("log_z").GetDouble()], [logZ], 1e-5, "log Z");
        Close([c.GetProperty("log_likelihood").GetDouble()],
            [dbm.ExactLogLikelihood(Matrix(c.GetProperty("data")), logZ)], 1e-5, "log-likelihood");
    }
}
