using System.Diagnostics;
using Dendrite.Models.Sequence;
using Dendrite.Nn.Optim;

namespace Dendrite.Experiments.Recurrent;

/// <summary>LSTM, GRU (and a plain RNN for reference) on the same tasks: quality, parameters, time per epoch.
/// </summary>
public sealed class LstmVsGru : Experiment
{
    /// <inheritdoc/>
    public override string Name => "lstm-vs-gru";

    /// <inheritdoc/>
    public override string Topic => "recurrent";

    /// <inheritdoc/>
    public override string Summary => "LSTM vs GRU (and RNN) on sentiment, names and Austen: quality, parameters, " +
        "seconds per epoch";

    /// <inheritdoc/>
    public override string Claim => """
        The GRU (Cho et al., 2014) merges the LSTM's forget and input gates into one update gate and drops the
        separate cell state: three gate blocks instead of four, so about 3/4 of the LSTM's parameters and time per
        step for the same hidden size. Empirically the two perform about the same on most tasks (Chung et al.,
        2014; Jozefowicz et al., 2015), both clearly better than a plain RNN on long dependencies.
        """;

    /// <inheritdoc/>
    public override void Run(ExperimentContext context)
    {
        string[] cells = ["lstm", "gru", "rnn"];
        var table = context.Table("comparison", "Same task, same hidden size, same training: LSTM, GRU, RNN", "task",
            "cell", "parameters", "epochs", "metric", "value", "seconds / epoch");
        var g = context.NewGenerator();
        var sentiment = SequenceTasks.Sentiment(context.Quick, g);
        var names = SequenceTasks.Names(context.Quick, g);
        var text = SequenceTasks.Austen(context.Quick, g);
        int sentimentEpochs = context.Choose(3, 1), namesEpochs = context.Choose(4, 1);
        int chunks = context.Choose(60, 8), hidden = context.Choose(128, 16);
        context.Setup($"Hidden size {hidden} for every cell. Sentiment: embedding 64, bidirectional, " +
            $"{sentimentEpochs} " +
            $"epochs, test accuracy of the best validation epoch. Names: gender-conditioned, {namesEpochs} epochs, " +
            $"held-out nats per character. Austen: one pass of {chunks} chunks (32 streams × 64 characters), " +
            "validation bits per character; its 'epoch' is that pass.");
        var quality = new Dictionary<(string, string), double>();
        foreach (var cell in cells)
        {
            var cg = context.NewGenerator();
            Generator.ManualSeed((ulong)context.Seed + 11);
            var classifier = new SentimentClassifier(new SentimentConfig(sentiment.Vocabulary.Count,
                context.Choose(64, 16), hidden, cell, Bidirectional: true), cg);
            var r = SequenceTasks.TrainSentiment(classifier, sentiment, sentimentEpochs, cg);
            table.Add("sentiment", cell.ToUpperInvariant(), classifier.ParameterCount(), sentimentEpochs,
                "test accuracy", r.TestAccuracy, r.SecondsPerEpoch);
            quality[("sentiment", cell)] = r.TestAccuracy;

            Generator.ManualSeed((ulong)context.Seed + 12);
            var namer = new CharLanguageModel(new CharModelConfig(SequenceTasks.NamesAlphabet(names),
                HiddenSize: hidden, Cell: cell, Conditions: 2), cg);
            var optimizer = new Adam(namer.Parameters(), 3e-3);
            var watch = Stopwatch.StartNew();
            for (int e = 0; e < namesEpochs; e++) SequenceTasks.TrainNamesEpoch(namer, names.Train, optimizer, cg);
            double seconds = watch.Elapsed.TotalSeconds / namesEpochs;
            double nats = SequenceTasks.EvaluateNames(namer, names.Validation);
            table.Add("names", cell.ToUpperInvariant(), namer.ParameterCount(), namesEpochs, "held-out nats / char",
                nats, seconds);
            quality[("names", cell)] = nats;

            Generator.ManualSeed((ulong)context.Seed + 13);
            var lm = new CharLanguageModel(new CharModelConfig(CharLanguageModel.AlphabetOf(text.Train),
                HiddenSize: hidden, Cell: cell), cg);
            var (x, y) = CharStreams.Split(lm.Encode(text.Train), 32);
            var (xv, yv) = CharStreams.Split(lm.Encode(text.Validation), 32);
            watch.Restart();
            CharStreams.TrainEpoch(lm, x, y, new Adam(lm.Parameters(), 3e-3), 64, maxChunks: chunks);
            seconds = watch.Elapsed.TotalSeconds;
            double bits = CharStreams.Evaluate(lm, xv, yv) / Math.Log(2);
            table.Add("austen", cell.ToUpperInvariant(), lm.ParameterCount(), 1, "validation bits / char", bits,
                seconds);
            quality[("austen", cell)] = bits;
            context.Log($"{cell}: sentiment {r.TestAccuracy:P1}, names {nats:F3}, austen {bits:F3}");
        }
        context.Finding($"Sentiment test accuracy: LSTM {quality[("sentiment", "lstm")]:P1}, GRU " +
            $"{quality[("sentiment", "gru")]:P1}, RNN {quality[("sentiment", "rnn")]:P1}.");
        context.Finding($"Names held-out nats/char: LSTM {quality[("names", "lstm")]:F3}, GRU " +
            $"{quality[("names", "gru")]:F3}, RNN {quality[("names", "rnn")]:F3}.");
        context.Finding($"Austen validation bits/char after {chunks} chunks: LSTM {quality[("austen", "lstm")]:F3}, " +
            $"GRU {quality[("austen", "gru")]:F3}, RNN {quality[("austen", "rnn")]:F3}.");
    }
}
