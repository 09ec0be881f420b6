using Google.Protobuf;
using Onnx;

namespace Dendrite.IO;

/// <summary>
/// An ONNX model loaded for inference: the graph is executed node by node in file order (ONNX requires a
/// topologically sorted graph), each node mapped onto <see cref="Tensor"/> operations by <see cref="OnnxOps"/>.
/// </summary>
public sealed partial class OnnxModel
{
    private readonly GraphProto graph;
    private readonly Dictionary<string, Tensor> initializers = [];

    // Values the graph declares with a narrow integer type (INT8 … UINT32), which Dendrite holds as Int64: a node
    // result stored under such a name is wrapped into the declared range, as a runtime with the narrow type would.
    private readonly Dictionary<string, int> narrowTypes = [];

    // The ONNX element type of every value whose type is known before running: declared inputs, outputs and
    // value_info, and initializers. Operators whose result type follows an input's ONNX type (QuantizeLinear
    // saturates to its zero point's type) read it through OnnxNode.InputType.
    private readonly Dictionary<string, int> elementTypes = [];

    private OnnxModel(ModelProto model, string source)
    {
        Source = source;
        graph = model.Graph ?? throw new OnnxFormatException($"{source}: ModelProto has no graph");
        Opset = 1;
        foreach (var o in model.OpsetImport)
        {
            if (o.Domain is not ("" or "ai.onnx")) continue;
            if (o.Version is < 1 or > MaxOpset)
                throw new OnnxFormatException($"{source}: opset_import.version {o.Version} is outside 1..{MaxOpset}");
            Opset = (int)o.Version;
        }
        foreach (var init in graph.Initializer)
        {
            initializers[init.Name] = OnnxTensor.ToTensor(init, $"{source}: initializer");
        }
        if (graph.SparseInitializer.Count > 0) throw new OnnxUnsupportedException("sparse initializers", source);
        InputNames = graph.Input.Where(i => !initializers.ContainsKey(i.Name)).Select(i => i.Name).ToArray();
        OutputNames = graph.Output.Select(o => o.Name).ToArray();
        try
        {
            foreach (var v in graph.Input.Concat(graph.Output)) CheckType(v);
        }
        catch (OnnxUnsupportedException e) when (e.Where is null)
        {
            throw new OnnxUnsupportedException(e.Feature, source);
        }
        foreach (var v in graph.Input.Concat(graph.Output).Concat(graph.ValueInfo))
        {
            if (v.Type?.TensorType is not { ElemType: not 0 } tt) continue;
            elementTypes[v.Name] = tt.ElemType;
            if (IsNarrowInteger(tt.ElemType)) narrowTypes[v.Name] = tt.ElemType;
        }
        foreach (var init in graph.Initializer) elementTypes[init.Name] = init.DataType;
        CheckGraph();
        Operators = graph.Node.Select(n => OnnxOps.Key(n.Domain, n.OpType)).ToArray();
        Optimize();
    }

    /// <summary>The file the model came from, used in error messages.</summary>
    public string Source { get; }

    // Far above any released opset (23 in 2025); a larger value is a corrupt field, not a future version.
    private const long MaxOpset = 1000;

