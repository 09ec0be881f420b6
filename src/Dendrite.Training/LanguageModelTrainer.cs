using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Dendrite.Data;
using Dendrite.IO;
using Dendrite.Nn;
using Dendrite.Nn.Optim;

namespace Dendrite.Training;

// Self-supervised pre-training of a language model on next-token prediction, the recipe of GPT-2 and nanoGPT:
// random windows of the token stream, cross-entropy of every position's prediction of the token after it, AdamW
// with weight decay on the matrices only (not on biases, LayerNorm gains or positional tables of rank < 2), a
// linear warm-up then a cosine decay of the learning rate, gradient clipping at a global norm, and a validation loss
// every so often, in nats per token, as perplexity e^loss and as bits per character (comparable across tokenizers).
// A checkpoint is two files: the model's weights with its metadata (what `dendrite generate` reads) and, beside it,
// the optimizer state and the step, so that a run can resume exactly where it stopped. The batches of step s come
// from a generator seeded by (seed, s), so a resumed run draws the batches an uninterrupted run would have.

/// <summary>Settings of a pre-training run.</summary>
/// <param name="Steps">Optimizer steps in all (a resumed run continues up to this number).</param>
/// <param name="BatchSize">Windows per step.</param>
/// <param name="Context">Tokens per window (at most the model's context).</param>
/// <param name="Lr">Peak learning rate, reached at the end of the warm-up.</param>
/// <param name="MinLrFactor">The cosine decays to Lr × MinLrFactor at the last step.</param>
/// <param name="WarmupSteps">Steps of linear warm-up.</param>
/// <param name="WeightDecay">AdamW's decoupled weight decay λ, on tensors of rank ≥ 2 only.</param>
/// <param name="Beta2">AdamW's β₂ (0.95 as in GPT-3 and nanoGPT, steadier than 0.999 for transformers).</param>
/// <param name="ClipNorm">Global gradient-norm clip.</param>
/// <param name="EvalEvery">Steps between validation evaluations (and checkpoints).</param>
/// <param name="EvalWindows">Validation windows per evaluation (from the start of the validation text); null:
/// all.</param>
/// <param name="Seed">Seed of the batch sampling.</param>
public sealed record PretrainOptions(int Steps = 2000, int BatchSize = 16, int Context = 128, double Lr = 1e-3,
    double MinLrFactor = 0.1, int WarmupSteps = 100, double WeightDecay = 0.1, double Beta2 = 0.95,
    double ClipNorm = 1.0, int EvalEvery = 200, int? EvalWindows = 64, ulong Seed = 0)
{
    /// <summary>Throws naming the first setting out of range.</summary>
    public void Validate()
    {
        if (Steps < 1) throw new ArgumentException($"pretrain: Steps {Steps} < 1");
        if (BatchSize < 1) throw new ArgumentException($"pretrain: BatchSize {BatchSize} < 1");
        if (Context < 1) throw new ArgumentException($"pretrain: Context {Context} < 1");
        if (!(Lr > 0)) throw new ArgumentException($"pretrain: Lr {Lr} must be > 0");
        if (MinLrFactor is < 0 or > 1)
            throw new ArgumentException($"pretrain: MinLrFactor {MinLrFactor} not in [0, 1]");
        if (WarmupSteps < 0 || WarmupSteps >= Steps)
            throw new ArgumentException($"pretrain: WarmupSteps {WarmupSteps} must be in [0, Steps {Steps})");
        if (EvalEvery < 1) throw new ArgumentException($"pretrain: EvalEvery {EvalEvery} < 1");
    }
}

/// <summary>Loss of a language model on a text.</summary>
/// <param name="NatsPerToken">Mean −ln p of each predicted token.</param>
/// <param name="BitsPerCharacter">The same loss in bits per character of text.</param>
/// <param name="Tokens">Tokens predicted.</param>
public sealed record LanguageModelLoss(double NatsPerToken, double BitsPerCharacter, long Tokens)
{
    /// <summary>e^loss: the number of equally likely tokens the model is, on average, choosing among.</summary>
    public double Perplexity => Math.Exp(NatsPerToken);
}

/// <summary>One row of a run's history, written at every evaluation.</summary>
/// <param name="Step">Steps taken.</param>
/// <param name="Lr">Learning rate of the last step.</param>
/// <param name="TrainLoss">Mean training loss (nats/token) since the previous row.</param>
/// <param name="ValidationLoss">Validation loss (nats/token).</param>
/// <param name="BitsPerCharacter">Validation loss in bits per character.</param>
/// <param name="Seconds">Wall time of training so far (resumed runs included, evaluations excluded).</param>
public sealed record PretrainPoint(int Step, double Lr, double TrainLoss, double ValidationLoss,
    double BitsPerCharacter, double Seconds)
{
    /// <summary>e^ValidationLoss.</summary>
    public double Perplexity => Math.Exp(ValidationLoss);
}

