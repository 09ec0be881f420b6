using System.Diagnostics;
using Dendrite.Data;
using Dendrite.IO;
using Dendrite.Models.Sequence;

namespace Dendrite.Experiments.Recurrent;

/// <summary>Sentence sentiment with the whole recurrent encoder pre-trained as a bidirectional language model on
/// in-domain reviews (ULMFiT / ELMo-style), then fine-tuned, against the BiLSTM from scratch and the bag of words.
/// </summary>
public sealed class SentimentLm : Experiment
{
    /// <inheritdoc/>
    public override string Name => "sentiment-lm";

    /// <inheritdoc/>
    public override string Topic => "recurrent";

    /// <inheritdoc/>
    public override string Summary => "Pang & Lee sentences: a BiLSTM pre-trained as a language model, then fine-tuned";

    /// <inheritdoc/>
    public override string Claim => """
        Word vectors alone carry little of what a sentence classifier needs; a language model pre-trains the whole
        encoder, so the LSTM already tracks negation, contrast and phrase structure before it sees a label
        (ULMFiT, Howard and Ruder, 2018; ELMo, Peters et al., 2018). A bidirectional LSTM language model trained on
        about a million words of Pang and Lee's full movie reviews, then fine-tuned on the 3,200 labelled sentences
        with a concat-pooling head, discriminative learning rates and gradual unfreezing, reaches at least 75 % test
        accuracy, above the same BiLSTM from scratch and the bag-of-words baseline.
        """;

    private sealed record Variant(string Label, bool Pretrained, int FrozenEpochs, int Seeds);

