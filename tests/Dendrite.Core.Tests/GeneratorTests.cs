namespace Dendrite.Tests;

/// <summary>Seeded random numbers: reproducible, and with the requested distribution.</summary>
public class GeneratorTests
{
    [Fact]
    public void SameSeed_SameValues()
    {
        Assert.Equal(Tensor.Randn([5, 7], new Generator(42)).ToFloatArray(),
            Tensor.Randn([5, 7], new Generator(42)).ToFloatArray());
        Assert.Equal(Tensor.Rand([9], new Generator(7)).ToFloatArray(),
            Tensor.Rand([9], new Generator(7)).ToFloatArray());
        Assert.Equal(Tensor.Randperm(10, new Generator(3)).ToArray<long>(),
            Tensor.Randperm(10, new Generator(3)).ToArray<long>());
        Assert.NotEqual(Tensor.Randn([8], new Generator(1)).ToFloatArray(),
            Tensor.Randn([8], new Generator(2)).ToFloatArray());
    }

    [Fact]
    public void ManualSeed_ResetsDefaultGenerator()
    {
        Generator.ManualSeed(11);
        var a = Tensor.Randn([6]).ToFloatArray();
        Generator.ManualSeed(11);
        Assert.Equal(a, Tensor.Randn([6]).ToFloatArray());
    }

    [Fact]
    public void State_RoundTrips()
    {
        var g = new Generator(5);
        g.NextGaussian();
        var state = g.GetState();
        var a = Tensor.Randn([4], g).ToFloatArray();
        g.SetState(state);
        Assert.Equal(a, Tensor.Randn([4], g).ToFloatArray());
    }

    [Fact]
    public void Randn_MeanAndStd()
    {
        var x = Tensor.Randn([100_000], new Generator(123), mean: 2, std: 3, dtype: DType.Float64);
        // standard error of the mean is 3/√1e5 ≈ 0.0095; of the std about 0.0067
        Assert.InRange(x.Mean().Item(), 1.96, 2.04);
        Assert.InRange(x.Std(0).Item(), 2.97, 3.03);
    }

    [Fact]
    public void Rand_StaysInRange()
    {
        var x = Tensor.Rand([10_000], new Generator(9), low: -2, high: 5);
        Assert.True(x.Min().Item() >= -2);
        Assert.True(x.Max().Item() < 5);
        Assert.InRange(x.Mean().Item(), 1.4, 1.6);
    }

    [Fact]
    public void Randint_AndRandperm()
    {
        var r = Tensor.Randint(3, 8, [1000], new Generator(4));
        Assert.Equal(DType.Int64, r.DType);
        Assert.Equal(3, r.Min().Item());
        Assert.Equal(7, r.Max().Item());
        var p = Tensor.Randperm(50, new Generator(4)).ToArray<long>();
        Assert.Equal(Enumerable.Range(0, 50).Select(i => (long)i), p.Order());
    }

    [Fact]
    public void Bernoulli_Frequency()
    {
        var b = Tensor.Bernoulli(0.3, [20_000], new Generator(8));
        Assert.InRange(b.Mean().Item(), 0.28, 0.32);
    }
}
