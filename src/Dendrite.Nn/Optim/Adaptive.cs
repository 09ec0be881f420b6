using System.Runtime.Intrinsics;

namespace Dendrite.Nn.Optim;

/// <summary>Adagrad (Duchi et al., 2011): G ← G + g², θ ← θ - η/(1 + (t-1)·decay) · g / (√G + ε).</summary>
public sealed class Adagrad(IEnumerable<ParamGroup> groups, double lr = 0.01, double lrDecay = 0, double weightDecay = 0,
    double eps = 1e-10, double initialAccumulator = 0) : Optimizer(groups, lr, weightDecay)
{
    /// <summary>Adagrad over parameters.</summary>
    public Adagrad(IEnumerable<Parameter> parameters, double lr = 0.01, double lrDecay = 0, double weightDecay = 0,
        double eps = 1e-10, double initialAccumulator = 0)
        : this([new ParamGroup(parameters)], lr, lrDecay, weightDecay, eps, initialAccumulator)
    {
    }

    /// <inheritdoc/>
    protected override void Update(Span<float> p, ReadOnlySpan<float> g, ParamState s, ParamGroup group)
    {
        bool first = !s.Has("sum");
        var sum = s.Buffer("sum", p.Length);
        if (first && initialAccumulator != 0) Array.Fill(sum, (float)initialAccumulator);
        float clr = (float)(group.Lr / (1 + (s.Step - 1) * lrDecay)), wd = (float)group.WeightDecay, e = (float)eps;
        for (int i = 0; i < p.Length; i++)
        {
            float gi = g[i] + wd * p[i];
            sum[i] += gi * gi;
            p[i] -= clr * gi / (MathF.Sqrt(sum[i]) + e);
        }
    }
}

/// <summary>RMSprop (Tieleman &amp; Hinton, 2012): v ← αv + (1-α)g², θ ← θ - η g / (√v + ε); with momentum μ,
/// b ← μb + g/(√v + ε) and θ ← θ - η b.</summary>
public sealed class RmsProp(IEnumerable<ParamGroup> groups, double lr = 0.01, double alpha = 0.99, double eps = 1e-8,
    double weightDecay = 0, double momentum = 0) : Optimizer(groups, lr, weightDecay)
{
    /// <summary>RMSprop over parameters.</summary>
    public RmsProp(IEnumerable<Parameter> parameters, double lr = 0.01, double alpha = 0.99, double eps = 1e-8,
        double weightDecay = 0, double momentum = 0)
        : this([new ParamGroup(parameters)], lr, alpha, eps, weightDecay, momentum)
    {
    }

    /// <inheritdoc/>
    protected override void Update(Span<float> p, ReadOnlySpan<float> g, ParamState s, ParamGroup group)
    {
        var v = s.Buffer("square_avg", p.Length);
        var b = momentum > 0 ? s.Buffer("momentum_buffer", p.Length) : null;
        float lr = (float)group.Lr, wd = (float)group.WeightDecay, a = (float)alpha, e = (float)eps, mu = (float)momentum;
        float oneMinusA = (float)(1 - alpha); // in double, as torch: 1 - 0.9f is 2.4e-7 off 0.1
        for (int i = 0; i < p.Length; i++)
        {
            float gi = g[i] + wd * p[i];
            v[i] = a * v[i] + oneMinusA * gi * gi;
            float avg = MathF.Sqrt(v[i]) + e;
            if (b is null)
            {
                p[i] -= lr * gi / avg;
            }
            else
            {
                b[i] = mu * b[i] + gi / avg;
                p[i] -= lr * b[i];
            }
        }
    }
}

