// Deep belief network: a stack of RBMs trained greedily, one layer at a time, each on the hidden probabilities of the
// layer below (Hinton, Osindero & Teh, "A fast learning algorithm for deep belief nets", Neural Computation 2006;
// Hinton & Salakhutdinov, "Reducing the dimensionality of data with neural networks", Science 2006). The stack is a
// generative model (an RBM on top, directed sigmoid layers below) and also a starting point for a feed-forward
// classifier: the recognition weights W and hidden biases c of each RBM become a sigmoid MLP's hidden layers, a fresh
// output layer goes on top, and backpropagation fine-tunes the whole network.
//
// Shapes: N examples, V visible units, H₁ … H_L hidden layer widths, C classes.

using Dendrite.Nn;

namespace Dendrite.Models.Energy;

/// <summary>A stack of binary RBMs, V → H₁ → … → H_L.</summary>
public sealed class Dbn
{
    /// <summary>Layers of widths <paramref name="hidden"/> over <paramref name="visible"/> binary inputs.</summary>
    public Dbn(int visible, IReadOnlyList<int> hidden, Generator? generator = null)
    {
        if (hidden.Count == 0) throw new ArgumentException("Dbn: needs at least one hidden layer");
        var layers = new List<BernoulliRbm>();
        int width = visible;
        foreach (int h in hidden)
        {
            layers.Add(new BernoulliRbm(width, h, generator));
            width = h;
        }
        Layers = layers;
    }

    /// <summary>The RBMs, bottom first.</summary>
    public IReadOnlyList<BernoulliRbm> Layers { get; }

    /// <summary>V.</summary>
    public int Visible => Layers[0].Visible;

    /// <summary>Greedy layer-wise pre-training: each RBM is trained by <paramref name="config"/> on the previous
    /// layer's hidden probabilities (the data for the first). Returns each layer's reconstruction error per epoch;
    /// <paramref name="onEpoch"/> sees (layer, epoch, error).</summary>
    public List<List<double>> PreTrain(Tensor data, RbmTrainingConfig config, Generator generator,
        Action<int, int, double>? onEpoch = null)
    {
        var errors = new List<List<double>>();
        var x = data;                                                       // (N, V)
        for (int l = 0; l < Layers.Count; l++)
        {
            var rbm = Layers[l];
            if (l == 0) rbm.InitVisibleBias(x);
            int layer = l;
            errors.Add(new RbmTrainer(rbm, config, generator).Fit(x, (e, err) => onEpoch?.Invoke(layer, e, err)));
            x = rbm.HiddenProbabilities(x);                                 // (N, H_l)
        }
        return errors;
    }

    /// <summary>The top-down features: the hidden probabilities of the top layer.   (N, V) → (N, H_L)</summary>
    public Tensor Encode(Tensor v)
    {
        foreach (var rbm in Layers) v = rbm.HiddenProbabilities(v);
        return v;
    }

    /// <summary>Samples from the generative model: <paramref name="gibbsSteps"/> steps of Gibbs sampling in the top
    /// RBM from random states, then one top-down pass through the directed layers. Returns the bottom layer's
    /// probabilities p(v | h₁).   → (count, V)</summary>
    public Tensor Sample(int count, int gibbsSteps, Generator generator)
    {
        var top = Layers[^1];
        var x = Tensor.Bernoulli(0.5, [count, top.Visible], generator);
        x = top.Gibbs(x, gibbsSteps, generator);
        for (int l = Layers.Count - 2; l >= 0; l--)
            x = l == 0 ? Layers[0].VisibleMean(x) : Layers[l].SampleVisible(x, generator);
        return Layers.Count == 1 ? top.VisibleMean(top.SampleHidden(x, generator)) : x;
    }

    /// <summary>A sigmoid MLP V → H₁ → … → H_L → <paramref name="classes"/> whose hidden layers start from the
    /// RBMs' W and c; the output layer keeps PyTorch's default initialisation.</summary>
    public Mlp ToClassifier(int classes)
    {
        var mlp = new Mlp(new MlpConfig(Visible, [.. Layers.Select(r => r.Hidden)], classes, "sigmoid"));
        using var _ = Autograd.NoGrad();
        var linears = mlp.Layers.Layers.OfType<Linear>().ToList();
        for (int l = 0; l < Layers.Count; l++)
        {
            linears[l].Weight.CopyFrom(Layers[l].Weight);                     // (H_l, H_{l−1}), the same layout
            linears[l].Bias!.CopyFrom(Layers[l].HiddenBias);
        }
        return mlp;
    }
}
