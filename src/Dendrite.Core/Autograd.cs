namespace Dendrite;

/// <summary>Switches for the autograd engine on the current thread.</summary>
public static partial class Autograd
{
    [ThreadStatic] private static int noGradDepth;
    [ThreadStatic] private static int stamp;
    [ThreadStatic] private static List<Tensor>? order;
    [ThreadStatic] private static Stack<(Tensor, int)>? stack;

    /// <summary>False inside a <see cref="NoGrad"/> scope: ops then record nothing.</summary>
    public static bool IsEnabled => noGradDepth == 0;

    /// <summary>When set, every backward rule's results are checked and the first op whose gradient holds NaN or
    /// infinity is named in an exception.</summary>
    public static bool DetectAnomaly { get; set; }

    /// <summary>Turns recording off until the returned scope is disposed: <c>using var _ = Autograd.NoGrad();</c></summary>
    public static NoGradScope NoGrad()
    {
        noGradDepth++;
        return new NoGradScope();
    }

    /// <summary>Ends a <see cref="NoGrad"/> region.</summary>
    public readonly struct NoGradScope : IDisposable
    {
        /// <summary>Restores recording.</summary>
        public void Dispose() => noGradDepth--;
    }

    // Identifies one backward pass among all threads (multi-output ops tell this pass's gradients from stale ones).
    private static long passes;

    [ThreadStatic] internal static long Pass;

    internal static void Run(Tensor root, Tensor gradient) => Run([root], [gradient], null, null, createGraph: false);

    // The engine behind Backward and Grad. With `capture` (tensor → slot) the gradients reaching those tensors are
    // stored in `captured` and no .Grad anywhere is touched; with `createGraph` the backward rules run with
    // recording on, so the gradients are themselves differentiable.
    internal static void Run(ReadOnlySpan<Tensor> roots, ReadOnlySpan<Tensor> gradients,
        Dictionary<Tensor, int>? capture, Tensor?[]? captured, bool createGraph)
    {
        var topo = Sort(roots);
        // Gradients whose storage is newer than this were made by this pass; the caller's own gradient is not.
        int born = Storage.NextSerial;
        long pass = Interlocked.Increment(ref passes);
        for (int i = 0; i < roots.Length; i++)
        {
            var r = roots[i];
            r.PendingGrad = r.PendingGrad is null ? gradients[i] : r.PendingGrad.Add(gradients[i]);
            r.PendingOwned = false;
        }
        long outerPass = Pass;
        Pass = pass;
        if (!createGraph) noGradDepth++;
        try
        {
            foreach (var t in topo) Step(t, capture, captured, createGraph, born);
        }
        finally
        {
            if (!createGraph) noGradDepth--;
            Pass = outerPass;
            // After a failure part of the graph still holds pending gradients; the next pass must not see them.
            foreach (var t in topo)
            {
                t.PendingGrad = null;
                t.PendingOwned = false;
            }
            topo.Clear();
        }
    }

    private static void Step(Tensor t, Dictionary<Tensor, int>? capture, Tensor?[]? captured, bool createGraph,
        int born)
    {
        var g = t.PendingGrad;
        bool owned = t.PendingOwned;
        t.PendingGrad = null;
        t.PendingOwned = false;
        if (g is null) return;
        t.RunHooks(g);
        var fn = t.GradFn;
        if (capture is not null)
        {
            // A captured gradient goes to the caller and one a hook has seen may be held: neither may be summed
            // into in place further down.
            owned &= !t.HasHooks;
            if (capture.TryGetValue(t, out int slot))
            {
                captured![slot] = g;
                owned = false;
            }
        }
        else
        {
            // A gradient a hook has seen may be held by user code, and a retained one becomes t.Grad.
            owned &= !t.HasHooks && !t.RetainsGrad;
            if (fn is null || t.RetainsGrad) t.AccumulateGrad(g, owned);
        }
        if (fn is null) return;
        fn.CheckSaved(t);
        if (createGraph && !fn.Differentiable)
            throw new NotSupportedException(
                $"{fn} backward: its gradient is computed by kernels, not by recorded tensor ops, so it cannot be " +
                "differentiated again (createGraph: true)");
        var inputs = fn.Inputs;
        if (fn.AddIntoInput is { } addInto && !createGraph && !DetectAnomaly && inputs[0] is var only
            && only.PendingGrad is { } pending && only.PendingOwned && pending.DType == g.DType)
        {
            // A view whose input's gradient is already an exclusive buffer of this pass: add into its slice.
            addInto(pending, g);
            return;
        }
        var grads = fn.Backward(g);
        if (grads.Length != inputs.Count)
            throw new InvalidOperationException(
                $"{fn} backward: returned {grads.Length} gradients for {inputs.Count} inputs");
        for (int i = 0; i < grads.Length; i++)
        {
            var gi = grads[i];
            var input = inputs[i];
            if (gi is null || !input.RequiresGrad) continue;
            if (!Shapes.Equal(gi.Shape, input.Shape))
                throw new InvalidOperationException(
                    $"{fn} backward: gradient for input {i} has shape {Shapes.Format(gi.Shape)}, " +
                    $"the input has {Shapes.Format(input.Shape)}");
            if (DetectAnomaly && gi.DType.IsFloating() && !gi.AllFinite())
                throw new ArithmeticException(
                    $"{fn} backward produced NaN or infinity in the gradient of input {i} " +
                    $"(shape {Shapes.Format(input.Shape)})");
            if (input.PendingGrad is null)
            {
                input.PendingGrad = gi;
                input.PendingOwned = Exclusive(gi, i, grads, g, owned, born);
            }
            else if (input.PendingOwned && !createGraph && input.PendingGrad.DType == gi.DType)
            {
                // The buffer is this pass's own and referenced nowhere else: accumulate in place.
                input.PendingGrad.AddInPlace(gi);
            }
            else
            {
                input.PendingGrad = input.PendingGrad.Add(gi);
                input.PendingOwned = Whole(input.PendingGrad, born);
            }
        }
    }

