using Dendrite.Nn;

namespace Dendrite.Models.Sequence;

// Many-to-one sequence classification, the course's sentence-sentiment task (Pang and Lee, 2005, "Seeing stars"):
// word ids → embeddings (with dropout) → a recurrent encoder (LSTM, GRU or RNN; one or two directions) → the final hidden state
// of each sentence (taken at its own last real word, so padding does not dilute it) → dropout → a linear layer.
// Shapes: B sentences, T words (padded), E embedding width, H hidden size, D directions, K classes.
//   ids (B, T) Int64 → embeddings (B, T, E) → final state (B, D·H) → logits (B, K)

/// <summary>Hyper-parameters of a <see cref="SentimentClassifier"/>.</summary>
/// <param name="VocabularySize">Word ids 0..V−1; id 0 is padding (its embedding stays zero).</param>
/// <param name="EmbeddingDim">Width of a word vector.</param>
/// <param name="HiddenSize">Hidden units per direction.</param>
/// <param name="Cell">rnn, lstm or gru.</param>
/// <param name="Bidirectional">Read each sentence both ways (a BiLSTM with <c>lstm</c>).</param>
/// <param name="Dropout">Dropout on the word vectors and on the sentence vector, in training mode: with a few
/// thousand sentences the network otherwise learns the training set by heart within a few epochs.</param>
/// <param name="Classes">Number of labels (2 for positive / negative).</param>
/// <param name="Pooling"><c>last</c>: the final hidden state of each direction; <c>concat</c>: that, the maximum
/// and the mean of the outputs over the sentence's real words side by side (ULMFiT's concat pooling, three times
/// as wide).</param>
public sealed record SentimentConfig(int VocabularySize, int EmbeddingDim = 64, int HiddenSize = 64,
    string Cell = "lstm", bool Bidirectional = false, double Dropout = 0.5, int Classes = 2, string Pooling = "last");

/// <summary>Embedding + (bi)directional recurrent encoder + linear head.   ids (B, T), lengths (B) → logits (B, K).
/// </summary>
public sealed class SentimentClassifier : Module
{
    /// <summary>Builds the layers; weights are drawn from <paramref name="generator"/> for the recurrent layer and
    /// the default generator for the others.</summary>
    public SentimentClassifier(SentimentConfig config, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config;
        Embedding = new Embedding(config.VocabularySize, config.EmbeddingDim, paddingIndex: 0);
        Encoder = RecurrentEncoder.Create(config.Cell, config.EmbeddingDim, config.HiddenSize,
            bidirectional: config.Bidirectional, generator: generator);
        Drop = new Dropout(config.Dropout, generator);
        int pooled = config.Pooling switch
        {
            "last" => 1,
            "concat" => 3,
            _ => throw new ArgumentException($"SentimentClassifier: unknown pooling '{config.Pooling}' (last or " +
                "concat)", nameof(config)),
        };
        Head = new Linear(pooled * Encoder.Directions * config.HiddenSize, config.Classes);
    }

    /// <summary>The configuration it was built from.</summary>
    public SentimentConfig Config { get; }

    /// <summary>Word vectors (V, E).</summary>
    public Embedding Embedding { get; }

    /// <summary>The recurrent encoder.</summary>
    public RecurrentLayer Encoder { get; }

    /// <summary>Dropout on the word vectors and the sentence vector.</summary>
    public Dropout Drop { get; }

    /// <summary>Sentence vector → class scores.</summary>
    public Linear Head { get; }

