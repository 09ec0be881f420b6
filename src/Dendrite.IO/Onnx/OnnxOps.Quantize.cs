using DataType = Onnx.TensorProto.Types.DataType;

namespace Dendrite.IO;

// Linear quantization. A real value r and its quantized q are related by r = (q − zp)·scale, q held in a narrow
// integer type (uint8 unless the zero point says otherwise), rounding half to even and saturating:
//   QuantizeLinear        q = sat(round(x / scale) + zp)              (scale, zp: scalars or one per `axis` slice)
//   DequantizeLinear      x = (q − zp)·scale
//   DynamicQuantizeLinear scale = (max(0, max x) − min(0, min x)) / 255, zp = sat(round(−min(0, min x) / scale))
//   MatMulInteger         (A − a_zp)(B − b_zp), exact in Int64                a_zp per row of A, b_zp per column of B
//   ConvInteger           conv(x − x_zp, w − w_zp), padding with x_zp
//   QLinearMatMul / Conv  sat(round(acc·a_scale·b_scale / y_scale) + y_zp), acc the integer product (+ bias)
// Integer products run through MatMul and Conv in Float64, exact while sums stay below 2⁵³.
internal static partial class OnnxOps
{
    private static void AddQuantize(Dictionary<string, Func<OnnxNode, Tensor[]>> t)
    {
        t["QuantizeLinear"] = One(QuantizeLinear);
        t["DequantizeLinear"] = One(DequantizeLinear);
        t["DynamicQuantizeLinear"] = DynamicQuantizeLinear;
        t["MatMulInteger"] = One(n => IntegerProduct(n, 0, 1, 2, 3, (a, b) => a.MatMul(b), matmul: true));
        t["ConvInteger"] = One(n => IntegerProduct(n, 0, 1, 2, 3, (x, w) => Conv(n, x, w, null), matmul: false));
        t["QLinearMatMul"] = One(n => Requantize(n, IntegerProduct(n, 0, 3, 2, 5, (a, b) => a.MatMul(b), true)));
        t["QLinearConv"] = One(n =>
        {
            var acc = IntegerProduct(n, 0, 3, 2, 5, (x, w) => Conv(n, x, w, null), matmul: false);
            if (n.Opt(8) is { } bias) acc = acc + PerAxis(n, bias.To(DType.Float64), acc, 1, "B");
            return Requantize(n, acc);
        });
    }

    /// <summary>The ONNX types a node's outputs are known to have before it runs, so later nodes can read them
    /// through <see cref="OnnxNode.InputType"/>: Cast's target, and the narrow types of quantized results.</summary>
    internal static IEnumerable<(string Output, int Type)> OutputTypes(OnnxNode n)
    {
        int type = n.Op switch
        {
            "Cast" => (int)n.Int("to", 0),
            "CastLike" => n.InputType(1),
            "Identity" => n.InputType(0),
            "QuantizeLinear" => QuantizedType(n, 2),
            "QLinearMatMul" or "QLinearConv" => QuantizedType(n, 7),
            "DynamicQuantizeLinear" => (int)DataType.Uint8,
            "MatMulInteger" or "ConvInteger" => (int)DataType.Int32,
            _ => 0,
        };
        if (type == 0 || n.Domain is not ("" or "ai.onnx")) yield break;
        yield return (n.OutputName(0), type);
        if (n.Op == "DynamicQuantizeLinear") yield return (n.OutputName(2), type);
    }

    /// <summary>The quantized type set by zero point input <paramref name="zp"/>: uint8 when it is absent.</summary>
    private static int QuantizedType(OnnxNode n, int zp) =>
        n.Opt(zp) is null ? (int)DataType.Uint8 : n.InputType(zp);

    private static (double Min, double Max) QuantizedRange(OnnxNode n, int zp)
    {
        int type = QuantizedType(n, zp);
        return (DataType)type switch
        {
            DataType.Uint8 => (byte.MinValue, byte.MaxValue),
            DataType.Int8 => (sbyte.MinValue, sbyte.MaxValue),
            DataType.Uint16 => (ushort.MinValue, ushort.MaxValue),
            DataType.Int16 => (short.MinValue, short.MaxValue),
            DataType.Int32 => (int.MinValue, int.MaxValue),
            0 => throw new OnnxUnsupportedException($"{n.Op} with a zero point of undeclared type"),
            _ => throw n.Error($"zero point type {OnnxTensor.TypeName(type)} is not a supported quantized type"),
        };
    }

    /// <summary>A scale or zero point shaped to broadcast against <paramref name="x"/>: a scalar (or one-element
    /// tensor) as is, a 1-D tensor along <paramref name="axis"/>.</summary>
    private static Tensor PerAxis(OnnxNode n, Tensor p, Tensor x, long axisAttr, string what)
    {
        if (p.Numel == 1 && p.Rank <= 1) return p.Reshape();
        int axis = n.Axis(axisAttr, x.Rank);
        if (p.Rank != 1 || p.Shape[0] != x.Shape[axis])
            throw n.Error($"{what} {Shapes.Format(p.Shape)} must be a scalar or hold one value per slice of axis "
                + $"{axis} of {Shapes.Format(x.Shape)}");
        var shape = Enumerable.Repeat(1, x.Rank).ToArray();
        shape[axis] = p.Shape[0];
        return p.Reshape(shape);
    }

