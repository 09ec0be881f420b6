namespace Dendrite.Tests;

/// <summary>What a graph node records (name, inputs, attributes, saved tensors) and Autograd.Describe.</summary>
public class GraphTests
{
    [Fact]
    public void Node_Conv2dAttributes()
    {
        var x = Tensor.Randn([1, 4, 9, 9], new Generator(1));
        var w = Tensor.Randn([6, 2, 3, 3], new Generator(2)).RequireGrad();
        var y = x.Conv2d(w, null, stride: (2, 1), padding: (1, 0), dilation: (1, 2), groups: 2);
        var a = y.GradFn!.Attributes;
        Assert.Equal("Conv2d", y.GradFn.Name);
        Assert.Equal([2, 1], (int[])a["stride"]);
        Assert.Equal([1, 0, 1, 0], (int[])a["padding"]);
        Assert.Equal([1, 2], (int[])a["dilation"]);
        Assert.Equal(2, a["groups"]);
        Assert.Same(x, y.GradFn.Inputs[0]);
        Assert.Same(w, y.GradFn.Inputs[1]);
    }

    [Fact]
    public void Node_SumAndPermuteAttributes()
    {
        var x = Tensor.Randn([2, 3, 4], new Generator(3)).RequireGrad();
        var s = x.Sum([-1, 0], keepDim: true);
        Assert.Equal("Sum", s.GradFn!.Name);
        Assert.Equal([0, 2], (int[])s.GradFn.Attributes["axes"]);
        Assert.Equal(true, s.GradFn.Attributes["keepDim"]);
        Assert.Equal(2, s.GradFn.Attributes.Count);
        var p = x.Permute(2, 0, 1);
        Assert.Equal([2, 0, 1], (int[])p.GradFn!.Attributes["dims"]);
        Assert.Equal("Permute(dims=[2, 0, 1])", p.GradFn.ToString());
        Assert.False(x.Add(x).GradFn!.Attributes.ContainsKey("axis"));
        Assert.Equal(1, x.Softmax(1).GradFn!.Attributes["axis"]);
        Assert.Equal(1, Tensor.Cat([x, x], 1).GradFn!.Attributes["dim"]);
    }

    [Fact]
    public void Node_PoolAttributes()
    {
        var x = Tensor.Randn([1, 1, 6, 6], new Generator(4)).RequireGrad();
        var y = x.MaxPool2d((3, 3), (2, 2), (1, 1));
        Assert.Equal([3, 3], (int[])y.GradFn!.Attributes["kernel"]);
        Assert.Equal([2, 2], (int[])y.GradFn.Attributes["stride"]);
        Assert.Equal([1, 1, 1, 1], (int[])y.GradFn.Attributes["padding"]);
    }

    [Fact]
    public void Node_SavedTensorsAreWhatTheBackwardReads()
    {
        var x = Tensor.Randn([3], new Generator(5)).RequireGrad();
        var b = Tensor.Randn([3], new Generator(6));
        Assert.Empty((x + b).GradFn!.Saved);
        var m = x * b;
        Assert.Equal([x, b], m.GradFn!.Saved);
        var t = x.Tanh();
        Assert.Same(t, Assert.Single(t.GradFn!.Saved));
    }

    [Fact]
    public void Describe_PrintsOpsAttributesAndSharedTensors()
    {
        var x = Tensor.From([1f, 2f, 3f, 4f, 5f, 6f], 2, 3).RequireGrad();
        var h = x.Tanh();
        var y = (h * h).Sum([1]);
        string text = Autograd.Describe(y);
        string expected =
            "#0 Sum(axes=[1], keepDim=false) [2]\n" +
            "  #1 Mul [2,3]\n" +
            "    #2 Tanh [2,3]\n" +
            "      #3 leaf [2,3]\n" +
            "    #2 [2,3] (above)\n";
        Assert.Equal(expected, text);
    }

    [Fact]
    public void Describe_DeepChainDoesNotOverflow()
    {
        var x = Tensor.From([1f], 1).RequireGrad();
        var y = x;
        for (int i = 0; i < 20000; i++) y = y * 1.0;
        string text = Autograd.Describe(y);
        Assert.Equal(20000 * 2 + 1 + 1, text.Split('\n').Length);
    }
}
