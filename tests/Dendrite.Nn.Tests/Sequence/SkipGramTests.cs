using Dendrite.Models.Sequence;
using Dendrite.Nn;

namespace Dendrite.Tests;

/// <summary>Skip-gram with negative sampling: the hand-written SGD step is one gradient step of the loss (checked
/// by finite differences and against autograd), training separates words by the contexts they occur in, and
/// pre-trained vectors load into a sentiment classifier, frozen or not.</summary>
public sealed class SkipGramTests
{
    private const int Rows = 6, Dim = 5;

    private static (float[] Input, float[] Output) Tables(ulong seed)
    {
        var g = new Generator(seed);
        var input = new float[Rows * Dim];
        var output = new float[Rows * Dim];
        for (int i = 0; i < input.Length; i++)
        {
            input[i] = (float)g.NextGaussian() * 0.5f;
            output[i] = (float)g.NextGaussian() * 0.5f;
        }
        return (input, output);
    }

    // the loss of one pair in double precision: −log σ(u_c·v_w) − Σ log σ(−u_n·v_w)
    private static double PairLoss(float[] input, float[] output, int word, int context, int[] negatives)
    {
        double Dot(int target) => Enumerable.Range(0, Dim).Sum(k => (double)input[word * Dim + k] *
            output[target * Dim + k]);
        static double Softplus(double x) => x > 0 ? x + Math.Log(1 + Math.Exp(-x)) : Math.Log(1 + Math.Exp(x));
        return Softplus(-Dot(context)) + negatives.Sum(n => Softplus(Dot(n)));
    }

    [Fact]
    public void Step_IsOneGradientStep_ByFiniteDifferences()
    {
        var (input, output) = Tables(3);
        const int word = 1, context = 4;
        int[] negatives = [0, 2, 5];
        const float lr = 0.1f;
        var newInput = (float[])input.Clone();
        var newOutput = (float[])output.Clone();
        double loss = SkipGram.Step(newInput, newOutput, Dim, word, context, [.. negatives.Select(n => (long)n)],
            lr);
        Assert.Equal(PairLoss(input, output, word, context, negatives), loss, 5);
        foreach (var (table, updated) in new[] { (input, newInput), (output, newOutput) })
        {
            for (int i = 0; i < table.Length; i++)
            {
                const float h = 1e-3f;
                float keep = table[i];
                table[i] = keep + h;
                double up = PairLoss(input, output, word, context, negatives);
                table[i] = keep - h;
                double down = PairLoss(input, output, word, context, negatives);
                table[i] = keep;
                double numeric = (up - down) / (2 * h);
                double implied = (table[i] - updated[i]) / lr;           // θ − θ' = lr·∂loss/∂θ
                Assert.True(Math.Abs(numeric - implied) < 2e-3, $"entry {i}: finite difference {numeric}, step " +
                    $"{implied}");
            }
        }
    }

    [Fact]
    public void Step_MatchesAutogradOnTheSameLoss()
    {
        var (input, output) = Tables(7);
        const int word = 3, context = 0;
        long[] negatives = [1, 2, 4, 5];
        var v = Tensor.From((float[])input.Clone(), Rows, Dim);
        var u = Tensor.From((float[])output.Clone(), Rows, Dim);
        v.RequiresGrad = true;
        u.RequiresGrad = true;
        var w = v.IndexSelect(0, Tensor.From(new long[] { word }, 1));                       // (1, D)
        var targets = u.IndexSelect(0, Tensor.From(new long[] { context, 1, 2, 4, 5 }, 5));  // (5, D)
        var scores = targets.MatMul(w.T).Reshape(5);                                        // (5)
        var sign = Tensor.From(new float[] { 1, -1, -1, -1, -1 }, 5);
        var loss = -(scores * sign).Sigmoid().Log().Sum();
        loss.Backward();
        const float lr = 0.05f;
        double stepLoss = SkipGram.Step(input, output, Dim, word, context, negatives, lr);
        Assert.Equal(loss.Item(), stepLoss, 4);
        var expectedInput = (v.Detach() - lr * v.Grad!).ToArray<float>();
        var expectedOutput = (u.Detach() - lr * u.Grad!).ToArray<float>();
        for (int i = 0; i < input.Length; i++)
        {
            Assert.Equal(expectedInput[i], input[i], 5);
            Assert.Equal(expectedOutput[i], output[i], 5);
        }
    }

