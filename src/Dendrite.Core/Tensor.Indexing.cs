namespace Dendrite;

// Joining, splitting and index-driven ops. Index tensors are Int64; negative indices count from the end.
public partial class Tensor
{
    /// <summary>Joins tensors along an existing dimension.   d/dxᵢ: the matching slice of the gradient</summary>
    public static Tensor Cat(IReadOnlyList<Tensor> xs, int dim = 0)
    {
        if (xs.Count == 0) throw new ArgumentException("Cat: no tensors given");
        var first = xs[0];
        int d = Shapes.Axis("Cat", dim, first.Rank);
        var dt = first.DType;
        int total = 0;
        for (int i = 0; i < xs.Count; i++)
        {
            var x = xs[i];
            if (x.Rank != first.Rank)
                throw new ArgumentException($"Cat: tensor {i} has shape {Shapes.Format(x.shape)}, tensor 0 has {Shapes.Format(first.shape)}");
            for (int j = 0; j < x.Rank; j++)
            {
                if (j != d && x.shape[j] != first.shape[j])
                    throw new ArgumentException(
                        $"Cat: tensor {i} has shape {Shapes.Format(x.shape)}, tensor 0 has {Shapes.Format(first.shape)} (dimension {j} differs)");
            }
            dt = DTypes.Promote(dt, x.DType);
            total += x.shape[d];
        }
        var s = (int[])first.shape.Clone();
        s[d] = total;
        var y = Empty(dt, s);
        var starts = new int[xs.Count];
        int off = 0;
        using (Autograd.NoGrad())
        {
            for (int i = 0; i < xs.Count; i++)
            {
                starts[i] = off;
                y.Narrow(d, off, xs[i].shape[d]).CopyFrom(xs[i]);
                off += xs[i].shape[d];
            }
        }
        var inputs = xs.ToArray();
        return y.Record("Cat", inputs, g =>
        {
            var r = new Tensor?[inputs.Length];
            for (int i = 0; i < r.Length; i++)
            {
                if (inputs[i].requiresGrad) r[i] = g.Narrow(d, starts[i], inputs[i].shape[d]).To(inputs[i].DType);
            }
            return r;
        }, attributes: [("dim", d)]);
    }

    /// <summary>Joins tensors of equal shape along a new dimension.</summary>
    public static Tensor Stack(IReadOnlyList<Tensor> xs, int dim = 0)
    {
        if (xs.Count == 0) throw new ArgumentException("Stack: no tensors given");
        for (int i = 1; i < xs.Count; i++)
        {
            if (!Shapes.Equal(xs[i].shape, xs[0].shape))
                throw new ArgumentException($"Stack: tensor {i} has shape {Shapes.Format(xs[i].shape)}, tensor 0 has {Shapes.Format(xs[0].shape)}");
        }
        int d = Shapes.Axis("Stack", dim, xs[0].Rank + 1);
        var u = new Tensor[xs.Count];
        for (int i = 0; i < u.Length; i++) u[i] = xs[i].Unsqueeze(d);
        return Cat(u, d);
    }

    /// <summary>Views of consecutive pieces of the given sizes along <paramref name="dim"/>.</summary>
    public Tensor[] Split(ReadOnlySpan<int> sizes, int dim = 0)
    {
        int d = Shapes.Axis("Split", dim, Rank);
        int sum = 0;
        foreach (int s in sizes) sum += s;
        if (sum != shape[d])
            throw new ArgumentException($"Split: sizes {Shapes.Format(sizes)} add up to {sum}, dimension {dim} of {Shapes.Format(shape)} has {shape[d]}");
        var r = new Tensor[sizes.Length];
        int off = 0;
        for (int i = 0; i < r.Length; i++)
        {
            r[i] = Narrow(d, off, sizes[i]);
            off += sizes[i];
        }
        return r;
    }

    /// <summary>Views of pieces of <paramref name="size"/> along <paramref name="dim"/> (the last may be smaller).</summary>
    public Tensor[] Split(int size, int dim = 0)
    {
        int d = Shapes.Axis("Split", dim, Rank);
        if (size <= 0) throw new ArgumentException($"Split: size must be positive, got {size}");
        int n = shape[d];
        var sizes = new List<int>();
        for (int o = 0; o < n; o += size) sizes.Add(Math.Min(size, n - o));
        return Split(sizes.ToArray(), d);
    }

