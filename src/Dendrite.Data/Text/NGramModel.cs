namespace Dendrite.Data;

/// <summary>
/// Count-based language models, the baselines a neural one must beat. Unigram: p(w) = (c(w) + 1) / (N + V)
/// (Laplace smoothing, so no token has probability 0). Bigram: p(w | v) = λ c(v, w) / c(v) + (1 − λ) p(w), Jelinek
/// and Mercer's interpolation with the unigram (1980), with λ chosen on the last tenth of the training tokens from
/// counts of the first nine tenths, then the counts refitted on all of them. Neither model looks at validation
/// tokens to fit anything.
/// </summary>
public sealed class NGramModel
{
    private readonly double[] unigram;
    private readonly Dictionary<long, int>? pairs;
    private readonly int[]? contextCount;

    private NGramModel(int order, double[] unigram, Dictionary<long, int>? pairs, int[]? contextCount, double lambda)
    {
        Order = order;
        this.unigram = unigram;
        this.pairs = pairs;
        this.contextCount = contextCount;
        Lambda = lambda;
    }

    /// <summary>1 for a unigram model, 2 for a bigram model.</summary>
    public int Order { get; }

    /// <summary>The bigram model's interpolation weight λ (0 for a unigram model).</summary>
    public double Lambda { get; }

    /// <summary>A Laplace-smoothed unigram model of <paramref name="train"/> over <paramref name="vocabSize"/>
    /// ids.</summary>
    public static NGramModel Unigram(IReadOnlyList<int> train, int vocabSize) =>
        new(1, UnigramProbabilities(train, vocabSize), null, null, 0);

    /// <summary>A bigram model interpolated with the unigram model, λ chosen on held-out training tokens from
    /// {0.1, 0.2, …, 0.9, 0.95, 0.99}.</summary>
    public static NGramModel Bigram(IReadOnlyList<int> train, int vocabSize)
    {
        ArgumentNullException.ThrowIfNull(train);
        int cut = train.Count * 9 / 10;
        var fit = train.Take(cut).ToList();
        var held = train.Skip(cut).ToList();
        double best = double.PositiveInfinity, lambda = 0.5;
        var uni = UnigramProbabilities(fit, vocabSize);
        var (fitPairs, fitContexts) = CountPairs(fit, vocabSize);
        foreach (double l in new[] { 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99 })
        {
            double nats = new NGramModel(2, uni, fitPairs, fitContexts, l).NatsPerToken(held);
            if (nats < best) (best, lambda) = (nats, l);
        }
        var (allPairs, allContexts) = CountPairs(train, vocabSize);
        return new NGramModel(2, UnigramProbabilities(train, vocabSize), allPairs, allContexts, lambda);
    }

    private static double[] UnigramProbabilities(IReadOnlyList<int> train, int vocabSize)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (vocabSize < 1) throw new ArgumentOutOfRangeException(nameof(vocabSize), "NGramModel: vocabSize < 1");
        var p = new double[vocabSize];
        foreach (int t in train)
        {
            if ((uint)t >= (uint)vocabSize)
                throw new ArgumentException($"NGramModel: token {t} is outside [0, {vocabSize})");
            p[t]++;
        }
        for (int i = 0; i < vocabSize; i++) p[i] = (p[i] + 1) / (train.Count + (double)vocabSize);
        return p;
    }

    private static (Dictionary<long, int>, int[]) CountPairs(IReadOnlyList<int> train, int vocabSize)
    {
        var pairs = new Dictionary<long, int>();
        var contexts = new int[vocabSize];
        for (int i = 0; i + 1 < train.Count; i++)
        {
            long key = (long)train[i] * vocabSize + train[i + 1];
            pairs[key] = pairs.GetValueOrDefault(key) + 1;
            contexts[train[i]]++;
        }
        return (pairs, contexts);
    }

    /// <summary>Probability of <paramref name="next"/> after <paramref name="previous"/> (ignored by a unigram
    /// model).</summary>
    public double Probability(int previous, int next)
    {
        double uni = unigram[next];
        if (Order == 1 || contextCount![previous] == 0) return uni;
        double pair = pairs!.GetValueOrDefault((long)previous * unigram.Length + next) / (double)contextCount[previous];
        return Lambda * pair + (1 - Lambda) * uni;
    }

    /// <summary>Mean −ln p over the tokens of <paramref name="tokens"/> after the first (each predicted from the one
    /// before, as a language model predicts every token after its first).</summary>
    public double NatsPerToken(IReadOnlyList<int> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (tokens.Count < 2) throw new ArgumentException("NGramModel: need at least two tokens to evaluate");
        double sum = 0;
        for (int i = 1; i < tokens.Count; i++) sum -= Math.Log(Probability(tokens[i - 1], tokens[i]));
        return sum / (tokens.Count - 1);
    }
}
