using Dendrite.Kernels;
using Dendrite.Kernels.Reference;

namespace Dendrite.Tests.Kernels;

/// <summary>
/// Convolutions against naive loops written here from the definition, for many stride / padding / dilation /
/// groups combinations (depthwise and odd sizes included); the float32 im2col + GEMM kernels against the
/// float64 reference; finite-difference gradient checks of every op in float64.
/// </summary>
[Trait("Category", "Kernels")]
public class ConvTests
{
    // N, C, H, W, O, KH, KW, stride, padding, dilation, groups
    public static IEnumerable<object[]> Cases =>
    [
        [1, 1, 5, 5, 1, 3, 3, 1, 0, 1, 1],
        // Direct kernels (unit stride, at most 16 output channels per group): two blocks of 8, a partial last
        // column block, dilation, and the GEMM path above 16 channels.
        [2, 3, 9, 11, 13, 3, 2, 1, 1, 2, 1],
        [3, 2, 10, 10, 16, 5, 5, 1, 2, 1, 1],
        [2, 4, 6, 7, 18, 3, 3, 1, 1, 1, 1],
        [2, 3, 7, 6, 4, 3, 3, 1, 1, 1, 1],
        [2, 3, 8, 9, 5, 3, 2, 2, 1, 1, 1],
        [1, 4, 9, 7, 6, 3, 3, 1, 2, 2, 2],
        [2, 6, 7, 7, 6, 3, 3, 2, 1, 1, 6],
        [1, 4, 6, 5, 8, 3, 3, 1, 1, 1, 4],
        [3, 2, 5, 5, 3, 1, 1, 1, 0, 1, 1],
        [1, 4, 5, 6, 6, 1, 1, 2, 0, 1, 2],
        [2, 3, 11, 10, 2, 5, 4, 3, 2, 2, 1],
        [1, 2, 4, 4, 2, 4, 4, 1, 0, 1, 1],
        [1, 3, 3, 3, 3, 3, 3, 1, 3, 3, 3],
        // Stride 2 with rows of 16 to 35 output columns: im2col's vector copy of every other column, its last 16
        // from a window moved back to the row's last column read.
        [1, 3, 5, 70, 20, 3, 3, 2, 1, 1, 1],
        [2, 2, 4, 34, 18, 3, 3, 2, 0, 1, 1],
        [1, 2, 4, 36, 17, 3, 3, 2, 1, 1, 1],
        // Strides 3 and 4 with rows of 10 to 14 output columns: im2col's gathered copy (an AlexNet-like 11×11).
        [1, 3, 5, 40, 4, 3, 3, 3, 1, 1, 1],
        [1, 3, 23, 43, 8, 11, 11, 4, 2, 1, 1],
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Conv2d_MatchesNaiveLoops(int n, int c, int h, int w, int o, int kh, int kw, int st, int pad, int dil,
        int groups)
    {
        var g = new Generator(7);
        var x = Tensor.Randn([n, c, h, w], g);
        var wt = Tensor.Randn([o, c / groups, kh, kw], g);
        var b = Tensor.Randn([o], g);
        var y = x.Conv2d(wt, b, (st, st), (pad, pad), (dil, dil), groups);
        var expected = NaiveConv2d(x, wt, b, st, pad, dil, groups);
        AssertClose(expected, y, 1e-4);
        var y64 = x.To(DType.Float64).Conv2d(wt.To(DType.Float64), b.To(DType.Float64), (st, st), (pad, pad),
            (dil, dil), groups);
        AssertClose(expected, y64, 1e-10);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Conv2d_Float32GradientsMatchReference(int n, int c, int h, int w, int o, int kh, int kw, int st,
        int pad, int dil, int groups)
    {
        var gen = new Generator(11);
        var x = Tensor.Randn([n, c, h, w], gen);
        var wt = Tensor.Randn([o, c / groups, kh, kw], gen);
        var grads32 = Grads(x, wt, st, pad, dil, groups);
        var grads64 = Grads(x.To(DType.Float64), wt.To(DType.Float64), st, pad, dil, groups);
        AssertClose(grads64.Dx, grads32.Dx, 1e-4);
        AssertClose(grads64.Dw, grads32.Dw, 1e-4);
    }

    private static (Tensor Dx, Tensor Dw) Grads(Tensor x, Tensor w, int st, int pad, int dil, int groups)
    {
        x = x.Clone().RequireGrad();
        w = w.Clone().RequireGrad();
        var y = x.Conv2d(w, null, (st, st), (pad, pad), (dil, dil), groups);
        var r = Tensor.Randn(y.Shape, new Generator(3)).To(x.DType);
        (y * r).Sum().Backward();
        return (x.Grad!, w.Grad!);
    }

    [Fact]
    public void Im2Col_Col2Im_AreAdjoint()
    {
        // ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩ for any x, c: col2im is the transpose of im2col.
        var s = new ConvShape(1, 2, 5, 6, 1, 3, 2, 3, 3, 2, 2, 1, 1, 1, 2, 1);
        var gen = new Generator(5);
        var x = Tensor.Randn([s.Cg * s.H * s.W], gen).ToFloatArray();
        var c = Tensor.Randn([s.K * s.L], gen).ToFloatArray();
        var col = new float[s.K * s.L];
        var back = new float[x.Length];
        Conv.Im2Col(x, col, s);
        Conv.Col2Im(c, back, s);
        double lhs = 0, rhs = 0;
        for (int i = 0; i < col.Length; i++) lhs += col[i] * c[i];
        for (int i = 0; i < x.Length; i++) rhs += x[i] * back[i];
        Assert.Equal(lhs, rhs, 1e-4);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void Im2Col_ShortSpans_Throw(int stride)
    {
        // Unit and strided unfoldings alike refuse an image or a column buffer one float short rather than read or
        // write past it.
        int o = ConvShape.OutputSize(9, 3, stride, 1, 1, 1);
        var s = new ConvShape(1, 2, 9, 9, 1, 3, 3, o, o, stride, stride, 1, 1, 1, 1, 1);
        var x = new float[s.Cg * s.H * s.W];
        var col = new float[s.K * s.L];
        Assert.Throws<ArgumentOutOfRangeException>(() => Conv.Im2Col(x.AsSpan(1), col, s));
        Assert.Throws<ArgumentOutOfRangeException>(() => Conv.Im2Col(x, col.AsSpan(1), s));
    }

    [Theory]
    [InlineData(1, 0, 1, 1)]
    [InlineData(2, 1, 1, 1)]
    [InlineData(1, 2, 2, 2)]
    [InlineData(2, 1, 1, 4)]
    public void Conv2d_Gradcheck(int st, int pad, int dil, int groups)
    {
        var gen = new Generator(21);
        var x = Tensor.Randn([2, 4, 5, 5], gen);
        var w = Tensor.Randn([4, 4 / groups, 3, 2], gen);
        var b = Tensor.Randn([4], gen);
        Gradcheck.Assert(t => t[0].Conv2d(t[1], t[2], (st, st), (pad, pad), (dil, dil), groups), x, w, b);
    }

    [Theory]
    [InlineData(1, 0, 1, 1)]
    [InlineData(2, 2, 1, 2)]
    [InlineData(1, 2, 2, 1)]
    public void Conv1d_GradcheckAndNaive(int st, int pad, int dil, int groups)
    {
        var gen = new Generator(22);
        var x = Tensor.Randn([2, 4, 9], gen);
        var w = Tensor.Randn([6, 4 / groups, 3], gen);
        var b = Tensor.Randn([6], gen);
        var y = x.Conv1d(w, b, st, pad, dil, groups);
        var expected = NaiveConv2d(x.Unsqueeze(2), w.Unsqueeze(2), b, st, pad, dil, groups, padH: 0, strideH: 1);
        AssertClose(expected.Squeeze(2), y, 1e-4);
        Gradcheck.Assert(t => t[0].Conv1d(t[1], t[2], st, pad, dil, groups), x, w, b);
    }

    [Theory]
    [InlineData(1, 0, 0, 1, 1)]
    [InlineData(2, 1, 1, 1, 1)]
    [InlineData(2, 0, 1, 2, 1)]
    [InlineData(3, 1, 2, 1, 2)]
    public void ConvTranspose2d_IsAdjointOfConv2dAndGradchecks(int st, int pad, int outPad, int dil, int groups)
    {
        var gen = new Generator(23);
        var x = Tensor.Randn([2, 4, 3, 4], gen, dtype: DType.Float64);
        var w = Tensor.Randn([4, 6 / groups, 3, 3], gen, dtype: DType.Float64);
        var y = x.ConvTranspose2d(w, null, (st, st), (pad, pad), (outPad, outPad), groups, (dil, dil));
        // ⟨convT(x), z⟩ = ⟨x, conv(z)⟩: the transposed convolution is the adjoint of the convolution.
        var z = Tensor.Randn(y.Shape, gen, dtype: DType.Float64);
        var cz = z.Conv2d(w, null, (st, st), (pad, pad), (dil, dil), groups);
        Assert.Equal(x.Shape.ToArray(), cz.Shape.ToArray());
        Assert.Equal((y * z).Sum().Item(), (x * cz).Sum().Item(), 1e-9);
        var y32 = x.To(DType.Float32).ConvTranspose2d(w.To(DType.Float32), null, (st, st), (pad, pad),
            (outPad, outPad), groups, (dil, dil));
        AssertClose(y, y32, 1e-4);
        var b = Tensor.Randn([6], gen);
        Gradcheck.Assert(t => t[0].ConvTranspose2d(t[1], t[2], (st, st), (pad, pad), (outPad, outPad), groups,
            (dil, dil)), x, w, b);
    }

    [Fact]
    public void Conv2d_ErrorsNameOpAndShapes()
    {
        var x = Tensor.Zeros(8, 3, 32, 32);
        var e = Assert.Throws<ArgumentException>(() => x.Conv2d(Tensor.Zeros(16, 4, 3, 3)));
        Assert.Equal("Conv2d: input [8,3,32,32] has 3 channels, weight [16,4,3,3] expects 4 (groups 1)", e.Message);
        e = Assert.Throws<ArgumentException>(() => x.Conv2d(Tensor.Zeros(16, 3, 3, 3), Tensor.Zeros(15)));
        Assert.Contains("bias [15]", e.Message);
        e = Assert.Throws<ArgumentException>(() => x.Conv2d(Tensor.Zeros(16, 3, 40, 3)));
        Assert.Contains("smaller than the kernel [16,3,40,3]", e.Message);
        e = Assert.Throws<ArgumentException>(() => x.Conv2d(Tensor.Zeros(16, 1, 3, 3), groups: 2));
        Assert.Contains("groups 2", e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensor.Zeros(8, 3, 32).Conv2d(Tensor.Zeros(16, 3, 3, 3)));
        Assert.StartsWith("Conv2d: input [8,3,32]", e.Message);
        e = Assert.Throws<ArgumentException>(() =>
            Tensor.Zeros(1, 3, 4, 4).ConvTranspose2d(Tensor.Zeros(3, 2, 3, 3), outputPadding: (1, 1)));
        Assert.StartsWith("ConvTranspose2d: output padding", e.Message);
    }

    // y[n,o,i,j] = b[o] + Σ w[o,c,p,q]·x[n, g·Cg + c, i·s - pad + p·d, j·s - pad + q·d], in double.
    internal static Tensor NaiveConv2d(Tensor x, Tensor w, Tensor? b, int st, int pad, int dil, int groups,
        int? padH = null, int? strideH = null)
    {
        int n = x.Size(0), c = x.Size(1), h = x.Size(2), wd = x.Size(3);
        int o = w.Size(0), cg = w.Size(1), kh = w.Size(2), kw = w.Size(3), og = o / groups;
        int ph = padH ?? pad, sh = strideH ?? st;
        int oh = (h + 2 * ph - dil * (kh - 1) - 1) / sh + 1, ow = (wd + 2 * pad - dil * (kw - 1) - 1) / st + 1;
        var xs = x.ToArray<double>();
        var ws = w.ToArray<double>();
        var bs = b?.ToArray<double>();
        var y = new double[n * o * oh * ow];
        for (int e = 0; e < y.Length; e++)
        {
            // e = ((ni·O + oi)·OH + i)·OW + j
            int j = e % ow, i = e / ow % oh, oi = e / (ow * oh) % o, ni = e / (ow * oh * o);
            double acc = bs?[oi] ?? 0;
            for (int r = 0; r < cg * kh * kw; r++)
            {
                // r = (ci·KH + p)·KW + q
                int q = r % kw, p = r / kw % kh, ci = r / (kw * kh);
                int hh = i * sh - ph + p * dil, vv = j * st - pad + q * dil;
                if (hh < 0 || hh >= h || vv < 0 || vv >= wd) continue;
                acc += ws[r + oi * cg * kh * kw] * xs[((ni * c + oi / og * cg + ci) * h + hh) * wd + vv];
            }
            y[e] = acc;
        }
        return Tensor.From(y, n, o, oh, ow);
    }

    internal static void AssertClose(Tensor expected, Tensor actual, double tol)
    {
        Assert.Equal(expected.Shape.ToArray(), actual.Shape.ToArray());
        var e = expected.ToArray<double>();
        var a = actual.ToArray<double>();
        for (int i = 0; i < e.Length; i++)
        {
            if (Math.Abs(e[i] - a[i]) > tol * (1 + Math.Abs(e[i])))
                Assert.Fail($"element {i}: expected {e[i]}, got {a[i]} (shape {Shapes.Format(expected.Shape)})");
        }
    }
}
