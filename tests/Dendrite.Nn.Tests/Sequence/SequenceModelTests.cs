using Dendrite.Models.Sequence;
using Dendrite.Nn;
using Dendrite.Nn.Optim;

namespace Dendrite.Tests;

/// <summary>The sequence models and baselines of Dendrite.Models.Sequence on tiny synthetic data: the n-gram's
/// probabilities form a distribution, the forecast baselines and metrics follow their definitions, padding does not
/// change a classifier's answer, the character model learns a short periodic text and survives its checkpoint.
/// </summary>
public sealed class SequenceModelTests
{
    private const string Periodic = "abcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabc";

    [Theory]
    [InlineData(1, 0.5)]
    [InlineData(2, 0.75)]
    [InlineData(3, 0.9)]
    [InlineData(5, 0.75)]
    public void CharNGram_ProbabilitiesSumToOne(int order, double discount)
    {
        const string text = "the cat sat on the mat; a rat ate the hat.";
        var model = new CharNGramModel(text, 5);
        foreach (var context in new[] { "", "t", "th", "the ", "zzzz", "at t" })
        {
            double total = 0;
            foreach (char c in text.Distinct()) total += model.Probability(context, c, order, discount);
            total += model.Probability(context, 'Q', order, discount);     // every unseen character shares one id
            Assert.Equal(1.0, total, 9);
        }
    }

    [Fact]
    public void CharNGram_LongerContextLearnsAPeriodicText()
    {
        var (_, order, _, scores) = CharNGramModel.Select(Periodic, "abcabcabcabc", 5);
        double unigram = scores.Where(s => s.Order == 1).Min(s => s.Bits);
        double trigram = scores.Where(s => s.Order == 3).Min(s => s.Bits);
        Assert.InRange(unigram, 1.4, 2.1);         // three letters, nearly uniform: about log₂ 3 = 1.58 bits
        Assert.True(trigram < 0.3, $"trigram {trigram} bits/char");
        Assert.True(order >= 2);
        Assert.Throws<ArgumentOutOfRangeException>(() => new CharNGramModel(Periodic, 3).Probability("ab", 'c', 4));
    }

