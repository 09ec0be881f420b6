using Dendrite.Nn;

namespace Dendrite.Models.Sequence;

// A bidirectional word-level LSTM language model, the pre-training stage of ELMo (Peters et al., 2018, "Deep
// contextualized word representations", arXiv:1802.05365) and ULMFiT (Howard and Ruder, 2018, "Universal language
// model fine-tuning for text classification", arXiv:1801.06146): one embedding, one bidirectional LSTM layer; the
// forward half of the output at step t predicts word t+1 (it has read words 0..t), the backward half predicts
// word t−1 (it has read words t..L−1). With a single layer neither half ever sees the word it predicts; a second
// bidirectional layer would mix the halves and let each see its target, so the model keeps one.
// The read-out is tied to the embedding (Press and Wolf, 2017, "Using the output embedding to improve language
// models", arXiv:1608.05859): a projection from hidden to embedding width per direction, then logits = p·Eᵀ over
// the first OutputVocabulary ids (a frequency-ordered vocabulary puts the common words first); rarer targets
// count as the unknown word. That keeps the softmax affordable on a CPU while every word still gets an input vector.
// After pre-training, the embedding and the LSTM initialise a SentimentClassifier (SentimentClassifier.LoadEncoder).
// Shapes: B sentences, T words (padded), E embedding width, H hidden units per direction, V ids, V' output ids,
// N predicted positions.
//   ids (B, T) → embeddings (B, T, E) → LSTM (B, T, 2H) → forward half (N, H) → projection (N, E) → logits (N, V')

/// <summary>Hyper-parameters of a <see cref="BiLstmLanguageModel"/>.</summary>
/// <param name="VocabularySize">Word ids 0..V−1; id 0 is padding, id 1 the unknown word
/// (the layout of Dendrite.Data's Vocabulary).</param>
/// <param name="EmbeddingDim">Width of a word vector (and of the tied read-out).</param>
/// <param name="HiddenSize">LSTM units per direction.</param>
/// <param name="OutputVocabulary">How many of the first ids the softmax ranges over (0: all of them); a target
/// outside them counts as the unknown word.</param>
/// <param name="Dropout">Dropout on the word vectors and on the LSTM outputs before the read-out, in training mode.
/// </param>
public sealed record BiLmConfig(int VocabularySize, int EmbeddingDim = 128, int HiddenSize = 256,
    int OutputVocabulary = 0, double Dropout = 0.3);

/// <summary>The positions a batch predicts and their targets, as rows of the flattened (B·T) steps: the forward
/// half at row b·T + t predicts word t + 1, the backward half at row b·T + t predicts word t − 1 (targets outside
/// the output vocabulary become the unknown id).</summary>
/// <param name="ForwardRows">Rows whose forward half predicts.</param>
/// <param name="ForwardTargets">The word each of them predicts.</param>
/// <param name="BackwardRows">Rows whose backward half predicts.</param>
/// <param name="BackwardTargets">The word each of them predicts.</param>
public sealed record BiLmTargets(long[] ForwardRows, long[] ForwardTargets, long[] BackwardRows,
    long[] BackwardTargets);

