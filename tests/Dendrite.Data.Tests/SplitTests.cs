namespace Dendrite.Data.Tests;

public sealed class SplitTests
{
    // 90 examples of class 0 and 10 of class 1; x holds each example's index so the sets can be traced back.
    private static (Tensor X, Tensor Y) Unbalanced()
    {
        var x = Tensor.Arange(0, 100).Reshape(100, 1);
        var y = Tensor.From(Enumerable.Range(0, 100).Select(i => i % 10 == 3 ? 1L : 0L).ToArray());
        return (x, y);
    }

    [Fact]
    public void TrainValidation_StratifiedKeepsTheClassProportions()
    {
        var (x, y) = Unbalanced();
        var (train, validation) = Split.TrainValidation(x, y, 0.2, new Generator(7), stratify: y);
        var vy = validation.Y.ToArray<long>();
        Assert.Equal(20, vy.Length);
        Assert.Equal(2, vy.Count(l => l == 1));
        Assert.Equal(8, train.Y.ToArray<long>().Count(l => l == 1));
        // Every example lands in exactly one set, with its own label.
        var ids = train.X.ToArray<float>().Concat(validation.X.ToArray<float>()).Select(v => (int)v).ToList();
        Assert.Equal(Enumerable.Range(0, 100), ids.Order());
        var labels = train.Y.ToArray<long>().Concat(vy).ToArray();
        for (int k = 0; k < 100; k++) Assert.Equal(ids[k] % 10 == 3 ? 1L : 0L, labels[k]);
        // The same seed gives the same sets, drawn in shuffled order (not by index).
        var again = Split.TrainValidation(x, y, 0.2, new Generator(7), stratify: y);
        Assert.Equal(validation.X.ToArray<float>(), again.Validation.X.ToArray<float>());
        var vid = validation.X.ToArray<float>();
        Assert.NotEqual(vid.Order().ToArray(), vid);
    }

    [Fact]
    public void TrainValidation_StratifyRejectsLabelsThatDoNotMatch()
    {
        var (x, y) = Unbalanced();
        var e = Assert.Throws<ArgumentException>(() =>
            Split.TrainValidation(x, y, 0.2, new Generator(1), stratify: y.Narrow(0, 0, 50)));
        Assert.Contains("[100]", e.Message);
        Assert.Contains("[50]", e.Message);
    }
}
