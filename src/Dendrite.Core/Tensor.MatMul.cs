using System.Numerics;
using Dendrite.Kernels;

namespace Dendrite;

// Matrix product with NumPy semantics: 1-D operands are promoted to matrices and the added dimension removed
// afterwards; leading (batch) dimensions broadcast. Transposed views reach the GEMM as transpose flags, so
// x.MatMul(w.T) copies nothing.
public partial class Tensor
{
    /// <summary>Matrix product a @ b.   dA = g·Bᵀ, dB = Aᵀ·g (summed over broadcast batch dimensions)</summary>
    public Tensor MatMul(Tensor b)
    {
        var a = this;
        if (a.Rank == 0 || b.Rank == 0)
            throw new ArgumentException($"MatMul: {Shapes.Format(a.shape)} x {Shapes.Format(b.shape)}: " +
                "both operands need at least one dimension");
        if (a.DType == DType.Bool || b.DType == DType.Bool)
            throw new NotSupportedException("MatMul: not defined for Bool tensors");
        var dt = DTypes.Promote(a.DType, b.DType);
        int k = a.shape[^1], k2 = b.Rank == 1 ? b.shape[0] : b.shape[^2];
        if (k != k2)
            throw new ArgumentException(
                $"MatMul: {Shapes.Format(a.shape)} x {Shapes.Format(b.shape)}: inner dimensions {k} and {k2} differ");
        Tensor y;
        if (a.Rank == 2 && b.Rank == 2 && a.DType == b.DType && IsMatrixLayout(a) && IsMatrixLayout(b))
        {
            y = Empty(dt, [a.shape[0], b.shape[1]]);
            BatchedGemm(a, b, y, [], a.shape[0], b.shape[1], k);
        }
        else
        {
            using var _ = Autograd.NoGrad();
            var A = a.Rank == 1 ? a.To(dt).Unsqueeze(0) : a.To(dt);
            var B = b.Rank == 1 ? b.To(dt).Unsqueeze(-1) : b.To(dt);
            int m = A.shape[^2], n = B.shape[^1];
            var batch = Shapes.Broadcast("MatMul", A.shape.AsSpan(0, A.Rank - 2), B.shape.AsSpan(0, B.Rank - 2));
            int[] outShape = [.. batch, m, n];
            y = Empty(dt, outShape);
            A = A.Expand([.. batch, m, k]);
            B = B.Expand([.. batch, k, n]);
            if (!IsMatrixLayout(A)) A = A.Contiguous();
            if (!IsMatrixLayout(B)) B = B.Contiguous();
            BatchedGemm(A, B, y, batch, m, n, k);
            // Only a 1-D operand's added dimension is removed again (no shape list made for the usual case).
            if (a.Rank == 1 || b.Rank == 1)
            {
                var final = new List<int>(batch);
                if (a.Rank > 1) final.Add(m);
                if (b.Rank > 1) final.Add(n);
                y = y.ReshapeRaw(final.ToArray());
            }
        }
        if (!Tracks(a, b)) return y;
        return y.Record("MatMul", [a, b], g =>
        {
            var A = a.Rank == 1 ? a.Unsqueeze(0) : a;
            var B = b.Rank == 1 ? b.Unsqueeze(-1) : b;
            var gm = g;
            if (a.Rank == 1) gm = gm.Unsqueeze(b.Rank == 1 ? gm.Rank : gm.Rank - 1);
            if (b.Rank == 1) gm = gm.Unsqueeze(gm.Rank);
            // An operand stored transposed (x.MatMul(w.T)) gets its gradient computed transposed too, (gᵀ·A)ᵀ
            // instead of Aᵀ·g: the same numbers, laid out like the operand, so accumulating into w.Grad stays a
            // contiguous add instead of a strided one.
            return [
                a.requiresGrad ? SumTo(StoredTransposed(A) ? B.MatMul(gm.T).T : gm.MatMul(B.T), A.shape).Reshape(a.shape) : null,
                b.requiresGrad ? SumTo(StoredTransposed(B) ? gm.T.MatMul(A).T : A.T.MatMul(gm), B.shape).Reshape(b.shape) : null];
        }, saved: [a, b]);
    }

