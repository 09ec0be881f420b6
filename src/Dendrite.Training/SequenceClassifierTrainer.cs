using System.Diagnostics;
using Dendrite.Data;
using Dendrite.Nn;
using Dendrite.Nn.Optim;

namespace Dendrite.Training;

// Supervised fine-tuning of a sequence classifier, the second stage of GPT (Radford et al. 2018, §3.2): labelled
// texts encoded with the pre-trained model's tokenizer, batches padded at the end to their longest sequence (with
// the lengths given, so the model can pool the real tokens only), cross-entropy on the class logits, AdamW with
// weight decay on the matrices, a linear warm-up then a cosine decay, gradient clipping, and the validation
// accuracy every so often. The weights of the evaluation with the best validation accuracy are kept and scored once
// on the test part, so that the test set picks nothing.

/// <summary>Labelled token sequences: <c>Ids[i]</c> (at least one token each) has class <c>Labels[i]</c>.</summary>
/// <param name="Ids">Token ids of each text.</param>
/// <param name="Labels">Class of each text, in [0, classes).</param>
public sealed record LabelledTokens(IReadOnlyList<int[]> Ids, long[] Labels)
{
    /// <summary>Number of texts.</summary>
    public int Count => Labels.Length;

    /// <summary>Encodes <paramref name="rows"/> with <paramref name="tokenizer"/>, keeping the first
    /// <paramref name="maxTokens"/> tokens of each; <paramref name="truncated"/> counts the texts cut. An empty text
    /// is an error naming its index.</summary>
    public static LabelledTokens Encode(ITokenizer tokenizer, IReadOnlyList<(string Text, long Label)> rows,
        int maxTokens, out int truncated)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(rows);
        if (maxTokens < 1) throw new ArgumentOutOfRangeException(nameof(maxTokens), $"LabelledTokens: {maxTokens}");
        var ids = new List<int[]>(rows.Count);
        truncated = 0;
        for (int i = 0; i < rows.Count; i++)
        {
            var t = tokenizer.Encode(rows[i].Text);
            if (t.Length == 0) throw new ArgumentException($"LabelledTokens: text {i} encodes to no token");
            if (t.Length > maxTokens)
            {
                t = t[..maxTokens];
                truncated++;
            }
            ids.Add(t);
        }
        return new LabelledTokens(ids, [.. rows.Select(r => r.Label)]);
    }

    /// <summary>The texts at <paramref name="indices"/>, padded with id <paramref name="padId"/> at the end to the
    /// longest of them.   Ids (B, T) Int64, Lengths (B) Int64, Labels (B) Int64</summary>
    public (Tensor Ids, Tensor Lengths, Tensor Labels) Batch(IReadOnlyList<int> indices, int padId = 0)
    {
        ArgumentNullException.ThrowIfNull(indices);
        if (indices.Count == 0) throw new ArgumentException("LabelledTokens: an empty batch");
        int b = indices.Count, t = indices.Max(i => Ids[i].Length);
        var ids = new long[b * t];
        Array.Fill(ids, padId);
        var lengths = new long[b];
        var labels = new long[b];
        for (int r = 0; r < b; r++)
        {
            var seq = Ids[indices[r]];
            for (int j = 0; j < seq.Length; j++) ids[r * t + j] = seq[j];
            lengths[r] = seq.Length;
            labels[r] = Labels[indices[r]];
        }
        return (Tensor.From(ids, b, t), Tensor.From(lengths, b), Tensor.From(labels, b));
    }

    /// <summary>Splits <paramref name="rows"/> at random (a permutation drawn from <paramref name="generator"/>)
    /// into training, validation and test parts, the last two of <paramref name="heldOutFraction"/> each.</summary>
    public static (List<T> Train, List<T> Validation, List<T> Test) Split<T>(IReadOnlyList<T> rows,
        double heldOutFraction, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(generator);
        if (heldOutFraction is <= 0 or >= 0.5)
            throw new ArgumentOutOfRangeException(nameof(heldOutFraction),
                $"Split: heldOutFraction {heldOutFraction} must be in (0, 0.5)");
        var order = Tensor.Randperm(rows.Count, generator).ToArray<long>();
        int held = (int)(rows.Count * heldOutFraction), train = rows.Count - 2 * held;
        return ([.. order.Take(train).Select(i => rows[(int)i])],
            [.. order.Skip(train).Take(held).Select(i => rows[(int)i])],
            [.. order.Skip(train + held).Select(i => rows[(int)i])]);
    }
}

