using System.Numerics;
using System.Runtime.Intrinsics;
using Dendrite.Kernels;

namespace Dendrite;

// Element-wise primitives: the forward kernel call, then the backward rule with its math as a comment.
// Gradients of broadcast inputs are summed back to the input's shape (SumTo).
public partial class Tensor
{
    // ------------------------------------------------------------------ drivers

    internal static void BroadcastStrides(Tensor x, int[] outShape, Span<int> dst)
    {
        int r = outShape.Length, off = r - x.Rank;
        for (int i = 0; i < r; i++)
        {
            int j = i - off;
            dst[i] = j < 0 || (x.shape[j] == 1 && outShape[i] != 1) ? 0 : x.strides[j];
        }
    }

    // Operands of at least this many elements, contiguous and of one shape, are split across threads: the
    // element-wise ops are bound by memory bandwidth, which the second core adds to.
    internal const int ParallelElements = 1 << 17;

    // x can be read in flat ranges alongside y: same shape, contiguous, and not a shifted view of y's memory.
    private static bool FlatWith(Tensor y, Tensor x) =>
        x.IsContiguous && Shapes.Equal(x.shape, y.shape) &&
        (!ReferenceEquals(x.Storage, y.Storage) || x.Offset == y.Offset);

    private static bool SplitFlat(Tensor y) =>
        y.Numel >= ParallelElements && Threads.Count > 1 && y.IsContiguous;

    private static void RunUnary<T, TOp>(Tensor y, Tensor x) where T : unmanaged where TOp : IUnaryOp<TOp, T>
    {
        if (SplitFlat(y) && FlatWith(y, x))
        {
            T[] ya = y.Array<T>(), xa = x.Array<T>();
            int yo = y.Offset, xo = x.Offset;
            Kernels.Parallel.For(y.Numel, ParallelElements / 2,
                (s, e) => TOp.Apply(new ReadOnlySpan<T>(xa, xo + s, e - s), new Span<T>(ya, yo + s, e - s)));
            return;
        }
        int r = y.Rank;
        Span<int> st = stackalloc int[2 * r];
        y.strides.CopyTo(st);
        BroadcastStrides(x, y.shape, st.Slice(r, r));
        Span<int> off = [y.Offset, x.Offset];
        var k = new UnaryRow<T, TOp> { Y = y.Array<T>(), X = x.Array<T>() };
        StridedLoop.Run(y.shape, st, off, ref k);
    }

    private static void RunBinary<T, TOp>(Tensor y, Tensor a, Tensor b) where T : unmanaged where TOp : IBinaryOp<TOp, T>
    {
        if (SplitFlat(y) && FlatWith(y, a) && FlatWith(y, b))
        {
            T[] ya = y.Array<T>(), aa = a.Array<T>(), ba = b.Array<T>();
            int yo = y.Offset, ao = a.Offset, bo = b.Offset;
            Kernels.Parallel.For(y.Numel, ParallelElements / 2, (s, e) => TOp.Apply(
                new ReadOnlySpan<T>(aa, ao + s, e - s), new ReadOnlySpan<T>(ba, bo + s, e - s),
                new Span<T>(ya, yo + s, e - s)));
            return;
        }
        int r = y.Rank;
        Span<int> st = stackalloc int[3 * r];
        y.strides.CopyTo(st);
        BroadcastStrides(a, y.shape, st.Slice(r, r));
        BroadcastStrides(b, y.shape, st.Slice(2 * r, r));
        Span<int> off = [y.Offset, a.Offset, b.Offset];
        var k = new BinaryRow<T, TOp> { Y = y.Array<T>(), A = a.Array<T>(), B = b.Array<T>() };
        StridedLoop.Run(y.shape, st, off, ref k);
    }

    private static void RunPredicate<T, TOp>(Tensor y, Tensor a, Tensor b) where T : unmanaged where TOp : IPredicate<T>
    {
        int r = y.Rank;
        Span<int> st = stackalloc int[3 * r];
        y.strides.CopyTo(st);
        BroadcastStrides(a, y.shape, st.Slice(r, r));
        BroadcastStrides(b, y.shape, st.Slice(2 * r, r));
        Span<int> off = [y.Offset, a.Offset, b.Offset];
        var k = new PredicateRow<T, TOp> { Y = y.Array<bool>(), A = a.Array<T>(), B = b.Array<T>() };
        StridedLoop.Run(y.shape, st, off, ref k);
    }

