using System.Numerics;

namespace Dendrite.Extensions.Tests;

/// <summary>
/// A fused op written outside Dendrite.Core with the public API only: y = x · σ(w), element-wise, x and w of one
/// shape. The forward is an own kernel over spans (generic, so that Gradcheck's float64 run uses it too). The
/// backward reads σ(w) saved by the forward; when it is itself recorded (Autograd.Grad with createGraph) it
/// recomputes σ(w) from w with Tensor ops instead, because a tensor made under NoGrad is a constant to the graph.
///   dy/dx = σ(w),   dy/dw = x · σ(w) · (1 - σ(w))
/// </summary>
public static class GatedMul
{
    public static Tensor Apply(Tensor x, Tensor w)
    {
        if (!x.Shape.SequenceEqual(w.Shape) || x.DType != w.DType)
            throw new ArgumentException($"GatedMul: x {Format(x)} and w {Format(w)} must share shape and type");
        Tensor xc, s, y;
        using (Autograd.NoGrad())
        {
            xc = x.Contiguous();
            var wc = w.Contiguous();
            s = Tensor.UninitializedLike(wc);
            y = Tensor.UninitializedLike(xc);
            if (x.DType == DType.Float32)
                Kernel(xc.AsReadOnlySpan<float>(), wc.AsReadOnlySpan<float>(), s.AsSpan<float>(), y.AsSpan<float>());
            else
                Kernel(xc.AsReadOnlySpan<double>(), wc.AsReadOnlySpan<double>(), s.AsSpan<double>(),
                    y.AsSpan<double>());
        }
        return Autograd.Op("GatedMul", y, [x, w], dy =>
        {
            if (!Autograd.IsEnabled) return [dy * s, dy * xc * s * (1 - s)];
            var sw = w.Sigmoid();
            return [dy * sw, dy * x * sw * (1 - sw)];
        }, saved: [xc, s]);
    }

    // s = σ(w), y = x · s
    private static void Kernel<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> w, Span<T> s, Span<T> y)
        where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++)
        {
            s[i] = T.One / (T.One + T.Exp(-w[i]));
            y[i] = x[i] * s[i];
        }
    }

    private static string Format(Tensor t) => "[" + string.Join(",", t.Shape.ToArray()) + "]";
}
