using System.Text;

namespace Dendrite.Data;

/// <summary>
/// A text encoded once into token ids, for training a language model on next-token prediction: random windows of
/// <c>context</c> tokens as inputs with the same windows shifted by one as targets (nanoGPT's get_batch), and
/// consecutive windows covering the whole text for evaluation. It keeps the number of characters of the text so that
/// a loss in nats per token can be turned into bits per character, which compares across tokenizers.
/// </summary>
public sealed class TokenCorpus
{
    /// <summary>A corpus of <paramref name="tokens"/> (ids below <paramref name="vocabSize"/>) that encodes
    /// <paramref name="characters"/> characters of text.</summary>
    public TokenCorpus(int[] tokens, int vocabSize, long characters)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        for (int i = 0; i < tokens.Length; i++)
        {
            if ((uint)tokens[i] >= (uint)vocabSize)
                throw new ArgumentException($"TokenCorpus: token {i} is {tokens[i]}, outside [0, {vocabSize})");
        }
        Tokens = tokens;
        VocabSize = vocabSize;
        Characters = characters;
    }

    /// <summary>The text encoded by <paramref name="tokenizer"/>.</summary>
    public static TokenCorpus Encode(ITokenizer tokenizer, string text)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(text);
        return new TokenCorpus(tokenizer.Encode(text), tokenizer.VocabSize, CountCharacters(text));
    }

    /// <summary>Characters (Unicode scalar values) of <paramref name="text"/>.</summary>
    public static long CountCharacters(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        long n = 0;
        foreach (var _ in text.EnumerateRunes()) n++;
        return n;
    }

    /// <summary>Splits a text into a training part and the last <paramref name="validationFraction"/> of it, cut at
    /// the start of a line so that no line is split.</summary>
    public static (string Train, string Validation) SplitText(string text, double validationFraction)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (validationFraction is <= 0 or >= 1)
            throw new ArgumentOutOfRangeException(nameof(validationFraction),
                $"SplitText: validationFraction {validationFraction} must be in (0, 1)");
        int cut = (int)(text.Length * (1 - validationFraction));
        int line = text.IndexOf('\n', cut);
        if (line >= 0) cut = line + 1;
        return (text[..cut], text[cut..]);
    }

    /// <summary>The token ids.</summary>
    public int[] Tokens { get; }

    /// <summary>Number of ids of the tokenizer.</summary>
    public int VocabSize { get; }

    /// <summary>Characters of the text the tokens encode.</summary>
    public long Characters { get; }

    /// <summary>Bits per character for a mean loss of <paramref name="natsPerToken"/> over
    /// <paramref name="predicted"/> predicted tokens of this corpus: nats · predicted / (ln 2 · characters ·
    /// predicted / (tokens − 1)), i.e. the characters are counted in proportion to the tokens predicted.</summary>
    public double BitsPerCharacter(double natsPerToken) =>
        natsPerToken * (Tokens.Length - 1) / (Math.Log(2) * Characters);

    private void CheckContext(int context)
    {
        if (context < 1 || context + 1 > Tokens.Length)
            throw new ArgumentException($"TokenCorpus: a window of {context} tokens plus its target needs " +
                $"{context + 1} tokens, the corpus has {Tokens.Length}");
    }

    /// <summary>A batch of random windows.   X, Y: (batchSize, context) Int64, Y[b, t] the token after
    /// X[b, t] in the text.</summary>
    public (Tensor X, Tensor Y) Batch(int batchSize, int context, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        CheckContext(context);
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), "TokenCorpus: batchSize < 1");
        var x = new long[batchSize * context];
        var y = new long[batchSize * context];
        for (int b = 0; b < batchSize; b++)
        {
            int start = (int)generator.NextInt64(0, Tokens.Length - context);
            for (int t = 0; t < context; t++)
            {
                x[b * context + t] = Tokens[start + t];
                y[b * context + t] = Tokens[start + t + 1];
            }
        }
        return (Tensor.From(x, batchSize, context), Tensor.From(y, batchSize, context));
    }

    /// <summary>Consecutive windows that predict every token after the first exactly once, batched; the last
    /// window may be shorter. At most <paramref name="maxWindows"/> windows when given (from the start).</summary>
    public IEnumerable<(Tensor X, Tensor Y)> Windows(int context, int batchSize, int? maxWindows = null)
    {
        CheckContext(context);
        var starts = new List<(int Start, int Length)>();
        for (int s = 0; s + 1 < Tokens.Length && (maxWindows is not int m || starts.Count < m); s += context)
            starts.Add((s, Math.Min(context, Tokens.Length - 1 - s)));
        // Full windows in batches, then the short tail on its own.
        var full = starts.Where(w => w.Length == context).ToList();
        for (int i = 0; i < full.Count; i += batchSize)
        {
            var part = full.Skip(i).Take(batchSize).ToList();
            yield return Make(part, context);
        }
        foreach (var tail in starts.Where(w => w.Length < context)) yield return Make([tail], tail.Length);
    }

    private (Tensor X, Tensor Y) Make(List<(int Start, int Length)> windows, int length)
    {
        var x = new long[windows.Count * length];
        var y = new long[windows.Count * length];
        for (int b = 0; b < windows.Count; b++)
        {
            for (int t = 0; t < length; t++)
            {
                x[b * length + t] = Tokens[windows[b].Start + t];
                y[b * length + t] = Tokens[windows[b].Start + t + 1];
            }
        }
        return (Tensor.From(x, windows.Count, length), Tensor.From(y, windows.Count, length));
    }

    /// <summary>A readable summary: tokens, characters and characters per token.</summary>
    public override string ToString() => new StringBuilder().Append(Tokens.Length).Append(" tokens, ")
        .Append(Characters).Append(" characters (").Append((Characters / (double)Math.Max(1, Tokens.Length))
            .ToString("F2", System.Globalization.CultureInfo.InvariantCulture)).Append(" per token)").ToString();
}
