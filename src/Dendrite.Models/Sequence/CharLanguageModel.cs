using System.Globalization;
using Dendrite.Nn;

namespace Dendrite.Models.Sequence;

// A character-level language model (Karpathy, 2015, "The unreasonable effectiveness of recurrent neural networks";
// Graves, 2013, "Generating sequences with recurrent neural networks"): at every step the network reads one
// character and predicts the next, many-to-many with aligned inputs and outputs. Sampling feeds each drawn
// character back in (one-to-many), with a temperature τ: p ∝ exp(z / τ), so τ < 1 sharpens and τ > 1 flattens.
// An optional condition (a class such as a name's gender) is embedded and added to every step's input, which
// turns the model into a conditional generator.
// Shapes: B streams, T steps, V = alphabet + 1 ids (id 0: any character outside the alphabet), E embedding width,
// H hidden size.   ids (B, T) → embeddings (B, T, E) → hidden (B, T, H) → logits (B, T, V)

/// <summary>Hyper-parameters of a <see cref="CharLanguageModel"/>.</summary>
/// <param name="Alphabet">The characters it knows, each once; character i has id i + 1, id 0 stands for any other.
/// </param>
/// <param name="EmbeddingDim">Width of a character vector.</param>
/// <param name="HiddenSize">Hidden units of each recurrent layer.</param>
/// <param name="NumLayers">Stacked recurrent layers.</param>
/// <param name="Cell">rnn, lstm or gru.</param>
/// <param name="Conditions">Number of condition classes (0: unconditional).</param>
/// <param name="Dropout">Dropout between stacked layers, in training mode.</param>
public sealed record CharModelConfig(string Alphabet, int EmbeddingDim = 32, int HiddenSize = 256, int NumLayers = 1,
    string Cell = "lstm", int Conditions = 0, double Dropout = 0);

/// <summary>Character embedding + recurrent layers + linear read-out, with temperature sampling.
/// ids (B, T) Int64 → logits (B, T, V).</summary>
public sealed class CharLanguageModel : Module
{
    private readonly Dictionary<char, long> ids = [];

    /// <summary>Builds the layers; the recurrent weights come from <paramref name="generator"/>, the others from the
    /// default generator.</summary>
    public CharLanguageModel(CharModelConfig config, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (string.IsNullOrEmpty(config.Alphabet))
            throw new ArgumentException("CharLanguageModel: the alphabet is empty", nameof(config));
        for (int i = 0; i < config.Alphabet.Length; i++)
        {
            if (!ids.TryAdd(config.Alphabet[i], i + 1))
                throw new ArgumentException($"CharLanguageModel: the alphabet holds '{config.Alphabet[i]}' twice " +
                    $"(at {ids[config.Alphabet[i]] - 1} and {i})", nameof(config));
        }
        if (config.Conditions < 0)
            throw new ArgumentOutOfRangeException(nameof(config), $"CharLanguageModel: {config.Conditions} conditions");
        Config = config;
        Embedding = new Embedding(VocabularySize, config.EmbeddingDim);
        Condition = config.Conditions > 0 ? new Embedding(config.Conditions, config.EmbeddingDim) : null;
        Encoder = RecurrentEncoder.Create(config.Cell, config.EmbeddingDim, config.HiddenSize, config.NumLayers,
            dropout: config.Dropout, generator: generator);
        Head = new Linear(config.HiddenSize, VocabularySize);
    }

    /// <summary>The configuration it was built from.</summary>
    public CharModelConfig Config { get; }

    /// <summary>Character vectors (V, E).</summary>
    public Embedding Embedding { get; }

    /// <summary>Condition vectors (classes, E), added to every step's input; null when unconditional.</summary>
    public Embedding? Condition { get; }

    /// <summary>The recurrent layers.</summary>
    public RecurrentLayer Encoder { get; }

    /// <summary>Hidden state → scores of the next character.</summary>
    public Linear Head { get; }

    /// <summary>Alphabet + 1 (id 0 for characters outside it).</summary>
    public int VocabularySize => Config.Alphabet.Length + 1;

    /// <summary>The sorted distinct characters of <paramref name="text"/>: an alphabet for
    /// <see cref="CharModelConfig"/>.</summary>
    public static string AlphabetOf(string text) =>
        new([.. (text ?? throw new ArgumentNullException(nameof(text))).Distinct().Order()]);