/// <summary>Settings of a fine-tuning run.</summary>
/// <param name="Steps">Optimizer steps in all.</param>
/// <param name="BatchSize">Texts per step (drawn without replacement, reshuffled every pass).</param>
/// <param name="Lr">Peak learning rate, reached at the end of the warm-up.</param>
/// <param name="WarmupSteps">Steps of linear warm-up.</param>
/// <param name="MinLrFactor">The cosine decays to Lr × MinLrFactor at the last step.</param>
/// <param name="WeightDecay">AdamW's decoupled weight decay λ, on tensors of rank ≥ 2 only.</param>
/// <param name="ClipNorm">Global gradient-norm clip.</param>
/// <param name="EvalEvery">Steps between validation evaluations.</param>
/// <param name="Seed">Seed of the batch order.</param>
public sealed record FineTuneOptions(int Steps = 600, int BatchSize = 32, double Lr = 5e-4, int WarmupSteps = 60,
    double MinLrFactor = 0.1, double WeightDecay = 0.01, double ClipNorm = 1.0, int EvalEvery = 50, ulong Seed = 0)
{
    /// <summary>Throws naming the first setting out of range.</summary>
    public void Validate()
    {
        if (Steps < 1) throw new ArgumentException($"finetune: Steps {Steps} < 1");
        if (BatchSize < 1) throw new ArgumentException($"finetune: BatchSize {BatchSize} < 1");
        if (!(Lr > 0)) throw new ArgumentException($"finetune: Lr {Lr} must be > 0");
        if (WarmupSteps < 0 || WarmupSteps >= Steps)
            throw new ArgumentException($"finetune: WarmupSteps {WarmupSteps} must be in [0, Steps {Steps})");
        if (MinLrFactor is < 0 or > 1)
            throw new ArgumentException($"finetune: MinLrFactor {MinLrFactor} not in [0, 1]");
        if (EvalEvery < 1) throw new ArgumentException($"finetune: EvalEvery {EvalEvery} < 1");
    }
}

/// <summary>Loss and accuracy of a classifier on labelled texts.</summary>
/// <param name="Loss">Mean cross-entropy (nats).</param>
/// <param name="Accuracy">Fraction classified right.</param>
public sealed record ClassificationScore(double Loss, double Accuracy);

/// <summary>One row of a fine-tuning run's history.</summary>
/// <param name="Step">Steps taken.</param>
/// <param name="TrainLoss">Mean training loss since the previous row.</param>
/// <param name="TrainAccuracy">Training-batch accuracy since the previous row.</param>
/// <param name="ValidationLoss">Validation loss.</param>
/// <param name="ValidationAccuracy">Validation accuracy.</param>
/// <param name="Seconds">Wall time of training so far (evaluations excluded).</param>
public sealed record FineTunePoint(int Step, double TrainLoss, double TrainAccuracy, double ValidationLoss,
    double ValidationAccuracy, double Seconds);

/// <summary>Fine-tunes a sequence classifier (any module mapping ids (B, T) and lengths (B) to logits (B, K)) on
/// labelled token sequences.</summary>
public sealed class SequenceClassifierTrainer
{
    private readonly Module model;
    private readonly Func<Tensor, Tensor, Tensor> forward;
    private readonly LrScheduler schedule;
    private readonly List<FineTunePoint> history = [];
    private int[] order = [];
    private int position, passes;
    private Dictionary<string, Tensor>? bestState;

    /// <summary>A trainer for <paramref name="model"/>, whose <paramref name="forward"/> maps ids (B, T) Int64
    /// padded at the end and lengths (B) Int64 to class logits (B, K).</summary>
    public SequenceClassifierTrainer(Module model, Func<Tensor, Tensor, Tensor> forward, LabelledTokens train,
        LabelledTokens validation, FineTuneOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(validation);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (train.Count == 0 || validation.Count == 0)
            throw new ArgumentException($"finetune: {train.Count} training and {validation.Count} validation texts");
        (this.model, this.forward, Train, Validation, Options) = (model, forward, train, validation, options);
        (Optimizer, schedule) = LanguageModelTrainer.AdamWithWarmupCosine(model, options.Lr, beta2: 0.999,
            options.WeightDecay, options.WarmupSteps, options.Steps, options.MinLrFactor);
    }

    /// <summary>The training texts.</summary>
    public LabelledTokens Train { get; }

    /// <summary>The validation texts.</summary>
    public LabelledTokens Validation { get; }

    /// <summary>The settings.</summary>
    public FineTuneOptions Options { get; }

    /// <summary>AdamW over the model's parameters.</summary>
    public AdamW Optimizer { get; }

    /// <summary>Steps taken.</summary>
    public int Step { get; private set; }

    /// <summary>One row per evaluation.</summary>
    public IReadOnlyList<FineTunePoint> History => history;

    /// <summary>The evaluation with the best validation accuracy so far (its weights are kept), or null.</summary>
    public FineTunePoint? Best { get; private set; }