/// <summary>Embedding + one bidirectional LSTM layer + tied read-out per direction: a forward and a backward word
/// language model sharing their word vectors.   ids (B, T) Int64, lengths (B) → loss (nats per predicted word).
/// </summary>
public sealed class BiLstmLanguageModel : Module
{
    /// <summary>Builds the layers; the LSTM weights come from <paramref name="generator"/>, the others from the
    /// default generator. The embedding starts at N(0, 0.1²) rather than N(0, 1): it is also the read-out, and unit
    /// vectors would make the first logits very large.</summary>
    public BiLstmLanguageModel(BiLmConfig config, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.VocabularySize < 2 || config.EmbeddingDim < 1 || config.HiddenSize < 1)
            throw new ArgumentException($"BiLstmLanguageModel: vocabulary {config.VocabularySize}, embedding " +
                $"{config.EmbeddingDim}, hidden {config.HiddenSize}: need at least 2 ids and positive widths");
        if (config.OutputVocabulary < 0 || config.OutputVocabulary == 1)
            throw new ArgumentException($"BiLstmLanguageModel: output vocabulary {config.OutputVocabulary} must be " +
                "0 (all ids) or at least 2 (padding and unknown included)");
        Config = config;
        Embedding = new Embedding(config.VocabularySize, config.EmbeddingDim, paddingIndex: 0);
        using (Autograd.NoGrad())
        {
            Embedding.Weight.CopyFrom(Embedding.Weight * 0.1);
        }
        Encoder = RecurrentEncoder.Create("lstm", config.EmbeddingDim, config.HiddenSize, bidirectional: true,
            generator: generator);
        ForwardProjection = new Linear(config.HiddenSize, config.EmbeddingDim);
        BackwardProjection = new Linear(config.HiddenSize, config.EmbeddingDim);
        Drop = new Dropout(config.Dropout, generator);
    }

    /// <summary>The id a target outside the output vocabulary becomes.</summary>
    public const long UnknownId = 1;

    /// <summary>The configuration it was built from.</summary>
    public BiLmConfig Config { get; }

    /// <summary>Word vectors (V, E), shared by the input and the read-out.</summary>
    public Embedding Embedding { get; }

    /// <summary>The bidirectional LSTM (one layer, batch-first).</summary>
    public RecurrentLayer Encoder { get; }

    /// <summary>Forward half (H) → embedding width (E), before the tied read-out.</summary>
    public Linear ForwardProjection { get; }

    /// <summary>Backward half (H) → embedding width (E), before the tied read-out.</summary>
    public Linear BackwardProjection { get; }

    /// <summary>Dropout on the word vectors and the LSTM outputs.</summary>
    public Dropout Drop { get; }

    /// <summary>The number of ids the softmax ranges over.</summary>
    public int OutputSize => Config.OutputVocabulary == 0
        ? Config.VocabularySize
        : Math.Min(Config.OutputVocabulary, Config.VocabularySize);

    /// <summary>Which rows of a padded batch predict which words (see <see cref="BiLmTargets"/>). ids (B, T)
    /// Int64 with <paramref name="lengths"/> (B); a sentence of one word predicts nothing.</summary>
    public static BiLmTargets Targets(Tensor ids, int[] lengths, int outputSize)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(lengths);
        if (ids.Rank != 2 || lengths.Length != ids.Size(0))
            throw new ArgumentException($"BiLstmLanguageModel.Targets: ids {Shapes.Format(ids.Shape)} and " +
                $"{lengths.Length} lengths must be (B, T) and B");
        int B = ids.Size(0), T = ids.Size(1);
        var x = ids.Contiguous().ToArray<long>();
        var fRows = new List<long>();
        var fTargets = new List<long>();
        var bRows = new List<long>();
        var bTargets = new List<long>();
        long Clamp(long id) => id < outputSize ? id : UnknownId;
        for (int b = 0; b < B; b++)
        {
            if (lengths[b] < 1 || lengths[b] > T)
                throw new ArgumentException($"BiLstmLanguageModel.Targets: length {lengths[b]} of sequence {b} is " +
                    $"outside 1..{T}");
            for (int t = 0; t < lengths[b]; t++)
            {
                int row = b * T + t;
                if (t + 1 < lengths[b])
                {
                    fRows.Add(row);
                    fTargets.Add(Clamp(x[row + 1]));
                }
                if (t > 0)
                {
                    bRows.Add(row);
                    bTargets.Add(Clamp(x[row - 1]));
                }
            }
        }
        return new BiLmTargets([.. fRows], [.. fTargets], [.. bRows], [.. bTargets]);
    }

    /// <summary>The LSTM outputs of a padded batch, both halves side by side.   ids (B, T) Int64, lengths (B) →
    /// (B, T, 2H); padded steps are zero.</summary>
    public Tensor Encode(Tensor ids, int[] lengths)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Rank != 2 || ids.DType != DType.Int64)
            throw new ArgumentException($"BiLstmLanguageModel: ids {Shapes.Format(ids.Shape)} {ids.DType} must be " +
                "(B, T) Int64");
        var x = Drop.Forward(Embedding.Forward(ids));                      // (B, T, E)
        return Encoder.Forward(x, lengths: lengths).Output;                // (B, T, 2H)
    }

    /// <summary>Scores of the next word (forward) or the previous one (backward) at the given rows of the
    /// flattened steps.   hidden (B·T, 2H), rows (N) → logits (N, V').</summary>
    public Tensor Logits(Tensor hidden, long[] rows, bool forward)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        ArgumentNullException.ThrowIfNull(rows);
        int H = Config.HiddenSize;
        var half = hidden.Narrow(1, forward ? 0 : H, H);                                  // (B·T, H)
        var picked = half.IndexSelect(0, Tensor.From(rows, rows.Length));                 // (N, H)
        var projected = (forward ? ForwardProjection : BackwardProjection).Forward(Drop.Forward(picked)); // (N, E)
        return projected.Linear(Embedding.Weight.Narrow(0, 0, OutputSize));               // (N, V')
    }

    /// <summary>Mean cross-entropy over every prediction of both directions (nats per predicted word), and the
    /// number of predictions; a batch of one-word sentences gives (null, 0).</summary>
    public (Tensor? Loss, int Predictions) Loss(Tensor ids, int[] lengths)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var targets = Targets(ids, lengths, OutputSize);
        int n = targets.ForwardRows.Length + targets.BackwardRows.Length;
        if (n == 0) return (null, 0);
        var hidden = Encode(ids, lengths);
        var flat = hidden.Reshape(ids.Size(0) * ids.Size(1), 2 * Config.HiddenSize);     // (B·T, 2H)
        var f = Losses.CrossEntropy(Logits(flat, targets.ForwardRows, forward: true),
            Tensor.From(targets.ForwardTargets, targets.ForwardTargets.Length), reduction: Reduction.Sum);
        var b = Losses.CrossEntropy(Logits(flat, targets.BackwardRows, forward: false),
            Tensor.From(targets.BackwardTargets, targets.BackwardTargets.Length), reduction: Reduction.Sum);
        return ((f + b) / n, n);
    }
}
