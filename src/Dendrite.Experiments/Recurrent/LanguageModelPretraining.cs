using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Dendrite.Data;
using Dendrite.IO;
using Dendrite.Models.Sequence;
using Dendrite.Nn;
using Dendrite.Nn.Optim;

namespace Dendrite.Experiments.Recurrent;

/// <summary>A pre-trained bidirectional language model with what it took: the validation loss (nats per predicted
/// word) after each epoch, the training loss per epoch, and the wall time of the pre-training.</summary>
public sealed record PretrainedLanguageModel(BiLstmLanguageModel Model, IReadOnlyList<double> ValidationNats,
    IReadOnlyList<double> TrainNats, double Seconds, bool FromCache);

/// <summary>How <see cref="LanguageModelPretraining.Pretrain"/> trains a <see cref="BiLstmLanguageModel"/>.</summary>
/// <param name="Epochs">Passes over the corpus.</param>
/// <param name="Lr">Adam's rate, falling linearly to a tenth over the run.</param>
/// <param name="Batch">Sentences per batch (bucketed by length).</param>
/// <param name="Clip">Gradient-norm clipping.</param>
public sealed record PretrainSchedule(int Epochs = 3, double Lr = 2e-3, int Batch = 64, double Clip = 1.0);

/// <summary>The pre-training loop of a <see cref="BiLstmLanguageModel"/> over sentences of word ids (shuffled,
/// length-bucketed batches), its held-out evaluation, and a safetensors cache so that fine-tuning can be iterated
/// without pre-training again.</summary>
public static class LanguageModelPretraining
{
    /// <summary>One epoch in shuffled, length-bucketed batches with Adam; the rate of every group is set by
    /// <paramref name="rate"/> (from the fraction of the run done, 0..1) before each step. Returns the mean loss per
    /// predicted word (nats).</summary>
    public static double FitEpoch(BiLstmLanguageModel model, IReadOnlyList<long[]> corpus, Optimizer optimizer,
        Generator generator, int batch, double clip, Func<double, double>? rate = null, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(optimizer);
        model.Train();
        double total = 0, window = 0;
        long count = 0, windowCount = 0;
        var batches = Sequences.Buckets([.. corpus.Select(s => s.Length)], batch, generator);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        for (int k = 0; k < batches.Count; k++)
        {
            using var scope = TensorScope.Begin();
            var (ids, lengths) = Sequences.Pad([.. batches[k].Select(i => corpus[i])]);
            var (loss, n) = model.Loss(ids, lengths);
            if (loss is null) continue;
            if (rate is not null)
            {
                double lr = rate((double)k / batches.Count);
                foreach (var g in optimizer.Groups) g.Lr = lr;
            }
            optimizer.ZeroGrad();
            loss.Backward();
            Clip.GradNorm(model.Parameters(), clip);
            optimizer.Step();
            double l = loss.Item() * n;
            (total, count, window, windowCount) = (total + l, count + n, window + l, windowCount + n);
            if (log is not null && (k + 1) % 100 == 0)
            {
                log($"    batch {k + 1}/{batches.Count}: loss {window / windowCount:F3} nats, " +
                    $"{watch.Elapsed.TotalSeconds:F0} s");
                (window, windowCount) = (0, 0);
            }
        }
        return count == 0 ? double.NaN : total / count;
    }