    [Fact]
    public void Fit_PutsWordsOfTheSameContextsTogether()
    {
        // two topics: words 2..7 only occur with each other, words 8..13 likewise
        var g = new Generator(11);
        var sentences = new List<long[]>();
        for (int s = 0; s < 400; s++)
        {
            long first = s % 2 == 0 ? 2 : 8;
            sentences.Add([.. Enumerable.Range(0, 8).Select(_ => first + g.NextInt64(0, 6))]);
        }
        var model = new SkipGram(14, new SkipGramConfig(Dimension: 12, Window: 3, Negatives: 4, Epochs: 4,
            Subsample: 0), new Generator(12));
        var losses = model.Fit(sentences);
        Assert.True(losses[^1] < 0.9 * losses[0], $"loss per epoch {string.Join(", ", losses)}");
        var x = model.Vectors.ToArray<float>();
        double Cos(int a, int b)
        {
            double dot = 0, na = 0, nb = 0;
            for (int k = 0; k < 12; k++)
            {
                dot += x[a * 12 + k] * x[b * 12 + k];
                na += x[a * 12 + k] * x[a * 12 + k];
                nb += x[b * 12 + k] * x[b * 12 + k];
            }
            return dot / Math.Sqrt(na * nb);
        }
        var pairs = from a in Enumerable.Range(2, 12)
                    from b in Enumerable.Range(2, 12)
                    where a < b
                    select (Same: (a < 8) == (b < 8), Cos: Cos(a, b));
        double same = pairs.Where(p => p.Same).Average(p => p.Cos);
        double across = pairs.Where(p => !p.Same).Average(p => p.Cos);
        Assert.True(same > across + 0.5, $"mean cosine within topics {same:F3}, across {across:F3}");
    }

    [Fact]
    public void Standardize_GivesEachDimensionMeanZeroAndVarianceOne()
    {
        var g = new Generator(5);
        var vectors = Tensor.From([.. Enumerable.Range(0, 8 * 3).Select(_ => (float)(3 + 0.01 * g.NextGaussian()))],
            8, 3);
        var x = SkipGram.Standardize(vectors).ToArray<float>();
        Assert.Equal(vectors.ToArray<float>()[..6], x[..6]);              // padding and unknown rows untouched
        for (int k = 0; k < 3; k++)
        {
            var column = Enumerable.Range(2, 6).Select(i => (double)x[i * 3 + k]).ToArray();
            double mean = column.Average();
            Assert.Equal(0, mean, 4);
            Assert.Equal(1, column.Average(c => (c - mean) * (c - mean)), 3);
        }
    }

    [Fact]
    public void Fit_NamesABadId()
    {
        var model = new SkipGram(5, new SkipGramConfig(Dimension: 4), new Generator(1));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => model.Fit([[2L, 3], [4L, 9]]));
        Assert.Contains("sentence 1 holds id 9", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SentimentClassifier_LoadsWordVectorsFrozenOrNot()
    {
        var vectors = Tensor.Arange(0, 10 * 4, 1).Reshape(10, 4).To(DType.Float32);
        var ids = Tensor.From(new long[] { 2, 3, 4, 5, 6, 0 }, 2, 3);
        var y = Tensor.From(new long[] { 1, 0 }, 2);
        foreach (bool freeze in new[] { true, false })
        {
            var model = new SentimentClassifier(new SentimentConfig(10, 4, 3, "lstm", true), new Generator(2));
            model.LoadWordVectors(vectors, freeze);
            var w = model.Embedding.Weight.ToArray<float>();
            Assert.All(w[..4], v => Assert.Equal(0f, v));                  // padding row
            Assert.Equal(vectors.ToArray<float>()[4..], w[4..]);
            Losses.CrossEntropy(model.Forward(ids, [3, 2]), y).Backward();
            Assert.Equal(freeze, model.Embedding.Weight.Grad is null);
            Assert.NotNull(model.Head.Weight.Grad);
        }
        var wrong = new SentimentClassifier(new SentimentConfig(10, 5, 3), new Generator(2));
        var e = Assert.Throws<ArgumentException>(() => wrong.LoadWordVectors(vectors, true));
        Assert.Contains("(10, 5)", e.Message, StringComparison.Ordinal);
    }
}
