using System.Diagnostics;
using Dendrite.Data;
using Dendrite.IO;
using Dendrite.Models.Sequence;

namespace Dendrite.Experiments.Recurrent;

/// <summary>Sentence sentiment with word vectors pre-trained on in-domain reviews (skip-gram with negative
/// sampling), against the same LSTM, BiLSTM and bag of words trained from scratch.</summary>
public sealed class SentimentPretrained : Experiment
{
    /// <inheritdoc/>
    public override string Name => "sentiment-pretrained";

    /// <inheritdoc/>
    public override string Topic => "recurrent";

    /// <inheritdoc/>
    public override string Summary => "Pang & Lee sentences: skip-gram vectors from 1,500 full reviews vs from scratch";

    /// <inheritdoc/>
    public override string Claim => """
        With 3,200 labelled sentences, word vectors learnt from scratch cover few words and over-fit. Word vectors
        pre-trained on unlabelled in-domain text (skip-gram with negative sampling, Mikolov et al., 2013, on about
        a million words of Pang and Lee's full movie reviews) give every word of the reviews a meaning before the
        classifier sees a label; a BiLSTM started from them reaches at least 75 % test accuracy on the sentences,
        above the same BiLSTM from scratch and the bag-of-words baseline.
        """;

    private sealed record Variant(string Label, bool Bidirectional, bool Pretrained, bool Freeze, bool Weak,
        int Seeds);

    /// <inheritdoc/>
    public override void Run(ExperimentContext context)
    {
        var watch = Stopwatch.StartNew();
        // the split of `sentiment`, once per vocabulary
        var (scratch, reviews, task, splitSeed) = SentimentTransfer.Splits(context, "sentiment-pretrained");
        // the bag of words (an L-BFGS fit, slow on a loaded machine) runs on its own thread meanwhile
        var bow = Task.Run(() =>
        {
            var w = Stopwatch.StartNew();
            var (val, test) = SequenceTasks.BagOfWordsBaseline(scratch);
            return (Val: val, Test: test, Seconds: w.Elapsed.TotalSeconds);
        });
        long reviewWords = reviews.Lines.Sum(l => (long)l.Length);
        int epochs = context.Choose(10, 2), hidden = context.Choose(64, 16), embedding = context.Choose(64, 16);
        int seeds = context.Choose(2, 1), weakEpochs = 1, weakLimit = context.Choose(10_000, 200);
        var skipGram = context.Choose(new SkipGramConfig(Dimension: 100, Window: 5, Negatives: 5, Epochs: 3),
            new SkipGramConfig(Dimension: 16, Window: 3, Negatives: 3, Epochs: 2));
        context.Setup($"Labelled data: {scratch.Source}; {scratch.Train.Ids.Count} training, " +
            $"{scratch.Validation.Ids.Count} validation, {scratch.Test.Ids.Count} test sentences, the split of " +
            "`sentiment` with the same seed (the same for every model).");
        context.Setup($"Unlabelled text: {reviews.Source}, {reviews.Reviews:N0} reviews, {reviews.Lines.Count:N0} " +
            $"lines and {reviewWords:N0} words kept; {reviews.Dropped} lines left out because they share a run of " +
            $"{SentimentTransfer.SharedRun} words with one of the labelled sentences ({reviews.ExactMatches} " +
            "labelled sentences occur verbatim among the lines).");
        context.Setup($"Vocabularies: from scratch {scratch.Vocabulary.Count:N0} ids (training words seen at least " +
            $"twice); pre-trained {task.Vocabulary.Count:N0} ids (words seen at least twice in the training " +
            "sentences and the reviews together), plus padding and unknown in both.");
        context.Setup($"Skip-gram: D = {skipGram.Dimension}, window ≤ {skipGram.Window}, {skipGram.Negatives} noise " +
            $"words, subsampling t = {skipGram.Subsample}, {skipGram.Epochs} epochs, lr {skipGram.LearningRate} " +
            "falling linearly, on the review lines plus the training sentences (never validation or test).");
        context.Setup($"Recurrent models: one layer of {hidden} units per direction; embedding {embedding} from " +
            $"scratch or {skipGram.Dimension} pre-trained; dropout 0.5 on the word vectors and the sentence vector; " +
            $"Adam lr 2e-3, batch 32 bucketed by length, gradient norm clipped at 5, {epochs} epochs; the weights " +
            "of the best validation epoch are kept and scored once on the test part. The weak-label variant first " +
            $"trains {weakEpochs} epoch on up to {weakLimit:N0} review lines of 4 to 40 words, each labelled with " +
            $"its review's polarity. The from-scratch and fine-tuned BiLSTMs run {seeds} seeds (initial weights, " +
            "dropout and batch order), the others one; the table gives mean ± standard deviation over seeds. The " +
            "bag of words is fitted on a second thread while the recurrent models train.");

        var (vectors, skipLosses) = SentimentTransfer.WordVectors(task, reviews, skipGram, context.NewGenerator(),
            context.Log);
        double skipSeconds = watch.Elapsed.TotalSeconds;
        context.Log($"data and skip-gram vectors: {skipSeconds:F0} s, loss per epoch " +
            string.Join(", ", skipLosses.Select(l => l.ToString("F3"))));
        ShowNeighbours(context, task.Vocabulary, vectors);

        var table = context.Table("accuracy", "Sentence sentiment: validation and test accuracy (weights of the " +
            "best validation epoch), mean ± standard deviation over seeds", "model", "vocabulary",
            "trained parameters", "seeds", "best epochs", "validation accuracy", "test accuracy",
            "test accuracy per seed", "seconds per run");

        Variant[] variants =
        [
            new("BiLSTM from scratch", true, false, false, false, seeds),
            new("BiLSTM, skip-gram vectors fine-tuned", true, true, false, false, seeds),
            new("BiLSTM, skip-gram vectors frozen", true, true, true, false, 1),
            new("BiLSTM, skip-gram vectors fine-tuned, weak-label stage", true, true, false, true, 1),
            new("LSTM from scratch", false, false, false, false, 1),
        ];
        var curves = new List<Series>();
        var summary = new List<(Variant V, double Val, double Test, double Sd)>();
        foreach (var v in variants)
        {
            var t = v.Pretrained ? task : scratch;
            var config = new SentimentConfig(t.Vocabulary.Count, v.Pretrained ? skipGram.Dimension : embedding,
                hidden, "lstm", v.Bidirectional);
            var runs = new List<SentimentResult>();
            long trained = 0;
            var runWatch = Stopwatch.StartNew();
            for (int s = 0; s < v.Seeds; s++)
            {
                var g = new Generator(splitSeed + 1000UL * (ulong)(s + 1));
                Generator.ManualSeed(splitSeed + 1000UL * (ulong)(s + 1) + 17);
                var model = new SentimentClassifier(config, g);
                if (v.Pretrained) model.LoadWordVectors(vectors, v.Freeze);
                trained = model.Parameters().Where(p => p.RequiresGrad).Sum(p => p.Numel);
                context.Log($"{v.Label}, seed {s}:");
                if (v.Weak)
                {
                    var weak = SentimentTransfer.WeakTask(t, reviews, g, weakLimit);
                    context.Log($"  weak-label stage on {weak.Train.Ids.Count:N0} review lines");
                    SequenceTasks.TrainSentiment(model, weak, weakEpochs, g, log: context.Log);
                }
                runs.Add(SequenceTasks.TrainSentiment(model, t, epochs, g, log: context.Log));
                if (s == 0) curves.Add(Series.PerEpoch(v.Label, runs[^1].ValidationAccuracies));
            }
            var tests = runs.Select(r => r.TestAccuracy).ToArray();
            double val = runs.Average(r => r.ValidationAccuracy), mean = tests.Average(), sd = Sd(tests);
            summary.Add((v, val, mean, sd));
            table.Add(v.Label, t.Vocabulary.Count, trained, v.Seeds, string.Join(" ", runs.Select(r => r.BestEpoch)),
                Pct(val), $"{Pct(mean)} ± {100 * sd:F1}", string.Join(" ", tests.Select(Pct)),
                (runWatch.Elapsed.TotalSeconds / v.Seeds).ToString("F0"));
        }
        var (bowVal, bowTest, bowSeconds) = bow.GetAwaiter().GetResult();
        table.Add("bag-of-words logistic regression", scratch.Vocabulary.Count, scratch.Vocabulary.Count + 1, "-",
            "-", Pct(bowVal), Pct(bowTest), "-", bowSeconds.ToString("F0"));
        context.Log($"bag of words: validation {bowVal:P1}, test {bowTest:P1}");
        Plots.Line(context.Figure("validation-accuracy", "Validation accuracy per epoch (first seed)"), curves,
            new LineOptions
            {
                Title = "Sentence sentiment, from scratch and pre-trained",
                XLabel = "epoch",
                YLabel = "validation accuracy",
                IntegerX = true,
            });

        var scratchBi = summary.First(x => x.V.Bidirectional && !x.V.Pretrained);
        var chosen = summary.Where(x => x.V.Bidirectional && x.V.Pretrained).MaxBy(x => x.Val);
        context.Finding($"Bag of words: test {Pct(bowTest)}; BiLSTM from scratch: {Pct(scratchBi.Test)} ± " +
            $"{100 * scratchBi.Sd:F1}.");
        context.Finding($"The pre-trained BiLSTM variant with the best mean validation accuracy, " +
            $"\"{chosen.V.Label}\" (validation {Pct(chosen.Val)}), scores {Pct(chosen.Test)} ± " +
            $"{100 * chosen.Sd:F1} on the test part: {(chosen.Test >= 0.75 ? "at or above" : "below")} the 75 % " +
            $"target, {(chosen.Test > scratchBi.Test ? "above" : "not above")} the BiLSTM from scratch and " +
            $"{(chosen.Test > bowTest ? "above" : "not above")} the bag of words.");
    }