    // Whether gradient `gi` (for input i of a node whose upstream gradient is g) is the only reference to its memory,
    // so that a leaf may keep it as its .Grad instead of a copy (later accumulations write into it in place). It
    // must cover a storage made during this pass that no other gradient of the node shares; the upstream gradient's
    // storage counts only when the node passed on an exclusive upstream gradient to this input alone.
    private static bool Exclusive(Tensor gi, int i, Tensor?[] grads, Tensor g, bool upstreamOwned, int born)
    {
        if (!Whole(gi, born)) return false;
        for (int j = 0; j < grads.Length; j++)
        {
            if (j != i && grads[j] is { } other && ReferenceEquals(other.Storage, gi.Storage)) return false;
        }
        return upstreamOwned || !ReferenceEquals(g.Storage, gi.Storage);
    }

    // A contiguous tensor spanning all of a storage created at or after serial `born`, either garbage-collected or
    // rented by a TensorScope (a leaf that keeps it takes it out of the scope), but not managed by hand.
    private static bool Whole(Tensor t, int born) =>
        t.Storage.MadeSince(born) && !t.Storage.Manual && t.Offset == 0 && t.IsContiguous
        && t.Numel == t.Storage.Length;

    // Reverse topological order (root first, every tensor after all of its consumers), iterative so that
    // graphs unrolled over thousands of time steps do not overflow the call stack.
    private static List<Tensor> Sort(ReadOnlySpan<Tensor> roots)
    {
        order ??= [];
        stack ??= new Stack<(Tensor, int)>();
        order.Clear();
        int mark = ++stamp;
        foreach (var root in roots)
        {
            if (root.Visit == mark) continue;
            stack.Push((root, 0));
            root.Visit = mark;
            Walk(mark);
        }
        order.Reverse();
        return order;
    }

    private static void Walk(int mark)
    {
        while (stack!.Count > 0)
        {
            var (t, next) = stack.Pop();
            var inputs = t.GradFn?.Inputs;
            if (inputs is not null && next < inputs.Count)
            {
                stack.Push((t, next + 1));
                var c = inputs[next];
                if (c.RequiresGrad && c.Visit != mark)
                {
                    c.Visit = mark;
                    stack.Push((c, 0));
                }
                continue;
            }
            order!.Add(t);
        }
    }
}

public partial class Tensor
{
    private bool requiresGrad;
    private List<Action<Tensor>>? hooks;

    internal Tensor? PendingGrad;
    internal bool PendingOwned;
    internal int Visit;

    /// <summary>Whether gradients flow to this tensor. Settable on leaves (tensors not produced by a recorded op).</summary>
    public bool RequiresGrad
    {
        get => requiresGrad;
        set
        {
            if (GradFn is not null && !value)
                throw new InvalidOperationException("RequiresGrad: cannot turn off gradients of a non-leaf tensor; use Detach()");
            if (value && !DType.IsFloating())
                throw new InvalidOperationException($"RequiresGrad: only floating-point tensors can require gradients, not {DType}");
            requiresGrad = value;
        }
    }

    /// <summary>The accumulated gradient: set on leaves by <see cref="Backward"/>, and on intermediates that called
    /// <see cref="RetainGrad"/>.
    /// Replacing it (for example with null before the next step) hands the memory of a gradient that backward made
    /// and nobody read back to the pool, so repeated steps inside a <see cref="TensorScope"/> reuse it.</summary>
    public Tensor? Grad
    {
        get
        {
            gradSeen = true;
            return grad;
        }
        set
        {
            if (grad is { } old && !gradSeen && old.Storage.Adopted && !ReferenceEquals(value?.Storage, old.Storage))
            {
                old.Storage.Release();
            }
            grad = value;
            gradSeen = true;
        }
    }

    private Tensor? grad;

    /// <summary>Grad without counting as a read (checks of the pooling above).</summary>
    internal Tensor? GradUnread => grad;

