namespace Dendrite.IO;

/// <summary>
/// The ONNX operators Dendrite runs, each mapped onto <see cref="Tensor"/> operations. Operators are grouped by
/// kind: element-wise math and activations here, shape and indexing in OnnxOps.Shape.cs, reductions and
/// normalizations in OnnxOps.Reduce.cs.
/// </summary>
internal static partial class OnnxOps
{
    private static readonly Dictionary<string, Func<OnnxNode, Tensor[]>> Table = Build();

    /// <summary>The table key of an operator: its name in the default domain, domain.name elsewhere.</summary>
    public static string Key(string domain, string op) => domain is "" or "ai.onnx" ? op : $"{domain}.{op}";

    public static bool IsSupported(string domain, string op) => Table.ContainsKey(Key(domain, op));

    public static Tensor[] Execute(OnnxNode n)
    {
        string key = Key(n.Domain, n.Op);
        return Table.TryGetValue(key, out var f) ? f(n) : throw new OnnxUnsupportedException(key);
    }

    private static Dictionary<string, Func<OnnxNode, Tensor[]>> Build()
    {
        var t = new Dictionary<string, Func<OnnxNode, Tensor[]>>();
        AddMath(t);
        AddShape(t);
        AddReduce(t);
        AddLoss(t);
        AddTraining(t);
        AddConv(t);
        AddResize(t);
        AddScatter(t);
        AddUnique(t);
        AddLinalg(t);
        AddRandom(t);
        AddWindow(t);
        AddQuantize(t);
        AddTopK(t);
        AddDetection(t);
        AddEinsum(t);
        AddGridSample(t);
        AddRecurrent(t);
        AddDft(t);
        return t;
    }

    private static Func<OnnxNode, Tensor[]> One(Func<OnnxNode, Tensor> f) => n => [f(n)];

    private static Func<OnnxNode, Tensor[]> Unary(Func<Tensor, Tensor> f) => n => [f(n.In(0))];

    private static Func<OnnxNode, Tensor[]> Binary(Func<Tensor, Tensor, Tensor> f) => n => [f(n.In(0), n.In(1))];

