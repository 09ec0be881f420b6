namespace Dendrite.Tests;

/// <summary>Tensor.MatMulInto: products written into strided blocks of a larger tensor, checked against MatMul on
/// copies, for every type the GEMMs serve.</summary>
public class MatMulIntoTests
{
    // A block of rows [r0, r0 + m) and columns [c0, c0 + n) of a (batch, 9, 13) sentinel-filled output.
    private static (Tensor Whole, Tensor Block) Target(DType dtype, int batch, int r0, int m, int c0, int n)
    {
        var whole = Tensor.Full(-7, dtype, batch, 9, 13);
        return (whole, whole.Narrow(-2, r0, m).Narrow(-1, c0, n));
    }

    private static void AssertBlock(Tensor whole, Tensor expected, int r0, int c0, double tol)
    {
        int batch = whole.Size(0), m = expected.Size(-2), n = expected.Size(-1);
        for (int b = 0; b < batch; b++)
        {
            for (int i = 0; i < 9; i++)
            {
                for (int j = 0; j < 13; j++)
                {
                    bool inside = i >= r0 && i < r0 + m && j >= c0 && j < c0 + n;
                    double want = inside ? expected[b, i - r0, j - c0] : -7;
                    Assert.True(Math.Abs(whole[b, i, j] - want) <= tol,
                        $"[{b},{i},{j}]: {whole[b, i, j]} != {want} (inside the block: {inside})");
                }
            }
        }
    }

    [Theory]
    [InlineData(DType.Float32, 1e-5)]
    [InlineData(DType.Float64, 1e-12)]
    [InlineData(DType.Int64, 0)]
    public void MatMulInto_StridedBlockEqualsMatMulAndLeavesTheRest(DType dtype, double tol)
    {
        var g = new Generator(5);
        Tensor Draw(params int[] shape) => (Tensor.Randn(shape, g) * 4).Round().To(dtype);
        foreach (var (m, n, k) in new[] { (5, 7, 3), (1, 6, 4), (7, 1, 5), (6, 11, 1) })
        {
            // plain operands, a transposed view as b, and a broadcast a
            var a = Draw(3, m, k);
            var b = Draw(3, k, n);
            var bt = Draw(3, n, k).Transpose(-2, -1);
            var a1 = Draw(m, k);
            var (whole, block) = Target(dtype, 3, 2, m, 1, n);
            Tensor.MatMulInto(a, b, block);
            AssertBlock(whole, a.MatMul(b), 2, 1, tol);
            (whole, block) = Target(dtype, 3, 9 - m, m, 13 - n, n);
            Tensor.MatMulInto(a, bt, block);
            AssertBlock(whole, a.MatMul(bt), 9 - m, 13 - n, tol);
            (whole, block) = Target(dtype, 3, 0, m, 0, n);
            Tensor.MatMulInto(a1, b, block);
            AssertBlock(whole, a1.MatMul(b), 0, 0, tol);
        }
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    [InlineData(DType.Int64)]
    public void MatMulInto_EmptyInnerDimensionWritesZeros(DType dtype)
    {
        var (whole, block) = Target(dtype, 2, 1, 4, 3, 5);
        Tensor.MatMulInto(Tensor.Zeros(dtype, 2, 4, 0), Tensor.Zeros(dtype, 2, 0, 5), block);
        AssertBlock(whole, Tensor.Zeros(dtype, 2, 4, 5), 1, 3, 0);
    }

    [Fact]
    public void MatMulInto_ManyHeadsOfOneLayoutEqualMatMul()
    {
        // (B, H, T, hs) views of a (B, T, H·hs) layout, as attention writes its heads: 64 problems in one call
        var g = new Generator(9);
        var a = Tensor.Randn([16, 4, 40, 8], g);
        var b = Tensor.Randn([16, 4, 8, 24], g);
        var store = Tensor.Full(3, 16, 40, 4, 24);
        Tensor.MatMulInto(a, b, store.Transpose(1, 2));
        var want = a.MatMul(b).ToFloatArray();
        var got = store.Transpose(1, 2).ToFloatArray();
        for (int i = 0; i < want.Length; i++) Assert.Equal(want[i], got[i], 1e-4);
    }

    [Fact]
    public void MatMulInto_ErrorsNameTheShapes()
    {
        var a = Tensor.Zeros(2, 3, 4);
        var b = Tensor.Zeros(2, 4, 5);
        var ex = Assert.Throws<ArgumentException>(() => Tensor.MatMulInto(a, b, Tensor.Zeros(2, 3, 6)));
        Assert.Contains($"MatMulInto: {Shapes.Format([2, 3, 4])} x {Shapes.Format([2, 4, 5])} into " +
            $"{Shapes.Format([2, 3, 6])}: the product is 3x5", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => Tensor.MatMulInto(a, Tensor.Zeros(2, 3, 5), Tensor.Zeros(2, 3, 5)));
        Assert.Contains("inner dimensions 4 and 3 differ", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => Tensor.MatMulInto(a, b, Tensor.Zeros(2, 5, 3).Transpose(1, 2)));
        Assert.Contains("rows must be unit-stride", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => Tensor.MatMulInto(a, b, Tensor.Zeros(1, 3, 5).Expand(2, 3, 5)));
        Assert.Contains("broadcast along dimension 0", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => Tensor.MatMulInto(a, b, Tensor.Zeros(3, 3, 5)));
        Assert.Contains("MatMulInto", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => Tensor.MatMulInto(a, b.To(DType.Float64), Tensor.Zeros(2, 3, 5)));
        Assert.Contains("one numeric type", ex.Message);
        var leaf = Tensor.Zeros(2, 3, 4).RequireGrad();
        var io = Assert.Throws<InvalidOperationException>(() => Tensor.MatMulInto(leaf, b, Tensor.Zeros(2, 3, 5)));
        Assert.Contains("Autograd.NoGrad()", io.Message);
        using (Autograd.NoGrad()) Tensor.MatMulInto(leaf, b, Tensor.Zeros(2, 3, 5));
    }

    [Fact]
    public void MatMulInto_CountsAsAnInPlaceWrite()
    {
        var y = Tensor.Zeros(2, 2);
        int before = y.Version;
        Tensor.MatMulInto(Tensor.Ones(2, 3), Tensor.Ones(3, 2), y);
        Assert.True(y.Version > before);
        Assert.All(y.ToFloatArray(), x => Assert.Equal(3f, x));
    }
}
