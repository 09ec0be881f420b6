using Dendrite.Experiments.Foundations;
using Dendrite.Nn;

namespace Dendrite.Tests;

/// <summary>The pieces the foundation experiments are built from compute what their reports say they compute.</summary>
public class FoundationsTests
{
    [Fact]
    public void Activations_DerivativeByAutogradMatchesTheClosedForms()
    {
        float[] x = [-4f, -1.5f, -0.25f, 0.5f, 2f, 3.5f];
        var (s, ds) = Activations.Evaluate(t => t.Sigmoid(), x);
        var (th, dth) = Activations.Evaluate(t => t.Tanh(), x);
        var (_, dleaky) = Activations.Evaluate(t => Functional.LeakyRelu(t), x);
        var (_, dstep) = Activations.Evaluate(Functional.BinaryStep, x);
        for (int i = 0; i < x.Length; i++)
        {
            Assert.Equal(s[i] * (1 - s[i]), ds[i], 1e-6f);
            Assert.Equal(1 - th[i] * th[i], dth[i], 1e-6f);
            Assert.Equal(x[i] > 0 ? 1f : 0.01f, dleaky[i], 1e-7f);
            Assert.Equal(0f, dstep[i]);
        }
    }

    [Fact]
    public void TestFunctions_HaveTheirMinimaAndAnalyticGradients()
    {
        // Rosenbrock: ∂f/∂x = −2(1 − x) − 400x(y − x²), ∂f/∂y = 200(y − x²); zero at (1, 1).
        var p = new Parameter(Tensor.From(new[] { -1.5f, 2f }, 2));
        Optimizers.Rosenbrock(p.Select(0, 0), p.Select(0, 1)).Backward();
        var grad = p.Grad!.ToArray<float>();
        Assert.Equal(-2 * 2.5 - 400 * -1.5 * (2 - 2.25), grad[0], 1e-3);
        Assert.Equal(200 * (2 - 2.25), grad[1], 1e-3);
        Assert.Equal(0, Optimizers.Rosenbrock(Tensor.Scalar(1), Tensor.Scalar(1)).Item(), 1e-12);
        Assert.Equal(0, Optimizers.Beale(Tensor.Scalar(3), Tensor.Scalar(0.5)).Item(), 1e-12);
        Assert.Equal(14.203125, Optimizers.Beale(Tensor.Scalar(0), Tensor.Scalar(0)).Item(), 1e-5);
    }

    [Fact]
    public void DeepMlp_ProbeSeesZeroInitialisationAsAllZero()
    {
        var net = DeepMlp.Build(4, 8, () => new Relu());
        Assert.Equal(4, DeepMlp.Linears(net).Count);
        DeepMlp.Initialise(net, s => Tensor.Zeros(s));
        var x = Tensor.Randn([5, 784], new Generator(3));
        var probes = DeepMlp.Probe(net, x, Tensor.From(new long[] { 0, 1, 2, 3, 4 }, 5));
        Assert.All(probes, p => Assert.Equal(0, p.OutputStd));
        Assert.All(probes, p => Assert.Equal(0, p.WeightGradNorm));

        DeepMlp.Initialise(net, s => Init.XavierNormal(s, g: new Generator(4)));
        probes = DeepMlp.Probe(net, x, Tensor.From(new long[] { 0, 1, 2, 3, 4 }, 5));
        Assert.All(probes, p => Assert.True(p.OutputStd > 0 && p.WeightGradNorm > 0));
    }
}
