using Dendrite.Nn;

namespace Dendrite.Tests;

/// <summary>Activations against torch.nn.functional (values and gradients, also at the kinks) and central
/// differences in float64.</summary>
public class ActivationTests
{
    public static TheoryData<string> Cases => NnFixture.Names("activations");

    /// <summary>Each fixture activation written with Dendrite (the "_kinks" cases use the same function).</summary>
    private static Tensor Apply(string name, Tensor x) => name.Replace("_kinks", "", StringComparison.Ordinal) switch
    {
        "binary_step" => new BinaryStep().Forward(x),
        "linear" => new LinearActivation().Forward(x),
        "sigmoid" => new Sigmoid().Forward(x),
        "tanh" => new Nn.Tanh().Forward(x),
        "relu" => new Relu().Forward(x),
        "leaky_relu" => new LeakyRelu(0.1).Forward(x),
        "elu" => new Elu(1.2).Forward(x),
        "selu" => Functional.Selu(x),
        "gelu" => new Gelu().Forward(x),
        "gelu_tanh" => new Gelu(tanhApproximation: true).Forward(x),
        "silu" => new Silu().Forward(x),
        "softplus" => Functional.Softplus(x),
        "softsign" => Functional.Softsign(x),
        "hardsigmoid" => Functional.HardSigmoid(x, 1.0 / 6, 0.5), // torch's slope; ONNX's default is 0.2
        "softmax" => new Softmax(1).Forward(x),
        "log_softmax" => new LogSoftmax(1).Forward(x),
        var n => throw new KeyNotFoundException($"no Dendrite activation for fixture case {n}"),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Activation_MatchesTorch(string name)
    {
        var c = NnFixture.Entry("activations", name);
        var x = NnFixture.ToTensor(c.GetProperty("input")).RequireGrad();
        var y = Apply(name, x);
        NnFixture.AssertClose(y, c.GetProperty("output"), $"{name}: output");
        if (!y.RequiresGrad)
        {
            // the step function has no gradient: torch's is zero everywhere
            Assert.StartsWith("binary_step", name, StringComparison.Ordinal);
            Assert.All(NnFixture.ToTensor(c.GetProperty("grad")).ToArray<float>(), g => Assert.Equal(0f, g));
            return;
        }
        (y * NnFixture.ToTensor(c.GetProperty("r"))).Sum().Backward();
        NnFixture.AssertClose(x.Grad!, c.GetProperty("grad"), $"{name}: gradient");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Activation_GradientMatchesFiniteDifferences(string name)
    {
        if (name.EndsWith("_kinks", StringComparison.Ordinal) || name == "binary_step") return; // not differentiable
        var x = NnFixture.ToTensor(NnFixture.Entry("activations", name).GetProperty("input"));
        var result = Gradcheck.Check(xs => Apply(name, xs[0]), [x]);
        Assert.True(result.Passed, $"{name}: {result}");
    }

    [Fact]
    public void PRelu_PerChannelSlope()
    {
        var x = Tensor.From(new float[] { -2, -2, 3, 3 }, 2, 2);
        var w = Tensor.From(new float[] { 0.5f, 0.1f }, 2);
        Assert.Equal(new float[] { -1f, -0.2f, 3, 3 }, Functional.PRelu(x, w).ToArray<float>());
        Gradcheck.Assert(xs => Functional.PRelu(xs[0], xs[1]), Tensor.Randn([3, 2, 4], new Generator(5)), w);
    }
}
