namespace Dendrite.Nn;

/// <summary>
/// Weight initialisers. fanIn/fanOut follow PyTorch: for a weight of shape [out, in, k…], fanIn = in·∏k and
/// fanOut = out·∏k. Each returns a new float32 <see cref="Parameter"/> drawn from <see cref="Generator.Default"/>
/// unless a generator is given.
/// </summary>
public static class Init
{
    /// <summary>(fanIn, fanOut) of a weight shape.</summary>
    public static (int FanIn, int FanOut) Fans(ReadOnlySpan<int> shape)
    {
        if (shape.Length < 2) return (shape.Length == 1 ? shape[0] : 1, shape.Length == 1 ? shape[0] : 1);
        int receptive = 1;
        for (int i = 2; i < shape.Length; i++) receptive *= shape[i];
        return (shape[1] * receptive, shape[0] * receptive);
    }

    /// <summary>U(-bound, bound).</summary>
    public static Parameter Uniform(ReadOnlySpan<int> shape, double bound, Generator? g = null) =>
        new(Tensor.Rand(shape, g, -bound, bound));

    /// <summary>N(0, std²).</summary>
    public static Parameter Normal(ReadOnlySpan<int> shape, double std, Generator? g = null) =>
        new(Tensor.Randn(shape, g, 0, std));

    /// <summary>Every element equal to <paramref name="value"/>.</summary>
    public static Parameter Constant(ReadOnlySpan<int> shape, double value) => new(Tensor.Full(value, shape));

    /// <summary>Zeros.</summary>
    public static Parameter Zeros(ReadOnlySpan<int> shape) => Constant(shape, 0);

    /// <summary>Ones.</summary>
    public static Parameter Ones(ReadOnlySpan<int> shape) => Constant(shape, 1);

    /// <summary>Glorot &amp; Bengio (2010): U(±gain·√(6 / (fanIn + fanOut))).</summary>
    public static Parameter XavierUniform(ReadOnlySpan<int> shape, double gain = 1, Generator? g = null)
    {
        var (fi, fo) = Fans(shape);
        return Uniform(shape, gain * Math.Sqrt(6.0 / (fi + fo)), g);
    }

    /// <summary>Glorot &amp; Bengio (2010): N(0, gain²·2 / (fanIn + fanOut)).</summary>
    public static Parameter XavierNormal(ReadOnlySpan<int> shape, double gain = 1, Generator? g = null)
    {
        var (fi, fo) = Fans(shape);
        return Normal(shape, gain * Math.Sqrt(2.0 / (fi + fo)), g);
    }

    /// <summary>He et al. (2015) for ReLU: U(±gain·√(3 / fanIn)) with gain = √(2 / (1 + a²)).</summary>
    public static Parameter KaimingUniform(ReadOnlySpan<int> shape, double a = 0, bool fanOut = false, Generator? g = null)
    {
        var (fi, fo) = Fans(shape);
        double gain = Math.Sqrt(2.0 / (1 + a * a));
        return Uniform(shape, gain * Math.Sqrt(3.0 / (fanOut ? fo : fi)), g);
    }

    /// <summary>He et al. (2015) for ReLU: N(0, gain² / fanIn) with gain = √(2 / (1 + a²)).</summary>
    public static Parameter KaimingNormal(ReadOnlySpan<int> shape, double a = 0, bool fanOut = false, Generator? g = null)
    {
        var (fi, fo) = Fans(shape);
        double gain = Math.Sqrt(2.0 / (1 + a * a));
        return Normal(shape, gain / Math.Sqrt(fanOut ? fo : fi), g);
    }

    /// <summary>LeCun (1998) for SELU/tanh nets: N(0, 1 / fanIn).</summary>
    public static Parameter LeCunNormal(ReadOnlySpan<int> shape, Generator? g = null) =>
        Normal(shape, 1 / Math.Sqrt(Fans(shape).FanIn), g);

    /// <summary>LeCun uniform: U(±√(3 / fanIn)).</summary>
    public static Parameter LeCunUniform(ReadOnlySpan<int> shape, Generator? g = null) =>
        Uniform(shape, Math.Sqrt(3.0 / Fans(shape).FanIn), g);

    /// <summary>Saxe et al. (2013): a (semi-)orthogonal matrix (rows or columns orthonormal) times gain, from the QR
    /// decomposition of a Gaussian matrix with the signs of R's diagonal folded in. Trailing dimensions are
    /// flattened into columns.</summary>
    public static Parameter Orthogonal(ReadOnlySpan<int> shape, double gain = 1, Generator? g = null)
    {
        if (shape.Length < 2) throw new ArgumentException($"Orthogonal: needs at least 2 dimensions, got {Shapes.Format(shape)}");
        int rows = shape[0], cols = Shapes.Numel(shape) / rows;
        bool transpose = rows < cols;
        int n = transpose ? cols : rows, m = transpose ? rows : cols; // factor an n×m matrix with n ≥ m
        var a = Tensor.Randn([n, m], g, dtype: DType.Float64).ToArray<double>();
        // Modified Gram–Schmidt on the columns gives Q (n×m) with R's diagonal positive; multiplying each column by
        // sign(R_ii) is then the identity, which is the "fold in the signs" step of the recipe.
        for (int j = 0; j < m; j++)
        {
            for (int k = 0; k < j; k++)
            {
                double dot = 0;
                for (int i = 0; i < n; i++) dot += a[i * m + k] * a[i * m + j];
                for (int i = 0; i < n; i++) a[i * m + j] -= dot * a[i * m + k];
            }
            double norm = 0;
            for (int i = 0; i < n; i++) norm += a[i * m + j] * a[i * m + j];
            norm = Math.Sqrt(norm);
            for (int i = 0; i < n; i++) a[i * m + j] /= norm;
        }
        var q = Tensor.From(a, n, m);
        if (transpose) q = q.T.Contiguous();
        return new Parameter((q * gain).To(DType.Float32).Reshape(shape));
    }
}
