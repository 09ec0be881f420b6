using System.Diagnostics;
using Dendrite.IO;
using Dendrite.Models.Sequence;
using Dendrite.Nn.Optim;

namespace Dendrite.Experiments.Recurrent;

/// <summary>Many-to-many: a character LSTM language model on Jane Austen against the best character n-gram.
/// </summary>
public sealed class CharLm : Experiment
{
    /// <inheritdoc/>
    public override string Name => "char-lm";

    /// <inheritdoc/>
    public override string Topic => "recurrent";

    /// <inheritdoc/>
    public override string Summary => "character LSTM on Jane Austen: validation bits per character vs n-grams, " +
        "samples at three temperatures";

    /// <inheritdoc/>
    public override string Claim => """
        A character-level recurrent language model predicts each character from everything before it, through its
        hidden state, where an n-gram model sees only the last n − 1 characters (Karpathy, 2015; Graves, 2013).
        Trained on five of Jane Austen's novels, it reaches fewer bits per character on the sixth than the best
        smoothed character n-gram (n ≤ 5, interpolated Kneser–Ney, order and discount picked on the same
        validation text). Sampling with a temperature trades safety (τ < 1) for variety (τ > 1).
        """;

    /// <inheritdoc/>
    public override void Run(ExperimentContext context)
    {
        var g = context.NewGenerator();
        var task = SequenceTasks.Austen(context.Quick, g);
        int hidden = context.Choose(128, 32), epochs = context.Choose(1, 2), batch = context.Choose(64, 8);
        int bptt = context.Choose(100, 32);
        int? chunks = context.Choose<int?>(150, 20);
        context.Setup($"Data: {task.Source}; {task.Train.Length:N0} training and {task.Validation.Length:N0} " +
            "validation characters.");
        var watch = Stopwatch.StartNew();
        var (ngram, order, discount, scores) = CharNGramModel.Select(task.Train, task.Validation);
        double ngramSeconds = watch.Elapsed.TotalSeconds;
        var ngramTable = context.Table("ngram", "Character n-grams (interpolated Kneser–Ney): validation bits per " +
            "character", "n", "d = 0.5", "d = 0.75", "d = 0.9");
        for (int n = 1; n <= 5; n++)
            ngramTable.Add([n, .. scores.Where(s => s.Order == n).Select(s => (object)s.Bits)]);
        double ngramBits = scores.Min(s => s.Bits);

        Generator.ManualSeed((ulong)context.Seed + 31);
        var model = new CharLanguageModel(new CharModelConfig(CharLanguageModel.AlphabetOf(task.Train),
            EmbeddingDim: 32, HiddenSize: hidden), g);
        var (xTrain, yTrain) = CharStreams.Split(model.Encode(task.Train), batch);
        var (xVal, yVal) = CharStreams.Split(model.Encode(task.Validation), batch);
        var optimizer = new Adam(model.Parameters(), 3e-3);
        context.Setup($"LSTM: embedding 32, one layer of {hidden} units, linear read-out over {model.VocabularySize} " +
            $"ids; {batch} contiguous streams, truncated BPTT over {bptt} characters with the state carried, Adam " +
            $"lr 3e-3 (halved for each epoch after the first), gradient norm clipped at 1, {epochs} epoch(s) of " +
            (chunks is int k ? $"the first {k} chunks ({k * bptt * batch:N0} characters) each; " : "the whole text; ") +
            $"{model.ParameterCount():N0} parameters. Bits per character = cross-entropy / ln 2 on the validation " +
            "text.");
        var table = context.Table("bits", "Validation bits per character", "model", "epochs", "bits / char",
            "train seconds");
        table.Add($"best n-gram (n = {order}, d = {discount})", "-", ngramBits, ngramSeconds);
        var trainCurve = new List<double>();
        var valCurve = new List<double>();
        watch.Restart();
        for (int e = 1; e <= epochs; e++)
        {
            if (e > 1) foreach (var group in optimizer.Groups) group.Lr /= 2;
            double train = CharStreams.TrainEpoch(model, xTrain, yTrain, optimizer, bptt, maxChunks: chunks);
            double val = CharStreams.Evaluate(model, xVal, yVal);
            trainCurve.Add(train / Math.Log(2));
            valCurve.Add(val / Math.Log(2));
            context.Log($"epoch {e}: train {trainCurve[^1]:F3} bits/char, validation {valCurve[^1]:F3} " +
                $"({watch.Elapsed.TotalSeconds:F0} s)");
        }
        double lstmSeconds = watch.Elapsed.TotalSeconds;
        table.Add("LSTM", epochs, valCurve[^1], lstmSeconds);
        Plots.Line(context.Figure("bits-per-char", "Bits per character per epoch, with the best n-gram"),
            [Series.PerEpoch("LSTM train", trainCurve), Series.PerEpoch("LSTM validation", valCurve),
                Series.PerEpoch($"{order}-gram validation", [.. valCurve.Select(_ => ngramBits)])],
            new LineOptions
            {
                Title = "Character language model",
                XLabel = "epoch",
                YLabel = "bits / char",
                IntegerX = true,
            });
        var samples = context.Table("samples", "Samples continuing \"It is a truth\" (200 characters)",
            "temperature", "text");
        foreach (double t in new[] { 0.5, 1.0, 1.5 })
        {
            string text = model.Sample(context.Quick ? "the" : "It is a truth", context.Choose(200, 40), t, g);
            samples.Add(t, text.Replace("\n", " ⏎ ", StringComparison.Ordinal).Replace("|", "/",
                StringComparison.Ordinal));
        }
        context.Finding($"The LSTM reaches {valCurve[^1]:F3} bits per character on the validation text after " +
            $"{epochs} epochs ({lstmSeconds:F0} s); the best n-gram (n = {order}, d = {discount}) {ngramBits:F3}: " +
            (valCurve[^1] < ngramBits ? "the LSTM beats it." : "the LSTM does not beat it."));
    }
}
