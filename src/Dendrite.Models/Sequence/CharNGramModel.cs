namespace Dendrite.Models.Sequence;

/// <summary>
/// A character n-gram language model with interpolated Kneser–Ney smoothing (Kneser and Ney, 1995; the interpolated
/// form of Chen and Goodman, 1998): the baseline a character-level recurrent model has to beat.
/// P(w | h) = max(c(hw) − d, 0) / c(h) + d·N₁₊(h•) / c(h) · P_lower(w | h′), with h′ the context without its oldest
/// character; the lower orders count in how many distinct contexts a string follows (continuation counts), not how
/// often it occurs, and the lowest one is interpolated with the uniform distribution over the alphabet. An unseen
/// context passes its whole mass to the lower order. Characters outside the training alphabet share one symbol.
/// One fit holds the counts of every order up to <see cref="MaxOrder"/>, so all orders n ≤ MaxOrder and discounts d
/// can be scored on validation text without refitting (<see cref="Select"/>).
/// </summary>
public sealed class CharNGramModel
{
    private const char Unknown = '\uFFFF';
    private readonly HashSet<char> alphabet;
    private readonly Dictionary<string, int>[] counts;        // [k]: occurrences of each k-gram
    private readonly Dictionary<string, int>[] continuation;  // [k]: distinct characters that precede each k-gram
    private readonly Dictionary<string, int>[] contextTotal;  // [k]: Σ_w c(hw) for each (k−1)-gram h
    private readonly Dictionary<string, int>[] continuationTotal;
    private readonly Dictionary<string, int>[] followers;     // [k]: distinct w seen after each (k−1)-gram h
    private readonly Dictionary<string, int>[] continuationFollowers;

    /// <summary>Counts every k-gram of <paramref name="text"/>, k = 1..<paramref name="maxOrder"/>.</summary>
    public CharNGramModel(string text, int maxOrder = 5)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (maxOrder is < 1 or > 8)
            throw new ArgumentOutOfRangeException(nameof(maxOrder), $"CharNGramModel: order {maxOrder} not in 1..8");
        if (text.Length < maxOrder)
            throw new ArgumentException($"CharNGramModel: {text.Length} characters hold no {maxOrder}-gram");
        MaxOrder = maxOrder;
        alphabet = [.. text];
        counts = Make(maxOrder + 1);
        continuation = Make(maxOrder + 1);
        contextTotal = Make(maxOrder + 1);
        continuationTotal = Make(maxOrder + 1);
        followers = Make(maxOrder + 1);
        continuationFollowers = Make(maxOrder + 1);
        for (int k = 1; k <= maxOrder; k++)
        {
            for (int i = 0; i + k <= text.Length; i++)
            {
                string g = text.Substring(i, k);
                counts[k][g] = counts[k].GetValueOrDefault(g) + 1;
            }
            foreach (var (g, c) in counts[k])
            {
                string h = g[..^1];
                contextTotal[k][h] = contextTotal[k].GetValueOrDefault(h) + c;
                followers[k][h] = followers[k].GetValueOrDefault(h) + 1;
            }
        }
        // N₁₊(•g): each distinct (k+1)-gram adds one to the continuation count of its last k characters
        for (int k = 1; k < maxOrder; k++)
        {
            foreach (var g in counts[k + 1].Keys)
            {
                string tail = g[1..];
                continuation[k][tail] = continuation[k].GetValueOrDefault(tail) + 1;
            }
            foreach (var (g, c) in continuation[k])
            {
                string h = g[..^1];
                continuationTotal[k][h] = continuationTotal[k].GetValueOrDefault(h) + c;
                continuationFollowers[k][h] = continuationFollowers[k].GetValueOrDefault(h) + 1;
            }
        }
    }

    /// <summary>The highest order counted.</summary>
    public int MaxOrder { get; }

    /// <summary>Distinct training characters plus one for all others.</summary>
    public int AlphabetSize => alphabet.Count + 1;

    /// <summary>P(w | context) for an n-gram model of order <paramref name="order"/> (its last order − 1
    /// characters of context) with discount <paramref name="discount"/> in (0, 1).</summary>
    public double Probability(ReadOnlySpan<char> context, char next, int order, double discount = 0.75)
    {
        if (order < 1 || order > MaxOrder)
            throw new ArgumentOutOfRangeException(nameof(order), $"CharNGramModel: order {order} not in 1..{MaxOrder}");
        if (discount is <= 0 or >= 1)
            throw new ArgumentOutOfRangeException(nameof(discount),
                $"CharNGramModel: discount {discount} not in (0, 1)");
        var h = Map(context.Length >= order - 1 ? context[(context.Length - order + 1)..] : context);
        return Interpolated(h, Map(next), discount, top: true);
    }

    /// <summary>Bits per character of <paramref name="text"/>: the mean of −log₂ P(text[i] | the preceding
    /// characters) over i ≥ 1.</summary>
    public double BitsPerCharacter(string text, int order, double discount = 0.75)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length < 2) throw new ArgumentException("CharNGramModel: need at least two characters to score");
        double total = 0;
        for (int i = 1; i < text.Length; i++)
        {
            int start = Math.Max(0, i - order + 1);
            total -= Math.Log2(Probability(text.AsSpan(start, i - start), text[i], order, discount));
        }
        return total / (text.Length - 1);
    }

    /// <summary>Fits on <paramref name="train"/> and scores every order 1..<paramref name="maxOrder"/> and discount
    /// in {0.5, 0.75, 0.9} on <paramref name="validation"/>; the best is the one with the fewest bits per character.
    /// </summary>
    public static (CharNGramModel Model, int Order, double Discount, List<(int Order, double Discount, double Bits)>
        Scores) Select(string train, string validation, int maxOrder = 5)
    {
        var model = new CharNGramModel(train, maxOrder);
        var scores = new List<(int, double, double)>();
        for (int n = 1; n <= maxOrder; n++)
        {
            foreach (double d in new[] { 0.5, 0.75, 0.9 }) scores.Add((n, d, model.BitsPerCharacter(validation, n, d)));
        }
        var best = scores.MinBy(s => s.Item3);
        return (model, best.Item1, best.Item2, scores);
    }

    private double Interpolated(string h, char w, double d, bool top)
    {
        int k = h.Length + 1;
        double lower = k == 1 ? 1.0 / AlphabetSize : Interpolated(h[1..], w, d, top: false);
        // the model's own order counts occurrences; the orders below it count distinct preceding characters
        var (num, den, seen) = top
            ? (counts, contextTotal, followers)
            : (continuation, continuationTotal, continuationFollowers);
        int total = den[k].GetValueOrDefault(h);
        if (total == 0) return lower;
        int c = num[k].GetValueOrDefault(h + w);
        return (Math.Max(c - d, 0) + d * seen[k][h] * lower) / total;
    }

    private string Map(ReadOnlySpan<char> text)
    {
        var chars = text.ToArray();
        for (int i = 0; i < chars.Length; i++) if (!alphabet.Contains(chars[i])) chars[i] = Unknown;
        return new string(chars);
    }

    private char Map(char c) => alphabet.Contains(c) ? c : Unknown;

    private static Dictionary<string, int>[] Make(int n) =>
        [.. Enumerable.Range(0, n).Select(_ => new Dictionary<string, int>())];
}