    /// <inheritdoc/>
    public override void Run(ExperimentContext context)
    {
        bool quick = context.Quick;
        var watch = Stopwatch.StartNew();
        // the split of `sentiment` and `sentiment-pretrained`: the same generators in the same order
        var (scratch, reviews, task, splitSeed) = SentimentTransfer.Splits(context, "sentiment-lm");
        // language-model corpus: review lines (a random 2 % held out to validate on) and the training sentences
        var (lmTrain, lmValidation) = LanguageModelCorpus(task, reviews, context.NewGenerator(), maxWords: 80);
        long lmWords = lmTrain.Sum(s => (long)s.Length);
        var (lmConfig, lmSchedule, fineTune, cache) = Settings(context, task.Vocabulary.Count, pretrainEpochs: 1);
        int scratchEpochs = context.Choose(10, 2), scratchHidden = context.Choose(64, 16);
        int seeds = context.Choose(3, 1), scratchSeeds = context.Choose(2, 1);
        int outputIds = lmConfig.OutputVocabulary == 0
            ? task.Vocabulary.Count
            : Math.Min(lmConfig.OutputVocabulary, task.Vocabulary.Count);

        context.Setup($"Labelled data: {scratch.Source}; {scratch.Train.Ids.Count} training, " +
            $"{scratch.Validation.Ids.Count} validation, {scratch.Test.Ids.Count} test sentences, the split of " +
            "`sentiment` and `sentiment-pretrained` with the same seed.");
        context.Setup($"Unlabelled text: {reviews.Source}, {reviews.Reviews:N0} reviews, {reviews.Lines.Count:N0} " +
            $"lines; {reviews.Dropped} lines left out because they share a run of {SentimentTransfer.SharedRun} " +
            $"words with a labelled sentence. Language-model corpus: {lmTrain.Count:N0} rows ({lmWords:N0} words: " +
            $"the review lines, cut into pieces of at most 80 words, and the {task.Train.Ids.Count:N0} training " +
            $"sentences; never validation or test), {lmValidation.Count:N0} review lines held out to validate on.");
        context.Setup($"Language model: `BiLstmLanguageModel`, vocabulary {task.Vocabulary.Count:N0} ids (words " +
            $"seen at least twice in the training sentences and reviews), embedding {lmConfig.EmbeddingDim}, one " +
            $"bidirectional LSTM layer of {lmConfig.HiddenSize} units per direction; the forward half predicts the " +
            $"next word, the backward half the previous one, through a projection to the embedding width and the " +
            $"tied embedding over the {outputIds:N0} " +
            $"most frequent ids (rarer targets count as unknown); dropout {lmConfig.Dropout} on word vectors and " +
            $"outputs; Adam {lmSchedule.Lr} falling linearly to a tenth, batch {lmSchedule.Batch} bucketed by " +
            $"length, gradient norm clipped at {lmSchedule.Clip}, {lmSchedule.Epochs} epochs. Perplexity is over " +
            "that output vocabulary, both directions averaged.");
        context.Setup($"Fine-tuning: the classifier takes the embedding and the BiLSTM of the language model and " +
            $"a fresh linear head on concat pooling (final states, max and mean over the sentence's words, " +
            $"{6 * lmConfig.HiddenSize} features), dropout 0.5 on word vectors and pooled features; Adam with " +
            $"rate {fineTune.HeadLr} for the head and {fineTune.EncoderLr} for the embedding and LSTM " +
            $"(discriminative rates), which stay frozen for the first {fineTune.FrozenEpochs} epoch(s) (gradual " +
            $"unfreezing); batch {fineTune.Batch} bucketed by length, gradient norm clipped at 5, " +
            $"{fineTune.Epochs} epochs, the weights of the best validation epoch scored once on the test part. " +
            $"BiLSTM from scratch as in `sentiment`: embedding 64, {scratchHidden} units per direction, Adam 2e-3, " +
            $"{scratchEpochs} epochs. {seeds} seeds for the pre-trained BiLSTM and {scratchSeeds} from scratch (the " +
            "seeds of `sentiment-pretrained`; a seed sets the initial head or weights, dropout and batch order, the " +
            "language model is one); mean ± standard deviation over seeds. The bag of words is fitted on a second " +
            "thread while the classifiers train.");

        var lm = LanguageModelPretraining.Pretrain(lmConfig, lmSchedule, task.Vocabulary, lmTrain, lmValidation,
            context.NewGenerator(), cache, context.Log);
        SentimentLm.Tabulate(context, lm);
        // the bag of words (an L-BFGS fit, slow on a loaded machine) runs on its own thread while the classifiers
        // train, after the pre-training so that it does not slow that down
        var bow = Task.Run(() =>
        {
            var w = Stopwatch.StartNew();
            var (val, test) = SequenceTasks.BagOfWordsBaseline(scratch);
            return (Val: val, Test: test, Seconds: w.Elapsed.TotalSeconds);
        });

        var table = context.Table("accuracy", "Sentence sentiment: validation and test accuracy (weights of the " +
            "best validation epoch), mean ± standard deviation over seeds", "model", "vocabulary",
            "parameters", "seeds", "best epochs", "validation accuracy", "test accuracy", "test accuracy per seed",
            "seconds per run");
        Variant[] variants =
        [
            new("BiLSTM, LM-pretrained, fine-tuned", true, fineTune.FrozenEpochs, seeds),
            new("BiLSTM from scratch", false, 0, scratchSeeds),
        ];
        var curves = new List<Series>();
        var summary = new List<(Variant V, double Val, double Test, double Sd)>();
        foreach (var v in variants)
        {
            var t = v.Pretrained ? task : scratch;
            var config = v.Pretrained
                ? new SentimentConfig(t.Vocabulary.Count, lmConfig.EmbeddingDim, lmConfig.HiddenSize, "lstm", true,
                    Pooling: "concat")
                : new SentimentConfig(t.Vocabulary.Count, context.Choose(64, 16), scratchHidden, "lstm", true);
            var runs = new List<SentimentResult>();
            long parameters = 0;
            var runWatch = Stopwatch.StartNew();
            for (int s = 0; s < v.Seeds; s++)
            {
                var g = new Generator(splitSeed + 1000UL * (ulong)(s + 1));
                Generator.ManualSeed(splitSeed + 1000UL * (ulong)(s + 1) + 17);
                var model = new SentimentClassifier(config, g);
                parameters = model.ParameterCount();
                context.Log($"{v.Label}, seed {s}:");
                if (v.Pretrained)
                {
                    model.LoadEncoder(lm.Model);
                    runs.Add(SequenceTasks.FineTuneSentiment(model, t, fineTune with { FrozenEpochs = v.FrozenEpochs },
                        g, context.Log));
                }
                else
                {
                    runs.Add(SequenceTasks.TrainSentiment(model, t, scratchEpochs, g, log: context.Log));
                }
                if (s == 0) curves.Add(Series.PerEpoch(v.Label, runs[^1].ValidationAccuracies));
            }
            var tests = runs.Select(r => r.TestAccuracy).ToArray();
            double val = runs.Average(r => r.ValidationAccuracy), mean = tests.Average(), sd = Sd(tests);
            summary.Add((v, val, mean, sd));
            table.Add(v.Label, t.Vocabulary.Count, parameters, v.Seeds,
                string.Join(" ", runs.Select(r => r.BestEpoch)), Pct(val), $"{Pct(mean)} ± {100 * sd:F1}",
                string.Join(" ", tests.Select(Pct)), (runWatch.Elapsed.TotalSeconds / v.Seeds).ToString("F0"));
        }
        var (bowVal, bowTest, bowSeconds) = bow.GetAwaiter().GetResult();
        table.Add("bag-of-words logistic regression", scratch.Vocabulary.Count, scratch.Vocabulary.Count + 1, "-",
            "-", Pct(bowVal), Pct(bowTest), "-", bowSeconds.ToString("F0"));
        context.Log($"bag of words: validation {bowVal:P1}, test {bowTest:P1}");

        Plots.Line(context.Figure("validation-accuracy", "Validation accuracy per epoch (first seed)"), curves,
            new LineOptions
            {
                Title = "Sentence sentiment, from scratch and LM-pretrained",
                XLabel = "epoch",
                YLabel = "validation accuracy",
                IntegerX = true,
            });
        Plots.Line(context.Figure("lm-perplexity", "Language model: held-out perplexity per epoch"),
            [Series.PerEpoch("validation perplexity", [.. lm.ValidationNats.Select(Math.Exp)])],
            new LineOptions
            {
                Title = "Bidirectional LSTM language model",
                XLabel = "epoch",
                YLabel = "perplexity",
                IntegerX = true,
            });

        var scratchBi = summary.First(x => !x.V.Pretrained);
        var chosen = summary.Where(x => x.V.Pretrained).MaxBy(x => x.Val);
        context.Finding($"Language model: held-out perplexity {Math.Exp(lm.ValidationNats[^1]):F1} after " +
            $"{lm.ValidationNats.Count} epochs ({lm.Seconds:F0} s of pre-training" +
            $"{(lm.FromCache ? ", saved by an earlier run and reused" : "")}).");
        context.Finding($"Bag of words: test {Pct(bowTest)}; BiLSTM from scratch: {Pct(scratchBi.Test)} ± " +
            $"{100 * scratchBi.Sd:F1}.");
        context.Finding($"The LM-pretrained variant with the best mean validation accuracy, \"{chosen.V.Label}\" " +
            $"(validation {Pct(chosen.Val)}), scores {Pct(chosen.Test)} ± {100 * chosen.Sd:F1} on the test part: " +
            $"{(chosen.Test >= 0.75 ? "at or above" : "below")} the 75 % target, " +
            $"{(chosen.Test > scratchBi.Test ? "above" : "not above")} the BiLSTM from scratch and " +
            $"{(chosen.Test > bowTest ? "above" : "not above")} the bag of words. Whole run " +
            $"{watch.Elapsed.TotalSeconds:F0} s.");
    }