    private static Tensor Unary<TF, TD>(string op, Tensor x) where TF : IUnaryOp<TF, float> where TD : IUnaryOp<TD, double>
    {
        var y = Empty(x.DType, (int[])x.shape.Clone());
        switch (x.DType)
        {
            case DType.Float32: RunUnary<float, TF>(y, x); break;
            case DType.Float64: RunUnary<double, TD>(y, x); break;
            default: throw new NotSupportedException($"{op}: not defined for {x.DType} tensors; convert with To(DType.Float32)");
        }
        return y;
    }

    private static Tensor Unary<TF, TD, TL>(string op, Tensor x)
        where TF : IUnaryOp<TF, float> where TD : IUnaryOp<TD, double> where TL : IUnaryOp<TL, long>
    {
        if (x.DType is DType.Float32 or DType.Float64) return Unary<TF, TD>(op, x);
        if (x.DType == DType.Bool) x = x.To(DType.Int64);
        var y = Empty(DType.Int64, (int[])x.shape.Clone());
        RunUnary<long, TL>(y, x);
        return y;
    }

    private static (Tensor A, Tensor B, int[] Shape) Prepare(string op, Tensor a, Tensor b, bool allowBool = false)
    {
        var shape = Shapes.Broadcast(op, a.shape, b.shape);
        var dt = DTypes.Promote(a.DType, b.DType);
        if (dt == DType.Bool && !allowBool) dt = DType.Int64;
        return (a.To(dt), b.To(dt), shape);
    }

    private static Tensor Binary<TF, TD, TL>(string op, Tensor a, Tensor b)
        where TF : IBinaryOp<TF, float> where TD : IBinaryOp<TD, double> where TL : IBinaryOp<TL, long>
    {
        var (pa, pb, shape) = Prepare(op, a, b);
        var y = Empty(pa.DType, shape);
        switch (pa.DType)
        {
            case DType.Float32: RunBinary<float, TF>(y, pa, pb); break;
            case DType.Float64: RunBinary<double, TD>(y, pa, pb); break;
            default: RunBinary<long, TL>(y, pa, pb); break;
        }
        return y;
    }

    private static Tensor Predicate<TF, TD, TL, TB>(string op, Tensor a, Tensor b)
        where TF : IPredicate<float> where TD : IPredicate<double> where TL : IPredicate<long> where TB : IPredicate<bool>
    {
        var (pa, pb, shape) = Prepare(op, a, b, allowBool: true);
        var y = Empty(DType.Bool, shape);
        switch (pa.DType)
        {
            case DType.Float32: RunPredicate<float, TF>(y, pa, pb); break;
            case DType.Float64: RunPredicate<double, TD>(y, pa, pb); break;
            case DType.Int64: RunPredicate<long, TL>(y, pa, pb); break;
            default: RunPredicate<bool, TB>(y, pa, pb); break;
        }
        return y;
    }

    /// <summary>Sum of <paramref name="g"/> over the dimensions that broadcasting added, giving <paramref name="shape"/>.</summary>
    internal static Tensor SumTo(Tensor g, int[] shape)
    {
        if (Shapes.Equal(g.shape, shape)) return g;
        int lead = g.Rank - shape.Length, n = 0;
        Span<int> axes = stackalloc int[g.Rank];
        for (int i = 0; i < g.Rank; i++)
        {
            if (i < lead || (shape[i - lead] == 1 && g.shape[i] != 1)) axes[n++] = i;
        }
        return g.Sum(axes[..n], keepDim: true).Reshape(shape);
    }

    private Tensor ScalarLike(double v) =>
        Scalar(v, DType.IsFloating() ? DType : (v == Math.Floor(v) && DType == DType.Int64 ? DType.Int64 : DType.Float32));

    // ------------------------------------------------------------------ copies and casts

    /// <summary>A contiguous tensor with the same values: this one if already contiguous (unless forced).</summary>
    public Tensor Contiguous(bool force = false)
    {
        if (IsContiguous && !force) return this;
        var y = Empty(DType, (int[])shape.Clone());
        y.CopyFrom(this);
        return y.Record("Contiguous", [this], g => [g]);
    }

