using System.IO.Compression;
using System.Text;
using Dendrite.Data;
using Dendrite.IO;
using Dendrite.Nn;
using Dendrite.Nn.Optim;
using Dendrite.Training;
using Google.Protobuf;
using Onnx;

namespace Dendrite.Fuzz;

/// <summary>One parser (or parse-then-run path) under test: its seeds, how one input is tried, and the exception
/// types its documentation allows. Anything else thrown, a hang or a memory overrun is a finding.</summary>
public sealed class FuzzTarget
{
    /// <summary>The name given on the command line.</summary>
    public required string Name { get; init; }

    /// <summary>What the target exercises.</summary>
    public required string Summary { get; init; }

    /// <summary>The exception types a bad input may end in.</summary>
    public required Type[] Documented { get; init; }

    /// <summary>Valid inputs the campaign starts from.</summary>
    public required Func<IReadOnlyList<byte[]>> Seeds { get; init; }

    /// <summary>Tries one input; <c>dir</c> is a scratch folder for targets that read files.</summary>
    public required Action<byte[], string> Run { get; init; }

    /// <summary>A structure-aware mutation (edits a field of the parsed file, as an attacker would), or null;
    /// it may return null when the input does not parse.</summary>
    public Func<byte[], Mutator, byte[]?>? Structured { get; init; }
}

/// <summary>Thrown by a target when a failed load changed state: always a finding.</summary>
public sealed class FuzzInvariantException(string message) : Exception(message);

/// <summary>The fuzz targets, one per file format, and the ONNX load-then-run path.</summary>
public static class FuzzTargets
{
    /// <summary>All targets by name.</summary>
    public static IReadOnlyDictionary<string, FuzzTarget> All { get; } = new[]
    {
        Onnx(), OnnxTensorTarget(), SafetensorsTarget(), IdxTarget(), CsvTarget(), ImageTarget(), CheckpointTarget(),
    }.ToDictionary(t => t.Name);

    // ------------------------------------------------------------------ ONNX

    private static FuzzTarget Onnx() => new()
    {
        Name = "onnx",
        Summary = "OnnxModel.Load, then Run on random inputs shaped from the declared input shapes",
        Documented = [typeof(OnnxFormatException), typeof(OnnxUnsupportedException)],
        Seeds = () => [.. BuiltInModels(), .. TestData("model.onnx", 1100)],
        Run = (bytes, _) => RunModel(bytes),
        Structured = MutateModel,
    };

    private static FuzzTarget OnnxTensorTarget() => new()
    {
        Name = "onnx-tensor",
        Summary = "OnnxTensor.Load of a serialized TensorProto",
        Documented = [typeof(OnnxFormatException), typeof(OnnxUnsupportedException)],
        Seeds = () => [.. TestData("input_0.pb", 300),
            OnnxTensor.ToProto(Tensor.Arange(0, 12, 1).Reshape(3, 4), "t").ToByteArray()],
        Run = (bytes, _) => OnnxTensor.Load(bytes, "fuzz.pb"),
    };

