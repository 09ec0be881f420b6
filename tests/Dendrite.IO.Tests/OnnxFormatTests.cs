using Google.Protobuf;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Dendrite.IO.Tests;

public sealed class OnnxFormatTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("dendrite-onnx-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static TensorProto FloatProto(string name, long[] dims, int rawBytes)
    {
        var p = new TensorProto
        {
            Name = name,
            DataType = (int)DataType.Float,
            RawData = ByteString.CopyFrom(new byte[rawBytes]),
        };
        p.Dims.AddRange(dims);
        return p;
    }

    // y = relu(x @ w + b) with w and b as initializers.
    private static ModelProto SmallModel(Tensor w, Tensor b)
    {
        var g = new GraphProto { Name = "small" };
        g.Input.Add(ValueInfo("x", DataType.Float, 2, 3));
        g.Output.Add(ValueInfo("y", DataType.Float, 2, 2));
        g.Initializer.Add(OnnxTensor.ToProto(w, "w"));
        g.Initializer.Add(OnnxTensor.ToProto(b, "b"));
        g.Node.Add(Node("MatMul", ["x", "w"], ["xw"]));
        g.Node.Add(Node("Add", ["xw", "b"], ["z"]));
        g.Node.Add(Node("Relu", ["z"], ["y"]));
        var m = new ModelProto { IrVersion = 8, Graph = g };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        return m;
    }

    private static NodeProto Node(string op, string[] inputs, string[] outputs)
    {
        var n = new NodeProto { OpType = op, Name = op.ToLowerInvariant() };
        n.Input.AddRange(inputs);
        n.Output.AddRange(outputs);
        return n;
    }

    private static ValueInfoProto ValueInfo(string name, DataType type, params long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (long d in dims) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        var tensor = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape };
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensor } };
    }

    [Fact]
    public void SmallModelBuiltInCodeRoundTrips()
    {
        var w = Tensor.From([0.5f, -1f, 2f, 0.25f, -0.5f, 1f], 3, 2);
        var b = Tensor.From([0.1f, -0.2f], 2);
        var path = Write("small.onnx", SmallModel(w, b).ToByteArray());
        var model = OnnxModel.Load(path);
        Assert.Equal(["x"], model.InputNames);
        Assert.Equal(["y"], model.OutputNames);
        var x = Tensor.From([1f, 2f, 3f, -4f, 5f, -6f], 2, 3);
        var y = model.Run([x])[0];
        var expected = x.MatMul(w).Add(b).Relu();
        Assert.Equal(expected.ToArray<float>(), y.ToArray<float>());
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    [InlineData(DType.Int64)]
    [InlineData(DType.Bool)]
    public void TensorRoundTripsThroughAFile(DType dtype)
    {
        var t = Tensor.Arange(-3, 3, 1, DType.Float64).Reshape(2, 3).To(dtype);
        var path = Path.Combine(dir, "t.pb");
        OnnxTensor.Save(t, "t", path);
        var back = OnnxTensor.Load(path);
        Assert.Equal(dtype, back.DType);
        Assert.Equal([2, 3], back.Shape.ToArray());
        Assert.Equal(t.ToArray<double>(), back.ToArray<double>());
    }

    [Fact]
    public void TypedFieldsAndNarrowIntegersConvert()
    {
        var p = new TensorProto { Name = "i8", DataType = (int)DataType.Int8 };
        p.Dims.Add(3);
        p.Int32Data.AddRange([-1, 127, 255]); // 255 keeps its low byte: -1 as int8
        var t = OnnxTensor.ToTensor(p, "mem");
        Assert.Equal(DType.Int64, t.DType);
        Assert.Equal([-1L, 127L, -1L], t.ToArray<long>());
        var u = new TensorProto { Name = "u16", DataType = (int)DataType.Uint16 };
        u.RawData = ByteString.CopyFrom(0xFF, 0xFF);
        u.Dims.Add(1);
        Assert.Equal([65535L], OnnxTensor.ToTensor(u, "mem").ToArray<long>());
    }

    [Fact]
    public void RawDataSizeMismatchNamesFileAndField()
    {
        var path = Write("input_0.pb", FloatProto("x", [2, 4], 24).ToByteArray());
        var e = Assert.Throws<OnnxFormatException>(() => OnnxTensor.Load(path));
        Assert.Equal("input_0.pb: TensorProto 'x': raw_data has 24 bytes, dims [2,4] of FLOAT need 32", e.Message);
    }

    [Fact]
    public void TypedFieldCountMismatchNamesField()
    {
        var p = new TensorProto { Name = "x", DataType = (int)DataType.Float };
        p.Dims.AddRange([2, 2]);
        p.FloatData.AddRange([1f, 2f, 3f]);
        var e = Assert.Throws<OnnxFormatException>(() => OnnxTensor.Load(p.ToByteArray(), "input_1.pb"));
        Assert.Equal("input_1.pb: TensorProto 'x': float_data has 3 elements, dims need 4", e.Message);
    }

    [Fact]
    public void DimsTooLargeForTheDataAreRejectedBeforeAllocating()
    {
        var path = Write("output_0.pb", FloatProto("y", [100000, 100000, 1000], 16).ToByteArray());
        var e = Assert.Throws<OnnxFormatException>(() => OnnxTensor.Load(path));
        Assert.StartsWith("output_0.pb: TensorProto 'y': dims [100000,100000,1000]", e.Message);
        var fits = Write("output_1.pb", FloatProto("y", [1000, 1000], 16).ToByteArray());
        e = Assert.Throws<OnnxFormatException>(() => OnnxTensor.Load(fits));
        Assert.Contains("raw_data has 16 bytes, dims [1000,1000] of FLOAT need 4000000", e.Message);
    }

    [Fact]
    public void NegativeDimsAreRejected()
    {
        var path = Write("input_2.pb", FloatProto("x", [2, -3], 0).ToByteArray());
        var e = Assert.Throws<OnnxFormatException>(() => OnnxTensor.Load(path));
        Assert.Equal("input_2.pb: TensorProto 'x': dims[1] is -3; dimensions must not be negative", e.Message);
    }

    [Fact]
    public void TruncatedModelNamesFileAndMessage()
    {
        var bytes = SmallModel(Tensor.Ones(3, 2), Tensor.Zeros(2)).ToByteArray();
        var path = Write("model.onnx", bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<OnnxFormatException>(() => OnnxModel.Load(path));
        Assert.StartsWith("model.onnx: malformed ModelProto", e.Message);
    }

    [Fact]
    public void GarbageBytesAreAFormatError()
    {
        var path = Write("garbage.onnx", "Not a model file, just text."u8.ToArray());
        var e = Assert.Throws<OnnxFormatException>(() => OnnxModel.Load(path));
        Assert.StartsWith("garbage.onnx: malformed ModelProto", e.Message);
        var t = Assert.Throws<OnnxFormatException>(() => OnnxTensor.Load([0x0A, 0x05, 0x01], "input_0.pb"));
        Assert.StartsWith("input_0.pb: malformed TensorProto", t.Message);
    }

    [Fact]
    public void BadInitializerNamesModelAndTensor()
    {
        var m = SmallModel(Tensor.Ones(3, 2), Tensor.Zeros(2));
        m.Graph.Initializer[0] = FloatProto("w", [3, 2], 20);
        var e = Assert.Throws<OnnxFormatException>(() => OnnxModel.Load(m.ToByteArray(), "model.onnx"));
        Assert.Equal("model.onnx: initializer: TensorProto 'w': raw_data has 20 bytes, dims [3,2] of FLOAT need 24",
            e.Message);
    }

    [Fact]
    public void UndefinedNodeInputNamesTheNode()
    {
        var m = SmallModel(Tensor.Ones(3, 2), Tensor.Zeros(2));
        m.Graph.Node[1].Input[0] = "nowhere";
        var e = Assert.Throws<OnnxFormatException>(() => OnnxModel.Load(m.ToByteArray(), "model.onnx"));
        Assert.Equal("model.onnx: node 1 'add' (Add): input 'nowhere' is not defined before it", e.Message);
    }

    [Fact]
    public void UnsupportedTypesAndOperatorsAreReportedNotFailed()
    {
        var half = new TensorProto { Name = "h", DataType = (int)DataType.Float16 };
        half.RawData = ByteString.CopyFrom(0, 0);
        half.Dims.Add(1);
        var e = Assert.Throws<OnnxUnsupportedException>(() => OnnxTensor.ToTensor(half, "mem"));
        Assert.Equal("data type FLOAT16", e.Feature);
        var m = SmallModel(Tensor.Ones(3, 2), Tensor.Zeros(2));
        m.Graph.Node[2].OpType = "FancyOp";
        Assert.Equal("FancyOp", OnnxModel.Load(m.ToByteArray(), "model.onnx").FirstUnsupportedOp());
    }
}
