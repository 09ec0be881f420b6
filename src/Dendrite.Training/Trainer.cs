using Dendrite.Data;
using Dendrite.Nn;
using Dendrite.Nn.Optim;
using Expr = System.Linq.Expressions.Expression;

namespace Dendrite.Training;

/// <summary>What one epoch produced: mean training loss and, when validation data is given, its loss and accuracy.</summary>
public sealed record EpochResult(int Epoch, double TrainLoss, double TrainAccuracy, double? ValLoss, double? ValAccuracy,
    double Seconds, double LearningRate);

/// <summary>The per-epoch results of a run.</summary>
public sealed class History
{
    /// <summary>Epochs in order.</summary>
    public List<EpochResult> Epochs { get; } = [];
}

/// <summary>Hooks into <see cref="Trainer.Fit"/> (Keras-style, five of them).</summary>
public interface ICallback
{
    /// <summary>Before the first epoch.</summary>
    void OnTrainBegin(Trainer trainer)
    {
    }

    /// <summary>Before each epoch.</summary>
    void OnEpochBegin(Trainer trainer, int epoch)
    {
    }

    /// <summary>After each batch, with its loss.</summary>
    void OnBatchEnd(Trainer trainer, int epoch, int batch, double loss)
    {
    }

    /// <summary>After each epoch (validation included).</summary>
    void OnEpochEnd(Trainer trainer, EpochResult result)
    {
    }

    /// <summary>After the last epoch (or an early stop).</summary>
    void OnTrainEnd(Trainer trainer)
    {
    }
}

/// <summary>
/// The training loop users would write (forward, loss, zero-grad, backward, clip, step), packaged with
/// validation, metrics and callbacks. Each batch runs in a <see cref="TensorScope"/>, so its intermediates go back
/// to the pool.
/// The model runs through its call path (<see cref="ModuleExtensions.Call"/>), so its forward hooks fire.
/// </summary>
public sealed class Trainer
{
    private readonly Func<Tensor, Tensor> forward;
    private readonly Func<Tensor, Tensor, Tensor> loss;

    /// <summary>Trains <paramref name="model"/> (one tensor in, one out) with <paramref name="loss"/>(output, target).
    /// </summary>
    public Trainer(Module model, Optimizer optimizer, Func<Tensor, Tensor, Tensor> loss)
        : this(model, CallOf(model), optimizer, loss)
    {
    }

    /// <summary>Trains <paramref name="model"/> with a loss written as a method with optional parameters after
    /// (output, target), such as <c>Losses.CrossEntropy</c>: the optional ones take their default values.</summary>
    public Trainer(Module model, Optimizer optimizer, Delegate loss)
        : this(model, CallOf(model), optimizer, Adapt(loss))
    {
    }

