namespace Dendrite.Models;

/// <summary>How the next token is drawn from a language model's logits.</summary>
/// <param name="Temperature">Divides the logits before the softmax: below 1 sharper, above 1 flatter; 0 takes the
/// most likely token (greedy decoding).</param>
/// <param name="TopK">Keeps only the k most likely tokens (Fan et al., 2018); 0 keeps all.</param>
/// <param name="TopP">Nucleus sampling (Holtzman et al., 2019): keeps the smallest set of most likely tokens whose
/// probabilities add up to at least p; 1 keeps all.</param>
public sealed record SamplingOptions(double Temperature = 1.0, int TopK = 0, double TopP = 1.0)
{
    /// <summary>Greedy decoding: always the most likely token.</summary>
    public static SamplingOptions Greedy { get; } = new(Temperature: 0);

    /// <summary>Checks the values, naming the one out of range.</summary>
    public void Validate()
    {
        if (!(Temperature >= 0) || double.IsInfinity(Temperature))
            throw new ArgumentOutOfRangeException(nameof(Temperature), $"sampling: temperature must be finite and " +
                $"≥ 0, got {Temperature}");
        if (TopK < 0)
            throw new ArgumentOutOfRangeException(nameof(TopK), $"sampling: top-k must be ≥ 0 (0 = all), got {TopK}");
        if (!(TopP > 0 && TopP <= 1))
            throw new ArgumentOutOfRangeException(nameof(TopP), $"sampling: top-p must be in (0, 1], got {TopP}");
    }
}

/// <summary>Draws a token id from logits with temperature, top-k and top-p.</summary>
public static class Sampling
{
    /// <summary>The next token for one row of logits [V]: argmax at temperature 0, otherwise a draw from
    /// softmax(logits / temperature) restricted to the top-k tokens and then to the top-p nucleus. Ties in the
    /// ordering go to the smaller id, so a seed gives the same sequence every time.</summary>
    public static int Next(ReadOnlySpan<float> logits, SamplingOptions options, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(generator);
        options.Validate();
        int v = logits.Length;
        if (v == 0) throw new ArgumentException("sampling: the logits are empty");
        if (options.Temperature == 0 || options.TopK == 1) return ArgMax(logits);
        // Order the ids by logit (descending, ties by id), keep the top k.
        var order = new int[v];
        for (int i = 0; i < v; i++) order[i] = i;
        var keys = logits.ToArray();
        Array.Sort(order, (a, b) => keys[b] != keys[a] ? keys[b].CompareTo(keys[a]) : a.CompareTo(b));
        int k = options.TopK == 0 ? v : Math.Min(options.TopK, v);
        // Softmax over the kept ids at the temperature, in double.
        var p = new double[k];
        double max = keys[order[0]], sum = 0;
        if (double.IsNaN(max) || double.IsNegativeInfinity(max))
            throw new ArgumentException($"sampling: the largest logit is {max}");
        for (int i = 0; i < k; i++)
        {
            p[i] = Math.Exp((keys[order[i]] - max) / options.Temperature);
            sum += p[i];
        }
        // The nucleus: the shortest prefix with mass ≥ p (at least one token).
        int n = k;
        if (options.TopP < 1)
        {
            double acc = 0;
            for (int i = 0; i < k; i++)
            {
                acc += p[i] / sum;
                if (acc >= options.TopP)
                {
                    n = i + 1;
                    break;
                }
            }
        }
        double total = 0;
        for (int i = 0; i < n; i++) total += p[i];
        double u = generator.NextDouble() * total;
        for (int i = 0; i < n; i++)
        {
            u -= p[i];
            if (u < 0) return order[i];
        }
        return order[n - 1];
    }

    private static int ArgMax(ReadOnlySpan<float> logits)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++)
        {
            if (logits[i] > logits[best]) best = i;
        }
        return best;
    }
}
