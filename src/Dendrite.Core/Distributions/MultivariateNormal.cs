namespace Dendrite.Distributions;

/// <summary>
/// Multivariate normal N(μ, Σ) in d dimensions with Σ = L·Lᵀ (L lower-triangular with a positive diagonal):
/// log p(x) = −½(d log 2π + ‖L⁻¹(x − μ)‖²) − Σᵢ log Lᵢᵢ. Reparameterised: x = μ + L·ε with ε ~ N(0, I), so gradients
/// reach <see cref="Loc"/> and <see cref="ScaleTril"/>. Built from a covariance, L is its Cholesky factor computed
/// as a constant (no gradient to the covariance).   loc: (…, d), L: (d, d)
/// </summary>
public sealed class MultivariateNormal : Distribution, IReparameterized
{
    private MultivariateNormal(Tensor loc, Tensor scaleTril, bool _)
    {
        if (loc.Rank < 1) throw new ArgumentException("MultivariateNormal: loc must be (…, d)");
        int d = loc.Shape[^1];
        if (scaleTril.Rank != 2 || scaleTril.Shape[0] != d || scaleTril.Shape[1] != d)
            throw new ArgumentException($"MultivariateNormal: loc {Shapes.Format(loc.Shape)} needs a ({d}, {d}) " +
                $"scale, got {Shapes.Format(scaleTril.Shape)}");
        DType = CommonType("MultivariateNormal", loc, scaleTril);
        Loc = Cast(loc);
        ScaleTril = Cast(scaleTril);
        BatchShape = [.. loc.Shape[..^1]];
        EventShape = [d];
        Dimension = d;
    }

    /// <summary>The distribution with mean <paramref name="loc"/> and covariance L·Lᵀ for a lower-triangular
    /// <paramref name="scaleTril"/> with positive diagonal (the entries above the diagonal are ignored).</summary>
    public static MultivariateNormal FromScaleTril(Tensor loc, Tensor scaleTril)
    {
        Tensor diag;
        using (Autograd.NoGrad()) diag = Diagonal(scaleTril.Detach());
        Require("MultivariateNormal", "the diagonal of scaleTril", diag, v => v > 0, "positive");
        return new MultivariateNormal(loc, scaleTril.Tril(), true);
    }

    /// <summary>The distribution with mean <paramref name="loc"/> and a symmetric positive-definite
    /// <paramref name="covariance"/> (d, d).</summary>
    public static MultivariateNormal FromCovariance(Tensor loc, Tensor covariance)
    {
        if (covariance.Rank != 2 || covariance.Shape[0] != covariance.Shape[1])
            throw new ArgumentException($"MultivariateNormal: covariance must be square, got " +
                $"{Shapes.Format(covariance.Shape)}");
        int d = covariance.Shape[0];
        double[] c;
        using (Autograd.NoGrad()) c = covariance.Detach().ToArray<double>();
        var l = Cholesky(c, d);
        var dtype = CommonType("MultivariateNormal", loc, covariance);
        return new MultivariateNormal(loc, Tensor.From(l, d, d).To(dtype), true);
    }

    /// <summary>μ.   (…, d)</summary>
    public Tensor Loc { get; }

    /// <summary>L, the lower-triangular Cholesky factor of the covariance.   (d, d)</summary>
    public Tensor ScaleTril { get; }

    /// <summary>d.</summary>
    public int Dimension { get; }

    /// <summary>Σ = L·Lᵀ.   (d, d)</summary>
    public Tensor Covariance => ScaleTril.MatMul(ScaleTril.T);

    /// <inheritdoc/>
    public override Tensor Mean => Loc.Expand([.. BatchShape, Dimension]);

    /// <summary>The diagonal of Σ: Σⱼ Lᵢⱼ².</summary>
    public override Tensor Variance => (ScaleTril * ScaleTril).Sum(-1).Expand([.. BatchShape, Dimension]);

    /// <summary>½d(1 + log 2π) + Σᵢ log Lᵢᵢ.</summary>
    public override Tensor Entropy() =>
        (Diagonal(ScaleTril).Log().Sum() + 0.5 * Dimension * (1 + Math.Log(2 * Math.PI))).Expand(BatchShape);

    /// <summary>log p(x), with z = L⁻¹(x − μ) by forward substitution in tensor ops (so it is
    /// differentiable).</summary>
    public override Tensor LogProb(Tensor value)
    {
        var v = Cast(value);
        if (v.Rank < 1 || v.Shape[^1] != Dimension)
            throw new ArgumentException($"MultivariateNormal.LogProb: value {Shapes.Format(v.Shape)} must end in " +
                $"the event size {Dimension}");
        var diff = v - Loc;
        var z = new Tensor[Dimension];
        Tensor? mahalanobis = null;
        for (int i = 0; i < Dimension; i++)
        {
            var r = diff.Select(-1, i);
            for (int j = 0; j < i; j++) r = r - z[j] * ScaleTril.Select(0, i).Select(0, j);
            z[i] = r / ScaleTril.Select(0, i).Select(0, i);
            mahalanobis = mahalanobis is null ? z[i] * z[i] : mahalanobis + z[i] * z[i];
        }
        var logDet = Diagonal(ScaleTril).Log().Sum();
        return mahalanobis! * -0.5 - logDet - 0.5 * Dimension * Math.Log(2 * Math.PI);
    }

    /// <inheritdoc/>
    public Tensor RSample(ReadOnlySpan<int> sampleShape, Generator? generator = null)
    {
        int[] shape = ExtendedShape(sampleShape);
        var eps = Tensor.Randn(shape, generator, dtype: DType);
        return Loc + eps.Reshape(-1, Dimension).MatMul(ScaleTril.T).Reshape(shape);
    }

    /// <inheritdoc/>
    public override Tensor Sample(ReadOnlySpan<int> sampleShape, Generator? generator = null)
    {
        using var _ = Autograd.NoGrad();
        return RSample(sampleShape, generator).Detach();
    }

    private static Tensor Diagonal(Tensor m) => (m * Tensor.Eye(m.Shape[0], dtype: m.DType)).Sum(-1);

    // Cholesky–Banachiewicz, row by row: Lᵢⱼ = (Aᵢⱼ − Σₖ<ⱼ LᵢₖLⱼₖ) / Lⱼⱼ, Lᵢᵢ = √(Aᵢᵢ − Σₖ<ᵢ Lᵢₖ²).
    internal static double[] Cholesky(double[] a, int n)
    {
        var l = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j <= i; j++)
            {
                if (Math.Abs(a[i * n + j] - a[j * n + i]) > 1e-8 * (1 + Math.Abs(a[i * n + j])))
                    throw new ArgumentException($"MultivariateNormal: covariance is not symmetric at ({i}, {j})");
                double s = a[i * n + j];
                for (int k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
                if (i == j)
                {
                    if (!(s > 0))
                        throw new ArgumentException(
                            $"MultivariateNormal: covariance ({n}×{n}) is not positive-definite (pivot {i} is {s})");
                    l[i * n + i] = Math.Sqrt(s);
                }
                else
                {
                    l[i * n + j] = s / l[j * n + j];
                }
            }
        }
        return l;
    }
}
