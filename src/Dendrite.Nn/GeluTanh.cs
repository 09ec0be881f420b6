using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Dendrite.Nn;

// GELU in its tanh form (Hendrycks and Gimpel, 2016; GPT-2's "gelu_new") as one op, one pass each way:
//   u = √(2/π)·(x + 0.044715·x³),  t = tanh(u),  y = ½·x·(1 + t)
//   dy/dx = ½·(1 + t) + ½·x·(1 − t²)·√(2/π)·(1 + 3·0.044715·x²)
// The composite form records nine elementwise ops (nine tensors the size of the MLP's hidden layer, and as many
// backward passes); this one saves x and t (written by the forward while it is in cache), so the backward does no
// tanh of its own. Blocks of 1024 keep the temporaries in L1; the blocks are split across threads. For float32 with
// 256-bit vectors each way is one fused pass over eight lanes at a time, tanh(u) = sign(u)·(1 − e)/(1 + e) with
// e = exp(−2|u|) (no overflow for any u); other types run the pass-per-step form below.
internal static class GeluTanh
{
    private const double A = 0.044715;
    private const int Block = 1024;
    private static readonly double C = Math.Sqrt(2 / Math.PI);

    public static Tensor Forward(Tensor x)
    {
        var xc = x.Contiguous();
        bool record = Autograd.IsEnabled && x.RequiresGrad;
        Tensor y, t;
        using (Autograd.NoGrad())
        {
            y = Tensor.UninitializedLike(xc);
            t = record ? Tensor.UninitializedLike(xc) : y;
            if (x.DType == DType.Float32) Kernel<float>.Forward(xc, y, record ? t : null);
            else Kernel<double>.Forward(xc, y, record ? t : null);
        }
        if (!record) return y;
        return Autograd.Op("GeluTanh", y, [x], g =>
        {
            var gc = g.Contiguous();
            var dx = Tensor.UninitializedLike(xc);
            if (x.DType == DType.Float32) Kernel<float>.Backward(xc, t, gc, dx);
            else Kernel<double>.Backward(xc, t, gc, dx);
            return [dx];
        }, saved: [xc, t], differentiable: false);
    }

    // Runs body over blocks [start, end) of `length` elements, on all threads when there are enough blocks.
    private static void Blocks(int length, Action<int, int> body)
    {
        int blocks = (length + Block - 1) / Block;
        if (blocks < 16) body(0, blocks);
        else Threading.For(blocks, 8, body);
    }

    private static class Kernel<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private static readonly T Half = T.CreateChecked(0.5), Ca = T.CreateChecked(C * A), Cc = T.CreateChecked(C),
            C3a = T.CreateChecked(3 * C * A);

        // y = ½·x·(1 + t); t (when given) keeps tanh(u) for the backward.
        public static void Forward(Tensor x, Tensor y, Tensor? t)
        {
            // The writes are counted once here; the threads write through read-only spans made writable.
            y.AsSpan<T>();
            t?.AsSpan<T>();
            Blocks(x.Numel, (first, last) => ForwardBlocks(x, y, t, first, last));
        }

