namespace Dendrite.Tests;

/// <summary>
/// The tensor ops of the model families against PyTorch (tests/fixtures/tensorops.json, written by
/// tools/make_tensorops_fixtures.py; see <see cref="TensorOpsFixture"/>), plus the conventions, sampling and errors
/// a fixture cannot show.
/// </summary>
public class TensorOpsTests
{
    private static Tensor[] One(Tensor t) => [t];

    private static Tensor[] Two((Tensor A, Tensor B) p) => [p.A, p.B];

    /// <summary>Each op key of make_tensorops_fixtures.py, written with the Dendrite API.</summary>
    public static readonly IReadOnlyDictionary<string, Func<Tensor[], TensorOpsFixture.Args, Tensor[]>> Ops =
        new Dictionary<string, Func<Tensor[], TensorOpsFixture.Args, Tensor[]>>
        {
            ["sin"] = (x, a) => One(x[0].Sin()),
            ["cos"] = (x, a) => One(x[0].Cos()),
            ["tril"] = (x, a) => One(x[0].Tril(a.Int("diagonal"))),
            ["triu"] = (x, a) => One(x[0].Triu(a.Int("diagonal"))),
            ["cumsum"] = (x, a) => One(x[0].CumSum(a.Int("dim"))),
            ["cumprod"] = (x, a) => One(x[0].CumProd(a.Int("dim"))),
            ["sort"] = (x, a) => Two(x[0].Sort(a.Int("dim"), a.Bool("descending"))),
            ["argsort"] = (x, a) => One(x[0].ArgSort(a.Int("dim"), a.Bool("descending"))),
            ["topk"] = (x, a) => Two(x[0].TopK(a.Int("k"), a.Int("dim"), a.Bool("largest"))),
            ["softmax_bool_mask"] = (x, a) => One(x[0].Softmax(a.Int("dim"), x[1])),
            ["log_softmax_bool_mask"] = (x, a) => One(x[0].LogSoftmax(a.Int("dim"), x[1])),
            ["softmax_add_mask"] = (x, a) => One(x[0].Softmax(a.Int("dim"), x[1])),
            ["log_softmax_add_mask"] = (x, a) => One(x[0].LogSoftmax(a.Int("dim"), x[1])),
            ["interpolate"] = (x, a) => One(x[0].Interpolate(
                a.Has("size") ? a.Ints("size") : null,
                a.Has("scale") ? a.Doubles("scale") : null,
                a.Str("mode") switch
                {
                    "nearest" => InterpolateMode.Nearest,
                    "bicubic" => InterpolateMode.Bicubic,
                    _ => InterpolateMode.Linear,
                },
                a.Has("align") && a.Bool("align"))),
            ["pad_mode"] = (x, a) => One(x[0].Pad(a.Ints("pad"),
                Enum.Parse<PadMode>(a.Str("mode"), ignoreCase: true), a.Double("value"))),
            ["einsum"] = (x, a) => One(Tensor.Einsum(a.Str("equation"), x)),
            ["index_add"] = (x, a) => One(x[0].IndexAdd(a.Int("dim"), x[1], x[2])),
            ["index_put"] = (x, a) => One(x[0].IndexPut(x[2..], x[1], a.Bool("accumulate"))),
            ["masked_select"] = (x, a) => One(x[0].MaskedSelect(x[1])),
        };

    public static IEnumerable<object[]> CaseNames =>
        TensorOpsFixture.Cases.Select(c => new object[] { c.GetProperty("name").GetString()! });

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void TensorOp_MatchesTorch(string name) => TensorOpsFixture.Run(name, Ops);

    [Fact]
    public void TensorOpsFixture_HeaderNamesGeneratorAndCoversEveryOp()
    {
        var h = TensorOpsFixture.Header;
        Assert.Equal("tools/make_tensorops_fixtures.py", h.GetProperty("generator").GetString());
        Assert.StartsWith("1.13", h.GetProperty("torch").GetString());
        Assert.Equal(h.GetProperty("cases").GetInt32(), TensorOpsFixture.Cases.Count());
        var used = TensorOpsFixture.Cases.Select(c => c.GetProperty("op").GetString()!).ToHashSet();
        var unused = Ops.Keys.Where(k => !used.Contains(k)).ToArray();
        Assert.True(unused.Length == 0, "ops without a fixture case: " + string.Join(", ", unused));
    }

    // ------------------------------------------------------------------ conventions