    /// <summary>Copies <paramref name="src"/> (broadcast to this shape, converted to this type) into this tensor,
    /// in place. Not recorded by autograd.</summary>
    public Tensor CopyFrom(Tensor src)
    {
        Storage.Version++;
        Shapes.Broadcast("CopyFrom", shape, src.shape);
        if (src.Rank > Rank || Shapes.Numel(Shapes.Broadcast("CopyFrom", shape, src.shape)) != Numel)
            throw new ArgumentException($"CopyFrom: source {Shapes.Format(src.shape)} does not broadcast to {Shapes.Format(shape)}");
        src = src.To(DType);
        switch (DType)
        {
            case DType.Float32: RunUnary<float, CopyOp<float>>(this, src); break;
            case DType.Float64: RunUnary<double, CopyOp<double>>(this, src); break;
            case DType.Int64: RunUnary<long, CopyOp<long>>(this, src); break;
            default: RunUnary<bool, CopyOp<bool>>(this, src); break;
        }
        return this;
    }

    /// <summary>A copy of this tensor with its own storage (recorded by autograd).</summary>
    public Tensor Clone() => Contiguous(force: true);

    /// <summary>This tensor converted to <paramref name="dtype"/> (this one if it already has it). Conversions
    /// between floating types pass gradients; to integer types they cut the graph. Float to Int64 truncates.</summary>
    public Tensor To(DType dtype)
    {
        if (dtype == DType) return this;
        var y = Empty(dtype, (int[])shape.Clone());
        switch ((DType, dtype))
        {
            case (DType.Float32, DType.Float64): Cast<float, double>(y, this, static v => v); break;
            case (DType.Float32, DType.Int64): Cast<float, long>(y, this, static v => (long)v); break;
            case (DType.Float32, DType.Bool): Cast<float, bool>(y, this, static v => v != 0); break;
            case (DType.Float64, DType.Float32): Cast<double, float>(y, this, static v => (float)v); break;
            case (DType.Float64, DType.Int64): Cast<double, long>(y, this, static v => (long)v); break;
            case (DType.Float64, DType.Bool): Cast<double, bool>(y, this, static v => v != 0); break;
            case (DType.Int64, DType.Float32): Cast<long, float>(y, this, static v => v); break;
            case (DType.Int64, DType.Float64): Cast<long, double>(y, this, static v => v); break;
            case (DType.Int64, DType.Bool): Cast<long, bool>(y, this, static v => v != 0); break;
            case (DType.Bool, DType.Float32): Cast<bool, float>(y, this, static v => v ? 1 : 0); break;
            case (DType.Bool, DType.Float64): Cast<bool, double>(y, this, static v => v ? 1 : 0); break;
            case (DType.Bool, DType.Int64): Cast<bool, long>(y, this, static v => v ? 1 : 0); break;
        }
        if (!dtype.IsFloating()) return y;
        var from = DType;
        return y.Record("To", [this], g => [g.To(from)], attributes: [("dtype", dtype)]);
    }

    private static void Cast<TFrom, TTo>(Tensor y, Tensor x, Func<TFrom, TTo> convert)
        where TFrom : unmanaged where TTo : unmanaged
    {
        int r = y.Rank;
        Span<int> st = stackalloc int[2 * r];
        y.strides.CopyTo(st);
        x.strides.CopyTo(st.Slice(r, r));
        Span<int> off = [y.Offset, x.Offset];
        var k = new CastRow<TFrom, TTo> { Y = y.Array<TTo>(), X = x.Array<TFrom>(), Convert = convert };
        StridedLoop.Run(y.shape, st, off, ref k);
    }

    /// <summary>this += other, in place (other broadcast to this shape). Not recorded by autograd.</summary>
    public Tensor AddInPlace(Tensor other)
    {
        Storage.Version++;
        var o = other.To(DType);
        Shapes.Broadcast("AddInPlace", shape, o.shape);
        switch (DType)
        {
            case DType.Float32: RunBinary<float, AddOp<float>>(this, this, o); break;
            case DType.Float64: RunBinary<double, AddOp<double>>(this, this, o); break;
            case DType.Int64: RunBinary<long, AddOp<long>>(this, this, o); break;
            default: throw new NotSupportedException("AddInPlace: not defined for Bool tensors");
        }
        return this;
    }

    /// <summary>this *= factor, in place. Not recorded by autograd.</summary>
    public Tensor MulInPlace(double factor)
    {
        Storage.Version++;
        var f = ScalarLike(factor).To(DType);
        switch (DType)
        {
            case DType.Float32: RunBinary<float, MulOp<float>>(this, this, f); break;
            case DType.Float64: RunBinary<double, MulOp<double>>(this, this, f); break;
            case DType.Int64: RunBinary<long, MulOp<long>>(this, this, f); break;
            default: throw new NotSupportedException("MulInPlace: not defined for Bool tensors");
        }
        return this;
    }

