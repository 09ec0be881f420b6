using static Dendrite.IO.Tests.OnnxOpHarness;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Dendrite.IO.Tests;

// Quantization, random generators and window functions, each checked against its defining property.
public class OnnxQuantizeRandomTests
{
    [Fact]
    public void QuantizeLinear_RoundTripsWithinHalfAStep()
    {
        var x = Tensor.Rand([2, 3, 4], new Generator(1), -1, 1);
        var scale = Tensor.Scalar(0.01);
        var zp = Tensor.Scalar(128, DType.Int64);
        var q = Run1("QuantizeLinear", In(x), In(scale), In(zp, DataType.Uint8));
        Assert.Equal(DType.Int64, q.DType);
        var back = Run1("DequantizeLinear", In(q, DataType.Uint8), In(scale), In(zp, DataType.Uint8));
        float[] a = x.ToArray<float>(), b = back.ToArray<float>();
        for (int i = 0; i < a.Length; i++) Assert.InRange(Math.Abs(a[i] - b[i]), 0, 0.005 + 1e-6);
    }

    [Fact]
    public void QuantizeLinear_SaturatesToTheZeroPointType()
    {
        var x = Tensor.From([-1000f, -1f, 0f, 1000f], 4);
        var scale = Tensor.Scalar(1.0);
        var asU8 = Run1("QuantizeLinear", In(x), In(scale), In(Tensor.Scalar(0, DType.Int64), DataType.Uint8));
        Assert.Equal(new long[] { 0, 0, 0, 255 }, asU8.ToArray<long>());
        var asI8 = Run1("QuantizeLinear", In(x), In(scale), In(Tensor.Scalar(0, DType.Int64), DataType.Int8));
        Assert.Equal(new long[] { -128, -1, 0, 127 }, asI8.ToArray<long>());
        // Without a zero point the result is uint8.
        Assert.Equal(asU8.ToArray<long>(), Run1("QuantizeLinear", In(x), In(scale)).ToArray<long>());
    }

    [Fact]
    public void QuantizeLinear_PerAxisScalesAndBadShapes()
    {
        var x = Tensor.Ones(2, 3);
        var q = Run1("QuantizeLinear", In(x), In(Tensor.From([0.5f, 0.25f, 1f], 3)),
            In(Longs(0, 0, 0), DataType.Uint8));
        Assert.Equal(new long[] { 2, 4, 1, 2, 4, 1 }, q.ToArray<long>());
        Rejects(() => Run1("QuantizeLinear", In(x), In(Tensor.From([0.5f, 0.25f], 2))), "y_scale [2]", "axis 1");
    }

    [Fact]
    public void DynamicQuantizeLinear_CoversTheRangeAndZero()
    {
        var x = Tensor.Rand([5, 7], new Generator(2), -3, 5);
        var outs = Run("DynamicQuantizeLinear", [In(x)], outputs: 3);
        var q = outs[0].ToArray<long>();
        float scale = outs[1].ToArray<float>()[0];
        long zp = outs[2].ToArray<long>()[0];
        var v = x.ToArray<float>();
        Assert.Equal((Math.Max(0, v.Max()) - Math.Min(0, v.Min())) / 255f, scale, 6);
        for (int i = 0; i < v.Length; i++)
        {
            Assert.InRange(q[i], 0, 255);
            Assert.InRange(Math.Abs((q[i] - zp) * scale - v[i]), 0, scale * 0.5 + 1e-5);
        }
    }

    [Fact]
    public void MatMulInteger_SubtractsZeroPointsExactly()
    {
        var a = Tensor.Randint(0, 256, [3, 4], new Generator(3));
        var b = Tensor.Randint(0, 256, [4, 2], new Generator(4));
        var y = Run("MatMulInteger", [In(a, DataType.Uint8), In(b, DataType.Uint8),
            In(Tensor.Scalar(12, DType.Int64), DataType.Uint8), In(Longs(7, 200), DataType.Uint8)],
            outputType: DataType.Int32)[0];
        long[] av = a.ToArray<long>(), bv = b.ToArray<long>(), yv = y.ToArray<long>();
        for (int i = 0; i < 3; i++)
        {
            for (int j = 0; j < 2; j++)
            {
                long acc = 0;
                for (int k = 0; k < 4; k++) acc += (av[i * 4 + k] - 12) * (bv[k * 2 + j] - (j == 0 ? 7 : 200));
                Assert.Equal(acc, yv[i * 2 + j]);
            }
        }
    }

    [Fact]
    public void RandomUniformLike_SeededRepeatsAndStaysInRange()
    {
        var like = Tensor.Zeros(DType.Float64, 100);
        var attrs = Attrs(("seed", 3f), ("low", -2f), ("high", 5f));
        var a = Run("RandomUniformLike", [In(like)], attributes: attrs)[0];
        var b = Run("RandomUniformLike", [In(like)], attributes: attrs)[0];
        Assert.Equal(DType.Float64, a.DType);
        Assert.Equal(a.ToArray<double>(), b.ToArray<double>());
        Assert.All(a.ToArray<double>(), v => Assert.InRange(v, -2, 5));
        Rejects(() => Run("RandomUniformLike", [In(like)], attributes: Attrs(("low", 2f), ("high", 1f))),
            "low 2 and high 1");
        Rejects(() => Run("RandomUniform", [], attributes: Attrs(("shape", new long[] { 1 << 20, 1 << 20 }))),
            "shape");
    }

    [Fact]
    public void RandomNormal_HasTheRequestedShapeAndType()
    {
        var y = Run("RandomNormal", [], attributes: Attrs(("shape", new long[] { 3, 4 }), ("dtype", 11),
            ("mean", 10f), ("scale", 0.001f)))[0];
        Assert.Equal(DType.Float64, y.DType);
        Assert.Equal([3, 4], y.Shape.ToArray());
        Assert.All(y.ToArray<double>(), v => Assert.InRange(v, 9.9, 10.1));
    }

    [Fact]
    public void Bernoulli_HonoursCertainProbabilitiesAndRejectsOthers()
    {
        var p = Tensor.From([0f, 1f, 0f, 1f, 1f], 5);
        var y = Run("Bernoulli", [In(p)], attributes: Attrs(("dtype", 11)))[0];
        Assert.Equal(DType.Float64, y.DType);
        Assert.Equal(new double[] { 0, 1, 0, 1, 1 }, y.ToArray<double>());
        Rejects(() => Run1("Bernoulli", In(Tensor.From([0.5f, 1.5f], 2))), "probability 1.5", "element 1");
    }

    [Theory]
    [InlineData("HannWindow")]
    [InlineData("HammingWindow")]
    [InlineData("BlackmanWindow")]
    public void Windows_SymmetricIsAPalindromeAndPeriodicDropsItsLastPoint(string op)
    {
        var symmetric = Run(op, [In(Tensor.Scalar(9, DType.Int64))], attributes: Attrs(("periodic", 0)))[0]
            .ToArray<float>();
        var periodic = Run1(op, In(Tensor.Scalar(8, DType.Int64))).ToArray<float>();
        for (int k = 0; k < 9; k++) Assert.Equal(symmetric[k], symmetric[8 - k], 6);
        for (int k = 0; k < 8; k++) Assert.Equal(symmetric[k], periodic[k], 6);
        Assert.True(symmetric[4] > 0.99f, $"{op} peaks at 1 in the middle, got {symmetric[4]}");
        Rejects(() => Run1(op, In(Tensor.Scalar(-1, DType.Int64))), "size[0] = -1");
    }
}
