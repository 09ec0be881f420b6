using System.Diagnostics;
using Dendrite.Data;
using Dendrite.Models.Classic;
using Dendrite.Models.Sequence;
using Dendrite.Nn;
using Dendrite.Nn.Optim;

namespace Dendrite.Experiments.Recurrent;

/// <summary>Sentences as word ids with their labels (1 positive, 0 negative).</summary>
public sealed record LabelledSentences(IReadOnlyList<long[]> Ids, long[] Labels);

/// <summary>The sentiment task: a word vocabulary built on the training part and three disjoint parts.</summary>
public sealed record SentimentTask(Vocabulary Vocabulary, LabelledSentences Train, LabelledSentences Validation,
    LabelledSentences Test, string Source);

/// <summary>The outcome of training a sentiment classifier: test accuracy of the epoch with the best validation
/// accuracy (its weights are restored), and per-epoch curves.</summary>
public sealed record SentimentResult(double TestAccuracy, double ValidationAccuracy, int BestEpoch,
    double SecondsPerEpoch, IReadOnlyList<double> TrainLoss, IReadOnlyList<double> ValidationAccuracies);

/// <summary>How <see cref="SequenceTasks.FineTuneSentiment"/> trains a classifier with a pre-trained encoder.
/// </summary>
/// <param name="Epochs">Epochs in all, the frozen ones included.</param>
/// <param name="FrozenEpochs">Epochs at the start in which the embedding and the encoder stay fixed.</param>
/// <param name="HeadLr">Adam's rate for the head.</param>
/// <param name="EncoderLr">Adam's rate for the embedding and the encoder once they thaw.</param>
/// <param name="Batch">Sentences per batch (bucketed by length).</param>
public sealed record FineTuneSchedule(int Epochs = 10, int FrozenEpochs = 1, double HeadLr = 2e-3,
    double EncoderLr = 5e-4, int Batch = 32);

/// <summary>Text for a character language model: a training part and a later validation part.</summary>
public sealed record TextTask(string Train, string Validation, string Source);

/// <summary>Names with a condition class (0 female, 1 male), split at random into training and held-out parts.
/// </summary>
public sealed record NamesTask(IReadOnlyList<(string Name, long Gender)> Train,
    IReadOnlyList<(string Name, long Gender)> Validation, string Source);

/// <summary>A series to forecast: the last <paramref name="TestLength"/> values are held out; seasonal naive uses
/// <paramref name="Period"/>; <paramref name="Log"/> models log values (multiplicative seasonality).</summary>
public sealed record SeriesTask(string Name, double[] Values, int Period, int TestLength, int Window, bool Log,
    string Source);

/// <summary>MAE and MASE of one forecaster on a series' held-out final stretch.</summary>
public sealed record ForecastScore(string Series, string Method, double Mae, double Mase);

/// <summary>
/// The course's sequence tasks on real data (Pang and Lee's sentences, the npm first-name lists, Jane Austen's
/// novels, statsmodels' and R's series), or on small synthetic stand-ins for the quick forms and tests, with the
/// training loops shared by the experiments and <c>dendrite train --task</c>.
/// </summary>
public static class SequenceTasks
{
    /// <summary>The name-generator's end-of-name marker (also the start symbol).</summary>
    public const char NameBoundary = '\n';

    // ---------------------------------------------------------------- sentiment (many-to-one)

    /// <summary>Pang and Lee's 4,000 polarity sentences shuffled and split 80 / 10 / 10 (or 600 synthetic
    /// sentences whose label is the majority of a few cue words among fillers). Words are lower-cased runs of
    /// letters; the vocabulary holds the training words seen at least twice (counting the words of
    /// <paramref name="unlabelled"/> too when given: text to pre-train word vectors on, whose words then get ids).
    /// </summary>
    public static SentimentTask Sentiment(bool synthetic, Generator generator,
        IReadOnlyList<string[]>? unlabelled = null)
    {
        ArgumentNullException.ThrowIfNull(generator);
        var rows = synthetic ? SyntheticSentences(600, generator) : SentencePolarity.Sentences();
        var order = Tensor.Randperm(rows.Count, generator).ToArray<long>();
        int nTest = rows.Count / 10, nVal = rows.Count / 10, nTrain = rows.Count - nTest - nVal;
        var words = rows.Select(r => Vocabulary.Words(r.Text).ToArray()).ToArray();
        var vocabulary = Vocabulary.Build(order.Take(nTrain).SelectMany(i => words[i])
            .Concat(unlabelled?.SelectMany(w => w) ?? []), minCount: synthetic ? 1 : 2);
        LabelledSentences Part(IEnumerable<long> idx)
        {
            var list = idx.ToArray();
            return new LabelledSentences(
                [.. list.Select(i => words[i].Length == 0 ? [Vocabulary.UnknownId] : vocabulary.Encode(words[i]))],
                [.. list.Select(i => rows[(int)i].Label)]);
        }
        return new SentimentTask(vocabulary, Part(order.Take(nTrain)), Part(order.Skip(nTrain).Take(nVal)),
            Part(order.Skip(nTrain + nVal)),
            synthetic ? "synthetic cue-word sentences" : "Pang & Lee polarity sentences (python3-pattern)");
    }