/// <summary>Adam (Kingma &amp; Ba, 2014, arXiv:1412.6980): m ← β₁m + (1-β₁)g, v ← β₂v + (1-β₂)g²,
/// m̂ = m/(1-β₁ᵗ), v̂ = v/(1-β₂ᵗ), θ ← θ - η m̂ / (√v̂ + ε). Weight decay is added to the gradient (L2).</summary>
public sealed class Adam(IEnumerable<ParamGroup> groups, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
    double eps = 1e-8, double weightDecay = 0) : Optimizer(groups, lr, weightDecay)
{
    /// <summary>Adam over parameters.</summary>
    public Adam(IEnumerable<Parameter> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, double weightDecay = 0)
        : this([new ParamGroup(parameters)], lr, beta1, beta2, eps, weightDecay)
    {
    }

    /// <inheritdoc/>
    protected override void Update(Span<float> p, ReadOnlySpan<float> g, ParamState s, ParamGroup group) =>
        AdamStep(p, g, s, group.Lr, beta1, beta2, eps, (float)group.WeightDecay);

    /// <inheritdoc/>
    protected override void StepParameter(Parameter p, Tensor g, ParamState s, ParamGroup group) =>
        ParallelAdam(p, g, s, group.Lr, beta1, beta2, eps, (float)group.WeightDecay, decay: 1);

    // The Adam update is element-wise, so a large parameter is updated as independent slices on all threads.
    internal static void ParallelAdam(Parameter p, Tensor g, ParamState s, double lr, double beta1, double beta2,
        double eps, float l2, float decay)
    {
        int n = p.Numel;
        var m = s.Buffer("exp_avg", n);
        var v = s.Buffer("exp_avg_sq", n);
        Threading.For(n, SliceGrain, (start, end) =>
        {
            var ps = p.AsSpan<float>().Slice(start, end - start);
            if (decay != 1)
            {
                for (int i = 0; i < ps.Length; i++) ps[i] *= decay;
            }
            AdamStep(ps, g.AsSpan<float>().Slice(start, end - start), m.AsSpan(start, end - start),
                v.AsSpan(start, end - start), s.Step, lr, beta1, beta2, eps, l2);
        });
    }

    /// <summary>Smallest slice worth a thread of its own.</summary>
    internal const int SliceGrain = 1 << 15;

    internal static void AdamStep(Span<float> p, ReadOnlySpan<float> g, ParamState s, double lr, double beta1, double beta2,
        double eps, float l2) =>
        AdamStep(p, g, s.Buffer("exp_avg", p.Length), s.Buffer("exp_avg_sq", p.Length), s.Step, lr, beta1, beta2, eps, l2);

    private static void AdamStep(Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v, long step, double lr,
        double beta1, double beta2, double eps, float l2)
    {
        double bc1 = 1 - Math.Pow(beta1, step), bc2 = 1 - Math.Pow(beta2, step);
        float b1 = (float)beta1, b2 = (float)beta2, e = (float)eps;
        // 1 - β in double, as torch: in float32, 1 - 0.999f is 4.7e-5 (relative) off 0.001
        float oneMinusB1 = (float)(1 - beta1), oneMinusB2 = (float)(1 - beta2);
        float stepSize = (float)(lr / bc1), sqrtBc2 = (float)Math.Sqrt(bc2);
        int i = 0;
        if (Vector512.IsHardwareAccelerated && l2 == 0)
        {
            // The same operations in the same order as the scalar loop below, 16 lanes at a time.
            var vb1 = Vector512.Create(b1);
            var vb2 = Vector512.Create(b2);
            var c1 = Vector512.Create(oneMinusB1);
            var c2 = Vector512.Create(oneMinusB2);
            var vs = Vector512.Create(stepSize);
            var vq = Vector512.Create(sqrtBc2);
            var ve = Vector512.Create(e);
            for (; i <= p.Length - 16; i += 16)
            {
                var gi = Vector512.Create(g.Slice(i, 16));
                var mi = Vector512.Create((ReadOnlySpan<float>)m.Slice(i, 16)) * vb1 + gi * c1;
                var vi = Vector512.Create((ReadOnlySpan<float>)v.Slice(i, 16)) * vb2 + gi * gi * c2;
                mi.CopyTo(m.Slice(i, 16));
                vi.CopyTo(v.Slice(i, 16));
                var pi = Vector512.Create((ReadOnlySpan<float>)p.Slice(i, 16));
                (pi - vs * mi / (Vector512.Sqrt(vi) / vq + ve)).CopyTo(p.Slice(i, 16));
            }
        }
        for (; i < p.Length; i++)
        {
            float gi = g[i] + l2 * p[i];
            m[i] = m[i] * b1 + gi * oneMinusB1;
            v[i] = v[i] * b2 + gi * gi * oneMinusB2;
            p[i] -= stepSize * m[i] / (MathF.Sqrt(v[i]) / sqrtBc2 + e);
        }
    }
}

/// <summary>AdamW (Loshchilov &amp; Hutter, 2017, arXiv:1711.05101): Adam with decoupled weight decay,
/// θ ← θ(1 - ηλ) before the Adam step.</summary>
public sealed class AdamW(IEnumerable<ParamGroup> groups, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
    double eps = 1e-8, double weightDecay = 0.01) : Optimizer(groups, lr, weightDecay)
{
    /// <summary>AdamW over parameters.</summary>
    public AdamW(IEnumerable<Parameter> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, double weightDecay = 0.01)
        : this([new ParamGroup(parameters)], lr, beta1, beta2, eps, weightDecay)
    {
    }

    /// <inheritdoc/>
    protected override void Update(Span<float> p, ReadOnlySpan<float> g, ParamState s, ParamGroup group)
    {
        float decay = (float)(1 - group.Lr * group.WeightDecay);
        for (int i = 0; i < p.Length; i++) p[i] *= decay;
        Adam.AdamStep(p, g, s, group.Lr, beta1, beta2, eps, 0);
    }

    /// <inheritdoc/>
    protected override void StepParameter(Parameter p, Tensor g, ParamState s, ParamGroup group) =>
        Adam.ParallelAdam(p, g, s, group.Lr, beta1, beta2, eps, 0, decay: (float)(1 - group.Lr * group.WeightDecay));
}
