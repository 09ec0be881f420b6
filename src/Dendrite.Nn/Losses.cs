namespace Dendrite.Nn;

/// <summary>How a loss combines per-element values.</summary>
public enum Reduction
{
    /// <summary>Average over elements (PyTorch's default).</summary>
    Mean,

    /// <summary>Sum over elements.</summary>
    Sum,

    /// <summary>Per-element values.</summary>
    None,
}

/// <summary>
/// Loss functions of the course, as compositions of tensor primitives. Shapes: prediction and target agree for
/// regression losses; classification losses take (N, C) scores and either (N) Int64 class indices or (N, C)
/// class probabilities.
/// </summary>
public static class Losses
{
    private static Tensor Reduce(Tensor x, Reduction r) => r switch
    {
        Reduction.Mean => x.Mean(),
        Reduction.Sum => x.Sum(),
        _ => x,
    };

    private static void SameShape(string op, Tensor a, Tensor b)
    {
        if (!Shapes.Equal(a.Shape, b.Shape))
            throw new ArgumentException($"{op}: prediction {Shapes.Format(a.Shape)} and target {Shapes.Format(b.Shape)} differ");
    }

    /// <summary>Mean squared error: mean((ŷ - y)²).</summary>
    public static Tensor Mse(Tensor prediction, Tensor target, Reduction reduction = Reduction.Mean)
    {
        SameShape("Mse", prediction, target);
        var d = prediction - target;
        return Reduce(d * d, reduction);
    }

    /// <summary>Mean absolute error (L1 loss): mean(|ŷ - y|).</summary>
    public static Tensor Mae(Tensor prediction, Tensor target, Reduction reduction = Reduction.Mean)
    {
        SameShape("Mae", prediction, target);
        return Reduce((prediction - target).Abs(), reduction);
    }

    /// <summary>Root mean squared error: √MSE.</summary>
    public static Tensor Rmse(Tensor prediction, Tensor target) => Mse(prediction, target).Sqrt();

    /// <summary>Huber loss: ½d² where |d| ≤ δ, δ(|d| - ½δ) elsewhere (d = ŷ - y).</summary>
    public static Tensor Huber(Tensor prediction, Tensor target, double delta = 1, Reduction reduction = Reduction.Mean)
    {
        SameShape("Huber", prediction, target);
        var d = prediction - target;
        var a = d.Abs();
        return Reduce(Tensor.Where(a.Le(Tensor.Scalar(delta, a.DType)), d * d * 0.5, (a - 0.5 * delta) * delta), reduction);
    }

    /// <summary>Binary cross-entropy on probabilities p: -(y log p + (1-y) log(1-p)); logs are clamped at -100
    /// as PyTorch does, so p = 0 or 1 gives a finite loss.</summary>
    public static Tensor BinaryCrossEntropy(Tensor probability, Tensor target, Reduction reduction = Reduction.Mean)
    {
        SameShape("BinaryCrossEntropy", probability, target);
        var logP = probability.Log().Clamp(min: -100);
        var log1P = (1 - probability).Log().Clamp(min: -100);
        return Reduce(-(target * logP + (1 - target) * log1P), reduction);
    }

    /// <summary>Binary cross-entropy on logits z, computed stably as softplus(z) - z·y (the gradient is σ(z) - y,
    /// also at z = 0).</summary>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor logits, Tensor target, Reduction reduction = Reduction.Mean)
    {
        SameShape("BinaryCrossEntropyWithLogits", logits, target);
        return Reduce(Functional.Softplus(logits) - logits * target, reduction);
    }

    /// <summary>Cross-entropy on logits (N, C) with Int64 class indices (N) or class probabilities (N, C):
    /// -Σ y log softmax(z). With label smoothing ε the target is (1-ε)·y + ε/C.</summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor target, double labelSmoothing = 0, Reduction reduction = Reduction.Mean) =>
        CrossEntropyFromLogProbabilities("CrossEntropy", logits.LogSoftmax(1), target, labelSmoothing, reduction);

    /// <summary>Categorical cross-entropy on probabilities (N, C) (the output of a softmax layer): -Σ y log p,
    /// with log p clamped at -100.</summary>
    public static Tensor CategoricalCrossEntropy(Tensor probabilities, Tensor target, Reduction reduction = Reduction.Mean) =>
        CrossEntropyFromLogProbabilities("CategoricalCrossEntropy", probabilities.Log().Clamp(min: -100), target, 0, reduction);

    /// <summary>Negative log-likelihood of Int64 class indices (N) under log-probabilities (N, C).</summary>
    public static Tensor Nll(Tensor logProbabilities, Tensor target, Reduction reduction = Reduction.Mean)
    {
        if (target.DType != DType.Int64) throw new ArgumentException($"Nll: target must hold Int64 class indices, got {target.DType}");
        return CrossEntropyFromLogProbabilities("Nll", logProbabilities, target, 0, reduction);
    }

