namespace Dendrite.Nn.Optim;

/// <summary>Parameters that share hyper-parameters (fine-tuning gives the pretrained base a lower rate than the
/// new head). Unset values take the optimizer's defaults. A parameter listed twice (tied weights gathered by hand)
/// is kept once, at its first position, so that a step never updates it twice.</summary>
public sealed class ParamGroup(IEnumerable<Parameter> parameters, double? lr = null, double? weightDecay = null)
{
    /// <summary>The distinct parameters of the group, in order of first appearance.</summary>
    public IReadOnlyList<Parameter> Parameters { get; } =
        [.. parameters.Distinct<Parameter>(ReferenceEqualityComparer.Instance)];

    /// <summary>Learning rate (changed by schedulers).</summary>
    public double Lr { get; set; } = lr ?? double.NaN;

    /// <summary>The learning rate the group started with (schedulers scale it).</summary>
    public double InitialLr { get; internal set; } = lr ?? double.NaN;

    /// <summary>Weight decay coefficient.</summary>
    public double WeightDecay { get; set; } = weightDecay ?? double.NaN;
}

/// <summary>Per-parameter optimizer state: the step count and named buffers (moments, accumulators).</summary>
public sealed class ParamState
{
    private readonly Dictionary<string, float[]> buffers = [];

    /// <summary>Number of updates applied to this parameter.</summary>
    public long Step { get; set; }

    /// <summary>The named buffer, created as zeros of length n on first use.</summary>
    public float[] Buffer(string name, int n)
    {
        if (!buffers.TryGetValue(name, out var b)) buffers[name] = b = new float[n];
        return b;
    }

    /// <summary>True once the buffer exists.</summary>
    public bool Has(string name) => buffers.ContainsKey(name);

    /// <summary>All buffers by name.</summary>
    public IReadOnlyDictionary<string, float[]> Buffers => buffers;

    internal void Set(string name, float[] value) => buffers[name] = value;
}

/// <summary>
/// Base of the optimizers: holds parameter groups and per-parameter state; <see cref="Step"/> applies each
/// subclass's <see cref="Update"/> (written in its paper's notation) to every parameter that has a gradient.
/// </summary>
public abstract class Optimizer
{
    private readonly Dictionary<Parameter, ParamState> state = [];

    /// <summary>Creates an optimizer over groups; unset group values take <paramref name="lr"/> and
    /// <paramref name="weightDecay"/>.</summary>
    protected Optimizer(IEnumerable<ParamGroup> groups, double lr, double weightDecay)
    {
        if (lr < 0) throw new ArgumentOutOfRangeException(nameof(lr), $"{GetType().Name}: learning rate must be non-negative, got {lr}");
        Groups = [.. groups];
        if (Groups.All(g => g.Parameters.Count == 0))
            throw new ArgumentException($"{GetType().Name}: optimizer got an empty parameter list " +
                $"({Groups.Count} parameter group(s), none with parameters); pass model.Parameters() of a model that " +
                "has parameters, after its layers are registered");
        var owner = new Dictionary<Parameter, int>(ReferenceEqualityComparer.Instance);
        for (int j = 0; j < Groups.Count; j++)
        {
            foreach (var p in Groups[j].Parameters)
            {
                if (!owner.TryAdd(p, j))
                    throw new ArgumentException($"{GetType().Name}: a parameter of shape {Shapes.Format(p.Shape)} is " +
                        $"in groups {owner[p]} and {j}; each parameter may belong to one group only");
            }
        }
        foreach (var g in Groups)
        {
            if (double.IsNaN(g.Lr)) g.Lr = lr;
            if (double.IsNaN(g.InitialLr)) g.InitialLr = g.Lr;
            if (double.IsNaN(g.WeightDecay)) g.WeightDecay = weightDecay;
            foreach (var p in g.Parameters)
            {
                if (p.DType != DType.Float32)
                    throw new ArgumentException($"{GetType().Name}: parameters must be Float32, got {p.DType} of shape {Shapes.Format(p.Shape)}");
            }
        }
    }

