using System.Numerics;
using System.Numerics.Tensors;

namespace Dendrite;

// Reductions over any set of axes, with keepDim. The kernel brings the reduced axes to the end so each output
// element reduces one contiguous row (TensorPrimitives.Sum/Max/Min); when the reduced axes lead instead (a bias
// gradient summed over the batch), rows are accumulated into the output without a transposing copy.
public partial class Tensor
{
    private enum ReduceKind
    {
        Sum,
        Max,
        Min,
    }

    private int[] NormalizeAxes(string op, ReadOnlySpan<int> axes)
    {
        if (axes.Length == 0)
        {
            var all = new int[Rank];
            for (int i = 0; i < Rank; i++) all[i] = i;
            return all;
        }
        var r = new int[axes.Length];
        for (int i = 0; i < axes.Length; i++)
        {
            int a = Shapes.Axis(op, axes[i], Rank);
            int j = i;
            for (; j > 0 && r[j - 1] > a; j--) r[j] = r[j - 1];
            if (j > 0 && r[j - 1] == a) throw new ArgumentException($"{op}: axis {axes[i]} repeats");
            r[j] = a;
        }
        return r;
    }

    private int[] KeptShape(int[] axes)
    {
        var s = (int[])shape.Clone();
        foreach (int a in axes) s[a] = 1;
        return s;
    }

    private static int[] DropAxes(int[] keptShape, int[] axes)
    {
        var r = new int[keptShape.Length - axes.Length];
        for (int i = 0, j = 0; i < keptShape.Length; i++)
        {
            if (System.Array.IndexOf(axes, i) < 0) r[j++] = keptShape[i];
        }
        return r;
    }

    private Tensor ReduceRaw(string op, int[] axes, ReduceKind kind)
    {
        var outShape = KeptShape(axes);
        int outer = Shapes.Numel(outShape), inner = outer == 0 ? 0 : Numel / Math.Max(outer, 1);
        if (Numel == 0 && kind != ReduceKind.Sum)
        {
            bool emptyReduced = false;
            foreach (int a in axes) emptyReduced |= shape[a] == 0;
            if (emptyReduced) throw new ArgumentException($"{op}: cannot reduce over an empty dimension of {Shapes.Format(shape)}");
        }
        var dt = DType == DType.Bool ? DType.Int64 : DType;
        var x = To(dt);
        var y = Empty(dt, outShape, clear: true);
        switch (dt)
        {
            case DType.Float32: ReduceTyped<float>(x, y, axes, kind, inner); break;
            case DType.Float64: ReduceTyped<double>(x, y, axes, kind, inner); break;
            default: ReduceTyped<long>(x, y, axes, kind, inner); break;
        }
        return y;
    }

    private static void ReduceTyped<T>(Tensor x, Tensor y, int[] axes, ReduceKind kind, int inner)
        where T : unmanaged, INumber<T>, IMinMaxValue<T>
    {
        var ys = y.Span<T>();
        if (ys.Length == 0) return;
        if (inner == 0)
        {
            ys.Fill(T.Zero);
            return;
        }
        bool leading = x.IsContiguous;
        for (int i = 0; i < axes.Length && leading; i++) leading = axes[i] == i;
        if (leading && axes.Length < x.Rank)
        {
            // x viewed as [inner, outer]: accumulate rows.
            var xs = x.Span<T>();
            int outer = ys.Length;
            xs[..outer].CopyTo(ys);
            for (int r = 1; r < inner; r++)
            {
                var row = xs.Slice(r * outer, outer);
                switch (kind)
                {
                    case ReduceKind.Sum: TensorPrimitives.Add(ys, row, ys); break;
                    case ReduceKind.Max: TensorPrimitives.Max(ys, row, ys); break;
                    default: TensorPrimitives.Min(ys, row, ys); break;
                }
            }
            return;
        }
        if (x.IsContiguous && KeptBlock(axes, x.Rank) is (int p, int q) && p > 0 && q < x.Rank)
        {
            // x viewed as [a, k, b] with the kept axes as the middle block (a per-channel sum over N, H, W):
            // each contiguous run of b elements folds into one output element, with no transposing copy.
            var xs = x.Span<T>();
            int k = ys.Length, b = 1;
            for (int i = q; i < x.Rank; i++) b *= x.shape[i];
            int a = inner / b;
            for (int i = 0; i < a; i++)
            {
                for (int j = 0; j < k; j++)
                {
                    T r = ReduceRow(xs.Slice((i * k + j) * b, b), kind);
                    ys[j] = i == 0 ? r : kind switch
                    {
                        ReduceKind.Sum => ys[j] + r,
                        ReduceKind.Max => T.Max(ys[j], r),
                        _ => T.Min(ys[j], r),
                    };
                }
            }
            return;
        }
        bool trailing = x.IsContiguous;
        for (int i = 0; i < axes.Length && trailing; i++) trailing = axes[i] == x.Rank - axes.Length + i;
        var rows = trailing ? x.Span<T>() : default;
        if (!trailing)
        {
            rows = ReducedLast<T>(x, axes);
        }
        for (int o = 0; o < ys.Length; o++)
        {
            ys[o] = ReduceRow(rows.Slice(o * inner, inner), kind);
        }
    }

