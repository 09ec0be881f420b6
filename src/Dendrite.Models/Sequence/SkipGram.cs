using System.Numerics.Tensors;

namespace Dendrite.Models.Sequence;

// Word vectors from unlabelled text: skip-gram with negative sampling (Mikolov et al., 2013, "Distributed
// representations of words and phrases"). Each word w of a sentence predicts every word c within a random window
// around it; instead of a softmax over the vocabulary it tells the true context word from k words drawn from the
// unigram distribution raised to 3/4:
//   loss(w, c) = −log σ(u_c·v_w) − Σ_{n ∈ k noise words} log σ(−u_n·v_w)
// v (input vectors) and u (output vectors) are two (V, D) tables; v are the word vectors kept afterwards.
// Frequent words are subsampled (a word of frequency f is kept with probability (√(f/t) + 1)·t/f) and the
// learning rate falls linearly to nearly zero over the run, as in the reference implementation.
// The updates are plain SGD on the rows a pair touches, with no autograd graph: a million-word corpus takes
// seconds per epoch. Ids below FirstWord (padding 0 and unknown 1 of a Vocabulary) are skipped as if absent.

/// <summary>Hyper-parameters of <see cref="SkipGram"/>.</summary>
/// <param name="Dimension">Width D of a word vector.</param>
/// <param name="Window">Largest distance between a word and a context word; each word draws its window from
/// 1..Window, so near words count more.</param>
/// <param name="Negatives">Noise words k per (word, context) pair.</param>
/// <param name="Epochs">Passes over the corpus.</param>
/// <param name="LearningRate">Starting SGD step; it falls linearly to 1e-4 of it by the end.</param>
/// <param name="Subsample">Threshold t of the frequent-word subsampling (0 keeps every word).</param>
/// <param name="FirstWord">Ids below it are not words (padding and unknown) and are skipped.</param>
public sealed record SkipGramConfig(int Dimension = 100, int Window = 5, int Negatives = 5, int Epochs = 3,
    double LearningRate = 0.025, double Subsample = 1e-3, int FirstWord = 2);

/// <summary>Skip-gram word vectors with negative sampling, trained on sentences of word ids.
/// sentences: word ids in 0..V−1 → <see cref="Vectors"/> (V, D).</summary>
public sealed class SkipGram
{
    private readonly float[] input, output;
    private readonly Generator generator;

    /// <summary>Tables for <paramref name="vocabularySize"/> ids: input vectors uniform in ±0.5/D, output vectors
    /// zero (the reference implementation's start).</summary>
    public SkipGram(int vocabularySize, SkipGramConfig config, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(generator);
        if (vocabularySize <= config.FirstWord)
            throw new ArgumentOutOfRangeException(nameof(vocabularySize),
                $"SkipGram: vocabulary of {vocabularySize} ids has no words from id {config.FirstWord} on");
        if (config.Dimension < 1 || config.Window < 1 || config.Negatives < 0 || config.Epochs < 0 ||
            config.LearningRate <= 0 || config.Subsample < 0)
            throw new ArgumentOutOfRangeException(nameof(config), $"SkipGram: invalid configuration {config}");
        VocabularySize = vocabularySize;
        Config = config;
        this.generator = generator;
        int d = config.Dimension;
        input = new float[vocabularySize * d];
        output = new float[vocabularySize * d];
        for (int i = 0; i < input.Length; i++) input[i] = (float)((generator.NextDouble() - 0.5) / d);
    }

    /// <summary>Number of ids V.</summary>
    public int VocabularySize { get; }

    /// <summary>The configuration.</summary>
    public SkipGramConfig Config { get; }

    /// <summary>The word (input) vectors, (V, D) Float32, a copy.</summary>
    public Tensor Vectors => Tensor.From((float[])input.Clone(), VocabularySize, Config.Dimension);