    private static void ShowNeighbours(ExperimentContext context, Vocabulary vocabulary, Tensor vectors)
    {
        // cosine neighbours of a few sentiment words, a sanity check of the vectors
        int v = vectors.Shape[0], d = vectors.Shape[1];
        var x = vectors.ToArray<float>();
        var norms = Enumerable.Range(0, v).Select(i =>
            Math.Sqrt(Enumerable.Range(0, d).Sum(k => (double)x[i * d + k] * x[i * d + k])) + 1e-12).ToArray();
        foreach (var word in new[] { "good", "bad", "boring", "great" })
        {
            int id = vocabulary[word];
            if (id == Vocabulary.UnknownId) continue;
            var near = Enumerable.Range(2, v - 2).Where(i => i != id)
                .Select(i => (I: i, Cos: Enumerable.Range(0, d).Sum(k => (double)x[i * d + k] * x[id * d + k]) /
                    (norms[i] * norms[id])))
                .OrderByDescending(p => p.Cos).Take(6);
            context.Log($"  nearest to '{word}': " + string.Join(", ", near.Select(p =>
                $"{vocabulary.Tokens[p.I]} {p.Cos:F2}")));
        }
    }

    private static string Pct(double x) => $"{100 * x:F2} %";

    private static double Sd(double[] xs)
    {
        if (xs.Length < 2) return 0;
        double m = xs.Average();
        return Math.Sqrt(xs.Sum(x => (x - m) * (x - m)) / (xs.Length - 1));
    }
}