    private static Tensor CrossEntropyFromLogProbabilities(string op, Tensor logP, Tensor target, double smoothing, Reduction reduction)
    {
        if (logP.Rank != 2) throw new ArgumentException($"{op}: scores must be (N, C), got {Shapes.Format(logP.Shape)}");
        int n = logP.Size(0), c = logP.Size(1);
        Tensor perSample;
        if (target.DType == DType.Int64)
        {
            if (target.Rank != 1 || target.Size(0) != n)
                throw new ArgumentException($"{op}: class indices must be ({n}), got {Shapes.Format(target.Shape)}");
            CheckClassRange(op, target, c);
            perSample = -logP.Gather(1, target.Unsqueeze(1)).Squeeze(1);
            if (smoothing > 0) perSample = perSample * (1 - smoothing) - logP.Mean(1) * smoothing;
        }
        else
        {
            if (!Shapes.Equal(target.Shape, logP.Shape))
                throw new ArgumentException($"{op}: probabilities target {Shapes.Format(target.Shape)} must match scores {Shapes.Format(logP.Shape)}");
            var t = smoothing > 0 ? target * (1 - smoothing) + smoothing / c : target;
            perSample = -(t * logP).Sum(1);
        }
        return Reduce(perSample, reduction);
    }

    // Out-of-range labels are the caller's data error: say so here rather than let the Gather below report an index.
    private static void CheckClassRange(string op, Tensor target, int classes)
    {
        if (target.Numel == 0) return;
        long low = (long)target.Min().Item(), high = (long)target.Max().Item();
        if (low >= 0 && high < classes) return;
        long bad = low < 0 ? low : high;
        throw new ArgumentException(
            $"{op}: target holds class index {bad}, outside [0, {classes - 1}] for scores with {classes} classes " +
            "(labels must be 0-based and the last layer must have one output per class)");
    }

    /// <summary>Kullback–Leibler divergence KL(target ‖ input) with input given as log-probabilities, as
    /// torch.nn.functional.kl_div: Σ y (log y - x), with 0·log 0 = 0. Reduction "batchmean" divides by N.</summary>
    public static Tensor KlDivergence(Tensor logInput, Tensor target, bool batchMean = true)
    {
        SameShape("KlDivergence", logInput, target);
        var logT = Tensor.Where(target.Gt(0), target, Tensor.OnesLike(target)).Log();
        var pointwise = target * (logT - logInput);
        return batchMean ? pointwise.Sum() / logInput.Size(0) : pointwise.Mean();
    }

    /// <summary>L1 penalty λ Σ |w| over the given parameters (lasso regularisation).</summary>
    public static Tensor L1Penalty(IEnumerable<Tensor> parameters, double lambda)
    {
        Tensor? s = null;
        foreach (var p in parameters) s = s is null ? p.Abs().Sum() : s + p.Abs().Sum();
        return (s ?? Tensor.Scalar(0)) * lambda;
    }

    /// <summary>L2 penalty λ Σ w² over the given parameters (ridge regularisation; weight decay adds λ·2w to the
    /// gradient).</summary>
    public static Tensor L2Penalty(IEnumerable<Tensor> parameters, double lambda)
    {
        Tensor? s = null;
        foreach (var p in parameters) s = s is null ? (p * p).Sum() : s + (p * p).Sum();
        return (s ?? Tensor.Scalar(0)) * lambda;
    }

    /// <summary>Discriminator loss of a GAN (Goodfellow et al., 2014) on logits:
    /// BCE(D(x), 1 − ε) + BCE(D(G(z)), 0), each averaged over its batch. ε is one-sided label smoothing
    /// (Salimans et al., 2016, "Improved Techniques for Training GANs"): only the real target moves, to 1 − ε;
    /// ε = 0 is the plain loss. Pass the fake images' logits computed from a detached G(z), so this loss does not
    /// reach the generator.   realLogits: (N, *), fakeLogits: (M, *) → scalar</summary>
    public static Tensor GanDiscriminatorLoss(Tensor realLogits, Tensor fakeLogits, double labelSmoothing = 0)
    {
        if (labelSmoothing is < 0 or >= 1 || double.IsNaN(labelSmoothing))
            throw new ArgumentException($"GanDiscriminatorLoss: label smoothing must be in [0, 1), got {labelSmoothing}");
        // BCE(z, t) = softplus(z) − z·t; with t = 1 − ε on the real side and t = 0 on the fake side.
        var real = (Functional.Softplus(realLogits) - realLogits * (1 - labelSmoothing)).Mean();
        return real + Functional.Softplus(fakeLogits).Mean();
    }

    /// <summary>Non-saturating generator loss of a GAN on the discriminator's logits for G(z):
    /// BCE(D(G(z)), 1) = mean softplus(−z) = −mean log σ(z). Its gradient stays large while the discriminator
    /// rejects the fakes, which <see cref="GanGeneratorMinimaxLoss"/> lacks (Goodfellow et al., 2014, §3).
    /// fakeLogits: (N, *) → scalar</summary>
    public static Tensor GanGeneratorLoss(Tensor fakeLogits) => Functional.Softplus(-fakeLogits).Mean();

    /// <summary>The generator's side of the original minimax game: mean log(1 − σ(z)) = −mean softplus(z), to be
    /// minimised. It saturates (gradient σ(z) → 0) when the discriminator confidently rejects the fakes.
    /// fakeLogits: (N, *) → scalar</summary>
    public static Tensor GanGeneratorMinimaxLoss(Tensor fakeLogits) => -Functional.Softplus(fakeLogits).Mean();
}
