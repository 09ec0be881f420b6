using static Dendrite.IO.Tests.OnnxOpHarness;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Dendrite.IO.Tests;

// Operators added for the ONNX node suite: results checked against definitions computed here (the suite itself
// checks them against ONNX's reference values), and bad attributes or inputs checked to fail with the node named.
public class OnnxOpsTests
{
    private static Tensor Random(int seed, params int[] shape) => Tensor.Rand(shape, new Generator((ulong)seed));

    [Fact]
    public void Resize_NearestIntegerScaleRepeatsElements()
    {
        var x = Random(1, 1, 1, 2, 3);
        var y = Run("Resize", [In(x), Absent, In(Floats(1, 1, 2, 2))], attributes: Attrs(("mode", "nearest")))[0];
        var expected = x.Reshape(1, 1, 2, 1, 3, 1).Expand(1, 1, 2, 2, 3, 2).Contiguous().Reshape(1, 1, 4, 6);
        Assert.Equal(expected.ToArray<float>(), y.ToArray<float>());
    }

    [Fact]
    public void Resize_LinearAlignCornersSpansTheInputEvenly()
    {
        var x = Floats(0, 1, 2, 3).Reshape(1, 1, 1, 4);
        var y = Run("Resize", [In(x), Absent, Absent, In(Longs(1, 1, 1, 7))],
            attributes: Attrs(("mode", "linear"), ("coordinate_transformation_mode", "align_corners")))[0];
        Assert.Equal([1, 1, 1, 7], y.Shape.ToArray());
        var v = y.ToArray<float>();
        for (int k = 0; k < 7; k++) Assert.Equal(k * 3.0 / 6, v[k], 6);
    }

    [Fact]
    public void Resize_CubicKeepsAConstant()
    {
        var x = Tensor.Full(2.5, DType.Float32, 1, 1, 3, 3);
        var y = Run("Resize", [In(x), Absent, In(Floats(1, 1, 1.7f, 2.3f))], attributes: Attrs(("mode", "cubic")))[0];
        Assert.Equal([1, 1, 5, 6], y.Shape.ToArray());
        Assert.All(y.ToArray<float>(), v => Assert.Equal(2.5f, v, 5));
    }

    [Fact]
    public void Upsample_Opset9RepeatsByScale()
    {
        var x = Random(2, 1, 1, 2, 2);
        var y = Run("Upsample", [In(x), In(Floats(1, 1, 3, 1))], opset: 9)[0];
        var expected = x.Reshape(1, 1, 2, 1, 2).Expand(1, 1, 2, 3, 2).Contiguous().Reshape(1, 1, 6, 2);
        Assert.Equal(expected.ToArray<float>(), y.ToArray<float>());
    }

    [Fact]
    public void Resize_RejectsBadAttributesAndSizes()
    {
        var x = Random(3, 1, 1, 2, 2);
        var scales = In(Floats(1, 1, 2, 2));
        Rejects(() => Run("Resize", [In(x), Absent, scales], attributes: Attrs(("mode", "area"))), "Resize", "area");
        Rejects(() => Run("Resize", [In(x), Absent, scales],
            attributes: Attrs(("coordinate_transformation_mode", "centre"))), "coordinate_transformation_mode");
        Rejects(() => Run("Resize", [In(x), Absent, scales], attributes: Attrs(("nearest_mode", "up"))),
            "nearest_mode");
        Rejects(() => Run("Resize", [In(x), Absent, scales, In(Longs(1, 1, 4, 4))]), "exactly one of");
        Rejects(() => Run("Resize", [In(x), Absent, In(Floats(1, 1, -2, 2))]), "scales[2]");
        Rejects(() => Run("Resize", [In(x), Absent, In(Floats(1, 1, 2))]), "scales has 3 values");
        // 2·10⁵ × 2·10⁵ would be 160 GB of output: refused before allocating.
        Rejects(() => Run("Resize", [In(x), Absent, In(Floats(1, 1, 1e5f, 1e5f))]), "output shape");
        Rejects(() => Run("Resize", [In(x), Absent, scales],
            attributes: Attrs(("coordinate_transformation_mode", "tf_crop_and_resize"))), "needs roi");
    }

