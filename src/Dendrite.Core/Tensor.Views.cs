namespace Dendrite;

// Views share storage with their input: only shape, strides and offset change. The backward of a view writes the
// gradient into the same view of a zero tensor shaped like the input (ViewGrad), or reshapes it back.
public partial class Tensor
{
    private Tensor ViewOf(int[] newShape, int[] newStrides, int newOffset) => new(Storage, newShape, newStrides, newOffset);

    private static Tensor ViewGrad(Tensor g, Tensor x, Func<Tensor, Tensor> view)
    {
        var z = Zeros(g.DType, x.shape);
        view(z).CopyFrom(g);
        // With createGraph the gradient is itself differentiated: its gradient is the same view of the incoming one.
        return Tracks(g) ? z.Record("ViewBackward", [g], gg => [view(gg)]) : z;
    }

    private int[] ResolveShape(string op, ReadOnlySpan<int> spec)
    {
        var s = spec.ToArray();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == -1)
            {
                if (infer >= 0) throw new ArgumentException($"{op}: only one dimension can be -1 in {Shapes.Format(spec)}");
                infer = i;
            }
            else if (s[i] < 0)
            {
                throw new ArgumentException($"{op}: invalid dimension {s[i]} in {Shapes.Format(spec)}");
            }
            else
            {
                known *= s[i];
            }
        }
        if (infer >= 0)
        {
            if (known == 0 || Numel % known != 0)
                throw new ArgumentException($"{op}: cannot reshape {Shapes.Format(shape)} ({Numel} elements) to {Shapes.Format(spec)}");
            s[infer] = (int)(Numel / known);
        }
        else if (known != Numel)
        {
            throw new ArgumentException($"{op}: cannot reshape {Shapes.Format(shape)} ({Numel} elements) to {Shapes.Format(spec)}");
        }
        return s;
    }

    /// <summary>The same elements in a new shape (one dimension may be -1). A view when the tensor is contiguous,
    /// a copy otherwise.   dy/dx: the gradient reshaped back</summary>
    public Tensor Reshape(params ReadOnlySpan<int> newShape)
    {
        var x = this;
        if (newShape.SequenceEqual(shape)) return this;
        var s = ResolveShape("Reshape", newShape);
        Tensor y;
        using (Autograd.NoGrad())
        {
            var src = IsContiguous ? this : Contiguous();
            y = src.ViewOf(s, Shapes.ContiguousStrides(s), src.Offset);
        }
        return Tracks(x) ? y.Record("Reshape", [x], g => [g.Reshape(x.shape)], attributes: [("shape", s)]) : y;
    }

    /// <summary>Alias of <see cref="Reshape"/>.</summary>
    public Tensor View(params ReadOnlySpan<int> newShape) => Reshape(newShape);

    /// <summary>Merges dimensions startDim..endDim into one.</summary>
    public Tensor Flatten(int startDim = 0, int endDim = -1)
    {
        if (Rank == 0) return Reshape(1);
        int s = Shapes.Axis("Flatten", startDim, Rank), e = Shapes.Axis("Flatten", endDim, Rank);
        if (s > e) throw new ArgumentException($"Flatten: startDim {startDim} comes after endDim {endDim}");
        var ns = new List<int>();
        for (int i = 0; i < s; i++) ns.Add(shape[i]);
        int m = 1;
        for (int i = s; i <= e; i++) m *= shape[i];
        ns.Add(m);
        for (int i = e + 1; i < Rank; i++) ns.Add(shape[i]);
        return Reshape(ns.ToArray());
    }

    /// <summary>Reorders the dimensions: result dimension i is input dimension dims[i].</summary>
    public Tensor Permute(params ReadOnlySpan<int> dims)
    {
        if (dims.Length != Rank)
            throw new ArgumentException($"Permute: {dims.Length} dimensions given for a tensor of rank {Rank}");
        var x = this;
        var p = new int[Rank];
        var seen = new bool[Rank];
        for (int i = 0; i < Rank; i++)
        {
            p[i] = Shapes.Axis("Permute", dims[i], Rank);
            if (seen[p[i]]) throw new ArgumentException($"Permute: dimension {dims[i]} repeats in {Shapes.Format(dims)}");
            seen[p[i]] = true;
        }
        var ns = new int[Rank];
        var nst = new int[Rank];
        for (int i = 0; i < Rank; i++)
        {
            ns[i] = shape[p[i]];
            nst[i] = strides[p[i]];
        }
        var y = ViewOf(ns, nst, Offset);
        if (!Tracks(x)) return y;
        var inv = new int[Rank];
        for (int i = 0; i < Rank; i++) inv[p[i]] = i;
        return y.Record("Permute", [x], g => [g.Permute(inv)], attributes: [("dims", p)]);
    }

    /// <summary>Swaps two dimensions.</summary>
    public Tensor Transpose(int dim0, int dim1)
    {
        var p = new int[Rank];
        for (int i = 0; i < Rank; i++) p[i] = i;
        int a = Shapes.Axis("Transpose", dim0, Rank), b = Shapes.Axis("Transpose", dim1, Rank);
        (p[a], p[b]) = (p[b], p[a]);
        return Permute(p);
    }

    /// <summary>The last two dimensions swapped (a 1-D tensor is returned as is).</summary>
    public Tensor T => Rank < 2 ? this : Transpose(-2, -1);

    /// <summary>Inserts a dimension of size 1 at <paramref name="dim"/> (negative counts from the new end).</summary>
    public Tensor Unsqueeze(int dim)
    {
        int d = Shapes.Axis("Unsqueeze", dim, Rank + 1);
        var ns = new List<int>(shape);
        var nst = new List<int>(strides);
        ns.Insert(d, 1);
        nst.Insert(d, d < Rank ? strides[d] * shape[d] : 1);
        return ReshapeView("Unsqueeze", ns.ToArray(), nst.ToArray());
    }

    /// <summary>Removes dimensions of size 1: all of them, or only <paramref name="dim"/>.</summary>
    public Tensor Squeeze(int? dim = null)
    {
        var ns = new List<int>();
        var nst = new List<int>();
        int d = dim is int dd ? Shapes.Axis("Squeeze", dd, Rank) : -1;
        for (int i = 0; i < Rank; i++)
        {
            if (shape[i] == 1 && (d < 0 || d == i)) continue;
            ns.Add(shape[i]);
            nst.Add(strides[i]);
        }
        return ns.Count == Rank ? this : ReshapeView("Squeeze", ns.ToArray(), nst.ToArray());
    }

    private Tensor ReshapeView(string op, int[] ns, int[] nst)
    {
        var x = this;
        var y = ViewOf(ns, nst, Offset);
        return Tracks(x) ? y.Record(op, [x], g => [g.Reshape(x.shape)], attributes: [("shape", ns)]) : y;
    }

    /// <summary>Repeats size-1 dimensions (and adds leading ones) without copying; -1 keeps a size.
    /// dy/dx: the gradient summed over the expanded dimensions</summary>
    public Tensor Expand(params ReadOnlySpan<int> newShape)
    {
        var x = this;
        if (newShape.SequenceEqual(shape)) return this;
        int r = newShape.Length, lead = r - Rank;
        if (lead < 0)
            throw new ArgumentException($"Expand: target {Shapes.Format(newShape)} has fewer dimensions than {Shapes.Format(shape)}");
        var ns = new int[r];
        var nst = new int[r];
        for (int i = 0; i < r; i++)
        {
            int j = i - lead;
            int want = newShape[i];
            if (j < 0)
            {
                if (want < 0) throw new ArgumentException($"Expand: -1 is not allowed for the new leading dimension {i}");
                ns[i] = want;
                continue;
            }
            if (want == -1 || want == shape[j])
            {
                ns[i] = shape[j];
                nst[i] = strides[j];
            }
            else if (shape[j] == 1)
            {
                ns[i] = want;
            }
            else
            {
                throw new ArgumentException(
                    $"Expand: cannot expand {Shapes.Format(shape)} to {Shapes.Format(newShape)} (dimension {i}: {shape[j]} vs {want})");
            }
        }
        var y = ViewOf(ns, nst, Offset);
        return Tracks(x) ? y.Record("Expand", [x], g => [SumTo(g, x.shape)], attributes: [("shape", ns)]) : y;
    }

    /// <summary>Elements start, start+step, … before end along <paramref name="dim"/>, with Python/ONNX slicing
    /// rules: negative indices count from the end, bounds are clamped, a negative step walks backwards.</summary>
    public Tensor Slice(int dim, long start, long end, long step = 1)
    {
        var x = this;
        int d = Shapes.Axis("Slice", dim, Rank);
        if (step == 0) throw new ArgumentException("Slice: step must not be zero");
        long n = shape[d];
        long s = start < 0 ? start + n : start, e = end < 0 ? end + n : end;
        long len;
        if (step > 0)
        {
            s = Math.Clamp(s, 0, n);
            e = Math.Clamp(e, 0, n);
            len = Math.Max(0, (e - s + step - 1) / step);
        }
        else
        {
            s = Math.Clamp(s, -1, n - 1);
            e = Math.Clamp(e, -1, n - 1);
            len = Math.Max(0, (s - e + (-step) - 1) / -step);
        }
        var ns = (int[])shape.Clone();
        var nst = (int[])strides.Clone();
        ns[d] = (int)len;
        nst[d] = (int)(strides[d] * step);
        int off = len == 0 ? Offset : Offset + (int)(s * strides[d]);
        var y = ViewOf(ns, nst, off);
        if (!Tracks(x)) return y;
        return y.Record("Slice", [x], g => [ViewGrad(g, x, z => z.Slice(d, start, end, step))],
            attributes: [("dim", d), ("start", start), ("end", end), ("step", step)],
            addIntoInput: (pending, g) => pending.Slice(d, start, end, step).AddInPlace(g));
    }

    /// <summary>Elements start … start+length-1 along <paramref name="dim"/> (a view).</summary>
    public Tensor Narrow(int dim, int start, int length)
    {
        int d = Shapes.Axis("Narrow", dim, Rank);
        if (start < 0) start += shape[d];
        if (start < 0 || length < 0 || start + length > shape[d])
            throw new ArgumentOutOfRangeException(nameof(start),
                $"Narrow: [{start}, {start + length}) is outside dimension {dim} of size {shape[d]} in {Shapes.Format(shape)}");
        return Slice(d, start, start + length);
    }

    /// <summary>The slice at <paramref name="index"/> along <paramref name="dim"/>, with that dimension removed.</summary>
    public Tensor Select(int dim, int index)
    {
        int d = Shapes.Axis("Select", dim, Rank);
        int i = index < 0 ? index + shape[d] : index;
        if (i < 0 || i >= shape[d])
            throw new IndexOutOfRangeException($"Select: index {index} is out of range for dimension {dim} of size {shape[d]}");
        return Narrow(d, i, 1).Squeeze(d);
    }
}
