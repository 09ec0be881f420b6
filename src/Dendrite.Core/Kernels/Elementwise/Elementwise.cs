using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace Dendrite.Kernels;

// Element-wise operators. Each is a struct with a scalar Apply (the reference definition) and, where
// TensorPrimitives has the operation, span overloads that run its SIMD code. The row drivers below pick the
// span path when the innermost row is contiguous (or a broadcast scalar) and fall back to the scalar loop.

internal interface IUnaryOp<TSelf, T> where TSelf : IUnaryOp<TSelf, T>
{
    static abstract T Apply(T x);

    static virtual void Apply(ReadOnlySpan<T> x, Span<T> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = TSelf.Apply(x[i]);
    }
}

internal interface IBinaryOp<TSelf, T> where TSelf : IBinaryOp<TSelf, T>
{
    static abstract T Apply(T a, T b);

    static virtual void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y)
    {
        for (int i = 0; i < y.Length; i++) y[i] = TSelf.Apply(a[i], b[i]);
    }

    static virtual void Apply(ReadOnlySpan<T> a, T b, Span<T> y)
    {
        for (int i = 0; i < y.Length; i++) y[i] = TSelf.Apply(a[i], b);
    }

    static virtual void Apply(T a, ReadOnlySpan<T> b, Span<T> y)
    {
        for (int i = 0; i < y.Length; i++) y[i] = TSelf.Apply(a, b[i]);
    }
}

internal interface IPredicate<T>
{
    static abstract bool Apply(T a, T b);
}

internal readonly struct CopyOp<T> : IUnaryOp<CopyOp<T>, T>
{
    public static T Apply(T x) => x;
    public static void Apply(ReadOnlySpan<T> x, Span<T> y) => x.CopyTo(y);
}

internal readonly struct NegOp<T> : IUnaryOp<NegOp<T>, T> where T : INumberBase<T>
{
    public static T Apply(T x) => -x;
    public static void Apply(ReadOnlySpan<T> x, Span<T> y) => TensorPrimitives.Negate(x, y);
}

internal readonly struct AbsOp<T> : IUnaryOp<AbsOp<T>, T> where T : INumberBase<T>
{
    public static T Apply(T x) => T.Abs(x);
    public static void Apply(ReadOnlySpan<T> x, Span<T> y) => TensorPrimitives.Abs(x, y);
}

internal readonly struct SignOp<T> : IUnaryOp<SignOp<T>, T> where T : INumber<T>
{
    // NaN stays NaN, as in torch.sign.
    public static T Apply(T x) => T.IsNaN(x) ? x : x > T.Zero ? T.One : x < T.Zero ? -T.One : T.Zero;
}

internal readonly struct ExpOp<T> : IUnaryOp<ExpOp<T>, T> where T : IExponentialFunctions<T>
{
    public static T Apply(T x) => T.Exp(x);
    public static void Apply(ReadOnlySpan<T> x, Span<T> y) => TensorPrimitives.Exp(x, y);
}

internal readonly struct LogOp<T> : IUnaryOp<LogOp<T>, T> where T : ILogarithmicFunctions<T>
{
    public static T Apply(T x) => T.Log(x);
    public static void Apply(ReadOnlySpan<T> x, Span<T> y) => TensorPrimitives.Log(x, y);
}

internal readonly struct SqrtOp<T> : IUnaryOp<SqrtOp<T>, T> where T : IRootFunctions<T>
{
    public static T Apply(T x) => T.Sqrt(x);
    public static void Apply(ReadOnlySpan<T> x, Span<T> y) => TensorPrimitives.Sqrt(x, y);
}

internal readonly struct TanhOp<T> : IUnaryOp<TanhOp<T>, T> where T : IHyperbolicFunctions<T>
{
    public static T Apply(T x) => T.Tanh(x);
    public static void Apply(ReadOnlySpan<T> x, Span<T> y) => TensorPrimitives.Tanh(x, y);
}

internal readonly struct SigmoidOp<T> : IUnaryOp<SigmoidOp<T>, T> where T : IExponentialFunctions<T>
{
    public static T Apply(T x) => T.One / (T.One + T.Exp(-x));
    public static void Apply(ReadOnlySpan<T> x, Span<T> y) => TensorPrimitives.Sigmoid(x, y);
}

internal readonly struct ReluOp<T> : IUnaryOp<ReluOp<T>, T> where T : INumber<T>
{
    // NaN propagates (max(NaN, 0) = NaN), as in torch.relu.
    public static T Apply(T x) => T.IsNaN(x) ? x : x > T.Zero ? x : T.Zero;
    public static void Apply(ReadOnlySpan<T> x, Span<T> y) => TensorPrimitives.Max(x, T.Zero, y);
}

