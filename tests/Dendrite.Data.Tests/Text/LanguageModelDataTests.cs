using Dendrite.Data;

namespace Dendrite.Data.Tests.Text;

public class LanguageModelDataTests
{
    private static int[] Cycle(int n, params int[] pattern) =>
        [.. Enumerable.Range(0, n).Select(i => pattern[i % pattern.Length])];

    [Fact]
    public void TokenCorpus_BatchTargetsAreInputsShiftedByOne()
    {
        var corpus = new TokenCorpus([.. Enumerable.Range(0, 100)], 100, 100);
        var (x, y) = corpus.Batch(4, 10, new Generator(1));
        Assert.Equal([4, 10], x.Shape.ToArray());
        var xs = x.Contiguous().AsReadOnlySpan<long>().ToArray();
        var ys = y.Contiguous().AsReadOnlySpan<long>().ToArray();
        for (int i = 0; i < xs.Length; i++) Assert.Equal(xs[i] + 1, ys[i]);
        Assert.Throws<ArgumentException>(() => corpus.Batch(1, 100, new Generator(1)));
        Assert.Throws<ArgumentException>(() => new TokenCorpus([0, 5], 5, 2));
    }

    [Fact]
    public void TokenCorpus_WindowsPredictEveryTokenOnce()
    {
        var corpus = new TokenCorpus([.. Enumerable.Range(0, 53)], 53, 53);
        var targets = new List<long>();
        foreach (var (x, y) in corpus.Windows(10, 2))
        {
            Assert.Equal(x.Shape.ToArray(), y.Shape.ToArray());
            targets.AddRange(y.Contiguous().AsReadOnlySpan<long>().ToArray());
        }
        Assert.Equal(Enumerable.Range(1, 52).Select(i => (long)i), targets.Order());
        Assert.Equal(2, corpus.Windows(10, 2, maxWindows: 2).Sum(w => w.X.Size(0)));
    }

    [Fact]
    public void TokenCorpus_SplitTextCutsAtALineAndBitsPerCharacterScale()
    {
        string text = string.Join("\n", Enumerable.Range(0, 100).Select(i => $"line {i}"));
        var (train, val) = TokenCorpus.SplitText(text, 0.1);
        Assert.Equal(text, train + val);
        Assert.EndsWith("\n", train, StringComparison.Ordinal);
        Assert.StartsWith("line", val, StringComparison.Ordinal);
        // One token per character: bits/char = nats/token / ln 2 (up to the unpredicted first token).
        var t = TokenCorpus.Encode(new ByteTokenizer(), "abcdefghij");
        Assert.Equal(10, t.Characters);
        Assert.Equal(1.0 / Math.Log(2) * 9 / 10, t.BitsPerCharacter(1.0), 12);
        Assert.Equal(2, TokenCorpus.CountCharacters("😀é"));
    }

    [Fact]
    public void NGram_UnigramIsLaplaceAndBigramLearnsASequence()
    {
        int[] train = Cycle(1000, 0, 1, 2, 3);
        var uni = NGramModel.Unigram(train, 5);
        Assert.Equal(1.0, Enumerable.Range(0, 5).Sum(w => uni.Probability(0, w)), 12);
        Assert.Equal((250 + 1) / 1005.0, uni.Probability(3, 0), 12);
        Assert.Equal(1 / 1005.0, uni.Probability(0, 4), 12);

        var bi = NGramModel.Bigram(train, 5);
        Assert.Equal(2, bi.Order);
        for (int v = 0; v < 4; v++)
            Assert.Equal(1.0, Enumerable.Range(0, 5).Sum(w => bi.Probability(v, w)), 12);
        // A deterministic cycle: the held-out tenth favours trusting the bigram counts most.
        Assert.Equal(0.99, bi.Lambda);
        int[] val = Cycle(200, 0, 1, 2, 3);
        double expected = -Math.Log(0.99 * 1 + 0.01 * (250 + 1) / 1005.0);
        Assert.Equal(expected, bi.NatsPerToken(val), 9);
        Assert.True(bi.NatsPerToken(val) < uni.NatsPerToken(val));
        Assert.Throws<ArgumentException>(() => NGramModel.Unigram([7], 5));
    }
}