/// <summary>Pre-trains a language model (any module mapping ids (B, T) to logits (B, T, V)) on a token
/// corpus.</summary>
public sealed class LanguageModelTrainer
{
    /// <summary>Metadata key of the steps taken, in both checkpoint files.</summary>
    public const string StepKey = "pretrain.step";

    /// <summary>Metadata key of the history (a JSON array of <see cref="PretrainPoint"/>).</summary>
    public const string HistoryKey = "pretrain.history";

    private readonly Module model;
    private readonly Func<Tensor, Tensor> forward;
    private readonly LrScheduler schedule;
    private readonly List<PretrainPoint> history = [];
    private double secondsBefore;

    /// <summary>A trainer for <paramref name="model"/>, whose <paramref name="forward"/> maps ids (B, T) Int64 to
    /// logits (B, T, V).</summary>
    public LanguageModelTrainer(Module model, Func<Tensor, Tensor> forward, TokenCorpus train,
        TokenCorpus validation, PretrainOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(validation);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        (this.model, this.forward, Train, Validation, Options) = (model, forward, train, validation, options);
        (Optimizer, schedule) = AdamWithWarmupCosine(model, options.Lr, options.Beta2, options.WeightDecay,
            options.WarmupSteps, options.Steps, options.MinLrFactor);
    }

    // AdamW with weight decay on the matrices only (biases, norms' scales and other vectors get none), and a linear
    // warm-up into a cosine decay over the remaining steps: the recipe of pre-training and of fine-tuning.
    internal static (AdamW Optimizer, LrScheduler Schedule) AdamWithWarmupCosine(Module model, double lr, double beta2,
        double weightDecay, int warmupSteps, int steps, double minLrFactor)
    {
        var parameters = model.Parameters().Where(p => p.RequiresGrad).ToList();
        var optimizer = new AdamW(
            [
                new ParamGroup(parameters.Where(p => p.Rank >= 2), weightDecay: weightDecay),
                new ParamGroup(parameters.Where(p => p.Rank < 2), weightDecay: 0),
            ],
            lr: lr, beta2: beta2, weightDecay: weightDecay);
        return (optimizer, new WarmupLr(optimizer, warmupSteps, new CosineLr(optimizer, steps - warmupSteps,
            minLrFactor)));
    }

    /// <summary>The training tokens.</summary>
    public TokenCorpus Train { get; }

    /// <summary>The validation tokens.</summary>
    public TokenCorpus Validation { get; }

    /// <summary>The settings.</summary>
    public PretrainOptions Options { get; }

    /// <summary>AdamW over the model's parameters (two groups: with and without weight decay).</summary>
    public AdamW Optimizer { get; }

    /// <summary>Steps taken.</summary>
    public int Step { get; private set; }

    /// <summary>One row per evaluation.</summary>
    public IReadOnlyList<PretrainPoint> History => history;

    /// <summary>The learning rate the next step will use.</summary>
    public double LearningRate => Optimizer.Groups[0].Lr;

    /// <summary>One optimizer step on a random batch; returns its loss (nats/token).</summary>
    public double TrainStep()
    {
        var g = new Generator(unchecked(Options.Seed * 0x9E3779B97F4A7C15UL + (ulong)Step + 1));
        model.Train();
        double loss;
        using (TensorScope.Begin())
        {
            var (x, y) = Train.Batch(Options.BatchSize, Options.Context, g);
            var logits = forward(x);                                                   // (B, T, V)
            int v = logits.Size(2);
            var l = Losses.CrossEntropy(logits.Reshape(-1, v), y.Reshape(-1));
            Optimizer.ZeroGrad();
            l.Backward();
            Clip.GradNorm(model.Parameters(), Options.ClipNorm);
            Optimizer.Step();
            loss = l.Item();
        }
        schedule.Step();
        Step++;
        return loss;
    }

    /// <summary>The loss on <paramref name="corpus"/> over consecutive windows (at most
    /// <paramref name="maxWindows"/>), in evaluation mode without gradients.</summary>
    public LanguageModelLoss Evaluate(TokenCorpus corpus, int? maxWindows = null) =>
        Evaluate(model, forward, corpus, Options.Context, Options.BatchSize, maxWindows);

