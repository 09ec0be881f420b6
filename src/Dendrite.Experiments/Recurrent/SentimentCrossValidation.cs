using System.Diagnostics;
using Dendrite.Data;
using Dendrite.IO;
using Dendrite.Models.Sequence;

namespace Dendrite.Experiments.Recurrent;

/// <summary>One fold of <see cref="SentimentCrossValidation"/>: its test, validation and training sentences as
/// indices into the labelled set.</summary>
public sealed record SentimentFold(int[] Train, int[] Validation, int[] Test);

/// <summary>
/// Sentence sentiment measured by ten-fold cross-validation, the protocol of the sentence-polarity literature
/// (Pang and Lee's data has no fixed split): a BiLSTM language model pre-trained once on the full reviews only,
/// fine-tuned on each fold's training sentences, against the BiLSTM from scratch and the bag of words on the same
/// folds. Every sentence is a test sentence exactly once, so the mean over folds rests on all 4,000 sentences
/// rather than on 400.
/// </summary>
public sealed class SentimentCrossValidation : Experiment
{
    /// <inheritdoc/>
    public override string Name => "sentiment-cv";

    /// <inheritdoc/>
    public override string Topic => "recurrent";

    /// <inheritdoc/>
    public override string Summary =>
        "Pang & Lee sentences, ten-fold cross-validation: LM-pretrained BiLSTM vs from scratch vs bag of words";

    /// <inheritdoc/>
    public override string Claim => """
        A bidirectional LSTM whose encoder was pre-trained as a language model on about a million words of full
        movie reviews, then fine-tuned on the labelled sentences, reaches at least 75 % test accuracy on Pang and
        Lee's polarity sentences, measured the way that literature measures it, by ten-fold cross-validation, and
        beats the same BiLSTM from scratch and the bag-of-words logistic regression on the same folds.
        """;

    /// <summary>Splits <paramref name="count"/> items, shuffled by <paramref name="generator"/>, into
    /// <paramref name="folds"/> folds of (nearly) equal size; fold k tests on part k, validates on part k + 1 (mod
    /// folds) and trains on the rest, so every item is tested exactly once and never trains the model that tests
    /// it.</summary>
    public static SentimentFold[] Folds(int count, int folds, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        if (folds < 3 || folds > count)
            throw new ArgumentOutOfRangeException(nameof(folds), $"sentiment-cv: {folds} folds for {count} items");
        var order = Tensor.Randperm(count, generator).ToArray<long>().Select(i => (int)i).ToArray();
        int[] Part(int k) => order[(int)((long)k * count / folds)..(int)((long)(k + 1) * count / folds)];
        var parts = Enumerable.Range(0, folds).Select(Part).ToArray();
        return [.. Enumerable.Range(0, folds).Select(k => new SentimentFold(
            [.. Enumerable.Range(0, folds).Where(j => j != k && j != (k + 1) % folds).SelectMany(j => parts[j])],
            parts[(k + 1) % folds], parts[k]))];
    }

