using Google.Protobuf;
using Onnx;
using Xunit;

namespace Dendrite.IO.Tests;

/// <summary>The importer's load-time folds and run-time in-place steps (OnnxModel.Fusion.cs) give the outputs of the
/// plain node-by-node evaluation, written out here with Tensor ops.</summary>
public class OnnxFusionTests
{
    private static NodeProto Node(string op, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var n = new NodeProto { OpType = op, Name = outputs[0] };
        n.Input.AddRange(inputs);
        n.Output.AddRange(outputs);
        n.Attribute.AddRange(attributes);
        return n;
    }

    private static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    private static OnnxModel Load(GraphProto g)
    {
        var m = new ModelProto { IrVersion = 8, Graph = g };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        return OnnxModel.Load(m.ToByteArray(), "fusion.onnx");
    }

    private static void AssertClose(Tensor actual, Tensor expected)
    {
        Assert.Equal(expected.Shape.ToArray(), actual.Shape.ToArray());
        double scale = Math.Max(1, expected.Abs().Max().Item());
        double diff = (actual - expected).Abs().Max().Item();
        Assert.True(diff <= 1e-5 * scale, $"max |difference| {diff} above 1e-5 × {scale}");
    }

    [Fact]
    public void ConvBatchNormReluIsFoldedAndMatchesTheUnfusedNodes()
    {
        var gen = new Generator(11);
        var x = Tensor.Randn([2, 3, 8, 8], gen);
        var w = Tensor.Randn([5, 3, 3, 3], gen);
        var b = Tensor.Randn([5], gen);
        var gamma = Tensor.Randn([5], gen);
        var beta = Tensor.Randn([5], gen);
        var mean = Tensor.Randn([5], gen);
        var var = Tensor.Rand([5], gen) + 0.5;
        var g = new GraphProto { Name = "conv-bn-relu" };
        g.Input.Add(new ValueInfoProto { Name = "x" });
        g.Output.Add(new ValueInfoProto { Name = "y" });
        foreach (var (t, name) in new[] { (w, "w"), (b, "b"), (gamma, "gamma"), (beta, "beta"), (mean, "mean"),
                     (var, "var") })
            g.Initializer.Add(OnnxTensor.ToProto(t, name));
        g.Node.Add(Node("Conv", ["x", "w", "b"], ["c"], Ints("pads", 1, 1, 1, 1), Ints("strides", 2, 2)));
        g.Node.Add(Node("BatchNormalization", ["c", "gamma", "beta", "mean", "var"], ["n"]));
        g.Node.Add(Node("Relu", ["n"], ["y"]));
        var model = Load(g);
        Assert.Equal(1, model.FoldedBatchNorms);
        Assert.Equal(["Conv", "BatchNormalization", "Relu"], model.Operators);
        var view = new[] { 1, -1, 1, 1 };
        var c = x.Conv2d(w, b, (2, 2), (1, 1));
        var expected = ((c - mean.Reshape(view)) / (var.Reshape(view) + 1e-5).Sqrt() * gamma.Reshape(view) +
            beta.Reshape(view)).Relu();
        AssertClose(model.Run([x])[0], expected);
        AssertClose(model.Run([x])[0], expected); // the folded weights are not changed by a run
    }

    [Fact]
    public void SharedValuesAreNotOverwrittenInPlace()
    {
        // c feeds both the residual Add and a second output; s feeds the Relu only and may be overwritten.
        var gen = new Generator(12);
        var x = Tensor.Randn([1, 4, 5, 5], gen);
        var w = Tensor.Randn([4, 4, 1, 1], gen);
        var g = new GraphProto { Name = "residual" };
        g.Input.Add(new ValueInfoProto { Name = "x" });
        g.Output.Add(new ValueInfoProto { Name = "y" });
        g.Output.Add(new ValueInfoProto { Name = "r" });
        g.Initializer.Add(OnnxTensor.ToProto(w, "w"));
        g.Node.Add(Node("Conv", ["x", "w"], ["c"]));
        g.Node.Add(Node("Add", ["c", "x"], ["s"]));
        g.Node.Add(Node("Relu", ["s"], ["y"]));
        g.Node.Add(Node("Relu", ["c"], ["r0"]));
        g.Node.Add(Node("Add", ["r0", "x"], ["r"]));
        var model = Load(g);
        Assert.Equal(0, model.FoldedBatchNorms);
        var outs = model.Run([x]);
        var c = x.Conv2d(w);
        AssertClose(outs[0], (c + x).Relu());
        AssertClose(outs[1], c.Relu() + x);
        Assert.Equal(x.ToArray<float>(), Tensor.Randn([1, 4, 5, 5], new Generator(12)).ToArray<float>());
    }

    [Fact]
    public void BatchNormalizationAloneMatchesTheFormula()
    {
        var gen = new Generator(13);
        var x = Tensor.Randn([2, 3, 4, 4], gen);
        var s = Tensor.Randn([3], gen);
        var bias = Tensor.Randn([3], gen);
        var mean = Tensor.Randn([3], gen);
        var var = Tensor.Rand([3], gen) + 0.5;
        var y = OnnxOpHarness.Run1("BatchNormalization", new(x), new(s), new(bias), new(mean), new(var));
        var view = new[] { 1, -1, 1, 1 };
        AssertClose(y, (x - mean.Reshape(view)) / (var.Reshape(view) + 1e-5).Sqrt() * s.Reshape(view) +
            bias.Reshape(view));
    }
}