    /// <summary>Mean loss per predicted word (nats) of <paramref name="corpus"/> without gradients, in evaluation
    /// mode; exp of it is the perplexity over the output vocabulary, both directions averaged.</summary>
    public static double Evaluate(BiLstmLanguageModel model, IReadOnlyList<long[]> corpus, int batch = 128)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(corpus);
        bool training = model.Training;
        model.Eval();
        try
        {
            using var _ = Autograd.NoGrad();
            double total = 0;
            long count = 0;
            foreach (var b in Sequences.Buckets([.. corpus.Select(s => s.Length)], batch))
            {
                using var scope = TensorScope.Begin();
                var (ids, lengths) = Sequences.Pad([.. b.Select(i => corpus[i])]);
                var (loss, n) = model.Loss(ids, lengths);
                if (loss is null) continue;
                total += loss.Item() * n;
                count += n;
            }
            return count == 0 ? double.NaN : total / count;
        }
        finally
        {
            model.Train(training);
        }
    }

    /// <summary>Pre-trains a fresh model on <paramref name="train"/>, evaluating on <paramref name="validation"/>
    /// after every epoch; Adam with the rate falling linearly from <see cref="PretrainSchedule.Lr"/> to a tenth of
    /// it. With a <paramref name="cachePath"/>, a model saved there by an earlier run with the same configuration,
    /// schedule and vocabulary is loaded instead, and a freshly trained one is saved there.</summary>
    public static PretrainedLanguageModel Pretrain(BiLmConfig config, PretrainSchedule schedule, Vocabulary vocabulary,
        IReadOnlyList<long[]> train, IReadOnlyList<long[]> validation, Generator generator, string? cachePath = null,
        Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(schedule);
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(validation);
        var model = new BiLstmLanguageModel(config, generator);
        string key = CacheKey(config, schedule, vocabulary, train, validation);
        if (cachePath is not null && File.Exists(cachePath))
        {
            var (tensors, meta) = Safetensors.Load(cachePath);
            if (meta.GetValueOrDefault("key") == key)
            {
                model.LoadStateDict(tensors);
                log?.Invoke($"  pre-trained language model loaded from {cachePath}");
                return new PretrainedLanguageModel(model, Numbers(meta["validation_nats"]),
                    Numbers(meta["train_nats"]), double.Parse(meta["seconds"], CultureInfo.InvariantCulture), true);
            }
            log?.Invoke($"  {cachePath} was made with other settings or data: pre-training again");
        }
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var optimizer = new Adam(model.Parameters(), schedule.Lr);
        var trainNats = new List<double>();
        var validationNats = new List<double>();
        for (int e = 0; e < schedule.Epochs; e++)
        {
            int epoch = e;
            double Rate(double within) =>
                schedule.Lr * (1 - 0.9 * (epoch + within) / schedule.Epochs);
            trainNats.Add(FitEpoch(model, train, optimizer, generator, schedule.Batch, schedule.Clip, Rate, log));
            validationNats.Add(Evaluate(model, validation));
            log?.Invoke($"  language model epoch {e + 1}: train {trainNats[^1]:F3} nats, validation " +
                $"{validationNats[^1]:F3} nats (perplexity {Math.Exp(validationNats[^1]):F1}), " +
                $"{watch.Elapsed.TotalSeconds:F0} s");
        }
        double seconds = watch.Elapsed.TotalSeconds;
        if (cachePath is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(cachePath))!);
            Safetensors.Save(cachePath, model.StateDict(), new Dictionary<string, string>
            {
                ["key"] = key,
                ["validation_nats"] = Join(validationNats),
                ["train_nats"] = Join(trainNats),
                ["seconds"] = seconds.ToString("R", CultureInfo.InvariantCulture),
                ["config"] = config.ToString(),
                ["schedule"] = schedule.ToString(),
            });
            log?.Invoke($"  pre-trained language model saved to {cachePath}");
        }
        return new PretrainedLanguageModel(model, validationNats, trainNats, seconds, false);
    }

    // what the saved model depends on: settings, every word of the vocabulary and of the corpus
    private static string CacheKey(BiLmConfig config, PretrainSchedule schedule, Vocabulary vocabulary,
        IReadOnlyList<long[]> train, IReadOnlyList<long[]> validation)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"{config}|{schedule}|{string.Join('\n', vocabulary.Tokens)}"));
        foreach (var part in new[] { train, validation })
        {
            foreach (var s in part)
            {
                hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(s.AsSpan()));
                hash.AppendData([0xFF]);
            }
            hash.AppendData([0xFE]);
        }
        return Convert.ToHexString(hash.GetHashAndReset());
    }

    private static string Join(IEnumerable<double> xs) =>
        string.Join(' ', xs.Select(x => x.ToString("R", CultureInfo.InvariantCulture)));

    private static double[] Numbers(string s) => [.. s.Split(' ', StringSplitOptions.RemoveEmptyEntries)
        .Select(x => double.Parse(x, CultureInfo.InvariantCulture))];
}
