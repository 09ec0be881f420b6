using Dendrite.Nn;

namespace Dendrite.Tests;

/// <summary>Initialisers: fan computation, and bounds / standard deviations of large draws within a few per
/// cent.</summary>
public class InitTests
{
    private static (double Max, double Std) Stats(Tensor w)
    {
        var v = w.ToArray<float>();
        double mean = v.Average(x => (double)x);
        double std = Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / v.Length);
        return (v.Max(x => Math.Abs((double)x)), std);
    }

    private static void AssertUniform(Tensor w, double bound)
    {
        var (max, std) = Stats(w);
        Assert.True(max <= bound * (1 + 1e-6), $"max {max} above bound {bound}");
        Assert.True(max > bound * 0.99, $"max {max} far below bound {bound}");
        Assert.InRange(std, bound / Math.Sqrt(3) * 0.97, bound / Math.Sqrt(3) * 1.03);
    }

    private static void AssertNormal(Tensor w, double std)
    {
        var (_, s) = Stats(w);
        Assert.InRange(s, std * 0.97, std * 1.03);
        Assert.InRange(Math.Abs(w.Mean().Item()), 0, std * 0.03);
    }

    [Fact]
    public void Fans_FollowTorchForLinearAndConvShapes()
    {
        Assert.Equal((6, 4), Init.Fans([4, 6]));
        Assert.Equal((3 * 5 * 5, 16 * 5 * 5), Init.Fans([16, 3, 5, 5]));
        Assert.Equal((10, 10), Init.Fans([10]));
    }

    [Fact]
    public void Xavier_BoundAndStd()
    {
        var g = new Generator(11);
        AssertUniform(Init.XavierUniform([300, 500], g: g), Math.Sqrt(6.0 / 800));
        AssertUniform(Init.XavierUniform([300, 500], gain: 2, g: g), 2 * Math.Sqrt(6.0 / 800));
        AssertNormal(Init.XavierNormal([300, 500], g: g), Math.Sqrt(2.0 / 800));
        AssertNormal(Init.XavierNormal([32, 16, 3, 3], g: g), Math.Sqrt(2.0 / (16 * 9 + 32 * 9)));
    }

    [Fact]
    public void Kaiming_BoundAndStd()
    {
        var g = new Generator(12);
        AssertUniform(Init.KaimingUniform([400, 300], g: g), Math.Sqrt(2) * Math.Sqrt(3.0 / 300));
        AssertUniform(Init.KaimingUniform([400, 300], a: 0.1, fanOut: true, g: g),
            Math.Sqrt(2 / 1.01) * Math.Sqrt(3.0 / 400));
        AssertNormal(Init.KaimingNormal([400, 300], g: g), Math.Sqrt(2.0 / 300));
        AssertNormal(Init.KaimingNormal([64, 32, 3, 3], fanOut: true, g: g), Math.Sqrt(2.0 / (64 * 9)));
    }

    [Fact]
    public void LeCun_BoundAndStd()
    {
        var g = new Generator(13);
        AssertNormal(Init.LeCunNormal([400, 250], g), 1 / Math.Sqrt(250));
        AssertUniform(Init.LeCunUniform([400, 250], g), Math.Sqrt(3.0 / 250));
    }

    [Theory]
    [InlineData(50, 80)]
    [InlineData(80, 50)]
    [InlineData(40, 40)]
    public void Orthogonal_RowsOrColumnsOrthonormal(int rows, int cols)
    {
        var w = Init.Orthogonal([rows, cols], gain: 2, g: new Generator(14)).To(DType.Float64);
        var gram = rows <= cols ? w.MatMul(w.T) : w.T.MatMul(w); // the smaller Gram matrix is 4·I
        int n = Math.Min(rows, cols);
        var err = (gram - Tensor.Eye(n, n, DType.Float64) * 4).Abs().Max().Item();
        Assert.True(err < 1e-5, $"max |Gram - 4I| = {err}");
    }

    [Fact]
    public void Orthogonal_ConvShapeFlattensTrailingDims()
    {
        var w = Init.Orthogonal([8, 3, 3, 3], g: new Generator(15)).To(DType.Float64);
        Assert.Equal([8, 3, 3, 3], w.Shape.ToArray());
        var flat = w.Reshape(8, 27);
        var err = (flat.MatMul(flat.T) - Tensor.Eye(8, 8, DType.Float64)).Abs().Max().Item();
        Assert.True(err < 1e-5, $"max |WWᵀ - I| = {err}");
        var e = Assert.Throws<ArgumentException>(() => Init.Orthogonal([5]));
        Assert.Contains("[5]", e.Message);
    }

    [Fact]
    public void Constants_AndSeededDrawsRepeat()
    {
        Assert.All(Init.Constant([3, 2], 0.7).ToArray<float>(), v => Assert.Equal(0.7f, v));
        Assert.All(Init.Zeros([4]).ToArray<float>(), v => Assert.Equal(0f, v));
        Assert.All(Init.Ones([4]).ToArray<float>(), v => Assert.Equal(1f, v));
        Assert.True(Init.Ones([2]).RequiresGrad);
        Assert.Equal(Init.XavierUniform([5, 5], g: new Generator(3)).ToArray<float>(),
            Init.XavierUniform([5, 5], g: new Generator(3)).ToArray<float>());
    }
}