    /// <summary>Splits into <paramref name="chunks"/> pieces of equal size (the last may be smaller), like torch.chunk.</summary>
    public Tensor[] Chunk(int chunks, int dim = 0)
    {
        if (chunks <= 0) throw new ArgumentException($"Chunk: chunks must be positive, got {chunks}");
        int n = shape[Shapes.Axis("Chunk", dim, Rank)];
        return Split(Math.Max(1, (n + chunks - 1) / chunks), dim);
    }

    // The index values, each in [0, limit). An index that is all its storage (contiguous, from offset 0, the array
    // exactly its size) with every value already in range is returned as that very array, not a copy: a batch of
    // token ids or labels costs no allocation per step. The ops save the index tensor, so a later in-place write
    // to it fails their backward rather than changing the gradient.
    private long[] IndexValues(string op, Tensor index, int limit, int dim)
    {
        if (index.DType != DType.Int64) throw new ArgumentException($"{op}: index must be Int64, got {index.DType}");
        if (index.IsContiguous && index.Offset == 0 && index.Array<long>() is var own && own.Length == index.Numel)
        {
            bool inRange = true;
            foreach (long j in own) inRange &= (ulong)j < (ulong)limit;
            if (inRange) return own;
        }
        var v = index.ToArray<long>();
        for (int i = 0; i < v.Length; i++)
        {
            long j = v[i] < 0 ? v[i] + limit : v[i];
            if (j < 0 || j >= limit)
                throw new IndexOutOfRangeException($"{op}: index {v[i]} is out of range for dimension {dim} of size {limit} in {Shapes.Format(shape)}");
            v[i] = j;
        }
        return v;
    }

    // Visits every element of a shape in row-major order, giving its coordinates.
    private static void ForEachCoord(int[] s, Action<int, int[]> visit)
    {
        int n = Shapes.Numel(s);
        var c = new int[s.Length];
        for (int p = 0; p < n; p++)
        {
            visit(p, c);
            for (int d = s.Length - 1; d >= 0; d--)
            {
                if (++c[d] < s[d]) break;
                c[d] = 0;
            }
        }
    }

    private int OffsetOf(int[] coord, int dim, long replace)
    {
        int o = Offset;
        for (int d = 0; d < coord.Length; d++) o += (d == dim ? (int)replace : coord[d]) * strides[d];
        return o;
    }

    private void CheckIndexShape(string op, Tensor index, int d, Tensor? other = null)
    {
        if (index.Rank != Rank)
            throw new ArgumentException($"{op}: index {Shapes.Format(index.shape)} must have the rank of input {Shapes.Format(shape)}");
        for (int i = 0; i < Rank; i++)
        {
            if (i != d && index.shape[i] > shape[i])
                throw new ArgumentException($"{op}: index {Shapes.Format(index.shape)} exceeds input {Shapes.Format(shape)} in dimension {i}");
            if (other is not null && index.shape[i] > other.shape[i])
                throw new ArgumentException($"{op}: index {Shapes.Format(index.shape)} exceeds source {Shapes.Format(other.shape)} in dimension {i}");
        }
    }

    /// <summary>y[…i…] = x[…index[…i…]…] along <paramref name="dim"/> (torch.gather).   dx = scatter_add(0, index, g)</summary>
    public Tensor Gather(int dim, Tensor index)
    {
        var x = this;
        int d = Shapes.Axis("Gather", dim, Rank);
        CheckIndexShape("Gather", index, d);
        var iv = IndexValues("Gather", index, shape[d], dim);
        var y = Empty(DType, (int[])index.shape.Clone());
        if (!GatherRows(x, y, d, iv))
        {
            ForEachCoord(y.shape, (p, c) => y.SetFlat(p, x.GetFlat(x.OffsetOf(c, d, iv[p]))));
        }
        if (!Tracks(x)) return y;
        return y.Record("Gather", [x], g => [ZerosLike(x).ScatterAdd(d, index, g)], saved: [index],
            attributes: [("dim", d)]);
    }

