#:project ../src/Dendrite.Models/Dendrite.Models.csproj
#:property PublishAot=false
// The perceptron learns AND and OR but never XOR; one hidden layer trained by backpropagation solves XOR.
// Run: dotnet run samples/01-perceptron-xor.cs
using Dendrite;
using Dendrite.Models;
using Dendrite.Nn;
using Dendrite.Nn.Optim;

var x = Tensor.From([0f, 0, 0, 1, 1, 0, 1, 1], 4, 2);
var targets = new Dictionary<string, long[]> { ["AND"] = [0, 0, 0, 1], ["OR"] = [0, 1, 1, 1], ["XOR"] = [0, 1, 1, 0] };
foreach (var (name, y) in targets)
{
    var p = new Perceptron(features: 2);
    var mistakes = p.Fit(x, Tensor.From(y), maxEpochs: 100);
    string verdict = mistakes[^1] == 0 ? $"converged after {mistakes.Count} epochs" : "did not converge in 100 epochs";
    Console.WriteLine($"perceptron on {name}: {verdict}; w = [{string.Join(", ", p.Weights)}], b = {p.Bias}");
}

// The explicit training loop: forward, loss, zero-grad, backward, step.
Generator.ManualSeed(0);
var mlp = Mlp.Xor(hidden: 4);
var optimizer = new Adam(mlp.Parameters(), lr: 0.05);
var yXor = Tensor.From([0f, 1, 1, 0], 4, 1);
for (int step = 1; step <= 300; step++)
{
    var loss = Losses.BinaryCrossEntropyWithLogits(mlp.Call(x), yXor);
    optimizer.ZeroGrad();
    loss.Backward();
    optimizer.Step();
    if (step % 100 == 0) Console.WriteLine($"step {step}: loss {loss.Item():F4}");
}
using (Autograd.NoGrad())
{
    var predicted = mlp.Call(x).Sigmoid().Gt(0.5).To(DType.Int64);
    Console.WriteLine($"MLP on XOR predicts {string.Join(" ", predicted.ToArray<long>())} (targets 0 1 1 0)");
}
