namespace Dendrite.Data;

// Preparing sequences for recurrent networks: vocabularies that turn characters or words into ids, padding a batch
// of sequences of different lengths (with the lengths a recurrent layer needs), bucketing by length so that batches
// carry little padding, sliding windows over a time series with a normalisation fitted on the training part only,
// and splits that respect time (the validation and test parts come after the training part, never mixed in).

/// <summary>Token ↔ id. Id 0 is the padding token and id 1 the unknown token; the others follow by decreasing
/// frequency (ties in order of first appearance), so the ids are the same on every run.</summary>
public sealed class Vocabulary
{
    /// <summary>Id of the padding token.</summary>
    public const int PadId = 0;

    /// <summary>Id of the unknown token (any token not in the vocabulary).</summary>
    public const int UnknownId = 1;

    private readonly List<string> tokens;
    private readonly Dictionary<string, int> ids;

    private Vocabulary(List<string> tokens)
    {
        this.tokens = tokens;
        ids = [];
        for (int i = 0; i < tokens.Count; i++) ids[tokens[i]] = i;
    }

    /// <summary>Number of ids, special tokens included.</summary>
    public int Count => tokens.Count;

    /// <summary>The token of each id.</summary>
    public IReadOnlyList<string> Tokens => tokens;

    /// <summary>A vocabulary of the tokens that occur at least <paramref name="minCount"/> times, at most
    /// <paramref name="maxSize"/> ids in all. <paramref name="pad"/> and <paramref name="unknown"/> name the two
    /// special tokens.</summary>
    public static Vocabulary Build(IEnumerable<string> tokens, int minCount = 1, int? maxSize = null,
        string pad = "<pad>", string unknown = "<unk>")
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (minCount < 1)
            throw new ArgumentOutOfRangeException(nameof(minCount), $"Vocabulary: minCount {minCount} < 1");
        if (maxSize is < 2)
            throw new ArgumentOutOfRangeException(nameof(maxSize), $"Vocabulary: maxSize {maxSize} leaves no room " +
                "for the padding and unknown tokens");
        var counts = new Dictionary<string, (int Count, int First)>();
        int position = 0;
        foreach (var t in tokens)
        {
            counts[t] = counts.TryGetValue(t, out var c) ? (c.Count + 1, c.First) : (1, position);
            position++;
        }
        var kept = counts.Where(kv => kv.Value.Count >= minCount && kv.Key != pad && kv.Key != unknown)
            .OrderByDescending(kv => kv.Value.Count).ThenBy(kv => kv.Value.First).Select(kv => kv.Key);
        if (maxSize is int m) kept = kept.Take(m - 2);
        return new Vocabulary([pad, unknown, .. kept]);
    }

    /// <summary>A vocabulary of the characters of <paramref name="text"/> (one token per UTF-16 character).</summary>
    public static Vocabulary Characters(string text, int minCount = 1) =>
        Build((text ?? throw new ArgumentNullException(nameof(text))).Select(c => c.ToString()), minCount);

    /// <summary>Words of <paramref name="text"/>: lower-cased runs of letters, digits and apostrophes.</summary>
    public static IEnumerable<string> Words(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int start = -1;
        for (int i = 0; i <= text.Length; i++)
        {
            bool inWord = i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '\'');
            if (inWord && start < 0) start = i;
            else if (!inWord && start >= 0)
            {
                yield return text[start..i].ToLowerInvariant();
                start = -1;
            }
        }
    }

    /// <summary>The id of <paramref name="token"/>, or <see cref="UnknownId"/>.</summary>
    public int this[string token] => ids.TryGetValue(token, out int id) ? id : UnknownId;

    /// <summary>The ids of a token sequence.</summary>
    public long[] Encode(IEnumerable<string> sequence) => [.. sequence.Select(t => (long)this[t])];

    /// <summary>The tokens of an id sequence, joined by <paramref name="separator"/>; padding is left out.</summary>
    public string Decode(IEnumerable<long> sequence, string separator = "")
    {
        ArgumentNullException.ThrowIfNull(sequence);
        return string.Join(separator, sequence.Where(id => id != PadId).Select(id => id >= 0 && id < tokens.Count
            ? tokens[(int)id]
            : throw new ArgumentOutOfRangeException(nameof(sequence),
                $"Vocabulary.Decode: id {id} is outside 0..{tokens.Count - 1}")));
    }
}