    [Fact]
    public void CumProd_GradWithZerosMatchesProductOfOthers()
    {
        // y = cumprod([2, 0, 3]) = [2, 0, 0]; d(Σy)/dx₀ = 1 + 0 + 0, d/dx₁ = 2 + 2·3, d/dx₂ = 2·0
        var x = Tensor.From([2.0, 0.0, 3.0], 3).RequireGrad();
        x.CumProd(0).Sum().Backward();
        Assert.Equal([1.0, 8.0, 0.0], x.Grad!.ToArray<double>());
    }

    [Fact]
    public void Sort_StableAndNaNLast()
    {
        var x = Tensor.From([1f, float.NaN, 0f, 1f, -2f], 5);
        var (v, i) = x.Sort();
        Assert.Equal([4L, 2L, 0L, 3L, 1L], i.ToArray<long>());
        Assert.True(float.IsNaN(v.ToFloatArray()[4]));
        Assert.Equal([1L, 0L, 3L, 2L, 4L], x.ArgSort(descending: true).ToArray<long>());
    }

    [Fact]
    public void TopK_GradientScattersToIndices()
    {
        var x = Tensor.From([0.5f, 3f, -1f, 2f], 4).RequireGrad();
        var (v, i) = x.TopK(2);
        Assert.Equal([1L, 3L], i.ToArray<long>());
        (v * Tensor.From([10f, 20f], 2)).Sum().Backward();
        Assert.Equal([0f, 10f, 0f, 20f], x.Grad!.ToFloatArray());
    }

    [Fact]
    public void Softmax_FullyMaskedRowsAreZeroNotNaN()
    {
        var x = Tensor.Randn([2, 3], new Generator(5)).RequireGrad();
        var keep = Tensor.From([true, false, true, false, false, false], 2, 3);
        var y = x.Softmax(-1, keep);
        var v = y.ToFloatArray();
        Assert.Equal([0f, 0f, 0f], v[3..]);
        Assert.Equal(0f, v[1]);
        Assert.Equal(1f, v[0] + v[2], 5);
        y.Sum().Backward();
        Assert.All(x.Grad!.ToFloatArray(), g => Assert.True(float.IsFinite(g)));
        var additive = x.Detach().Softmax(-1, Tensor.Full(double.NegativeInfinity, 3));
        Assert.All(additive.ToFloatArray(), e => Assert.Equal(0f, e));
    }

    [Fact]
    public void Softmax_MaskGradientMatchesFiniteDifferences()
    {
        var x = Tensor.Randn([3, 4], new Generator(8));
        var bias = Tensor.Randn([4], new Generator(9));
        Gradcheck.Assert(xs => xs[0].Softmax(1, xs[1]), x, bias);
        Gradcheck.Assert(xs => xs[0].LogSoftmax(1, xs[1]), x, bias);
        // Bool masks give -∞ log-probabilities, which finite differences cannot take: fill them first.
        var keep = Tensor.From([true, false, true, true, false, false, false, false, true, true, false, true], 3, 4);
        Gradcheck.Assert(xs => xs[0].LogSoftmax(1, keep).MaskedFill(keep.Not(), 0), x);
    }

    [Fact]
    public void Multinomial_SeededAndFollowsProbabilities()
    {
        var p = Tensor.From([0.1f, 0.0f, 0.6f, 0.3f, 0f, 1f, 0f, 0f], 2, 4);
        var a = Tensor.Multinomial(p, 4000, replacement: true, new Generator(42));
        var b = Tensor.Multinomial(p, 4000, replacement: true, new Generator(42));
        Assert.Equal(a.ToArray<long>(), b.ToArray<long>());
        Assert.Equal([2, 4000], a.Shape.ToArray());
        var row0 = a.Select(0, 0).ToArray<long>();
        Assert.DoesNotContain(1L, row0);
        double f2 = row0.Count(v => v == 2) / 4000.0, f3 = row0.Count(v => v == 3) / 4000.0;
        // binomial standard deviations at n = 4000 are below 0.008: 5σ bounds
        Assert.InRange(f2, 0.56, 0.64);
        Assert.InRange(f3, 0.26, 0.34);
        Assert.All(a.Select(0, 1).ToArray<long>(), v => Assert.Equal(1L, v));
    }