    /// <summary>Starts the word vectors from <paramref name="vectors"/> (V, E), e.g. <see cref="SkipGram.Vectors"/>
    /// trained on unlabelled text; the padding row is set to zero. <paramref name="freeze"/> keeps them fixed
    /// during training (only the encoder and the head learn), which guards a few thousand labelled sentences against
    /// over-fitting a large vocabulary.</summary>
    public void LoadWordVectors(Tensor vectors, bool freeze)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        if (vectors.Rank != 2 || vectors.Shape[0] != Config.VocabularySize || vectors.Shape[1] != Config.EmbeddingDim)
            throw new ArgumentException("SentimentClassifier.LoadWordVectors: vectors " +
                $"{Shapes.Format(vectors.Shape)} do not match the embedding ({Config.VocabularySize}, " +
                $"{Config.EmbeddingDim})");
        using (Autograd.NoGrad())
        {
            Embedding.Weight.CopyFrom(vectors.To(Embedding.Weight.DType));
            Embedding.Weight.Select(0, 0).Fill(0);
        }
        Embedding.Weight.RequiresGrad = !freeze;
    }

    /// <summary>Class scores of a padded batch.   ids (B, T) Int64, lengths (B) → logits (B, K).</summary>
    public Tensor Forward(Tensor ids, int[] lengths)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Rank != 2 || ids.DType != DType.Int64)
            throw new ArgumentException($"SentimentClassifier: ids {Shapes.Format(ids.Shape)} {ids.DType} must be " +
                "(B, T) Int64");
        var x = Drop.Forward(Embedding.Forward(ids));                    // (B, T, E)
        var (output, state) = Encoder.Forward(x, lengths: lengths);      // (B, T, D·H), H (D, B, H)
        var sentence = RecurrentEncoder.LastHidden(Encoder, state);      // (B, D·H)
        if (Config.Pooling == "concat") sentence = ConcatPool(sentence, output, lengths);  // (B, 3·D·H)
        return Head.Forward(Drop.Forward(sentence));                     // (B, K)
    }

    /// <summary>Starts the word vectors and the recurrent encoder from a pre-trained bidirectional language model
    /// (ULMFiT / ELMo-style transfer): the classifier must be a one-layer BiLSTM of the same vocabulary and widths.
    /// Only the head keeps its fresh weights. Every shape is checked before anything is copied.</summary>
    public void LoadEncoder(BiLstmLanguageModel languageModel)
    {
        ArgumentNullException.ThrowIfNull(languageModel);
        var lm = languageModel.Config;
        if (Config.Cell != "lstm" || !Config.Bidirectional || Encoder.NumLayers != 1 ||
            lm.VocabularySize != Config.VocabularySize || lm.EmbeddingDim != Config.EmbeddingDim ||
            lm.HiddenSize != Config.HiddenSize)
            throw new ArgumentException("SentimentClassifier.LoadEncoder: the language model (vocabulary " +
                $"{lm.VocabularySize}, embedding {lm.EmbeddingDim}, hidden {lm.HiddenSize}, bidirectional lstm) does " +
                $"not match this classifier (vocabulary {Config.VocabularySize}, embedding {Config.EmbeddingDim}, " +
                $"hidden {Config.HiddenSize}, {(Config.Bidirectional ? "bidirectional " : "")}{Config.Cell}, " +
                $"{Encoder.NumLayers} layers)");
        Encoder.LoadStateDict(languageModel.Encoder.StateDict());
        using (Autograd.NoGrad())
        {
            Embedding.Weight.CopyFrom(languageModel.Embedding.Weight);
            Embedding.Weight.Select(0, 0).Fill(0);
        }
    }

    /// <summary>ULMFiT's concat pooling: [final states, maximum over the real steps, mean over the real steps].
    /// last (B, F), output (B, T, F) with zeros at padded steps, lengths (B) → (B, 3F).</summary>
    public static Tensor ConcatPool(Tensor last, Tensor output, int[] lengths)
    {
        ArgumentNullException.ThrowIfNull(last);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(lengths);
        if (output.Rank != 3 || last.Rank != 2 || last.Size(0) != output.Size(0) || last.Size(1) != output.Size(2) ||
            lengths.Length != output.Size(0) || lengths.Any(l => l < 1 || l > output.Size(1)))
            throw new ArgumentException($"SentimentClassifier.ConcatPool: last {Shapes.Format(last.Shape)}, output " +
                $"{Shapes.Format(output.Shape)} and {lengths.Length} lengths must be (B, F), (B, T, F) and B values " +
                "in 1..T");
        // padded outputs are zero, so the sum over all steps is the sum over the real ones; for the maximum they
        // are pushed far below any real value first
        int B = output.Size(0), T = output.Size(1);
        var pad = new bool[B * T];
        for (int b = 0; b < B; b++) pad.AsSpan(b * T + lengths[b], T - lengths[b]).Fill(true);
        var max = output.MaskedFill(Tensor.From(pad, B, T, 1), -1e9).Max(1);               // (B, D·H)
        var count = Tensor.From([.. lengths.Select(l => (float)l)], B, 1).To(output.DType);
        var mean = output.Sum(1) / count;                                                   // (B, D·H)
        return Tensor.Cat([last, max, mean], 1);
    }

    /// <summary>The most likely class of each sentence, without gradients, in evaluation mode.</summary>
    public long[] Predict(Tensor ids, int[] lengths)
    {
        bool training = Training;
        this.Eval();
        try
        {
            using var _ = Autograd.NoGrad();
            return Forward(ids, lengths).ArgMax(1).ToArray<long>();
        }
        finally
        {
            this.Train(training);
        }
    }
}
