using System.Diagnostics;
using Google.Protobuf;
using Onnx;
using static Dendrite.IO.Tests.OnnxOpHarness;

namespace Dendrite.IO.Tests;

/// <summary>Hostile ONNX models: each reproduces one breach of issue 19 (a hang, an escaped runtime exception or
/// a huge allocation) and asserts the clear ONNX error, the time it took and the memory it allocated.</summary>
public sealed class OnnxUntrustedTests
{
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(10);

    // Runs `run` on a worker so a hang fails the test instead of stalling the suite; returns what it threw.
    private static Exception Bounded(Action run, long maxAllocatedBytes = 256L << 20)
    {
        Exception? thrown = null;
        long allocated = 0;
        var t = new Thread(() =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                run();
            }
            catch (Exception e)
            {
                thrown = e;
            }
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        })
        { IsBackground = true };
        var watch = Stopwatch.StartNew();
        t.Start();
        Assert.True(t.Join(Quick), $"still running after {Quick.TotalSeconds} s");
        Assert.True(allocated < maxAllocatedBytes, $"allocated {allocated:N0} bytes in {watch.Elapsed}");
        return thrown ?? throw new Xunit.Sdk.XunitException("expected an exception, none was thrown");
    }

    private static void RejectsBounded(Action run, params string[] parts)
    {
        var e = Bounded(run);
        Assert.True(e is OnnxFormatException or OnnxUnsupportedException, $"{e.GetType().Name}: {e.Message}");
        foreach (var p in parts) Assert.Contains(p, e.Message);
    }

    private static Input F(params int[] shape) => In(Tensor.Ones(shape));

    [Fact]
    public void LengthOfTwoToThe31MinusOneIsAFormatErrorWithItsOffset()
    {
        byte[] bytes = [0x42, 0xFF, 0xFF, 0xFF, 0xFF, 0x07];
        RejectsBounded(() => OnnxModel.Load(bytes, "six.onnx"), "six.onnx", "offset");
    }

    // Found by the coverage-guided campaign (tests/fixtures/fuzz/onnx-memory-60a6ecbc2ae93fbc.bin replays it): an
    // unknown field deep inside a graph input's shape declared 2³¹ − 1 bytes, and Google.Protobuf allocated 1.7 GB
    // for it before it found the file too short. Lengths are now checked against their message first.
    [Fact]
    public void AFieldLongerThanItsMessageIsAFormatErrorNamingItsOffset()
    {
        static byte[] Wrap(byte tag, byte[] body) => [tag, (byte)body.Length, .. body];
        // ModelProto.graph → GraphProto.input → ValueInfoProto.type → TypeProto.tensor_type → shape → dim,
        // whose dim_value 2 is followed by unknown field 7, length-delimited.
        static byte[] Model(byte[] unknown)
        {
            byte[] tensorType = [0x08, 0x01, .. Wrap(0x12, Wrap(0x0A, [0x08, 0x02, 0x3A, .. unknown]))];
            byte[] input = [0x0A, 0x01, (byte)'x', .. Wrap(0x12, Wrap(0x0A, tensorType))];
            return [0x08, 0x08, .. Wrap(0x3A, Wrap(0x5A, input))];
        }
        byte[] model = Model([0xFF, 0xFF, 0xFF, 0xFF, 0x07]);
        RejectsBounded(() => OnnxModel.Load(model, "deep.onnx"), "deep.onnx", "field 7 of Dimension",
            $"offset {model.Length - 6}", "2147483647 bytes");
        // The same field with a length that fits is an unknown field like any other, and loads.
        Assert.Equal(["x"], OnnxModel.Load(Model([0x01, 0x00]), "fits.onnx").InputNames);
    }

    [Fact]
    public void OpsetVersionTwoToThe40IsAFormatError()
    {
        var m = new ModelProto { IrVersion = 8, Graph = new GraphProto { Name = "g" } };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 1L << 40 });
        RejectsBounded(() => OnnxModel.Load(m.ToByteArray(), "opset.onnx"), "opset.onnx", "opset_import.version");
    }

    [Fact]
    public void ConstantWithAnEmptyTensorAttributeNamesTheAttribute()
    {
        RejectsBounded(() => Run("Constant", [], attributes: node => node.Attribute.Add(new AttributeProto
        {
            Name = "value",
            Type = AttributeProto.Types.AttributeType.Tensor,
        })), "node 'n' (Constant)", "'value'", "holds no tensor");
    }

    [Fact]
    public void GraphOutputWithAnEmptyNameIsAFormatError()
    {
        var g = new GraphProto { Name = "g" };
        g.Input.Add(new ValueInfoProto { Name = "x" });
        var node = new NodeProto { OpType = "Relu", Name = "n" };
        node.Input.Add("x");
        node.Output.Add("");
        g.Node.Add(node);
        g.Output.Add(new ValueInfoProto { Name = "" });
        var m = new ModelProto { IrVersion = 8, Graph = g };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        RejectsBounded(() => OnnxModel.Load(m.ToByteArray(), "empty.onnx").Run([Tensor.Ones(2)]),
            "empty.onnx", "graph output 0 has an empty name");
    }

    [Fact]
    public void RuntimeExceptionsOfOperatorsLeaveAsFormatErrorsNamingTheNode()
    {
        RejectsBounded(() => Run("BatchNormalization", [F(3), F(3), F(3), F(3), F(3)]), "(BatchNormalization)");
        RejectsBounded(() => Run("ConvTranspose", [F(3), F(3)]), "(ConvTranspose)");
        RejectsBounded(() => Run("Split", [F(4)], outputs: 2, attributes: Attrs(("axis", 3L))), "(Split)");
        RejectsBounded(() => Run("Concat", [], attributes: Attrs(("axis", 0L))), "(Concat)", "at least one input");
        var min = In(Tensor.From(new[] { long.MinValue }, 1));
        RejectsBounded(() => Run("Abs", [min]), "node 'n' (Abs)");
        // Negation wraps in two's complement, as ONNX Runtime's does.
        Assert.Equal(long.MinValue, Run("Neg", [min])[0].ToArray<long>()[0]);
        // Integer division: by zero gives 0; Int64.MinValue / -1 wraps, and its remainder is 0.
        Assert.Equal(0, Run("Div", [In(Longs(7)), In(Longs(0))])[0].ToArray<long>()[0]);
        Assert.Equal(long.MinValue, Run("Div", [min, In(Longs(-1))])[0].ToArray<long>()[0]);
        Assert.Equal(0, Run("Mod", [min, In(Longs(-1))])[0].ToArray<long>()[0]);
    }

    [Fact]
    public void LrnWithSize67108865FinishesAndMatchesTheDefinition()
    {
        const long size = 67_108_865;
        var x = Tensor.From(new float[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 }, 1, 3, 2, 2);
        Tensor? y = null;
        var watch = Stopwatch.StartNew();
        var t = new Thread(() => y = Run("LRN", [In(x)], attributes: Attrs(("size", size), ("alpha", 0.5f)))[0]);
        t.Start();
        Assert.True(t.Join(Quick), "LRN with a huge size did not finish");
        // A window this wide sums every channel: y = x / (1 + alpha/size·Σc x²)^0.75.
        var v = x.ToArray<float>();
        var got = y!.ToArray<float>();
        for (int i = 0; i < v.Length; i++)
        {
            int pixel = i % 4;
            double sum = v[pixel] * v[pixel] + v[pixel + 4] * v[pixel + 4] + v[pixel + 8] * v[pixel + 8];
            double expected = v[i] / Math.Pow(1 + 0.5 / size * sum, 0.75);
            Assert.Equal(expected, got[i], expected * 1e-6);
        }
        Assert.True(watch.Elapsed < Quick);
    }

    [Fact]
    public void MaxPoolWithAHugeSameLowerKernelIsRejectedAtOnce()
    {
        RejectsBounded(() => Run("MaxPool", [F(1, 1, 4, 4)], attributes: Attrs(
            ("kernel_shape", new long[] { int.MaxValue, 2 }), ("auto_pad", "SAME_LOWER"))),
            "node 'n' (MaxPool)", "kernel_shape", "2147483647");
    }

    [Fact]
    public void ConvWithAStrideOfTwoToThe30IsRejectedAtOnce()
    {
        RejectsBounded(() => Run("Conv", [F(1, 1, 4, 4), F(1, 1, 2, 2)], attributes: Attrs(
            ("strides", new long[] { 2, 1 << 30 }))), "node 'n' (Conv)", "strides", "1073741824");
    }

    // Found by the coverage-guided campaign: a 275-byte model asked Split for 10⁸ parts of a 2-wide axis and the run
    // built one size entry and one tensor per part (1.7 GB, then OutOfMemoryException or no end in 10 s).
    [Fact]
    public void SplitWithNumOutputsOfTenToThe8IsRejectedAtOnce()
    {
        RejectsBounded(() => Run("Split", [F(1, 1, 2, 2)], attributes: Attrs(("num_outputs", 100_000_000L)),
            opset: 18), "node 'n' (Split)", "num_outputs = 100000000", "1 outputs");
        RejectsBounded(() => Run("Split", [F(4), In(Longs(5, -1))], outputs: 2), "node 'n' (Split)", "negative");
    }

    [Fact]
    public void SplitWithNumOutputsMatchingItsOutputsStillSplitsUnevenly()
    {
        var parts = Run("Split", [In(Tensor.Arange(0, 5, 1))], outputs: 2,
            attributes: Attrs(("num_outputs", 2L)), opset: 18);
        Assert.Equal([3, 2], parts.Select(p => p.Shape[0]));
        Assert.Equal([3f, 4f], parts[1].ToFloatArray());
    }

    [Fact]
    public void ConvWithPadsOfTenToThe8IsRejectedBeforeAllocating()
    {
        RejectsBounded(() => Run("Conv", [F(1, 1, 4, 4), F(1, 1, 2, 2)], attributes: Attrs(
            ("pads", new long[] { 100_000_000, 100_000_000, 100_000_000, 100_000_000 }))), "node 'n' (Conv)", "pads");
    }

    [Fact]
    public void ConstantOfShapeOf8GBIsRejectedBeforeAllocating()
    {
        RejectsBounded(() => Run("ConstantOfShape", [In(Longs(32768, 65535))]),
            "node 'n' (ConstantOfShape)", "MemoryLimit");
    }

    [Fact]
    public void MemoryLimitIsTheCallersToSet()
    {
        var g = new GraphProto { Name = "g" };
        g.Input.Add(new ValueInfoProto { Name = "shape" });
        var node = new NodeProto { OpType = "ConstantOfShape", Name = "n" };
        node.Input.Add("shape");
        node.Output.Add("y");
        g.Node.Add(node);
        g.Output.Add(new ValueInfoProto { Name = "y" });
        var m = new ModelProto { IrVersion = 8, Graph = g };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        var model = OnnxModel.Load(m.ToByteArray(), "budget.onnx");
        Assert.Equal(1000, model.Run([Longs(1000)])[0].Numel);
        model.MemoryLimit = 1000;
        var e = Assert.Throws<OnnxFormatException>(() => model.Run([Longs(1000)]));
        Assert.Contains("MemoryLimit", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.MemoryLimit = 0);
    }

    [Fact]
    public void UnsupportedFeaturesNameTheFileAndNode()
    {
        var e = Assert.Throws<OnnxUnsupportedException>(() => Run("NoSuchOp", [F(2)]));
        Assert.Contains("NoSuchOp.onnx: node 'n' (NoSuchOp)", e.Message);
        Assert.Equal("NoSuchOp", e.Feature);
    }
}
