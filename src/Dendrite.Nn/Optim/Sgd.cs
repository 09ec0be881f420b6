using System.Numerics.Tensors;

namespace Dendrite.Nn.Optim;

/// <summary>Stochastic gradient descent: θ ← θ - η (g + λθ). With the whole training set as one batch this is
/// full-batch gradient descent.</summary>
public sealed class Sgd : Optimizer
{
    /// <summary>SGD over parameters.</summary>
    public Sgd(IEnumerable<Parameter> parameters, double lr, double weightDecay = 0)
        : base([new ParamGroup(parameters)], lr, weightDecay)
    {
    }

    /// <summary>SGD over parameter groups.</summary>
    public Sgd(IEnumerable<ParamGroup> groups, double lr, double weightDecay = 0)
        : base(groups, lr, weightDecay)
    {
    }

    /// <inheritdoc/>
    protected override void Update(Span<float> p, ReadOnlySpan<float> g, ParamState s, ParamGroup group)
    {
        float lr = (float)group.Lr, wd = (float)group.WeightDecay;
        if (wd != 0)
        {
            for (int i = 0; i < p.Length; i++) p[i] -= lr * (g[i] + wd * p[i]);
            return;
        }
        TensorPrimitives.MultiplyAdd(g, -lr, p, p);
    }
}

/// <summary>SGD with momentum (Polyak, 1964; PyTorch's form): b ← μb + (1-τ)g (b = g on the first step),
/// then θ ← θ - η·b, or with Nesterov's look-ahead (Sutskever et al., 2013) θ ← θ - η(g + μb).</summary>
public sealed class Momentum : Optimizer
{
    private readonly float mu, dampening;
    private readonly bool nesterov;

    /// <summary>Momentum SGD over parameters.</summary>
    public Momentum(IEnumerable<Parameter> parameters, double lr, double momentum = 0.9, bool nesterov = false,
        double dampening = 0, double weightDecay = 0)
        : this([new ParamGroup(parameters)], lr, momentum, nesterov, dampening, weightDecay)
    {
    }

    /// <summary>Momentum SGD over parameter groups.</summary>
    public Momentum(IEnumerable<ParamGroup> groups, double lr, double momentum = 0.9, bool nesterov = false,
        double dampening = 0, double weightDecay = 0)
        : base(groups, lr, weightDecay)
    {
        if (nesterov && (momentum <= 0 || dampening != 0))
            throw new ArgumentException("Momentum: Nesterov momentum needs momentum > 0 and no dampening");
        mu = (float)momentum;
        this.dampening = (float)dampening;
        this.nesterov = nesterov;
    }

    /// <inheritdoc/>
    protected override void Update(Span<float> p, ReadOnlySpan<float> g, ParamState s, ParamGroup group)
    {
        float lr = (float)group.Lr, wd = (float)group.WeightDecay;
        bool first = !s.Has("momentum_buffer");
        var b = s.Buffer("momentum_buffer", p.Length);
        for (int i = 0; i < p.Length; i++)
        {
            float gi = g[i] + wd * p[i];
            b[i] = first ? gi : mu * b[i] + (1 - dampening) * gi;
            float step = nesterov ? gi + mu * b[i] : b[i];
            p[i] -= lr * step;
        }
    }
}
