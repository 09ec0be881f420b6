using Dendrite.Models.Sequence;
using Dendrite.Nn;
using Dendrite.Nn.Optim;

namespace Dendrite.Tests;

/// <summary>The bidirectional LSTM language model on tiny synthetic data: the forward half predicts the next word
/// and the backward half the previous one (and neither sees its target), shapes, the loss falls on a small corpus,
/// and a sentiment classifier loading its encoder gets exactly its weights.</summary>
public sealed class BiLstmLanguageModelTests
{
    [Fact]
    public void Targets_ForwardPredictsNextBackwardPredictsPrevious()
    {
        // sentence 0: 5 6 7 8 (length 4); sentence 1: 9 3 then padding (length 2); output vocabulary of 8 ids
        var ids = Tensor.From(new long[] { 5, 6, 7, 8, 9, 3, 0, 0 }, 2, 4);
        var t = BiLstmLanguageModel.Targets(ids, [4, 2], outputSize: 8);
        Assert.Equal([0L, 1, 2, 4], t.ForwardRows);
        Assert.Equal([6L, 7, BiLstmLanguageModel.UnknownId, 3], t.ForwardTargets);   // 8 is outside the 8 ids
        Assert.Equal([1L, 2, 3, 5], t.BackwardRows);
        Assert.Equal([5L, 6, 7, BiLstmLanguageModel.UnknownId], t.BackwardTargets);  // 9 is outside too
        Assert.Throws<ArgumentException>(() => BiLstmLanguageModel.Targets(ids, [5, 2], 8));
    }

    [Fact]
    public void Halves_NeverSeeTheWordTheyPredict()
    {
        Generator.ManualSeed(11);
        var model = new BiLstmLanguageModel(new BiLmConfig(12, EmbeddingDim: 6, HiddenSize: 5, Dropout: 0),
            new Generator(11));
        model.Eval();
        using var _ = Autograd.NoGrad();
        var a = model.Encode(Tensor.From(new long[] { 2, 3, 4, 5, 6 }, 1, 5), [5]);
        var b = model.Encode(Tensor.From(new long[] { 2, 3, 11, 5, 6 }, 1, 5), [5]);  // word 2 changed
        Assert.Equal([1, 5, 10], a.Shape.ToArray());
        var x = a.ToArray<float>();
        var y = b.ToArray<float>();
        const int H = 5;
        for (int t = 0; t < 5; t++)
        {
            bool forwardSame = Same(x, y, t * 2 * H, H), backwardSame = Same(x, y, t * 2 * H + H, H);
            // the forward half at t has read words 0..t: unchanged before step 2, changed from it on
            Assert.Equal(t < 2, forwardSame);
            // the backward half at t has read words t..4: unchanged after step 2
            Assert.Equal(t > 2, backwardSame);
        }
    }

    [Fact]
    public void Logits_HaveTheOutputVocabularyAsWidth()
    {
        Generator.ManualSeed(12);
        var model = new BiLstmLanguageModel(new BiLmConfig(20, 6, 5, OutputVocabulary: 8), new Generator(12));
        var ids = Tensor.From(new long[] { 4, 5, 6, 7, 19, 2, 0, 0 }, 2, 4);
        var hidden = model.Encode(ids, [4, 2]).Reshape(8, 10);
        Assert.Equal([3, 8], model.Logits(hidden, [0, 1, 2], forward: true).Shape.ToArray());
        var (loss, n) = model.Loss(ids, [4, 2]);
        Assert.Equal(8, n);
        Assert.True(loss!.Item() > 0);
        Assert.Equal((null, 0), model.Loss(Tensor.From(new long[] { 4 }, 1, 1), [1]));
        Assert.Throws<ArgumentException>(() => new BiLstmLanguageModel(new BiLmConfig(20, OutputVocabulary: 1)));
    }