    /// <summary>The language model's training rows (review lines cut into pieces of at most
    /// <paramref name="maxWords"/> words, then the task's training sentences) and validation rows (a random 2 % of
    /// the review lines, at least one), as ids of the task's vocabulary.</summary>
    public static (List<long[]> Train, List<long[]> Validation) LanguageModelCorpus(SentimentTask task,
        ReviewLines reviews, Generator generator, int maxWords)
    {
        ArgumentNullException.ThrowIfNull(task);
        return LanguageModelCorpus(task.Vocabulary, task.Train.Ids, reviews, generator, maxWords);
    }

    /// <summary><see cref="LanguageModelCorpus(SentimentTask, ReviewLines, Generator, int)"/> with a vocabulary and
    /// the labelled sentences to add to the training rows (none for a model shared by several splits).</summary>
    public static (List<long[]> Train, List<long[]> Validation) LanguageModelCorpus(Vocabulary vocabulary,
        IReadOnlyList<long[]> sentences, ReviewLines reviews, Generator generator, int maxWords)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentNullException.ThrowIfNull(sentences);
        ArgumentNullException.ThrowIfNull(reviews);
        int n = reviews.Lines.Count, held = Math.Max(1, n / 50);
        var order = Tensor.Randperm(n, generator).ToArray<long>();
        var validation = order.Take(held).Select(i => vocabulary.Encode(reviews.Lines[(int)i])).ToList();
        var train = new List<long[]>();
        foreach (long i in order.Skip(held))
        {
            var ids = vocabulary.Encode(reviews.Lines[(int)i]);
            for (int start = 0; start < ids.Length; start += maxWords)
                train.Add(ids[start..Math.Min(ids.Length, start + maxWords)]);
        }
        train.AddRange(sentences);
        return (train, validation);
    }

    /// <summary>The settings of the LM-pretrained route shared by `sentiment-lm` and `sentiment-cv`: the language
    /// model over <paramref name="vocabulary"/> ids, its pre-training (<paramref name="pretrainEpochs"/> epochs in the
    /// full form), the fine-tuning, and where the pre-trained model is cached (none for the quick form).</summary>
    internal static (BiLmConfig Lm, PretrainSchedule Pretrain, FineTuneSchedule FineTune, string? Cache) Settings(
        ExperimentContext context, int vocabulary, int pretrainEpochs)
    {
        var lm = context.Choose(new BiLmConfig(vocabulary, EmbeddingDim: 96, HiddenSize: 128,
            OutputVocabulary: 3_000, Dropout: 0.3), new BiLmConfig(vocabulary, 16, 16, 0, 0.1));
        var pretrain = context.Choose(new PretrainSchedule(Epochs: pretrainEpochs, Lr: 2e-3, Batch: 64),
            new PretrainSchedule(Epochs: 1, Lr: 5e-3, Batch: 32));
        var fineTune = context.Choose(new FineTuneSchedule(Epochs: 10, FrozenEpochs: 1, HeadLr: 2e-3,
            EncoderLr: 1e-3), new FineTuneSchedule(Epochs: 2, FrozenEpochs: 1, HeadLr: 5e-3, EncoderLr: 2e-3));
        string? cache = context.Quick ? null : Path.Combine(Path.GetDirectoryName(context.Directory)!, "cache",
            $"{context.Experiment.Name}-seed{context.Seed}.safetensors");
        return (lm, pretrain, fineTune, cache);
    }

    /// <summary>The language model's table (loss per predicted word and perplexity per epoch) and a log line with
    /// its pre-training time.</summary>
    internal static void Tabulate(ExperimentContext context, PretrainedLanguageModel lm)
    {
        var lmTable = context.Table("language-model", "Bidirectional LSTM language model: loss per predicted " +
            "word and perplexity (held-out review lines)", "epoch", "training nats", "validation nats",
            "validation perplexity");
        for (int e = 0; e < lm.ValidationNats.Count; e++)
        {
            lmTable.Add(e + 1, lm.TrainNats[e].ToString("F3"), lm.ValidationNats[e].ToString("F3"),
                Math.Exp(lm.ValidationNats[e]).ToString("F1"));
        }
        context.Log($"language model: {lm.Seconds:F0} s of pre-training{(lm.FromCache ? " (an earlier run's)" : "")}");
    }

    private static string Pct(double x) => $"{100 * x:F2} %";

    private static double Sd(double[] xs)
    {
        if (xs.Length < 2) return 0;
        double m = xs.Average();
        return Math.Sqrt(xs.Sum(x => (x - m) * (x - m)) / (xs.Length - 1));
    }
}