    /// <summary>Trains with Adam on length-bucketed batches for <paramref name="epochs"/> epochs, keeps the weights
    /// of the epoch with the best validation accuracy, and scores them on the test part.</summary>
    public static SentimentResult TrainSentiment(SentimentClassifier model, SentimentTask task, int epochs,
        Generator generator, int batch = 32, double lr = 2e-3, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(task);
        return Fit(model, task, epochs, generator, batch, new Adam(model.Parameters(), lr), null, log);
    }

    /// <summary>Fine-tunes a classifier whose embedding and encoder were pre-trained (ULMFiT's recipe, Howard and
    /// Ruder, 2018): for the first <see cref="FineTuneSchedule.FrozenEpochs"/> epochs only the head learns (gradual
    /// unfreezing), then everything, the pre-trained layers at the lower <see cref="FineTuneSchedule.EncoderLr"/>
    /// (discriminative rates). Selection and scoring as in <see cref="TrainSentiment"/>.</summary>
    public static SentimentResult FineTuneSentiment(SentimentClassifier model, SentimentTask task,
        FineTuneSchedule schedule, Generator generator, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(schedule);
        var body = model.Embedding.Parameters().Concat(model.Encoder.Parameters()).ToList();
        var optimizer = new Adam([new ParamGroup(model.Head.Parameters(), schedule.HeadLr),
            new ParamGroup(body, schedule.EncoderLr)], schedule.HeadLr);
        void Unfreeze(int epoch)
        {
            // a frozen parameter never gets a gradient, so the optimizer skips it until it thaws
            foreach (var p in body) p.RequiresGrad = epoch > schedule.FrozenEpochs;
        }
        try
        {
            return Fit(model, task, schedule.Epochs, generator, schedule.Batch, optimizer, Unfreeze, log);
        }
        finally
        {
            foreach (var p in body) p.RequiresGrad = true;
        }
    }

