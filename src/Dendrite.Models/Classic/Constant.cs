namespace Dendrite.Models.Classic;

/// <summary>Predicts the training targets' mean for every input
/// (sklearn.dummy.DummyRegressor(strategy="mean")).</summary>
public sealed class MeanRegressor : IEstimator
{
    /// <inheritdoc/>
    public string Name => "mean";

    /// <summary>The constant predicted.</summary>
    public double Value { get; private set; } = double.NaN;

    /// <inheritdoc/>
    public void Fit(Tensor x, Tensor? y) => Value = Data.Targets("MeanRegressor.Fit", y, x.Shape[0]).Average();

    /// <inheritdoc/>
    public Tensor Predict(Tensor x) => Constant.Fill("MeanRegressor", x, Value, DType.Float64);
}

/// <summary>Predicts the training targets' median (the mean of the two middle values for an even count, as
/// numpy.median and DummyRegressor(strategy="median")).</summary>
public sealed class MedianRegressor : IEstimator
{
    /// <inheritdoc/>
    public string Name => "median";

    /// <summary>The constant predicted.</summary>
    public double Value { get; private set; } = double.NaN;

    /// <inheritdoc/>
    public void Fit(Tensor x, Tensor? y)
    {
        double[] v = Data.Targets("MedianRegressor.Fit", y, x.Shape[0]);
        Array.Sort(v);
        int n = v.Length;
        Value = n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
    }

    /// <inheritdoc/>
    public Tensor Predict(Tensor x) => Constant.Fill("MedianRegressor", x, Value, DType.Float64);
}

/// <summary>Predicts the most frequent training label, the smallest on ties
/// (DummyClassifier("most_frequent")).</summary>
public sealed class MajorityClassifier : IClassifier
{
    private double[] frequencies = [];

    /// <inheritdoc/>
    public string Name => "majority class";

    /// <summary>The label predicted.</summary>
    public long Label { get; private set; } = -1;

    /// <inheritdoc/>
    public void Fit(Tensor x, Tensor? y)
    {
        long[] labels = Data.Labels("MajorityClassifier.Fit", y, x.Shape[0], out int k);
        var counts = new int[k];
        foreach (long l in labels) counts[l]++;
        Label = Array.IndexOf(counts, counts.Max());
        frequencies = [.. counts.Select(c => c / (double)labels.Length)];
    }

    /// <summary>The training class frequencies for every row.   x: (m, d) → (m, K)</summary>
    public Tensor PredictProba(Tensor x)
    {
        if (Label < 0) throw Data.NotFitted("MajorityClassifier");
        return Tensor.From(frequencies, frequencies.Length).Unsqueeze(0).Expand(x.Shape[0],
            frequencies.Length).Contiguous();
    }

    /// <inheritdoc/>
    public Tensor Predict(Tensor x)
    {
        if (Label < 0) throw Data.NotFitted("MajorityClassifier");
        return Constant.Fill("MajorityClassifier", x, Label, DType.Int64);
    }
}

/// <summary>The naive forecast: every future value equals the last observation, ŷ_{T+h} = y_T.</summary>
public sealed class NaiveForecast : IForecaster
{
    private double last = double.NaN;

    /// <inheritdoc/>
    public string Name => "naive";

    /// <inheritdoc/>
    public void Fit(Tensor series) => last = Constant.Series("NaiveForecast", series, 1)[^1];

    /// <inheritdoc/>
    public Tensor Forecast(int horizon)
    {
        if (double.IsNaN(last)) throw Data.NotFitted("NaiveForecast");
        return Tensor.Full(last, DType.Float64, Constant.Horizon(horizon));
    }
}

/// <summary>The seasonal naive forecast with period m: each future value repeats the observation one season
/// earlier, ŷ_{T+h} = y_{T+h−m⌈h/m⌉}.</summary>
public sealed class SeasonalNaiveForecast(int period) : IForecaster
{
    private double[] lastSeason = [];

    /// <inheritdoc/>
    public string Name => $"seasonal naive (m = {period})";

    /// <inheritdoc/>
    public void Fit(Tensor series)
    {
        if (period < 1) throw new ArgumentException($"SeasonalNaiveForecast: period must be >= 1, got {period}");
        double[] v = Constant.Series("SeasonalNaiveForecast", series, period);
        lastSeason = v[^period..];
    }

    /// <inheritdoc/>
    public Tensor Forecast(int horizon)
    {
        if (lastSeason.Length == 0) throw Data.NotFitted("SeasonalNaiveForecast");
        var f = new double[Constant.Horizon(horizon)];
        for (int h = 0; h < horizon; h++) f[h] = lastSeason[h % period];
        return Tensor.From(f, horizon);
    }
}

internal static class Constant
{
    public static Tensor Fill(string op, Tensor x, double value, DType dtype)
    {
        if (double.IsNaN(value)) throw Data.NotFitted(op);
        if (x.Rank < 1) throw new ArgumentException($"{op}.Predict: x must have a sample axis, got " +
            $"{Shapes.Format(x.Shape)}");
        return Tensor.Full(value, dtype, x.Shape[0]);
    }

    public static double[] Series(string op, Tensor series, int minimum)
    {
        if (series.Rank != 1 || series.Numel < minimum)
            throw new ArgumentException($"{op}.Fit: expects a series (T) with T >= {minimum}, got " +
                $"{Shapes.Format(series.Shape)}");
        return series.ToArray<double>();
    }

    public static int Horizon(int horizon) =>
        horizon >= 1 ? horizon : throw new ArgumentOutOfRangeException(nameof(horizon), $"Forecast: horizon must be " +
            $">= 1, got {horizon}");
}