    [Fact]
    public void GatherND_PicksTuplesAndBatches()
    {
        var data = Random(4, 2, 3, 4);
        var y = Run1("GatherND", In(data), In(Tensor.From([1L, 2, 0, 1], 2, 2)));
        Assert.Equal([2, 4], y.Shape.ToArray());
        Assert.Equal(data.Slice(0, 1, 2).Slice(1, 2, 3).Reshape(4).ToArray<float>(), y.Slice(0, 0, 1).Reshape(4)
            .ToArray<float>());
        Assert.Equal(data.Slice(0, 0, 1).Slice(1, 1, 2).Reshape(4).ToArray<float>(), y.Slice(0, 1, 2).Reshape(4)
            .ToArray<float>());
        // batch_dims 1: indices [2,1] pick row idx of each batch's [3,4] block; negative counts from the end.
        var b = Run("GatherND", [In(data), In(Tensor.From([2L, -3], 2, 1))], attributes: Attrs(("batch_dims", 1)))[0];
        Assert.Equal([2, 4], b.Shape.ToArray());
        Assert.Equal(data[0, 2, 1], b[0, 1]);
        Assert.Equal(data[1, 0, 3], b[1, 3]);
    }

    [Fact]
    public void GatherND_RejectsBadIndices()
    {
        var data = Random(5, 2, 3);
        Rejects(() => Run1("GatherND", In(data), In(Tensor.From([0L, 3], 1, 2))), "index 3", "axis 1 of size 3");
        Rejects(() => Run1("GatherND", In(data), In(Tensor.From([0L, 0, 0], 1, 3))), "address 3 axes");
        Rejects(() => Run("GatherND", [In(data), In(Tensor.From([0L, 0], 1, 2))],
            attributes: Attrs(("batch_dims", 2))), "batch_dims 2");
    }

    [Theory]
    [InlineData("none")]
    [InlineData("add")]
    [InlineData("mul")]
    [InlineData("max")]
    [InlineData("min")]
    public void ScatterND_AppliesReductionInIndexOrder(string reduction)
    {
        var data = Random(6, 4, 2);
        var updates = Random(7, 3, 2);
        long[] rows = [1, 3, 1];
        var y = Run("ScatterND", [In(data), In(Tensor.From(rows, 3, 1)), In(updates)],
            attributes: Attrs(("reduction", reduction)))[0];
        var expected = data.ToArray<float>();
        var u = updates.ToArray<float>();
        for (int i = 0; i < rows.Length; i++)
        {
            for (int j = 0; j < 2; j++)
            {
                ref float e = ref expected[rows[i] * 2 + j];
                float v = u[i * 2 + j];
                e = reduction switch
                {
                    "add" => e + v,
                    "mul" => e * v,
                    "max" => Math.Max(e, v),
                    "min" => Math.Min(e, v),
                    _ => v,
                };
            }
        }
        Assert.Equal(expected, y.ToArray<float>());
    }

    [Fact]
    public void ScatterND_RejectsBadUpdatesAndReduction()
    {
        var data = Random(8, 4, 2);
        var idx = In(Tensor.From([1L, 3], 2, 1));
        Rejects(() => Run1("ScatterND", In(data), idx, In(Random(9, 2, 3))), "updates [2,3]", "[2,2]");
        Rejects(() => Run("ScatterND", [In(data), idx, In(Random(9, 2, 2))], attributes: Attrs(("reduction", "avg"))),
            "reduction 'avg'");
        Rejects(() => Run1("ScatterND", In(data), In(Tensor.From([4L], 1, 1)), In(Random(9, 1, 2))), "index 4");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(0)]
    public void Unique_FlatListsDistinctValuesWithIndicesAndCounts(int sorted)
    {
        long[] x = [5, 2, 5, 7, 2, 2, 9, 1];
        var outs = Run("Unique", [In(Longs(x))], outputs: 4, attributes: Attrs(("sorted", sorted)));
        long[] y = outs[0].ToArray<long>(), first = outs[1].ToArray<long>(), inverse = outs[2].ToArray<long>(),
            counts = outs[3].ToArray<long>();
        long[] distinct = sorted == 1 ? x.Distinct().Order().ToArray() : x.Distinct().ToArray();
        Assert.Equal(distinct, y);
        for (int k = 0; k < y.Length; k++)
        {
            Assert.Equal(Array.IndexOf(x, y[k]), first[k]);
            Assert.Equal(x.Count(v => v == y[k]), counts[k]);
        }
        Assert.Equal(x, inverse.Select(i => y[i]).ToArray());
    }