    // Whether Grad's current value may be referenced outside autograd (read through the getter or set by a caller).
    private bool gradSeen;

    /// <summary>The op that produced this tensor, or null for a leaf.</summary>
    public Node? GradFn { get; private set; }

    /// <summary>True for tensors not produced by a recorded op.</summary>
    public bool IsLeaf => GradFn is null;

    internal bool RetainsGrad { get; private set; }

    /// <summary>Makes <see cref="Backward"/> store this intermediate tensor's gradient in <see cref="Grad"/>.</summary>
    public Tensor RetainGrad()
    {
        RetainsGrad = true;
        return this;
    }

    /// <summary>Calls <paramref name="hook"/> with this tensor's gradient each time backward computes it (before it
    /// flows further), to inspect gradient flow.</summary>
    public Tensor RegisterHook(Action<Tensor> hook)
    {
        (hooks ??= []).Add(hook);
        return this;
    }

    internal bool HasHooks => hooks is { Count: > 0 };

    internal void RunHooks(Tensor g)
    {
        if (hooks is null) return;
        foreach (var h in hooks) h(g);
    }

    /// <summary>Sets <see cref="RequiresGrad"/> and returns this tensor, for chaining.</summary>
    public Tensor RequireGrad(bool value = true)
    {
        RequiresGrad = value;
        return this;
    }

    /// <summary>A tensor sharing this one's storage, cut off from the graph.</summary>
    public Tensor Detach() => new(Storage, shape, strides, Offset);

    /// <summary>Reverse-mode differentiation from this tensor. A scalar needs no <paramref name="gradient"/>; a
    /// non-scalar needs the upstream gradient of its own shape. Gradients accumulate into <see cref="Grad"/>.</summary>
    public void Backward(Tensor? gradient = null)
    {
        if (!RequiresGrad)
            throw new InvalidOperationException("Backward: tensor does not require gradients (no input required them)");
        if (gradient is null)
        {
            if (Numel != 1)
                throw new ArgumentException($"Backward: output of shape {Shapes.Format(shape)} is not a scalar; pass its gradient");
            gradient = OnesLike(this);
        }
        else if (!Shapes.Equal(gradient.Shape, shape))
        {
            throw new ArgumentException(
                $"Backward: gradient of shape {Shapes.Format(gradient.Shape)} does not match output {Shapes.Format(shape)}");
        }
        Autograd.Run(this, gradient);
    }

    // `owned`: nothing else refers to g's memory (see Autograd.Exclusive), so a leaf can keep it rather than a copy.
    internal void AccumulateGrad(Tensor g, bool owned = false)
    {
        if (grad is null || !grad.Storage.IsAlive)
        {
            // A leaf's gradient outlives any TensorScope of the step that produced it: an owned gradient rented by a
            // scope leaves the scope with the leaf (no copy), and goes back to the pool when Grad is replaced before
            // anyone read it (see the Grad setter); anything else is copied into garbage-collected memory.
            if (IsLeaf && owned && g.Storage.Owner is not null)
            {
                g.Storage.Owner = null;
                g.Storage.Adopted = true;
            }
            SetGrad(!IsLeaf || owned ? g : TensorScope.Outside(() => g.Contiguous(force: true)));
            return;
        }
        if (!IsLeaf)
        {
            SetGrad(grad.Add(g));
            return;
        }
        grad.AddInPlace(g);
    }

    // Stores a gradient made by backward; no caller has seen it yet.
    private void SetGrad(Tensor g)
    {
        grad = g;
        gradSeen = false;
    }

    /// <summary>Sets <see cref="GradFn"/> when recording is on and some input requires gradients.
    /// <paramref name="saved"/>: the tensors the backward reads (their versions are checked before it runs);
    /// <paramref name="attributes"/>: the op's arguments, for <see cref="Node.Attributes"/>;
    /// <paramref name="differentiable"/>: false when the backward calls kernels directly (no double backward).
    /// </summary>
    internal Tensor Record(string name, Tensor[] inputs, Func<Tensor, Tensor?[]> backward,
        ReadOnlySpan<Tensor> saved = default, (string Name, object Value)[]? attributes = null,
        bool differentiable = true, Action<Tensor, Tensor>? addIntoInput = null)
    {
        if (!Autograd.IsEnabled) return this;
        foreach (var x in inputs)
        {
            if (x.requiresGrad)
            {
                GradFn = new Node(name, inputs, backward, saved, attributes, differentiable, addIntoInput);
                requiresGrad = true;
                return this;
            }
        }
        return this;
    }

    // Boxed once: attribute values of ops recorded every step should not allocate.
    internal static readonly object True = true, False = false;

    internal static object Box(bool value) => value ? True : False;

    internal static bool Tracks(Tensor a) => a.requiresGrad && Autograd.IsEnabled;

    internal static bool Tracks(Tensor a, Tensor b) => (a.requiresGrad || b.requiresGrad) && Autograd.IsEnabled;
}
