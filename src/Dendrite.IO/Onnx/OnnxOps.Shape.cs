namespace Dendrite.IO;

// Shape, layout and indexing operators. Opset-dependent forms (axes, shapes, pads given as attributes in early
// opsets and as inputs later) are resolved here.
internal static partial class OnnxOps
{
    private static void AddShape(Dictionary<string, Func<OnnxNode, Tensor[]>> t)
    {
        t["Constant"] = One(Constant);
        t["Transpose"] = n =>
        {
            var x = n.In(0);
            var perm = n.Ints("perm") is { } p ? n.AxesFor(p, x.Rank)
                : Enumerable.Range(0, x.Rank).Reverse().ToArray();
            return [x.Permute(perm)];
        };
        t["Reshape"] = One(Reshape);
        t["Flatten"] = n =>
        {
            var x = n.In(0);
            long axis = n.Int("axis", 1);
            int a = (int)(axis < 0 ? axis + x.Rank : axis);
            if (a < 0 || a > x.Rank) throw n.Error($"axis {axis} is out of range for rank {x.Rank}");
            int outer = 1;
            for (int i = 0; i < a; i++) outer *= x.Shape[i];
            return [x.Reshape(outer, Inner(x, a))];
        };
        t["Squeeze"] = n =>
        {
            var x = n.In(0);
            var axes = n.Axes(13, 1);
            if (axes is null) return [x.Squeeze()];
            var ax = n.AxesFor(axes, x.Rank).OrderDescending().ToArray();
            foreach (int a in ax)
            {
                if (x.Shape[a] != 1)
                    throw n.Error($"cannot squeeze axis {a} of size {x.Shape[a]} in {Shapes.Format(x.Shape)}");
                x = x.Squeeze(a);
            }
            return [x];
        };
        t["Unsqueeze"] = n =>
        {
            var x = n.In(0);
            var axes = n.Axes(13, 1) ?? throw n.Error("axes are required");
            foreach (int a in n.AxesFor(axes, x.Rank + axes.Length).Order()) x = x.Unsqueeze(a);
            return [x];
        };
        t["Expand"] = n =>
        {
            var x = n.In(0);
            var target = ToInts(n, n.Longs(1), "shape");
            return [x.Expand(Shapes.Broadcast("Expand", x.Shape, target))];
        };
        t["Slice"] = One(Slice);
        t["Concat"] = n =>
        {
            var xs = n.All.ToList();
            if (xs.Count == 0) throw n.Error("needs at least one input");
            return [Tensor.Cat(xs, n.Axis(n.Int("axis", n.Opset < 4 ? 1 : long.MinValue), xs[0].Rank))];
        };
        t["Split"] = Split;
        t["Gather"] = n =>
        {
            var x = n.In(0);
            return [x.IndexSelect(n.Axis(n.Int("axis", 0), x.Rank), n.In(1).To(DType.Int64))];
        };
        t["GatherElements"] = n =>
        {
            var x = n.In(0);
            return [x.Gather(n.Axis(n.Int("axis", 0), x.Rank), n.In(1))];
        };
        t["ScatterElements"] = One(ScatterElements);
        t["Scatter"] = One(ScatterElements);
        t["Tile"] = One(Tile);
        t["Pad"] = One(Pad);
        t["Shape"] = n =>
        {
            var x = n.In(0);
            int r = x.Rank;
            long s = n.Int("start", 0), e = n.Int("end", r);
            int start = (int)Math.Clamp(s < 0 ? s + r : s, 0, r), end = (int)Math.Clamp(e < 0 ? e + r : e, 0, r);
            var dims = new long[Math.Max(0, end - start)];
            for (int i = 0; i < dims.Length; i++) dims[i] = x.Shape[start + i];
            return [Tensor.From(dims, dims.Length)];
        };
        t["Size"] = n => [Tensor.Scalar(n.In(0).Numel, DType.Int64)];
        t["ConstantOfShape"] = n =>
        {
            var shape = ToInts(n, n.Longs(0), "shape");
            var v = n.TensorAttr("value") ?? Tensor.Scalar(0);
            if (v.Numel != 1) throw n.Error($"value must hold one element, got {Shapes.Format(v.Shape)}");
            return [Tensor.Full(v.Reshape(-1)[0], v.DType, shape)];
        };
        t["Range"] = n =>
        {
            var x = n.In(0);
            double start = n.Scalar(0), limit = n.Scalar(1), delta = n.Scalar(2);
            if (delta == 0) throw n.Error("delta is zero");
            long count = Math.Max((long)Math.Ceiling((limit - start) / delta), 0);
            if (count > int.MaxValue) throw n.Error($"{count} elements is too many");
            var v = new double[count];
            for (long i = 0; i < count; i++) v[i] = start + i * delta;
            return [Tensor.From(v, (int)count).To(x.DType)];
        };
        t["OneHot"] = One(OneHot);
        t["Trilu"] = n =>
        {
            var x = n.In(0);
            long k = n.Opt(1) is null ? 0 : (long)n.Scalar(1);
            if (x.Rank < 2) throw n.Error($"input must have rank 2 or more, got {Shapes.Format(x.Shape)}");
            int rows = x.Shape[^2], cols = x.Shape[^1];
            var i = Tensor.Arange(rows, DType.Int64).Reshape(rows, 1);
            var j = Tensor.Arange(cols, DType.Int64).Reshape(1, cols);
            var diff = j - i; // column minus row: 0 on the main diagonal
            var kk = Tensor.Scalar(k, DType.Int64);
            var keep = n.Int("upper", 1) != 0 ? diff.Ge(kk) : diff.Le(kk);
            return [Tensor.Where(keep, x, Tensor.Zeros(x.DType))];
        };
        t["EyeLike"] = n =>
        {
            var x = n.In(0);
            if (x.Rank != 2) throw n.Error($"input must be 2-D, got {Shapes.Format(x.Shape)}");
            var dtype = n.Has("dtype") ? OnnxTensor.MapType((int)n.Int("dtype", 1), n.Where) : x.DType;
            long k = n.Int("k", 0);
            var i = Tensor.Arange(x.Shape[0], DType.Int64).Reshape(x.Shape[0], 1);
            var j = Tensor.Arange(x.Shape[1], DType.Int64).Reshape(1, x.Shape[1]);
            return [(j - i).Eq(Tensor.Scalar(k, DType.Int64)).To(dtype)];
        };
        t["DepthToSpace"] = n =>
        {
            var x = n.In(0);
            int b = (int)n.Int("blocksize", 0);
            if (x.Rank != 4 || b <= 0 || x.Shape[1] % (b * b) != 0)
                throw n.Error($"needs 4-D input, channels divisible by blocksize² ({Shapes.Format(x.Shape)}, {b})");
            int N = x.Shape[0], C = x.Shape[1], H = x.Shape[2], W = x.Shape[3], c = C / (b * b);
            var y = n.Str("mode", "DCR") == "DCR"
                ? x.Reshape(N, b, b, c, H, W).Permute(0, 3, 4, 1, 5, 2)
                : x.Reshape(N, c, b, b, H, W).Permute(0, 1, 4, 2, 5, 3);
            return [y.Contiguous().Reshape(N, c, H * b, W * b)];
        };
        t["SpaceToDepth"] = n =>
        {
            var x = n.In(0);
            int b = (int)n.Int("blocksize", 0);
            if (x.Rank != 4 || b <= 0 || x.Shape[2] % b != 0 || x.Shape[3] % b != 0)
                throw n.Error($"needs a 4-D input with H and W divisible by blocksize ({Shapes.Format(x.Shape)}, {b})");
            int N = x.Shape[0], C = x.Shape[1], H = x.Shape[2] / b, W = x.Shape[3] / b;
            var y = x.Reshape(N, C, H, b, W, b).Permute(0, 3, 5, 1, 2, 4);
            return [y.Contiguous().Reshape(N, C * b * b, H, W)];
        };
        t["NonZero"] = n =>
        {
            var x = n.In(0);
            var nz = x.Ne(Tensor.Zeros(x.DType)).ToArray<bool>();
            int count = nz.Count(v => v), r = x.Rank;
            var result = new long[r * count];
            int k = 0;
            for (int flat = 0; flat < nz.Length; flat++)
            {
                if (!nz[flat]) continue;
                int rest = flat;
                for (int d = r - 1; d >= 0; d--)
                {
                    result[d * count + k] = rest % x.Shape[d];
                    rest /= x.Shape[d];
                }
                k++;
            }
            return [Tensor.From(result, r, count)];
        };
        t["Compress"] = n =>
        {
            var x = n.In(0);
            var cond = n.In(1).ToArray<bool>();
            int axis;
            if (n.Has("axis"))
            {
                axis = n.Axis(n.Int("axis", 0), x.Rank);
            }
            else
            {
                x = x.Reshape(-1);
                axis = 0;
            }
            var keep = new List<long>();
            for (int i = 0; i < Math.Min(cond.Length, x.Shape[axis]); i++)
            {
                if (cond[i]) keep.Add(i);
            }
            return [x.IndexSelect(axis, Tensor.From(keep.ToArray(), keep.Count))];
        };
    }

