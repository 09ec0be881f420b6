using Dendrite.Models;
using Dendrite.Nn;
using Dendrite.Nn.Optim;

namespace Dendrite.Tests;

/// <summary>The perceptron learns AND and OR but not XOR; a one-hidden-layer MLP learns XOR.</summary>
public class ModelTests
{
    private static readonly Tensor Inputs = Tensor.From(new float[] { 0, 0, 0, 1, 1, 0, 1, 1 }, 4, 2);

    private static Tensor Labels(params long[] y) => Tensor.From(y);

    [Theory]
    [InlineData("and", new long[] { 0, 0, 0, 1 })]
    [InlineData("or", new long[] { 0, 1, 1, 1 })]
    public void Perceptron_ConvergesOnLinearlySeparable(string gate, long[] y)
    {
        var p = new Perceptron(2);
        var history = p.Fit(Inputs, Labels(y), maxEpochs: 100);
        Assert.True(history[^1] == 0, $"{gate}: mistakes per epoch {string.Join(",", history)}");
        Assert.True(history.Count < 20, $"{gate}: took {history.Count} epochs");
        Assert.Equal(y, p.Predict(Inputs).ToArray<long>());
    }

    [Fact]
    public void Perceptron_NeverConvergesOnXor()
    {
        var p = new Perceptron(2);
        var history = p.Fit(Inputs, Labels(0, 1, 1, 0), maxEpochs: 1000);
        Assert.Equal(1000, history.Count);
        Assert.All(history, m => Assert.True(m > 0));
        var e = Assert.Throws<ArgumentException>(() => p.Predict(Tensor.Zeros(4, 3)));
        Assert.Contains("[4,3]", e.Message);
    }

    [Fact]
    public void Mlp_LearnsXorWithExplicitLoop()
    {
        var mlp = Mlp.Xor(); // 2-4-1, tanh
        // Seeded weights through the state dict (independent of the shared default generator).
        var g = new Generator(42);
        mlp.LoadStateDict(mlp.StateDict().ToDictionary(kv => kv.Key, kv => Tensor.Rand(kv.Value.Shape, g, -1, 1)));
        var y = Tensor.From(new float[] { 0, 1, 1, 0 }, 4, 1);
        var opt = new Adam(mlp.Parameters(), lr: 0.05);
        double first = 0, last = 0;
        for (int epoch = 0; epoch < 300; epoch++)
        {
            var loss = Losses.BinaryCrossEntropyWithLogits(mlp.Forward(Inputs), y);
            opt.ZeroGrad();
            loss.Backward();
            opt.Step();
            if (epoch == 0) first = loss.Item();
            last = loss.Item();
        }
        var predicted = mlp.Forward(Inputs).Gt(0).To(DType.Float32).ToArray<float>();
        Assert.Equal(new float[] { 0, 1, 1, 0 }, predicted);
        Assert.True(last < 0.1 * first, $"loss {first} → {last}");
    }
}
