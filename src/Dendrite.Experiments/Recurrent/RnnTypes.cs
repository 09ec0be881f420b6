using System.Diagnostics;
using Dendrite.Models.Sequence;
using Dendrite.Nn.Optim;

namespace Dendrite.Experiments.Recurrent;

/// <summary>The shapes of recurrent problems — one-to-one, many-to-one, one-to-many, many-to-many — each on one
/// of the course's real tasks, in one table.</summary>
public sealed class RnnTypes : Experiment
{
    /// <inheritdoc/>
    public override string Name => "rnn-types";

    /// <inheritdoc/>
    public override string Topic => "recurrent";

    /// <inheritdoc/>
    public override string Summary => "one-to-one, many-to-one, one-to-many and many-to-many, each on a real task";

    /// <inheritdoc/>
    public override string Claim => """
        Recurrent networks are sorted by the shapes of their input and output (Karpathy, 2015): one-to-one is a
        plain feed-forward map (a sentence as a fixed bag of words → a label); many-to-one reads a sequence and
        answers once (a sentence → its sentiment; a window of a series → the next value); one-to-many unrolls one
        input into a sequence (a gender and a first letter → a name); many-to-many emits one output per input step
        (each character → the next one).
        """;

    /// <inheritdoc/>
    public override void Run(ExperimentContext context)
    {
        var g = context.NewGenerator();
        var table = context.Table("types", "The four shapes, each on a task (short training: see the task " +
            "experiments for the full figures)", "type", "task", "input → output", "model", "metric", "value",
            "seconds");
        var watch = Stopwatch.StartNew();

        var sentiment = SequenceTasks.Sentiment(context.Quick, g);
        var (_, bowTest) = SequenceTasks.BagOfWordsBaseline(sentiment);
        table.Add("one-to-one", "sentiment", $"(V = {sentiment.Vocabulary.Count}) → (2)",
            "bag-of-words logistic regression", "test accuracy", bowTest, watch.Elapsed.TotalSeconds);

        watch.Restart();
        Generator.ManualSeed((ulong)context.Seed + 1);
        var classifier = new SentimentClassifier(new SentimentConfig(sentiment.Vocabulary.Count,
            context.Choose(64, 16), context.Choose(64, 16)), g);
        var s = SequenceTasks.TrainSentiment(classifier, sentiment, context.Choose(3, 1), g);
        table.Add("many-to-one", "sentiment", "(T words) → (2)", "LSTM, final state → linear", "test accuracy",
            s.TestAccuracy, watch.Elapsed.TotalSeconds);

        watch.Restart();
        var series = SequenceTasks.Series(context.Quick, g)[^1];
        Generator.ManualSeed((ulong)context.Seed + 2);
        var (scores, _, _) = SequenceTasks.Forecast(series, new ForecasterConfig(HiddenSize: context.Choose(32, 8)),
            context.Choose(40, 2), g);
        table.Add("many-to-one", $"forecasting {series.Name}", $"({series.Window} values) → (1)",
            "LSTM, final state → change", "MASE (seasonal naive: " + $"{scores[1].Mase:F3})", scores[^1].Mase,
            watch.Elapsed.TotalSeconds);

        watch.Restart();
        var names = SequenceTasks.Names(context.Quick, g);
        Generator.ManualSeed((ulong)context.Seed + 3);
        var generator = new CharLanguageModel(new CharModelConfig(SequenceTasks.NamesAlphabet(names),
            HiddenSize: context.Choose(128, 16), Conditions: 2), g);
        var optimizer = new Adam(generator.Parameters(), 3e-3);
        for (int e = 0; e < context.Choose(4, 1); e++)
            SequenceTasks.TrainNamesEpoch(generator, names.Train, optimizer, g);
        double nats = SequenceTasks.EvaluateNames(generator, names.Validation);
        string sample = string.Join(", ", Enumerable.Range(0, 3).Select(_ => "m" + generator.Sample(
            SequenceTasks.NameBoundary + "m", 20, 0.8, g, 0, SequenceTasks.NameBoundary)));
        table.Add("one-to-many", $"names (female, 'm…': {sample})", "(gender, first letter) → (T characters)",
            "LSTM, sampled step by step", "held-out nats / char", nats, watch.Elapsed.TotalSeconds);

        watch.Restart();
        var text = SequenceTasks.Austen(context.Quick, g);
        Generator.ManualSeed((ulong)context.Seed + 4);
        var lm = new CharLanguageModel(new CharModelConfig(CharLanguageModel.AlphabetOf(text.Train),
            HiddenSize: context.Choose(128, 16)), g);
        var (x, y) = CharStreams.Split(lm.Encode(text.Train), 32);
        var (xv, yv) = CharStreams.Split(lm.Encode(text.Validation), 32);
        CharStreams.TrainEpoch(lm, x, y, new Adam(lm.Parameters(), 3e-3), 64, maxChunks: context.Choose(60, 10));
        double bits = CharStreams.Evaluate(lm, xv, yv) / Math.Log(2);
        table.Add("many-to-many", "character language model (Austen)", "(T characters) → (T next characters)",
            "LSTM, read-out at every step", "validation bits / char", bits, watch.Elapsed.TotalSeconds);
        context.Setup("Each row trains briefly on its task's data (real data in the full form, synthetic stand-ins " +
            "in --quick): the point is the shape of each problem; `sentiment`, `names`, `char-lm` and `forecasting` " +
            "give the full figures.");
        context.Finding($"Same recurrent machinery, four shapes: one label from a bag ({bowTest:P1}), one label from " +
            $"a sequence ({s.TestAccuracy:P1}), a sequence from one input ({nats:F3} nats/char), one output per " +
            $"step ({bits:F3} bits/char).");
    }
}