internal readonly struct AddOp<T> : IBinaryOp<AddOp<T>, T> where T : INumberBase<T>
{
    public static T Apply(T a, T b) => a + b;
    public static void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Add(a, b, y);
    public static void Apply(ReadOnlySpan<T> a, T b, Span<T> y) => TensorPrimitives.Add(a, b, y);
    public static void Apply(T a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Add(b, a, y);
}

internal readonly struct SubOp<T> : IBinaryOp<SubOp<T>, T> where T : INumberBase<T>
{
    public static T Apply(T a, T b) => a - b;
    public static void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Subtract(a, b, y);
    public static void Apply(ReadOnlySpan<T> a, T b, Span<T> y) => TensorPrimitives.Subtract(a, b, y);
    public static void Apply(T a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Subtract(a, b, y);
}

internal readonly struct MulOp<T> : IBinaryOp<MulOp<T>, T> where T : INumberBase<T>
{
    public static T Apply(T a, T b) => a * b;
    public static void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Multiply(a, b, y);
    public static void Apply(ReadOnlySpan<T> a, T b, Span<T> y) => TensorPrimitives.Multiply(a, b, y);
    public static void Apply(T a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Multiply(b, a, y);
}

internal readonly struct DivOp<T> : IBinaryOp<DivOp<T>, T> where T : INumberBase<T>
{
    public static T Apply(T a, T b) => a / b;
    public static void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Divide(a, b, y);
    public static void Apply(ReadOnlySpan<T> a, T b, Span<T> y) => TensorPrimitives.Divide(a, b, y);
    public static void Apply(T a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Divide(a, b, y);
}

/// <summary>Integer division rounding toward negative infinity (Python's //), as ONNX and torch floor-divide.</summary>
internal readonly struct FloorDivOp : IBinaryOp<FloorDivOp, long>
{
    public static long Apply(long a, long b)
    {
        long q = a / b;
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
    }
}

internal readonly struct PowOp<T> : IBinaryOp<PowOp<T>, T> where T : IPowerFunctions<T>
{
    public static T Apply(T a, T b) => T.Pow(a, b);
    public static void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Pow(a, b, y);
    public static void Apply(ReadOnlySpan<T> a, T b, Span<T> y) => TensorPrimitives.Pow(a, b, y);
    public static void Apply(T a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Pow(a, b, y);
}

internal readonly struct IntPowOp : IBinaryOp<IntPowOp, long>
{
    public static long Apply(long a, long b)
    {
        if (b < 0) return a == 1 ? 1 : a == -1 ? ((b & 1) == 0 ? 1 : -1) : 0;
        long r = 1;
        while (b > 0)
        {
            if ((b & 1) != 0) r *= a;
            a *= a;
            b >>= 1;
        }
        return r;
    }
}

internal readonly struct MaxOp<T> : IBinaryOp<MaxOp<T>, T> where T : INumber<T>
{
    // NaN-propagating, as torch.maximum.
    public static T Apply(T a, T b) => T.IsNaN(a) || T.IsNaN(b) ? (T.IsNaN(a) ? a : b) : a >= b ? a : b;
    public static void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Max(a, b, y);
    public static void Apply(ReadOnlySpan<T> a, T b, Span<T> y) => TensorPrimitives.Max(a, b, y);
    public static void Apply(T a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Max(b, a, y);
}

internal readonly struct MinOp<T> : IBinaryOp<MinOp<T>, T> where T : INumber<T>
{
    public static T Apply(T a, T b) => T.IsNaN(a) || T.IsNaN(b) ? (T.IsNaN(a) ? a : b) : a <= b ? a : b;
    public static void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Min(a, b, y);
    public static void Apply(ReadOnlySpan<T> a, T b, Span<T> y) => TensorPrimitives.Min(a, b, y);
    public static void Apply(T a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Min(b, a, y);
}

/// <summary>Backward of tanh from its output: g·(1 - y²).</summary>
internal readonly struct TanhGradOp<T> : IBinaryOp<TanhGradOp<T>, T> where T : INumberBase<T>
{
    public static T Apply(T g, T y) => g * (T.One - y * y);
}

/// <summary>Backward of ReLU from its output: g where y &gt; 0, else 0 (0 for NaN too, as torch's threshold_backward).</summary>
internal readonly struct ReluGradOp<T> : IBinaryOp<ReluGradOp<T>, T> where T : INumberBase<T>, IComparisonOperators<T, T, bool>
{
    public static T Apply(T g, T y) => y > T.Zero ? g : T.Zero;

    public static void Apply(ReadOnlySpan<T> g, ReadOnlySpan<T> y, Span<T> o)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            for (; i <= o.Length - Vector512<T>.Count; i += Vector512<T>.Count)
            {
                var mask = Vector512.GreaterThan(Vector512.Create(y.Slice(i, Vector512<T>.Count)), Vector512<T>.Zero);
                (Vector512.Create(g.Slice(i, Vector512<T>.Count)) & mask).CopyTo(o.Slice(i, Vector512<T>.Count));
            }
        }
        else if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            for (; i <= o.Length - Vector256<T>.Count; i += Vector256<T>.Count)
            {
                var mask = Vector256.GreaterThan(Vector256.Create(y.Slice(i, Vector256<T>.Count)), Vector256<T>.Zero);
                (Vector256.Create(g.Slice(i, Vector256<T>.Count)) & mask).CopyTo(o.Slice(i, Vector256<T>.Count));
            }
        }
        for (; i < o.Length; i++) o[i] = Apply(g[i], y[i]);
    }
}

/// <summary>Backward of the logistic sigmoid from its output: g·y·(1 - y).</summary>
internal readonly struct SigmoidGradOp<T> : IBinaryOp<SigmoidGradOp<T>, T> where T : INumberBase<T>
{
    public static T Apply(T g, T y) => g * y * (T.One - y);
}

internal readonly struct AndOp : IBinaryOp<AndOp, bool>
{
    public static bool Apply(bool a, bool b) => a & b;
}

internal readonly struct OrOp : IBinaryOp<OrOp, bool>
{
    public static bool Apply(bool a, bool b) => a | b;
}

internal readonly struct XorOp : IBinaryOp<XorOp, bool>
{
    public static bool Apply(bool a, bool b) => a ^ b;
}

internal readonly struct NotOp : IUnaryOp<NotOp, bool>
{
    public static bool Apply(bool x) => !x;
}

internal readonly struct EqOp<T> : IPredicate<T> where T : IEqualityOperators<T, T, bool>
{
    public static bool Apply(T a, T b) => a == b;
}

internal readonly struct NeOp<T> : IPredicate<T> where T : IEqualityOperators<T, T, bool>
{
    public static bool Apply(T a, T b) => a != b;
}

internal readonly struct LtOp<T> : IPredicate<T> where T : IComparisonOperators<T, T, bool>
{
    public static bool Apply(T a, T b) => a < b;
}

internal readonly struct LeOp<T> : IPredicate<T> where T : IComparisonOperators<T, T, bool>
{
    public static bool Apply(T a, T b) => a <= b;
}

// ---- row drivers: operand 0 is the output ----

internal struct UnaryRow<T, TOp> : IRowKernel where TOp : IUnaryOp<TOp, T>
{
    public T[] Y, X;

    public readonly void Row(ReadOnlySpan<int> o, ReadOnlySpan<int> s, int n)
    {
        if (s[0] == 1 && s[1] == 1)
        {
            TOp.Apply(new ReadOnlySpan<T>(X, o[1], n), new Span<T>(Y, o[0], n));
            return;
        }
        for (int i = 0, y = o[0], x = o[1]; i < n; i++, y += s[0], x += s[1]) Y[y] = TOp.Apply(X[x]);
    }
}

internal struct BinaryRow<T, TOp> : IRowKernel where TOp : IBinaryOp<TOp, T>
{
    public T[] Y, A, B;

    public readonly void Row(ReadOnlySpan<int> o, ReadOnlySpan<int> s, int n)
    {
        if (s[0] == 1)
        {
            var y = new Span<T>(Y, o[0], n);
            if (s[1] == 1 && s[2] == 1)
            {
                TOp.Apply(new ReadOnlySpan<T>(A, o[1], n), new ReadOnlySpan<T>(B, o[2], n), y);
                return;
            }
            if (s[1] == 1 && s[2] == 0)
            {
                TOp.Apply(new ReadOnlySpan<T>(A, o[1], n), B[o[2]], y);
                return;
            }
            if (s[1] == 0 && s[2] == 1)
            {
                TOp.Apply(A[o[1]], new ReadOnlySpan<T>(B, o[2], n), y);
                return;
            }
        }
        for (int i = 0, y = o[0], a = o[1], b = o[2]; i < n; i++, y += s[0], a += s[1], b += s[2])
            Y[y] = TOp.Apply(A[a], B[b]);
    }
}

internal struct PredicateRow<T, TOp> : IRowKernel where TOp : IPredicate<T>
{
    public bool[] Y;
    public T[] A, B;

    public readonly void Row(ReadOnlySpan<int> o, ReadOnlySpan<int> s, int n)
    {
        for (int i = 0, y = o[0], a = o[1], b = o[2]; i < n; i++, y += s[0], a += s[1], b += s[2])
            Y[y] = TOp.Apply(A[a], B[b]);
    }
}

internal struct WhereRow<T> : IRowKernel
{
    public T[] Y, A, B;
    public bool[] C;

    public readonly void Row(ReadOnlySpan<int> o, ReadOnlySpan<int> s, int n)
    {
        for (int i = 0, y = o[0], c = o[1], a = o[2], b = o[3]; i < n; i++, y += s[0], c += s[1], a += s[2], b += s[3])
            Y[y] = C[c] ? A[a] : B[b];
    }
}

internal struct CastRow<TFrom, TTo> : IRowKernel
{
    public TTo[] Y;
    public TFrom[] X;
    public Func<TFrom, TTo> Convert;

    public readonly void Row(ReadOnlySpan<int> o, ReadOnlySpan<int> s, int n)
    {
        for (int i = 0, y = o[0], x = o[1]; i < n; i++, y += s[0], x += s[1]) Y[y] = Convert(X[x]);
    }
}