    private static T ReduceRow<T>(ReadOnlySpan<T> row, ReduceKind kind) where T : unmanaged, INumber<T>, IMinMaxValue<T>
        => kind switch
        {
            ReduceKind.Sum => TensorPrimitives.Sum<T>(row),
            ReduceKind.Max => TensorPrimitives.Max<T>(row),
            _ => TensorPrimitives.Min<T>(row),
        };

    // The kept axes as one block [p, q) when the reduced axes are exactly those before p and from q on.
    private static (int, int)? KeptBlock(int[] axes, int rank)
    {
        int p = 0;
        while (p < axes.Length && axes[p] == p) p++;
        int q = p < axes.Length ? axes[p] : rank;
        for (int i = p; i < axes.Length; i++)
        {
            if (axes[i] != q + i - p) return null;
        }
        return q + axes.Length - p == rank && q > p ? (p, q) : null;
    }

    // A contiguous copy of x with the reduced axes moved last: rows of length inner are then contiguous.
    private static Span<T> ReducedLast<T>(Tensor x, int[] axes) where T : unmanaged
    {
        var perm = new List<int>();
        for (int i = 0; i < x.Rank; i++)
        {
            if (System.Array.IndexOf(axes, i) < 0) perm.Add(i);
        }
        perm.AddRange(axes);
        Tensor c;
        using (Autograd.NoGrad()) c = x.Permute(perm.ToArray()).Contiguous();
        return c.Span<T>();
    }

    /// <summary>Sum of all elements (a scalar).</summary>
    public Tensor Sum() => Sum([], false);

    /// <summary>Sum over one axis.</summary>
    public Tensor Sum(int axis, bool keepDim = false) => Sum([axis], keepDim);

    /// <summary>Sum over the given axes (all when empty).   dy/dx = 1, broadcast back</summary>
    public Tensor Sum(ReadOnlySpan<int> axes, bool keepDim = false)
    {
        var x = this;
        var ax = NormalizeAxes("Sum", axes);
        var kept = ReduceRaw("Sum", ax, ReduceKind.Sum);
        var y = keepDim ? kept : kept.ReshapeRaw(DropAxes(kept.shape, ax));
        if (!Tracks(x)) return y;
        var keptShape = kept.shape;
        return y.Record("Sum", [x], g => [g.Reshape(keptShape).Expand(x.shape)],
            attributes: [("axes", ax), ("keepDim", Box(keepDim))]);
    }

    /// <summary>Mean of all elements.</summary>
    public Tensor Mean() => Mean([], false);

    /// <summary>Mean over one axis.</summary>
    public Tensor Mean(int axis, bool keepDim = false) => Mean([axis], keepDim);

    /// <summary>Mean over the given axes (all when empty).</summary>
    public Tensor Mean(ReadOnlySpan<int> axes, bool keepDim = false)
    {
        var ax = NormalizeAxes("Mean", axes);
        long count = 1;
        foreach (int a in ax) count *= shape[a];
        var x = DType.IsFloating() ? this : To(DType.Float32);
        return x.Sum(ax, keepDim) / count;
    }

    /// <summary>Largest element.</summary>
    public Tensor Max() => Max([], false);

    /// <summary>Largest values along one axis.</summary>
    public Tensor Max(int axis, bool keepDim = false) => Max([axis], keepDim);

