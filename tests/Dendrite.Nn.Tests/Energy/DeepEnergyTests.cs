using Dendrite.Models.Energy;
using Dendrite.Nn;

namespace Dendrite.Tests.Energy;

public class DeepEnergyTests
{
    private static Tensor Repeat(Tensor x, int times) => Tensor.Cat([.. Enumerable.Repeat(x, times)]);

    [Fact]
    public void Dbn_PreTrainsAndHandsItsWeightsToAnMlp()
    {
        var data = Repeat(BarsAndStripes.Patterns(4), 4);                     // (120, 16)
        var g = new Generator(61);
        var dbn = new Dbn(16, [12, 6], g);
        var errors = dbn.PreTrain(data, new RbmTrainingConfig(Epochs: 30, BatchSize: 10, LearningRate: 0.1), g);
        Assert.Equal(2, errors.Count);
        Assert.All(errors, e => Assert.True(e[^1] < e[0], $"reconstruction error {e[0]:F3} → {e[^1]:F3}"));
        var mlp = dbn.ToClassifier(3);
        Assert.Equal([12, 6], mlp.Config.HiddenSizes);
        Assert.Equal("sigmoid", mlp.Config.Activation);
        using (Autograd.NoGrad())
        {
            // The MLP's first two layers compute exactly the DBN's bottom-up pass.
            var hidden = mlp.Layers.Layers.Take(4).Aggregate(data, (x, layer) => layer.Call(x));
            var expected = dbn.Encode(data);
            double diff = (hidden - expected).Abs().Max().Item();
            Assert.True(diff < 1e-5, $"MLP hidden layer differs from the DBN's by {diff:G3}");
        }
        var samples = dbn.Sample(5, 20, g);
        Assert.Equal([5, 16], samples.Shape.ToArray());
        Assert.InRange(samples.Min().Item(), 0, 1);
        Assert.InRange(samples.Max().Item(), 0, 1);
    }

    [Fact]
    public void Dbm_MeanFieldReachesItsFixedPoint()
    {
        var g = new Generator(67);
        var dbm = new Dbm(9, 5, 4, g);
        dbm.Bottom.Weight.CopyFrom(Tensor.Randn([5, 9], g, 0, 0.5));
        dbm.Top.Weight.CopyFrom(Tensor.Randn([4, 5], g, 0, 0.5));
        var v = BarsAndStripes.Patterns(3);
        var (mu1, mu2) = dbm.MeanField(v, 50);
        using var _ = Autograd.NoGrad();
        var r1 = (v.Linear(dbm.Bottom.Weight, dbm.Bottom.HiddenBias) + mu2.MatMul(dbm.Top.Weight)).Sigmoid() - mu1;
        var r2 = mu1.Linear(dbm.Top.Weight, dbm.Top.HiddenBias).Sigmoid() - mu2;
        Assert.True(r1.Abs().Max().Item() < 1e-4 && r2.Abs().Max().Item() < 1e-4, "mean-field did not converge");
    }

    // Pre-training then joint training by mean-field and persistent chains must raise the exact log-likelihood of
    // bars and stripes (exact because h₁ has few units) well above the starting point.
    [Fact]
    public void Dbm_TrainingRaisesExactLikelihood()
    {
        var data = Repeat(BarsAndStripes.Patterns(3), 10);                     // (140, 9)
        var g = new Generator(71);
        var dbm = new Dbm(9, 8, 4, g);
        dbm.Bottom.InitVisibleBias(data);
        double start = dbm.ExactLogLikelihood(data, dbm.ExactLogPartition());
        dbm.PreTrain(data, new RbmTrainingConfig(Epochs: 30, BatchSize: 14, LearningRate: 0.1), g);
        double pretrained = dbm.ExactLogLikelihood(data, dbm.ExactLogPartition());
        dbm.Train(data, new DbmTrainingConfig(Epochs: 60, BatchSize: 14, LearningRate: 0.05), g);
        double trained = dbm.ExactLogLikelihood(data, dbm.ExactLogPartition());
        Assert.True(trained > start + 1.5, $"log-likelihood {start:F3} → pre-trained {pretrained:F3} → {trained:F3}");
        Assert.Equal([6, 9], dbm.Sample(6, 10, g).Shape.ToArray());
    }
}