/// <summary>Padding, bucketing, sliding windows and time-respecting splits (see the file comment).</summary>
public static class Sequences
{
    /// <summary>Pads id sequences to the longest one: ids (B, T) Int64 (or (T, B) when <paramref name="batchFirst"/>
    /// is false) and the lengths, as <c>Lstm.Forward(x, lengths: …)</c> takes them. Empty sequences are an
    /// error: a recurrent layer needs at least one real step per entry.</summary>
    public static (Tensor Ids, int[] Lengths) Pad(IReadOnlyList<long[]> sequences, long padValue = Vocabulary.PadId,
        bool batchFirst = true)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        if (sequences.Count == 0) throw new ArgumentException("Sequences.Pad: no sequences");
        int B = sequences.Count;
        var lengths = new int[B];
        for (int b = 0; b < B; b++)
        {
            lengths[b] = sequences[b]?.Length ?? 0;
            if (lengths[b] == 0) throw new ArgumentException($"Sequences.Pad: sequence {b} is empty");
        }
        int T = lengths.Max();
        var data = new long[B * T];
        Array.Fill(data, padValue);
        for (int b = 0; b < B; b++)
        {
            for (int t = 0; t < lengths[b]; t++) data[batchFirst ? b * T + t : t * B + b] = sequences[b][t];
        }
        return (batchFirst ? Tensor.From(data, B, T) : Tensor.From(data, T, B), lengths);
    }

    /// <summary>Batches of indices into <paramref name="lengths"/> such that each batch holds sequences of similar
    /// length: the indices are shuffled (when a generator is given), cut into pools of 50 batches, each pool sorted
    /// by length and cut into batches, and the batches shuffled again. Every index appears exactly once.</summary>
    public static List<int[]> Buckets(IReadOnlyList<int> lengths, int batchSize, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(lengths);
        if (batchSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(batchSize), $"Sequences.Buckets: batch size {batchSize}");
        var order = Enumerable.Range(0, lengths.Count).ToArray();
        if (generator is not null) Shuffle(order, generator);
        var batches = new List<int[]>();
        int pool = batchSize * 50;
        for (int start = 0; start < order.Length; start += pool)
        {
            var sorted = order.Skip(start).Take(pool).OrderBy(i => lengths[i]).ToArray();
            for (int b = 0; b < sorted.Length; b += batchSize)
                batches.Add(sorted[b..Math.Min(b + batchSize, sorted.Length)]);
        }
        if (generator is not null)
        {
            var shuffled = batches.ToArray();
            Shuffle(shuffled, generator);
            return [.. shuffled];
        }
        return batches;
    }

    /// <summary>Every window of <paramref name="window"/> consecutive values of <paramref name="series"/> as an
    /// input, and the next <paramref name="horizon"/> values as its target: X (N, window, 1), Y (N, horizon) with
    /// N = len − window − horizon + 1, windows <paramref name="stride"/> steps apart.</summary>
    public static (Tensor X, Tensor Y) SlidingWindows(ReadOnlySpan<float> series, int window, int horizon = 1,
        int stride = 1)
    {
        if (window <= 0 || horizon <= 0 || stride <= 0)
            throw new ArgumentOutOfRangeException(nameof(window), $"Sequences.SlidingWindows: window {window}, " +
                $"horizon {horizon} and stride {stride} must be positive");
        int n = series.Length - window - horizon + 1;
        if (n <= 0)
            throw new ArgumentException($"Sequences.SlidingWindows: a series of {series.Length} values has no window " +
                $"of {window} followed by {horizon} more");
        int count = (n + stride - 1) / stride;
        var x = new float[count * window];
        var y = new float[count * horizon];
        for (int i = 0; i < count; i++)
        {
            series.Slice(i * stride, window).CopyTo(x.AsSpan(i * window));
            series.Slice(i * stride + window, horizon).CopyTo(y.AsSpan(i * horizon));
        }
        return (Tensor.From(x, count, window, 1), Tensor.From(y, count, horizon));
    }

    /// <summary>Cuts <paramref name="length"/> time-ordered items into consecutive train, validation and test
    /// ranges: the first part trains, the next validates, the last tests, so no model sees the future it is
    /// evaluated on.</summary>
    public static (Range Train, Range Validation, Range Test) TimeSplit(int length, double validationFraction,
        double testFraction)
    {
        if (length <= 0) throw new ArgumentOutOfRangeException(nameof(length), $"Sequences.TimeSplit: length {length}");
        if (validationFraction < 0 || testFraction < 0 || validationFraction + testFraction >= 1)
            throw new ArgumentOutOfRangeException(nameof(validationFraction), $"Sequences.TimeSplit: fractions " +
                $"{validationFraction} and {testFraction} must be ≥ 0 and leave a training part");
        int test = (int)Math.Round(length * testFraction), validation = (int)Math.Round(length * validationFraction);
        int train = length - test - validation;
        if (train <= 0) throw new ArgumentException($"Sequences.TimeSplit: {length} items leave no training part");
        return (0..train, train..(train + validation), (train + validation)..length);
    }

    private static void Shuffle<T>(T[] items, Generator g)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = (int)g.NextInt64(0, i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}

/// <summary>Per-series standardisation z = (x − mean) / std with the statistics of the training part only, so
/// nothing of the validation or test part leaks into the inputs.</summary>
public sealed record SeriesScaler(double Mean, double Std)
{
    /// <summary>Mean and standard deviation of <paramref name="training"/> (std 1 for a constant series).</summary>
    public static SeriesScaler Fit(ReadOnlySpan<float> training)
    {
        if (training.IsEmpty) throw new ArgumentException("SeriesScaler.Fit: the training part is empty");
        double mean = 0;
        foreach (float v in training) mean += v;
        mean /= training.Length;
        double var = 0;
        foreach (float v in training) var += (v - mean) * (v - mean);
        double std = Math.Sqrt(var / training.Length);
        return new SeriesScaler(mean, std > 0 ? std : 1);
    }

    /// <summary>(x − mean) / std of every value.</summary>
    public float[] Transform(ReadOnlySpan<float> values)
    {
        var z = new float[values.Length];
        for (int i = 0; i < z.Length; i++) z[i] = (float)((values[i] - Mean) / Std);
        return z;
    }

    /// <summary>Back to the original units: z·std + mean.</summary>
    public Tensor Inverse(Tensor z) => z * Std + Mean;
}