    /// <summary>The most bytes of tensor memory one node may allocate while the model runs (temporaries
    /// included), checked before each allocation; a node that needs more fails with an
    /// <see cref="OnnxFormatException"/> naming it. 1 GiB unless set.</summary>
    public long MemoryLimit
    {
        get => memoryLimit;
        set => memoryLimit = value > 0 ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, "MemoryLimit must be positive");
    }

    private long memoryLimit = 1L << 30;

    /// <summary>Opset version of the default ONNX domain.</summary>
    public int Opset { get; }

    /// <summary>Names of the inputs the caller supplies, in order (initializers excluded).</summary>
    public IReadOnlyList<string> InputNames { get; }

    /// <summary>Names of the graph outputs, in order.</summary>
    public IReadOnlyList<string> OutputNames { get; }

    /// <summary>Reads a model file.</summary>
    public static OnnxModel Load(string path) =>
        Guard(Path.GetFileName(path), () => new(OnnxTensor.Parse(path, ModelProto.Parser, "ModelProto"),
            Path.GetFileName(path)));

    /// <summary>Reads a serialized model from memory; <paramref name="source"/> names it in errors.</summary>
    public static OnnxModel Load(byte[] bytes, string source) =>
        Guard(source, () => new(OnnxTensor.Parse(bytes, source, ModelProto.Parser, "ModelProto"), source));

    // Loading fails only with the two ONNX exceptions, whatever the bytes.
    private static OnnxModel Guard(string source, Func<OnnxModel> load)
    {
        try
        {
            return load();
        }
        catch (Exception e) when (e is not (OnnxFormatException or OnnxUnsupportedException
            or OperationCanceledException))
        {
            throw new OnnxFormatException($"{source}: cannot load the model: {e.GetType().Name}: {e.Message}", e);
        }
    }

    internal static OnnxModel FromProto(ModelProto model, string source) => Load(model.ToByteArray(), source);

    // Only tensor-typed values are supported; sequences, maps and optionals are not.
    private void CheckType(ValueInfoProto v)
    {
        var t = v.Type;
        if (t is null) return;
        switch (t.ValueCase)
        {
            case TypeProto.ValueOneofCase.TensorType:
                if (t.TensorType.ElemType != 0)
                    OnnxTensor.MapType(t.TensorType.ElemType, $"{Source}: value '{v.Name}'");
                break;
            case TypeProto.ValueOneofCase.None:
                break;
            case TypeProto.ValueOneofCase.SequenceType:
                throw new OnnxUnsupportedException("sequence values");
            case TypeProto.ValueOneofCase.OptionalType:
                throw new OnnxUnsupportedException("optional values");
            case TypeProto.ValueOneofCase.MapType:
                throw new OnnxUnsupportedException("map values");
            default:
                throw new OnnxUnsupportedException($"{t.ValueCase} values");
        }
    }

    private static bool IsNarrowInteger(int elemType) => (TensorProto.Types.DataType)elemType is
        TensorProto.Types.DataType.Int8 or TensorProto.Types.DataType.Int16 or TensorProto.Types.DataType.Int32
        or TensorProto.Types.DataType.Uint8 or TensorProto.Types.DataType.Uint16 or TensorProto.Types.DataType.Uint32;

    // Every node input must be produced before it is used; operators are checked when run.
    private void CheckGraph()
    {
        var known = new HashSet<string>(initializers.Keys);
        foreach (var i in graph.Input) known.Add(i.Name);
        for (int n = 0; n < graph.Node.Count; n++)
        {
            var node = graph.Node[n];
            for (int i = 0; i < node.Input.Count; i++)
            {
                string name = node.Input[i];
                if (name.Length > 0 && !known.Contains(name))
                    throw new OnnxFormatException(
                        $"{Source}: node {n} '{node.Name}' ({node.OpType}): input '{name}' is not defined before it");
            }
            foreach (var o in node.Output)
            {
                if (o.Length > 0) known.Add(o);
            }
        }
        for (int i = 0; i < OutputNames.Count; i++)
        {
            string o = OutputNames[i];
            if (o.Length == 0) throw new OnnxFormatException($"{Source}: graph output {i} has an empty name");
            if (!known.Contains(o)) throw new OnnxFormatException($"{Source}: graph output '{o}' is never produced");
        }
    }

    /// <summary>The operators of the graph's nodes in file order (domain.name outside the default domain).</summary>
    public IReadOnlyList<string> Operators { get; }

    /// <summary>What the graph declares about input <paramref name="name"/>: its element type (Float32 when
    /// undeclared) and its dims (-1 where a dim is symbolic or missing; null when no shape is declared).</summary>
    public (DType DType, long[]? Shape) DeclaredInput(string name)
    {
        var v = graph.Input.FirstOrDefault(i => i.Name == name)
            ?? throw new ArgumentException($"{Source}: no graph input '{name}'");
        var tt = v.Type?.TensorType;
        var dtype = tt is { ElemType: not 0 } ? OnnxTensor.MapType(tt.ElemType, $"{Source}: input '{name}'")
            : DType.Float32;
        var shape = tt?.Shape?.Dim.Select(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue
            ? d.DimValue : -1).ToArray();
        return (dtype, shape);
    }

    /// <summary>The first operator of the graph that is not supported (with its domain when not the default
    /// one), or null when all are.</summary>
    public string? FirstUnsupportedOp()
    {
        foreach (var node in graph.Node)
        {
            if (!OnnxOps.IsSupported(node.Domain, node.OpType)) return OnnxOps.Key(node.Domain, node.OpType);
        }
        return null;
    }

    /// <summary>Runs the graph on inputs given in the order of <see cref="InputNames"/>.</summary>
    public Tensor[] Run(IReadOnlyList<Tensor> inputs)
    {
        if (inputs.Count != InputNames.Count)
            throw new ArgumentException(
                $"{Source}: model takes {InputNames.Count} inputs ({string.Join(", ", InputNames)}), "
                + $"got {inputs.Count}");
        var named = new Dictionary<string, Tensor>();
        for (int i = 0; i < inputs.Count; i++) named[InputNames[i]] = inputs[i];
        return Run(named);
    }

    /// <summary>Runs the graph on inputs given by name; returns the outputs in the order of
    /// <see cref="OutputNames"/>.</summary>
    public Tensor[] Run(IReadOnlyDictionary<string, Tensor> inputs)
    {
        using var noGrad = Autograd.NoGrad();
        var values = new Dictionary<string, Tensor>(initializers);
        foreach (var name in InputNames)
        {
            if (!inputs.TryGetValue(name, out var t))
                throw new ArgumentException($"{Source}: input '{name}' is missing");
            values[name] = t;
        }
        var types = new Dictionary<string, int>(elementTypes);
        using var budget = AllocationBudget.Begin(MemoryLimit);
        for (int index = 0; index < graph.Node.Count; index++)
        {
            var node = graph.Node[index];
            var args = node.Input.Select(n => n.Length == 0 ? null : values[n]).ToArray();
            var argTypes = node.Input.Select(n => types.GetValueOrDefault(n)).ToArray();
            var ctx = new OnnxNode(node, args, argTypes, Opset, Source);
            budget.Reset();
            var outs = Execute(ctx, types, index, args);
            for (int i = 0; i < node.Output.Count && i < outs.Length; i++)
            {
                if (node.Output[i].Length == 0) continue;
                values[node.Output[i]] = narrowTypes.TryGetValue(node.Output[i], out int narrow)
                    ? OnnxOps.WrapTo(outs[i], narrow) : outs[i];
            }
            for (int i = outs.Length; i < node.Output.Count; i++)
            {
                if (node.Output[i].Length > 0)
                    throw ctx.Error($"output {i} '{node.Output[i]}' is not produced by this implementation");
            }
        }
        return OutputNames.Select(n => values[n]).ToArray();
    }

    // Runs one node. Every failure leaves as one of the two ONNX exceptions naming the file and the node: a
    // runtime exception from a Tensor operation (a shape it rejects, an integer division by zero, an overflow)
    // is wrapped with the node's place, and an allocation past MemoryLimit says so.
    private Tensor[] Execute(OnnxNode ctx, Dictionary<string, int> types, int index, Tensor?[] args)
    {
        try
        {
            foreach (var (output, type) in OnnxOps.OutputTypes(ctx)) types.TryAdd(output, type);
            return RunInPlace(index, ctx, args) ?? OnnxOps.Execute(ctx);
        }
        catch (OnnxUnsupportedException e) when (e.Where is null)
        {
            throw new OnnxUnsupportedException(e.Feature, ctx.Where);
        }
        catch (AllocationBudgetException e)
        {
            throw ctx.Error($"needs more memory than OnnxModel.MemoryLimit allows: {e.Message}");
        }
        catch (Exception e) when (e is not (OnnxFormatException or OnnxUnsupportedException
            or OperationCanceledException))
        {
            throw new OnnxFormatException($"{ctx.Where}: {e.GetType().Name}: {e.Message}", e);
        }
    }
}
