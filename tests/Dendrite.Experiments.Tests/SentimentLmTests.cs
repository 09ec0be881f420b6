using Dendrite.Experiments.Recurrent;
using Dendrite.Models.Sequence;

namespace Dendrite.Tests;

/// <summary>The language-model transfer route of <c>sentiment-lm</c> on synthetic sentences: the corpus never holds
/// validation or test sentences, gradual unfreezing keeps the pre-trained layers fixed while frozen, and the saved
/// language model comes back with its weights and figures.</summary>
public sealed class SentimentLmTests
{
    [Fact]
    public void LanguageModelCorpus_HoldsReviewPiecesAndTrainingSentencesOnly()
    {
        var task = SequenceTasks.Sentiment(true, new Generator(1));
        var reviews = SentimentTransfer.Reviews(true, [], new Generator(2));
        var (train, validation) = SentimentLm.LanguageModelCorpus(task, reviews, new Generator(3), maxWords: 5);
        Assert.True(validation.Count >= 1);
        Assert.All(train.Take(train.Count - task.Train.Ids.Count), row => Assert.InRange(row.Length, 1, 5));
        Assert.Equal(task.Train.Ids, train.Skip(train.Count - task.Train.Ids.Count));
        long reviewWords = reviews.Lines.Sum(l => (long)l.Length);
        long corpusWords = train.Sum(r => (long)r.Length) + validation.Sum(r => (long)r.Length) -
            task.Train.Ids.Sum(s => (long)s.Length);
        Assert.Equal(reviewWords, corpusWords);
    }

    [Fact]
    public void FineTune_FrozenEpochsLeaveTheEncoderAlone()
    {
        var task = SequenceTasks.Sentiment(true, new Generator(4));
        foreach (int frozen in new[] { 1, 0 })
        {
            Generator.ManualSeed(5);
            var model = new SentimentClassifier(new SentimentConfig(task.Vocabulary.Count, 8, 8, "lstm", true,
                Pooling: "concat"), new Generator(5));
            var embedding = model.Embedding.Weight.ToArray<float>();
            var lstm = model.Encoder.Parameters().First().ToArray<float>();
            var head = model.Head.Weight.ToArray<float>();
            var r = SequenceTasks.FineTuneSentiment(model, task, new FineTuneSchedule(1, frozen, 5e-3, 1e-3),
                new Generator(6));
            Assert.InRange(r.TestAccuracy, 0, 1);
            Assert.NotEqual(head, model.Head.Weight.ToArray<float>());
            Assert.Equal(frozen == 1, embedding.SequenceEqual(model.Embedding.Weight.ToArray<float>()));
            Assert.Equal(frozen == 1, lstm.SequenceEqual(model.Encoder.Parameters().First().ToArray<float>()));
            Assert.All(model.Parameters(), p => Assert.True(p.RequiresGrad));
        }
    }

    [Fact]
    public void Pretrain_SavesAndReloadsTheLanguageModel()
    {
        var task = SequenceTasks.Sentiment(true, new Generator(7));
        var reviews = SentimentTransfer.Reviews(true, [], new Generator(8));
        var (train, validation) = SentimentLm.LanguageModelCorpus(task, reviews, new Generator(9), 20);
        var config = new BiLmConfig(task.Vocabulary.Count, 8, 8, 0, 0);
        var schedule = new PretrainSchedule(Epochs: 2, Lr: 1e-2, Batch: 32);
        string dir = Path.Combine(Path.GetTempPath(), $"dendrite-bilm-{Guid.NewGuid():N}");
        try
        {
            string path = Path.Combine(dir, "lm.safetensors");
            var fresh = LanguageModelPretraining.Pretrain(config, schedule, task.Vocabulary, train, validation,
                new Generator(10), path);
            Assert.False(fresh.FromCache);
            Assert.True(fresh.ValidationNats[^1] < fresh.ValidationNats[0] ||
                fresh.ValidationNats[^1] < Math.Log(task.Vocabulary.Count),
                $"validation nats {string.Join(", ", fresh.ValidationNats)}");
            var again = LanguageModelPretraining.Pretrain(config, schedule, task.Vocabulary, train, validation,
                new Generator(11), path);
            Assert.True(again.FromCache);
            Assert.Equal(fresh.ValidationNats, again.ValidationNats);
            Assert.Equal(fresh.Model.Embedding.Weight.ToArray<float>(), again.Model.Embedding.Weight.ToArray<float>());
            Assert.Equal(LanguageModelPretraining.Evaluate(fresh.Model, validation),
                LanguageModelPretraining.Evaluate(again.Model, validation), 6);
            // other settings: trained afresh, not loaded
            var other = LanguageModelPretraining.Pretrain(config, schedule with { Epochs = 1 }, task.Vocabulary,
                train, validation, new Generator(12), path);
            Assert.False(other.FromCache);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }
}