    /// <summary>The loss of any language model on <paramref name="corpus"/>, in windows of
    /// <paramref name="context"/> tokens.</summary>
    public static LanguageModelLoss Evaluate(Module model, Func<Tensor, Tensor> forward, TokenCorpus corpus,
        int context, int batchSize, int? maxWindows = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentNullException.ThrowIfNull(corpus);
        bool wasTraining = model.Training;
        model.Eval();
        try
        {
            using var noGrad = Autograd.NoGrad();
            double sum = 0;
            long count = 0;
            foreach (var (x, y) in corpus.Windows(context, batchSize, maxWindows))
            {
                using var scope = TensorScope.Begin();
                var logits = forward(x);
                int v = logits.Size(2);
                sum += Losses.CrossEntropy(logits.Reshape(-1, v), y.Reshape(-1), reduction: Reduction.Sum).Item();
                count += y.Numel;
            }
            double nats = sum / count;
            return new LanguageModelLoss(nats, corpus.BitsPerCharacter(nats), count);
        }
        finally
        {
            if (wasTraining) model.Train();
        }
    }

    /// <summary>Trains up to <see cref="PretrainOptions.Steps"/>, evaluating every
    /// <see cref="PretrainOptions.EvalEvery"/> steps and at the end; each evaluation adds a history row, is
    /// reported to <paramref name="onEvaluate"/> and, when <paramref name="checkpoint"/> is given, saves a
    /// checkpoint with <paramref name="metadata"/> (which should name the model and tokenizer).</summary>
    public void Run(Action<PretrainPoint>? onEvaluate = null, string? checkpoint = null,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        var clock = Stopwatch.StartNew();
        double lossSum = 0;
        int lossCount = 0;
        while (Step < Options.Steps)
        {
            double lr = LearningRate;
            lossSum += TrainStep();
            lossCount++;
            if (Step % Options.EvalEvery != 0 && Step != Options.Steps) continue;
            clock.Stop();
            var val = Evaluate(Validation, Options.EvalWindows);
            var point = new PretrainPoint(Step, lr, lossSum / lossCount, val.NatsPerToken, val.BitsPerCharacter,
                secondsBefore + clock.Elapsed.TotalSeconds);
            history.Add(point);
            (lossSum, lossCount) = (0, 0);
            if (checkpoint is not null) Save(checkpoint, metadata ?? new Dictionary<string, string>(), point.Seconds);
            onEvaluate?.Invoke(point);
            clock.Start();
        }
    }

    /// <summary>The file beside a checkpoint that holds the optimizer state.</summary>
    public static string OptimizerPath(string checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        return Path.ChangeExtension(checkpoint, null) + ".optimizer.safetensors";
    }

    /// <summary>Writes the model's weights with <paramref name="metadata"/>, the step and the history to
    /// <paramref name="path"/>, and the optimizer state to <see cref="OptimizerPath"/>.</summary>
    public void Save(string path, IReadOnlyDictionary<string, string> metadata, double seconds)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(metadata);
        var meta = new Dictionary<string, string>(metadata)
        {
            [StepKey] = Step.ToString(CultureInfo.InvariantCulture),
            [HistoryKey] = JsonSerializer.Serialize(history),
            ["pretrain.seconds"] = seconds.ToString("R", CultureInfo.InvariantCulture),
        };
        Safetensors.Save(path, model.StateDict(), meta);
        Safetensors.Save(OptimizerPath(path), Optimizer.StateDict(),
            new Dictionary<string, string> { [StepKey] = meta[StepKey] });
    }

    /// <summary>Restores the weights, optimizer state, step, schedule and history that <see cref="Save"/> wrote;
    /// throws naming the file when the two files disagree or a weight does not fit.</summary>
    public void Resume(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string optimizerPath = OptimizerPath(path);
        if (!File.Exists(optimizerPath))
            throw new IOException($"pretrain: cannot resume from {path}: the optimizer state {optimizerPath} is " +
                "missing");
        var (weights, meta) = Safetensors.Load(path);
        var (state, optimizerMeta) = Safetensors.Load(optimizerPath);
        string step = meta.GetValueOrDefault(StepKey) ?? throw new IOException($"pretrain: {path} has no '{StepKey}'");
        if (optimizerMeta.GetValueOrDefault(StepKey) != step)
            throw new IOException($"pretrain: {path} is at step {step} but {optimizerPath} at step " +
                $"{optimizerMeta.GetValueOrDefault(StepKey) ?? "(none)"}");
        model.LoadStateDict(weights);
        Optimizer.LoadStateDict(state);
        Step = int.Parse(step, CultureInfo.InvariantCulture);
        schedule.Restore(Step);
        history.Clear();
        if (meta.TryGetValue(HistoryKey, out var json))
            history.AddRange(JsonSerializer.Deserialize<List<PretrainPoint>>(json) ?? []);
        secondsBefore = meta.TryGetValue("pretrain.seconds", out var s)
            ? double.Parse(s, CultureInfo.InvariantCulture)
            : 0;
    }
}
