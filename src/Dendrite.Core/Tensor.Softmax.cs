using System.Numerics;
using System.Numerics.Tensors;

namespace Dendrite;

// Softmax with a mask, fused (attention). Two kinds of mask broadcast to x's shape:
//   Bool:  true = keep, false = masked out (the convention of F.scaled_dot_product_attention; the opposite of
//          nn.MultiheadAttention's boolean attn_mask, where true means "do not attend").
//   Float: added to x before the softmax (0 keeps, -∞ or a large negative number masks, other values bias).
// A row with nothing left (every entry masked) gives zeros, and zero gradients, instead of NaN.
public partial class Tensor
{
    /// <summary>softmax(x masked) along <paramref name="axis"/>: <paramref name="mask"/> is Bool (true = keep) or
    /// floating (added to x). Fully masked rows are zero.   dz = y ⊙ (g - Σ g⊙y), z = x + mask;
    /// dx = dz, dmask = dz summed to the mask's shape</summary>
    public Tensor Softmax(int axis, Tensor mask) => MaskedSoftmax("Softmax", axis, mask, log: false);

    /// <summary>log softmax(x masked) along <paramref name="axis"/>: masked entries are -∞, fully masked rows zero.
    /// dz = (g - exp(y) Σ g) where z is not masked, else 0</summary>
    public Tensor LogSoftmax(int axis, Tensor mask) => MaskedSoftmax("LogSoftmax", axis, mask, log: true);

    private Tensor MaskedSoftmax(string op, int axis, Tensor mask, bool log)
    {
        var x = this;
        if (!DType.IsFloating()) throw new NotSupportedException($"{op}: not defined for {DType} tensors");
        if (!BroadcastsTo(mask.shape, shape))
            throw new ArgumentException(
                $"{op}: mask {Shapes.Format(mask.shape)} does not broadcast to input {Shapes.Format(shape)}");
        if (Rank == 0) return Reshape(1).MaskedSoftmax(op, 0, mask.Reshape(1), log).Reshape();
        bool boolMask = mask.DType == DType.Bool;
        if (!boolMask && !mask.DType.IsFloating())
            throw new ArgumentException(
                $"{op}: mask must be Bool (true = keep) or floating (additive), got {mask.DType}");
        int a = Shapes.Axis(op, axis, Rank);
        bool tracks = Tracks(x) || (!boolMask && Tracks(mask));
        Tensor y;
        Tensor? live = null;
        using (Autograd.NoGrad())
        {
            var z = boolMask ? Where(mask, x, Scalar(double.NegativeInfinity, DType)) : x + mask.To(DType);
            var c = z.AxisLast(a);
            // Only LogSoftmax's gradient needs to know which entries were masked (its output there is -∞).
            if (log && tracks) live = c.Gt(double.NegativeInfinity);
            int n = shape[a];
            if (n > 0)
            {
                if (DType == DType.Float32) MaskedSoftmaxRows(c.Span<float>(), n, log);
                else MaskedSoftmaxRows(c.Span<double>(), n, log);
            }
            y = a == Rank - 1 ? c : c.Transpose(a, -1);
            if (a != Rank - 1) live = live?.Transpose(a, -1);
        }
        Tensor[] inputs = boolMask ? [x] : [x, mask];
        if (!tracks) return y;
        return y.Record(op, inputs, g =>
        {
            var dz = log
                ? Where(live!, g - y.Exp() * g.Sum(a, keepDim: true), Scalar(0, g.DType))
                : y * (g - (g * y).Sum(a, keepDim: true));
            return boolMask ? [dz] : [dz, mask.requiresGrad ? SumTo(dz, mask.shape).To(mask.DType) : null];
        }, saved: [y], attributes: [("axis", a), ("mask", boolMask ? "bool" : "additive")]);
    }

    private static void MaskedSoftmaxRows<T>(Span<T> data, int n, bool log)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int o = 0; o + n <= data.Length; o += n)
        {
            var row = data.Slice(o, n);
            T m = TensorPrimitives.Max<T>(row);
            if (T.IsNegativeInfinity(m))
            {
                row.Clear();
                continue;
            }
            TensorPrimitives.Subtract(row, m, row);
            if (log)
            {
                // row - log Σ exp(row); the exponentials go through a pooled scratch row.
                var e = System.Buffers.ArrayPool<T>.Shared.Rent(n);
                TensorPrimitives.Exp(row, e.AsSpan(0, n));
                T lse = T.Log(TensorPrimitives.Sum<T>(e.AsSpan(0, n)));
                System.Buffers.ArrayPool<T>.Shared.Return(e);
                TensorPrimitives.Subtract(row, lse, row);
            }
            else
            {
                TensorPrimitives.Exp(row, row);
                TensorPrimitives.Divide(row, TensorPrimitives.Sum<T>(row), row);
            }
        }
    }

    // Whether a tensor of shape `from` broadcasts to `to` without changing it.
    private static bool BroadcastsTo(ReadOnlySpan<int> from, ReadOnlySpan<int> to)
    {
        if (from.Length > to.Length) return false;
        for (int i = 1; i <= from.Length; i++)
        {
            if (from[^i] != 1 && from[^i] != to[^i]) return false;
        }
        return true;
    }
}
