using Dendrite.IO;
using Dendrite.Models.Sequence;

namespace Dendrite.Experiments.Recurrent;

/// <summary>Many-to-one: sentence sentiment with an LSTM, a BiLSTM and a bag-of-words logistic regression.</summary>
public sealed class Sentiment : Experiment
{
    /// <inheritdoc/>
    public override string Name => "sentiment";

    /// <inheritdoc/>
    public override string Topic => "recurrent";

    /// <inheritdoc/>
    public override string Summary => "LSTM, BiLSTM and bag-of-words logistic regression on Pang & Lee's sentences";

    /// <inheritdoc/>
    public override string Claim => """
        A recurrent network reads a sentence word by word and classifies it from its final hidden state
        (many-to-one). Reading it in both directions (a bidirectional LSTM, Schuster and Paliwal, 1997) gives every
        word both its left and right context. On short movie-review sentences (Pang and Lee, 2005) a BiLSTM reaches
        at least 75 % test accuracy; the bag-of-words logistic regression, which ignores word order, is the
        baseline to report it against.
        """;

    /// <inheritdoc/>
    public override void Run(ExperimentContext context)
    {
        var task = SequenceTasks.Sentiment(context.Quick, context.NewGenerator());
        int epochs = context.Choose(10, 2), hidden = context.Choose(64, 16), embedding = context.Choose(64, 16);
        context.Setup($"Data: {task.Source}; {task.Train.Ids.Count} training, {task.Validation.Ids.Count} " +
            $"validation, {task.Test.Ids.Count} test sentences (shuffled with the run's seed); vocabulary " +
            $"{task.Vocabulary.Count} words (training words seen at least twice, plus padding and unknown).");
        context.Setup($"Recurrent models: embedding {embedding}, one layer of {hidden} units per direction, the " +
            "final " +
            $"hidden state (at each sentence's last real word) → dropout 0.5 → linear, dropout 0.5 on the word vectors too; Adam lr 2e-3, batch 32 " +
            $"bucketed by length, gradient norm clipped at 5, {epochs} epochs; the weights of the epoch with the " +
            "best validation accuracy are kept and scored once on the test part.");
        var table = context.Table("accuracy", "Sentence sentiment: test accuracy (weights of the best validation " +
            "epoch)", "model", "parameters", "best epoch", "validation accuracy", "test accuracy", "seconds / epoch");
        var (bowVal, bowTest) = SequenceTasks.BagOfWordsBaseline(task);
        table.Add("bag-of-words logistic regression", task.Vocabulary.Count + 1, "-", bowVal, bowTest, "-");
        context.Log($"bag of words: validation {bowVal:P1}, test {bowTest:P1}");
        var curves = new List<Series>();
        var results = new Dictionary<string, SentimentResult>();
        foreach (var (label, bidirectional) in new[] { ("LSTM", false), ("BiLSTM", true) })
        {
            var g = context.NewGenerator();
            Generator.ManualSeed((ulong)context.Seed + 17);
            var model = new SentimentClassifier(new SentimentConfig(task.Vocabulary.Count, embedding, hidden,
                "lstm", bidirectional), g);
            context.Log($"{label}:");
            var r = SequenceTasks.TrainSentiment(model, task, epochs, g, log: context.Log);
            results[label] = r;
            table.Add(label, model.ParameterCount(), r.BestEpoch, r.ValidationAccuracy, r.TestAccuracy,
                r.SecondsPerEpoch);
            curves.Add(Series.PerEpoch(label, r.ValidationAccuracies));
        }
        Plots.Line(context.Figure("validation-accuracy", "Validation accuracy per epoch"), curves,
            new LineOptions
            {
                Title = "Sentence sentiment",
                XLabel = "epoch",
                YLabel = "validation accuracy",
                IntegerX = true,
            });
        context.Finding($"Bag-of-words logistic regression (word presence, C = 1): test accuracy {bowTest:P1}.");
        foreach (var (label, r) in results)
        {
            context.Finding($"{label}: test accuracy {r.TestAccuracy:P1} (best validation epoch {r.BestEpoch} of " +
                $"{epochs}), {(r.TestAccuracy >= 0.75 ? "at or above" : "below")} the 75 % target, " +
                $"{(r.TestAccuracy > bowTest ? "above" : "not above")} the bag-of-words baseline.");
        }
    }
}