    // Files of the ONNX backend node tests (Debian's libonnx-testdata), when installed.
    private static IEnumerable<byte[]> TestData(string file, int max)
    {
        const string root = "/usr/share/libonnx-testdata/data/node";
        if (!Directory.Exists(root)) return [];
        return Directory.EnumerateFiles(root, file, SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(File.ReadAllBytes).Where(b => b.Length < 1 << 16).Take(max).ToList();
    }

    private static IEnumerable<byte[]> BuiltInModels()
    {
        // x (1, 2, 6, 6) → Conv 3×3 → Relu → MaxPool 2×2 → LRN → Flatten → Gemm → Softmax.
        var g = new GraphProto { Name = "cnn" };
        g.Input.Add(Value("x", 1, 1, 2, 6, 6));
        g.Output.Add(Value("y", 1, 1, 3));
        g.Initializer.Add(OnnxTensor.ToProto(Tensor.Randn([4, 2, 3, 3], new Generator(1)), "w"));
        g.Initializer.Add(OnnxTensor.ToProto(Tensor.Zeros(4), "b"));
        g.Initializer.Add(OnnxTensor.ToProto(Tensor.Randn([3, 16], new Generator(2)), "fc"));
        g.Node.Add(Node("Conv", ["x", "w", "b"], ["c"], ("pads", new long[] { 1, 1, 1, 1 }),
            ("strides", new long[] { 1, 1 }), ("kernel_shape", new long[] { 3, 3 })));
        g.Node.Add(Node("Relu", ["c"], ["r"]));
        g.Node.Add(Node("MaxPool", ["r"], ["p"], ("kernel_shape", new long[] { 2, 2 }),
            ("strides", new long[] { 2, 2 })));
        g.Node.Add(Node("LRN", ["p"], ["l"], ("size", 3L)));
        g.Node.Add(Node("AveragePool", ["l"], ["a"], ("kernel_shape", new long[] { 2, 2 }),
            ("auto_pad", "SAME_UPPER")));
        g.Node.Add(Node("Flatten", ["l"], ["f"], ("axis", 1L)));
        g.Node.Add(Node("Gemm", ["f", "fc"], ["z"], ("transB", 1L)));
        g.Node.Add(Node("Softmax", ["z"], ["y"], ("axis", 1L)));
        yield return Model(g);
        // shape arithmetic: ConstantOfShape, Expand, Tile, Pad, Reshape, Concat, Split, Range.
        var s = new GraphProto { Name = "shapes" };
        s.Input.Add(Value("x", 1, 2, 3));
        s.Output.Add(Value("y", 1));
        s.Output.Add(Value("r", 7));
        s.Initializer.Add(OnnxTensor.ToProto(Tensor.From(new long[] { 2, 3 }, 2), "shape"));
        s.Initializer.Add(OnnxTensor.ToProto(Tensor.From(new long[] { 2, 1, 1 }, 3), "reps"));
        s.Initializer.Add(OnnxTensor.ToProto(Tensor.From(new long[] { 0, 1, 0, 0, 1, 0 }, 6), "pads"));
        s.Initializer.Add(OnnxTensor.ToProto(Tensor.From(new long[] { 1 }, 1), "one"));
        s.Initializer.Add(OnnxTensor.ToProto(Tensor.From(new long[] { 1, 1 }, 2), "pads1"));
        s.Initializer.Add(OnnxTensor.ToProto(Tensor.Scalar(0L, DType.Int64), "start"));
        s.Initializer.Add(OnnxTensor.ToProto(Tensor.Scalar(5L, DType.Int64), "limit"));
        s.Initializer.Add(OnnxTensor.ToProto(Tensor.Scalar(1L, DType.Int64), "delta"));
        s.Node.Add(Node("ConstantOfShape", ["shape"], ["k"]));
        s.Node.Add(Node("Add", ["x", "k"], ["xa"]));
        s.Node.Add(Node("Tile", ["xa", "reps"], ["t"]));
        s.Node.Add(Node("Pad", ["t", "pads"], ["pd"]));
        s.Node.Add(Node("Concat", ["pd", "pd"], ["cc"], ("axis", 0L)));
        s.Node.Add(Node("Split", ["cc"], ["s0", "s1"], ("axis", 0L)));
        s.Node.Add(Node("Expand", ["s0", "one"], ["e"]));
        s.Node.Add(Node("Range", ["start", "limit", "delta"], ["rg"]));
        s.Node.Add(Node("Cast", ["rg"], ["rf"], ("to", 1L)));
        s.Node.Add(Node("Pad", ["rf", "pads1"], ["r"]));
        s.Node.Add(Node("Neg", ["e"], ["ne"]));
        s.Node.Add(Node("ReduceSum", ["ne"], ["y"], ("keepdims", 0L)));
        yield return Model(s);
    }

    private static byte[] Model(GraphProto g)
    {
        var m = new ModelProto { IrVersion = 8, Graph = g };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        return m.ToByteArray();
    }

    private static ValueInfoProto Value(string name, int elemType, params long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (long d in dims) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = elemType, Shape = shape } },
        };
    }

    private static NodeProto Node(string op, string[] inputs, string[] outputs,
        params (string Name, object Value)[] attributes)
    {
        var n = new NodeProto { OpType = op, Name = op.ToLowerInvariant() };
        n.Input.AddRange(inputs);
        n.Output.AddRange(outputs);
        foreach (var (name, value) in attributes)
        {
            var a = new AttributeProto { Name = name };
            switch (value)
            {
                case long l:
                    a.Type = AttributeProto.Types.AttributeType.Int;
                    a.I = l;
                    break;
                case long[] ls:
                    a.Type = AttributeProto.Types.AttributeType.Ints;
                    a.Ints.AddRange(ls);
                    break;
                default:
                    a.Type = AttributeProto.Types.AttributeType.String;
                    a.S = ByteString.CopyFromUtf8((string)value);
                    break;
            }
            n.Attribute.Add(a);
        }
        return n;
    }

    // Inputs are what a caller could pass: at most 4,096 elements, shaped from the declared dims (unknown or
    // unreasonable dims become 2), values small integers so that index-like inputs are often in range.
    private static void RunModel(byte[] bytes)
    {
        var model = OnnxModel.Load(bytes, "fuzz.onnx");
        var rng = new Random(bytes.Length);
        var feed = new Dictionary<string, Tensor>();
        foreach (string name in model.InputNames)
        {
            // What the library read, not a second parse of the bytes: the two could disagree on a hostile file.
            var (dtype, declared) = model.DeclaredInput(name);
            var dims = declared?.Select(d => d is >= 1 and <= 16 ? (int)d : 2).ToArray() ?? [2];
            if (dims.Length > 6 || dims.Aggregate(1L, (a, d) => a * d) > 4096) dims = [2];
            int count = dims.Aggregate(1, (a, d) => a * d);
            var values = Enumerable.Range(0, count).Select(_ => (double)rng.Next(-2, 4)).ToArray();
            var t = Tensor.From(values, dims);
            feed[name] = dtype == DType.Bool ? t.Gt(0) : t.To(dtype);
        }
        model.Run(feed);
    }

    private static readonly string[] Ops =
    [
        "Conv", "MaxPool", "AveragePool", "LRN", "ConvTranspose", "BatchNormalization", "Split", "Concat",
        "ConstantOfShape", "Expand", "Tile", "Pad", "Reshape", "Resize", "Range", "Gather", "Slice", "TopK",
        "Abs", "Neg", "Div", "Mod", "Constant", "OneHot", "Unique", "Einsum", "CumSum", "ReduceSum", "Transpose",
        "Squeeze", "Unsqueeze", "Flatten", "MatMul", "Gemm", "Softmax", "ArgMax", "NonZero", "Where", "Trilu",
    ];

    private static readonly string[] AttributeNames =
    [
        "kernel_shape", "strides", "pads", "dilations", "size", "axis", "axes", "group", "perm", "k", "depth",
        "output_padding", "output_shape", "split", "num_outputs", "keepdims", "upper", "to", "exclusive",
    ];

    // Edits one field of a parsed model: an attribute value, a declared or initializer dim, a name, the opset
    // or an operator type.
    private static byte[]? MutateModel(byte[] bytes, Mutator m)
    {
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(bytes);
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or ArgumentException
            or IndexOutOfRangeException)
        {
            // Google.Protobuf lets ArgumentOutOfRangeException and IndexOutOfRangeException out on some bad lengths
            // (OnnxModel.Load turns them into OnnxFormatException).
            return null;
        }
        var g = model.Graph;
        if (g is null) return null;
        var r = m.Random;
        switch (r.Next(8))
        {
            case 0 when g.Node.Count > 0:
                {
                    var n = g.Node[r.Next(g.Node.Count)];
                    if (n.Attribute.Count == 0 || r.Next(3) == 0)
                    {
                        var a = new AttributeProto { Name = AttributeNames[r.Next(AttributeNames.Length)] };
                        if (r.Next(2) == 0)
                        {
                            a.Type = AttributeProto.Types.AttributeType.Int;
                            a.I = m.InterestingValue();
                        }
                        else
                        {
                            a.Type = AttributeProto.Types.AttributeType.Ints;
                            for (int i = r.Next(5); i > 0; i--) a.Ints.Add(m.InterestingValue());
                        }
                        n.Attribute.Add(a);
                        break;
                    }
                    var attr = n.Attribute[r.Next(n.Attribute.Count)];
                    if (attr.Ints.Count > 0) attr.Ints[r.Next(attr.Ints.Count)] = m.InterestingValue();
                    else if (attr.Type == AttributeProto.Types.AttributeType.Tensor) attr.T = r.Next(2) == 0 ? null
                        : new TensorProto { DataType = 1 };
                    else attr.I = m.InterestingValue();
                    break;
                }
            case 1 when g.Input.Count > 0:
                {
                    var dims = g.Input[r.Next(g.Input.Count)].Type?.TensorType?.Shape?.Dim;
                    if (dims is { Count: > 0 }) dims[r.Next(dims.Count)].DimValue = m.InterestingValue();
                    break;
                }
            case 2 when g.Initializer.Count > 0:
                {
                    var t = g.Initializer[r.Next(g.Initializer.Count)];
                    if (t.Dims.Count > 0) t.Dims[r.Next(t.Dims.Count)] = m.InterestingValue();
                    else t.DataType = (int)m.InterestingValue();
                    break;
                }
            case 3 when g.Node.Count > 0:
                {
                    var n = g.Node[r.Next(g.Node.Count)];
                    if (n.Output.Count > 0 && r.Next(2) == 0) n.Output[r.Next(n.Output.Count)] = "";
                    else if (n.Input.Count > 0) n.Input.RemoveAt(r.Next(n.Input.Count));
                    break;
                }
            case 4:
                if (model.OpsetImport.Count > 0) model.OpsetImport[0].Version = r.Next(2) == 0
                    ? m.InterestingValue() : r.Next(1, 24);
                break;
            case 5 when g.Node.Count > 0:
                g.Node[r.Next(g.Node.Count)].OpType = Ops[r.Next(Ops.Length)];
                break;
            case 6 when g.Output.Count > 0:
                g.Output[r.Next(g.Output.Count)].Name = r.Next(2) == 0 ? ""
                    : g.Node.Count > 0 ? g.Node[r.Next(g.Node.Count)].Output.FirstOrDefault() ?? "" : "";
                break;
            default:
                if (g.Node.Count > 1) g.Node.RemoveAt(r.Next(g.Node.Count));
                break;
        }
        return model.ToByteArray();
    }

    // ------------------------------------------------------------------ safetensors and checkpoints

    private static FuzzTarget SafetensorsTarget() => new()
    {
        Name = "safetensors",
        Summary = "Safetensors.Load",
        Documented = [typeof(SafetensorsFormatException)],
        Seeds = () => [SafetensorsBytes(new Dictionary<string, Tensor>
        {
            ["a"] = Tensor.Arange(0, 6, 1).Reshape(2, 3),
            ["b"] = Tensor.From(new long[] { 1, 2, 3 }, 3),
            ["c"] = Tensor.Scalar(2.5, DType.Float64),
        }, new Dictionary<string, string> { ["k"] = "v" }), .. Fixture("dtypes.safetensors")],
        Run = (bytes, dir) => Safetensors.Load(WriteInput(dir, "in.safetensors", bytes)),
        Structured = MutateSafetensors,
    };

    private static string WriteInput(string dir, string name, byte[] bytes)
    {
        string path = Path.Combine(dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static byte[] SafetensorsBytes(Dictionary<string, Tensor> d, Dictionary<string, string> meta)
    {
        string path = Path.Combine(Path.GetTempPath(), $"dendrite-fuzz-{Guid.NewGuid():N}.safetensors");
        try
        {
            Safetensors.Save(path, d, meta);
            return File.ReadAllBytes(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    // Replaces one tensor of a valid file with a hostile one of the kind a checkpoint must refuse: all zeros,
    // NaN, huge values, another dtype or shape, a repeated index.
    private static byte[]? MutateSafetensors(byte[] bytes, Mutator m)
    {
        string path = Path.Combine(Path.GetTempPath(), $"dendrite-fuzz-{Guid.NewGuid():N}.safetensors");
        try
        {
            File.WriteAllBytes(path, bytes);
            var (d, meta) = Safetensors.Load(path);
            if (d.Count == 0) return null;
            var r = m.Random;
            string key = d.Keys.Order(StringComparer.Ordinal).ElementAt(r.Next(d.Count));
            var t = d[key];
            int n = Math.Max(1, t.Numel);
            d[key] = r.Next(9) switch
            {
                0 => Tensor.Zeros(t.DType, [.. t.Shape]),
                1 => Tensor.Full(double.NaN, DType.Float32, [.. t.Shape]),
                2 => Tensor.Full(r.Next(2) == 0 ? 1e300 : -1e30, DType.Float64, [.. t.Shape]),
                3 => Tensor.Zeros(DType.Bool, [.. t.Shape]),
                4 => Tensor.Full(m.InterestingValue(), DType.Int64, [.. t.Shape]),
                5 => Tensor.Zeros(t.DType, n + 1),
                6 => Tensor.Arange(0, r.Next(2) == 0 ? 1_000_000 : n, 1, DType.Int64),
                7 => Tensor.Full(1, DType.Int64, n),
                _ => Tensor.Scalar(m.InterestingValue(), DType.Int64),
            };
            File.Delete(path);
            Safetensors.Save(path, d, meta);
            return File.ReadAllBytes(path);
        }
        catch (SafetensorsFormatException)
        {
            return null;
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static FuzzTarget CheckpointTarget() => new()
    {
        Name = "checkpoint",
        Summary = "Trainer.LoadCheckpoint (a failed load must change nothing), then one more epoch of Fit",
        Documented = [typeof(SafetensorsFormatException)],
        Seeds = CheckpointSeeds,
        Run = RunCheckpoint,
        Structured = MutateSafetensors,
    };

    private static (Trainer Trainer, Linear Model, DataLoader Data) Training()
    {
        var model = new Linear(3, 2);
        var trainer = new Trainer(model, new Adam(model.Parameters(), 0.01), Losses.CrossEntropy);
        var gen = new Generator(1);
        var x = Tensor.Randn([8, 3], gen);
        var y = Tensor.Randint(0, 2, [8], gen);
        return (trainer, model, new DataLoader(x, y, 4, shuffle: true, generator: new Generator(2)));
    }

    private static IReadOnlyList<byte[]> CheckpointSeeds()
    {
        var (trainer, _, data) = Training();
        trainer.Fit(data, epochs: 1, verbose: false);
        string path = Path.Combine(Path.GetTempPath(), $"dendrite-fuzz-{Guid.NewGuid():N}.safetensors");
        try
        {
            trainer.SaveCheckpoint(path, data);
            return [File.ReadAllBytes(path)];
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static void RunCheckpoint(byte[] bytes, string dir)
    {
        string path = WriteInput(dir, "ckpt.safetensors", bytes);
        var (trainer, model, data) = Training();
        var weights = model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray<float>());
        var rng = Generator.Default.GetState();
        var loaderRng = data.Generator.GetState();
        try
        {
            trainer.LoadCheckpoint(path, data);
        }
        catch (SafetensorsFormatException)
        {
            bool same = model.StateDict().All(kv => kv.Value.ToArray<float>().SequenceEqual(weights[kv.Key]))
                && Generator.Default.GetState().SequenceEqual(rng) && data.Generator.GetState().SequenceEqual(loaderRng)
                && trainer.Epoch == 0 && trainer.BatchInEpoch == 0;
            if (!same) throw new FuzzInvariantException("a failed LoadCheckpoint changed the trainer's state");
            throw;
        }
        // An accepted checkpoint must be one training can go on from.
        trainer.Fit(data, epochs: 1, verbose: false);
    }

    // ------------------------------------------------------------------ IDX, CSV, images

    private static FuzzTarget IdxTarget() => new()
    {
        Name = "idx",
        Summary = "Idx.Read, raw and gzip",
        Documented = [typeof(DataFormatException)],
        Seeds = () =>
        {
            byte[] u8 =
                [0, 0, 0x08, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 3, .. Enumerable.Range(0, 18).Select(i => (byte)i)];
            byte[] f32 = [0, 0, 0x0D, 1, 0, 0, 0, 2, 0x3F, 0x80, 0, 0, 0x40, 0, 0, 0];
            byte[] i16 = [0, 0, 0x0B, 2, 0, 0, 0, 1, 0, 0, 0, 2, 0x80, 0, 0x7F, 0xFF];
            return [u8, f32, i16, Gzip(u8), Gzip(f32)];
        },
        Run = (bytes, dir) => Idx.Read(WriteInput(dir, "in.idx", bytes)),
    };

    private static byte[] Gzip(byte[] data)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(data);
        return ms.ToArray();
    }

    private static FuzzTarget CsvTarget() => new()
    {
        Name = "csv",
        Summary = "CsvTable.Parse, then ToTensor and ToLabels",
        Documented = [typeof(DataFormatException)],
        Seeds = () =>
        [
            .. new[]
            {
                "a,b,label\n1,2,x\n3.5,-4e3,y\n,NaN,x\n",
                "\"q,1\",\"q\"\"2\"\n\"1\n2\",3\r\n\r\n4,5\r\n",
                "v\n1e38\nInfinity\n-0\n",
            }.Select(Encoding.UTF8.GetBytes),
        ],
        Run = (bytes, _) =>
        {
            var table = CsvTable.Parse("fuzz.csv", Encoding.UTF8.GetString(bytes));
            table.ToLabels(table.Header[^1]);
            table.ToTensor();
        },
    };

    private static FuzzTarget ImageTarget() => new()
    {
        Name = "image",
        Summary = "Image.Decode of PNG, JPEG, BMP, GIF and WebP",
        Documented = [typeof(ImageFormatException)],
        Seeds = () =>
        [
            Image.EncodePng(Tensor.Rand([3, 8, 8], new Generator(3))),
            Image.EncodePng(Tensor.Rand([1, 5, 7], new Generator(4))),
            Jpeg(),
            .. new[] { "png_rgba.png", "png_palette.png", "png_greyalpha.png", "small.gif", "small.bmp", "small.webp" }
                .SelectMany(Fixture),
        ],
        Run = (bytes, _) => Image.Decode("fuzz.img", bytes),
    };

    private static byte[] Jpeg()
    {
        using var bitmap = new SkiaSharp.SKBitmap(16, 16);
        bitmap.Erase(new SkiaSharp.SKColor(200, 30, 90));
        using var jpeg = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Jpeg, 90);
        return jpeg.ToArray();
    }

    // A file of tests/fixtures/io, found by walking up from the working directory; none when not in a checkout.
    private static IEnumerable<byte[]> Fixture(string name)
    {
        for (var d = new DirectoryInfo(Environment.CurrentDirectory); d is not null; d = d.Parent)
        {
            string path = Path.Combine(d.FullName, "tests", "fixtures", "io", name);
            if (File.Exists(path)) return [File.ReadAllBytes(path)];
        }
        return [];
    }
}
