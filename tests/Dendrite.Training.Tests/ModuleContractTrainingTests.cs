using Dendrite.Data;
using Dendrite.Nn;
using Dendrite.Nn.Optim;
using Dendrite.Training;
using Module = Dendrite.Nn.Module;

namespace Dendrite.Tests;

/// <summary>The Trainer on the module contract: the model and loss as users write them, the call path (hooks fire),
/// and transfer learning with a replaced head.</summary>
public class ModuleContractTrainingTests
{
    // Two features; the class is which of three sectors of the plane the point lies in.
    private static (Tensor X, Tensor Y) Sectors(int n, ulong seed)
    {
        var x = Tensor.Randn([n, 2], new Generator(seed)).ToFloatArray();
        var y = new long[n];
        for (int i = 0; i < n; i++)
        {
            double angle = Math.Atan2(x[2 * i + 1], x[2 * i]) + Math.PI;
            y[i] = Math.Min(2, (long)(angle / (2 * Math.PI / 3)));
        }
        return (Tensor.From(x, n, 2), Tensor.From(y));
    }

    [Fact]
    public void ReplacedHead_TrainsWithTheTrainer_FrozenBodyStays_OldHeadGone()
    {
        Generator.ManualSeed(11);
        var model = new Sequential(("body", new Linear(2, 32)), ("act", new Relu()), ("head", new Linear(32, 10)));
        var oldHead = (Linear)model["head"];
        model["body"].As<Linear>().Freeze();
        model["head"] = new Linear(32, 3);
        Assert.DoesNotContain(model.Parameters(),
            p => ReferenceEquals(p, oldHead.Weight) || ReferenceEquals(p, oldHead.Bias));
        Assert.Equal(32 * 3 + 3, model.ParameterCount(trainableOnly: true));
        var body = model["body"].As<Linear>().Weight.ToFloatArray();
        var (x, y) = Sectors(300, 1);
        var trainer = new Trainer(model, new Adam(model.Parameters().Where(p => p.RequiresGrad), 0.05),
            Losses.CrossEntropy);
        var history = trainer.Fit(new DataLoader(x, y, 50), epochs: 8);
        double first = history.Epochs[0].TrainLoss, last = history.Epochs[^1].TrainLoss;
        Assert.True(last < 0.7 * first, $"loss {first} → {last}");
        Assert.Equal(body, model["body"].As<Linear>().Weight.ToFloatArray());
    }

    [Fact]
    public void Trainer_RunsTheModelThroughItsHooks()
    {
        var model = new Sequential(new Linear(2, 3));
        int calls = 0, inner = 0;
        model.RegisterForwardHook((_, _, _) =>
        {
            calls++;
            return null;
        });
        ((Module)model[0]).RegisterForwardPreHook((_, _) => inner++);
        var (x, y) = Sectors(40, 2);
        var trainer = new Trainer(model, new Sgd(model.Parameters(), 0.1), Losses.CrossEntropy);
        trainer.Fit(new DataLoader(x, y, 10), epochs: 1);
        Assert.Equal(4, calls);
        Assert.Equal(4, inner);
        trainer.Evaluate(x, y, batchSize: 20);
        Assert.Equal(6, calls);
    }

    [Fact]
    public void Trainer_AcceptsLossMethodGroupsWithOptionalParameters()
    {
        var model = new Linear(2, 1);
        var x = Tensor.Randn([16, 2], new Generator(3));
        var y = Tensor.Randn([16, 1], new Generator(4)) * 3;
        using var _ = Autograd.NoGrad();
        var output = model.Forward(x);
        var huber = new Trainer(model, new Sgd(model.Parameters(), 0.1), Losses.Huber).Evaluate(x, y).Loss;
        Assert.Equal(Losses.Huber(output, y, delta: 1).Item(), huber, 6);
        var mse = new Trainer(model, new Sgd(model.Parameters(), 0.1), Losses.Mse).Evaluate(x, y).Loss;
        Assert.Equal(Losses.Mse(output, y).Item(), mse, 6);
        var rmse = new Trainer(model, new Sgd(model.Parameters(), 0.1), Losses.Rmse).Evaluate(x, y).Loss;
        Assert.Equal(Math.Sqrt(mse), rmse, 5);
    }

    [Fact]
    public void Trainer_RejectsLossesAndModelsThatDoNotFit()
    {
        var model = new Linear(2, 1);
        var e = Assert.Throws<ArgumentException>(() =>
            new Trainer(model, new Sgd(model.Parameters(), 0.1), (Func<Tensor, int, Tensor>)((o, _) => o)));
        Assert.Contains("must take (Tensor output, Tensor target)", e.Message);
        var notLayer = new NotALayer();
        e = Assert.Throws<ArgumentException>(() =>
            new Trainer(notLayer, new Sgd(notLayer.Parameters(), 0.1), Losses.CrossEntropy));
        Assert.Contains("Trainer: NotALayer does not take one tensor", e.Message);
        var trainer = new Trainer(notLayer, x => notLayer.Fc.Call(x), new Sgd(notLayer.Parameters(), 0.1),
            (o, t) => Losses.Mse(o, t));
        Assert.Equal(0, trainer.Epoch);
    }

    private sealed class NotALayer : Module
    {
        public Linear Fc { get; } = new(2, 1);
    }
}

internal static class LayerCast
{
    public static T As<T>(this ILayer layer)
        where T : Module => (T)layer;
}