    /// <summary>The parameter groups.</summary>
    public IReadOnlyList<ParamGroup> Groups { get; }

    /// <summary>The state of a parameter (created empty on first use).</summary>
    public ParamState StateOf(Parameter p)
    {
        if (!state.TryGetValue(p, out var s)) state[p] = s = new ParamState();
        return s;
    }

    /// <summary>Applies one update to every parameter that has a gradient.</summary>
    public void Step()
    {
        using var _ = Autograd.NoGrad();
        foreach (var group in Groups)
        {
            foreach (var p in group.Parameters)
            {
                if (p.Grad is null) continue;
                var s = StateOf(p);
                s.Step++;
                StepParameter(p, p.Grad.Contiguous(), s, group);
            }
        }
    }

    /// <summary>Updates one parameter: by default <see cref="Update"/> over the whole parameter. Optimizers whose update
    /// is element-wise override this to update slices of large parameters on several threads.</summary>
    protected virtual void StepParameter(Parameter p, Tensor g, ParamState s, ParamGroup group) =>
        Update(p.AsSpan<float>(), g.AsSpan<float>(), s, group);

    /// <summary>Sets every parameter's gradient to zero, in place: the gradient buffers are reused step after
    /// step instead of being allocated again.</summary>
    public void ZeroGrad()
    {
        foreach (var g in Groups)
        {
            foreach (var p in g.Parameters) p.Grad?.Fill(0);
        }
    }

    /// <summary>Updates parameter values <paramref name="p"/> in place from gradient <paramref name="g"/>.</summary>
    protected abstract void Update(Span<float> p, ReadOnlySpan<float> g, ParamState s, ParamGroup group);

    /// <summary>Optimizer state as named tensors, for checkpoints: <c>state.{i}.step</c> and
    /// <c>state.{i}.{buffer}</c> with i the parameter's position across groups; <c>group.{j}.lr</c>.</summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var d = new Dictionary<string, Tensor>();
        int i = 0;
        for (int j = 0; j < Groups.Count; j++)
        {
            d[$"group.{j}.lr"] = Tensor.Scalar(Groups[j].Lr, DType.Float64);
            foreach (var p in Groups[j].Parameters)
            {
                if (state.TryGetValue(p, out var s))
                {
                    d[$"state.{i}.step"] = Tensor.Scalar(s.Step, DType.Int64);
                    foreach (var (name, buf) in s.Buffers) d[$"state.{i}.{name}"] = Tensor.From(buf);
                }
                i++;
            }
        }
        return d;
    }

    /// <summary>Restores state written by <see cref="StateDict"/> for the same parameter layout.</summary>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> d)
    {
        // Build the new state completely first: a bad entry leaves the current state untouched.
        var loaded = new Dictionary<Parameter, ParamState>();
        var rates = new double[Groups.Count];
        int i = 0;
        for (int j = 0; j < Groups.Count; j++)
        {
            rates[j] = d.TryGetValue($"group.{j}.lr", out var lr) ? lr.Item() : Groups[j].Lr;
            foreach (var p in Groups[j].Parameters)
            {
                string prefix = $"state.{i}.";
                if (d.TryGetValue(prefix + "step", out var step))
                {
                    var s = new ParamState { Step = (long)step.Item() };
                    foreach (var (key, t) in d)
                    {
                        if (!key.StartsWith(prefix, StringComparison.Ordinal) || key == prefix + "step") continue;
                        if (t.Numel != p.Numel)
                            throw new ArgumentException($"optimizer state '{key}' has {t.Numel} values, parameter {i} has {p.Numel}");
                        s.Set(key[prefix.Length..], t.ToFloatArray());
                    }
                    loaded[p] = s;
                }
                i++;
            }
        }
        state.Clear();
        foreach (var (p, s) in loaded) state[p] = s;
        for (int j = 0; j < Groups.Count; j++) Groups[j].Lr = rates[j];
    }
}
