using Dendrite.Data;
using Dendrite.Models.Sequence;

namespace Dendrite.Experiments.Recurrent;

/// <summary>The lines of the full reviews, as words, each with its review's polarity (1 positive, 0 negative),
/// after removing every line that shares a run of <see cref="SentimentTransfer.SharedRun"/> words with a labelled
/// sentence. <paramref name="Dropped"/> counts the removed lines, <paramref name="ExactMatches"/> the labelled
/// sentences found verbatim (as words) among the lines.</summary>
public sealed record ReviewLines(IReadOnlyList<string[]> Lines, long[] Labels, int Reviews, int Dropped,
    int ExactMatches, string Source);

/// <summary>
/// The transfer route for sentence sentiment: unlabelled (and weakly labelled) in-domain text, skip-gram word
/// vectors learnt from it, and classifiers that start from them. The text is Pang and Lee's 1,500 full movie
/// reviews (polarity dataset, <c>pang&amp;lee1</c>), a different source from the 4,000 sentences.
/// </summary>
public static class SentimentTransfer
{
    /// <summary>A review line sharing this many consecutive words with a labelled sentence is left out.</summary>
    public const int SharedRun = 8;

    /// <summary>The reviews' lines (one sentence per line in the file), or for the quick form 300 synthetic
    /// cue-word lines; lines sharing text with <paramref name="sentences"/> are removed.</summary>
    public static ReviewLines Reviews(bool synthetic, IReadOnlyList<(string Text, long Label)> sentences,
        Generator generator)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        ArgumentNullException.ThrowIfNull(generator);
        var lines = new List<(string[] Words, long Label)>();
        int reviews;
        if (synthetic)
        {
            var rows = SequenceTasks.SyntheticSentences(300, generator);
            lines.AddRange(rows.Select(r => (Vocabulary.Words(r.Text).ToArray(), r.Label)));
            reviews = rows.Count / 10;
        }
        else
        {
            var all = SentencePolarity.Reviews();
            reviews = all.Count;
            foreach (var (text, label) in all)
            {
                foreach (var line in text.Split('\n'))
                {
                    var words = Vocabulary.Words(line).ToArray();
                    if (words.Length > 0) lines.Add((words, label));
                }
            }
        }
        var labelled = sentences.Select(s => Vocabulary.Words(s.Text).ToArray()).ToList();
        var runs = new HashSet<string>(StringComparer.Ordinal);
        var whole = new HashSet<string>(StringComparer.Ordinal);
        foreach (var w in labelled)
        {
            whole.Add(string.Join(' ', w));
            foreach (var r in Runs(w)) runs.Add(r);
        }
        int exact = lines.Select(l => string.Join(' ', l.Words)).Distinct().Count(whole.Contains);
        var kept = lines.Where(l => !Runs(l.Words).Any(runs.Contains)).ToList();
        return new ReviewLines([.. kept.Select(l => l.Words)], [.. kept.Select(l => l.Label)], reviews,
            lines.Count - kept.Count, exact,
            synthetic ? "synthetic cue-word lines" : "Pang & Lee full reviews (python3-pattern, pang&lee1)");
    }

    /// <summary>Skip-gram vectors for <paramref name="task"/>'s vocabulary, trained on the review lines and the
    /// training sentences (never the validation or test part). Returns the vectors (V, D), standardised per
    /// dimension (<see cref="SkipGram.Standardize"/>), and the loss per epoch.
    /// </summary>
    public static (Tensor Vectors, IReadOnlyList<double> Losses) WordVectors(SentimentTask task, ReviewLines reviews,
        SkipGramConfig config, Generator generator, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(reviews);
        var corpus = reviews.Lines.Select(task.Vocabulary.Encode).Concat(task.Train.Ids).ToList();
        var model = new SkipGram(task.Vocabulary.Count, config, generator);
        var losses = model.Fit(corpus, log);
        return (SkipGram.Standardize(model.Vectors), losses);
    }

    /// <summary>The review lines as a weakly labelled training part (each line carries its review's polarity),
    /// lines longer than <paramref name="maxWords"/> or shorter than <paramref name="minWords"/> words left out,
    /// at most <paramref name="limit"/> lines drawn at random. The validation part is the task's own; the test part
    /// is replaced by the validation part so that this stage never reads the test sentences.</summary>
    public static SentimentTask WeakTask(SentimentTask task, ReviewLines reviews, Generator generator,
        int limit = int.MaxValue, int minWords = 4, int maxWords = 40)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(reviews);
        ArgumentNullException.ThrowIfNull(generator);
        var order = Tensor.Randperm(reviews.Lines.Count, generator).ToArray<long>()
            .Where(i => reviews.Lines[(int)i].Length >= minWords && reviews.Lines[(int)i].Length <= maxWords)
            .Take(limit).ToArray();
        var train = new LabelledSentences([.. order.Select(i => task.Vocabulary.Encode(reviews.Lines[(int)i]))],
            [.. order.Select(i => reviews.Labels[i])]);
        return task with { Train = train, Test = task.Validation };
    }

    /// <summary>The split of `sentiment` twice over: <c>Scratch</c> with its own vocabulary and <c>Task</c> with
    /// the vocabulary of the training sentences and the review lines, both from the context's first generator (so
    /// the same sentences fall in each part), the review lines from its second, and a seed for the runs from its
    /// third. <paramref name="op"/> names the experiment in the error raised if the two splits differ.</summary>
    public static (SentimentTask Scratch, ReviewLines Reviews, SentimentTask Task, ulong RunSeed) Splits(
        ExperimentContext context, string op)
    {
        ArgumentNullException.ThrowIfNull(context);
        var split = context.NewGenerator();
        var splitState = split.GetState();
        var scratch = SequenceTasks.Sentiment(context.Quick, split);
        var reviews = Reviews(context.Quick, context.Quick ? [] : SentencePolarity.Sentences(),
            context.NewGenerator());
        var replay = new Generator(0);
        replay.SetState(splitState);
        var task = SequenceTasks.Sentiment(context.Quick, replay, reviews.Lines);
        ulong runSeed = context.NewGenerator().NextUInt64();
        if (!scratch.Test.Labels.SequenceEqual(task.Test.Labels))
            throw new InvalidOperationException($"{op}: the two vocabularies saw different splits");
        return (scratch, reviews, task, runSeed);
    }

    private static IEnumerable<string> Runs(string[] words)
    {
        for (int i = 0; i + SharedRun <= words.Length; i++) yield return string.Join(' ', words, i, SharedRun);
    }
}
