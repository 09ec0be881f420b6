using Dendrite.Data;

namespace Dendrite.Data.Tests.Sequences;

/// <summary>Vocabularies, padding, bucketing, sliding windows, the training-only scaler and time splits.</summary>
public class SequencesTests
{
    [Fact]
    public void Vocabulary_OrdersByFrequencyAndMapsUnknowns()
    {
        var vocab = Vocabulary.Characters("abracadabra");
        Assert.Equal(["<pad>", "<unk>", "a", "b", "r", "c", "d"], vocab.Tokens);
        Assert.Equal(new long[] { 2, 3, 1 }, vocab.Encode(["a", "b", "z"]));
        Assert.Equal("ab<unk>", vocab.Decode([2, 3, 0, 1]));
        var words = Vocabulary.Build(Vocabulary.Words("The cat, the hat. It's THE end"), minCount: 2);
        Assert.Equal(["<pad>", "<unk>", "the"], words.Tokens);
        Assert.Equal(["the", "cat", "the", "hat", "it's", "the", "end"],
            Vocabulary.Words("The cat, the hat. It's THE end"));
        Assert.Equal(3, Vocabulary.Build(["x", "y", "y"], maxSize: 3).Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => vocab.Decode([7]));
    }

    [Fact]
    public void Pad_GivesIdsAndLengths()
    {
        var (ids, lengths) = Dendrite.Data.Sequences.Pad([[5, 6, 7], [8], [9, 10]]);
        Assert.Equal([3, 3], ids.Shape.ToArray());
        Assert.Equal(new long[] { 5, 6, 7, 8, 0, 0, 9, 10, 0 }, ids.ToArray<long>());
        Assert.Equal([3, 1, 2], lengths);
        var (timeFirst, _) = Dendrite.Data.Sequences.Pad([[5, 6], [8]], padValue: -1, batchFirst: false);
        Assert.Equal(new long[] { 5, 8, 6, -1 }, timeFirst.ToArray<long>());
        Assert.Throws<ArgumentException>(() => Dendrite.Data.Sequences.Pad([[1], []]));
    }

    [Fact]
    public void Buckets_CoverEveryIndexOnceWithSimilarLengths()
    {
        var g = new Generator(1);
        var lengths = Enumerable.Range(0, 1000).Select(_ => (int)g.NextInt64(1, 100)).ToArray();
        var batches = Dendrite.Data.Sequences.Buckets(lengths, 10, new Generator(2));
        Assert.Equal(Enumerable.Range(0, 1000), batches.SelectMany(b => b).Order());
        // sorted pools: the spread of lengths within a batch is far below the spread overall (about 98)
        double spread = batches.Average(b => b.Max(i => lengths[i]) - b.Min(i => lengths[i]));
        Assert.True(spread < 10, $"mean spread within a batch {spread}");
    }

    [Fact]
    public void SlidingWindows_InputsAndNextValues()
    {
        float[] series = [0, 1, 2, 3, 4, 5];
        var (x, y) = Dendrite.Data.Sequences.SlidingWindows(series, 3, horizon: 2);
        Assert.Equal([2, 3, 1], x.Shape.ToArray());
        Assert.Equal(new float[] { 0, 1, 2, 1, 2, 3 }, x.ToFloatArray());
        Assert.Equal(new float[] { 3, 4, 4, 5 }, y.ToFloatArray());
        var (xs, _) = Dendrite.Data.Sequences.SlidingWindows(series, 2, stride: 2);
        Assert.Equal(new float[] { 0, 1, 2, 3 }, xs.ToFloatArray());
        Assert.Throws<ArgumentException>(() => Dendrite.Data.Sequences.SlidingWindows(series, 6));
    }

    [Fact]
    public void TimeSplitAndScaler_UseOnlyThePast()
    {
        var (train, validation, test) = Dendrite.Data.Sequences.TimeSplit(100, 0.1, 0.2);
        Assert.Equal((0, 70), (train.Start.Value, train.End.Value));
        Assert.Equal((70, 80), (validation.Start.Value, validation.End.Value));
        Assert.Equal((80, 100), (test.Start.Value, test.End.Value));
        float[] series = [1, 2, 3, 100];
        var scaler = SeriesScaler.Fit(series.AsSpan(0, 3));
        Assert.Equal(2, scaler.Mean, 12);
        Assert.Equal(Math.Sqrt(2.0 / 3), scaler.Std, 12);
        var z = scaler.Transform(series);
        Assert.Equal(0f, z[1]);
        Assert.Equal(100f, scaler.Inverse(Tensor.From(z, 4)).ToFloatArray()[3], 3);
        Assert.Throws<ArgumentOutOfRangeException>(() => Dendrite.Data.Sequences.TimeSplit(10, 0.5, 0.5));
    }
}
