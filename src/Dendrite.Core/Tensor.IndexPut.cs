namespace Dendrite;

// Index-driven writes and selections with gradients (embedding-style updates, box assignment in detection,
// picking the kept entries of a mask). All of them work on whole contiguous rows where they can.
public partial class Tensor
{
    /// <summary>A copy of x with source's slices added at the positions <paramref name="index"/> (1-D Int64)
    /// names along <paramref name="axis"/>; repeated indices accumulate (torch.index_add).
    /// source: x's shape with that dimension of length index.Numel.
    /// dx = g, dsource = g.IndexSelect(axis, index)</summary>
    public Tensor IndexAdd(int axis, Tensor index, Tensor source)
    {
        var x = this;
        const string op = "IndexAdd";
        int d = Shapes.Axis(op, axis, Math.Max(Rank, 1));
        if (index.Rank > 1) throw new ArgumentException($"{op}: index must be 1-D, got {Shapes.Format(index.shape)}");
        if (DType == DType.Bool) throw new NotSupportedException($"{op}: not defined for Bool tensors");
        int n = Rank == 0 ? 1 : shape[d];
        var iv = IndexValues(op, index, n, d);
        var want = Rank == 0 ? [] : (int[])shape.Clone();
        if (Rank > 0) want[d] = iv.Length;
        if (!Shapes.Equal(source.shape, want))
            throw new ArgumentException(
                $"{op}: source {Shapes.Format(source.shape)} must be {Shapes.Format(want)} for input " +
                $"{Shapes.Format(shape)} and {iv.Length} indices along {axis}");
        int outer = 1, inner = 1;
        for (int i = 0; i < d; i++) outer *= shape[i];
        for (int i = d + 1; i < Rank; i++) inner *= shape[i];
        var y = Contiguous(force: true).Detach();
        var s = source.To(DType).Contiguous();
        switch (DType)
        {
            case DType.Float32: AddRows(s.Array<float>(), s.Offset, y.Array<float>(), outer, n, inner, iv); break;
            case DType.Float64: AddRows(s.Array<double>(), s.Offset, y.Array<double>(), outer, n, inner, iv); break;
            default: AddRows(s.Array<long>(), s.Offset, y.Array<long>(), outer, n, inner, iv); break;
        }
        if (!Tracks(x, source)) return y;
        return y.Record(op, [x, source], g => [
            x.requiresGrad ? g : null,
            source.requiresGrad ? (Rank == 0 ? g : g.IndexSelect(d, index)).To(source.DType) : null],
            attributes: [("axis", d)]);
    }

    /// <summary>A copy of x with <paramref name="values"/> written (or, with <paramref name="accumulate"/>, added)
    /// at x[indices[0], indices[1], …]: the Int64 index tensors broadcast together to a shape S and address the
    /// first indices.Length dimensions; values broadcast to S + the remaining dimensions (torch.index_put). Without
    /// accumulate, the last of repeated positions wins.
    /// dx = g (zero where overwritten), dvalues = g[indices]</summary>
    public Tensor IndexPut(Tensor[] indices, Tensor values, bool accumulate = false)
    {
        var x = this;
        const string op = "IndexPut";
        int k = indices.Length;
        if (k == 0 || k > Rank)
            throw new ArgumentException($"{op}: {k} index tensors for input {Shapes.Format(shape)}; give 1 to {Rank}");
        var rows = RowsOf(op, indices, out int[] s);
        int[] target = [.. s, .. shape.AsSpan(k)];
        if (!Shapes.Equal(Shapes.Broadcast(op, target, values.shape), target))
            throw new ArgumentException(
                $"{op}: values {Shapes.Format(values.shape)} do not broadcast to the indexed shape " +
                Shapes.Format(target));
        int inner = 1;
        for (int i = k; i < Rank; i++) inner *= shape[i];
        var y = Contiguous(force: true).Detach();
        Tensor v;
        using (Autograd.NoGrad()) v = values.To(DType).Expand(target).Contiguous();
        switch (DType)
        {
            case DType.Float32 when accumulate: AccumulateRows(v.Span<float>(), y.Span<float>(), rows, inner); break;
            case DType.Float64 when accumulate: AccumulateRows(v.Span<double>(), y.Span<double>(), rows, inner); break;
            case DType.Int64 when accumulate: AccumulateRows(v.Span<long>(), y.Span<long>(), rows, inner); break;
            case DType.Bool when accumulate:
                throw new NotSupportedException($"{op}: accumulate is not defined for Bool tensors");
            case DType.Float32: PutRows(v.Span<float>(), y.Span<float>(), rows, inner); break;
            case DType.Float64: PutRows(v.Span<double>(), y.Span<double>(), rows, inner); break;
            case DType.Int64: PutRows(v.Span<long>(), y.Span<long>(), rows, inner); break;
            default: PutRows(v.Span<bool>(), y.Span<bool>(), rows, inner); break;
        }
        if (!Tracks(x, values)) return y;
        var rowIndex = From(rows.Select(r => (long)r).ToArray());
        int total = Numel / Math.Max(inner, 1);
        return y.Record(op, [x, values], g =>
        {
            Tensor? dx = null, dv = null;
            if (x.requiresGrad)
            {
                dx = g;
                if (!accumulate)
                {
                    dx = g.Contiguous(force: true);
                    if (g.DType == DType.Float32) ClearRows(dx.Span<float>(), rows, inner);
                    else ClearRows(dx.Span<double>(), rows, inner);
                }
            }
            if (values.requiresGrad)
            {
                var picked = g.Reshape(total, inner).IndexSelect(0, rowIndex).Reshape(target);
                dv = SumTo(picked, values.shape).To(values.DType);
            }
            return [dx, dv];
        }, attributes: [("accumulate", accumulate)], differentiable: accumulate);
    }

