using Dendrite.Data;

namespace Dendrite.Tests;

public class DataLoaderTests
{
    private static (Tensor X, Tensor Y) Data(int n) =>
        (Tensor.Arange(n * 3).Reshape(n, 3), Tensor.Arange(n, DType.Int64));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Shuffled_CoversEveryExampleOnce(bool prefetch)
    {
        var (x, y) = Data(50);
        var loader = new DataLoader(x, y, 8, shuffle: true, generator: new Generator(3), prefetch: prefetch);
        var seen = new List<long>();
        int batches = 0;
        foreach (var (bx, by) in loader)
        {
            batches++;
            var labels = by.ToArray<long>();
            var rows = bx.ToArray<float>();
            for (int i = 0; i < labels.Length; i++) Assert.Equal(labels[i] * 3, rows[i * 3]); // rows stay paired
            seen.AddRange(labels);
        }
        Assert.Equal(7, batches);
        Assert.Equal(Enumerable.Range(0, 50).Select(i => (long)i), seen.Order());
    }

    [Fact]
    public void SameGenerator_SameOrder_WithOrWithoutPrefetch()
    {
        var (x, y) = Data(40);
        var a = new DataLoader(x, y, 6, shuffle: true, generator: new Generator(9));
        var b = new DataLoader(x, y, 6, shuffle: true, generator: new Generator(9), prefetch: true);
        var la = a.SelectMany(p => p.Y.ToArray<long>()).ToList();
        var lb = b.SelectMany(p => p.Y.ToArray<long>()).ToList();
        Assert.Equal(la, lb);
    }

    [Fact]
    public void DropLast_AndFullBatch()
    {
        var (x, y) = Data(10);
        Assert.Equal(2, new DataLoader(x, y, 4, dropLast: true).Count());
        Assert.Equal(3, new DataLoader(x, y, 4).Count());
        Assert.Single(new DataLoader(x, y, 0));
    }

    [Fact]
    public void BatchReadAfterTheLoopMovedOn_ThrowsClearError()
    {
        var (x, y) = Data(20);
        var kept = new List<Tensor>();
        var cloned = new List<Tensor>();
        foreach (var (bx, _) in new DataLoader(x, y, 5))
        {
            kept.Add(bx);
            cloned.Add(bx.Clone());
        }
        var e = Assert.Throws<InvalidOperationException>(() => kept[0].ToArray<float>());
        Assert.Contains("DataLoader recycles each batch", e.Message);
        Assert.Contains("Clone()", e.Message);
        Assert.DoesNotContain("TensorScope", e.Message);
        Assert.Equal(new float[] { 0, 1, 2 }, cloned[0].ToArray<float>()[..3]);
    }

    [Fact]
    public void MismatchedLengths_NamesBoth()
    {
        var e = Assert.Throws<ArgumentException>(() => new DataLoader(Tensor.Zeros(5, 2), Tensor.Zeros(DType.Int64, 4), 2));
        Assert.Contains("5 inputs but 4 targets", e.Message);
    }
}