    /// <summary>Writes a @ b into <paramref name="output"/>, with no autograd record.   a (*, m, k), b (*, k, n) →
    /// output (*, m, n). The output may be a view whose rows lie apart (a block of columns of a larger matrix, as
    /// causal attention fills its lower triangle block by block, or a transposed view of a larger layout); its last
    /// dimension must have unit stride. The leading dimensions of a and b broadcast to the output's. All three share
    /// one type, not Bool; the output must not overlap a or b.</summary>
    public static void MatMulInto(Tensor a, Tensor b, Tensor output)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(output);
        string Shapes3() =>
            $"{Shapes.Format(a.shape)} x {Shapes.Format(b.shape)} into {Shapes.Format(output.shape)}";
        if (a.Rank < 2 || b.Rank < 2 || output.Rank < 2)
            throw new ArgumentException($"MatMulInto: {Shapes3()}: every operand needs at least two dimensions");
        if (a.DType != output.DType || b.DType != output.DType || output.DType == DType.Bool)
            throw new ArgumentException($"MatMulInto: {Shapes3()}: types {a.DType}, {b.DType} into " +
                $"{output.DType}; all three must be one numeric type");
        int m = a.shape[^2], k = a.shape[^1], n = b.shape[^1];
        if (b.shape[^2] != k)
            throw new ArgumentException($"MatMulInto: {Shapes3()}: inner dimensions {k} and {b.shape[^2]} differ");
        if (output.shape[^2] != m || output.shape[^1] != n)
            throw new ArgumentException($"MatMulInto: {Shapes3()}: the product is {m}x{n}");
        var batch = output.shape.AsSpan(0, output.Rank - 2);
        // Operands with the output's leading dimensions (attention's heads) are used as they are: no shapes made.
        bool same = a.shape.AsSpan(0, a.Rank - 2).SequenceEqual(batch)
            && b.shape.AsSpan(0, b.Rank - 2).SequenceEqual(batch);
        if (!same)
        {
            var joint = Shapes.Broadcast("MatMulInto", a.shape.AsSpan(0, a.Rank - 2), b.shape.AsSpan(0, b.Rank - 2));
            if (!Shapes.Broadcast("MatMulInto", joint, batch).AsSpan().SequenceEqual(batch))
                throw new ArgumentException($"MatMulInto: {Shapes3()}: the leading dimensions do not broadcast to " +
                    $"the output's {Shapes.Format(batch)}");
        }
        if ((n > 1 && output.strides[^1] != 1) || (m > 1 && output.strides[^2] < n))
            throw new ArgumentException($"MatMulInto: {Shapes3()}: the output's rows must be unit-stride and " +
                $"apart by at least {n}, got strides {Shapes.Format(output.strides)}");
        for (int d = 0; d < output.Rank; d++)
        {
            if (output.strides[d] == 0 && output.shape[d] > 1)
                throw new ArgumentException($"MatMulInto: {Shapes3()}: the output is broadcast along dimension {d} " +
                    "(stride 0); its elements must be distinct");
        }
        if (Autograd.IsEnabled && (a.requiresGrad || b.requiresGrad))
            throw new InvalidOperationException($"MatMulInto: {Shapes3()}: writes without recording a gradient; " +
                "call it inside Autograd.NoGrad() or on tensors that need none");
        output.Storage.Version++;
        if (output.Numel == 0) return;
        var A = same ? a : a.Expand([.. batch, m, k]);
        var B = same ? b : b.Expand([.. batch, k, n]);
        if (!IsMatrixLayout(A)) A = A.Contiguous();
        if (!IsMatrixLayout(B)) B = B.Contiguous();
        BatchedGemm(A, B, output, batch, m, n, k);
    }

    private static bool StoredTransposed(Tensor t) =>
        t.Rank == 2 && t.strides[0] == 1 && t.strides[1] >= t.shape[0] && t.shape[0] > 1 && t.shape[1] > 1;

    // The last two dimensions are usable by GEMM directly: row-major (unit column stride) or transposed.
    private static bool IsMatrixLayout(Tensor t)
    {
        int rs = t.strides[^2], cs = t.strides[^1], rows = t.shape[^2], cols = t.shape[^1];
        return (cs == 1 && (rs >= cols || rows == 1)) || (rs == 1 && (cs >= rows || cols == 1));
    }

    private static (bool Trans, int Ld) Layout(Tensor t)
    {
        int rs = t.strides[^2], cs = t.strides[^1], rows = t.shape[^2], cols = t.shape[^1];
        if (cs == 1 && (rs >= cols || rows == 1)) return (false, Math.Max(rs, cols));
        return (true, Math.Max(cs, rows));
    }

    private static void BatchedGemm(Tensor A, Tensor B, Tensor y, ReadOnlySpan<int> batch, int m, int n, int k)
    {
        int count = Shapes.Numel(batch);
        if (count == 0 || m == 0 || n == 0) return;
        if (k == 0)
        {
            // An empty sum; the operands may be zero-length arrays that no offset can index.
            y.Fill(0);
            return;
        }
        var (ta, lda) = Layout(A);
        var (tb, ldb) = Layout(B);
        // The output's rows may lie further apart than n (a block of a larger matrix, see MatMulInto).
        int ldc = m == 1 ? n : y.strides[^2];
        if (count == 1 && y.DType == DType.Float32)
        {
            // A single product (every batch dimension has size 1): no offset tables.
            Gemm.Sgemm(ta, tb, m, n, k, 1f, A.Array<float>().AsSpan(A.Offset), lda, B.Array<float>().AsSpan(B.Offset), ldb,
                0f, y.Array<float>().AsSpan(y.Offset), ldc);
            return;
        }
        Span<int> idx = stackalloc int[batch.Length];
        // The offset tables live on the stack for the batches attention makes (batch × heads), so a step of
        // training allocates none.
        Span<int> offA = count <= 1024 ? stackalloc int[count] : new int[count];
        Span<int> offB = count <= 1024 ? stackalloc int[count] : new int[count];
        Span<int> offY = count <= 1024 ? stackalloc int[count] : new int[count];
        for (int bi = 0; bi < count; bi++)
        {
            int oa = A.Offset, ob = B.Offset, oy = y.Offset;
            for (int d = 0; d < batch.Length; d++)
            {
                oa += idx[d] * A.strides[d];
                ob += idx[d] * B.strides[d];
                oy += idx[d] * y.strides[d];
            }
            (offA[bi], offB[bi], offY[bi]) = (oa, ob, oy);
            for (int d = batch.Length - 1; d >= 0; d--)
            {
                if (++idx[d] < batch[d]) break;
                idx[d] = 0;
            }
        }
        if (y.DType == DType.Float32)
        {
            // One call for the whole batch: small problems are spread across threads one per thread.
            Gemm.SgemmBatched(ta, tb, m, n, k, 1f, A.Array<float>(), lda, offA, B.Array<float>(), ldb, offB,
                0f, y.Array<float>(), ldc, offY);
            return;
        }
        for (int bi = 0; bi < count; bi++)
        {
            if (y.DType == DType.Float64)
            {
                Gemm.Dgemm(ta, tb, m, n, k, 1.0, A.Array<double>().AsSpan(offA[bi]), lda,
                    B.Array<double>().AsSpan(offB[bi]), ldb, 0.0, y.Array<double>().AsSpan(offY[bi]), ldc);
            }
            else Run<long>(A, B, y, offA[bi], offB[bi], offY[bi], ta, tb, lda, ldb, ldc, m, n, k);
        }
    }

    private static void Run<T>(Tensor A, Tensor B, Tensor y, int oa, int ob, int oy, bool ta, bool tb, int lda, int ldb,
        int ldc, int m, int n, int k) where T : unmanaged, INumber<T> =>
        Gemm.Generic(ta, tb, m, n, k, T.One, A.Array<T>().AsSpan(oa), lda, B.Array<T>().AsSpan(ob), ldb, T.Zero,
            y.Array<T>().AsSpan(oy), ldc);
}
