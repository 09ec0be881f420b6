using MathNet.Numerics.LinearAlgebra;

namespace Dendrite.Models.Classic;

/// <summary>
/// Principal component analysis: the top eigenvectors of the sample covariance C = X̃ᵀX̃/(n − 1) of the centred
/// data, equal to the right singular vectors of X̃ (sklearn.decomposition.PCA). The covariance is one GEMM in the
/// input's dtype and its symmetric eigendecomposition is MathNet.Numerics' (float64), which costs O(d³) instead of
/// an SVD of the n × d data; the price is precision for components whose variance is below about 1e-8 of the
/// largest. Signs follow sklearn's svd_flip: the largest-magnitude entry of each component's scores is positive.
/// </summary>
public sealed class Pca(int components, bool whiten = false)
{
    /// <summary>The principal axes, one per row, by decreasing variance.   (k, d)</summary>
    public Tensor Components { get; private set; } = Tensor.Zeros(DType.Float64, 0, 0);

    /// <summary>The variance along each axis (eigenvalues of C).   (k)</summary>
    public double[] ExplainedVariance { get; private set; } = [];

    /// <summary>Each axis's share of the total variance.   (k)</summary>
    public double[] ExplainedVarianceRatio { get; private set; } = [];

    /// <summary>The per-feature mean removed before projecting.   (d)</summary>
    public Tensor Mean { get; private set; } = Tensor.Zeros(DType.Float64, 0);

    /// <summary>Fits the axes to x (n, d).</summary>
    public Pca Fit(Tensor x)
    {
        if (x.Rank != 2 || !x.DType.IsFloating())
            throw new ArgumentException($"Pca.Fit: x must be a floating-point (n, d) matrix, got {x.DType} " +
                $"{Shapes.Format(x.Shape)}");
        int n = x.Shape[0], d = x.Shape[1];
        if (components < 1 || components > Math.Min(n, d))
            throw new ArgumentException($"Pca: components must be in 1 … min(n, d) = {Math.Min(n, d)}, got " +
                $"{components}");
        using var _ = Autograd.NoGrad();
        var xt = x.Detach();
        var mean = xt.To(DType.Float64).Mean(0);                           // (d)
        var centred = xt - mean.To(xt.DType);
        var cov = centred.T.MatMul(centred).ToArray<double>();              // (d, d)
        var c = Matrix<double>.Build.Dense(d, d, (i, j) => cov[i * d + j] / (n - 1));
        var evd = c.Evd(Symmetricity.Symmetric);
        // MathNet orders a symmetric matrix's eigenvalues ascending.
        var values = evd.EigenValues.Select(v => v.Real).ToArray();
        double total = values.Sum();
        var axes = new double[components * d];
        var variance = new double[components];
        for (int k = 0; k < components; k++)
        {
            int col = d - 1 - k;
            variance[k] = Math.Max(0, values[col]);
            for (int j = 0; j < d; j++) axes[k * d + j] = evd.EigenVectors[j, col];
        }
        // svd_flip: make the largest-|u| score of each component positive.
        var scores = centred.MatMul(Tensor.From(axes, components, d).To(xt.DType).T).ToArray<double>();  // (n, k)
        for (int k = 0; k < components; k++)
        {
            double best = 0;
            for (int i = 0; i < n; i++)
            {
                if (Math.Abs(scores[i * components + k]) > Math.Abs(best)) best = scores[i * components + k];
            }
            if (best < 0)
            {
                for (int j = 0; j < d; j++) axes[k * d + j] = -axes[k * d + j];
            }
        }
        Components = Tensor.From(axes, components, d);
        ExplainedVariance = variance;
        ExplainedVarianceRatio = [.. variance.Select(v => v / total)];
        Mean = mean;
        return this;
    }

    /// <summary>Scores (x − mean)·Vᵀ, divided by √variance when whitening.   x: (m, d) → (m, k), x's dtype</summary>
    public Tensor Transform(Tensor x)
    {
        Check("Transform", x, Components.Shape[1]);
        using var _ = Autograd.NoGrad();
        var xt = x.Detach();
        var z = (xt - Mean.To(xt.DType)).MatMul(Components.To(xt.DType).T);
        return whiten ? z / Scale().To(xt.DType) : z;
    }

    /// <summary>Back to the data space: z·V + mean (after undoing whitening).   z: (m, k) → (m, d)</summary>
    public Tensor InverseTransform(Tensor z)
    {
        Check("InverseTransform", z, Components.Shape[0]);
        using var _ = Autograd.NoGrad();
        var zt = whiten ? z.Detach() * Scale().To(z.DType) : z.Detach();
        return zt.MatMul(Components.To(z.DType)) + Mean.To(z.DType);
    }

    private Tensor Scale() => Tensor.From([.. ExplainedVariance.Select(v => Math.Sqrt(v))], ExplainedVariance.Length);

    private void Check(string op, Tensor x, int width)
    {
        if (Components.Numel == 0) throw Data.NotFitted("Pca");
        if (x.Rank != 2 || x.Shape[1] != width || !x.DType.IsFloating())
            throw new ArgumentException($"Pca.{op}: expects a floating-point (m, {width}) matrix, got {x.DType} " +
                $"{Shapes.Format(x.Shape)}");
    }
}
