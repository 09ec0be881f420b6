using Google.Protobuf;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Dendrite.IO.Tests;

/// <summary>Builds and runs a one-node ONNX model, so operator tests state only the node, its inputs and its
/// attributes. Every input becomes a declared graph input (with an explicit ONNX type where the test gives one);
/// a null input is left out (named "").</summary>
internal static class OnnxOpHarness
{
    public sealed record Input(Tensor? Value, DataType? Type = null);

    public static Tensor[] Run(string op, Input[] inputs, int outputs = 1, Action<NodeProto>? attributes = null,
        int opset = 17, DataType? outputType = null)
    {
        var g = new GraphProto { Name = op };
        var node = new NodeProto { OpType = op, Name = "n" };
        var feed = new Dictionary<string, Tensor>();
        for (int i = 0; i < inputs.Length; i++)
        {
            if (inputs[i].Value is not { } v)
            {
                node.Input.Add("");
                continue;
            }
            string name = $"x{i}";
            node.Input.Add(name);
            g.Input.Add(Declare(name, inputs[i].Type ?? OnnxTensor.OnnxType(v.DType)));
            feed[name] = v;
        }
        for (int i = 0; i < outputs; i++)
        {
            node.Output.Add($"y{i}");
            g.Output.Add(i == 0 && outputType is { } t ? Declare("y0", t) : new ValueInfoProto { Name = $"y{i}" });
        }
        attributes?.Invoke(node);
        g.Node.Add(node);
        var m = new ModelProto { IrVersion = 8, Graph = g };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return OnnxModel.Load(m.ToByteArray(), $"{op}.onnx").Run(feed);
    }

    public static Tensor Run1(string op, params Input[] inputs) => Run(op, inputs)[0];

    private static ValueInfoProto Declare(string name, DataType type)
    {
        var tensor = new TypeProto.Types.Tensor { ElemType = (int)type };
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensor } };
    }

    public static Action<NodeProto> Attrs(params (string Name, object Value)[] attributes) => node =>
    {
        foreach (var (name, value) in attributes)
        {
            var a = new AttributeProto { Name = name };
            switch (value)
            {
                case long l:
                    a.Type = AttributeProto.Types.AttributeType.Int;
                    a.I = l;
                    break;
                case int i:
                    a.Type = AttributeProto.Types.AttributeType.Int;
                    a.I = i;
                    break;
                case float f:
                    a.Type = AttributeProto.Types.AttributeType.Float;
                    a.F = f;
                    break;
                case string s:
                    a.Type = AttributeProto.Types.AttributeType.String;
                    a.S = ByteString.CopyFromUtf8(s);
                    break;
                case long[] ls:
                    a.Type = AttributeProto.Types.AttributeType.Ints;
                    a.Ints.AddRange(ls);
                    break;
                default:
                    throw new ArgumentException($"attribute {name}: unsupported value type {value.GetType()}");
            }
            node.Attribute.Add(a);
        }
    };

    public static Input In(Tensor t, DataType? type = null) => new(t, type);

    public static Input Absent => new(null);

    public static Tensor Longs(params long[] v) => Tensor.From(v, v.Length);

    public static Tensor Floats(params float[] v) => Tensor.From(v, v.Length);

    /// <summary>Asserts that running fails with an <see cref="OnnxFormatException"/> whose message names the node's
    /// operator and contains every one of <paramref name="parts"/>.</summary>
    public static void Rejects(Action run, params string[] parts)
    {
        var e = Assert.Throws<OnnxFormatException>(run);
        Assert.Contains("node 'n' (", e.Message);
        foreach (var p in parts) Assert.Contains(p, e.Message);
    }
}
