// Fréchet distance between two sets of feature vectors, each summarised by a Gaussian (Heusel et al., 2017, "GANs
// Trained by a Two Time-Scale Update Rule Converge to a Local Nash Equilibrium", arXiv:1706.08500, which computes it
// on Inception features and calls it FID). Here the features come from a classifier trained in Dendrite, so the
// figures compare runs of this project with one another, not with published FIDs.
//
//   d² = ‖μ₁ − μ₂‖² + tr(Σ₁) + tr(Σ₂) − 2 tr((Σ₁ Σ₂)^½)
//
// Reference: pytorch-fid's calculate_frechet_distance (scipy.linalg.sqrtm of Σ₁Σ₂); tools/make_gan_fixtures.py
// reproduces it with SciPy for the tests. Σ₁Σ₂ is not symmetric, but it is similar to Σ₁^½ Σ₂ Σ₁^½, which is
// symmetric positive semi-definite, so its square root's trace is Σ √λᵢ over that matrix's eigenvalues: two Eigh
// calls instead of a general matrix square root.
//
// Legend: N samples, F features.
namespace Dendrite.Models.Generative;

/// <summary>Mean and covariance of a set of feature vectors.   Mean: (F), Covariance: (F, F), both Float64.</summary>
/// <param name="Mean">The mean feature vector.</param>
/// <param name="Covariance">The unbiased sample covariance (divided by N − 1, as numpy.cov).</param>
public sealed record FeatureStatistics(Tensor Mean, Tensor Covariance);

/// <summary>The Fréchet distance between Gaussians fitted to two sets of features (FID when the features are
/// Inception's; here, those of a Dendrite classifier).</summary>
public static class FrechetDistance
{
    /// <summary>Fits a Gaussian to features (N, F), N ≥ 2: their mean and unbiased covariance in Float64.</summary>
    public static FeatureStatistics Statistics(Tensor features)
    {
        if (features.Rank != 2 || features.Size(0) < 2 || features.Size(1) < 1)
            throw new ArgumentException("FrechetDistance: features must be (N, F) with N >= 2 samples, got " +
                Shapes.Format(features.Shape));
        using var _ = Autograd.NoGrad();
        var x = features.To(DType.Float64);
        var mean = x.Mean(0);                                          // (F)
        var centred = x - mean;                                        // (N, F)
        var cov = centred.T.MatMul(centred) / (features.Size(0) - 1);  // (F, F)
        if (!cov.ToArray<double>().All(double.IsFinite))
            throw new ArgumentException("FrechetDistance: features hold NaN or infinite values");
        return new FeatureStatistics(mean, cov);
    }

    /// <summary>The squared Fréchet distance between the Gaussians fitted to two sets of features.
    /// real: (N, F), fake: (M, F) → d² ≥ 0</summary>
    public static double Compute(Tensor real, Tensor fake)
    {
        if (real.Rank == 2 && fake.Rank == 2 && real.Size(1) != fake.Size(1))
            throw new ArgumentException($"FrechetDistance: real features {Shapes.Format(real.Shape)} and fake " +
                $"features {Shapes.Format(fake.Shape)} differ in width");
        return Compute(Statistics(real), Statistics(fake));
    }

    /// <summary>The squared Fréchet distance between two fitted Gaussians.</summary>
    public static double Compute(FeatureStatistics a, FeatureStatistics b)
    {
        if (!Shapes.Equal(a.Covariance.Shape, b.Covariance.Shape))
            throw new ArgumentException($"FrechetDistance: covariances {Shapes.Format(a.Covariance.Shape)} and " +
                $"{Shapes.Format(b.Covariance.Shape)} differ");
        using var _ = Autograd.NoGrad();
        var diff = a.Mean - b.Mean;
        double meanTerm = (diff * diff).Sum().Item();
        var rootA = SymmetricSqrt(a.Covariance);                                   // Σ₁^½
        var middle = rootA.MatMul(b.Covariance).MatMul(rootA);                     // Σ₁^½ Σ₂ Σ₁^½
        middle = (middle + middle.T) * 0.5;                                        // symmetric up to rounding
        double traceRoot = Linalg.Eigvalsh(middle).ToArray<double>().Sum(l => Math.Sqrt(Math.Max(l, 0)));
        double d = meanTerm + Linalg.Trace(a.Covariance).Item() + Linalg.Trace(b.Covariance).Item() - 2 * traceRoot;
        return Math.Max(d, 0);
    }

    // A^½ = V·diag(√max(w, 0))·Vᵀ for symmetric positive semi-definite A; eigenvalues below 0 are rounding.
    private static Tensor SymmetricSqrt(Tensor a)
    {
        var (w, v) = Linalg.Eigh(a);
        var root = w.Clamp(min: 0).Sqrt();
        return (v * root.Unsqueeze(0)).MatMul(v.T);
    }
}