    [Fact]
    public void Unique_AlongAnAxisComparesWholeSlices()
    {
        var x = Tensor.From([1L, 0, 1, 2, 2, 2, 1, 0, 1], 3, 3);
        var outs = Run("Unique", [In(x)], outputs: 4, attributes: Attrs(("axis", 0)));
        Assert.Equal(new long[] { 1, 0, 1, 2, 2, 2 }, outs[0].ToArray<long>());
        Assert.Equal(new long[] { 0, 1 }, outs[1].ToArray<long>());
        Assert.Equal(new long[] { 0, 1, 0 }, outs[2].ToArray<long>());
        Assert.Equal(new long[] { 2, 1 }, outs[3].ToArray<long>());
    }

    [Fact]
    public void Det_MatchesCofactorExpansion()
    {
        var x = Random(10, 4, 3, 3) - 0.5;
        var d = Run1("Det", In(x)).ToArray<float>();
        var v = x.ToArray<float>();
        for (int b = 0; b < 4; b++)
        {
            double M(int r, int c) => v[b * 9 + r * 3 + c];
            double expected = M(0, 0) * (M(1, 1) * M(2, 2) - M(1, 2) * M(2, 1))
                - M(0, 1) * (M(1, 0) * M(2, 2) - M(1, 2) * M(2, 0))
                + M(0, 2) * (M(1, 0) * M(2, 1) - M(1, 1) * M(2, 0));
            Assert.Equal(expected, d[b], 5);
        }
        Assert.Equal(0f, Run1("Det", In(Tensor.From([1f, 2, 2, 4], 2, 2))).Item());
        Rejects(() => Run1("Det", In(Random(11, 2, 3))), "[*, M, M]", "[2,3]");
    }

    [Fact]
    public void BitShift_WrapsToTheDeclaredType()
    {
        var y = Run("BitShift", [In(Longs(200, 3), DataType.Uint8), In(Longs(1, 2), DataType.Uint8)],
            attributes: Attrs(("direction", "LEFT")), outputType: DataType.Uint8)[0];
        Assert.Equal(new long[] { (200 << 1) & 0xFF, 3 << 2 }, y.ToArray<long>());
        var r = Run("BitShift", [In(Longs(200, 3), DataType.Uint8), In(Longs(3, 1), DataType.Uint8)],
            attributes: Attrs(("direction", "RIGHT")))[0];
        Assert.Equal(new long[] { 200 >> 3, 3 >> 1 }, r.ToArray<long>());
        Rejects(() => Run("BitShift", [In(Longs(1)), In(Longs(1))], attributes: Attrs(("direction", "UP"))),
            "direction 'UP'");
    }

    [Fact]
    public void ReverseSequence_ReversesEachPrefix()
    {
        var x = Random(12, 4, 2, 3); // time, batch, feature
        var y = Run("ReverseSequence", [In(x), In(Longs(3, 1))],
            attributes: Attrs(("time_axis", 0), ("batch_axis", 1)))[0];
        for (int t = 0; t < 4; t++)
        {
            for (int f = 0; f < 3; f++)
            {
                Assert.Equal(x[t < 3 ? 2 - t : t, 0, f], y[t, 0, f]);
                Assert.Equal(x[t, 1, f], y[t, 1, f]);
            }
        }
        Rejects(() => Run1("ReverseSequence", In(x), In(Longs(5, 1))), "sequence_lens[0] = 5");
    }

