namespace Dendrite.Tests;

/// <summary>Reductions over every pattern of axes (leading, trailing, a kept middle block, scattered) against a
/// naive loop over all elements.</summary>
public class ReduceTests
{
    public static TheoryData<int[]> AxisSets() =>
    [
        [0], [1], [2], [3], [0, 1], [2, 3], [0, 2, 3], [0, 3], [0, 1, 3], [0, 2], [1, 3], [0, 1, 2, 3], [1, 2],
    ];

    [Theory]
    [MemberData(nameof(AxisSets))]
    public void SumMaxMin_MatchNaiveLoop(int[] axes)
    {
        int[] shape = [3, 4, 5, 6];
        var x = Tensor.Randn(shape, new Generator(7));
        var xs = x.ToFloatArray();
        foreach (var kind in new[] { "sum", "max", "min" })
        {
            var y = kind switch
            {
                "sum" => x.Sum(axes, keepDim: true),
                "max" => x.Max(axes, keepDim: true),
                _ => x.Min(axes, keepDim: true),
            };
            var expected = Naive(xs, shape, axes, kind);
            var got = y.ToFloatArray();
            Assert.Equal(expected.Length, got.Length);
            for (int i = 0; i < got.Length; i++) Assert.Equal(expected[i], got[i], 4);
        }
    }

    [Fact]
    public void MaxOverKeptMiddleBlock_PropagatesNaN()
    {
        var x = Tensor.Zeros(2, 3, 4);
        x[1, 1, 2] = double.NaN;
        var y = x.Max([0, 2]).ToFloatArray();
        Assert.False(float.IsNaN(y[0]));
        Assert.True(float.IsNaN(y[1]));
    }

    private static float[] Naive(float[] xs, int[] shape, int[] axes, string kind)
    {
        var kept = (int[])shape.Clone();
        foreach (int a in axes) kept[a] = 1;
        int n = kept.Aggregate(1, (p, d) => p * d);
        var acc = new double[n];
        var seen = new bool[n];
        var idx = new int[shape.Length];
        for (int flat = 0; flat < xs.Length; flat++)
        {
            int rem = flat;
            for (int d = shape.Length - 1; d >= 0; d--)
            {
                idx[d] = rem % shape[d];
                rem /= shape[d];
            }
            int o = 0;
            for (int d = 0; d < shape.Length; d++) o = o * kept[d] + (kept[d] == 1 ? 0 : idx[d]);
            double v = xs[flat];
            acc[o] = !seen[o] ? v : kind switch
            {
                "sum" => acc[o] + v,
                "max" => Math.Max(acc[o], v),
                _ => Math.Min(acc[o], v),
            };
            seen[o] = true;
        }
        return acc.Select(v => (float)v).ToArray();
    }
}