    internal bool AllFinite()
    {
        var c = Contiguous();
        if (DType == DType.Float32)
        {
            foreach (var v in c.Span<float>())
            {
                if (!float.IsFinite(v)) return false;
            }
        }
        else if (DType == DType.Float64)
        {
            foreach (var v in c.Span<double>())
            {
                if (!double.IsFinite(v)) return false;
            }
        }
        return true;
    }

    // ------------------------------------------------------------------ arithmetic

    /// <summary>a + b with broadcasting.   d/da = 1, d/db = 1</summary>
    public Tensor Add(Tensor b)
    {
        var a = this;
        var y = Binary<AddOp<float>, AddOp<double>, AddOp<long>>("Add", a, b);
        if (!Tracks(a, b)) return y;
        return y.Record("Add", [a, b], g => [SumTo(g, a.shape), SumTo(g, b.shape)]);
    }

    /// <summary>a - b with broadcasting.   d/da = 1, d/db = -1</summary>
    public Tensor Sub(Tensor b)
    {
        var a = this;
        var y = Binary<SubOp<float>, SubOp<double>, SubOp<long>>("Sub", a, b);
        if (!Tracks(a, b)) return y;
        return y.Record("Sub", [a, b], g => [SumTo(g, a.shape), b.requiresGrad ? SumTo(g.Neg(), b.shape) : null]);
    }

    /// <summary>a · b element-wise with broadcasting.   d/da = b, d/db = a</summary>
    public Tensor Mul(Tensor b)
    {
        var a = this;
        var y = Binary<MulOp<float>, MulOp<double>, MulOp<long>>("Mul", a, b);
        if (!Tracks(a, b)) return y;
        return y.Record("Mul", [a, b], g => [
            a.requiresGrad ? SumTo(g.Mul(b), a.shape) : null,
            b.requiresGrad ? SumTo(g.Mul(a), b.shape) : null], saved: [a, b]);
    }

    /// <summary>a / b element-wise with broadcasting (integers divide truncating toward zero).
    /// d/da = 1/b, d/db = -a/b²</summary>
    public Tensor Div(Tensor b)
    {
        var a = this;
        var y = Binary<DivOp<float>, DivOp<double>, DivOp<long>>("Div", a, b);
        if (!Tracks(a, b)) return y;
        return y.Record("Div", [a, b], g => [
            a.requiresGrad ? SumTo(g.Div(b), a.shape) : null,
            b.requiresGrad ? SumTo(g.Mul(y).Div(b).Neg(), b.shape) : null], saved: [b, y]);
    }

    /// <summary>Integer division rounding toward negative infinity; floor(a / b) for floats. No gradient.</summary>
    public Tensor FloorDiv(Tensor b)
    {
        var (pa, pb, shape) = Prepare("FloorDiv", this, b);
        if (pa.DType.IsFloating()) return pa.Div(pb).Detach().Floor();
        var y = Empty(DType.Int64, shape);
        RunBinary<long, FloorDivOp>(y, pa, pb);
        return y;
    }

    /// <summary>a^b element-wise.   d/da = b·a^(b-1), d/db = a^b·ln a (0 where a = 0 and b ≥ 0, as torch)</summary>
    public Tensor Pow(Tensor b)
    {
        var a = this;
        var y = Binary<PowOp<float>, PowOp<double>, IntPowOp>("Pow", a, b);
        if (!Tracks(a, b)) return y;
        return y.Record("Pow", [a, b], g => [
            a.requiresGrad ? SumTo(g.Mul(b).Mul(a.Pow(b.Sub(ScalarLike(1)))), a.shape) : null,
            b.requiresGrad
                ? SumTo(g.Mul(y.Mul(a.Log()).MaskedFill(a.Eq(ScalarLike(0)).And(b.Ge(ScalarLike(0))), 0)), b.shape)
                : null], saved: [a, b, y]);
    }

    /// <summary>x^p for a constant exponent.   dy/dx = p·x^(p-1)</summary>
    public Tensor Pow(double p) => Pow(ScalarLike(p));

    /// <summary>Element-wise maximum (NaN propagates). On ties the gradient is split evenly, as torch.maximum.</summary>
    public Tensor Maximum(Tensor b) => MinMax("Maximum", b, max: true);

