using System.Numerics;
using System.Numerics.Tensors;
using Dendrite.Kernels;

namespace Dendrite;

// Trigonometric functions (rotary and sinusoidal position encodings, periodic signals). The span overloads run
// TensorPrimitives' SIMD code; the scalar Apply is the reference definition.
public partial class Tensor
{
    /// <summary>sin x.   dy/dx = cos x</summary>
    public Tensor Sin()
    {
        var x = this;
        var y = Unary<SinOp<float>, SinOp<double>>("Sin", ToFloating());
        return Tracks(x) ? y.Record("Sin", [x], g => [g.Mul(x.Cos())], saved: [x]) : y;
    }

    /// <summary>cos x.   dy/dx = -sin x</summary>
    public Tensor Cos()
    {
        var x = this;
        var y = Unary<CosOp<float>, CosOp<double>>("Cos", ToFloating());
        return Tracks(x) ? y.Record("Cos", [x], g => [g.Mul(x.Sin()).Neg()], saved: [x]) : y;
    }

    // Integer and Bool inputs are computed in float32, as torch does.
    private Tensor ToFloating() => DType.IsFloating() ? this : To(DType.Float32);
}

internal readonly struct SinOp<T> : IUnaryOp<SinOp<T>, T> where T : ITrigonometricFunctions<T>
{
    public static T Apply(T x) => T.Sin(x);
    public static void Apply(ReadOnlySpan<T> x, Span<T> y) => TensorPrimitives.Sin(x, y);
}

internal readonly struct CosOp<T> : IUnaryOp<CosOp<T>, T> where T : ITrigonometricFunctions<T>
{
    public static T Apply(T x) => T.Cos(x);
    public static void Apply(ReadOnlySpan<T> x, Span<T> y) => TensorPrimitives.Cos(x, y);
}
