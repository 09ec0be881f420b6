namespace Dendrite.Tests.Kernels;

/// <summary>Pooling against naive loops written from PyTorch's definitions (output size, ceil mode, divisors),
/// gradient checks in float64, and local response normalisation against its formula.</summary>
[Trait("Category", "Kernels")]
public class PoolTests
{
    // H, W, kernel, stride, padding, dilation, ceilMode
    public static IEnumerable<object[]> Cases =>
    [
        [4, 4, 2, 2, 0, 1, false],
        [5, 7, 3, 2, 1, 1, false],
        [5, 7, 3, 2, 1, 1, true],
        [6, 6, 2, 2, 1, 1, true],
        [7, 5, 3, 1, 1, 2, false],
        [8, 9, 3, 3, 1, 1, true],
        [5, 5, 5, 1, 2, 1, false],
        [7, 9, 2, 2, 0, 1, true],
        [12, 37, 2, 2, 0, 1, false],
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void MaxPool2d_MatchesNaiveLoops(int h, int w, int k, int st, int pad, int dil, bool ceil)
    {
        var x = Tensor.Randn([2, 3, h, w], new Generator(3));
        var (y, idx) = x.MaxPool2dWithIndices((k, k), (st, st), (pad, pad), (dil, dil), ceil);
        var (ey, eidx) = NaiveMaxPool(x, k, st, pad, dil, ceil);
        ConvTests.AssertClose(ey, y, 0);
        Assert.Equal(eidx.ToArray<long>(), idx.ToArray<long>());
        Gradcheck.Assert(t => t[0].MaxPool2d((k, k), (st, st), (pad, pad), (dil, dil), ceil), x);
    }

    // The vectorised 2×2 stride-2 path: eight outputs a step and a scalar tail (OW = 18), planes split over the
    // threads, ties between window positions (small integers) and NaNs, against the naive loop's first-maximum and
    // NaN-wins rule; without a gradient to record and no indices asked for, the same values.
    [Theory]
    [InlineData(16, 36, false)]
    [InlineData(13, 37, false)]
    [InlineData(9, 7, true)]
    public void MaxPool2d_TwoByTwo_TiesNaNsAndThreads(int h, int w, bool ceil)
    {
        var g = new Generator(11);
        var x = Tensor.Randint(0, 4, [3, 50, h, w], g).To(DType.Float32);
        var nan = Tensor.Rand([3, 50, h, w], g).Lt(0.03);
        x = Tensor.Where(nan, Tensor.Scalar(float.NaN), x);
        var (y, idx) = x.MaxPool2dWithIndices((2, 2), (2, 2), (0, 0), (1, 1), ceil);
        var (ey, eidx) = NaiveMaxPool(x, 2, 2, 0, 1, ceil);
        Assert.Equal(eidx.ToArray<long>(), idx.ToArray<long>());
        Assert.Equal(ey.ToArray<float>(), y.ToArray<float>());
        using (Autograd.NoGrad())
            Assert.Equal(ey.ToArray<float>(), x.MaxPool2d((2, 2), ceilMode: ceil).ToArray<float>());
        Assert.Equal(ey.ToArray<float>(), x.MaxPool2d((2, 2), ceilMode: ceil).ToArray<float>());
        var x64 = x.To(DType.Float64);
        Assert.Equal(eidx.ToArray<long>(), x64.MaxPool2dWithIndices((2, 2), (2, 2), (0, 0), (1, 1), ceil).Indices
            .ToArray<long>());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void AvgPool2d_MatchesNaiveLoops(int h, int w, int k, int st, int pad, int dil, bool ceil)
    {
        if (dil != 1) return;
        var x = Tensor.Randn([2, 3, h, w], new Generator(4));
        foreach (bool include in new[] { true, false })
        {
            var y = x.AvgPool2d((k, k), (st, st), (pad, pad), ceil, include);
            ConvTests.AssertClose(NaiveAvgPool(x, k, st, pad, ceil, include), y, 1e-6);
            Gradcheck.Assert(t => t[0].AvgPool2d((k, k), (st, st), (pad, pad), ceil, include), x);
        }
    }

    [Fact]
    public void Pool1d_EqualsPool2dWithHeightOne()
    {
        var x = Tensor.Randn([2, 3, 11], new Generator(5));
        var (m1, i1) = x.MaxPool1dWithIndices(3, 2, 1, 2, ceilMode: true);
        var (m2, i2) = x.Unsqueeze(2).MaxPool2dWithIndices((1, 3), (1, 2), (0, 1), (1, 2), ceilMode: true);
        ConvTests.AssertClose(m2.Squeeze(2), m1, 0);
        Assert.Equal(i2.ToArray<long>(), i1.ToArray<long>());
        var a1 = x.AvgPool1d(4, 3, 2, ceilMode: true, countIncludePad: false);
        var a2 = x.Unsqueeze(2).AvgPool2d((1, 4), (1, 3), (0, 2), ceilMode: true, countIncludePad: false);
        ConvTests.AssertClose(a2.Squeeze(2), a1, 0);
        Gradcheck.Assert(t => t[0].MaxPool1d(3, 2, 1), x);
        Gradcheck.Assert(t => t[0].AvgPool1d(4, 3, 2, ceilMode: true), x);
    }

    [Theory]
    [InlineData(7, 5, 1, 1)]
    [InlineData(7, 5, 3, 2)]
    [InlineData(6, 9, 4, 4)]
    [InlineData(5, 5, 7, 3)]
    public void AdaptiveAvgPool2d_MatchesNaiveLoops(int h, int w, int oh, int ow)
    {
        var x = Tensor.Randn([2, 2, h, w], new Generator(6));
        var y = x.AdaptiveAvgPool2d(oh, ow);
        var xs = x.ToArray<double>();
        var e = new double[4 * oh * ow];
        for (int p = 0; p < 4; p++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    int h0 = (int)Math.Floor((double)i * h / oh), h1 = (int)Math.Ceiling((double)(i + 1) * h / oh);
                    int w0 = (int)Math.Floor((double)j * w / ow), w1 = (int)Math.Ceiling((double)(j + 1) * w / ow);
                    double sum = 0;
                    for (int a = h0; a < h1; a++)
                        for (int b = w0; b < w1; b++) sum += xs[(p * h + a) * w + b];
                    e[(p * oh + i) * ow + j] = sum / ((h1 - h0) * (w1 - w0));
                }
        ConvTests.AssertClose(Tensor.From(e, 2, 2, oh, ow), y, 1e-6);
        Gradcheck.Assert(t => t[0].AdaptiveAvgPool2d(oh, ow), x);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void LocalResponseNorm_MatchesFormula(int size)
    {
        var x = Tensor.Randn([2, 6, 3, 2], new Generator(8));
        var y = x.LocalResponseNorm(size, 0.1, 0.75, 2);
        var xs = x.ToArray<double>();
        var e = new double[xs.Length];
        for (int n = 0; n < 2; n++)
            for (int c = 0; c < 6; c++)
                for (int s = 0; s < 6; s++)
                {
                    double sum = 0;
                    for (int cc = c - size / 2; cc <= c + (size - 1) / 2; cc++)
                    {
                        if (cc >= 0 && cc < 6) sum += xs[(n * 6 + cc) * 6 + s] * xs[(n * 6 + cc) * 6 + s];
                    }
                    int at = (n * 6 + c) * 6 + s;
                    e[at] = xs[at] / Math.Pow(2 + 0.1 / size * sum, 0.75);
                }
        ConvTests.AssertClose(Tensor.From(e, 2, 6, 3, 2), y, 1e-5);
        Gradcheck.Assert(t => t[0].LocalResponseNorm(size, 0.1, 0.75, 2), x);
    }

    [Fact]
    public void Pool_ErrorsNameOpAndShapes()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.Zeros(1, 1, 2, 2).MaxPool2d((3, 3)));
        Assert.StartsWith("MaxPool2d: input [1,1,2,2]", e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensor.Zeros(1, 1, 8, 8).AvgPool2d((2, 2), padding: (2, 2)));
        Assert.StartsWith("AvgPool2d: padding", e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensor.Zeros(8).MaxPool1d(2));
        Assert.StartsWith("MaxPool1d: needs", e.Message);
    }

    private static int OutSize(int n, int k, int st, int pad, int dil, bool ceil)
    {
        double raw = (double)(n + 2 * pad - dil * (k - 1) - 1) / st;
        int o = (int)(ceil ? Math.Ceiling(raw) : Math.Floor(raw)) + 1;
        if (ceil && (o - 1) * st >= n + pad) o--;
        return o;
    }

    private static (Tensor, Tensor) NaiveMaxPool(Tensor x, int k, int st, int pad, int dil, bool ceil)
    {
        int planes = x.Size(0) * x.Size(1), h = x.Size(2), w = x.Size(3);
        int oh = OutSize(h, k, st, pad, dil, ceil), ow = OutSize(w, k, st, pad, dil, ceil);
        var xs = x.ToArray<double>();
        var y = new double[planes * oh * ow];
        var idx = new long[y.Length];
        for (int p = 0; p < planes; p++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    double best = double.NegativeInfinity;
                    long at = -1;
                    for (int a = 0; a < k; a++)
                        for (int b = 0; b < k; b++)
                        {
                            int hh = i * st - pad + a * dil, ww = j * st - pad + b * dil;
                            if (hh < 0 || hh >= h || ww < 0 || ww >= w) continue;
                            double v = xs[(p * h + hh) * w + ww];
                            if (at < 0 || v > best || (double.IsNaN(v) && !double.IsNaN(best)))
                            {
                                best = xs[(p * h + hh) * w + ww];
                                at = hh * w + ww;
                            }
                        }
                    y[(p * oh + i) * ow + j] = best;
                    idx[(p * oh + i) * ow + j] = at;
                }
        int[] shape = [x.Size(0), x.Size(1), oh, ow];
        return (Tensor.From(y, shape).To(DType.Float32), Tensor.From(idx, shape));
    }

    private static Tensor NaiveAvgPool(Tensor x, int k, int st, int pad, bool ceil, bool include)
    {
        int planes = x.Size(0) * x.Size(1), h = x.Size(2), w = x.Size(3);
        int oh = OutSize(h, k, st, pad, 1, ceil), ow = OutSize(w, k, st, pad, 1, ceil);
        var xs = x.ToArray<double>();
        var y = new double[planes * oh * ow];
        for (int p = 0; p < planes; p++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    // Window clipped to the padded image for the divisor with padding, to the image for the sum.
                    int h0 = i * st - pad, w0 = j * st - pad;
                    int h1 = Math.Min(h0 + k, h + pad), w1 = Math.Min(w0 + k, w + pad);
                    int withPad = (h1 - h0) * (w1 - w0);
                    double sum = 0;
                    int count = 0;
                    for (int a = Math.Max(h0, 0); a < Math.Min(h1, h); a++)
                        for (int b = Math.Max(w0, 0); b < Math.Min(w1, w); b++)
                        {
                            sum += xs[(p * h + a) * w + b];
                            count++;
                        }
                    y[(p * oh + i) * ow + j] = sum / (include ? withPad : count);
                }
        return Tensor.From(y, x.Size(0), x.Size(1), oh, ow);
    }
}