    // The flat row (over the first indices.Length dimensions) of every position the broadcast indices address.
    private int[] RowsOf(string op, Tensor[] indices, out int[] broadcastShape)
    {
        int k = indices.Length;
        var s = indices[0].shape;
        for (int i = 1; i < k; i++) s = Shapes.Broadcast(op, s, indices[i].shape);
        broadcastShape = s;
        int m = Shapes.Numel(s);
        var rows = new int[m];
        int stride = 1;
        for (int d = k - 1; d >= 0; d--)
        {
            Tensor idx;
            using (Autograd.NoGrad())
            {
                if (indices[d].DType != DType.Int64)
                    throw new ArgumentException($"{op}: index {d} must be Int64, got {indices[d].DType}");
                idx = indices[d].Expand(s).Contiguous();
            }
            var iv = IndexValues(op, idx, shape[d], d);
            for (int p = 0; p < m; p++) rows[p] += (int)iv[p] * stride;
            stride *= shape[d];
        }
        return rows;
    }

    private static void PutRows<T>(ReadOnlySpan<T> v, Span<T> y, int[] rows, int inner)
    {
        for (int p = 0; p < rows.Length; p++) v.Slice(p * inner, inner).CopyTo(y.Slice(rows[p] * inner, inner));
    }

    private static void AccumulateRows<T>(ReadOnlySpan<T> v, Span<T> y, int[] rows, int inner)
        where T : System.Numerics.INumberBase<T>
    {
        for (int p = 0; p < rows.Length; p++)
        {
            var dst = y.Slice(rows[p] * inner, inner);
            System.Numerics.Tensors.TensorPrimitives.Add(dst, v.Slice(p * inner, inner), dst);
        }
    }

    private static void ClearRows<T>(Span<T> y, int[] rows, int inner)
    {
        foreach (int r in rows) y.Slice(r * inner, inner).Clear();
    }

    /// <summary>The elements of x where <paramref name="mask"/> (Bool, broadcast with x) is true, in row-major
    /// order, as a 1-D tensor (torch.masked_select).
    /// dx: g put back at the selected positions, zero elsewhere</summary>
    public Tensor MaskedSelect(Tensor mask)
    {
        var x = this;
        const string op = "MaskedSelect";
        if (mask.DType != DType.Bool) throw new ArgumentException($"{op}: mask must be Bool, got {mask.DType}");
        var s = Shapes.Broadcast(op, shape, mask.shape);
        bool[] keep;
        Tensor xb;
        using (Autograd.NoGrad())
        {
            keep = mask.Expand(s).ToArray<bool>();
            xb = Expand(s).Contiguous();
        }
        int count = 0;
        foreach (bool b in keep) count += b ? 1 : 0;
        var pos = new int[count];
        for (int i = 0, j = 0; i < keep.Length; i++)
        {
            if (keep[i]) pos[j++] = i;
        }
        var y = Empty(DType, [count]);
        switch (DType)
        {
            case DType.Float32: Pick(xb.Span<float>(), pos, y.Span<float>()); break;
            case DType.Float64: Pick(xb.Span<double>(), pos, y.Span<double>()); break;
            case DType.Int64: Pick(xb.Span<long>(), pos, y.Span<long>()); break;
            default: Pick(xb.Span<bool>(), pos, y.Span<bool>()); break;
        }
        if (!Tracks(x)) return y;
        return y.Record(op, [x], g =>
        {
            var dx = Zeros(g.DType, s);
            var gc = g.Contiguous();
            if (g.DType == DType.Float32) Place(gc.Span<float>(), pos, dx.Span<float>());
            else Place(gc.Span<double>(), pos, dx.Span<double>());
            return [SumTo(dx, x.shape)];
        }, differentiable: false);
    }

    private static void Pick<T>(ReadOnlySpan<T> x, int[] pos, Span<T> y)
    {
        for (int i = 0; i < pos.Length; i++) y[i] = x[pos[i]];
    }

    private static void Place<T>(ReadOnlySpan<T> g, int[] pos, Span<T> dx)
    {
        for (int i = 0; i < pos.Length; i++) dx[pos[i]] = g[i];
    }
}