    /// <summary>A copy of x with src added at the positions index names along <paramref name="dim"/>
    /// (torch.scatter_add).   dx = g, dsrc = gather(g, index)</summary>
    public Tensor ScatterAdd(int dim, Tensor index, Tensor src) => ScatterCore("ScatterAdd", dim, index, src, add: true);

    /// <summary>A copy of x with src written at the positions index names along <paramref name="dim"/>
    /// (torch.scatter). With repeated indices the last write wins.   dx = g where not overwritten, dsrc = gather(g)</summary>
    public Tensor Scatter(int dim, Tensor index, Tensor src) => ScatterCore("Scatter", dim, index, src, add: false);

    private Tensor ScatterCore(string op, int dim, Tensor index, Tensor src, bool add)
    {
        var x = this;
        int d = Shapes.Axis(op, dim, Rank);
        CheckIndexShape(op, index, d, src);
        var iv = IndexValues(op, index, shape[d], dim);
        var y = Contiguous(force: true).Detach();
        var s = src.To(DType);
        var ix = index.shape;
        if (!ScatterRows(s, y, d, ix, iv, add))
        {
            ForEachCoord(ix, (p, c) =>
            {
                int o = y.OffsetOf(c, d, iv[p]);
                double v = s.GetFlat(s.OffsetOf(c, -1, 0));
                y.SetFlat(o, add ? y.GetFlat(o) + v : v);
            });
        }
        if (!Tracks(x, src)) return y;
        return y.Record(op, [x, src], g => [
            x.requiresGrad ? (add ? g : g.Scatter(d, index, ZerosLike(src).To(g.DType))) : null,
            src.requiresGrad ? g.Gather(d, index).To(src.DType) : null], saved: [index], attributes: [("dim", d)]);
    }

    /// <summary>Entries of x picked along <paramref name="dim"/> by an index tensor of any shape: the result has
    /// x's shape with that dimension replaced by the index's shape (numpy take; torch.index_select for 1-D
    /// indices; ONNX Gather).   dx = index-add of g</summary>
    public Tensor IndexSelect(int dim, Tensor index) => IndexSelect(dim, index, pooled: false);

    /// <summary><see cref="IndexSelect(int, Tensor)"/> whose result, with <paramref name="pooled"/>, lives in pooled
    /// memory outside any <see cref="TensorScope"/> that the caller hands back with <see cref="ReleaseStorage"/>
    /// (a data loader's batches: no large allocation per batch).</summary>
    public Tensor IndexSelect(int dim, Tensor index, bool pooled)
    {
        var x = this;
        int d = Shapes.Axis("IndexSelect", dim, Rank);
        var iv = IndexValues("IndexSelect", index, shape[d], dim);
        int outer = 1, inner = 1;
        for (int i = 0; i < d; i++) outer *= shape[i];
        for (int i = d + 1; i < Rank; i++) inner *= shape[i];
        int[] ys = [.. shape.AsSpan(0, d), .. index.shape, .. shape.AsSpan(d + 1)];
        var y = Empty(DType, ys, manual: pooled);
        var c = Contiguous();
        int n = shape[d];
        switch (DType)
        {
            case DType.Float32: TakeRows(c.Array<float>(), c.Offset, y.Array<float>(), outer, n, inner, iv); break;
            case DType.Float64: TakeRows(c.Array<double>(), c.Offset, y.Array<double>(), outer, n, inner, iv); break;
            case DType.Int64: TakeRows(c.Array<long>(), c.Offset, y.Array<long>(), outer, n, inner, iv); break;
            default: TakeRows(c.Array<bool>(), c.Offset, y.Array<bool>(), outer, n, inner, iv); break;
        }
        if (!Tracks(x)) return y;
        return y.Record("IndexSelect", [x], g =>
        {
            var gz = Zeros(g.DType, outer, n, inner);
            var gg = g.Contiguous();
            if (g.DType == DType.Float32) AddRows(gg.Array<float>(), gg.Offset, gz.Array<float>(), outer, n, inner, iv);
            else AddRows(gg.Array<double>(), gg.Offset, gz.Array<double>(), outer, n, inner, iv);
            return [gz.Reshape(x.shape)];
        }, saved: [index], attributes: [("dim", d)], differentiable: false);
    }

