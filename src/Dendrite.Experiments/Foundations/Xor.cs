using Dendrite.IO;
using Dendrite.Models;
using Dendrite.Nn;
using Dendrite.Nn.Optim;

namespace Dendrite.Experiments.Foundations;

/// <summary>The perceptron learns AND and OR but never XOR; one hidden layer trained by backpropagation learns XOR.</summary>
public sealed class Xor : Experiment
{
    /// <inheritdoc/>
    public override string Name => "xor";

    /// <inheritdoc/>
    public override string Topic => "foundations";

    /// <inheritdoc/>
    public override string Summary => "the perceptron on AND, OR and XOR; an MLP with one hidden layer on XOR";

    /// <inheritdoc/>
    public override string Claim => """
        The perceptron's learning rule converges in a finite number of steps on any linearly separable problem (AND,
        OR), and never on one that is not: no line separates XOR's two classes, so every epoch makes a mistake
        (Minsky and Papert, 1969). A multilayer perceptron with one hidden layer of non-linear units, trained by
        backpropagation, represents XOR.
        """;

    private static readonly float[] Inputs = [0, 0, 0, 1, 1, 0, 1, 1];

    /// <inheritdoc/>
    public override void Run(ExperimentContext context)
    {
        var x = Tensor.From(Inputs, 4, 2);
        var truth = new (string Name, long[] Labels)[] { ("AND", [0, 0, 0, 1]), ("OR", [0, 1, 1, 1]), ("XOR", [0, 1, 1, 0]) };
        int maxEpochs = context.Choose(100, 20);
        context.Setup($"The four points of {{0, 1}}²; the perceptron starts at zero weights with learning rate 1 and " +
            $"runs up to {maxEpochs} epochs (one pass over the four points in order each).");
        var table = context.Table("perceptron", "The perceptron learning rule on the three truth tables",
            "problem", "converged", "epochs", "mistakes in last epoch", "weights", "bias");
        foreach (var (name, labels) in truth)
        {
            var p = new Perceptron(2);
            var history = p.Fit(x, Tensor.From(labels), maxEpochs);
            bool converged = history[^1] == 0;
            table.Add(name, converged, history.Count, history[^1], $"({p.Weights[0]:G3}, {p.Weights[1]:G3})", p.Bias);
            BoundaryPlot(context, $"perceptron-{name.ToLowerInvariant()}", $"Perceptron on {name} after {history.Count} epochs",
                (a, b) => p.Predict([(float)a, (float)b]), labels);
            context.Finding(converged
                ? $"The perceptron converges on {name} after {history.Count} epochs."
                : $"The perceptron does not converge on {name}: epoch {history.Count} still makes {history[^1]} mistakes.");
        }

        // XOR with one hidden layer: 2 → hidden (tanh) → 1, logistic output, full-batch Adam on the cross-entropy.
        int hidden = 4, steps = context.Choose(2000, 300);
        var mlp = new Sequential(("hidden", new Linear(2, hidden)), ("tanh", new Tanh()), ("out", new Linear(hidden, 1)));
        var optimizer = new Adam(mlp.Parameters(), lr: 0.05);
        var y = Tensor.From(new float[] { 0, 1, 1, 0 }, 4, 1);
        var losses = new List<double>();
        for (int step = 0; step < steps; step++)
        {
            optimizer.ZeroGrad();
            var loss = Losses.BinaryCrossEntropyWithLogits(mlp.Forward(x), y);
            loss.Backward();
            optimizer.Step();
            losses.Add(loss.Item());
        }
        long[] predicted;
        using (Autograd.NoGrad())
            predicted = [.. mlp.Forward(x).ToArray<float>().Select(v => v >= 0 ? 1L : 0L)];
        long correct = predicted.Zip(truth[2].Labels).Count(p => p.First == p.Second);
        var mlpTable = context.Table("mlp", "A 2-4-1 MLP (tanh hidden units) on XOR, full-batch Adam (lr 0.05)",
            "steps", "final loss", "correct of 4", "predictions");
        mlpTable.Add(steps, losses[^1], correct, string.Join(" ", predicted));
        context.Setup($"The MLP: 2 → {hidden} tanh units → 1 logit, binary cross-entropy, Adam with lr 0.05, " +
            $"{steps} full-batch steps, PyTorch's default initialisation from the run's seed.");
        Plots.Line(context.Figure("mlp-loss", "Cross-entropy of the MLP on XOR per step"),
            [new Series("loss", [.. Enumerable.Range(1, steps).Select(i => (double)i)], [.. losses])],
            new LineOptions { Title = "MLP on XOR", XLabel = "step", YLabel = "binary cross-entropy", LogY = true });
        BoundaryPlot(context, "mlp-xor", $"MLP on XOR after {steps} steps", (a, b) =>
        {
            using var _ = Autograd.NoGrad();
            return mlp.Forward(Tensor.From(new[] { (float)a, (float)b }, 1, 2)).Item() >= 0 ? 1 : 0;
        }, truth[2].Labels);
        context.Finding(correct == 4
            ? $"The MLP classifies all four XOR points after {steps} steps (final loss {losses[^1]:G3})."
            : $"The MLP classifies {correct} of the four XOR points after {steps} steps (final loss {losses[^1]:G3}).");
    }

    private static void BoundaryPlot(ExperimentContext context, string name, string title, Func<double, double, long> classify,
        long[] labels)
    {
        double[] px = [0, 0, 1, 1], py = [0, 1, 0, 1];
        Plots.DecisionRegions(context.Figure(name, title), classify, (-0.5, 1.5), (-0.5, 1.5), px, py, labels,
            new ScatterOptions { Title = title, XLabel = "x₁", YLabel = "x₂", MarkerSize = 12, ClassNames = ["0", "1"], Width = 420, Height = 380 },
            resolution: context.Choose(200, 40));
    }
}