    /// <summary>Vectors (V, D) centred and scaled per dimension to mean 0 and variance 1 over the rows from
    /// <paramref name="firstWord"/> on (rows before it are left as they are). Skip-gram vectors are small (their
    /// start is ±0.5/D) and share a common direction (frequent words pull every vector their way); standardised, they
    /// have the scale of a freshly initialised N(0, 1) embedding table, which is what a recurrent layer's default
    /// initialisation expects.</summary>
    public static Tensor Standardize(Tensor vectors, int firstWord = 2)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        if (vectors.Rank != 2 || vectors.Shape[0] <= firstWord + 1)
            throw new ArgumentException($"SkipGram.Standardize: vectors {Shapes.Format(vectors.Shape)} must be " +
                $"(V, D) with more than {firstWord + 1} rows");
        int v = vectors.Shape[0], d = vectors.Shape[1];
        var x = vectors.To(DType.Float32).ToArray<float>();
        for (int k = 0; k < d; k++)
        {
            double sum = 0, squares = 0;
            for (int i = firstWord; i < v; i++) sum += x[i * d + k];
            double mean = sum / (v - firstWord);
            for (int i = firstWord; i < v; i++) squares += (x[i * d + k] - mean) * (x[i * d + k] - mean);
            double std = Math.Sqrt(squares / (v - firstWord)) + 1e-12;
            for (int i = firstWord; i < v; i++) x[i * d + k] = (float)((x[i * d + k] - mean) / std);
        }
        return Tensor.From(x, v, d);
    }

    /// <summary>Trains for <see cref="SkipGramConfig.Epochs"/> passes over <paramref name="sentences"/> and returns
    /// the mean pair loss of each epoch (nats, the loss above summed over the true and noise words).</summary>
    public IReadOnlyList<double> Fit(IReadOnlyList<long[]> sentences, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        var counts = new long[VocabularySize];
        for (int s = 0; s < sentences.Count; s++)
        {
            foreach (long id in sentences[s])
            {
                if (id < 0 || id >= VocabularySize)
                    throw new ArgumentOutOfRangeException(nameof(sentences),
                        $"SkipGram.Fit: sentence {s} holds id {id}, outside 0..{VocabularySize - 1}");
                if (id >= Config.FirstWord) counts[id]++;
            }
        }
        long words = counts.Sum();
        if (words == 0) throw new ArgumentException("SkipGram.Fit: the sentences hold no word ids", nameof(sentences));
        var noise = NoiseCumulative(counts);
        var keep = new double[VocabularySize];
        for (int i = 0; i < keep.Length; i++)
        {
            double f = (double)counts[i] / words, t = Config.Subsample;
            keep[i] = t == 0 || f == 0 ? 1 : Math.Min(1, (Math.Sqrt(f / t) + 1) * t / f);
        }
        int d = Config.Dimension;
        var negatives = new long[Config.Negatives];
        var kept = new List<long>();
        var losses = new List<double>();
        long done = 0, total = words * Config.Epochs;
        for (int epoch = 1; epoch <= Config.Epochs; epoch++)
        {
            double loss = 0;
            long pairs = 0;
            for (int s = 0; s < sentences.Count; s++)
            {
                kept.Clear();
                foreach (long id in sentences[s])
                {
                    if (id < Config.FirstWord) continue;
                    done++;
                    if (keep[id] >= 1 || generator.NextDouble() < keep[id]) kept.Add(id);
                }
                float lr = (float)(Config.LearningRate * Math.Max(1e-4, 1 - (double)done / total));
                for (int i = 0; i < kept.Count; i++)
                {
                    int window = (int)generator.NextInt64(1, Config.Window + 1);
                    for (int j = Math.Max(0, i - window); j <= Math.Min(kept.Count - 1, i + window); j++)
                    {
                        if (j == i) continue;
                        for (int n = 0; n < negatives.Length; n++) negatives[n] = Draw(noise, generator.NextDouble());
                        loss += Step(input, output, d, kept[i], kept[j], negatives, lr);
                        pairs++;
                    }
                }
            }
            losses.Add(pairs == 0 ? 0 : loss / pairs);
            log?.Invoke($"  skip-gram epoch {epoch}: {pairs:N0} pairs, mean loss {losses[^1]:F4}");
        }
        return losses;
    }

    /// <summary>One SGD step on one (word, context) pair and its noise words; returns the pair's loss before the
    /// step. The tables are (V, <paramref name="dimension"/>) row-major. A noise word equal to the context word is
    /// skipped (as in the reference implementation). With distinct rows the step is exactly
    /// θ ← θ − lr·∂loss/∂θ.</summary>
    public static double Step(Span<float> input, Span<float> output, int dimension, long word, long context,
        ReadOnlySpan<long> negatives, float lr)
    {
        if (dimension < 1 || input.Length % dimension != 0 || output.Length != input.Length)
            throw new ArgumentException($"SkipGram.Step: tables of {input.Length} and {output.Length} values do not " +
                $"hold rows of {dimension}");
        long rows = input.Length / dimension;
        if (word < 0 || word >= rows || context < 0 || context >= rows)
            throw new ArgumentOutOfRangeException(nameof(word),
                $"SkipGram.Step: word {word} or context {context} outside 0..{rows - 1}");
        var v = input.Slice((int)(word * dimension), dimension);
        Span<float> gradV = dimension <= 1024 ? stackalloc float[dimension] : new float[dimension];
        gradV.Clear();
        double loss = 0;
        for (int t = -1; t < negatives.Length; t++)
        {
            long target = t < 0 ? context : negatives[t];
            if (t >= 0 && target == context) continue;
            if (target < 0 || target >= rows)
                throw new ArgumentOutOfRangeException(nameof(negatives),
                    $"SkipGram.Step: noise word {target} outside 0..{rows - 1}");
            var u = output.Slice((int)(target * dimension), dimension);
            float score = TensorPrimitives.Dot<float>(u, v);
            float label = t < 0 ? 1 : 0;
            // −log σ(s) for the true word, −log σ(−s) for a noise word; d/ds = σ(s) − label
            double signed = t < 0 ? score : -score;
            loss += signed > 0 ? Math.Log(1 + Math.Exp(-signed)) : -signed + Math.Log(1 + Math.Exp(signed));
            float g = lr * (label - Sigmoid(score));
            TensorPrimitives.MultiplyAdd<float>(u, g, gradV, gradV);      // gradV += g·u (u before its update)
            TensorPrimitives.MultiplyAdd<float>(v, g, u, u);              // u += g·v
        }
        TensorPrimitives.Add<float>(v, gradV, v);
        return loss;
    }

    private static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));

    // cumulative unigram^0.75 distribution over the ids
    private static double[] NoiseCumulative(long[] counts)
    {
        var c = new double[counts.Length];
        double sum = 0;
        for (int i = 0; i < counts.Length; i++)
        {
            sum += Math.Pow(counts[i], 0.75);
            c[i] = sum;
        }
        for (int i = 0; i < c.Length; i++) c[i] /= sum;
        return c;
    }

    private static long Draw(double[] cumulative, double u)
    {
        int at = Array.BinarySearch(cumulative, u);
        if (at < 0) at = ~at;
        at = Math.Min(at, cumulative.Length - 1);
        while (at > 0 && cumulative[at] == cumulative[at - 1]) at--;     // never land on a zero-count id
        return at;
    }
}
