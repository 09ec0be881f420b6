using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Dendrite;

// Leaky ReLU as one op: y = x for x > 0, slope·x otherwise (NaN propagates); dy/dx = 1 for x > 0, else slope.
// Float32 runs one vectorised pass forward and one backward, split across threads as the element-wise ops are;
// other dtypes take the composed form. A graph built during a backward (createGraph) records the composed form
// of the gradient, so it stays differentiable.
public partial class Tensor
{
    /// <summary>Leaky ReLU: x where x &gt; 0, <paramref name="slope"/>·x elsewhere.   dy/dx = 1 for x &gt; 0, else
    /// <paramref name="slope"/> (at 0: <paramref name="slope"/>, as in PyTorch).</summary>
    public Tensor LeakyRelu(double slope = 0.01)
    {
        if (!DType.IsFloating())
            throw new NotSupportedException($"LeakyRelu: not defined for {DType} tensors, got {Shapes.Format(shape)}");
        if (!double.IsFinite(slope)) throw new ArgumentException($"LeakyRelu: slope must be finite, got {slope}");
        var x = this;
        if (DType != DType.Float32) return Where(x.Gt(0), x, x * slope);
        var c = Contiguous();
        var y = Empty(DType.Float32, (int[])shape.Clone());
        float[] xa = c.Array<float>(), ya = y.Array<float>();
        int xo = c.Offset;
        float a = (float)slope;
        Kernels.Parallel.For(Numel, ParallelElements,
            (s, e) => LeakyReluForward(new ReadOnlySpan<float>(xa, xo + s, e - s), new Span<float>(ya, s, e - s), a));
        if (!Tracks(x)) return y;
        return y.Record("LeakyRelu", [x], g => [LeakyReluGrad(g, x, a)], saved: [x],
            attributes: [("slope", slope)]);
    }

    private static Tensor LeakyReluGrad(Tensor g, Tensor x, float slope)
    {
        if (Autograd.IsEnabled || g.DType != DType.Float32) return Where(x.Gt(0), g, g * (double)slope);
        return FloatGradient(g, x, (gs, xs, dx) => LeakyReluBackward(gs, xs, dx, slope));
    }

    /// <summary>y = x &gt; 0 ? x : slope·x over a span (NaN stays NaN).</summary>
    internal static void LeakyReluForward(ReadOnlySpan<float> x, Span<float> y, float slope)
    {
        int i = 0;
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        if (Vector256.IsHardwareAccelerated)
        {
            var a = Vector256.Create(slope);
            for (; i + Vector256<float>.Count <= x.Length; i += Vector256<float>.Count)
            {
                var v = Vector256.LoadUnsafe(ref xr, (nuint)i);
                // NaN compares false, so it takes slope·NaN = NaN.
                Vector256.ConditionalSelect(Vector256.GreaterThan(v, Vector256<float>.Zero), v, v * a)
                    .StoreUnsafe(ref yr, (nuint)i);
            }
        }
        for (; i < x.Length; i++) y[i] = x[i] > 0 ? x[i] : slope * x[i];
    }

    /// <summary>dx = x &gt; 0 ? g : slope·g over spans.</summary>
    internal static void LeakyReluBackward(ReadOnlySpan<float> g, ReadOnlySpan<float> x, Span<float> dx, float slope)
    {
        int i = 0;
        ref float gr = ref MemoryMarshal.GetReference(g);
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float dr = ref MemoryMarshal.GetReference(dx);
        if (Vector256.IsHardwareAccelerated)
        {
            var a = Vector256.Create(slope);
            for (; i + Vector256<float>.Count <= g.Length; i += Vector256<float>.Count)
            {
                var gv = Vector256.LoadUnsafe(ref gr, (nuint)i);
                var xv = Vector256.LoadUnsafe(ref xr, (nuint)i);
                Vector256.ConditionalSelect(Vector256.GreaterThan(xv, Vector256<float>.Zero), gv, gv * a)
                    .StoreUnsafe(ref dr, (nuint)i);
            }
        }
        for (; i < g.Length; i++) dx[i] = x[i] > 0 ? g[i] : slope * g[i];
    }
}