    /// <summary>Largest values over the given axes. The gradient is shared evenly among tied maxima.</summary>
    public Tensor Max(ReadOnlySpan<int> axes, bool keepDim = false) => Extreme("Max", axes, keepDim, ReduceKind.Max);

    /// <summary>Smallest element.</summary>
    public Tensor Min() => Min([], false);

    /// <summary>Smallest values along one axis.</summary>
    public Tensor Min(int axis, bool keepDim = false) => Min([axis], keepDim);

    /// <summary>Smallest values over the given axes. The gradient is shared evenly among tied minima.</summary>
    public Tensor Min(ReadOnlySpan<int> axes, bool keepDim = false) => Extreme("Min", axes, keepDim, ReduceKind.Min);

    private Tensor Extreme(string op, ReadOnlySpan<int> axes, bool keepDim, ReduceKind kind)
    {
        var x = this;
        var ax = NormalizeAxes(op, axes);
        var kept = ReduceRaw(op, ax, kind);
        var y = keepDim ? kept : kept.ReshapeRaw(DropAxes(kept.shape, ax));
        if (!Tracks(x)) return y;
        return y.Record(op, [x], g =>
        {
            // d/dx = [x == y] / (number of ties), broadcast back
            var mask = x.Eq(kept).To(g.DType);
            var count = mask.Sum(ax, keepDim: true);
            return [g.Reshape(kept.shape).Mul(mask).Div(count)];
        }, saved: [x, kept], attributes: [("axes", ax), ("keepDim", Box(keepDim))]);
    }

    private Tensor ReshapeRaw(int[] s) => new(Storage, s, Shapes.ContiguousStrides(s), Offset);

    /// <summary>Index of the largest value along <paramref name="axis"/> (the first one on ties; NaN counts as
    /// largest), as Int64. With <paramref name="selectLast"/> the last tie is chosen.</summary>
    public Tensor ArgMax(int axis, bool keepDim = false, bool selectLast = false) => ArgExtreme("ArgMax", axis, keepDim, selectLast, true);

    /// <summary>Index of the smallest value along <paramref name="axis"/>, as Int64.</summary>
    public Tensor ArgMin(int axis, bool keepDim = false, bool selectLast = false) => ArgExtreme("ArgMin", axis, keepDim, selectLast, false);

    /// <summary>Index of the largest element of the flattened tensor.</summary>
    public Tensor ArgMax() => Reshape(-1).ArgMax(0);

    private Tensor ArgExtreme(string op, int axis, bool keepDim, bool last, bool max)
    {
        int a = Shapes.Axis(op, axis, Math.Max(Rank, 1));
        if (Rank == 0) return Zeros(DType.Int64);
        if (shape[a] == 0) throw new ArgumentException($"{op}: dimension {axis} of {Shapes.Format(shape)} is empty");
        var kept = KeptShape([a]);
        var y = Empty(DType.Int64, kept);
        Tensor c;
        using (Autograd.NoGrad())
        {
            var x = DType == DType.Float64 ? this : To(DType.Float32);
            c = x.Transpose(a, -1).Contiguous();
        }
        int n = shape[a];
        var ys = y.Span<long>();
        // Output order matches the transposed layout [.., n]; map back by transposing the index tensor.
        var tmp = new long[ys.Length];
        for (int o = 0; o < tmp.Length; o++)
        {
            tmp[o] = c.DType == DType.Float64 ? Pick(c.Span<double>().Slice(o * n, n), last, max) : Pick(c.Span<float>().Slice(o * n, n), last, max);
        }
        var ts = (int[])c.shape.Clone();
        ts[^1] = 1;
        var t = From(tmp, ts).Transpose(a, -1).Contiguous();
        t.Span<long>().CopyTo(ys);
        return keepDim ? y : y.ReshapeRaw(DropAxes(kept, [a]));
    }

    private static long Pick<T>(ReadOnlySpan<T> row, bool last, bool max) where T : INumber<T>
    {
        int best = 0;
        for (int i = 1; i < row.Length; i++)
        {
            T v = row[i], b = row[best];
            if (T.IsNaN(b)) break;
            bool better = T.IsNaN(v) || (max ? (last ? v >= b : v > b) : (last ? v <= b : v < b));
            if (better) best = i;
        }
        return best;
    }