    // dst[o, i, :] = src[o, index[i], :] over contiguous rows of length inner.
    private static void TakeRows<T>(T[] src, int srcOff, T[] dst, int outer, int n, int inner, long[] index)
    {
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < index.Length; i++)
                System.Array.Copy(src, srcOff + (o * n + (int)index[i]) * inner, dst, (o * index.Length + i) * inner, inner);
        }
    }

    // dst[o, index[i], :] += src[o, i, :] (repeated indices accumulate).
    private static void AddRows<T>(T[] src, int srcOff, T[] dst, int outer, int n, int inner, long[] index)
        where T : System.Numerics.INumber<T>
    {
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < index.Length; i++)
            {
                var to = dst.AsSpan((o * n + (int)index[i]) * inner, inner);
                System.Numerics.Tensors.TensorPrimitives.Add(to, src.AsSpan(srcOff + (o * index.Length + i) * inner, inner), to);
            }
        }
    }

    /// <summary>One-hot encoding of Int64 class indices: shape [..., numClasses], float32.</summary>
    public Tensor OneHot(int numClasses, DType dtype = DType.Float32)
    {
        if (DType != DType.Int64) throw new ArgumentException($"OneHot: indices must be Int64, got {DType}");
        var v = ToArray<long>();
        var y = Zeros(dtype, [.. shape, numClasses]);
        for (int i = 0; i < v.Length; i++)
        {
            if (v[i] < 0 || v[i] >= numClasses)
                throw new IndexOutOfRangeException($"OneHot: class {v[i]} at position {i} is outside [0, {numClasses})");
            y.SetFlat(i * numClasses + (int)v[i], 1);
        }
        return y;
    }

    /// <summary>Constant padding, torch.nn.functional.pad style: pairs (before, after) starting from the last
    /// dimension. Negative amounts crop.   dx: the matching slice of the gradient</summary>
    public Tensor Pad(ReadOnlySpan<int> pad, double value = 0)
    {
        if (pad.Length % 2 != 0 || pad.Length / 2 > Rank)
            throw new ArgumentException($"Pad: {pad.Length} amounts given for a tensor of rank {Rank}; need pairs for at most {Rank} dimensions");
        var before = new int[Rank];
        var after = new int[Rank];
        for (int i = 0; i < pad.Length / 2; i++)
        {
            before[Rank - 1 - i] = pad[2 * i];
            after[Rank - 1 - i] = pad[2 * i + 1];
        }
        return PadDims(before, after, value);
    }

    /// <summary>Constant padding with explicit amounts before and after every dimension (negative crops).</summary>
    public Tensor PadDims(int[] before, int[] after, double value = 0)
    {
        var x = this;
        // Crop first (negative amounts), then pad the rest.
        var src = this;
        for (int d = 0; d < Rank; d++)
        {
            int b = Math.Min(0, before[d]), a = Math.Min(0, after[d]);
            if (b < 0 || a < 0)
            {
                int len = src.shape[d] + b + a;
                if (len < 0) throw new ArgumentException($"Pad: cropping {-b}+{-a} exceeds dimension {d} of {Shapes.Format(shape)}");
                src = src.Narrow(d, -b, len);
            }
        }
        var s = new int[Rank];
        for (int d = 0; d < Rank; d++) s[d] = src.shape[d] + Math.Max(0, before[d]) + Math.Max(0, after[d]);
        var y = Full(value, DType, s);
        using (Autograd.NoGrad())
        {
            var inner = y;
            for (int d = 0; d < Rank; d++) inner = inner.Narrow(d, Math.Max(0, before[d]), src.shape[d]);
            inner.CopyFrom(src);
        }
        if (!Tracks(x)) return y;
        return y.Record("Pad", [src], g =>
        {
            var inner = g;
            for (int d = 0; d < Rank; d++) inner = inner.Narrow(d, Math.Max(0, before[d]), src.shape[d]);
            return [inner];
        }, attributes: [("before", before), ("after", after), ("value", value)]);
    }
}
