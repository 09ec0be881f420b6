namespace Dendrite.IO;

// GatherND and ScatterND: indexing by tuples of leading coordinates. With data of rank r, indices of rank q whose
// last dimension k addresses the first k axes after the b batch axes:
//   GatherND   out[i, rest] = data[batch, indices[i], rest]          out: indices.shape[:-1] + data.shape[b+k:]
//   ScatterND  out = data; out[indices[i], rest] (op)= updates[i, rest]  updates: indices.shape[:-1] + data.shape[k:]
// Both resolve every index tuple to a flat element offset first (checking it is in range), so the element copy
// itself works for any element type.
internal static partial class OnnxOps
{
    private static void AddScatter(Dictionary<string, Func<OnnxNode, Tensor[]>> t)
    {
        t["GatherND"] = One(GatherND);
        t["ScatterND"] = One(ScatterND);
    }

    /// <summary>For each row of <paramref name="indices"/> (its last axis holds k coordinates into
    /// <paramref name="dataShape"/>[first..first+k]), the flat offset of the addressed block inside one
    /// batch block of data.</summary>
    private static long[] TupleOffsets(OnnxNode n, Tensor indices, ReadOnlySpan<int> dataShape, int first)
    {
        if (indices.DType != DType.Int64)
            throw n.Error($"indices must be an integer tensor, got {indices.DType}");
        if (indices.Rank < 1) throw n.Error("indices must have rank 1 or more");
        int k = indices.Shape[^1];
        if (k < 1 || first + k > dataShape.Length)
            throw n.Error($"indices {Shapes.Format(indices.Shape)} address {k} axes; data "
                + $"{Shapes.Format(dataShape)} has {dataShape.Length - first} after the batch axes");
        var strides = StridesOf(dataShape[first..]);
        var v = indices.ToArray<long>();
        var offsets = new long[v.Length / k];
        for (int row = 0; row < offsets.Length; row++)
        {
            long off = 0;
            for (int j = 0; j < k; j++)
            {
                long idx = v[row * k + j], dim = dataShape[first + j];
                if (idx < -dim || idx >= dim)
                    throw n.Error($"index {idx} is out of range for axis {first + j} of size {dim} in data "
                        + Shapes.Format(dataShape));
                off += (idx < 0 ? idx + dim : idx) * strides[j];
            }
            offsets[row] = off;
        }
        return offsets;
    }

    private static Tensor GatherND(OnnxNode n)
    {
        var data = n.In(0);
        var indices = n.In(1);
        long batchDims = n.Int("batch_dims", 0);
        if (batchDims < 0 || batchDims >= Math.Min(data.Rank, indices.Rank))
            throw n.Error($"attribute batch_dims {batchDims} must be below the ranks of data "
                + $"{Shapes.Format(data.Shape)} and indices {Shapes.Format(indices.Shape)}");
        int b = (int)batchDims;
        for (int d = 0; d < b; d++)
        {
            if (data.Shape[d] != indices.Shape[d])
                throw n.Error($"batch axis {d} differs: data {Shapes.Format(data.Shape)}, "
                    + $"indices {Shapes.Format(indices.Shape)}");
        }
        var offsets = TupleOffsets(n, indices, data.Shape, b);
        int k = indices.Shape[^1];
        int slice = 1, batches = 1;
        for (int d = b + k; d < data.Rank; d++) slice *= data.Shape[d];
        for (int d = 0; d < b; d++) batches *= data.Shape[d];
        long[] outShape = [.. indices.Shape[..^1].ToArray().Select(v => (long)v),
            .. data.Shape[(b + k)..].ToArray().Select(v => (long)v)];
        int total = CheckedNumel(n, outShape, "output shape");
        int batchBlock = batches == 0 ? 0 : data.Numel / batches;
        int perBatch = batches == 0 ? 0 : offsets.Length / batches;
        var flat = new long[total];
        for (int row = 0; row < offsets.Length; row++)
        {
            long start = (long)(row / perBatch) * batchBlock + offsets[row];
            for (int e = 0; e < slice; e++) flat[(long)row * slice + e] = start + e;
        }
        var gathered = data.Reshape(-1).IndexSelect(0, Tensor.From(flat, total));
        return gathered.Reshape(outShape.Select(v => (int)v).ToArray());
    }

    private static Tensor ScatterND(OnnxNode n)
    {
        var data = n.In(0);
        var indices = n.In(1);
        var updates = n.In(2);
        string reduction = n.Str("reduction", "none");
        if (reduction is not ("none" or "add" or "mul" or "max" or "min"))
            throw n.Error($"attribute reduction '{reduction}' is not one of none, add, mul, max, min");
        var offsets = TupleOffsets(n, indices, data.Shape, 0);
        int k = indices.Shape[^1];
        int[] expected = [.. indices.Shape[..^1], .. data.Shape[k..]];
        if (!Shapes.Equal(updates.Shape, expected))
            throw n.Error($"updates {Shapes.Format(updates.Shape)} must have shape {Shapes.Format(expected)} for "
                + $"data {Shapes.Format(data.Shape)} and indices {Shapes.Format(indices.Shape)}");
        if (updates.DType != data.DType)
            throw n.Error($"updates are {updates.DType}, data is {data.DType}");
        int slice = Inner(data, k);
        switch (data.DType)
        {
            case DType.Float32:
                {
                    // Reduced in float32, as a float32 runtime would, so repeated indices round the same way.
                    var y = data.ToArray<float>();
                    Scatter(y, updates.ToArray<float>(), offsets, slice, reduction switch
                    {
                        "add" => (a, u) => a + u,
                        "mul" => (a, u) => a * u,
                        "max" => MathF.Max,
                        "min" => MathF.Min,
                        _ => null,
                    });
                    return Tensor.From(y, data.Shape);
                }
            case DType.Float64:
                {
                    var y = data.ToArray<double>();
                    Scatter(y, updates.ToArray<double>(), offsets, slice, reduction switch
                    {
                        "add" => (a, u) => a + u,
                        "mul" => (a, u) => a * u,
                        "max" => Math.Max,
                        "min" => Math.Min,
                        _ => null,
                    });
                    return Tensor.From(y, data.Shape);
                }
            case DType.Int64:
                {
                    var y = data.ToArray<long>();
                    Scatter(y, updates.ToArray<long>(), offsets, slice, reduction switch
                    {
                        "add" => (a, u) => a + u,
                        "mul" => (a, u) => a * u,
                        "max" => Math.Max,
                        "min" => Math.Min,
                        _ => null,
                    });
                    return Tensor.From(y, data.Shape);
                }
            default:
                {
                    var y = data.ToArray<bool>();
                    Scatter(y, updates.ToArray<bool>(), offsets, slice, reduction switch
                    {
                        "add" or "max" => (a, u) => a | u,
                        "mul" or "min" => (a, u) => a & u,
                        _ => null,
                    });
                    return Tensor.From(y, data.Shape);
                }
        }
    }

    // Updates are applied in index order, so with reduction none a repeated index keeps its last update.
    private static void Scatter<T>(T[] y, T[] updates, long[] offsets, int slice, Func<T, T, T>? reduce)
    {
        for (int row = 0; row < offsets.Length; row++)
        {
            for (int e = 0; e < slice; e++)
            {
                long at = offsets[row] + e;
                T u = updates[(long)row * slice + e];
                y[at] = reduce is null ? u : reduce(y[at], u);
            }
        }
    }
}
