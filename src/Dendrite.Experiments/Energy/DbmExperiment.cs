using System.Diagnostics;
using Dendrite.IO;
using Dendrite.Models.Energy;

namespace Dendrite.Experiments.Energy;

/// <summary>A two-layer deep Boltzmann machine: greedy pre-training, then joint training by mean-field and persistent
/// chains; exact log-likelihoods where the first hidden layer is small, samples from a large one.</summary>
public sealed class DbmExperiment : Experiment
{
    /// <inheritdoc/>
    public override string Name => "dbm";

    /// <inheritdoc/>
    public override string Topic => "energy";

    /// <inheritdoc/>
    public override string Summary =>
        "DBM with two hidden layers: mean-field + persistent chains; exact likelihood vs an RBM";

    /// <inheritdoc/>
    public override string Claim => """
        A deep Boltzmann machine is undirected at every layer, so the posterior over the hidden units is no longer
        factorial; Salakhutdinov & Hinton (2009) approximate the data-dependent expectations by mean-field inference
        and the model's by persistent Markov chains, after a greedy layer-wise pre-training whose first and last RBMs
        double the weights in one direction. The second hidden layer adds a learned prior over the first, so the DBM
        should model the data better than an RBM with the same first layer.
        """;

    /// <inheritdoc/>
    public override void Run(ExperimentContext context)
    {
        var g = context.NewGenerator();
        var (trainRaw, _, testRaw, _, source) = EnergyData.Images(context, context.Choose(8000, 400),
            context.Choose(2000, 100), g);
        var train = EnergyData.Binarise(trainRaw, g);
        var test = EnergyData.Binarise(testRaw, g);
        int h1 = context.Choose(12, 8), h2 = context.Choose(64, 8), epochs = context.Choose(20, 2);
        var pre = new RbmTrainingConfig(Epochs: epochs, BatchSize: 100, LearningRate: 0.05);
        var joint = new DbmTrainingConfig(Epochs: epochs, BatchSize: 100, LearningRate: 0.01);
        context.Setup($"Data: {source}; pixels binarised once by sampling. Exact part: a DBM 784-{h1}-{h2} against " +
            $"an RBM 784-{h1}; with {h1} units in h₁, v and h₂ are summed out in closed form and the 2^{h1} states " +
            $"of h₁ " +
            $"enumerated, so log Z and log p(v) are exact. Pre-training: CD-1, {epochs} epochs per layer, batches of " +
            $"100, learning rate 0.05, momentum 0.5 then 0.9, weight decay 1e-4 (bottom RBM: bottom-up weights " +
            $"doubled; " +
            $"top RBM: top-down weights doubled). Joint training: {epochs} epochs, {joint.MeanFieldSteps} mean-field " +
            $"steps per batch, 100 persistent chains (one Gibbs sweep per update), learning rate " +
            $"{joint.LearningRate} " +
            $"decayed linearly to 0, momentum 0.9, weight decay 2e-4. The RBM: PCD-1 with the same epochs and " +
            $"learning rate 0.05 decayed to 0.");

        var table = context.Table("exact", "Exact mean log-likelihood per image (nats)", "model", "stage", "train LL",
            "test LL", "wall s");
        var clock = Stopwatch.StartNew();
        var rbm = new BernoulliRbm(784, h1, context.NewGenerator());
        rbm.InitVisibleBias(train);
        new RbmTrainer(rbm, pre with { Persistent = true, DecayToZero = true }, context.NewGenerator()).Fit(train);
        double logZ = RbmExact.LogPartition(rbm);
        var subset = train.Narrow(0, 0, Math.Min(1000, train.Size(0)));
        table.Add($"RBM 784-{h1}", "PCD-1", RbmExact.LogLikelihood(rbm, subset, logZ),
            RbmExact.LogLikelihood(rbm, test, logZ), clock.Elapsed.TotalSeconds);

        clock.Restart();
        var dbm = new Dbm(784, h1, h2, context.NewGenerator());
        dbm.PreTrain(train, pre, context.NewGenerator());
        AddDbm(table, dbm, $"DBM 784-{h1}-{h2}", "pre-trained", train, test, clock);
        clock.Restart();
        dbm.Train(train, joint, context.NewGenerator(),
            (e, err) => context.Log($"DBM {h1}-{h2}: epoch {e + 1} mean-field reconstruction {err:F2}"));
        AddDbm(table, dbm, $"DBM 784-{h1}-{h2}", "jointly trained", train, test, clock);
        var rows = table.Rows;
        context.Finding($"Exact test log-likelihood: RBM 784-{h1} {(double)rows[0][3]:F2}, DBM 784-{h1}-{h2} " +
            $"{(double)rows[1][3]:F2} after pre-training and {(double)rows[2][3]:F2} after joint training (nats per " +
            "image).");

        // A large DBM: no exact likelihood, but samples and the mean-field reconstruction.
        int b1 = context.Choose(500, 32), b2 = context.Choose(500, 16), largeEpochs = context.Choose(10, 1);
        clock.Restart();
        var large = new Dbm(784, b1, b2, context.NewGenerator());
        large.PreTrain(train, pre with { Epochs = largeEpochs }, context.NewGenerator());
        var errors = large.Train(train, joint with { Epochs = largeEpochs }, context.NewGenerator(),
            (e, err) => context.Log($"DBM {b1}-{b2}: epoch {e + 1} mean-field reconstruction {err:F2}"));
        var big = context.Table("large", $"DBM 784-{b1}-{b2}", "epochs (pre-training per layer, joint)",
            "mean-field reconstruction error, first → last joint epoch", "wall s");
        big.Add(largeEpochs, $"{errors[0]:F2} → {errors[^1]:F2}", clock.Elapsed.TotalSeconds);
        int count = context.Choose(64, 16), steps = context.Choose(1000, 20);
        var samples = EnergyData.AsImages(large.Sample(count, steps, context.NewGenerator()));
        Plots.ImageGrid(context.Figure("samples", $"{count} Gibbs chains of the DBM 784-{b1}-{b2} after {steps} " +
                "sweeps from random states: p(v | h₁)"), samples,
            new ImageGridOptions
            {
                Title = $"DBM samples after {steps} sweeps",
                Columns = 8,
                Scale = 2,
                Normalization = ImageNormalization.None
            });
        Plots.ImageGrid(context.Figure("chains", "The persistent training chains' visible states after training"),
            EnergyData.AsImages(large.ChainSamples!.Narrow(0, 0, count)),
            new ImageGridOptions
            {
                Title = "DBM persistent chains",
                Columns = 8,
                Scale = 2,
                Normalization = ImageNormalization.None
            });
    }

    private static void AddDbm(ExperimentTable table, Dbm dbm, string name, string stage, Tensor train, Tensor test,
        Stopwatch clock)
    {
        double seconds = clock.Elapsed.TotalSeconds;
        double logZ = dbm.ExactLogPartition();
        // The training LL on a 1,000-image subset: each image costs 2^H₁·H₂ terms.
        var subset = train.Narrow(0, 0, Math.Min(1000, train.Size(0)));
        table.Add(name, stage, dbm.ExactLogLikelihood(subset, logZ), dbm.ExactLogLikelihood(test, logZ), seconds);
    }
}