    private static int Inner(Tensor x, int a)
    {
        int inner = 1;
        for (int i = a; i < x.Rank; i++) inner *= x.Shape[i];
        return inner;
    }

    private static int[] ToInts(OnnxNode n, long[] v, string what)
    {
        var r = new int[v.Length];
        for (int i = 0; i < v.Length; i++)
        {
            if (v[i] < int.MinValue || v[i] > int.MaxValue) throw n.Error($"{what}[{i}] = {v[i]} is out of range");
            r[i] = (int)v[i];
        }
        return r;
    }

    private static Tensor Constant(OnnxNode n)
    {
        if (n.TensorAttr("value") is { } v) return v;
        if (n.Has("value_float")) return Tensor.Scalar(n.Float("value_float", 0));
        if (n.Floats("value_floats") is { } fs) return Tensor.From(fs, fs.Length);
        if (n.Has("value_int")) return Tensor.Scalar(n.Int("value_int", 0), DType.Int64);
        if (n.Ints("value_ints") is { } ls) return Tensor.From(ls, ls.Length);
        var names = string.Join(", ", n.AttributeNames);
        throw new OnnxUnsupportedException($"Constant with {(names.Length == 0 ? "no value" : names)}");
    }

    private static Tensor Reshape(OnnxNode n)
    {
        var x = n.In(0);
        var s = ToInts(n, n.Opset < 5 ? n.Ints("shape") ?? throw n.Error("shape is required") : n.Longs(1), "shape");
        bool allowZero = n.Int("allowzero", 0) != 0;
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == 0 && !allowZero)
            {
                if (i >= x.Rank) throw n.Error($"shape[{i}] = 0 copies a dimension {Shapes.Format(x.Shape)} lacks");
                s[i] = x.Shape[i];
            }
        }
        return x.Reshape(s);
    }

    private static Tensor Slice(OnnxNode n)
    {
        var x = n.In(0);
        long[] starts, ends;
        long[]? axes, steps = null;
        if (n.Opset < 10)
        {
            starts = n.Ints("starts") ?? throw n.Error("starts are required");
            ends = n.Ints("ends") ?? throw n.Error("ends are required");
            axes = n.Ints("axes");
        }
        else
        {
            starts = n.Longs(1);
            ends = n.Longs(2);
            axes = n.Opt(3) is null ? null : n.Longs(3);
            steps = n.Opt(4) is null ? null : n.Longs(4);
        }
        axes ??= Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
        int count = starts.Length;
        if (ends.Length != count || axes.Length != count || (steps is not null && steps.Length != count))
            throw n.Error($"starts, ends, axes and steps differ in length ({count}, {ends.Length}, {axes.Length})");
        for (int i = 0; i < starts.Length; i++)
        {
            long step = steps?[i] ?? 1;
            if (step == 0) throw n.Error($"steps[{i}] is zero");
            x = x.Slice(n.Axis(axes[i], x.Rank), starts[i], ends[i], step);
        }
        return x;
    }

    private static Tensor[] Split(OnnxNode n)
    {
        var x = n.In(0);
        int axis = n.Axis(n.Int("axis", 0), x.Rank);
        long[]? split = n.Opset < 13 ? n.Ints("split") ?? (n.Opt(1) is null ? null : n.Longs(1))
            : n.Opt(1) is null ? null : n.Longs(1);
        int dim = x.Shape[axis];
        int[] sizes;
        if (split is not null)
        {
            sizes = ToInts(n, split, "split");
            if (sizes.Any(s => s < 0)) throw n.Error($"split {Shapes.Format(sizes)} has a negative size");
            if (sizes.Sum(s => (long)s) != dim) throw n.Error($"split {Shapes.Format(sizes)} does not add up to {dim}");
        }
        else
        {
            // The number of parts is the node's output count, which the file's size bounds; num_outputs must agree
            // with it (as ONNX's checker requires), so a huge attribute cannot make the run allocate one part each.
            int parts = n.OutputCount;
            if (n.Has("num_outputs") && n.Int("num_outputs", 1) != parts)
                throw n.Error($"num_outputs = {n.Int("num_outputs", 1)} but the node has {parts} outputs");
            if (parts <= 0) throw n.Error($"cannot split into {parts} parts");
            int size = (dim + parts - 1) / parts;
            sizes = Enumerable.Range(0, parts).Select(i => Math.Clamp(dim - i * size, 0, size)).ToArray();
        }
        return x.Split(sizes, axis);
    }

    private static Tensor ScatterElements(OnnxNode n)
    {
        var x = n.In(0);
        int axis = n.Axis(n.Int("axis", 0), x.Rank);
        string reduction = n.Str("reduction", "none");
        return reduction switch
        {
            "none" => x.Scatter(axis, n.In(1), n.In(2)),
            "add" => x.ScatterAdd(axis, n.In(1), n.In(2)),
            _ => throw new OnnxUnsupportedException($"ScatterElements reduction {reduction}"),
        };
    }

    private static Tensor Tile(OnnxNode n)
    {
        var x = n.In(0);
        var reps = ToInts(n, n.Longs(1), "repeats");
        if (reps.Length != x.Rank) throw n.Error($"repeats has {reps.Length} entries for rank {x.Rank}");
        // View x as [1, s0, 1, s1, …], expand to [r0, s0, r1, s1, …], then merge each pair.
        var inter = new int[2 * x.Rank];
        var expanded = new int[2 * x.Rank];
        var final = new int[x.Rank];
        for (int i = 0; i < x.Rank; i++)
        {
            inter[2 * i] = 1;
            inter[2 * i + 1] = x.Shape[i];
            expanded[2 * i] = reps[i];
            expanded[2 * i + 1] = x.Shape[i];
            final[i] = reps[i] * x.Shape[i];
        }
        return x.Reshape(inter).Expand(expanded).Contiguous().Reshape(final);
    }

    private static Tensor Pad(OnnxNode n)
    {
        var x = n.In(0);
        string mode = n.Str("mode", "constant");
        if (mode is not ("constant" or "edge" or "reflect" or "wrap"))
            throw new OnnxUnsupportedException($"Pad mode {mode}");
        long[] pads;
        double value;
        int[] axes;
        if (n.Opset < 11)
        {
            pads = n.Ints(n.Opset < 2 ? "paddings" : "pads") ?? throw n.Error("pads are required");
            value = n.Float("value", 0);
            axes = Enumerable.Range(0, x.Rank).ToArray();
        }
        else
        {
            pads = n.Longs(1);
            value = n.Opt(2) is { } c && c.Numel > 0 ? c.Reshape(-1)[0] : 0;
            axes = n.Opt(3) is null ? Enumerable.Range(0, x.Rank).ToArray() : n.AxesFor(n.Longs(3), x.Rank);
        }
        if (pads.Length != 2 * axes.Length)
            throw n.Error($"pads has {pads.Length} entries; {axes.Length} axes need {2 * axes.Length}");
        var before = new int[x.Rank];
        var after = new int[x.Rank];
        var p = ToInts(n, pads, "pads");
        for (int i = 0; i < axes.Length; i++)
        {
            before[axes[i]] = p[i];
            after[axes[i]] = p[i + axes.Length];
        }
        if (mode == "constant") return x.PadDims(before, after, value);
        // Crop negative amounts first, then extend each axis from the values inside.
        x = x.PadDims(before.Select(v => Math.Min(v, 0)).ToArray(), after.Select(v => Math.Min(v, 0)).ToArray());
        for (int d = 0; d < x.Rank; d++)
        {
            int b = Math.Max(before[d], 0), a = Math.Max(after[d], 0);
            if (b == 0 && a == 0) continue;
            if (x.Shape[d] == 0) throw n.Error($"cannot pad an empty axis {d} in {mode} mode");
            x = PadIndexed(x, d, b, a, mode);
        }
        return x;
    }

    private static Tensor OneHot(OnnxNode n)
    {
        var indices = n.In(0).To(DType.Float64).ToArray<double>();
        long depth = (long)n.Scalar(1);
        var values = n.In(2);
        if (values.Numel != 2) throw n.Error($"values must hold [off, on], got {Shapes.Format(values.Shape)}");
        if (depth <= 0 || depth > int.MaxValue) throw n.Error($"depth {depth} is out of range");
        int d = (int)depth, count = indices.Length;
        var flat = values.Reshape(-1);
        var off = flat.Slice(0, 0, 1);
        var y = off.Expand(count, d).Contiguous();
        var hot = Tensor.Zeros(DType.Bool, count, d);
        for (int i = 0; i < count; i++)
        {
            long k = (long)indices[i];
            if (k < 0) k += depth;
            if (k >= 0 && k < depth) hot[i, (int)k] = 1;
        }
        y = Tensor.Where(hot, flat.Slice(0, 1, 2), y);
        var shape = n.In(0).Shape.ToArray();
        int rank = shape.Length + 1;
        int axis = n.Axis(n.Int("axis", -1), rank);
        y = y.Reshape([.. shape, d]);
        // Move the new last dimension to the requested axis.
        var perm = Enumerable.Range(0, rank - 1).ToList();
        perm.Insert(axis, rank - 1);
        return y.Permute(perm.ToArray()).Contiguous();
    }
}