    /// <summary>Element-wise minimum (NaN propagates). On ties the gradient is split evenly, as torch.minimum.</summary>
    public Tensor Minimum(Tensor b) => MinMax("Minimum", b, max: false);

    private Tensor MinMax(string op, Tensor b, bool max)
    {
        var a = this;
        var y = max
            ? Binary<MaxOp<float>, MaxOp<double>, MaxOp<long>>(op, a, b)
            : Binary<MinOp<float>, MinOp<double>, MinOp<long>>(op, a, b);
        if (!Tracks(a, b)) return y;
        return y.Record(op, [a, b], g =>
        {
            // weight of a: 1 where a wins, 1/2 on ties, 0 where b wins
            var wa = (max ? a.Gt(b) : a.Lt(b)).To(g.DType).Add(a.Eq(b).To(g.DType).Mul(ScalarLike(0.5).To(g.DType)));
            return [
                a.requiresGrad ? SumTo(g.Mul(wa), a.shape) : null,
                b.requiresGrad ? SumTo(g.Mul(wa.Neg().Add(Scalar(1, g.DType))), b.shape) : null];
        }, saved: [a, b]);
    }

    /// <summary>-x.   dy/dx = -1</summary>
    public Tensor Neg()
    {
        var x = this;
        var y = Unary<NegOp<float>, NegOp<double>, NegOp<long>>("Neg", x);
        return Tracks(x) ? y.Record("Neg", [x], g => [g.Neg()]) : y;
    }

    /// <summary>eˣ.   dy/dx = y</summary>
    public Tensor Exp()
    {
        var x = this;
        var y = Unary<ExpOp<float>, ExpOp<double>>("Exp", x);
        return Tracks(x) ? y.Record("Exp", [x], g => [g.Mul(y)], saved: [y]) : y;
    }

    /// <summary>ln x.   dy/dx = 1/x</summary>
    public Tensor Log()
    {
        var x = this;
        var y = Unary<LogOp<float>, LogOp<double>>("Log", x);
        return Tracks(x) ? y.Record("Log", [x], g => [g.Div(x)], saved: [x]) : y;
    }

    /// <summary>√x.   dy/dx = 1 / (2√x)</summary>
    public Tensor Sqrt()
    {
        var x = this;
        var y = Unary<SqrtOp<float>, SqrtOp<double>>("Sqrt", x);
        return Tracks(x) ? y.Record("Sqrt", [x], g => [g.Div(y.Mul(ScalarLike(2)))], saved: [y]) : y;
    }

    /// <summary>|x|.   dy/dx = sign(x) (0 at 0)</summary>
    public Tensor Abs()
    {
        var x = this;
        var y = Unary<AbsOp<float>, AbsOp<double>, AbsOp<long>>("Abs", x);
        return Tracks(x) ? y.Record("Abs", [x], g => [g.Mul(x.Sign())], saved: [x]) : y;
    }

    /// <summary>-1, 0 or 1 by the sign of x.   dy/dx = 0</summary>
    public Tensor Sign()
    {
        var x = this;
        var y = Unary<SignOp<float>, SignOp<double>, SignOp<long>>("Sign", x);
        return Tracks(x) ? y.Record("Sign", [x], g => [ZerosLike(g)]) : y;
    }

    /// <summary>tanh x.   dy/dx = 1 - y²</summary>
    public Tensor Tanh()
    {
        var x = this;
        var y = Unary<TanhOp<float>, TanhOp<double>>("Tanh", x);
        if (!Tracks(x)) return y;
        // The fused kernel when gradients are values; recorded ops when they must be differentiable (createGraph).
        return y.Record("Tanh", [x], g => [Autograd.IsEnabled
            ? g.Mul(1 - y.Mul(y))
            : Binary<TanhGradOp<float>, TanhGradOp<double>, TanhGradOp<long>>("TanhGrad", g, y)], saved: [y]);
    }

    /// <summary>1 / (1 + e⁻ˣ).   dy/dx = y (1 - y)</summary>
    public Tensor Sigmoid()
    {
        var x = this;
        var y = Unary<SigmoidOp<float>, SigmoidOp<double>>("Sigmoid", x);
        if (!Tracks(x)) return y;
        return y.Record("Sigmoid", [x], g => [Autograd.IsEnabled
            ? g.Mul(y.Mul(1 - y))
            : Binary<SigmoidGradOp<float>, SigmoidGradOp<double>, SigmoidGradOp<long>>("SigmoidGrad", g, y)],
            saved: [y]);
    }