    private static SentimentResult Fit(SentimentClassifier model, SentimentTask task, int epochs,
        Generator generator, int batch, Optimizer optimizer, Action<int>? beforeEpoch, Action<string>? log)
    {
        var train = task.Train;
        var losses = new List<double>();
        var accuracies = new List<double>();
        double best = -1;
        int bestEpoch = 0;
        Dictionary<string, Tensor>? bestState = null;
        var watch = Stopwatch.StartNew();
        for (int e = 1; e <= epochs; e++)
        {
            beforeEpoch?.Invoke(e);
            model.Train();
            double total = 0;
            var buckets = Sequences.Buckets([.. train.Ids.Select(s => s.Length)], batch, generator);
            foreach (var b in buckets)
            {
                using var scope = TensorScope.Begin();
                var (ids, lengths) = Sequences.Pad([.. b.Select(i => train.Ids[i])]);
                var y = Tensor.From([.. b.Select(i => train.Labels[i])], b.Length);
                optimizer.ZeroGrad();
                var loss = Losses.CrossEntropy(model.Forward(ids, lengths), y);
                loss.Backward();
                Clip.GradNorm(model.Parameters(), 5.0);
                optimizer.Step();
                total += loss.Item() * b.Length;
            }
            losses.Add(total / train.Ids.Count);
            double acc = Accuracy(model, task.Validation);
            accuracies.Add(acc);
            log?.Invoke($"  epoch {e}: train loss {losses[^1]:F4}, validation accuracy {acc:P1}");
            if (acc > best)
            {
                (best, bestEpoch) = (acc, e);
                bestState = model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Clone());
            }
        }
        double seconds = watch.Elapsed.TotalSeconds / Math.Max(epochs, 1);
        if (bestState is not null) model.LoadStateDict(bestState);
        return new SentimentResult(Accuracy(model, task.Test), best, bestEpoch, seconds, losses, accuracies);
    }

    /// <summary>Fraction of <paramref name="part"/> classified correctly.</summary>
    public static double Accuracy(SentimentClassifier model, LabelledSentences part)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(part);
        long correct = 0;
        for (int start = 0; start < part.Ids.Count; start += 256)
        {
            var idx = Enumerable.Range(start, Math.Min(256, part.Ids.Count - start)).ToArray();
            var (ids, lengths) = Sequences.Pad([.. idx.Select(i => part.Ids[i])]);
            var predicted = model.Predict(ids, lengths);
            for (int k = 0; k < idx.Length; k++) if (predicted[k] == part.Labels[idx[k]]) correct++;
        }
        return (double)correct / part.Ids.Count;
    }

    /// <summary>The bag-of-words baseline: word-presence features and an L2-regularised logistic regression with
    /// <paramref name="c"/> (sklearn's default 1). Returns validation and test accuracy.</summary>
    public static (double Validation, double Test) BagOfWordsBaseline(SentimentTask task, double c = 1)
    {
        ArgumentNullException.ThrowIfNull(task);
        int V = task.Vocabulary.Count;
        var lr = new LogisticRegression(c, maxIterations: 200);
        lr.Fit(BagOfWords.Features(task.Train.Ids, V), Tensor.From(task.Train.Labels));
        return (Hits(lr.Predict(BagOfWords.Features(task.Validation.Ids, V)), task.Validation.Labels),
            Hits(lr.Predict(BagOfWords.Features(task.Test.Ids, V)), task.Test.Labels));
    }

    private static double Hits(Tensor predicted, long[] labels)
    {
        var p = predicted.ToArray<long>();
        return (double)p.Zip(labels).Count(x => x.First == x.Second) / labels.Length;
    }

    internal static List<(string Text, long Label)> SyntheticSentences(int count, Generator g)
    {
        string[] good = ["good", "great", "fine", "lovely", "moving"], bad = ["bad", "dull", "awful", "weak", "flat"];
        string[] filler = ["the", "film", "plot", "was", "and", "a", "story", "its", "cast", "very", "of", "it"];
        var rows = new List<(string, long)>();
        for (int i = 0; i < count; i++)
        {
            long label = i % 2;
            int length = (int)g.NextInt64(4, 12), cues = (int)g.NextInt64(1, 4);
            var words = Enumerable.Range(0, length).Select(_ => filler[g.NextInt64(0, filler.Length)]).ToList();
            for (int c = 0; c < cues; c++)
            {
                var pool = (c == 0 || g.NextDouble() < 0.8) == (label == 1) ? good : bad;
                words.Insert((int)g.NextInt64(0, words.Count + 1), pool[g.NextInt64(0, pool.Length)]);
            }
            rows.Add((string.Join(' ', words), label));
        }
        return rows;
    }

    // ---------------------------------------------------------------- character language model (many-to-many)

    /// <summary>Jane Austen's first five novels to train on and the start of the sixth (Persuasion) to validate on;
    /// or a small synthetic text from a toy grammar for the quick form.</summary>
    public static TextTask Austen(bool synthetic, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        if (synthetic)
            return new TextTask(ToyText(6000, generator), ToyText(1500, generator), "synthetic toy-grammar text");
        var books = JaneAusten.Books();
        // the first 100,000 characters of the last novel validate: enough for a stable figure, cheap to score
        string validation = books[^1].Text[..Math.Min(100_000, books[^1].Text.Length)];
        return new TextTask(string.Join("\n\n", books.Take(books.Count - 1).Select(b => b.Text)), validation,
            "Jane Austen (r-cran-janeaustenr): train " +
            $"{string.Join(", ", books.Take(books.Count - 1).Select(b => b.Book))}" +
            $"; validation the first {validation.Length:N0} characters of {books[^1].Book}");
    }

    private static string ToyText(int chars, Generator g)
    {
        string[] subjects = ["the cat", "a dog", "my aunt", "the old man", "she"];
        string[] verbs = ["sat on", "looked at", "walked to", "spoke of", "found"];
        string[] objects = ["the mat", "a letter", "the house", "her sister", "the garden"];
        var sb = new System.Text.StringBuilder();
        while (sb.Length < chars)
        {
            sb.Append(subjects[g.NextInt64(0, subjects.Length)]).Append(' ').Append(verbs[g.NextInt64(0, verbs.Length)])
                .Append(' ').Append(objects[g.NextInt64(0, objects.Length)])
                .Append(g.NextDouble() < 0.3 ? ".\n" : ". ");
        }
        return sb.ToString(0, chars);
    }

    // ---------------------------------------------------------------- name generator (one-to-many)

    /// <summary>The npm female and male first-name lists (gender 0 and 1), lower-cased, shuffled, 90 % to train and
    /// 10 % held out; or 400 synthetic names from two syllable sets for the quick form.</summary>
    public static NamesTask Names(bool synthetic, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        List<(string, long)> all;
        if (synthetic)
        {
            string[][] syllables = [["ann", "el", "ia", "ly", "ra"], ["jo", "mar", "ton", "rik", "us"]];
            all = [.. Enumerable.Range(0, 400).Select(i =>
            {
                var s = syllables[i % 2];
                int n = (int)generator.NextInt64(2, 4);
                return (string.Concat(Enumerable.Range(0, n).Select(_ => s[generator.NextInt64(0, s.Length)])),
                    (long)(i % 2));
            })];
        }
        else
        {
            var (female, male) = FirstNames.Load();
            all = [.. female.Select(n => (n.ToLowerInvariant(), 0L)), .. male.Select(n => (n.ToLowerInvariant(), 1L))];
        }
        var order = Tensor.Randperm(all.Count, generator).ToArray<long>();
        int nVal = all.Count / 10;
        return new NamesTask([.. order.Skip(nVal).Select(i => all[(int)i])],
            [.. order.Take(nVal).Select(i => all[(int)i])],
            synthetic ? "synthetic syllable names" : "npm @stdlib female and male first names");
    }

    /// <summary>Every character of the names, plus the boundary: the name generator's alphabet.</summary>
    public static string NamesAlphabet(NamesTask task) =>
        CharLanguageModel.AlphabetOf(NameBoundary + string.Concat(task.Train.Select(n => n.Name)));

    /// <summary>One epoch over the names in shuffled, length-bucketed batches: each name is read as
    /// boundary + name and predicts name + boundary, conditioned on its gender. Returns the mean loss per character
    /// (nats).</summary>
    public static double TrainNamesEpoch(CharLanguageModel model, IReadOnlyList<(string Name, long Gender)> names,
        Optimizer optimizer, Generator generator, int batch = 64)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(optimizer);
        model.Train();
        double total = 0;
        long chars = 0;
        foreach (var b in Sequences.Buckets([.. names.Select(n => n.Name.Length + 1)], batch, generator))
        {
            using var scope = TensorScope.Begin();
            optimizer.ZeroGrad();
            var (loss, count) = NamesLoss(model, [.. b.Select(i => names[i])]);
            loss.Backward();
            Clip.GradNorm(model.Parameters(), 5.0);
            optimizer.Step();
            total += loss.Item() * count;
            chars += count;
        }
        return total / chars;
    }

    /// <summary>Mean loss per character (nats) of the names, end marker included, without gradients.</summary>
    public static double EvaluateNames(CharLanguageModel model, IReadOnlyList<(string Name, long Gender)> names)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(names);
        model.Eval();
        using var _ = Autograd.NoGrad();
        double total = 0;
        long chars = 0;
        for (int start = 0; start < names.Count; start += 512)
        {
            var (loss, count) = NamesLoss(model, [.. names.Skip(start).Take(512)]);
            total += loss.Item() * count;
            chars += count;
        }
        model.Train();
        return total / chars;
    }

    /// <summary>Held-out loss per character (nats) of a character bigram model with interpolated Kneser–Ney
    /// smoothing (discount picked on the held-out names; order 2: one character of context, the boundary marking
    /// a name's start), the baseline of the name generator.</summary>
    public static (double Nats, double Discount) BigramBaseline(NamesTask task)
    {
        ArgumentNullException.ThrowIfNull(task);
        string Join(IEnumerable<(string Name, long)> names) =>
            NameBoundary + string.Join(NameBoundary, names.Select(n => n.Name)) + NameBoundary;
        var model = new CharNGramModel(Join(task.Train), 2);
        string held = Join(task.Validation);
        var best = new[] { 0.5, 0.75, 0.9 }.Select(d => (Bits: model.BitsPerCharacter(held, 2, d), D: d))
            .MinBy(x => x.Bits);
        return (best.Bits * Math.Log(2), best.D);
    }

    private static (Tensor Loss, int Count) NamesLoss(CharLanguageModel model, (string Name, long Gender)[] names)
    {
        var inputs = names.Select(n => model.Encode(NameBoundary + n.Name)).ToList();
        var targets = names.Select(n => model.Encode(n.Name + NameBoundary)).ToList();
        var (x, lengths) = Sequences.Pad(inputs);
        var (y, _) = Sequences.Pad(targets);
        var gender = Tensor.From([.. names.Select(n => n.Gender)], names.Length);
        var (loss, _) = model.Loss(x, y, condition: gender, lengths: lengths);
        return (loss, lengths.Sum());
    }

    // ---------------------------------------------------------------- forecasting (many-to-one, one step ahead)

    /// <summary>Yearly sunspots (test: the last 40 years, period 11), Mauna Loa CO2 as monthly means (test: the
    /// last 96 months, period 12) and AirPassengers (test: the last 24 months, period 12, modelled in logs); or
    /// two synthetic seasonal series with trend and noise for the quick form.</summary>
    public static IReadOnlyList<SeriesTask> Series(bool synthetic, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        if (synthetic)
        {
            double[] Make(double trend) => [.. Enumerable.Range(0, 120).Select(t =>
                10 + trend * t + 3 * Math.Sin(2 * Math.PI * t / 12) + 0.3 * generator.NextGaussian())];
            return
            [
                new SeriesTask("synthetic-a", Make(0.05), 12, 24, 12, false, "synthetic"),
                new SeriesTask("synthetic-b", Make(0.0), 12, 24, 12, false, "synthetic"),
            ];
        }
        var sunspots = StatsmodelsSeries.Load("sunspots");
        var co2 = StatsmodelsSeries.Load("co2");
        var air = AirPassengers.Load();
        return
        [
            new SeriesTask("sunspots", sunspots.Values, 11, 40, 22, false, "statsmodels sunspots, yearly 1700-2008"),
            new SeriesTask("co2", MonthlyMeans(co2), 12, 96, 24, false, "statsmodels co2, weekly → monthly means"),
            new SeriesTask("air-passengers", air.Values, 12, 24, 24, true, "R AirPassengers, monthly 1949-1960"),
        ];
    }

    /// <summary>Trains a forecaster on the training part (standardised with its own mean and deviation) and scores
    /// its rolling one-step forecasts of the held-out stretch, next to the naive and seasonal-naive forecasts.
    /// MASE is scaled by the in-sample MAE of the one-step naive forecast.</summary>
    public static (List<ForecastScore> Scores, double[] Forecast, double Seconds) Forecast(SeriesTask task,
        ForecasterConfig config, int epochs, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(task);
        int n = task.Values.Length, from = n - task.TestLength;
        var values = task.Values;
        var modelled = task.Log ? [.. values.Select(v => Math.Log(v))] : values;
        var trainPart = modelled.Take(from).Select(v => (float)v).ToArray();
        var scaler = SeriesScaler.Fit(trainPart);
        var scaled = scaler.Transform([.. modelled.Select(v => (float)v)]);
        var model = new Forecaster(config with { Window = task.Window }, generator);
        var watch = Stopwatch.StartNew();
        model.Fit(scaled[..from], epochs, generator);
        double seconds = watch.Elapsed.TotalSeconds;
        var rolled = model.Rolling(scaled, from);
        double[] forecast =
            [.. rolled.Select(z => z * scaler.Std + scaler.Mean).Select(v => task.Log ? Math.Exp(v) : v)];
        var actual = values[from..];
        var training = values[..from];
        var scores = new List<ForecastScore>();
        void Score(string method, double[] f) => scores.Add(new ForecastScore(task.Name, method,
            ForecastBaselines.Mae(actual, f), ForecastBaselines.Mase(actual, f, training)));
        Score("naive", ForecastBaselines.Naive(values, from));
        Score($"seasonal naive (m = {task.Period})", ForecastBaselines.SeasonalNaive(values, task.Period, from));
        Score(config.Cell.ToUpperInvariant(), forecast);
        return (scores, forecast, seconds);
    }

    // Weeks → calendar months: the mean of the month's recorded weeks; a month without any is interpolated
    // linearly between its neighbours.
    private static double[] MonthlyMeans(TimeSeries weekly)
    {
        var months = weekly.Index.Select((d, i) => (Month: d[..7], V: weekly.Values[i]))
            .GroupBy(x => x.Month).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => g.Where(x => !double.IsNaN(x.V)).Select(x => x.V).DefaultIfEmpty(double.NaN).Average())
            .ToArray();
        for (int i = 0; i < months.Length; i++)
        {
            if (!double.IsNaN(months[i])) continue;
            int next = Array.FindIndex(months, i, v => !double.IsNaN(v));
            double before = i > 0 ? months[i - 1] : months[next];
            months[i] = next < 0 ? before : before + (months[next] - before) / (next - i + 1);
        }
        return months;
    }
}