    [Fact]
    public void ForecastBaselines_FollowTheirDefinitions()
    {
        double[] y = [1, 3, 2, 5, 4, 6, 8, 7];
        Assert.Equal([4.0, 6, 8], ForecastBaselines.Naive(y, 5));
        Assert.Equal([5.0, 4, 6], ForecastBaselines.SeasonalNaive(y, 2, 5));
        Assert.Equal((1 + 2 + 1) / 3.0, ForecastBaselines.Mae([8.0, 8, 6], [7.0, 6, 7]), 12);
        // the in-sample one-step naive forecast has a MASE of exactly 1 against its own scale
        Assert.Equal(1.0, ForecastBaselines.Mase(y[1..], y[..^1], y), 12);
        Assert.Throws<ArgumentException>(() => ForecastBaselines.Mase([1.0], [1.0], [2.0, 2, 2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => ForecastBaselines.SeasonalNaive(y, 4, 2));
    }

    [Fact]
    public void Forecaster_WithAZeroHeadIsTheNaiveForecast()
    {
        var model = new Forecaster(new ForecasterConfig(Window: 4, HiddenSize: 5), new Generator(1));
        using (Autograd.NoGrad())
        {
            model.Head.Weight.CopyFrom(Tensor.Zeros(1, 5));
            model.Head.Bias!.CopyFrom(Tensor.Zeros(1));
        }
        float[] series = [.. Enumerable.Range(0, 12).Select(i => (float)Math.Sin(i))];
        Assert.Equal(series[7..11], model.Rolling(series, 8));
        var history = model.Fit(series, 3, new Generator(2), batch: 4);
        Assert.Equal(3, history.Count);
        Assert.Throws<ArgumentException>(() => model.Forward(Tensor.Zeros(2, 3, 1)));
    }

    [Fact]
    public void BagOfWords_MarksPresenceOrCounts()
    {
        long[][] sentences = [[2, 3, 3, 0], [1, 4]];
        Assert.Equal([0f, 0, 1, 1, 0, 0, 0, 0, 0, 1], BagOfWords.Features(sentences, 5).ToArray<float>());
        Assert.Equal(2f, BagOfWords.Features(sentences, 5, binary: false).ToArray<float>()[3]);
        Assert.Throws<ArgumentOutOfRangeException>(() => BagOfWords.Features([[7L]], 5));
    }

    [Fact]
    public void SentimentClassifier_PaddingDoesNotChangeTheAnswer()
    {
        foreach (bool bidirectional in new[] { false, true })
        {
            var model = new SentimentClassifier(new SentimentConfig(10, 6, 5, "lstm", bidirectional), new Generator(4));
            model.Eval();
            using var _ = Autograd.NoGrad();
            var alone = model.Forward(Tensor.From(new long[] { 3, 4, 5 }, 1, 3), [3]);
            var padded = model.Forward(Tensor.From(new long[] { 3, 4, 5, 0, 0, 6, 7, 8, 9, 2 }, 2, 5), [3, 5]);
            Assert.Equal([1, 2], alone.Shape.ToArray());
            var a = alone.ToArray<float>();
            var p = padded.ToArray<float>();
            for (int k = 0; k < 2; k++) Assert.Equal(a[k], p[k], 5);
        }
    }

    [Fact]
    public void SentimentClassifier_OverfitsASmallBatch()
    {
        Generator.ManualSeed(5);
        var model = new SentimentClassifier(new SentimentConfig(12, 8, 8, "gru", Dropout: 0), new Generator(5));
        var ids = Tensor.From(new long[] { 2, 3, 4, 0, 5, 6, 7, 8, 9, 10, 0, 0, 11, 2, 3, 4 }, 4, 4);
        int[] lengths = [3, 4, 2, 4];
        var y = Tensor.From(new long[] { 1, 0, 1, 0 }, 4);
        var optimizer = new Adam(model.Parameters(), 0.05);
        double first = 0, last = 0;
        for (int step = 0; step < 40; step++)
        {
            optimizer.ZeroGrad();
            var loss = Losses.CrossEntropy(model.Forward(ids, lengths), y);
            loss.Backward();
            optimizer.Step();
            if (step == 0) first = loss.Item();
            last = loss.Item();
        }
        Assert.True(last < 0.1 * first, $"loss {first} → {last}");
        Assert.Equal([1L, 0, 1, 0], model.Predict(ids, lengths));
    }

    [Fact]
    public void CharLanguageModel_LearnsAPeriodicTextAndSurvivesItsCheckpoint()
    {
        Generator.ManualSeed(6);
        var model = new CharLanguageModel(new CharModelConfig("abc", EmbeddingDim: 8, HiddenSize: 16),
            new Generator(6));
        Assert.Equal([1L, 2, 3, 0], model.Encode("abcz"));
        Assert.Equal("ab\uFFFD", model.Decode([1L, 2, 0]));
        var (x, y) = CharStreams.Split(model.Encode(Periodic), 4);
        var optimizer = new Adam(model.Parameters(), 0.03);
        double before = CharStreams.Evaluate(model, x, y);
        for (int e = 0; e < 30; e++) CharStreams.TrainEpoch(model, x, y, optimizer, bptt: 8);
        double after = CharStreams.Evaluate(model, x, y);
        Assert.True(after < 0.1 * before, $"nats/char {before} → {after}");
        Assert.Equal("abcabc", model.Sample("bc", 6, 0, new Generator(1)));

        var copy = CharLanguageModel.FromCheckpoint(model.StateDict(), model.Metadata("char-lm"), "test");
        Assert.Equal(after, CharStreams.Evaluate(copy, x, y), 6);
        var meta = model.Metadata("char-lm");
        meta.Remove("hidden_size");
        var e1 = Assert.Throws<ArgumentException>(() => CharLanguageModel.FromCheckpoint(model.StateDict(), meta, "f"));
        Assert.Contains("hidden_size", e1.Message);
    }

    [Fact]
    public void CharLanguageModel_ConditionSteersTheSamples()
    {
        Generator.ManualSeed(7);
        var model = new CharLanguageModel(new CharModelConfig(".ab", EmbeddingDim: 8, HiddenSize: 12, Cell: "gru",
            Conditions: 2), new Generator(7));
        // condition 0 spells "aaa.", condition 1 "bbb."
        var x = Tensor.From(new long[] { 1, 2, 2, 2, 1, 3, 3, 3 }, 2, 4);
        var y = Tensor.From(new long[] { 2, 2, 2, 1, 3, 3, 3, 1 }, 2, 4);
        var condition = Tensor.From(new long[] { 0, 1 }, 2);
        var optimizer = new Adam(model.Parameters(), 0.05);
        for (int step = 0; step < 60; step++)
        {
            optimizer.ZeroGrad();
            model.Loss(x, y, condition: condition).Loss.Backward();
            optimizer.Step();
        }
        Assert.Equal("aaa", model.Sample(".", 10, 0, new Generator(1), condition: 0, stop: '.'));
        Assert.Equal("bbb", model.Sample(".", 10, 0, new Generator(1), condition: 1, stop: '.'));
        Assert.Throws<ArgumentException>(() => model.Sample(".", 3, 1, new Generator(1)));
        Assert.Throws<ArgumentException>(() => model.Forward(x));
    }

    [Fact]
    public void Sampling_TemperatureFlattensTheDistribution()
    {
        Generator.ManualSeed(8);
        var model = new CharLanguageModel(new CharModelConfig("abcd", EmbeddingDim: 4, HiddenSize: 4),
            new Generator(8));
        using (Autograd.NoGrad())
        {
            model.Head.Weight.CopyFrom(Tensor.Zeros(5, 4));
            model.Head.Bias!.CopyFrom(Tensor.From(new float[] { 0, 3, 1, 0, -1 }, 5));    // 'a' most likely
        }
        static int Distinct(string s) => s.Distinct().Count();
        string cold = model.Sample("a", 200, 0.05, new Generator(9));
        string hot = model.Sample("a", 200, 5, new Generator(9));
        Assert.Equal(new string('a', 200), model.Sample("a", 200, 0, new Generator(9)));
        Assert.True(cold.Count(c => c == 'a') > 195, cold);
        Assert.Equal(4, Distinct(hot));
        Assert.True(hot.Count(c => c == 'a') < 120, hot);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Sample("a", 3, -1, new Generator(1)));
    }
}
