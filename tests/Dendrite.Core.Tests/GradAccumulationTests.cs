namespace Dendrite.Tests;

/// <summary>Gradients that meet at one tensor are summed in place once the first of them is a buffer of the pass's
/// own, and the gradients of slices are added into the slice of that buffer: the sums must equal the plain ones,
/// also where an intermediate keeps its gradient or a hook sees it.</summary>
public class GradAccumulationTests
{
    // x (4, 6) → y = 2x, three column slices of y and y itself feed the loss: dx = 2·(r slices side by side + ry).
    private static (Tensor X, Tensor Y, float[] Expected) SlicedGraph(bool retain, List<float[]>? seen = null)
    {
        var g = new Generator(5);
        var x = Tensor.Randn([4, 6], g).RequireGrad();
        var ra = Tensor.Randn([4, 2], g);
        var rb = Tensor.Randn([4, 2], g);
        var rc = Tensor.Randn([4, 2], g);
        var ry = Tensor.Randn([4, 6], g);
        var y = x * 2;
        if (retain) y.RetainGrad();
        if (seen is not null) y.RegisterHook(t => seen.Add(t.ToFloatArray()));
        var loss = (y.Narrow(1, 0, 2) * ra).Sum() + (y * ry).Sum() + (y.Narrow(1, 2, 2) * rb).Sum()
            + (y.Narrow(1, 4, 2) * rc).Sum();
        loss.Backward();
        var expected = new float[24];
        var (a, b, c, r) = (ra.ToFloatArray(), rb.ToFloatArray(), rc.ToFloatArray(), ry.ToFloatArray());
        for (int i = 0; i < 4; i++)
        {
            for (int j = 0; j < 6; j++)
            {
                float s = j < 2 ? a[i * 2 + j] : j < 4 ? b[i * 2 + j - 2] : c[i * 2 + j - 4];
                expected[i * 6 + j] = 2 * (s + r[i * 6 + j]);
            }
        }
        return (x, y, expected);
    }

    [Fact]
    public void SliceGradients_AddIntoOneBuffer()
    {
        var (x, _, expected) = SlicedGraph(retain: false);
        Assert.Equal(expected, x.Grad!.ToFloatArray(), new FloatTolerance(1e-5f));
    }

    [Fact]
    public void RetainedAndHookedIntermediate_KeepTheirOwnSums()
    {
        var seen = new List<float[]>();
        var (x, y, expected) = SlicedGraph(retain: true, seen);
        Assert.Equal(expected, x.Grad!.ToFloatArray(), new FloatTolerance(1e-5f));
        var dy = expected.Select(v => v / 2).ToArray();
        Assert.Equal(dy, y.Grad!.ToFloatArray(), new FloatTolerance(1e-5f));
        Assert.Single(seen);
        Assert.Equal(dy, seen[0], new FloatTolerance(1e-5f));
    }

    [Fact]
    public void CapturedGradient_IsNotSummedIntoLater()
    {
        // y's gradient reaches x as a view of the same memory; x's other gradient must not be added into it
        var x = Tensor.From([1f, 2f, 3f, 4f], 4).RequireGrad();
        var y = x.Reshape(2, 2);
        var loss = (y * Tensor.From([1f, 1f, 1f, 1f], 2, 2)).Sum() + (x * 10).Sum();
        var grads = Autograd.Grad([loss], [y, x]);
        Assert.Equal([1f, 1f, 1f, 1f], grads[0]!.ToFloatArray());
        Assert.Equal([11f, 11f, 11f, 11f], grads[1]!.ToFloatArray());
    }

    [Fact]
    public void OverlappingSlicesAndReuse_Gradcheck()
    {
        var x = Tensor.Randn([3, 5], new Generator(8), dtype: DType.Float64);
        Gradcheck.Assert(t =>
        {
            var y = t[0] * t[0];
            var a = y.Narrow(1, 0, 3);
            var b = y.Narrow(1, 2, 3);
            return (a * b).Sum(1) + y.Sum(1) + y.Narrow(0, 1, 2).Narrow(1, 1, 3).Sum();
        }, x);
    }

    [Fact]
    public void IndexSelect_IndexWrittenBeforeBackward_Throws()
    {
        // An in-range index is read where it lies (no copy), so a later write to it must stop the backward.
        var table = Tensor.Randn([5, 3], new Generator(2)).RequireGrad();
        var index = Tensor.From([1L, 3, 1, 4], 4);
        var y = table.IndexSelect(0, index);
        y.Sum().Backward();
        Assert.Equal([0f, 0, 0, 2, 2, 2, 0, 0, 0, 1, 1, 1, 1, 1, 1], table.Grad!.ToFloatArray());
        var z = table.IndexSelect(0, index);
        index.AsSpan<long>()[0] = 0;
        var error = Assert.Throws<InvalidOperationException>(() => z.Sum().Backward());
        Assert.Contains("IndexSelect", error.Message);
    }

    [Fact]
    public void IndexSelect_NegativeIndex_StillWraps()
    {
        var table = Tensor.Arange(6).Reshape(3, 2);
        var index = Tensor.From([-1L, 0], 2);
        Assert.Equal([4f, 5, 0, 1], table.IndexSelect(0, index).ToFloatArray());
        Assert.Equal([-1L, 0], index.ToArray<long>());
    }

    [Fact]
    public void BatchedMatMul_AllocatesOnlyItsResult()
    {
        // 64 products (batch × heads in attention) once allocated an error string per item and six offset tables.
        var g = new Generator(4);
        var a = Tensor.Randn([16, 4, 32, 8], g);
        var b = Tensor.Randn([16, 4, 8, 32], g);
        for (int i = 0; i < 5; i++)
        {
            using var _ = TensorScope.Begin();
            a.MatMul(b);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        const int calls = 20;
        for (int i = 0; i < calls; i++)
        {
            using var _ = TensorScope.Begin();
            a.MatMul(b);
        }
        long perCall = (GC.GetAllocatedBytesForCurrentThread() - before) / calls;
        Assert.True(perCall < 1024, $"{perCall} bytes allocated per batched product");
    }

    private sealed class FloatTolerance(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance * Math.Max(1, Math.Abs(y));

        public int GetHashCode(float obj) => 0;
    }
}