    [Fact]
    public void TopK_OrdersFromTheExtremeWithTiesToTheLowerIndex()
    {
        var x = Tensor.From([3f, 1f, 3f, 2f, 0f, 5f, 5f, 1f], 2, 4);
        var outs = Run("TopK", [In(x), In(Longs(3))], outputs: 2);
        Assert.Equal(new float[] { 3, 3, 2, 5, 5, 1 }, outs[0].ToArray<float>());
        Assert.Equal(new long[] { 0, 2, 3, 1, 2, 3 }, outs[1].ToArray<long>());
        var low = Run("TopK", [In(x), In(Longs(1))], outputs: 2, attributes: Attrs(("largest", 0), ("axis", 0)));
        Assert.Equal(new float[] { 0, 1, 3, 1 }, low[0].ToArray<float>());
        Assert.Equal(new long[] { 1, 0, 0, 1 }, low[1].ToArray<long>());
        Rejects(() => Run("TopK", [In(x), In(Longs(7))], outputs: 2), "TopK: k 7 exceeds dimension 1 of size 4");
    }

    [Fact]
    public void MaxUnpool_InvertsMaxPoolPositions()
    {
        var x = Random(13, 1, 2, 4, 4);
        var pooled = Run("MaxPool", [In(x)], outputs: 2,
            attributes: Attrs(("kernel_shape", new long[] { 2, 2 }), ("strides", new long[] { 2, 2 })));
        var y = Run("MaxUnpool", [In(pooled[0]), In(pooled[1])],
            attributes: Attrs(("kernel_shape", new long[] { 2, 2 }), ("strides", new long[] { 2, 2 })))[0];
        Assert.Equal(x.Shape.ToArray(), y.Shape.ToArray());
        float[] xv = x.ToArray<float>(), yv = y.ToArray<float>();
        var kept = pooled[1].ToArray<long>().ToHashSet();
        for (int i = 0; i < xv.Length; i++) Assert.Equal(kept.Contains(i) ? xv[i] : 0f, yv[i]);
        Rejects(() => Run("MaxUnpool", [In(pooled[0]), In(pooled[1] + 1000)],
            attributes: Attrs(("kernel_shape", new long[] { 2, 2 }), ("strides", new long[] { 2, 2 }))), "index 10");
    }

    [Fact]
    public void BatchNormalization_TrainingUsesBatchStatistics()
    {
        var x = Random(14, 3, 2, 5);
        var scale = Floats(1.5f, 0.5f);
        var bias = Floats(0.1f, -0.2f);
        var mean = Floats(0.2f, 0.4f);
        var var = Floats(1f, 2f);
        var outs = Run("BatchNormalization", [In(x), In(scale), In(bias), In(mean), In(var)], outputs: 3,
            attributes: Attrs(("training_mode", 1), ("momentum", 0.8f)), opset: 15);
        var batchMean = x.Mean([0, 2]);
        var centred = x - batchMean.Reshape(1, 2, 1);
        var batchVar = (centred * centred).Mean([0, 2]);
        var expectedY = (x - batchMean.Reshape(1, 2, 1)) / (batchVar.Reshape(1, 2, 1) + 1e-5).Sqrt()
            * scale.Reshape(1, 2, 1) + bias.Reshape(1, 2, 1);
        Assert.Equal(expectedY.ToArray<float>(), outs[0].ToArray<float>(), (a, b) => Math.Abs(a - b) < 1e-5);
        Assert.Equal((mean * 0.8f + batchMean * 0.2f).ToArray<float>(), outs[1].ToArray<float>(),
            (a, b) => Math.Abs(a - b) < 1e-6);
        Assert.Equal((var * 0.8f + batchVar * 0.2f).ToArray<float>(), outs[2].ToArray<float>(),
            (a, b) => Math.Abs(a - b) < 1e-6);
    }

