namespace Dendrite.Nn;

/// <summary>
/// The pieces of a variational autoencoder's objective (Kingma &amp; Welling, "Auto-Encoding Variational Bayes",
/// 2013, arXiv:1312.6114): the reparameterised sample of a diagonal Gaussian, its KL divergence to the standard
/// normal prior, and the log-likelihood of the data under a Bernoulli or Gaussian decoder. All are compositions of
/// tensor primitives, so their gradients come from autograd. Shapes: a batch (N, …) whose per-sample terms are
/// summed over every dimension but the first, giving (N) under <see cref="Reduction.None"/>.
/// </summary>
public static class Variational
{
    private static readonly double LogTwoPi = Math.Log(2 * Math.PI);

    /// <summary>z = μ + exp(½ log σ²) ⊙ ε with ε ~ N(0, I) drawn from <paramref name="generator"/>: a sample of
    /// N(μ, σ²) that is differentiable in μ and log σ².   μ, log σ²: (N, D) → z: (N, D)</summary>
    public static Tensor Reparameterize(Tensor mean, Tensor logVariance, Generator? generator = null)
    {
        SameShape("Reparameterize", mean, "mean", logVariance, "log-variance");
        return Reparameterize(mean, logVariance, Tensor.Randn(mean.Shape, generator, dtype: mean.DType));
    }

    /// <summary>z = μ + exp(½ log σ²) ⊙ ε for a given standard-normal <paramref name="noise"/> ε.
    /// μ, log σ², ε: (N, D) → z: (N, D)</summary>
    public static Tensor Reparameterize(Tensor mean, Tensor logVariance, Tensor noise)
    {
        SameShape("Reparameterize", mean, "mean", logVariance, "log-variance");
        SameShape("Reparameterize", mean, "mean", noise, "noise");
        return mean + (logVariance * 0.5).Exp() * noise;
    }

    /// <summary>KL(N(μ, σ²) ‖ N(0, I)) = ½ Σ (σ² + μ² − 1 − log σ²) per sample, in nats.
    /// μ, log σ²: (N, D) → (N), or its mean or sum over the batch.</summary>
    public static Tensor KlStandardNormal(Tensor mean, Tensor logVariance, Reduction reduction = Reduction.Mean)
    {
        SameShape("KlStandardNormal", mean, "mean", logVariance, "log-variance");
        var pointwise = (logVariance.Exp() + mean * mean - 1 - logVariance) * 0.5;
        return Reduce(PerSample("KlStandardNormal", pointwise), reduction);
    }

    /// <summary>log p(x | z) for independent Bernoulli pixels with logits z: Σ [x z − softplus(z)] per sample,
    /// in nats (the negative of the summed binary cross-entropy with logits; x may also be a grey level in
    /// [0, 1]).   logits, x: (N, …) → (N), or its mean or sum over the batch.</summary>
    public static Tensor BernoulliLogLikelihood(Tensor logits, Tensor target, Reduction reduction = Reduction.Mean)
    {
        SameShape("BernoulliLogLikelihood", logits, "logits", target, "target");
        var pointwise = logits * target - Functional.Softplus(logits);
        return Reduce(PerSample("BernoulliLogLikelihood", pointwise), reduction);
    }

    /// <summary>log N(x; μ, σ²) = −½ Σ [log 2π + log σ² + (x − μ)² / σ²] per sample, in nats. The log-variance
    /// may be per element or broadcast (one value per pixel, shared by the batch).
    /// μ, x: (N, …), log σ²: broadcastable to μ → (N), or its mean or sum over the batch.</summary>
    public static Tensor GaussianLogLikelihood(Tensor mean, Tensor logVariance, Tensor target,
        Reduction reduction = Reduction.Mean)
    {
        SameShape("GaussianLogLikelihood", mean, "mean", target, "target");
        if (!Shapes.Equal(Shapes.Broadcast("GaussianLogLikelihood", mean.Shape, logVariance.Shape), mean.Shape))
            throw new ArgumentException($"GaussianLogLikelihood: log-variance {Shapes.Format(logVariance.Shape)} " +
                $"does not broadcast to the mean {Shapes.Format(mean.Shape)}");
        var d = target - mean;
        var pointwise = (logVariance + d * d / logVariance.Exp() + LogTwoPi) * -0.5;
        return Reduce(PerSample("GaussianLogLikelihood", pointwise), reduction);
    }

    private static Tensor PerSample(string op, Tensor pointwise)
    {
        if (pointwise.Rank < 2)
            throw new ArgumentException($"{op}: expects a batch (N, …) of rank 2 or more, got " +
                Shapes.Format(pointwise.Shape));
        return pointwise.Reshape(pointwise.Size(0), -1).Sum(1);
    }

    private static Tensor Reduce(Tensor perSample, Reduction reduction) => reduction switch
    {
        Reduction.Mean => perSample.Mean(),
        Reduction.Sum => perSample.Sum(),
        _ => perSample,
    };

    private static void SameShape(string op, Tensor a, string aName, Tensor b, string bName)
    {
        if (!Shapes.Equal(a.Shape, b.Shape))
            throw new ArgumentException($"{op}: {aName} {Shapes.Format(a.Shape)} and {bName} {Shapes.Format(b.Shape)} differ");
    }
}
