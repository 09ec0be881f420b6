using Dendrite.Nn;
using Dendrite.Nn.Optim;

namespace Dendrite.Tests;

/// <summary>Mistakes a newcomer makes fail at once with PyTorch's wording, not later with an unrelated message.
/// </summary>
public class TeachingErrorTests
{
    private sealed class NoLayers : Module
    {
    }

    [Fact]
    public void Optimizer_EmptyParameterListFails()
    {
        var e = Assert.Throws<ArgumentException>(() => new Adam(new NoLayers().Parameters()));
        Assert.Contains("Adam: optimizer got an empty parameter list", e.Message);
        e = Assert.Throws<ArgumentException>(() => new Sgd([new ParamGroup([]), new ParamGroup([])], 0.1));
        Assert.Contains("Sgd: optimizer got an empty parameter list", e.Message);
    }

    [Fact]
    public void BatchNorm_OneValuePerChannelFailsWhenTraining()
    {
        var bn1 = new BatchNorm1d(4);
        var e = Assert.Throws<ArgumentException>(() => bn1.Forward(Tensor.Randn([1, 4], new Generator(1))));
        Assert.Contains("BatchNorm1d: Expected more than 1 value per channel when training, got input [1,4]",
            e.Message);
        var bn2 = new BatchNorm2d(3);
        e = Assert.Throws<ArgumentException>(() => bn2.Forward(Tensor.Randn([1, 3, 1, 1], new Generator(2))));
        Assert.Contains("got input [1,3,1,1]", e.Message);
        // Nothing was updated by the failed calls; one example per channel is fine in evaluation mode and with
        // more than one value per channel (a 2x2 image) in training mode.
        Assert.Equal(0L, (long)bn1.NumBatchesTracked.Item());
        bn1.Eval();
        Assert.Equal([1, 4], bn1.Forward(Tensor.Randn([1, 4], new Generator(3))).Shape.ToArray());
        Assert.Equal([1, 3, 2, 2], bn2.Forward(Tensor.Randn([1, 3, 2, 2], new Generator(4))).Shape.ToArray());
    }
}
