using Dendrite.Data;
using Dendrite.Models;
using Dendrite.Nn;
using Dendrite.Nn.Optim;
using Dendrite.Training;

namespace Dendrite.Tests;

/// <summary>How many epochs <see cref="Trainer.Fit"/> runs, and what it prints.</summary>
[Collection("console")]
public class FitTests
{
    private static (Trainer Trainer, DataLoader Loader) Make()
    {
        var g = new Generator(11);
        var x = Tensor.Randn([24, 2], g);
        var y = Tensor.Randint(0, 3, [24], g);
        var mlp = new Mlp(new MlpConfig(2, [4], 3));
        return (new Trainer(mlp, new Adam(mlp.Parameters()), Losses.CrossEntropy), new DataLoader(x, y, 8));
    }

    [Fact]
    public void Fit_EpochsMeansThatManyMore()
    {
        var (trainer, loader) = Make();
        Assert.Single(trainer.Fit(loader, epochs: 1, verbose: false).Epochs);
        var second = trainer.Fit(loader, epochs: 1, verbose: false);
        Assert.Equal(2, Assert.Single(second.Epochs).Epoch);
        Assert.Equal([3, 4], trainer.Fit(loader, epochs: 2, verbose: false).Epochs.Select(e => e.Epoch));
        Assert.Equal(4, trainer.Epoch);
    }

    [Fact]
    public void Fit_UntilEpochTrainsToATotal()
    {
        var (trainer, loader) = Make();
        Assert.Equal([1, 2], trainer.Fit(loader, untilEpoch: 2, verbose: false).Epochs.Select(e => e.Epoch));
        Assert.Empty(trainer.Fit(loader, untilEpoch: 2, verbose: false).Epochs);
        Assert.Equal(3, Assert.Single(trainer.Fit(loader, untilEpoch: 3, verbose: false).Epochs).Epoch);
        var e = Assert.Throws<ArgumentException>(() => trainer.Fit(loader, epochs: 1, untilEpoch: 5));
        Assert.Contains("not both", e.Message);
        e = Assert.Throws<ArgumentException>(() => trainer.Fit(loader));
        Assert.Contains("give epochs", e.Message);
        Assert.Throws<ArgumentException>(() => trainer.Fit(loader, epochs: -1));
        Assert.Equal(3, trainer.Epoch);
    }

    [Fact]
    public void ProgressPrinter_WritesOneLinePerEpochToAWriter()
    {
        var (trainer, loader) = Make();
        var sink = new StringWriter();
        var g = new Generator(12);
        var validation = (Tensor.Randn([6, 2], g), Tensor.Randint(0, 3, [6], g));
        trainer.Fit(loader, epochs: 2, validation: validation, callbacks: [new ProgressPrinter(sink)]);
        var lines = sink.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("epoch 1/2: train loss ", lines[0]);
        Assert.StartsWith("epoch 2/2: train loss ", lines[1]);
        Assert.Contains("| validation loss ", lines[1]);
        Assert.False(new ProgressPrinter(sink).Live);
    }

    [Fact]
    public void Fit_PrintsByDefaultAndNotWhenQuiet()
    {
        var (trainer, loader) = Make();
        var before = Console.Out;
        var captured = new StringWriter();
        Console.SetOut(TextWriter.Synchronized(captured));
        try
        {
            // Under the test runner the output is redirected, so the default printer writes plain lines.
            Assert.False(new ProgressPrinter().Live);
            trainer.Fit(loader, epochs: 1);
            trainer.Fit(loader, epochs: 1, verbose: false);
        }
        finally
        {
            Console.SetOut(before);
        }
        var lines = captured.ToString().Split('\n').Where(l => l.Contains("train loss", StringComparison.Ordinal));
        Assert.Equal("epoch 1/1: train loss", Assert.Single(lines)[..21]);
    }
}
