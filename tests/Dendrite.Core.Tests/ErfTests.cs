namespace Dendrite.Tests;

/// <summary>
/// The vectorised float32 erf (Tensor.Erf.cs) against <see cref="Tensor.ErfScalar"/> in double: a dense grid,
/// every length from 0 to 256 (all vector tails), and special values; the vector lanes against the scalar
/// reference of the same formula. Runs again in CI with wider instruction sets switched off.
/// </summary>
[Trait("Category", "Kernels")]
public class ErfTests
{
    // Distance in float32 ulps between a float result and the exact value rounded to float.
    private static long Ulps(float got, double exact)
    {
        float want = (float)exact;
        if (got.Equals(want)) return 0;
        int a = BitConverter.SingleToInt32Bits(got), b = BitConverter.SingleToInt32Bits(want);
        if ((a < 0) != (b < 0)) return Math.Abs((long)a & int.MaxValue) + Math.Abs((long)b & int.MaxValue);
        return Math.Abs((long)a - b);
    }

    [Fact]
    public void Erf_DenseGridWithinOneUlp()
    {
        const int n = 200_001;
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = -5f + 10f * i / (n - 1);
        var y = new float[n];
        Tensor.ErfFloat(x, y);
        long worst = 0;
        for (int i = 0; i < n; i++) worst = Math.Max(worst, Ulps(y[i], Tensor.ErfScalar(x[i])));
        Assert.True(worst <= 1, $"largest error {worst} ulps");
    }

    [Fact]
    public void Erf_SmallArgumentsWithinOneUlp()
    {
        // Near zero erf x ≈ 2x/√π: relative accuracy matters down to the denormals.
        long worst = 0;
        for (float v = 1e-40f; v < 1f; v *= 1.37f)
        {
            foreach (float s in new[] { v, -v })
            {
                var lanes = new float[8];
                Tensor.ErfFloat([s, s, s, s, s, s, s, s], lanes);
                worst = Math.Max(worst, Ulps(lanes[0], Tensor.ErfScalar(s)));
                worst = Math.Max(worst, Ulps(Tensor.ErfFloat(s), Tensor.ErfScalar(s)));
            }
        }
        Assert.True(worst <= 1, $"largest error {worst} ulps");
    }

    [Fact]
    public void Erf_AllLengthsMatchScalarReference()
    {
        var g = new Generator(11);
        for (int len = 0; len <= 256; len++)
        {
            var x = new float[len];
            for (int i = 0; i < len; i++) x[i] = (float)(g.NextGaussian() * 2.5);
            var y = new float[len];
            Tensor.ErfFloat(x, y);
            for (int i = 0; i < len; i++)
            {
                Assert.True(Ulps(y[i], Tensor.ErfFloat(x[i])) <= 1, $"length {len}, element {i}: x = {x[i]:R}");
                Assert.True(Ulps(y[i], Tensor.ErfScalar(x[i])) <= 1, $"length {len}, element {i}: x = {x[i]:R}");
            }
        }
    }

    [Fact]
    public void Erf_SpecialValuesAtRandomPositions()
    {
        float[] specials = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f, -0f, 1e-45f, -1e-45f,
            4f, -4f, 3.999f, 1f, -1f, 0.99999994f, 100f];
        var g = new Generator(3);
        for (int len = 1; len <= 40; len++)
        {
            var x = new float[len];
            for (int i = 0; i < len; i++) x[i] = (float)g.NextGaussian();
            for (int k = 0; k < 3; k++) x[(int)g.NextInt64(0, len)] = specials[(int)g.NextInt64(0, specials.Length)];
            var y = new float[len];
            Tensor.ErfFloat(x, y);
            for (int i = 0; i < len; i++)
            {
                float want = (float)Tensor.ErfScalar(x[i]);
                if (float.IsNaN(x[i])) Assert.True(float.IsNaN(y[i]));
                else if (x[i] == 0) Assert.True(y[i] == 0 && float.IsNegative(x[i]) == float.IsNegative(y[i]));
                else Assert.True(Ulps(y[i], want) <= 1, $"x = {x[i]:R}: got {y[i]:R}, want {want:R}");
            }
        }
    }

    [Fact]
    public void Erf_InPlaceAndThroughTensor()
    {
        var x = Tensor.Randn([3, 37], new Generator(4));
        var want = x.ToFloatArray().Select(v => (float)Tensor.ErfScalar(v)).ToArray();
        var got = x.Erf().ToFloatArray();
        for (int i = 0; i < want.Length; i++) Assert.True(Ulps(got[i], want[i]) <= 1);
        var buf = x.ToFloatArray();
        Tensor.ErfFloat(buf, buf);
        Assert.Equal(got, buf);
        var t = x.T.Erf().T.ToFloatArray();
        Assert.Equal(got, t);
    }
}