    /// <summary>The id of every character (0 for one outside the alphabet).</summary>
    public long[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var result = new long[text.Length];
        for (int i = 0; i < text.Length; i++) result[i] = ids.GetValueOrDefault(text[i]);
        return result;
    }

    /// <summary>The characters of ids 1..V−1; id 0 becomes U+FFFD.</summary>
    public string Decode(IEnumerable<long> sequence)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        return new string([.. sequence.Select(id => id switch
        {
            0 => '\uFFFD',
            _ when id > 0 && id < VocabularySize => Config.Alphabet[(int)id - 1],
            _ => throw new ArgumentOutOfRangeException(nameof(sequence),
                $"CharLanguageModel.Decode: id {id} is outside 0..{VocabularySize - 1}"),
        })]);
    }

    /// <summary>Scores of the next character at every step, from <paramref name="state"/> (zeros when null).
    /// ids (B, T) Int64; condition (B) Int64 class ids when the model is conditional; lengths (B) when padded
    /// → logits (B, T, V) and the state after each sequence's last real step.</summary>
    public (Tensor Logits, RecurrentState State) Forward(Tensor ids, RecurrentState? state = null,
        Tensor? condition = null, int[]? lengths = null)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Rank != 2 || ids.DType != DType.Int64)
            throw new ArgumentException($"CharLanguageModel: ids {Shapes.Format(ids.Shape)} {ids.DType} must be " +
                "(B, T) Int64");
        var x = Embedding.Forward(ids);                                        // (B, T, E)
        if (Condition is not null)
        {
            if (condition is null || condition.Rank != 1 || condition.Size(0) != ids.Size(0))
                throw new ArgumentException($"CharLanguageModel: a model with {Config.Conditions} conditions needs " +
                    $"one condition id per sequence ({ids.Size(0)}), got " +
                    (condition is null ? "none" : Shapes.Format(condition.Shape)));
            x = x + Condition.Forward(condition).Unsqueeze(1);                 // (B, 1, E) broadcast over T
        }
        else if (condition is not null)
        {
            throw new ArgumentException("CharLanguageModel: this model is unconditional; pass no condition");
        }
        var (h, next) = Encoder.Forward(x, state, lengths);                    // (B, T, H)
        return (Head.Forward(h), next);                                        // (B, T, V)
    }

    /// <summary>Mean cross-entropy (nats per character) of predicting <paramref name="targets"/> (B, T) from
    /// <paramref name="ids"/> (B, T); with <paramref name="lengths"/>, only each row's first lengths[b] steps count.
    /// Returns the loss and the state after the chunk.</summary>
    public (Tensor Loss, RecurrentState State) Loss(Tensor ids, Tensor targets, RecurrentState? state = null,
        Tensor? condition = null, int[]? lengths = null)
    {
        ArgumentNullException.ThrowIfNull(targets);
        var (logits, next) = Forward(ids, state, condition, lengths);
        int B = ids.Size(0), T = ids.Size(1);
        if (!Shapes.Equal(targets.Shape, ids.Shape))
            throw new ArgumentException($"CharLanguageModel.Loss: targets {Shapes.Format(targets.Shape)} must match " +
                $"ids {Shapes.Format(ids.Shape)}");
        var flat = logits.Reshape(B * T, VocabularySize);
        if (lengths is null) return (Losses.CrossEntropy(flat, targets.Reshape(B * T)), next);
        var mask = new float[B * T];
        for (int b = 0; b < B; b++) mask.AsSpan(b * T, lengths[b]).Fill(1);
        var perStep = Losses.CrossEntropy(flat, targets.Reshape(B * T), reduction: Reduction.None);
        return ((perStep * Tensor.From(mask, B * T)).Sum() / lengths.Sum(), next);
    }

    /// <summary>Continues <paramref name="prompt"/> by sampling one character at a time at
    /// <paramref name="temperature"/> (0: always the most likely), until <paramref name="maxChars"/> characters or
    /// <paramref name="stop"/> (not included). Each character goes to <paramref name="emit"/> as it is drawn.
    /// Returns the generated characters (without the prompt).</summary>
    public string Sample(string prompt, int maxChars, double temperature, Generator generator, long? condition = null,
        char? stop = null, Action<char>? emit = null)
    {
        ArgumentNullException.ThrowIfNull(generator);
        if (string.IsNullOrEmpty(prompt))
            throw new ArgumentException("CharLanguageModel.Sample: the prompt must hold at least one character");
        if (temperature < 0 || double.IsNaN(temperature))
            throw new ArgumentOutOfRangeException(nameof(temperature), $"CharLanguageModel.Sample: temperature " +
                $"{temperature} must be ≥ 0");
        if (condition is long c && (Condition is null || c < 0 || c >= Config.Conditions))
            throw new ArgumentOutOfRangeException(nameof(condition), $"CharLanguageModel.Sample: condition {c} for " +
                $"a model with {Config.Conditions} conditions");
        if (Condition is not null && condition is null)
            throw new ArgumentException($"CharLanguageModel.Sample: this model needs a condition " +
                $"(0..{Config.Conditions - 1})");
        bool training = Training;
        this.Eval();
        try
        {
            using var _ = Autograd.NoGrad();
            var cond = condition is long k ? Tensor.From(new[] { k }, 1) : null;
            var input = Tensor.From(Encode(prompt), 1, prompt.Length);
            RecurrentState? state = null;
            var output = new System.Text.StringBuilder();
            for (int i = 0; i < maxChars; i++)
            {
                var (logits, next) = Forward(input, state, cond);
                state = next;
                var last = logits.Select(1, logits.Size(1) - 1).Reshape(VocabularySize).To(DType.Float64)
                    .ToArray<double>();
                long id = Draw(last, temperature, generator);
                char ch = Config.Alphabet[(int)id - 1];
                if (ch == stop) break;
                output.Append(ch);
                emit?.Invoke(ch);
                input = Tensor.From(new[] { id }, 1, 1);
            }
            return output.ToString();
        }
        finally
        {
            this.Train(training);
        }
    }

    /// <summary>What rebuilds the model from a checkpoint: <c>generator</c> (the kind <c>dendrite generate</c>
    /// dispatches on), the alphabet and the sizes; weights go beside it as <see cref="Module.StateDict"/>.</summary>
    public Dictionary<string, string> Metadata(string generator) => new()
    {
        ["generator"] = generator,
        ["alphabet"] = Config.Alphabet,
        ["cell"] = Config.Cell,
        ["embedding_dim"] = Config.EmbeddingDim.ToString(CultureInfo.InvariantCulture),
        ["hidden_size"] = Config.HiddenSize.ToString(CultureInfo.InvariantCulture),
        ["num_layers"] = Config.NumLayers.ToString(CultureInfo.InvariantCulture),
        ["conditions"] = Config.Conditions.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>The model a checkpoint written with <see cref="Metadata"/> describes, with its weights loaded
    /// (strictly: every name and shape must match). <paramref name="source"/> names the file in errors.</summary>
    public static CharLanguageModel FromCheckpoint(IReadOnlyDictionary<string, Tensor> tensors,
        IReadOnlyDictionary<string, string> metadata, string source)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentNullException.ThrowIfNull(metadata);
        string Get(string key) => metadata.TryGetValue(key, out var v)
            ? v
            : throw new ArgumentException($"{source}: metadata key '{key}' is missing, so the character model " +
                "cannot be rebuilt");
        int Int(string key) => int.TryParse(Get(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v)
            ? v
            : throw new ArgumentException($"{source}: metadata '{key}' = '{Get(key)}' is not an integer");
        var model = new CharLanguageModel(new CharModelConfig(Get("alphabet"), Int("embedding_dim"),
            Int("hidden_size"), Int("num_layers"), Get("cell"), Int("conditions")));
        model.LoadStateDict(tensors);
        return model;
    }

    // Id 0 (outside the alphabet) is never drawn: it has no character to print.
    private static long Draw(double[] logits, double temperature, Generator generator)
    {
        int best = 1;
        for (int v = 2; v < logits.Length; v++) if (logits[v] > logits[best]) best = v;
        if (temperature == 0) return best;
        var p = new double[logits.Length];
        double total = 0;
        for (int v = 1; v < logits.Length; v++) total += p[v] = Math.Exp((logits[v] - logits[best]) / temperature);
        double u = generator.NextDouble() * total;
        for (int v = 1; v < p.Length; v++)
        {
            u -= p[v];
            if (u < 0) return v;
        }
        return best;
    }
}
