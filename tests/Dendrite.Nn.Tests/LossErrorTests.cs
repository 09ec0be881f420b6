using Dendrite.Nn;

namespace Dendrite.Tests;

public class LossErrorTests
{
    [Theory]
    [InlineData(10L, "class index 10, outside [0, 9]")]
    [InlineData(-1L, "class index -1, outside [0, 9]")]
    public void CrossEntropy_LabelOutOfRangeBlamesTheLoss(long label, string expected)
    {
        var logits = Tensor.Randn([3, 10], new Generator(1));
        var target = Tensor.From([0L, label, 2L], 3);
        var e = Assert.Throws<ArgumentException>(() => Losses.CrossEntropy(logits, target));
        Assert.StartsWith("CrossEntropy:", e.Message);
        Assert.Contains(expected, e.Message);
        var nll = Assert.Throws<ArgumentException>(() => Losses.Nll(logits.LogSoftmax(1), target));
        Assert.StartsWith("Nll:", nll.Message);
    }
}
