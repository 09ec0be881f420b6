using Dendrite.IO;
using Dendrite.Nn;
using Dendrite.Nn.Optim;

namespace Dendrite.Experiments.Recurrent;

/// <summary>A tanh RNN with badly scaled recurrent weights has gradients that grow through time and spike during
/// training; clipping their norm keeps the updates bounded and training stable.</summary>
public sealed class ExplodingGradients : Experiment
{
    /// <inheritdoc/>
    public override string Name => "exploding-gradients";

    /// <inheritdoc/>
    public override string Topic => "recurrent";

    /// <inheritdoc/>
    public override string Summary => "a badly scaled tanh RNN on the adding problem, with and without norm clipping";

    /// <inheritdoc/>
    public override string Claim => """
        When the recurrent Jacobians have norms above one the product over steps grows geometrically, and the loss
        surface has cliffs where the gradient is enormous: one plain gradient step there throws the weights far away
        and undoes the training so far. Rescaling the gradient whenever its norm exceeds a threshold (Pascanu,
        Mikolov and Bengio, 2013) keeps its direction and bounds the step, so training proceeds.
        """;

    /// <inheritdoc/>
    public override void Run(ExperimentContext context)
    {
        int T = context.Choose(50, 12), hidden = context.Choose(64, 8), batch = context.Choose(32, 8);
        int steps = context.Choose(1500, 15), evalBatch = context.Choose(1000, 32);
        double gain = 3, lr = 0.05, maxNorm = 1;
        context.Setup($"The adding problem at T = {T} ({batch} fresh sequences per step; the mean predictor scores " +
            $"{AddingProblem.MeanBaseline:G3}). A tanh RNN of {hidden} units whose recurrent weights are drawn from " +
            $"N(0, {gain}²/{hidden}) (gain {gain}: spectral radius about {gain}, far above the edge of stability " +
            "at 1), " +
            $"a linear read-out of the last output, plain SGD with learning rate {lr} for {steps} steps, from the " +
            $"same initial weights and the same batches: once without clipping, once clipping the gradients' joint " +
            $"L2 norm to {maxNorm}.");
        var table = context.Table("clipping", $"Badly scaled RNN (gain {gain}) on the adding problem, T = {T}",
            "clipping", "final MSE", "median ‖g‖", "max ‖g‖", "steps with ‖g‖ > 10", "steps with loss > 1",
            "‖dL/dh₁‖ / ‖dL/dh_T‖ at init");
        var normSeries = new List<Series>();
        var lossSeries = new List<Series>();
        ulong seed = context.NewGenerator().NextUInt64();
        double[]? probe = null;
        foreach (bool clip in new[] { false, true })
        {
            var g = new Generator(seed);
            var model = new AddingProblem.Model("rnn", hidden, g);
            var whh = model.Body.NamedParameters().First(p => p.Name == "weight_hh_l0").Parameter;
            whh.CopyFrom(Tensor.Randn(whh.Shape, g) * (gain / Math.Sqrt(hidden)));
            var norms = model.StateGradientNorms(T, batch, g);
            probe ??= norms;
            var gradNorms = new List<double>();
            var losses = AddingProblem.Train(model, steps, T, batch, lr, g, clip ? maxNorm : null, gradNorms,
                new Sgd(model.Parameters(), lr));
            double mse = model.Evaluate(T, evalBatch, g);
            var sorted = gradNorms.Where(double.IsFinite).Order().ToList();
            string label = clip ? $"clip at {maxNorm}" : "no clipping";
            table.Add(label, mse, sorted.Count > 0 ? sorted[sorted.Count / 2] : double.NaN,
                sorted.Count > 0 ? sorted[^1] : double.NaN, gradNorms.Count(n => !(n <= 10)),
                losses.Count(l => !(l <= 1)), norms[0] / norms[^1]);
            double[] xs = [.. Enumerable.Range(1, steps).Select(i => (double)i)];
            normSeries.Add(new Series(label, xs, [.. gradNorms.Select(Finite)]));
            lossSeries.Add(new Series(label, xs, [.. losses.Select(Finite)]));
            int firstBad = losses.FindIndex(l => !double.IsFinite(l));
            context.Finding($"{label}: final MSE {mse:G3}; " +
                (firstBad >= 0
                    ? $"the loss first became non-finite at step {firstBad + 1}; "
                    : "the loss stayed finite; ") +
                $"gradient norm median " +
                $"{(sorted.Count > 0 ? sorted[sorted.Count / 2] : double.NaN):G3}, max " +
                $"{(sorted.Count > 0 ? sorted[^1] : double.NaN):G3}; {losses.Count(l => !(l <= 1))} steps with a " +
                "training loss above 1.");
        }
        Plots.Line(context.Figure("grad-norm", "Norm of the full gradient before clipping, per training step"),
            normSeries, new LineOptions { Title = "‖∇L‖ per step", XLabel = "step", YLabel = "‖∇L‖", LogY = true });
        Plots.Line(context.Figure("loss", "Training MSE per step, with and without clipping"), lossSeries,
            new LineOptions { Title = $"Adding problem, T = {T}", XLabel = "step", YLabel = "MSE", LogY = true });
        double[] ts = [.. Enumerable.Range(1, T).Select(i => (double)i)];
        Plots.Line(context.Figure("state-gradient", "‖dL/dhₜ‖ at every step t of the badly scaled RNN, untrained"),
            [new Series($"gain {gain}", ts, [.. probe!.Select(Finite)])],
            new LineOptions
            {
                Title = "Gradient reaching each hidden state",
                XLabel = "step t",
                YLabel = "‖dL/dhₜ‖",
                LogY = true,
            });
    }

    // Log axes need positive finite values: NaN and ∞ (a diverged step) are drawn at the top of the float range.
    private static double Finite(double v) => double.IsFinite(v) ? Math.Max(v, 1e-38) : 1e38;
}
