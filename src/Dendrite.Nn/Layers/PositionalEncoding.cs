namespace Dendrite.Nn;

// Attention is blind to order; position enters through the embeddings. Three ways:
//   sinusoidal (Vaswani et al., 2017, §3.5): PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] = cos(p / 10000^(2i/d))
//   learned (GPT, BERT): a trained table of positions
//   rotary (Su et al., 2021, "RoFormer", arXiv:2104.09864): q and k rotated by an angle proportional to the
//     position, pair by pair, so q·k depends on the positions' difference only. The rotate-half pairing (GPT-NeoX,
//     LLaMA): x = [x₁, x₂] → x·cos θ + [−x₂, x₁]·sin θ, θ_{p,i} = p·base^(−2i/d).
// Shapes: B batch, T positions, E (= d) width; rotary works on any (*, T, d).

/// <summary>Adds the fixed sinusoidal table to embeddings.   x (B, T, E) → (B, T, E)</summary>
public sealed class SinusoidalPositionalEncoding : Module, ILayer
{
    [NotAModule]
    private readonly Tensor table;

    /// <summary>A table for up to <paramref name="maxLength"/> positions of width <paramref name="dModel"/>
    /// (not in the state dict: it is a formula), with dropout on the sum in training.</summary>
    public SinusoidalPositionalEncoding(int dModel, int maxLength = 5000, double dropout = 0,
        Generator? generator = null)
    {
        table = TensorScope.Outside(() => Table(maxLength, dModel));
        Dropout = new Dropout(dropout, generator);
    }

    /// <summary>Dropout on the sum.</summary>
    public Dropout Dropout { get; }

    /// <summary>The table PE (length, d): sin at even columns, cos at odd ones, computed in double.</summary>
    public static Tensor Table(int length, int d)
    {
        if (length < 0 || d < 1)
            throw new ArgumentException(
                $"SinusoidalPositionalEncoding: length {length} and width {d} must be positive");
        var pe = new float[length * d];
        for (int p = 0; p < length; p++)
        {
            for (int i = 0; i < d; i += 2)
            {
                double angle = p / Math.Pow(10000, (double)i / d);
                pe[p * d + i] = (float)Math.Sin(angle);
                if (i + 1 < d) pe[p * d + i + 1] = (float)Math.Cos(angle);
            }
        }
        return Tensor.From(pe, length, d);
    }

    /// <summary>x + PE[offset … offset+T).   x (B, T, E) → (B, T, E)</summary>
    public Tensor Forward(Tensor x, int offset)
    {
        ArgumentNullException.ThrowIfNull(x);
        int t = x.Rank >= 2 ? x.Size(-2) : 0;
        if (x.Rank < 2 || x.Size(-1) != table.Size(1) || offset < 0 || offset + t > table.Size(0))
            throw new ArgumentException($"SinusoidalPositionalEncoding: input {Shapes.Format(x.Shape)} at offset " +
                $"{offset} does not fit the table {Shapes.Format(table.Shape)} (positions × width)");
        return Dropout.Call(x + table.Narrow(0, offset, t).To(x.DType));
    }

    /// <inheritdoc/>
    public Tensor Forward(Tensor x) => Forward(x, 0);
}

/// <summary>Adds a learned position embedding (GPT, BERT).   x (B, T, E) → (B, T, E)</summary>
public sealed class LearnedPositionalEmbedding(int maxLength, int dModel, Generator? generator = null)
    : Module, ILayer
{
    /// <summary>[maxLength, dModel], init N(0, 0.02²) as GPT-2.</summary>
    public Parameter Weight { get; } = Init.Normal([maxLength, dModel], 0.02, generator);

    /// <summary>x + W[offset … offset+T).   x (B, T, E) → (B, T, E)</summary>
    public Tensor Forward(Tensor x, int offset)
    {
        ArgumentNullException.ThrowIfNull(x);
        int t = x.Rank >= 2 ? x.Size(-2) : 0;
        if (x.Rank < 2 || x.Size(-1) != Weight.Size(1) || offset < 0 || offset + t > Weight.Size(0))
            throw new ArgumentException($"LearnedPositionalEmbedding: input {Shapes.Format(x.Shape)} at offset " +
                $"{offset} does not fit the table {Shapes.Format(Weight.Shape)} (positions × width)");
        return x + Weight.Narrow(0, offset, t);
    }

    /// <inheritdoc/>
    public Tensor Forward(Tensor x) => Forward(x, 0);
}

/// <summary>Rotary position embedding (RoFormer), applied to queries and keys before attention.
/// x (*, T, d) → (*, T, d).</summary>
public sealed class RotaryEmbedding : Module
{
    [NotAModule]
    private readonly Tensor cos;

    [NotAModule]
    private readonly Tensor sin;

    /// <summary>Angles for up to <paramref name="maxLength"/> positions of head width <paramref name="dim"/>
    /// (even), frequencies base^(−2i/d).</summary>
    public RotaryEmbedding(int dim, int maxLength = 2048, double @base = 10000)
    {
        if (dim < 2 || dim % 2 != 0)
            throw new ArgumentException($"RotaryEmbedding: the width must be even and ≥ 2, got {dim}");
        int half = dim / 2;
        var c = new float[maxLength * dim];
        var s = new float[maxLength * dim];
        for (int p = 0; p < maxLength; p++)
        {
            for (int i = 0; i < half; i++)
            {
                double angle = p * Math.Pow(@base, -2.0 * i / dim);
                c[p * dim + i] = c[p * dim + half + i] = (float)Math.Cos(angle);
                s[p * dim + i] = s[p * dim + half + i] = (float)Math.Sin(angle);
            }
        }
        cos = TensorScope.Outside(() => Tensor.From(c, maxLength, dim));
        sin = TensorScope.Outside(() => Tensor.From(s, maxLength, dim));
    }

    /// <summary>x·cos θ + rotate_half(x)·sin θ for positions offset … offset+T.
    /// x (*, T, d) → (*, T, d)</summary>
    public Tensor Forward(Tensor x, int offset = 0)
    {
        ArgumentNullException.ThrowIfNull(x);
        int d = cos.Size(1), t = x.Rank >= 2 ? x.Size(-2) : 0;
        if (x.Rank < 2 || x.Size(-1) != d || offset < 0 || offset + t > cos.Size(0))
            throw new ArgumentException($"RotaryEmbedding: input {Shapes.Format(x.Shape)} at offset {offset} does " +
                $"not fit {cos.Size(0)} positions of width {d}");
        var c = cos.Narrow(0, offset, t).To(x.DType);                           // (T, d)
        var s = sin.Narrow(0, offset, t).To(x.DType);
        var x1 = x.Narrow(-1, 0, d / 2);
        var x2 = x.Narrow(-1, d / 2, d / 2);
        var rotated = Tensor.Cat([x2.Neg(), x1], -1);                           // [−x₂, x₁]
        return x * c + rotated * s;
    }
}
