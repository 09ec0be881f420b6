using Dendrite.Nn;
using Dendrite.Nn.Optim;

namespace Dendrite.Models.Sequence;

// One-step-ahead forecasting of a univariate series with a recurrent network, many-to-one: the network reads a
// window of the last W standardised values and predicts the change from the window's last value to the next one,
// so a network that has learnt nothing forecasts "no change" (the naive forecast) rather than the training mean,
// and a trend that leaves the training range does not push the inputs' scale. The baselines it is measured
// against, and the metrics, follow Hyndman and Koehler (2006), "Another look at measures of forecast accuracy".
// Shapes: B windows, W steps, H hidden size.   x (B, W, 1) → hidden (B, W, H) → next value (B, 1)

/// <summary>Hyper-parameters of a <see cref="Forecaster"/>.</summary>
/// <param name="Window">Past values the network reads.</param>
/// <param name="HiddenSize">Hidden units.</param>
/// <param name="Cell">rnn, lstm or gru.</param>
/// <param name="NumLayers">Stacked recurrent layers.</param>
public sealed record ForecasterConfig(int Window = 24, int HiddenSize = 32, string Cell = "lstm", int NumLayers = 1);

/// <summary>Recurrent one-step forecaster: next = last + f(window).   x (B, W, 1) → (B, 1).</summary>
public sealed class Forecaster : Module
{
    /// <summary>Builds the layers; recurrent weights from <paramref name="generator"/>.</summary>
    public Forecaster(ForecasterConfig config, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.Window <= 0)
            throw new ArgumentOutOfRangeException(nameof(config),
                $"Forecaster: window {config.Window} must be positive");
        Config = config;
        Encoder = RecurrentEncoder.Create(config.Cell, 1, config.HiddenSize, config.NumLayers, generator: generator);
        Head = new Linear(config.HiddenSize, 1);
    }

    /// <summary>The configuration it was built from.</summary>
    public ForecasterConfig Config { get; }

    /// <summary>The recurrent layers.</summary>
    public RecurrentLayer Encoder { get; }

    /// <summary>Final hidden state → change to the next value.</summary>
    public Linear Head { get; }

    /// <summary>The next value of each window.   x (B, W, 1) → (B, 1).</summary>
    public Tensor Forward(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank != 3 || x.Size(1) != Config.Window || x.Size(2) != 1)
            throw new ArgumentException($"Forecaster: input {Shapes.Format(x.Shape)} must be (B, {Config.Window}, 1)");
        var (_, state) = Encoder.Forward(x);
        var last = x.Select(1, Config.Window - 1);                            // (B, 1)
        return last + Head.Forward(RecurrentEncoder.LastHidden(Encoder, state));
    }

    /// <summary>Trains on every window of <paramref name="series"/> (already standardised) for
    /// <paramref name="epochs"/> epochs of shuffled mini-batches with Adam and norm clipping at 1. Returns the mean
    /// training MSE of each epoch.</summary>
    public List<double> Fit(float[] series, int epochs, Generator generator, int batch = 32, double lr = 3e-3)
    {
        ArgumentNullException.ThrowIfNull(series);
        ArgumentNullException.ThrowIfNull(generator);
        var (x, y) = Windows(series, Config.Window);
        int n = x.Size(0);
        var optimizer = new Adam(Parameters(), lr);
        var history = new List<double>();
        this.Train();
        for (int e = 0; e < epochs; e++)
        {
            var order = Tensor.Randperm(n, generator).ToArray<long>();
            double total = 0;
            for (int start = 0; start < n; start += batch)
            {
                using var scope = TensorScope.Begin();
                var idx = Tensor.From(order[start..Math.Min(start + batch, n)]);
                optimizer.ZeroGrad();
                var loss = Losses.Mse(Forward(x.IndexSelect(0, idx)), y.IndexSelect(0, idx));
                loss.Backward();
                Clip.GradNorm(Parameters(), 1.0);
                optimizer.Step();
                total += loss.Item() * idx.Numel;
            }
            history.Add(total / n);
        }
        return history;
    }

    /// <summary>One-step-ahead forecasts of <paramref name="series"/>[from..]: the forecast of value t reads the true
    /// values t − W .. t − 1 (a rolling origin, the way the baselines forecast). <paramref name="from"/> ≥ W.</summary>
    public float[] Rolling(float[] series, int from)
    {
        ArgumentNullException.ThrowIfNull(series);
        int W = Config.Window;
        if (from < W || from >= series.Length)
            throw new ArgumentOutOfRangeException(nameof(from), $"Forecaster.Rolling: start {from} must be in " +
                $"{W}..{series.Length - 1} (a full window before it)");
        int n = series.Length - from;
        var x = new float[n * W];
        for (int i = 0; i < n; i++) series.AsSpan(from + i - W, W).CopyTo(x.AsSpan(i * W));
        bool training = Training;
        this.Eval();
        try
        {
            using var _ = Autograd.NoGrad();
            return Forward(Tensor.From(x, n, W, 1)).Reshape(n).ToArray<float>();
        }
        finally
        {
            this.Train(training);
        }
    }

    private static (Tensor X, Tensor Y) Windows(float[] series, int window)
    {
        int n = series.Length - window;
        if (n <= 0)
            throw new ArgumentException($"Forecaster: a training series of {series.Length} values has no window of " +
                $"{window} followed by a target");
        var x = new float[n * window];
        var y = new float[n];
        for (int i = 0; i < n; i++)
        {
            series.AsSpan(i, window).CopyTo(x.AsSpan(i * window));
            y[i] = series[i + window];
        }
        return (Tensor.From(x, n, window, 1), Tensor.From(y, n, 1));
    }
}