    /// <summary>max(x, 0).   dy/dx = 1 where x &gt; 0, else 0 (read off the output: y &gt; 0)</summary>
    public Tensor Relu()
    {
        var x = this;
        var y = Unary<ReluOp<float>, ReluOp<double>, ReluOp<long>>("Relu", x);
        if (!Tracks(x)) return y;
        return y.Record("Relu", [x], g => [ReluGrad(g, y)], saved: [y]);
    }

    // dy/dx of relu read off its output: g where y > 0. A fused kernel, or recorded ops under createGraph.
    internal static Tensor ReluGrad(Tensor g, Tensor y) => Autograd.IsEnabled
        ? g.Mul(y.Gt(0).To(g.DType))
        : Binary<ReluGradOp<float>, ReluGradOp<double>, ReluGradOp<long>>("ReluGrad", g, y);

    /// <summary>Limits x to [min, max] (either bound may be absent).   dy/dx = 1 inside the bounds, else 0</summary>
    public Tensor Clamp(double? min = null, double? max = null)
    {
        var x = this;
        Tensor y;
        using (Autograd.NoGrad())
        {
            y = x;
            if (min is double lo) y = y.Maximum(ScalarLike(lo).To(DType));
            if (max is double hi) y = y.Minimum(ScalarLike(hi).To(DType));
            if (ReferenceEquals(y, x)) y = x.Clone();
        }
        if (!Tracks(x)) return y;
        return y.Record("Clamp", [x], g => [ClampGrad(g, x, min, max)], saved: [x],
            attributes: [("min", min ?? double.NegativeInfinity), ("max", max ?? double.PositiveInfinity)]);
    }

    // g where lo ≤ x ≤ hi (NaN outside), else 0. Float32 with a bound: one vectorised pass (ReLU6's backward was
    // seven passes with two casts); otherwise, and when the backward is itself recorded, the composed form.
    private static Tensor ClampGrad(Tensor g, Tensor x, double? min, double? max)
    {
        if (Autograd.IsEnabled || (min is null && max is null) || g.DType != DType.Float32 ||
            x.DType != DType.Float32 || !g.shape.AsSpan().SequenceEqual(x.shape))
        {
            var inside = OnesLike(x).To(DType.Bool);
            if (min is double lo) inside = inside.And(x.Ge(x.ScalarLike(lo)));
            if (max is double hi) inside = inside.And(x.Le(x.ScalarLike(hi)));
            return g.Mul(inside.To(g.DType));
        }
        float low = min is double l ? (float)l : float.NegativeInfinity;
        float high = max is double h ? (float)h : float.PositiveInfinity;
        return FloatGradient(g, x, (gs, xs, dx) => ClampBackward(gs, xs, dx, low, high));
    }

    /// <summary>One element-wise pass of an activation's backward: dx from g and x, float32 tensors of one shape,
    /// read contiguous and split across threads as the element-wise ops are.</summary>
    internal delegate void FloatGradientKernel(ReadOnlySpan<float> g, ReadOnlySpan<float> x, Span<float> dx);

    internal static Tensor FloatGradient(Tensor g, Tensor x, FloatGradientKernel kernel)
    {
        var gc = g.Contiguous();
        var xc = x.Contiguous();
        var dx = Empty(DType.Float32, (int[])x.shape.Clone());
        float[] ga = gc.Array<float>(), xa = xc.Array<float>(), da = dx.Array<float>();
        int go = gc.Offset, xo = xc.Offset;
        Kernels.Parallel.For(dx.Numel, ParallelElements, (s, e) => kernel(new ReadOnlySpan<float>(ga, go + s, e - s),
            new ReadOnlySpan<float>(xa, xo + s, e - s), new Span<float>(da, s, e - s)));
        return dx;
    }

