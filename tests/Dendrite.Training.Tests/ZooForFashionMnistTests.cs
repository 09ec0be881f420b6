using Dendrite.Cli;
using Dendrite.Models;
using Dendrite.Nn;

namespace Dendrite.Tests;

/// <summary><c>dendrite train --model NAME</c> builds every zoo model for Fashion-MNIST: one channel in, ten classes
/// out, at 28×28.</summary>
public class ZooForFashionMnistTests
{
    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var e in Zoo.All) data.Add(e.Name);
        return data;
    }

    // Networks whose pooling leaves nothing of a 28×28 image (VGG's five pools), or whose auxiliary head needs the
    // full stem (Inception v3's): refused by name before any data loads.
    private static readonly string[] Refused = ["vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19",
        "vgg19_bn", "inception_v3_aux"];

    [Theory]
    [MemberData(nameof(Names))]
    public void EveryZooModel_TakesFashionMnistImagesOrSaysWhy(string name)
    {
        Generator.ManualSeed(0);
        if (Refused.Contains(name))
        {
            var e = Assert.Throws<ArgumentException>(() => TrainingCommands.ForFashionMnist(Zoo.Get(name)));
            Assert.Contains($"model '{name}'", e.Message, StringComparison.Ordinal);
            Assert.Contains("(1, 28, 28)", e.Message, StringComparison.Ordinal);
            return;
        }
        var model = TrainingCommands.ForFashionMnist(Zoo.Get(name));
        model.Eval();
        using var noGrad = Autograd.NoGrad();
        var y = ((ILayer)model).Call(Tensor.Randn([2, 1, 28, 28]));
        Assert.Equal([2, 10], y.Shape.ToArray());
    }
}