    private static void AddMath(Dictionary<string, Func<OnnxNode, Tensor[]>> t)
    {
        t["Add"] = Binary((a, b) => a.Add(b).To(a.DType));
        t["Sub"] = Binary((a, b) => a.Sub(b).To(a.DType));
        t["Mul"] = Binary((a, b) => a.Mul(b).To(a.DType));
        t["Div"] = Binary(Div);
        t["Pow"] = Binary(Pow);
        t["Mod"] = One(Mod);
        t["Neg"] = Unary(x => x.Neg());
        t["Abs"] = Unary(x => x.Abs());
        t["Sign"] = Unary(x => x.Sign());
        t["Exp"] = Unary(x => x.Exp());
        t["Log"] = Unary(x => x.Log());
        t["Sqrt"] = Unary(x => x.Sqrt());
        t["Reciprocal"] = Unary(x => 1.0 / x);
        t["Floor"] = Unary(x => x.Floor());
        t["Ceil"] = Unary(x => x.Ceil());
        t["Round"] = Unary(x => x.Round());
        t["Sin"] = Unary(x => Map(x, Math.Sin));
        t["Cos"] = Unary(x => Map(x, Math.Cos));
        t["Tan"] = Unary(x => Map(x, Math.Tan));
        t["Asin"] = Unary(x => Map(x, Math.Asin));
        t["Acos"] = Unary(x => Map(x, Math.Acos));
        t["Atan"] = Unary(x => Map(x, Math.Atan));
        t["Sinh"] = Unary(x => Map(x, Math.Sinh));
        t["Cosh"] = Unary(x => Map(x, Math.Cosh));
        t["Asinh"] = Unary(x => Map(x, Math.Asinh));
        t["Acosh"] = Unary(x => Map(x, Math.Acosh));
        t["Atanh"] = Unary(x => Map(x, Math.Atanh));
        t["Erf"] = Unary(x => Map(x, Erf));
        t["IsNaN"] = Unary(x => x.Ne(x));
        t["IsInf"] = One(IsInf);
        t["Clip"] = One(Clip);
        t["Max"] = n => [n.All.Aggregate((a, b) => a.Maximum(b))];
        t["Min"] = n => [n.All.Aggregate((a, b) => a.Minimum(b))];
        t["Sum"] = n => [n.All.Aggregate((a, b) => a.Add(b))];
        t["Mean"] = n => [n.All.Aggregate((a, b) => a.Add(b)) / n.All.Count()];
        t["Equal"] = Binary((a, b) => a.Eq(b));
        t["Less"] = Binary((a, b) => a.Lt(b));
        t["LessOrEqual"] = Binary((a, b) => a.Le(b));
        t["Greater"] = Binary((a, b) => a.Gt(b));
        t["GreaterOrEqual"] = Binary((a, b) => a.Ge(b));
        t["Not"] = Unary(x => x.Not());
        t["And"] = Binary((a, b) => a.And(b));
        t["Or"] = Binary((a, b) => a.Or(b));
        t["Xor"] = Binary((a, b) => a.Xor(b));
        t["BitShift"] = One(BitShift);
        t["Where"] = n => [Tensor.Where(n.In(0), n.In(1), n.In(2))];
        t["MatMul"] = Binary((a, b) => a.MatMul(b));
        t["Gemm"] = One(Gemm);
        t["Identity"] = Unary(x => x);
        t["Cast"] = n => [Cast(n, n.In(0), (int)n.Int("to", 0))];
        t["CastLike"] = n => [n.In(0).To(n.In(1).DType)];

        t["Relu"] = Unary(x => x.Relu());
        t["Sigmoid"] = Unary(x => x.Sigmoid());
        t["Tanh"] = Unary(x => x.Tanh());
        t["LeakyRelu"] = n =>
        {
            var x = n.In(0);
            return [Tensor.Where(x.Ge(x.ScalarOf(0)), x, x * n.Float("alpha", 0.01f))];
        };
        t["PRelu"] = n =>
        {
            var x = n.In(0);
            return [Tensor.Where(x.Lt(0), x * n.In(1), x)];
        };
        t["Elu"] = n =>
        {
            var x = n.In(0);
            return [Tensor.Where(x.Gt(0), x, (x.Exp() - 1) * n.Float("alpha", 1))];
        };
        t["Celu"] = n =>
        {
            var x = n.In(0);
            double a = n.Float("alpha", 1);
            return [x.Relu() + ((x / a).Exp() - 1).Mul(x.ScalarOf(a)).Clamp(max: 0)];
        };
        t["Selu"] = n =>
        {
            var x = n.In(0);
            double a = n.Float("alpha", 1.67326319217681884765625f), g = n.Float("gamma", 1.05070102214813232421875f);
            return [Tensor.Where(x.Gt(0), x * g, (x.Exp() - 1) * (a * g))];
        };
        t["ThresholdedRelu"] = n =>
        {
            var x = n.In(0);
            return [Tensor.Where(x.Gt(n.Float("alpha", 1)), x, Tensor.ZerosLike(x))];
        };
        t["HardSigmoid"] = n =>
            [(n.In(0) * n.Float("alpha", 0.2f) + n.Float("beta", 0.5f)).Clamp(0, 1)];
        t["HardSwish"] = Unary(x => x * (x / 6.0 + 0.5).Clamp(0, 1));
        t["Softplus"] = Unary(Softplus);
        t["Softsign"] = Unary(x => x / (x.Abs() + 1));
        t["Mish"] = Unary(x => x * Softplus(x).Tanh());
        t["Shrink"] = n =>
        {
            var x = n.In(0);
            double l = n.Float("lambd", 0.5f), b = n.Float("bias", 0);
            var zero = Tensor.ZerosLike(x);
            return [Tensor.Where(x.Lt(-l), (x + b).To(x.DType), Tensor.Where(x.Gt(l), (x - b).To(x.DType), zero))];
        };
        t["Gelu"] = n =>
        {
            var x = n.In(0);
            string approx = n.Str("approximate", "none");
            if (approx == "tanh")
                return [x * 0.5 * (((x + x * x * x * 0.044715) * Math.Sqrt(2 / Math.PI)).Tanh() + 1)];
            if (approx != "none") throw n.Error($"approximate '{approx}' is not one of none, tanh");
            return [x * 0.5 * (Map(x / Math.Sqrt(2), Erf) + 1)];
        };
        t["Dropout"] = Dropout;
    }

    /// <summary>A scalar tensor of x's type holding v.</summary>
    private static Tensor ScalarOf(this Tensor x, double v) => Tensor.Scalar(v, x.DType);

    private static Tensor Softplus(Tensor x) =>
        // log(1 + e^x), computed as max(x,0) + log(1 + e^-|x|) so that large |x| neither overflows nor rounds away
        x.Relu() + ((-x.Abs()).Exp() + 1).Log();