    [Fact]
    public void Multinomial_WithoutReplacementDrawsDistinct()
    {
        var p = Tensor.From([0.2, 0.1, 0.3, 0.4, 0.0], 5);
        for (ulong s = 0; s < 20; s++)
        {
            var draw = Tensor.Multinomial(p, 4, replacement: false, new Generator(s)).ToArray<long>();
            Assert.Equal(4, draw.Distinct().Count());
            Assert.DoesNotContain(4L, draw);
        }
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Multinomial(p, 5));
        Assert.Contains("4 positive weights", ex.Message);
    }

    [Fact]
    public void Einsum_ThreeOperandChainMatchesMatMul()
    {
        var g = new Generator(3);
        var a = Tensor.Randn([2, 3], g);
        var b = Tensor.Randn([3, 4], g);
        var c = Tensor.Randn([4, 5], g);
        var want = a.MatMul(b).MatMul(c).ToFloatArray();
        var got = Tensor.Einsum("ij,jk,kl->il", a, b, c).ToFloatArray();
        for (int i = 0; i < want.Length; i++) Assert.Equal(want[i], got[i], 4);
        Gradcheck.Assert(xs => Tensor.Einsum("ij,jk,kl->li", xs[0], xs[1], xs[2]), a, b, c);
    }

    [Fact]
    public void Ops_ScalarAndEmptyEdges()
    {
        var a = Tensor.Randn([2, 3], new Generator(12));
        var b = Tensor.Randn([4], new Generator(13));
        double want = a.Sum().Item() * b.Sum().Item();
        Assert.Equal(want, Tensor.Einsum("ij,k->", a, b).Item(), 4);
        Assert.Equal(want, Tensor.Einsum("ij,k", a, b).Sum().Item(), 4);
        var s = Tensor.Scalar(2.5);
        Assert.Equal(2.5, s.CumSum(0).Item());
        Assert.Equal(2.5, s.Sort().Values.Item());
        Assert.Equal([0, 3], Tensor.Zeros(0, 3).Sort(1).Indices.Shape.ToArray());
        Assert.Equal([2, 0], a.TopK(0).Values.Shape.ToArray());
        Assert.Equal(0, Tensor.Zeros(2, 2).MaskedSelect(Tensor.Zeros(DType.Bool, 2, 2)).Numel);
    }

    [Fact]
    public void IndexPut_AccumulateGradientReachesEveryRepeat()
    {
        var x = Tensor.Zeros(3, 2).RequireGrad();
        var v = Tensor.Ones(3, 2).RequireGrad();
        var y = x.IndexPut([Tensor.From([1L, 1L, 2L], 3)], v, accumulate: true);
        Assert.Equal([0f, 0f, 2f, 2f, 1f, 1f], y.ToFloatArray());
        (y * Tensor.Arange(6).Reshape(3, 2)).Sum().Backward();
        Assert.Equal([2f, 3f, 2f, 3f, 4f, 5f], v.Grad!.ToFloatArray());
        Assert.Equal([0f, 1f, 2f, 3f, 4f, 5f], x.Grad!.ToFloatArray());
    }

    [Fact]
    public void Pad_ReflectGradientSumsMirroredBorder()
    {
        var x = Tensor.From([1f, 2f, 3f], 1, 3).RequireGrad();
        var y = x.Pad([2, 1], PadMode.Reflect);
        Assert.Equal([3f, 2f, 1f, 2f, 3f, 2f], y.ToFloatArray());
        y.Sum().Backward();
        Assert.Equal([1f, 3f, 2f], x.Grad!.ToFloatArray());
    }

    // ------------------------------------------------------------------ row-wise Gather/Scatter, bulk random fills

    [Fact]
    public void Gather_RowPathMatchesCoordinatePath()
    {
        var g = new Generator(6);
        var x = Tensor.Randn([3, 5, 4], g);
        // [3,2,4] takes the row path; [2,2,4] (smaller outside the axis) the coordinate path.
        foreach (int[] s in new[] { new[] { 3, 2, 4 }, new[] { 2, 2, 4 } })
        {
            var index = Tensor.Randint(0, 5, s, g);
            var y = x.Gather(1, index).ToFloatArray();
            long[] iv = index.ToArray<long>();
            for (int a = 0, p = 0; a < s[0]; a++)
            {
                for (int b = 0; b < s[1]; b++)
                {
                    for (int c = 0; c < s[2]; c++, p++) Assert.Equal((float)x[a, (int)iv[p], c], y[p]);
                }
            }
            var src = Tensor.Randn(s, g);
            var added = Tensor.Zeros(3, 5, 4).ScatterAdd(1, index, src);
            var want = new double[60];
            var sv = src.ToArray<double>();
            for (int a = 0, p = 0; a < s[0]; a++)
            {
                for (int b = 0; b < s[1]; b++)
                {
                    for (int c = 0; c < s[2]; c++, p++) want[(a * 5 + iv[p]) * 4 + c] += sv[p];
                }
            }
            var got = added.ToArray<double>();
            for (int i = 0; i < 60; i++) Assert.Equal(want[i], got[i], 5);
        }
    }

    [Fact]
    public void RandomFills_KeepTheGeneratorStream()
    {
        // The bulk fills draw what element-by-element calls drew before them, in the same order.
        var seq = new Generator(77);
        var u = Tensor.Rand([5], new Generator(77), low: -2, high: 3).ToFloatArray();
        Assert.Equal(Enumerable.Range(0, 5).Select(_ => (float)(-2 + 5 * seq.NextDouble())), u);
        var bulk = new Generator(78);
        seq = new Generator(78);
        var n = Tensor.Randn([3], bulk, dtype: DType.Float64).ToArray<double>();
        Assert.Equal(Enumerable.Range(0, 3).Select(_ => seq.NextGaussian()), n);
        Assert.Equal(seq.NextGaussian(), bulk.NextGaussian()); // the spare of the odd pair carries over
        var b = Tensor.Bernoulli(0.3, [64], new Generator(79)).ToFloatArray();
        seq = new Generator(79);
        Assert.Equal(Enumerable.Range(0, 64).Select(_ => seq.NextDouble() < 0.3 ? 1f : 0f), b);
        var p = Tensor.Rand([16], new Generator(80));
        var drawn = p.Bernoulli(new Generator(81)).ToFloatArray();
        seq = new Generator(81);
        var pv = p.ToFloatArray();
        Assert.Equal(pv.Select(q => seq.NextDouble() < q ? 1f : 0f), drawn);
    }

    // ------------------------------------------------------------------ errors name the op and the shapes

    [Fact]
    public void Errors_NameOpAndShapes()
    {
        var x = Tensor.Zeros(3, 5);
        Assert.Contains("TopK: k 7 exceeds dimension 1 of size 5 in [3,5]",
            Assert.Throws<ArgumentOutOfRangeException>(() => x.TopK(7)).Message);
        Assert.Contains("Tril: needs at least 2 dimensions, got [4]",
            Assert.Throws<ArgumentException>(() => Tensor.Zeros(4).Tril()).Message);
        Assert.Contains("Einsum: letter 'j' has sizes 5 and 4",
            Assert.Throws<ArgumentException>(() => Tensor.Einsum("ij,jk->ik", x, Tensor.Zeros(4, 2))).Message);
        Assert.Contains("Einsum: term 'ijk' has 3 letters, operand 0 has shape [3,5]",
            Assert.Throws<ArgumentException>(() => Tensor.Einsum("ijk->i", x)).Message);
        Assert.Contains("Einsum: output letter 'z' appears in no input",
            Assert.Throws<ArgumentException>(() => Tensor.Einsum("ij->z", x)).Message);
        Assert.Contains("Einsum: 2 input terms for 1 operands",
            Assert.Throws<ArgumentException>(() => Tensor.Einsum("ij,jk->ik", x)).Message);
        Assert.Contains("ellipsis",
            Assert.Throws<ArgumentException>(() => Tensor.Einsum("...ij->...ji", x)).Message);
        Assert.Contains("Pad(Reflect): amounts 5,0 do not fit dimension 1 of size 5 in [3,5]",
            Assert.Throws<ArgumentException>(() => x.Pad([5, 0], PadMode.Reflect)).Message);
        Assert.Contains("Interpolate: input must be NCL or NCHW (rank 3 or 4), got [3,5]",
            Assert.Throws<ArgumentException>(() => x.Interpolate([4])).Message);
        Assert.Contains("Interpolate: Bicubic needs an NCHW (rank 4) input, got [1,3,5]",
            Assert.Throws<ArgumentException>(() =>
                x.Reshape(1, 3, 5).Interpolate([9], mode: InterpolateMode.Bicubic)).Message);
        Assert.Contains("Softmax: mask [4] does not broadcast to input [3,5]",
            Assert.Throws<ArgumentException>(() => x.Softmax(1, Tensor.Zeros(4))).Message);
        Assert.Contains("IndexAdd: source [2,5] must be [3,5]",
            Assert.Throws<ArgumentException>(() =>
                x.IndexAdd(0, Tensor.From([0L, 1L, 2L], 3), Tensor.Zeros(2, 5))).Message);
        Assert.Contains("IndexPut: index 7 is out of range for dimension 0 of size 3",
            Assert.Throws<IndexOutOfRangeException>(() =>
                x.IndexPut([Tensor.From([7L], 1)], Tensor.Zeros(5))).Message);
        Assert.Contains("Multinomial: row 0 of [3] has a negative",
            Assert.Throws<ArgumentException>(() => Tensor.Multinomial(Tensor.From([0.5f, -1f, 1f], 3), 1)).Message);
    }
}