    /// <summary>Variance over the given axes with Bessel's correction by default (divide by n - correction).</summary>
    public Tensor Var(ReadOnlySpan<int> axes, bool keepDim = false, int correction = 1)
    {
        var ax = NormalizeAxes("Var", axes);
        long n = 1;
        foreach (int a in ax) n *= shape[a];
        var d = this - Mean(ax, keepDim: true);
        return (d * d).Sum(ax, keepDim) / Math.Max(0, n - correction);
    }

    /// <summary>Variance over one axis.</summary>
    public Tensor Var(int axis, bool keepDim = false, int correction = 1) => Var([axis], keepDim, correction);

    /// <summary>Standard deviation over the given axes (√Var).</summary>
    public Tensor Std(ReadOnlySpan<int> axes, bool keepDim = false, int correction = 1) => Var(axes, keepDim, correction).Sqrt();

    /// <summary>Standard deviation over one axis.</summary>
    public Tensor Std(int axis, bool keepDim = false, int correction = 1) => Std([axis], keepDim, correction);

    /// <summary>log Σ exp(x) over the given axes, computed stably as m + log Σ exp(x - m) with m = max x.</summary>
    public Tensor LogSumExp(ReadOnlySpan<int> axes, bool keepDim = false)
    {
        var ax = NormalizeAxes("LogSumExp", axes);
        Tensor m;
        using (Autograd.NoGrad())
        {
            m = Max(ax, keepDim: true);
            m = Where(m.Abs().Lt(double.PositiveInfinity), m, ZerosLike(m));
        }
        var r = (this - m).Exp().Sum(ax, keepDim: true).Log() + m;
        return keepDim ? r : r.Squeeze0(ax);
    }

    /// <summary>log Σ exp(x) over one axis.</summary>
    public Tensor LogSumExp(int axis, bool keepDim = false) => LogSumExp([axis], keepDim);

    private Tensor Squeeze0(int[] axes)
    {
        var r = this;
        for (int i = axes.Length - 1; i >= 0; i--) r = r.Squeeze(axes[i]);
        return r;
    }

    /// <summary>exp(x) / Σ exp(x) along <paramref name="axis"/> (fused and stable).
    /// dx = y ⊙ (g - Σ g⊙y)</summary>
    public Tensor Softmax(int axis) => SoftmaxCore("Softmax", axis, log: false);

    /// <summary>x - log Σ exp(x) along <paramref name="axis"/> (fused and stable).
    /// dx = g - exp(y) Σ g</summary>
    public Tensor LogSoftmax(int axis) => SoftmaxCore("LogSoftmax", axis, log: true);

    private Tensor SoftmaxCore(string op, int axis, bool log)
    {
        var x = this;
        if (!DType.IsFloating()) throw new NotSupportedException($"{op}: not defined for {DType} tensors");
        if (Rank == 0) return Reshape(1).SoftmaxCore(op, 0, log).Reshape();
        int a = Shapes.Axis(op, axis, Rank);
        Tensor y;
        using (Autograd.NoGrad())
        {
            var c = a == Rank - 1 ? Contiguous(force: true) : Transpose(a, -1).Contiguous(force: true);
            int n = shape[a];
            if (n > 0)
            {
                if (DType == DType.Float32) SoftmaxRows(c.Span<float>(), n, log);
                else SoftmaxRows(c.Span<double>(), n, log);
            }
            y = a == Rank - 1 ? c : c.Transpose(a, -1);
        }
        if (!Tracks(x)) return y;
        return y.Record(op, [x], g => log
            ? [g - y.Exp() * g.Sum(a, keepDim: true)]
            : [y * (g - (g * y).Sum(a, keepDim: true))], saved: [y], attributes: [("axis", a)]);
    }

    private static void SoftmaxRows<T>(Span<T> data, int n, bool log) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int o = 0; o + n <= data.Length; o += n)
        {
            var row = data.Slice(o, n);
            T m = TensorPrimitives.Max<T>(row);
            if (T.IsInfinity(m)) m = T.Zero;
            TensorPrimitives.Subtract(row, m, row);
            if (log)
            {
                T lse = T.Zero;
                foreach (var v in row) lse += T.Exp(v);
                TensorPrimitives.Subtract(row, T.Log(lse), row);
            }
            else
            {
                TensorPrimitives.Exp(row, row);
                T s = TensorPrimitives.Sum<T>(row);
                TensorPrimitives.Divide(row, s, row);
            }
        }
    }
}
