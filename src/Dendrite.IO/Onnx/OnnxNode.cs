using Onnx;
using AttrType = Onnx.AttributeProto.Types.AttributeType;

namespace Dendrite.IO;

/// <summary>One node being executed: its inputs (null where an optional input is left out), its attributes with
/// their defaults, and the opset version of the default domain, which selects between the forms an operator
/// took over time.</summary>
internal sealed class OnnxNode
{
    private readonly NodeProto node;
    private readonly Tensor?[] inputs;
    private readonly int[] inputTypes;

    public OnnxNode(NodeProto node, Tensor?[] inputs, int[] inputTypes, int opset, string source)
    {
        this.node = node;
        this.inputs = inputs;
        this.inputTypes = inputTypes;
        Opset = opset;
        Source = source;
    }

    public int Opset { get; }

    public string Source { get; }

    public string Op => node.OpType;

    /// <summary>The operator's domain: "" for the default one.</summary>
    public string Domain => node.Domain;

    public int InputCount => inputs.Length;

    public int OutputCount => node.Output.Count;

    /// <summary>Where this node is, for error messages.</summary>
    public string Where => $"{Source}: node '{node.Name}' ({node.OpType})";

    /// <summary>Input <paramref name="i"/>, which must be present.</summary>
    public Tensor In(int i) => Opt(i) ?? throw new OnnxFormatException($"{Where}: input {i} is required");

    /// <summary>Input <paramref name="i"/>, or null when absent or named "".</summary>
    public Tensor? Opt(int i) => i < inputs.Length ? inputs[i] : null;

    /// <summary>The ONNX element type (TensorProto.DataType) of input <paramref name="i"/> where the graph
    /// declares it or an earlier node fixed it, else 0.</summary>
    public int InputType(int i) => i < inputTypes.Length ? inputTypes[i] : 0;

    /// <summary>Output <paramref name="i"/>'s name, or "" when not requested.</summary>
    public string OutputName(int i) => i < node.Output.Count ? node.Output[i] : "";

    /// <summary>All present inputs (for variadic operators).</summary>
    public IEnumerable<Tensor> All => inputs.Where(t => t is not null)!;

    /// <summary>True when output <paramref name="i"/> is requested by name.</summary>
    public bool WantsOutput(int i) => i < node.Output.Count && node.Output[i].Length > 0;

    private AttributeProto? Attr(string name, AttrType type)
    {
        foreach (var a in node.Attribute)
        {
            if (a.Name != name) continue;
            if (a.RefAttrName.Length > 0) throw new OnnxUnsupportedException("attribute references");
            if (a.Type != type && a.Type != AttrType.Undefined)
                throw new OnnxFormatException($"{Where}: attribute '{name}' is {a.Type}, expected {type}");
            return a;
        }
        return null;
    }

    public bool Has(string name) => node.Attribute.Any(a => a.Name == name);

    public long Int(string name, long fallback) => Attr(name, AttrType.Int) is { } a ? a.I : fallback;

    public float Float(string name, float fallback) => Attr(name, AttrType.Float) is { } a ? a.F : fallback;

    public string Str(string name, string fallback) =>
        Attr(name, AttrType.String) is { } a ? a.S.ToStringUtf8() : fallback;

    public long[]? Ints(string name) => Attr(name, AttrType.Ints) is { } a ? [.. a.Ints] : null;

    public string[]? Strs(string name) =>
        Attr(name, AttrType.Strings) is { } a ? a.Strings.Select(s => s.ToStringUtf8()).ToArray() : null;

    public float[]? Floats(string name) => Attr(name, AttrType.Floats) is { } a ? [.. a.Floats] : null;

    public Tensor? TensorAttr(string name) => Attr(name, AttrType.Tensor) is { } a
        ? OnnxTensor.ToTensor(a.T ?? throw Error($"attribute '{name}' holds no tensor (field t is empty)"),
            $"{Where} attribute '{name}'")
        : null;

    /// <summary>The attribute names present, for operators that take exactly one of several.</summary>
    public IEnumerable<string> AttributeNames => node.Attribute.Select(a => a.Name);

    /// <summary>Values of a 1-D (or scalar) integer input, such as axes, shapes or pads.</summary>
    public long[] Longs(int i)
    {
        var t = In(i);
        if (t.DType != DType.Int64)
            throw new OnnxFormatException($"{Where}: input {i} must be an integer tensor, got {t.DType}");
        if (t.Rank > 1)
            throw new OnnxFormatException($"{Where}: input {i} must be 1-D, got shape {Shapes.Format(t.Shape)}");
        return t.ToArray<long>();
    }

    /// <summary>Axes from an attribute before <paramref name="inputSince"/>, from input <paramref name="input"/>
    /// from then on; null when not given.</summary>
    public long[]? Axes(int inputSince, int input, string name = "axes") =>
        Opset < inputSince ? Ints(name) : Opt(input) is null ? null : Longs(input);

    /// <summary>A scalar from a one-element input.</summary>
    public double Scalar(int i)
    {
        var t = In(i);
        if (t.Numel != 1)
            throw new OnnxFormatException(
                $"{Where}: input {i} must hold one value, got shape {Shapes.Format(t.Shape)}");
        return t.Item();
    }

    /// <summary>Normalizes an axis (negative counts from the end) against <paramref name="rank"/>.</summary>
    public int Axis(long axis, int rank)
    {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= Math.Max(rank, 1))
            throw new OnnxFormatException($"{Where}: axis {axis} is out of range for rank {rank}");
        return (int)a;
    }

    /// <summary>Normalizes a list of axes against <paramref name="rank"/>.</summary>
    public int[] AxesFor(long[] axes, int rank) => axes.Select(a => Axis(a, rank)).ToArray();

    /// <summary>An error naming this node.</summary>
    public OnnxFormatException Error(string message) => new($"{Where}: {message}");
}