    [Fact]
    public void Einsum_MatchesMatMulTransposeAndDiagonal()
    {
        var a = Random(15, 2, 3, 4);
        var b = Random(16, 2, 4, 5);
        var mm = Run("Einsum", [In(a), In(b)], attributes: Attrs(("equation", "bij, bjk -> bik")))[0];
        Assert.Equal(a.MatMul(b).ToArray<float>(), mm.ToArray<float>(), (x, y) => Math.Abs(x - y) < 1e-5);
        var tr = Run("Einsum", [In(a)], attributes: Attrs(("equation", "...ij->...ji")))[0];
        Assert.Equal(a.Permute(0, 2, 1).Contiguous().ToArray<float>(), tr.ToArray<float>());
        var sq = Random(17, 3, 3);
        var diag = Run("Einsum", [In(sq)], attributes: Attrs(("equation", "ii->i")))[0];
        Assert.Equal(new[] { sq[0, 0], sq[1, 1], sq[2, 2] }, diag.ToArray<float>().Select(v => (double)v));
        // Implicit output: letters used once, alphabetically.
        var implicitT = Run("Einsum", [In(sq)], attributes: Attrs(("equation", "ji")))[0];
        Assert.Equal(sq.T.Contiguous().ToArray<float>(), implicitT.ToArray<float>());
        Rejects(() => Run("Einsum", [In(a), In(b)], attributes: Attrs(("equation", "bij,bkj->bik"))),
            "label 'j' has sizes 4 and 5");
        Rejects(() => Run("Einsum", [In(a)], attributes: Attrs(("equation", "ij->ij"))), "does not fit input 0");
    }

    [Fact]
    public void NonMaxSuppression_KeepsTheBestOfOverlappingBoxes()
    {
        // Boxes 0 and 1 overlap with IoU 0.81; box 2 is apart.
        var boxes = Tensor.From([0f, 0, 1, 1, 0, 0.1f, 1, 1.1f, 5, 5, 6, 6], 1, 3, 4);
        var scores = Tensor.From([0.7f, 0.9f, 0.3f], 1, 1, 3);
        var keep = Run1("NonMaxSuppression", In(boxes), In(scores), In(Longs(10)), In(Floats(0.5f)));
        Assert.Equal(new long[] { 0, 0, 1, 0, 0, 2 }, keep.ToArray<long>());
        var strict = Run1("NonMaxSuppression", In(boxes), In(scores), In(Longs(10)), In(Floats(0.5f)),
            In(Floats(0.5f)));
        Assert.Equal(new long[] { 0, 0, 1 }, strict.ToArray<long>());
        Rejects(() => Run1("NonMaxSuppression", In(boxes), In(Tensor.From([0.7f, 0.9f], 1, 1, 2))), "[B, C, N]");
    }

    [Theory]
    [InlineData("bilinear")]
    [InlineData("nearest")]
    [InlineData("bicubic")]
    public void GridSample_IdentityGridReproducesTheImage(string mode)
    {
        // With align_corners 1 the grid point (2c/(W−1) − 1, 2r/(H−1) − 1) is the centre of pixel (r, c).
        var x = Random(18, 1, 2, 3, 4);
        var g = new float[3 * 4 * 2];
        for (int r = 0; r < 3; r++)
        {
            for (int c = 0; c < 4; c++)
            {
                g[(r * 4 + c) * 2] = 2f * c / 3 - 1;
                g[(r * 4 + c) * 2 + 1] = 2f * r / 2 - 1;
            }
        }
        var y = Run("GridSample", [In(x), In(Tensor.From(g, 1, 3, 4, 2))],
            attributes: Attrs(("mode", mode), ("align_corners", 1)))[0];
        Assert.Equal(x.ToArray<float>(), y.ToArray<float>(), (a, b) => Math.Abs(a - b) < 1e-5);
        Rejects(() => Run("GridSample", [In(x), In(Tensor.From(g, 1, 3, 4, 2))],
            attributes: Attrs(("padding_mode", "wrap"))), "padding_mode 'wrap'");
    }
}
