using System.Diagnostics;
using Dendrite.IO;

namespace Dendrite.Experiments.Recurrent;

/// <summary>A plain RNN cannot learn the adding problem once the two marked steps are far from the end, because the
/// loss gradient with respect to early hidden states shrinks geometrically; LSTM and GRU keep it and learn.</summary>
public sealed class VanishingGradients : Experiment
{
    /// <inheritdoc/>
    public override string Name => "vanishing-gradients";

    /// <inheritdoc/>
    public override string Topic => "recurrent";

    /// <inheritdoc/>
    public override string Summary => "RNN, LSTM and GRU on the adding problem at T = 20, 50, 100, 200, with ‖dL/dhₜ‖";

    /// <inheritdoc/>
    public override string Claim => """
        Backpropagation through time multiplies one Jacobian per step, ∂hₜ/∂hₜ₋₁ = diag(1 − hₜ²)·W_hh for a tanh RNN;
        with a spectral radius below one the loss gradient reaching step t shrinks geometrically with T − t
        (Hochreiter, 1991; Bengio, Simard and Frasconi, 1994), so a plain RNN cannot learn dependencies that span
        many steps. The LSTM's additive cell state, whose path is scaled only by the forget gate (Hochreiter and
        Schmidhuber, 1997; Gers et al., 2000), and the GRU's interpolated state (Cho et al., 2014) keep the gradient
        alive: on the adding problem at T = 100 they reach a small error while the RNN stays at the 0.167 of
        predicting the mean.
        """;

    /// <inheritdoc/>
    public override void Run(ExperimentContext context)
    {
        int[] lengths = context.Choose(new[] { 20, 50, 100, 200 }, new[] { 10, 20 });
        string[] kinds = ["rnn", "lstm", "gru"];
        int hidden = context.Choose(64, 8), batch = context.Choose(32, 8), steps = context.Choose(2500, 15);
        int evalBatch = context.Choose(1000, 32), probeT = context.Choose(100, 20);
        double lr = 0.003;
        context.Setup($"The adding problem: {batch} fresh sequences per step, values U(0, 1), two marked steps (one " +
            $"in each half), target their sum; predicting the mean scores {AddingProblem.MeanBaseline:G3}. " +
            "Models: one " +
            $"recurrent layer of {hidden} units (RNN with tanh, LSTM, GRU; PyTorch's default initialisation) and a " +
            $"linear read-out of the last output. Adam, learning rate {lr}, {steps} steps, no clipping; the final MSE " +
            $"is measured on {evalBatch} new sequences. ‖dL/dhₜ‖ is the norm of the loss gradient with respect to the " +
            $"hidden state at every step (mean over {batch} sequences), from the model unrolled with a cell that " +
            "holds " +
            "the layer's weights.");
        var table = context.Table("adding", "Final MSE on the adding problem (mean predictor: 0.167)",
            "T", "model", "final MSE", "train loss (last 100 steps)", "‖dL/dh₁‖ / ‖dL/dh_T‖ at init",
            "‖dL/dh₁‖ / ‖dL/dh_T‖ trained", "seconds");
        var curves = new List<Series>();
        var initNorms = new List<Series>();
        var trainedNorms = new List<Series>();
        var final = new Dictionary<(int, string), double>();
        foreach (int T in lengths)
        {
            foreach (var kind in kinds)
            {
                var g = context.NewGenerator();
                var model = new AddingProblem.Model(kind, hidden, g);
                var before = model.StateGradientNorms(T, batch, g);
                var watch = Stopwatch.StartNew();
                var losses = AddingProblem.Train(model, steps, T, batch, lr, g);
                double seconds = watch.Elapsed.TotalSeconds;
                var after = model.StateGradientNorms(T, batch, g);
                double mse = model.Evaluate(T, evalBatch, g);
                final[(T, kind)] = mse;
                table.Add(T, kind.ToUpperInvariant(), mse, AddingProblem.Tail(losses, 100), before[0] / before[^1],
                    after[0] / after[^1], seconds);
                context.Log($"T={T} {kind}: MSE {mse:G3} in {seconds:F0} s");
                if (T == probeT)
                {
                    string label = kind.ToUpperInvariant();
                    curves.Add(new Series(label, [.. Enumerable.Range(1, steps).Select(i => (double)i)],
                        [.. Smooth(losses, Math.Max(1, steps / 100))]));
                    double[] ts = [.. Enumerable.Range(1, T).Select(i => (double)i)];
                    initNorms.Add(new Series(label, ts, [.. before.Select(Positive)]));
                    trainedNorms.Add(new Series(label, ts, [.. after.Select(Positive)]));
                }
            }
        }
        Plots.Line(context.Figure("gradient-norm-init", $"‖dL/dhₜ‖ at every step t, at initialisation, T = {probeT}"),
            initNorms, new LineOptions
            {
                Title = $"Gradient reaching each hidden state (T = {probeT}, untrained)",
                XLabel = "step t",
                YLabel = "‖dL/dhₜ‖",
                LogY = true,
            });
        Plots.Line(context.Figure("gradient-norm-trained", $"‖dL/dhₜ‖ after {steps} training steps, T = {probeT}"),
            trainedNorms, new LineOptions
            {
                Title = $"Gradient reaching each hidden state (T = {probeT}, trained)",
                XLabel = "step t",
                YLabel = "‖dL/dhₜ‖",
                LogY = true,
            });
        Plots.Line(context.Figure("loss", $"Training MSE per step at T = {probeT} (moving average)"), curves,
            new LineOptions { Title = $"Adding problem, T = {probeT}", XLabel = "step", YLabel = "MSE", LogY = true });
        foreach (int T in lengths)
        {
            var solved = kinds.Where(k => final[(T, k)] < 0.01).Select(k => k.ToUpperInvariant()).ToList();
            var stuck = kinds.Where(k => final[(T, k)] > 0.1).Select(k => k.ToUpperInvariant()).ToList();
            context.Finding($"T = {T}: MSE RNN {final[(T, "rnn")]:G3}, LSTM {final[(T, "lstm")]:G3}, GRU " +
                $"{final[(T, "gru")]:G3}; below 0.01: {(solved.Count > 0 ? string.Join(", ", solved) : "none")}; " +
                $"near the mean predictor (> 0.1): {(stuck.Count > 0 ? string.Join(", ", stuck) : "none")}.");
        }
    }

    // Log axes need positive values; a gradient that underflowed to 0 is drawn at the smallest float.
    private static double Positive(double v) => Math.Max(v, 1e-38);

    private static IEnumerable<double> Smooth(List<double> xs, int window)
    {
        double sum = 0;
        for (int i = 0; i < xs.Count; i++)
        {
            sum += xs[i];
            if (i >= window) sum -= xs[i - window];
            yield return sum / Math.Min(i + 1, window);
        }
    }
}