    /// <inheritdoc/>
    public override void Run(ExperimentContext context)
    {
        bool quick = context.Quick;
        var watch = Stopwatch.StartNew();
        var rows = quick ? SequenceTasks.SyntheticSentences(600, context.NewGenerator()) : SentencePolarity.Sentences();
        var words = rows.Select(r => Vocabulary.Words(r.Text).ToArray()).ToArray();
        long[] labels = [.. rows.Select(r => r.Label)];
        var reviews = SentimentTransfer.Reviews(quick, quick ? [] : rows, context.NewGenerator());
        // one vocabulary and one language model for every fold: both see the reviews only, never a labelled sentence
        var vocabulary = Vocabulary.Build(reviews.Lines.SelectMany(w => w), minCount: quick ? 1 : 2);
        var (lmTrain, lmValidation) = SentimentLm.LanguageModelCorpus(vocabulary, [], reviews, context.NewGenerator(),
            80);
        long lmWords = lmTrain.Sum(s => (long)s.Length);
        var (lmConfig, lmSchedule, fineTune, cache) = SentimentLm.Settings(context, vocabulary.Count, pretrainEpochs: 4);
        int folds = context.Choose(10, 3), scratchEpochs = context.Choose(10, 2);
        int scratchHidden = context.Choose(64, 16), scratchEmbedding = context.Choose(64, 16);
        var split = Folds(rows.Count, folds, context.NewGenerator());
        ulong runSeed = context.NewGenerator().NextUInt64();

        context.Setup($"Labelled data: {(quick ? "synthetic cue-word sentences" : "Pang & Lee polarity sentences " +
            "(python3-pattern)")}, {rows.Count:N0} sentences in {folds} folds drawn with the seed. Fold k tests on " +
            $"part k, selects its epoch on part k + 1 and trains on the other {folds - 2} parts " +
            $"({split[0].Train.Length:N0} / {split[0].Validation.Length:N0} / {split[0].Test.Length:N0} sentences), " +
            "so every sentence is scored exactly once, by models that never trained or selected on it.");
        context.Setup($"Unlabelled text: {reviews.Source}, {reviews.Reviews:N0} reviews, {reviews.Lines.Count:N0} " +
            $"lines; {reviews.Dropped} lines that share a run of {SentimentTransfer.SharedRun} words with any " +
            $"labelled sentence are left out. Vocabulary of the pre-trained models: the words seen at least twice in " +
            $"the reviews ({vocabulary.Count:N0} ids; no labelled sentence contributes). Language-model corpus: " +
            $"{lmTrain.Count:N0} rows ({lmWords:N0} words, review lines cut into pieces of at most 80 words), " +
            $"{lmValidation.Count:N0} review lines held out for perplexity.");
        context.Setup($"Language model (`BiLstmLanguageModel`, as in `sentiment-lm`): embedding " +
            $"{lmConfig.EmbeddingDim}, one bidirectional LSTM layer of {lmConfig.HiddenSize} units per direction, " +
            $"read-out tied to the embedding over the {Math.Min(lmConfig.OutputVocabulary, vocabulary.Count):N0} " +
            $"most frequent ids, dropout {lmConfig.Dropout}, Adam {lmSchedule.Lr} falling linearly to a tenth, " +
            $"batch {lmSchedule.Batch}, gradient norm clipped at {lmSchedule.Clip}, {lmSchedule.Epochs} epochs; " +
            "pre-trained once and shared by every fold.");
        context.Setup($"Per fold: the LM-pretrained BiLSTM fine-tuned as in `sentiment-lm` (concat pooling, dropout " +
            $"0.5, Adam {fineTune.HeadLr} head / {fineTune.EncoderLr} encoder, encoder frozen for " +
            $"{fineTune.FrozenEpochs} epoch, {fineTune.Epochs} epochs); the BiLSTM from scratch as in `sentiment` " +
            $"(vocabulary of the fold's training words seen twice, embedding {scratchEmbedding}, {scratchHidden} " +
            $"units per direction, Adam 2e-3, {scratchEpochs} epochs); both keep the weights of their best " +
            "validation epoch and score them once on the fold's test part; the bag-of-words logistic regression " +
            "(word presence, C = 1) on the from-scratch vocabulary.");

        var lm = LanguageModelPretraining.Pretrain(lmConfig, lmSchedule, vocabulary, lmTrain, lmValidation,
            context.NewGenerator(), cache, context.Log);
        SentimentLm.Tabulate(context, lm);

        var foldTable = context.Table("folds", "Test accuracy per fold (weights of each model's best validation " +
            "epoch)", "fold", "test sentences", "LM-pretrained BiLSTM", "its best epoch", "BiLSTM from scratch",
            "its best epoch (scratch)", "bag of words", "seconds");
        string source = quick ? "synthetic" : "Pang & Lee polarity sentences (python3-pattern)";
        var pre = new List<double>();
        var scratch = new List<double>();
        var bow = new List<double>();
        long preParameters = 0, scratchParameters = 0;
        for (int k = 0; k < split.Length; k++)
        {
            var fold = split[k];
            var foldWatch = Stopwatch.StartNew();
            var scratchVocabulary = Vocabulary.Build(fold.Train.SelectMany(i => words[i]), minCount: quick ? 1 : 2);
            SentimentTask Task(Vocabulary v)
            {
                LabelledSentences Part(int[] idx) => new(
                    [.. idx.Select(i => words[i].Length == 0 ? [Vocabulary.UnknownId] : v.Encode(words[i]))],
                    [.. idx.Select(i => labels[i])]);
                return new SentimentTask(v, Part(fold.Train), Part(fold.Validation), Part(fold.Test), source);
            }
            var preTask = Task(vocabulary);
            var scratchTask = Task(scratchVocabulary);
            ulong seed = runSeed + 1000UL * (ulong)(k + 1);

            context.Log($"fold {k + 1} of {split.Length}: LM-pretrained BiLSTM");
            var g = new Generator(seed);
            Generator.ManualSeed(seed + 17);
            var model = new SentimentClassifier(new SentimentConfig(vocabulary.Count, lmConfig.EmbeddingDim,
                lmConfig.HiddenSize, "lstm", true, Pooling: "concat"), g);
            preParameters = model.ParameterCount();
            model.LoadEncoder(lm.Model);
            var rp = SequenceTasks.FineTuneSentiment(model, preTask, fineTune, g, context.Log);

            context.Log($"fold {k + 1} of {split.Length}: BiLSTM from scratch");
            g = new Generator(seed + 1);
            Generator.ManualSeed(seed + 18);
            var fresh = new SentimentClassifier(new SentimentConfig(scratchVocabulary.Count, scratchEmbedding,
                scratchHidden, "lstm", true), g);
            scratchParameters = fresh.ParameterCount();
            var rs = SequenceTasks.TrainSentiment(fresh, scratchTask, scratchEpochs, g, log: context.Log);

            var (_, bowTest) = SequenceTasks.BagOfWordsBaseline(scratchTask);
            pre.Add(rp.TestAccuracy);
            scratch.Add(rs.TestAccuracy);
            bow.Add(bowTest);
            context.Log($"fold {k + 1}: pre-trained {rp.TestAccuracy:P2}, scratch {rs.TestAccuracy:P2}, " +
                $"bag of words {bowTest:P2} ({foldWatch.Elapsed.TotalSeconds:F0} s)");
            foldTable.Add(k + 1, fold.Test.Length, Pct(rp.TestAccuracy), rp.BestEpoch, Pct(rs.TestAccuracy),
                rs.BestEpoch, Pct(bowTest), foldWatch.Elapsed.TotalSeconds.ToString("F0"));
        }

        // the folds differ in size by at most one sentence: the pooled accuracy is every sentence scored once
        double Pooled(List<double> acc) =>
            split.Select((f, k) => acc[k] * f.Test.Length).Sum() / split.Sum(f => f.Test.Length);
        var summary = context.Table("accuracy", $"Sentence sentiment, {folds}-fold cross-validation: test accuracy " +
            "over all sentences (each scored once), and mean ± standard deviation over folds", "model", "vocabulary",
            "parameters", "test accuracy (all sentences)", "mean ± sd over folds", "lowest fold", "highest fold");
        summary.Add("BiLSTM, LM-pretrained, fine-tuned", $"{vocabulary.Count:N0}", preParameters, Pct(Pooled(pre)),
            $"{Pct(pre.Average())} ± {100 * Sd(pre):F1}", Pct(pre.Min()), Pct(pre.Max()));
        summary.Add("BiLSTM from scratch", "per fold", scratchParameters, Pct(Pooled(scratch)),
            $"{Pct(scratch.Average())} ± {100 * Sd(scratch):F1}", Pct(scratch.Min()), Pct(scratch.Max()));
        summary.Add("bag-of-words logistic regression", "per fold", "vocabulary + 1", Pct(Pooled(bow)),
            $"{Pct(bow.Average())} ± {100 * Sd(bow):F1}", Pct(bow.Min()), Pct(bow.Max()));

        Plots.Line(context.Figure("fold-accuracy", "Test accuracy per fold"),
            [Series.PerEpoch("BiLSTM, LM-pretrained", pre), Series.PerEpoch("BiLSTM from scratch", scratch),
                Series.PerEpoch("bag of words", bow)],
            new LineOptions
            {
                Title = $"Sentence sentiment, {folds}-fold cross-validation",
                XLabel = "fold",
                YLabel = "test accuracy",
                IntegerX = true,
            });

        int wins = pre.Zip(scratch).Count(x => x.First > x.Second);
        int bowWins = pre.Zip(bow).Count(x => x.First > x.Second);
        context.Finding($"Language model: held-out perplexity {Math.Exp(lm.ValidationNats[^1]):F1} after " +
            $"{lm.ValidationNats.Count} epochs ({lm.Seconds:F0} s of pre-training" +
            $"{(lm.FromCache ? ", saved by an earlier run and reused" : "")}).");
        context.Finding($"The LM-pretrained BiLSTM scores {Pct(Pooled(pre))} over all {rows.Count:N0} sentences " +
            $"({folds}-fold cross-validation): {(Pooled(pre) >= 0.75 ? "at or above" : "below")} the 75 % target; " +
            $"from scratch {Pct(Pooled(scratch))}, bag of words {Pct(Pooled(bow))}. The pre-trained model is ahead " +
            $"of the one from scratch on {wins} of {folds} folds and of the bag of words on {bowWins}. Whole run " +
            $"{watch.Elapsed.TotalSeconds:F0} s.");
    }

    private static string Pct(double x) => $"{100 * x:F2} %";

    private static double Sd(List<double> xs)
    {
        if (xs.Count < 2) return 0;
        double m = xs.Average();
        return Math.Sqrt(xs.Sum(x => (x - m) * (x - m)) / (xs.Count - 1));
    }
}
