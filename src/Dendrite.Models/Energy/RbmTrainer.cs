// Mini-batch training of an RBM by CD-k or persistent CD with momentum and L2 weight decay, following Hinton's
// "A practical guide to training restricted Boltzmann machines" (2010): batches of 10–100, momentum 0.5 for the first
// epochs then 0.9, weight decay 1e-4 on the weights only, reconstruction error watched as a rough guide only.
//   Δ ← μ·Δ + ε·(g − λ·W),   W ← W + Δ      (g: the CD estimate of ∂ log p / ∂W; biases get no decay)
//
// Shapes: N examples, B batch, V visible units, H hidden units.

namespace Dendrite.Models.Energy;

/// <summary>How to train an <see cref="Rbm"/>.</summary>
/// <param name="Epochs">Passes over the data.</param>
/// <param name="BatchSize">B, examples per update (also the number of persistent chains).</param>
/// <param name="LearningRate">ε. 0.05–0.1 suits binary visibles; Gaussian ones want about 0.001–0.01.</param>
/// <param name="K">Gibbs steps per update (CD-k).</param>
/// <param name="Persistent">Persistent CD (Tieleman 2008): the negative chains carry on from one update to the
/// next instead of restarting at the data.</param>
/// <param name="Momentum">μ after <see cref="MomentumSwitchEpoch"/>; 0.5 before it.</param>
/// <param name="MomentumSwitchEpoch">First epoch (0-based) that uses <see cref="Momentum"/>.</param>
/// <param name="WeightDecay">λ, L2 penalty on W.</param>
/// <param name="DecayToZero">Lower ε linearly to zero over training, as Tieleman does for PCD.</param>
public sealed record RbmTrainingConfig(int Epochs = 10, int BatchSize = 100, double LearningRate = 0.05, int K = 1,
    bool Persistent = false, double Momentum = 0.9, int MomentumSwitchEpoch = 5, double WeightDecay = 1e-4,
    bool DecayToZero = false);

/// <summary>Trains an <see cref="Rbm"/> by (persistent) contrastive divergence; holds the momentum buffers and the
/// persistent chains, so successive <see cref="TrainEpoch"/> calls continue one run.</summary>
public sealed class RbmTrainer
{
    private readonly Rbm rbm;
    private readonly Generator generator;
    private readonly float[] dWeight, dVisible, dHidden;
    private int updates;

    /// <summary>A trainer for <paramref name="rbm"/>; all randomness comes from <paramref name="generator"/>.</summary>
    public RbmTrainer(Rbm rbm, RbmTrainingConfig config, Generator generator)
    {
        if (config.Epochs < 0 || config.BatchSize < 1 || config.K < 1 || config.LearningRate <= 0)
            throw new ArgumentException($"RbmTrainer: invalid configuration {config}");
        this.rbm = rbm;
        this.generator = generator;
        Config = config;
        dWeight = new float[rbm.Hidden * rbm.Visible];
        dVisible = new float[rbm.Visible];
        dHidden = new float[rbm.Hidden];
    }

    /// <summary>The configuration.</summary>
    public RbmTrainingConfig Config { get; }

    /// <summary>The persistent chains' visible states (B, V), once persistent training has started; else
    /// null.</summary>
    public Tensor? Chains { get; private set; }

    /// <summary>Runs every epoch; returns the mean reconstruction error of each (see
    /// <see cref="TrainEpoch"/>).</summary>
    public List<double> Fit(Tensor data, Action<int, double>? onEpoch = null)
    {
        var errors = new List<double>();
        for (int epoch = 0; epoch < Config.Epochs; epoch++)
        {
            errors.Add(TrainEpoch(data, epoch));
            onEpoch?.Invoke(epoch, errors[^1]);
        }
        return errors;
    }

    /// <summary>One pass over <paramref name="data"/> (N, V) in a fresh random order. Returns the squared
    /// reconstruction error per example averaged over the epoch, each batch measured just before its update.</summary>
    public double TrainEpoch(Tensor data, int epoch)
    {
        if (data.Rank != 2 || data.Size(1) != rbm.Visible)
            throw new ArgumentException($"RbmTrainer.TrainEpoch: expected data (N, {rbm.Visible}), got " +
                $"{Shapes.Format(data.Shape)}");
        int n = data.Size(0), b = Config.BatchSize;
        if (n < b) throw new ArgumentException($"RbmTrainer.TrainEpoch: {n} examples is fewer than one batch of {b}");
        var order = Tensor.Randperm(n, generator);
        int batches = n / b;
        double error = 0;
        using var _ = Autograd.NoGrad();
        for (int i = 0; i < batches; i++)
        {
            var v0 = data.IndexSelect(0, order.Narrow(0, i * b, b));                 // (B, V)
            if (Config.Persistent && Chains is null) Chains = v0.Clone();
            error += rbm.ReconstructionError(v0);
            var g = rbm.ContrastiveDivergence(v0, Config.K, generator, Config.Persistent ? Chains : null);
            double progress = (double)(epoch * batches + i) / Math.Max(1, Config.Epochs * batches);
            double lr = Config.DecayToZero ? Config.LearningRate * (1 - progress) : Config.LearningRate;
            Step(g, lr, epoch < Config.MomentumSwitchEpoch ? 0.5 : Config.Momentum);
        }
        return error / batches;
    }

    /// <summary>Applies one update: Δ ← μΔ + ε(g − λW) for W, Δ ← μΔ + εg for the biases, then adds Δ.</summary>
    public void Step(RbmGradient g, double learningRate, double momentum)
    {
        Update(rbm.Weight.AsSpan<float>(), g.Weight.Contiguous().AsReadOnlySpan<float>(), dWeight, learningRate,
            momentum, Config.WeightDecay);
        Update(rbm.VisibleBias.AsSpan<float>(), g.VisibleBias.Contiguous().AsReadOnlySpan<float>(), dVisible,
            learningRate, momentum, 0);
        Update(rbm.HiddenBias.AsSpan<float>(), g.HiddenBias.Contiguous().AsReadOnlySpan<float>(), dHidden,
            learningRate, momentum, 0);
        updates++;
    }

    /// <summary>Updates applied so far.</summary>
    public int Updates => updates;

    private static void Update(Span<float> theta, ReadOnlySpan<float> g, Span<float> delta, double lr, double mu,
        double decay)
    {
        float e = (float)lr, m = (float)mu, l = (float)decay;
        for (int i = 0; i < theta.Length; i++)
        {
            delta[i] = m * delta[i] + e * (g[i] - l * theta[i]);
            theta[i] += delta[i];
        }
    }
}