    private static Tensor ZeroPoint(OnnxNode n, int i, Tensor x, long axis, string what) =>
        n.Opt(i) is { } zp ? PerAxis(n, zp.To(DType.Float64), x, axis, what) : Tensor.Scalar(0, DType.Float64);

    private static Tensor QuantizeLinear(OnnxNode n)
    {
        var x = n.In(0);
        long axis = n.Int("axis", 1);
        var (lo, hi) = QuantizedRange(n, 2);
        var scale = PerAxis(n, n.In(1), x, axis, "y_scale");
        // The division is done in x's own precision, as the reference does, so ties round the same way.
        var q = x.DType.IsFloating() ? x.Div(scale.To(x.DType)) : x.To(DType.Float64).Div(scale.To(DType.Float64));
        var y = q.Round().To(DType.Float64) + ZeroPoint(n, 2, x, axis, "y_zero_point");
        return y.Clamp(lo, hi).To(DType.Int64);
    }

    private static Tensor DequantizeLinear(OnnxNode n)
    {
        var x = n.In(0);
        long axis = n.Int("axis", 1);
        var scale = PerAxis(n, n.In(1), x, axis, "x_scale");
        var shifted = x.To(DType.Float64) - ZeroPoint(n, 2, x, axis, "x_zero_point");
        return (shifted.To(scale.DType) * scale).To(scale.DType);
    }

    private static Tensor[] DynamicQuantizeLinear(OnnxNode n)
    {
        var x = n.In(0);
        if (x.DType != DType.Float32) throw n.Error($"input must be float32, got {x.DType}");
        var v = x.ToArray<float>();
        float min = 0, max = 0;
        foreach (float f in v)
        {
            if (float.IsNaN(f)) throw n.Error($"input {Shapes.Format(x.Shape)} holds NaN");
            min = Math.Min(min, f);
            max = Math.Max(max, f);
        }
        float scale = (max - min) / 255f;
        float zp = scale == 0 ? 0 : Math.Clamp(MathF.Round(0 - min / scale, MidpointRounding.ToEven), 0, 255);
        var q = new long[v.Length];
        for (int i = 0; i < v.Length; i++)
        {
            float r = scale == 0 ? 0 : MathF.Round(v[i] / scale, MidpointRounding.ToEven);
            q[i] = (long)Math.Clamp(r + zp, 0, 255);
        }
        return [Tensor.From(q, x.Shape), Tensor.Scalar(scale), Tensor.Scalar((long)zp, DType.Int64)];
    }

    /// <summary>product(A − a_zp, B − b_zp) with inputs at <paramref name="a"/>, <paramref name="b"/> and zero
    /// points at <paramref name="aZp"/>, <paramref name="bZp"/>, as exact integers held in Float64.</summary>
    private static Tensor IntegerProduct(OnnxNode n, int a, int b, int aZp, int bZp,
        Func<Tensor, Tensor, Tensor> product, bool matmul)
    {
        Tensor A = n.In(a), B = n.In(b);
        if (A.DType != DType.Int64 || B.DType != DType.Int64)
            throw n.Error($"operands must be integer tensors, got {A.DType} and {B.DType}");
        if (A.Rank < (matmul ? 1 : 3) || B.Rank < (matmul ? 1 : 3))
            throw n.Error($"operands {Shapes.Format(A.Shape)} and {Shapes.Format(B.Shape)} have too low a rank");
        // MatMul: a_zp per row of A (axis −2), b_zp per column of B (last axis). Conv: x_zp scalar, w_zp per
        // output channel (axis 0 of the weight).
        int aAxis = matmul ? Math.Max(A.Rank - 2, 0) : 1, bAxis = matmul ? B.Rank - 1 : 0;
        var shiftedA = A.To(DType.Float64) - ZeroPoint(n, aZp, A, aAxis, "a zero point");
        var shiftedB = B.To(DType.Float64) - ZeroPoint(n, bZp, B, bAxis, "b zero point");
        var acc = product(shiftedA, shiftedB);
        return n.Op is "MatMulInteger" or "ConvInteger" ? acc.Round().To(DType.Int64) : acc;
    }

    /// <summary>sat(round(acc·a_scale·b_scale / y_scale) + y_zp) for QLinearMatMul and QLinearConv, whose scales
    /// sit at inputs 1 and 4 (operands) and 6 (output).</summary>
    private static Tensor Requantize(OnnxNode n, Tensor acc)
    {
        var (lo, hi) = QuantizedRange(n, 7);
        bool conv = n.Op == "QLinearConv";
        // MatMul: a and y scales per row, b scale per column. Conv: the weight scale per output channel.
        int rows = conv ? 1 : acc.Rank - 2, cols = conv ? 1 : acc.Rank - 1;
        var aScale = PerAxis(n, n.In(1).To(DType.Float64), acc, rows, "a_scale");
        var bScale = PerAxis(n, n.In(4).To(DType.Float64), acc, cols, "b_scale");
        var yScale = PerAxis(n, n.In(6).To(DType.Float64), acc, rows, "y_scale");
        var y = (acc * (aScale * bScale / yScale)).Round() + ZeroPoint(n, 7, acc, rows, "y_zero_point");
        return y.Clamp(lo, hi).To(DType.Int64);
    }
}