    [Fact]
    public void Loss_FallsOnATinyCorpus()
    {
        Generator.ManualSeed(13);
        var model = new BiLstmLanguageModel(new BiLmConfig(10, 8, 16, Dropout: 0), new Generator(13));
        // two fixed word orders: each word determines its neighbours in both directions
        var ids = Tensor.From(new long[] { 2, 3, 4, 5, 6, 7, 8, 9, 9, 8, 7, 6, 5, 4, 3, 2 }, 2, 8);
        var optimizer = new Adam(model.Parameters(), 0.02);
        double first = 0, last = 0;
        for (int step = 0; step < 60; step++)
        {
            optimizer.ZeroGrad();
            var (loss, _) = model.Loss(ids, [8, 8]);
            loss!.Backward();
            optimizer.Step();
            if (step == 0) first = loss.Item();
            last = loss.Item();
        }
        Assert.True(last < 0.2 * first, $"loss {first} → {last}");
    }

    [Fact]
    public void LoadEncoder_CopiesTheEmbeddingAndTheLstm()
    {
        Generator.ManualSeed(14);
        var lm = new BiLstmLanguageModel(new BiLmConfig(15, 6, 5), new Generator(14));
        var clf = new SentimentClassifier(new SentimentConfig(15, 6, 5, "lstm", true, Pooling: "concat"),
            new Generator(15));
        clf.LoadEncoder(lm);
        Assert.Equal(lm.Embedding.Weight.ToArray<float>(), clf.Embedding.Weight.ToArray<float>());
        var source = lm.Encoder.StateDict();
        foreach (var (name, tensor) in clf.Encoder.StateDict())
            Assert.Equal(source[name].ToArray<float>(), tensor.ToArray<float>());
        Assert.Equal(30, clf.Head.Weight.Size(1));          // concat pooling: 3 × 2 directions × 5
        var unidirectional = new SentimentClassifier(new SentimentConfig(15, 6, 5, "lstm", false));
        var before = unidirectional.Embedding.Weight.ToArray<float>();
        Assert.Throws<ArgumentException>(() => unidirectional.LoadEncoder(lm));
        Assert.Equal(before, unidirectional.Embedding.Weight.ToArray<float>());
        Assert.Throws<ArgumentException>(() =>
            new SentimentClassifier(new SentimentConfig(15, 6, 5, "lstm", true, Pooling: "average")));
    }

    [Fact]
    public void ConcatPooling_PaddingDoesNotChangeTheAnswer()
    {
        var model = new SentimentClassifier(new SentimentConfig(10, 6, 5, "lstm", true, Pooling: "concat"),
            new Generator(16));
        model.Eval();
        using var _ = Autograd.NoGrad();
        var alone = model.Forward(Tensor.From(new long[] { 3, 4, 5 }, 1, 3), [3]).ToArray<float>();
        var padded = model.Forward(Tensor.From(new long[] { 3, 4, 5, 0, 0, 6, 7, 8, 9, 2 }, 2, 5), [3, 5])
            .ToArray<float>();
        for (int k = 0; k < 2; k++) Assert.Equal(alone[k], padded[k], 5);
    }

    [Fact]
    public void ConcatPooling_GradientMatchesFiniteDifferences()
    {
        // last (2, 4), outputs (2, 3, 4) with the second sentence's third step padding (zero, as a recurrent layer
        // leaves it): the maximum ignores it, the mean divides by the real length
        var g = new Generator(17);
        var output = Tensor.Randn([2, 3, 4], g) * Tensor.From(new float[] { 1, 1, 1, 1, 1, 0 }, 2, 3, 1);
        Gradcheck.Assert(x => (SentimentClassifier.ConcatPool(x[0], x[1], [3, 2]) * x[2]).Sum(),
            Tensor.Randn([2, 4], g), output, Tensor.Randn([2, 12], g));
        var pooled = SentimentClassifier.ConcatPool(Tensor.Zeros(DType.Float32, 2, 4), output, [3, 2]).ToArray<float>();
        var o = output.ToArray<float>();
        // sentence 1, feature 0: max and mean over its two real steps
        Assert.Equal(Math.Max(o[12], o[16]), pooled[12 + 4], 6);
        Assert.Equal((o[12] + o[16]) / 2, pooled[12 + 8], 5);
    }

    private static bool Same(float[] x, float[] y, int offset, int count)
    {
        for (int i = offset; i < offset + count; i++)
        {
            if (Math.Abs(x[i] - y[i]) > 1e-6f) return false;
        }
        return true;
    }
}