    private static Tensor Div(Tensor a, Tensor b)
    {
        if (a.DType.IsFloating()) return a.Div(b).To(a.DType);
        // Integer division truncates toward zero (as C and NumPy's astype after true division do).
        // x / 0 gives 0, and Int64.MinValue / -1 wraps to itself, where .NET would throw.
        return BinaryLong(a, b, (x, y) => y switch { 0 => 0, -1 => unchecked(0 - x), _ => x / y });
    }

    private static Tensor Pow(Tensor a, Tensor b)
    {
        if (a.DType.IsFloating()) return a.Pow(b.To(a.DType));
        return a.To(DType.Float64).Pow(b.To(DType.Float64)).To(a.DType);
    }

    private static Tensor Mod(OnnxNode n)
    {
        Tensor a = n.In(0), b = n.In(1);
        bool fmod = n.Int("fmod", 0) != 0;
        if (!a.DType.IsFloating())
        {
            return BinaryLong(a, b, (x, y) =>
            {
                if (y is 0 or -1) return 0;
                long r = x % y;
                // Without fmod the result takes the divisor's sign (Python's %).
                return !fmod && r != 0 && (r < 0) != (y < 0) ? r + y : r;
            });
        }
        if (!fmod) throw n.Error("fmod=0 is defined for integer types only");
        return BinaryDouble(a, b, (x, y) => x % y);
    }

    // BitShift is defined on unsigned integers, held here as non-negative Int64; a left shift that overflows the
    // declared type is wrapped by the model when it stores the result.
    private static Tensor BitShift(OnnxNode n)
    {
        Tensor x = n.In(0), y = n.In(1);
        if (x.DType != DType.Int64 || y.DType != DType.Int64)
            throw n.Error($"inputs must be unsigned integers, got {x.DType} and {y.DType}");
        string direction = n.Str("direction", "");
        bool left = direction switch
        {
            "LEFT" => true,
            "RIGHT" => false,
            _ => throw n.Error($"attribute direction '{direction}' is not one of LEFT, RIGHT"),
        };
        return BinaryLong(x, y, (a, s) =>
        {
            if (a < 0 || s < 0) throw n.Error($"BitShift: negative operand {Math.Min(a, s)} for an unsigned type");
            if (s >= 64) return 0;
            return left ? (long)((ulong)a << (int)s) : (long)((ulong)a >> (int)s);
        });
    }

    private static Tensor IsInf(OnnxNode n)
    {
        var x = n.In(0);
        bool pos = n.Int("detect_positive", 1) != 0, neg = n.Int("detect_negative", 1) != 0;
        var r = Tensor.Zeros(DType.Bool, x.Shape);
        if (pos) r = r.Or(x.Eq(double.PositiveInfinity));
        if (neg) r = r.Or(x.Eq(x.ScalarOf(double.NegativeInfinity)));
        return r;
    }

    private static Tensor Clip(OnnxNode n)
    {
        var x = n.In(0);
        double? lo, hi;
        if (n.Opset < 11)
        {
            lo = n.Float("min", float.MinValue);
            hi = n.Float("max", float.MaxValue);
        }
        else
        {
            lo = n.Opt(1) is null ? null : n.Scalar(1);
            hi = n.Opt(2) is null ? null : n.Scalar(2);
        }
        return x.Clamp(lo, hi);
    }

    private static Tensor Gemm(OnnxNode n)
    {
        var a = n.In(0);
        var b = n.In(1);
        if (a.Rank != 2 || b.Rank != 2)
            throw n.Error($"A and B must be matrices, got {Shapes.Format(a.Shape)} and {Shapes.Format(b.Shape)}");
        if (n.Int("transA", 0) != 0) a = a.T;
        if (n.Int("transB", 0) != 0) b = b.T;
        double alpha = n.Float("alpha", 1), beta = n.Float("beta", 1);
        var y = a.MatMul(b);
        if (alpha != 1) y = y * alpha;
        if (n.Opt(2) is { } c && beta != 0) y = y + (beta == 1 ? c : c * beta);
        return y.To(a.DType);
    }

    private static Tensor Cast(OnnxNode n, Tensor x, int to)
    {
        var dtype = OnnxTensor.MapType(to, n.Where);
        var y = x.To(dtype);
        // Conversions to narrow integer types wrap around as NumPy's astype does.
        return WrapTo(y, to);
    }