    /// <summary>Trains a model whose forward is not a single-tensor <see cref="ILayer"/>: <paramref name="forward"/>
    /// maps a batch of inputs to the outputs the loss takes.</summary>
    public Trainer(Module model, Func<Tensor, Tensor> forward, Optimizer optimizer, Func<Tensor, Tensor, Tensor> loss)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(loss);
        Model = model;
        this.forward = forward;
        Optimizer = optimizer;
        this.loss = loss;
    }

    private static Func<Tensor, Tensor> CallOf(Module model) => model is ILayer layer
        ? layer.Call
        : throw new ArgumentException($"Trainer: {model?.GetType().Name ?? "null"} does not take one tensor (it is " +
            "not an ILayer); pass its forward: new Trainer(model, x => …, optimizer, loss)");

    // (output, target, optional…) → (output, target): the optional parameters are bound to their defaults once.
    private static Func<Tensor, Tensor, Tensor> Adapt(Delegate loss)
    {
        ArgumentNullException.ThrowIfNull(loss);
        if (loss is Func<Tensor, Tensor, Tensor> plain) return plain;
        var ps = loss.Method.GetParameters();
        bool fits = ps.Length >= 2 && ps[0].ParameterType == typeof(Tensor) && ps[1].ParameterType == typeof(Tensor) &&
            ps.Skip(2).All(p => p.HasDefaultValue) && typeof(Tensor).IsAssignableFrom(loss.Method.ReturnType);
        if (!fits)
            throw new ArgumentException(
                $"Trainer: loss {loss.Method.Name}({string.Join(", ", ps.Select(p => p.ParameterType.Name))}) " +
                "must take (Tensor output, Tensor target) and nothing but optional parameters after them");
        var output = Expr.Parameter(typeof(Tensor), "output");
        var target = Expr.Parameter(typeof(Tensor), "target");
        var args = new List<Expr> { output, target };
        foreach (var p in ps.Skip(2))
        {
            object? value = p.DefaultValue;
            if (p.ParameterType.IsEnum && value is not null && !p.ParameterType.IsInstanceOfType(value))
                value = Enum.ToObject(p.ParameterType, value);
            args.Add(Expr.Constant(value, p.ParameterType));
        }
        var call = Expr.Invoke(Expr.Constant(loss), args);
        return Expr.Lambda<Func<Tensor, Tensor, Tensor>>(call, output, target).Compile();
    }

    /// <summary>The model being trained.</summary>
    public Module Model { get; }

    /// <summary>The optimizer.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>Clip gradients to this joint L2 norm when set.</summary>
    public double? ClipNorm { get; init; }

    /// <summary>Set by a callback to end training after the current epoch.</summary>
    public bool StopRequested { get; set; }

    /// <summary>Epochs completed (also restored from a checkpoint).</summary>
    public int Epoch { get; set; }

    /// <summary>The example order of the epoch in progress.</summary>
    public long[]? EpochOrder { get; private set; }

    /// <summary>Batches finished in the epoch in progress.</summary>
    public int BatchInEpoch { get; private set; }

    /// <summary>Sum of batch losses (weighted by batch size), correct predictions and examples seen so far in the
    /// epoch in progress.</summary>
    public (double LossSum, long Correct, long Seen) EpochTotals { get; private set; }

    /// <summary>The epoch the <see cref="Fit"/> in progress trains until (0 outside Fit).</summary>
    public int TargetEpoch { get; private set; }

    /// <summary>Trains <paramref name="epochs"/> more epochs (as Keras: a second <c>Fit(loader, epochs: 1)</c> runs
    /// one more epoch), validating on <paramref name="validation"/> after each epoch when given. An epoch left
    /// unfinished by a checkpoint counts as the first of them. <paramref name="untilEpoch"/> instead trains until that
    /// many epochs are complete in total, which is what resuming a run from its checkpoint needs
    /// (<c>Fit(loader, untilEpoch: 10)</c>). With <paramref name="verbose"/> (the default) a
    /// <see cref="ProgressPrinter"/> reports progress unless <paramref name="callbacks"/> holds one already.</summary>
    public History Fit(DataLoader train, int? epochs = null, (Tensor X, Tensor Y)? validation = null,
        IReadOnlyList<ICallback>? callbacks = null, int? untilEpoch = null, bool verbose = true)
    {
        ArgumentNullException.ThrowIfNull(train);
        int target = (epochs, untilEpoch) switch
        {
            (int n, null) when n >= 0 => Epoch + n,
            (null, int total) when total >= 0 => total,
            (null, null) => throw new ArgumentException(
                "Fit: give epochs (how many more to train) or untilEpoch (the total to reach, to resume a run)"),
            (int, int) => throw new ArgumentException(
                $"Fit: give epochs ({epochs} more) or untilEpoch ({untilEpoch} in total), not both"),
            _ => throw new ArgumentException(
                $"Fit: epochs {epochs} and untilEpoch {untilEpoch} must not be negative"),
        };
        var all = new List<ICallback>(callbacks ?? []);
        var printer = all.OfType<ProgressPrinter>().FirstOrDefault();
        if (printer is null && verbose)
        {
            printer = new ProgressPrinter();
            all.Add(printer);
        }
        TargetEpoch = target;
        try
        {
            return printer is not null && printer.Live
                ? printer.RunLive(() => FitUntil(train, target, validation, all))
                : FitUntil(train, target, validation, all);
        }
        finally
        {
            TargetEpoch = 0;
        }
    }

    private History FitUntil(DataLoader train, int target, (Tensor X, Tensor Y)? validation, List<ICallback> callbacks)
    {
        var history = new History();
        foreach (var c in callbacks) c.OnTrainBegin(this);
        StopRequested = false;
        while (Epoch < target && !StopRequested)
        {
            int epoch = Epoch + 1;
            foreach (var c in callbacks) c.OnEpochBegin(this, epoch);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            Model.Train();
            EpochOrder ??= train.NextOrder();
            var (lossSum, correct, seen) = EpochTotals;
            foreach (var (x, y) in train.Batches(EpochOrder, BatchInEpoch))
            {
                double l = TrainStep(x, y, out long right);
                lossSum += l * x.Size(0);
                correct += right;
                seen += x.Size(0);
                EpochTotals = (lossSum, correct, seen);
                BatchInEpoch++;
                foreach (var c in callbacks) c.OnBatchEnd(this, epoch, BatchInEpoch - 1, l);
            }
            double seconds = clock.Elapsed.TotalSeconds;
            double? valLoss = null, valAcc = null;
            if (validation is var (vx, vy))
            {
                var (vl, va) = Evaluate(vx, vy);
                valLoss = vl;
                valAcc = va;
            }
            Epoch = epoch;
            EpochOrder = null;
            BatchInEpoch = 0;
            EpochTotals = default;
            var result = new EpochResult(epoch, lossSum / Math.Max(1, seen), (double)correct / Math.Max(1, seen),
                valLoss, valAcc, seconds, Optimizer.Groups[0].Lr);
            history.Epochs.Add(result);
            foreach (var c in callbacks) c.OnEpochEnd(this, result);
        }
        foreach (var c in callbacks) c.OnTrainEnd(this);
        return history;
    }

    /// <summary>Writes model, optimizer and trainer state (epoch, position within the epoch and its example order,
    /// random generators, the augmentation's included when the loader has a transform) to a safetensors file,
    /// atomically.</summary>
    public void SaveCheckpoint(string path, DataLoader train, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var d = new Dictionary<string, Tensor>();
        foreach (var (k, v) in Model.StateDict()) d["model." + k] = v;
        foreach (var (k, v) in Optimizer.StateDict()) d["optim." + k] = v;
        d["trainer.epoch"] = Tensor.Scalar(Epoch, DType.Int64);
        d["trainer.batch"] = Tensor.Scalar(BatchInEpoch, DType.Int64);
        d["trainer.totals"] = Tensor.From([EpochTotals.LossSum, EpochTotals.Correct, EpochTotals.Seen]);
        if (EpochOrder is not null) d["trainer.order"] = Tensor.From(EpochOrder);
        d["rng.default"] = State(Generator.Default);
        d["rng.loader"] = State(train.Generator);
        if (train.Transform is not null) d["rng.transform"] = State(train.TransformGenerator);
        var meta = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>())
        {
            ["format"] = "dendrite-checkpoint/1",
            ["model"] = Model.GetType().Name,
            ["optimizer"] = Optimizer.GetType().Name,
        };
        Dendrite.IO.Safetensors.Save(path, d, meta);
    }

    /// <summary>Restores everything <see cref="SaveCheckpoint"/> wrote, so that <see cref="Fit"/> continues the run
    /// exactly (same seed and thread count give the same weights as an uninterrupted run). The checkpoint is
    /// validated whole before anything is applied: counters in range, the example order a permutation of the
    /// data, generator states usable, learning rates finite and non-negative, every weight of the model's dtype
    /// and (unless <paramref name="allowNonFinite"/>) finite. A bad checkpoint fails with a
    /// <see cref="Dendrite.IO.SafetensorsFormatException"/> naming the file and the field, and changes
    /// nothing.</summary>
    public IReadOnlyDictionary<string, string> LoadCheckpoint(string path, DataLoader train,
        bool allowNonFinite = false)
    {
        ArgumentNullException.ThrowIfNull(train);
        var (d, meta) = Dendrite.IO.Safetensors.Load(path);
        Dendrite.IO.SafetensorsFormatException Bad(string field, string message) => new($"{path}: {field}: {message}");
        Tensor Need(string key) => d.TryGetValue(key, out var t) ? t : throw Bad(key, "checkpoint has no such tensor");
        long Count(string key)
        {
            var t = Need(key);
            if (t.DType != DType.Int64 || t.Numel != 1)
                throw Bad(key, $"must be one INT64 value, got {t.DType} {Shapes.Format(t.Shape)}");
            long v = (long)t.Item();
            return v is < 0 or > int.MaxValue ? throw Bad(key, $"{v} is out of range 0..{int.MaxValue}") : v;
        }
        ulong[] State(string key)
        {
            var t = Need(key);
            if (t.DType != DType.Int64 || t.Numel != 5)
                throw Bad(key, $"a generator state is 5 INT64 words, got {t.DType} {Shapes.Format(t.Shape)}");
            var bits = Bits(t);
            try
            {
                new Generator(0).SetState(bits);
            }
            catch (ArgumentException e)
            {
                throw Bad(key, e.Message);
            }
            return bits;
        }
        // Everything is read and checked before anything is changed, and model and optimizer are restored when
        // loading either fails, so a bad checkpoint leaves the trainer as it was.
        long n = train.Length;
        long epoch = Count("trainer.epoch"), batch = Count("trainer.batch");
        if (batch > train.Count)
            throw Bad("trainer.batch", $"{batch} is past the {train.Count} batches of an epoch");
        var totalsTensor = Need("trainer.totals");
        var totals = totalsTensor.Numel == 3 && totalsTensor.DType.IsFloating()
            ? totalsTensor.ToArray<double>()
            : throw Bad("trainer.totals", $"must be 3 floating values, got {totalsTensor.DType} "
                + Shapes.Format(totalsTensor.Shape));
        if (!double.IsFinite(totals[0]))
            throw Bad("trainer.totals", $"loss sum {totals[0]} is not finite");
        if (totals[2] is < 0 or > int.MaxValue || totals[2] != Math.Floor(totals[2]) || totals[2] > n * (epoch + 1))
            throw Bad("trainer.totals", $"examples seen {totals[2]} is not a whole number in 0..{n * (epoch + 1)}");
        if (totals[1] < 0 || totals[1] > totals[2] || totals[1] != Math.Floor(totals[1]))
            throw Bad("trainer.totals", $"correct count {totals[1]} is not a whole number in 0..{totals[2]}");
        long[]? order = null;
        if (d.TryGetValue("trainer.order", out var o))
        {
            if (o.DType != DType.Int64 || o.Rank != 1 || o.Numel != n)
                throw Bad("trainer.order", $"must be {n} INT64 indices (a permutation of the data), got {o.DType} "
                    + Shapes.Format(o.Shape));
            order = o.ToArray<long>();
            var seen = new bool[n];
            for (int i = 0; i < order.Length; i++)
            {
                long v = order[i];
                if (v < 0 || v >= n || seen[v])
                    throw Bad("trainer.order", $"index {v} at position {i} is out of range 0..{n - 1} or repeated");
                seen[v] = true;
            }
        }
        var rngDefault = State("rng.default");
        var rngLoader = State("rng.loader");
        // The augmentation's generator: absent from checkpoints of runs without augmentation, which leave the
        // loader's as it is.
        var rngTransform = d.ContainsKey("rng.transform") ? State("rng.transform") : null;
        var modelState = Section(d, "model.");
        var optimState = Section(d, "optim.");
        var current = Model.StateDict();
        foreach (var (key, t) in modelState)
        {
            if (current.TryGetValue(key, out var mine) && mine.DType != t.DType)
                throw Bad("model." + key, $"is {t.DType}, the model's is {mine.DType}");
            if (!allowNonFinite && t.DType.IsFloating() && !t.ToArray<double>().All(double.IsFinite))
                throw Bad("model." + key, "holds NaN or infinite values (allowNonFinite: true accepts them)");
        }
        foreach (var (key, t) in optimState)
        {
            bool rate = key.EndsWith(".lr", StringComparison.Ordinal);
            if (rate && (t.Numel != 1 || !double.IsFinite(t.Item()) || t.Item() < 0))
                throw Bad("optim." + key, $"learning rate must be one finite value ≥ 0, got {t}");
            if (!allowNonFinite && t.DType.IsFloating() && !t.ToArray<double>().All(double.IsFinite))
                throw Bad("optim." + key, "holds NaN or infinite values (allowNonFinite: true accepts them)");
        }
        var modelBefore = Model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Clone());
        var optimBefore = Optimizer.StateDict();
        try
        {
            Model.LoadStateDict(modelState);
            Optimizer.LoadStateDict(optimState);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or KeyNotFoundException
            or IndexOutOfRangeException or FormatException)
        {
            Model.LoadStateDict(modelBefore);
            Optimizer.LoadStateDict(optimBefore);
            throw new Dendrite.IO.SafetensorsFormatException($"{path}: model or optimizer state: {e.Message}", e);
        }
        Generator.Default.SetState(rngDefault);
        train.Generator.SetState(rngLoader);
        if (rngTransform is not null) train.TransformGenerator.SetState(rngTransform);
        Epoch = (int)epoch;
        BatchInEpoch = (int)batch;
        EpochTotals = (totals[0], (long)totals[1], (long)totals[2]);
        EpochOrder = order;
        return meta;
    }

    private static Dictionary<string, Tensor> Section(Dictionary<string, Tensor> d, string prefix) =>
        d.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value);

    private static Tensor State(Generator g) => Tensor.From(g.GetState().Select(u => unchecked((long)u)).ToArray());

    private static ulong[] Bits(Tensor t) => t.ToArray<long>().Select(l => unchecked((ulong)l)).ToArray();

    /// <summary>One optimisation step on a batch; returns the batch loss and counts correct predictions when
    /// targets are class indices.</summary>
    public double TrainStep(Tensor x, Tensor y, out long correct)
    {
        using var scope = TensorScope.Begin();
        var output = forward(x);
        var l = loss(output, y);
        Optimizer.ZeroGrad();
        l.Backward();
        if (ClipNorm is double max) Clip.GradNorm(Model.Parameters(), max);
        Optimizer.Step();
        correct = CountCorrect(output, y);
        return l.Item();
    }

    private static long CountCorrect(Tensor output, Tensor y)
    {
        if (y.DType != DType.Int64 || output.Rank != 2) return 0;
        using var _ = Autograd.NoGrad();
        return (long)output.ArgMax(1).Eq(y).To(DType.Int64).Sum().Item();
    }

    /// <summary>Mean loss and accuracy (0 for non-classification targets) over a dataset, in evaluation mode and
    /// batches of <paramref name="batchSize"/>.</summary>
    public (double Loss, double Accuracy) Evaluate(Tensor x, Tensor y, int batchSize = 1000)
    {
        bool was = Model.Training;
        Model.Eval();
        using var _ = Autograd.NoGrad();
        double lossSum = 0;
        long correct = 0;
        int n = x.Size(0);
        for (int i = 0; i < n; i += batchSize)
        {
            using var scope = TensorScope.Begin();
            int len = Math.Min(batchSize, n - i);
            var xb = x.Narrow(0, i, len);
            var yb = y.Narrow(0, i, len);
            var output = forward(xb);
            lossSum += loss(output, yb).Item() * len;
            correct += CountCorrect(output, yb);
        }
        Model.Train(was);
        return (lossSum / Math.Max(1, n), (double)correct / Math.Max(1, n));
    }

    /// <summary>Model outputs for every row of <paramref name="x"/>, in evaluation mode.</summary>
    public Tensor Predict(Tensor x, int batchSize = 1000)
    {
        bool was = Model.Training;
        Model.Eval();
        using var _ = Autograd.NoGrad();
        var parts = new List<Tensor>();
        for (int i = 0; i < x.Size(0); i += batchSize) parts.Add(forward(x.Narrow(0, i, Math.Min(batchSize, x.Size(0) - i))));
        Model.Train(was);
        return Tensor.Cat(parts, 0);
    }
}
