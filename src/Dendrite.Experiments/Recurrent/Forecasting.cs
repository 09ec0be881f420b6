using Dendrite.IO;
using Dendrite.Models.Sequence;

namespace Dendrite.Experiments.Recurrent;

/// <summary>Many-to-one forecasting of real series: an LSTM against naive and seasonal-naive forecasts.</summary>
public sealed class Forecasting : Experiment
{
    /// <inheritdoc/>
    public override string Name => "forecasting";

    /// <inheritdoc/>
    public override string Topic => "recurrent";

    /// <inheritdoc/>
    public override string Summary => "LSTM one-step forecasts of sunspots, CO2 and AirPassengers: MAE and MASE " +
        "vs naive and seasonal naive";

    /// <inheritdoc/>
    public override string Claim => """
        A recurrent network reads a window of past values and forecasts the next one. Whether it is worth it is
        decided against the simplest forecasts on a held-out final stretch, scored by the MAE and by the MASE (the
        MAE over the in-sample MAE of the one-step naive forecast; Hyndman and Koehler, 2006): the naive forecast
        (tomorrow as today) and the seasonal naive one (as the same season last period). On short series these are
        hard to beat, and the course asks for the comparison to be reported honestly.
        """;

    /// <inheritdoc/>
    public override void Run(ExperimentContext context)
    {
        var g = context.NewGenerator();
        var tasks = SequenceTasks.Series(context.Quick, g);
        int epochs = context.Choose(60, 3), hidden = context.Choose(32, 8);
        context.Setup($"Series: {string.Join("; ", tasks.Select(t => $"{t.Name} ({t.Source}; {t.Values.Length} " +
            $"values, the last {t.TestLength} held out, window {t.Window}, period {t.Period}" +
            $"{(t.Log ? ", modelled in logs" : "")})"))}.");
        context.Setup($"LSTM: one layer of {hidden} units reading the standardised window (mean and deviation of the " +
            $"training part only) and predicting the change from its last value; Adam lr 3e-3, batch 32, {epochs} " +
            "epochs over every training window. Held-out forecasts are rolling one-step forecasts from the true " +
            "history, like the baselines'.");
        var table = context.Table("errors", "One-step forecasts of the held-out final stretch", "series", "method",
            "MAE", "MASE");
        foreach (var task in tasks)
        {
            Generator.ManualSeed((ulong)context.Seed + 3);
            var (scores, forecast, seconds) = SequenceTasks.Forecast(task, new ForecasterConfig(HiddenSize: hidden),
                epochs, g);
            foreach (var s in scores) table.Add(s.Series, s.Method, s.Mae, s.Mase);
            int from = task.Values.Length - task.TestLength;
            int shown = Math.Min(task.Values.Length, task.TestLength * 4);
            double[] xs = [.. Enumerable.Range(task.Values.Length - shown, shown).Select(i => (double)i)];
            double[] fx = [.. Enumerable.Range(from, task.TestLength).Select(i => (double)i)];
            Plots.Line(context.Figure($"forecast-{task.Name}", $"{task.Name}: the series and the LSTM's one-step " +
                "forecasts of the held-out stretch"),
                [new Series("actual", xs, task.Values[^shown..]), new Series("LSTM forecast", fx, forecast)],
                new LineOptions { Title = task.Name, XLabel = "time step", YLabel = "value" });
            var best = scores.MinBy(s => s.Mae)!;
            var lstm = scores[^1];
            context.Finding($"{task.Name}: LSTM MAE {lstm.Mae:G4} (MASE {lstm.Mase:F3}) against naive " +
                $"{scores[0].Mae:G4} and seasonal naive {scores[1].Mae:G4}; best: {best.Method} " +
                $"(training {seconds:F1} s).");
        }
    }
}