        private static void ForwardBlocks(Tensor x, Tensor y, Tensor? t, int first, int last)
        {
            if (typeof(T) == typeof(float) && Vector256.IsHardwareAccelerated)
            {
                var xf = x.AsReadOnlySpan<float>();
                int start = first * Block, end = Math.Min(xf.Length, last * Block);
                FusedForward(xf[start..end], Writable(y.AsReadOnlySpan<float>())[start..end],
                    t is null ? default : Writable(t.AsReadOnlySpan<float>())[start..end]);
                return;
            }
            var xs = x.AsReadOnlySpan<T>();
            var ys = Writable(y.AsReadOnlySpan<T>());
            var ts = t is null ? default : Writable(t.AsReadOnlySpan<T>());
            Span<T> u = stackalloc T[Block];
            for (int o = first * Block; o < Math.Min(xs.Length, last * Block); o += Block)
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
                if (t is not null) ub.CopyTo(ts.Slice(o, n));
                TensorPrimitives.Add(ub, T.One, ub);
                TensorPrimitives.Multiply(ub, Half, ub);                    // ½(1 + t)
                TensorPrimitives.Multiply(ub, xb, yb);                      // y
            }
        }

        public static void Backward(Tensor x, Tensor t, Tensor g, Tensor dx)
        {
            dx.AsSpan<T>();
            Blocks(x.Numel, (first, last) => BackwardBlocks(x, t, g, dx, first, last));
        }

        private static void BackwardBlocks(Tensor x, Tensor t, Tensor g, Tensor dx, int first, int last)
        {
            if (typeof(T) == typeof(float) && Vector256.IsHardwareAccelerated)
            {
                var xf = x.AsReadOnlySpan<float>();
                int start = first * Block, end = Math.Min(xf.Length, last * Block);
                FusedBackward(xf[start..end], t.AsReadOnlySpan<float>()[start..end],
                    g.AsReadOnlySpan<float>()[start..end], Writable(dx.AsReadOnlySpan<float>())[start..end]);
                return;
            }
            var xs = x.AsReadOnlySpan<T>();
            var tsAll = t.AsReadOnlySpan<T>();
            var gs = g.AsReadOnlySpan<T>();
            var ds = Writable(dx.AsReadOnlySpan<T>());
            Span<T> buffer = stackalloc T[Block];
            for (int o = first * Block; o < Math.Min(xs.Length, last * Block); o += Block)
            {
                int n = Math.Min(Block, xs.Length - o);
                var xb = xs.Slice(o, n);
                var tb = tsAll.Slice(o, n);
                var db = ds.Slice(o, n);
                var x2 = buffer[..n];
                // d = ½(1 + t) + ½·x·(1 − t²)·(c + 3ca·x²)
                TensorPrimitives.Multiply(xb, xb, x2);                      // x²
                TensorPrimitives.Multiply(x2, C3a, x2);
                TensorPrimitives.Add(x2, Cc, x2);                           // c + 3ca·x²
                TensorPrimitives.Multiply(x2, xb, x2);                      // x·(c + 3ca·x²)
                TensorPrimitives.Multiply(tb, tb, db);                      // t²
                TensorPrimitives.Subtract(T.One, db, db);                   // 1 − t²
                TensorPrimitives.Multiply(db, x2, db);                      // x·(1 − t²)·(c + 3ca·x²)
                TensorPrimitives.Add(db, tb, db);
                TensorPrimitives.Add(db, T.One, db);
                TensorPrimitives.Multiply(db, Half, db);
                TensorPrimitives.Multiply(db, gs.Slice(o, n), db);
            }
        }

        private static Span<TE> Writable<TE>(ReadOnlySpan<TE> span) =>
            MemoryMarshal.CreateSpan(ref MemoryMarshal.GetReference(span), span.Length);

        // y = ½·x·(1 + t), t = tanh(c·(x + a·x³)), eight lanes at a time; t is written when the span is not empty.
        private static void FusedForward(ReadOnlySpan<float> xs, Span<float> ys, Span<float> ts)
        {
            var ca = Vector256.Create((float)(C * A));
            var cc = Vector256.Create((float)C);
            var half = Vector256.Create(0.5f);
            var one = Vector256<float>.One;
            bool keep = !ts.IsEmpty;
            int i = 0;
            for (; i <= xs.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var x = Vector256.Create(xs.Slice(i, Vector256<float>.Count));
                var u = x * (cc + ca * x * x);
                var e = Vector256.Exp(Vector256.Abs(u) * -2f);
                var tanh = Vector256.CopySign((one - e) / (one + e), u);
                if (keep) tanh.CopyTo(ts.Slice(i, Vector256<float>.Count));
                (half * x * (one + tanh)).CopyTo(ys.Slice(i, Vector256<float>.Count));
            }
            for (; i < xs.Length; i++)
            {
                float x = xs[i];
                float tanh = MathF.Tanh((float)C * (x + (float)A * x * x * x));
                if (keep) ts[i] = tanh;
                ys[i] = 0.5f * x * (1 + tanh);
            }
        }

        // dx = g·(½(1 + t) + ½·x·(1 − t²)·(c + 3ca·x²)), eight lanes at a time.
        private static void FusedBackward(ReadOnlySpan<float> xs, ReadOnlySpan<float> ts, ReadOnlySpan<float> gs,
            Span<float> ds)
        {
            var c3a = Vector256.Create((float)(3 * C * A));
            var cc = Vector256.Create((float)C);
            var half = Vector256.Create(0.5f);
            var one = Vector256<float>.One;
            int i = 0;
            for (; i <= xs.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var x = Vector256.Create(xs.Slice(i, Vector256<float>.Count));
                var t = Vector256.Create(ts.Slice(i, Vector256<float>.Count));
                var g = Vector256.Create(gs.Slice(i, Vector256<float>.Count));
                var d = half * ((one + t) + x * (one - t * t) * (cc + c3a * x * x));
                (d * g).CopyTo(ds.Slice(i, Vector256<float>.Count));
            }
            for (; i < xs.Length; i++)
            {
                float x = xs[i], t = ts[i];
                ds[i] = gs[i] * 0.5f * ((1 + t) + x * (1 - t * t) * ((float)C + (float)(3 * C * A) * x * x));
            }
        }
    }
}