    /// <summary>dx = lo ≤ x ≤ hi ? g : 0 over spans (NaN in x gives 0).</summary>
    internal static void ClampBackward(ReadOnlySpan<float> g, ReadOnlySpan<float> x, Span<float> dx, float lo,
        float hi)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var vlo = Vector256.Create(lo);
            var vhi = Vector256.Create(hi);
            for (; i + 8 <= g.Length; i += 8)
            {
                var xv = Vector256.Create(x.Slice(i, 8));
                var inside = Vector256.GreaterThanOrEqual(xv, vlo) &
                    Vector256.LessThanOrEqual(xv, vhi);
                (Vector256.Create(g.Slice(i, 8)) & inside).CopyTo(dx.Slice(i, 8));
            }
        }
        for (; i < g.Length; i++) dx[i] = x[i] >= lo && x[i] <= hi ? g[i] : 0f;
    }

    /// <summary>Largest integer not above x. No gradient (it is zero almost everywhere).</summary>
    public Tensor Floor() => MapFloat("Floor", Math.Floor);

    /// <summary>Smallest integer not below x. No gradient.</summary>
    public Tensor Ceil() => MapFloat("Ceil", Math.Ceiling);

    /// <summary>Nearest integer, halves to even. No gradient.</summary>
    public Tensor Round() => MapFloat("Round", v => Math.Round(v, MidpointRounding.ToEven));

    private Tensor MapFloat(string op, Func<double, double> f)
    {
        if (!DType.IsFloating()) return Detach().Clone();
        var x = Contiguous();
        var y = Empty(DType, (int[])shape.Clone());
        for (int i = 0; i < Numel; i++) y.SetFlat(i, f(x.GetFlat(x.Offset + i)));
        return y;
    }

    // ------------------------------------------------------------------ comparisons and logic (no gradients)

    /// <summary>a == b element-wise (Bool).</summary>
    public Tensor Eq(Tensor b) => Predicate<EqOp<float>, EqOp<double>, EqOp<long>, BoolEq>("Eq", this, b);

    /// <summary>a != b element-wise (Bool).</summary>
    public Tensor Ne(Tensor b) => Predicate<NeOp<float>, NeOp<double>, NeOp<long>, BoolNe>("Ne", this, b);

    /// <summary>a &lt; b element-wise (Bool).</summary>
    public Tensor Lt(Tensor b) => Predicate<LtOp<float>, LtOp<double>, LtOp<long>, BoolLt>("Lt", this, b);

    /// <summary>a ≤ b element-wise (Bool).</summary>
    public Tensor Le(Tensor b) => Predicate<LeOp<float>, LeOp<double>, LeOp<long>, BoolLe>("Le", this, b);

    /// <summary>a &gt; b element-wise (Bool).</summary>
    public Tensor Gt(Tensor b) => b.Lt(this);

    /// <summary>a ≥ b element-wise (Bool).</summary>
    public Tensor Ge(Tensor b) => b.Le(this);

    /// <summary>Comparison with a constant.</summary>
    public Tensor Eq(double v) => Eq(ScalarLike(v));

    /// <summary>Comparison with a constant.</summary>
    public Tensor Lt(double v) => Lt(ScalarLike(v));

    /// <summary>Comparison with a constant.</summary>
    public Tensor Gt(double v) => Gt(ScalarLike(v));

    private readonly struct BoolEq : IPredicate<bool>
    {
        public static bool Apply(bool a, bool b) => a == b;
    }

    private readonly struct BoolNe : IPredicate<bool>
    {
        public static bool Apply(bool a, bool b) => a != b;
    }

    private readonly struct BoolLt : IPredicate<bool>
    {
        public static bool Apply(bool a, bool b) => !a & b;
    }

    private readonly struct BoolLe : IPredicate<bool>
    {
        public static bool Apply(bool a, bool b) => !a | b;
    }

    /// <summary>Logical and of two Bool tensors.</summary>
    public Tensor And(Tensor b) => Logical<AndOp>("And", b);

    /// <summary>Logical or of two Bool tensors.</summary>
    public Tensor Or(Tensor b) => Logical<OrOp>("Or", b);

    /// <summary>Logical exclusive or of two Bool tensors.</summary>
    public Tensor Xor(Tensor b) => Logical<XorOp>("Xor", b);

    /// <summary>Logical not of a Bool tensor.</summary>
    public Tensor Not()
    {
        var x = To(DType.Bool);
        var y = Empty(DType.Bool, (int[])shape.Clone());
        RunUnary<bool, NotOp>(y, x);
        return y;
    }

    private Tensor Logical<TOp>(string op, Tensor b) where TOp : IBinaryOp<TOp, bool>
    {
        var a = To(DType.Bool);
        b = b.To(DType.Bool);
        var y = Empty(DType.Bool, Shapes.Broadcast(op, a.shape, b.shape));
        RunBinary<bool, TOp>(y, a, b);
        return y;
    }

    // ------------------------------------------------------------------ operators

    /// <summary>Element-wise sum.</summary>
    public static Tensor operator +(Tensor a, Tensor b) => a.Add(b);

    /// <summary>Element-wise difference.</summary>
    public static Tensor operator -(Tensor a, Tensor b) => a.Sub(b);

    /// <summary>Element-wise product.</summary>
    public static Tensor operator *(Tensor a, Tensor b) => a.Mul(b);

    /// <summary>Element-wise quotient.</summary>
    public static Tensor operator /(Tensor a, Tensor b) => a.Div(b);

    /// <summary>Negation.</summary>
    public static Tensor operator -(Tensor a) => a.Neg();

    /// <summary>Adds a constant.</summary>
    public static Tensor operator +(Tensor a, double b) => a.Add(a.ScalarLike(b));

    /// <summary>Adds a constant.</summary>
    public static Tensor operator +(double a, Tensor b) => b.Add(b.ScalarLike(a));

    /// <summary>Subtracts a constant.</summary>
    public static Tensor operator -(Tensor a, double b) => a.Sub(a.ScalarLike(b));

    /// <summary>Subtracts from a constant.</summary>
    public static Tensor operator -(double a, Tensor b) => b.ScalarLike(a).Sub(b);

    /// <summary>Multiplies by a constant.</summary>
    public static Tensor operator *(Tensor a, double b) => a.Mul(a.ScalarLike(b));

    /// <summary>Multiplies by a constant.</summary>
    public static Tensor operator *(double a, Tensor b) => b.Mul(b.ScalarLike(a));

    /// <summary>Divides by a constant.</summary>
    public static Tensor operator /(Tensor a, double b) => a.Div(a.ScalarLike(b));

    /// <summary>Divides a constant.</summary>
    public static Tensor operator /(double a, Tensor b) => b.ScalarLike(a).Div(b);

    /// <summary>Selects a where the condition holds, b elsewhere (broadcasting all three).
    /// d/da = cond, d/db = not cond</summary>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b)
    {
        var shape = Shapes.Broadcast("Where", Shapes.Broadcast("Where", condition.shape, a.shape), b.shape);
        var dt = DTypes.Promote(a.DType, b.DType);
        var c = condition.To(DType.Bool);
        var pa = a.To(dt);
        var pb = b.To(dt);
        var y = Empty(dt, shape);
        switch (dt)
        {
            case DType.Float32: RunWhere<float>(y, c, pa, pb); break;
            case DType.Float64: RunWhere<double>(y, c, pa, pb); break;
            case DType.Int64: RunWhere<long>(y, c, pa, pb); break;
            default: RunWhere<bool>(y, c, pa, pb); break;
        }
        if (!Tracks(a, b)) return y;
        return y.Record("Where", [a, b], g =>
        {
            var zero = Scalar(0, g.DType);
            return [
                a.requiresGrad ? SumTo(Where(c, g, zero), a.shape) : null,
                b.requiresGrad ? SumTo(Where(c, zero, g), b.shape) : null];
        }, saved: [c]);
    }

    private static void RunWhere<T>(Tensor y, Tensor c, Tensor a, Tensor b) where T : unmanaged
    {
        int r = y.Rank;
        Span<int> st = stackalloc int[4 * r];
        y.strides.CopyTo(st);
        BroadcastStrides(c, y.shape, st.Slice(r, r));
        BroadcastStrides(a, y.shape, st.Slice(2 * r, r));
        BroadcastStrides(b, y.shape, st.Slice(3 * r, r));
        Span<int> off = [y.Offset, c.Offset, a.Offset, b.Offset];
        var k = new WhereRow<T> { Y = y.Array<T>(), C = c.Array<bool>(), A = a.Array<T>(), B = b.Array<T>() };
        StridedLoop.Run(y.shape, st, off, ref k);
    }

    /// <summary>x with <paramref name="value"/> where <paramref name="mask"/> is true.   dy/dx = not mask</summary>
    public Tensor MaskedFill(Tensor mask, double value)
    {
        var shape2 = Shapes.Broadcast("MaskedFill", shape, mask.shape);
        if (!Shapes.Equal(shape2, shape))
            throw new ArgumentException($"MaskedFill: mask {Shapes.Format(mask.shape)} does not broadcast to {Shapes.Format(shape)}");
        return Where(mask, ScalarLike(value).To(DType), this);
    }
}