    // The next batch of indices: a pass over the training texts in an order drawn from (seed, pass), so the batches
    // depend on the seed only.
    private int[] NextIndices()
    {
        var batch = new int[Math.Min(Options.BatchSize, Train.Count)];
        for (int i = 0; i < batch.Length; i++)
        {
            if (position == order.Length)
            {
                var g = new Generator(unchecked(Options.Seed * 0x9E3779B97F4A7C15UL + (ulong)passes++ + 1));
                order = [.. Tensor.Randperm(Train.Count, g).ToArray<long>().Select(x => (int)x)];
                position = 0;
            }
            batch[i] = order[position++];
        }
        return batch;
    }

    /// <summary>One optimizer step on the next batch; returns its loss and accuracy.</summary>
    public (double Loss, double Accuracy) TrainStep()
    {
        model.Train();
        double loss, accuracy;
        using (TensorScope.Begin())
        {
            var (ids, lengths, labels) = Train.Batch(NextIndices());
            var logits = forward(ids, lengths);                                        // (B, K)
            var l = Losses.CrossEntropy(logits, labels);
            Optimizer.ZeroGrad();
            l.Backward();
            Clip.GradNorm(model.Parameters(), Options.ClipNorm);
            Optimizer.Step();
            loss = l.Item();
            accuracy = Correct(logits, labels) / (double)labels.Numel;
        }
        schedule.Step();
        Step++;
        return (loss, accuracy);
    }

    private static int Correct(Tensor logits, Tensor labels)
    {
        var predicted = logits.Detach().ArgMax(1).ToArray<long>();
        var truth = labels.ToArray<long>();
        int n = 0;
        for (int i = 0; i < truth.Length; i++) n += predicted[i] == truth[i] ? 1 : 0;
        return n;
    }

    /// <summary>Loss and accuracy of the model on <paramref name="examples"/>, in evaluation mode without
    /// gradients, in batches of similar lengths.</summary>
    public ClassificationScore Evaluate(LabelledTokens examples) =>
        Evaluate(model, forward, examples, Math.Max(Options.BatchSize, 64));

    /// <summary>Loss and accuracy of any classifier on <paramref name="examples"/>.</summary>
    public static ClassificationScore Evaluate(Module model, Func<Tensor, Tensor, Tensor> forward,
        LabelledTokens examples, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentNullException.ThrowIfNull(examples);
        if (examples.Count == 0) throw new ArgumentException("finetune: nothing to evaluate");
        bool wasTraining = model.Training;
        model.Eval();
        try
        {
            using var noGrad = Autograd.NoGrad();
            // sorted by length so that a batch pads little
            var byLength = Enumerable.Range(0, examples.Count).OrderBy(i => examples.Ids[i].Length).ToArray();
            double sum = 0;
            int correct = 0;
            for (int s = 0; s < byLength.Length; s += batchSize)
            {
                using var scope = TensorScope.Begin();
                var (ids, lengths, labels) = examples.Batch(byLength[s..Math.Min(byLength.Length, s + batchSize)]);
                var logits = forward(ids, lengths);
                sum += Losses.CrossEntropy(logits, labels, reduction: Reduction.Sum).Item();
                correct += Correct(logits, labels);
            }
            return new ClassificationScore(sum / examples.Count, correct / (double)examples.Count);
        }
        finally
        {
            if (wasTraining) model.Train();
        }
    }

    /// <summary>Trains for <see cref="FineTuneOptions.Steps"/>, evaluating every
    /// <see cref="FineTuneOptions.EvalEvery"/> steps and at the end (each evaluation adds a history row and is
    /// reported to <paramref name="onEvaluate"/>), then restores the weights of the best validation
    /// accuracy (the earliest of equals).</summary>
    public void Run(Action<FineTunePoint>? onEvaluate = null)
    {
        var clock = Stopwatch.StartNew();
        double lossSum = 0, accuracySum = 0;
        int count = 0;
        while (Step < Options.Steps)
        {
            var (loss, accuracy) = TrainStep();
            (lossSum, accuracySum, count) = (lossSum + loss, accuracySum + accuracy, count + 1);
            if (Step % Options.EvalEvery != 0 && Step != Options.Steps) continue;
            clock.Stop();
            var val = Evaluate(Validation);
            var point = new FineTunePoint(Step, lossSum / count, accuracySum / count, val.Loss, val.Accuracy,
                clock.Elapsed.TotalSeconds);
            history.Add(point);
            (lossSum, accuracySum, count) = (0, 0, 0);
            if (Best is null || point.ValidationAccuracy > Best.ValidationAccuracy)
            {
                Best = point;
                bestState = model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Detach().Clone());
            }
            onEvaluate?.Invoke(point);
            clock.Start();
        }
        if (bestState is not null) model.LoadStateDict(bestState);
    }
}
