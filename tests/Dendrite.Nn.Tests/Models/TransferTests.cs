using Dendrite.Models;
using Dendrite.Nn;
using Dendrite.Nn.Optim;

namespace Dendrite.Tests.Models;

public class TransferTests
{
    private static readonly ZooOptions Grey = new(NumClasses: 10, InChannels: 1);

    private static Dictionary<string, Tensor> Pretrained(string name, ZooOptions options)
    {
        var trained = Zoo.Create(name, options);
        return trained.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Clone());
    }

    [Fact]
    public void FromPretrained_CopiesTheBaseAndReplacesTheHead()
    {
        var weights = Pretrained("lenet5_modern", Grey);
        var model = Transfer.FromPretrained("lenet5_modern", Grey, weights, numClasses: 4, inputShape: [1, 28, 28]);
        Assert.Equal(120, model.Features);
        Assert.Equal([4, 120], model.Head.Weight.Shape.ToArray());
        Assert.Equal(weights["c3.weight"].ToArray<float>(), model.StateDict()["base.c3.weight"].ToArray<float>());
        Assert.DoesNotContain(model.StateDict().Keys, k => k.Contains("f6", StringComparison.Ordinal));
        var y = model.Forward(Tensor.Randn([3, 1, 28, 28], new Generator(1)));
        Assert.Equal([3, 4], y.Shape.ToArray());
    }

    [Fact]
    public void FromPretrained_PoolsAFeatureMap()
    {
        var options = Grey with { SmallInput = true };
        var model = Transfer.FromPretrained("resnet18", options, Pretrained("resnet18", options), 3, [1, 16, 16]);
        Assert.Equal(512, model.Features);
        Assert.Equal(["conv1", "bn1", "layer1", "layer2", "layer3", "layer4"],
            Transfer.Blocks(model.Base).Select(b => b.Name));
    }

    [Fact]
    public void FromPretrained_OtherModelsWeights_FailNamingTheMissingEntry()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            Transfer.FromPretrained("lenet5_modern", Grey, Pretrained("lenet5", Grey with { NumClasses = 5 })
                .Where(kv => !kv.Key.StartsWith("c1", StringComparison.Ordinal)).ToDictionary(), 4, [1, 28, 28]));
        Assert.Contains("c1.", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CacheFeatures_FreezesTheBaseAndEqualsTheModelsFeatures()
    {
        var model = Transfer.FromPretrained("lenet5_modern", Grey, null, 10, [1, 28, 28]);
        var x = Tensor.Randn([5, 1, 28, 28], new Generator(2));
        var cached = Transfer.CacheFeatures(model, x, batchSize: 2);
        Assert.Equal([5, 120], cached.Shape.ToArray());
        Assert.All(model.Base.Parameters(), p => Assert.False(p.RequiresGrad));
        Assert.True(model.Base.Training); // the mode is put back
        using (Autograd.NoGrad())
        {
            var direct = model.Extract(x).ToArray<float>();
            var c = cached.ToArray<float>();
            for (int i = 0; i < c.Length; i++) Assert.Equal(direct[i], c[i], 1e-5f);
        }

        // Training only the head on the cached features fits them.
        var opt = new Adam(model.Head.Parameters(), lr: 0.05);
        var labels = Tensor.From(new long[] { 0, 1, 2, 3, 4 });
        double first = 0, last = 0;
        for (int step = 0; step < 60; step++)
        {
            opt.ZeroGrad();
            var loss = Losses.CrossEntropy(model.Head.Forward(cached), labels);
            loss.Backward();
            opt.Step();
            if (step == 0) first = loss.Item();
            last = loss.Item();
        }
        Assert.True(last < 0.1 * first, $"head on cached features: loss {first} → {last}");
    }

    [Fact]
    public void FineTune_FreezesEarlyBlocksAndStepsTheRestAtALowerRate()
    {
        var model = Transfer.FromPretrained("lenet5_modern", Grey, null, 10, [1, 28, 28]);
        var groups = Transfer.FineTune(model, frozenBlocks: 1, lr: 0.5, baseLrFactor: 0.1);
        Assert.Equal([0.05, 0.5], groups.Select(g => g.Lr));
        Assert.False(model.Base.Parameters().First().RequiresGrad); // c1.weight
        var opt = new Sgd(groups, lr: 1);
        var before = model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Clone().ToArray<float>());
        var x = Tensor.Randn([4, 1, 28, 28], new Generator(3));
        var loss = Losses.CrossEntropy(model.Forward(x), Tensor.From(new long[] { 1, 2, 3, 4 }));
        loss.Backward();
        var gradC3 = ((Module)Transfer.Blocks(model.Base)[1].Block).Parameters().First().Grad!.ToArray<float>();
        var gradHead = model.Head.Weight.Grad!.ToArray<float>();
        opt.Step();
        var after = model.StateDict();
        Assert.Equal(before["base.c1.weight"], after["base.c1.weight"].ToArray<float>());
        var c3 = after["base.c3.weight"].ToArray<float>();
        for (int i = 0; i < c3.Length; i++) Assert.Equal(before["base.c3.weight"][i] - 0.05f * gradC3[i], c3[i], 1e-6f);
        var head = after["head.weight"].ToArray<float>();
        for (int i = 0; i < head.Length; i++)
            Assert.Equal(before["head.weight"][i] - 0.5f * gradHead[i], head[i], 1e-6f);
        Assert.Throws<ArgumentOutOfRangeException>(() => Transfer.FineTune(model, 4, 0.1));
    }
}