/// <summary>The forecasts every forecaster is compared with, and the metrics (Hyndman and Koehler, 2006).</summary>
public static class ForecastBaselines
{
    /// <summary>Naive: ŷₜ = yₜ₋₁, for t = from..N−1.</summary>
    public static double[] Naive(IReadOnlyList<double> series, int from) => SeasonalNaive(series, 1, from);

    /// <summary>Seasonal naive: ŷₜ = yₜ₋ₘ (the same season one period back), for t = from..N−1.</summary>
    public static double[] SeasonalNaive(IReadOnlyList<double> series, int period, int from)
    {
        ArgumentNullException.ThrowIfNull(series);
        if (period < 1 || from < period || from > series.Count)
            throw new ArgumentOutOfRangeException(nameof(from),
                $"ForecastBaselines: start {from} and period {period} " +
                $"need {period} ≤ start ≤ {series.Count}");
        return [.. Enumerable.Range(from, series.Count - from).Select(t => series[t - period])];
    }

    /// <summary>Mean absolute error: mean |yₜ − ŷₜ|.</summary>
    public static double Mae(IReadOnlyList<double> actual, IReadOnlyList<double> forecast)
    {
        ArgumentNullException.ThrowIfNull(actual);
        ArgumentNullException.ThrowIfNull(forecast);
        if (actual.Count != forecast.Count || actual.Count == 0)
            throw new ArgumentException($"ForecastBaselines.Mae: {actual.Count} actual and {forecast.Count} " +
                "forecast values (need the same, non-zero count)");
        return actual.Zip(forecast).Average(p => Math.Abs(p.First - p.Second));
    }

    /// <summary>Mean absolute scaled error: the MAE divided by the in-sample MAE of the naive forecast with lag
    /// <paramref name="period"/> on <paramref name="training"/> (1: the one-step naive forecast). Below 1, the
    /// forecast beats that in-sample naive forecast on average.</summary>
    public static double Mase(IReadOnlyList<double> actual, IReadOnlyList<double> forecast,
        IReadOnlyList<double> training, int period = 1)
    {
        ArgumentNullException.ThrowIfNull(training);
        if (training.Count <= period)
            throw new ArgumentException(
                $"ForecastBaselines.Mase: {training.Count} training values give no lag-{period} " +
                "difference");
        double scale = Enumerable.Range(period, training.Count - period)
            .Average(t => Math.Abs(training[t] - training[t - period]));
        if (scale == 0) throw new ArgumentException("ForecastBaselines.Mase: the training part is constant (scale 0)");
        return Mae(actual, forecast) / scale;
    }
}