    /// <summary>Integer values wrapped into the range of the narrow ONNX integer type <paramref name="dataType"/>
    /// (two's complement, as NumPy's astype does); other types pass through unchanged.</summary>
    internal static Tensor WrapTo(Tensor y, int dataType)
    {
        Func<long, long>? wrap = (Onnx.TensorProto.Types.DataType)dataType switch
        {
            Onnx.TensorProto.Types.DataType.Int32 => v => (int)v,
            Onnx.TensorProto.Types.DataType.Int16 => v => (short)v,
            Onnx.TensorProto.Types.DataType.Int8 => v => (sbyte)v,
            Onnx.TensorProto.Types.DataType.Uint8 => v => (byte)v,
            Onnx.TensorProto.Types.DataType.Uint16 => v => (ushort)v,
            Onnx.TensorProto.Types.DataType.Uint32 => v => (uint)v,
            _ => null,
        };
        if (wrap is null || y.DType != DType.Int64) return y;
        var v = y.ToArray<long>();
        for (int i = 0; i < v.Length; i++) v[i] = wrap(v[i]);
        return Tensor.From(v, y.Shape);
    }

    private static Tensor[] Dropout(OnnxNode n)
    {
        var x = n.In(0);
        bool training = n.Opset >= 12 ? n.Opt(2) is { } tm && tm.Item() != 0 : n.Opset < 7 && n.Int("is_test", 0) == 0;
        if (training && !(n.Opset >= 12 && n.Opt(1) is { } r && r.Item() == 0))
            throw new OnnxUnsupportedException("Dropout training mode");
        return n.WantsOutput(1) ? [x, Tensor.Ones(DType.Bool, x.Shape)] : [x];
    }

    /// <summary>Applies f to every element (computed in double), keeping x's type.</summary>
    internal static Tensor Map(Tensor x, Func<double, double> f)
    {
        if (x.DType == DType.Float32)
        {
            var v = x.ToArray<float>();
            for (int i = 0; i < v.Length; i++) v[i] = (float)f(v[i]);
            return Tensor.From(v, x.Shape);
        }
        var d = x.ToArray<double>();
        for (int i = 0; i < d.Length; i++) d[i] = f(d[i]);
        return Tensor.From(d, x.Shape).To(x.DType);
    }

    private static (Tensor A, Tensor B) Broadcast(Tensor a, Tensor b)
    {
        var s = Shapes.Broadcast("ONNX", a.Shape, b.Shape);
        return (a.Expand(s), b.Expand(s));
    }

    private static Tensor BinaryLong(Tensor a, Tensor b, Func<long, long, long> f)
    {
        var (x, y) = Broadcast(a.To(DType.Int64), b.To(DType.Int64));
        long[] xv = x.ToArray<long>(), yv = y.ToArray<long>();
        for (int i = 0; i < xv.Length; i++) xv[i] = f(xv[i], yv[i]);
        return Tensor.From(xv, x.Shape);
    }

    private static Tensor BinaryDouble(Tensor a, Tensor b, Func<double, double, double> f)
    {
        var (x, y) = Broadcast(a.To(DType.Float64), b.To(DType.Float64));
        double[] xv = x.ToArray<double>(), yv = y.ToArray<double>();
        for (int i = 0; i < xv.Length; i++) xv[i] = f(xv[i], yv[i]);
        return Tensor.From(xv, x.Shape).To(a.DType);
    }

    /// <summary>The error function. For |x| &lt; 3 its Maclaurin series, 2/√π Σ (-1)ⁿ x²ⁿ⁺¹ / (n! (2n+1)),
    /// which converges to double precision there; beyond, the continued fraction for erfc,
    /// erfc x = e^(-x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + …)))).</summary>
    internal static double Erf(double x)
    {
        if (double.IsNaN(x)) return x;
        double ax = Math.Abs(x);
        if (ax < 3)
        {
            double sum = 0, term = x, x2 = x * x;
            for (int k = 0; k < 200; k++)
            {
                double add = term / (2 * k + 1);
                sum += add;
                if (Math.Abs(add) < 1e-17 * Math.Abs(sum)) break;
                term *= -x2 / (k + 1);
            }
            return 2 / Math.Sqrt(Math.PI) * sum;
        }
        // Evaluate the continued fraction from the tail: f = x + (k/2) / f.
        double f = ax;
        for (int k = 60; k >= 1; k--) f = ax + k / 2.0 / f;
        double erfc = Math.Exp(-ax * ax) / Math.Sqrt(Math.PI) / f;
        return Math.Sign(x) * (1 - erfc);
    }
}
