using System.Numerics;
using System.Numerics.Tensors;

namespace Dendrite.Nn;

// GELU in its tanh form (Hendrycks and Gimpel, 2016; GPT-2's "gelu_new") as one op, one pass each way:
//   u = √(2/π)·(x + 0.044715·x³),  t = tanh(u),  y = ½·x·(1 + t)
//   dy/dx = ½·(1 + t) + ½·x·(1 − t²)·√(2/π)·(1 + 3·0.044715·x²)
// The composite form records nine elementwise ops (nine tensors the size of the MLP's hidden layer, and as many
// backward passes); this one saves only x and recomputes t in the backward. Blocks of 1024 keep the temporaries in
// L1.
internal static class GeluTanh
{
    private const double A = 0.044715;
    private const int Block = 1024;
    private static readonly double C = Math.Sqrt(2 / Math.PI);

    public static Tensor Forward(Tensor x)
    {
        var xc = x.Contiguous();
        Tensor y;
        using (Autograd.NoGrad())
        {
            y = Tensor.UninitializedLike(xc);
            if (x.DType == DType.Float32) Kernel<float>.Forward(xc, y);
            else Kernel<double>.Forward(xc, y);
        }
        if (!Autograd.IsEnabled || !x.RequiresGrad) return y;
        return Autograd.Op("GeluTanh", y, [x], g =>
        {
            var gc = g.Contiguous();
            var dx = Tensor.UninitializedLike(xc);
            if (x.DType == DType.Float32) Kernel<float>.Backward(xc, gc, dx);
            else Kernel<double>.Backward(xc, gc, dx);
            return [dx];
        }, saved: [xc], differentiable: false);
    }

    private static class Kernel<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private static readonly T Half = T.CreateChecked(0.5), Ca = T.CreateChecked(C * A), Cc = T.CreateChecked(C),
            C3a = T.CreateChecked(3 * C * A);

        public static void Forward(Tensor x, Tensor y)
        {
            var xs = x.AsReadOnlySpan<T>();
            var ys = y.AsSpan<T>();
            Span<T> u = stackalloc T[Block];
            for (int o = 0; o < xs.Length; o += Block)
            {
                int n = Math.Min(Block, xs.Length - o);
                var xb = xs.Slice(o, n);
                var yb = ys.Slice(o, n);
                var ub = u[..n];
                TensorPrimitives.Multiply(xb, xb, ub);                      // x²
                TensorPrimitives.Multiply(ub, Ca, ub);
                TensorPrimitives.Add(ub, Cc, ub);                           // c·(1 + a·x²)
                TensorPrimitives.Multiply(ub, xb, ub);                      // u = c·(x + a·x³)
                TensorPrimitives.Tanh(ub, ub);                              // t
                TensorPrimitives.Add(ub, T.One, ub);
                TensorPrimitives.Multiply(ub, Half, ub);                    // ½(1 + t)
                TensorPrimitives.Multiply(ub, xb, yb);                      // y
            }
        }

        public static void Backward(Tensor x, Tensor g, Tensor dx)
        {
            var xs = x.AsReadOnlySpan<T>();
            var gs = g.AsReadOnlySpan<T>();
            var ds = dx.AsSpan<T>();
            Span<T> buffer = stackalloc T[2 * Block];
            for (int o = 0; o < xs.Length; o += Block)
            {
                int n = Math.Min(Block, xs.Length - o);
                var xb = xs.Slice(o, n);
                var db = ds.Slice(o, n);
                var x2 = buffer[..n];
                var t = buffer.Slice(Block, n);
                TensorPrimitives.Multiply(xb, xb, x2);                      // x²
                TensorPrimitives.Multiply(x2, Ca, t);
                TensorPrimitives.Add(t, Cc, t);
                TensorPrimitives.Multiply(t, xb, t);
                TensorPrimitives.Tanh(t, t);                                // t
                // d = ½(1 + t) + ½·x·(1 − t²)·(c + 3ca·x²)
                TensorPrimitives.Multiply(x2, C3a, x2);
                TensorPrimitives.Add(x2, Cc, x2);                           // c + 3ca·x²  (x² no longer needed)
                TensorPrimitives.Multiply(x2, xb, x2);                      // x·(c + 3ca·x²)
                TensorPrimitives.Multiply(t, t, db);                        // t²
                TensorPrimitives.Subtract(T.One, db, db);                   // 1 − t²
                TensorPrimitives.Multiply(db, x2, db);                      // x·(1 − t²)·(c + 3ca·x²)
                TensorPrimitives.Add(db, t, db);
                TensorPrimitives.Add(db, T.One, db);
                TensorPrimitives.Multiply(db, Half, db);
                TensorPrimitives.Multiply(db, gs.Slice(o, n), db);
            }
        }
    }
}
