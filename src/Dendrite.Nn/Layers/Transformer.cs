namespace Dendrite.Nn;

// The Transformer of Vaswani et al. (2017), in torch.nn's layout and names (TransformerEncoderLayer,
// TransformerDecoderLayer, TransformerEncoder, TransformerDecoder, Transformer), so PyTorch state dicts load.
//   post-norm (the paper):  x = LN(x + Sublayer(x))
//   pre-norm (GPT-2, Xiong et al., 2020): x = x + Sublayer(LN(x))   — trains stably without warm-up tricks
// Feed-forward sublayer: linear2(dropout(act(linear1(x)))). Masks are PyTorch's (see MultiheadAttention).
// Shapes: S source length, T target length, B batch, E = dModel; (S, B, E) unless batchFirst, then (B, S, E).

/// <summary>The feed-forward activation of a Transformer layer.</summary>
public enum TransformerActivation
{
    /// <summary>max(0, x) (the paper).</summary>
    Relu,

    /// <summary>Exact GELU (BERT, GPT).</summary>
    Gelu,
}

/// <summary>Self-attention then a feed-forward network, each with a residual connection and LayerNorm.
/// src (S, B, E) → (S, B, E).</summary>
public sealed class TransformerEncoderLayer : Module
{
    private readonly bool normFirst;
    private readonly TransformerActivation activation;

    /// <summary>A layer as torch.nn.TransformerEncoderLayer(dModel, nhead, dimFeedforward, dropout, activation,
    /// layerNormEps, batchFirst, normFirst).</summary>
    public TransformerEncoderLayer(int dModel, int nhead, int dimFeedforward = 2048, double dropout = 0.1,
        TransformerActivation activation = TransformerActivation.Relu, double layerNormEps = 1e-5,
        bool batchFirst = false, bool normFirst = false, Generator? generator = null)
    {
        this.normFirst = normFirst;
        this.activation = activation;
        SelfAttn = new MultiheadAttention(dModel, nhead, dropout, batchFirst: batchFirst, generator: generator);
        Linear1 = new Linear(dModel, dimFeedforward);
        Dropout = new Dropout(dropout, generator);
        Linear2 = new Linear(dimFeedforward, dModel);
        Norm1 = new LayerNorm(dModel, layerNormEps);
        Norm2 = new LayerNorm(dModel, layerNormEps);
        Dropout1 = new Dropout(dropout, generator);
        Dropout2 = new Dropout(dropout, generator);
    }

    /// <summary>Self-attention.</summary>
    public MultiheadAttention SelfAttn { get; }

    /// <summary>E → dimFeedforward.</summary>
    public Linear Linear1 { get; }

    /// <summary>Dropout inside the feed-forward network.</summary>
    public Dropout Dropout { get; }

    /// <summary>dimFeedforward → E.</summary>
    public Linear Linear2 { get; }

    /// <summary>LayerNorm of the attention sublayer.</summary>
    public LayerNorm Norm1 { get; }

    /// <summary>LayerNorm of the feed-forward sublayer.</summary>
    public LayerNorm Norm2 { get; }

    /// <summary>Dropout on the attention output.</summary>
    public Dropout Dropout1 { get; }

    /// <summary>Dropout on the feed-forward output.</summary>
    public Dropout Dropout2 { get; }

    /// <summary>One layer.   src (S, B, E) → (S, B, E). <paramref name="srcMask"/> (S, S),
    /// <paramref name="srcKeyPaddingMask"/> (B, S), as in MultiheadAttention.</summary>
    public Tensor Forward(Tensor src, Tensor? srcMask = null, Tensor? srcKeyPaddingMask = null)
    {
        var x = src;
        if (normFirst)
        {
            x = x + SelfAttention(Norm1.Call(x), srcMask, srcKeyPaddingMask);
            return x + FeedForward(Norm2.Call(x));
        }
        x = Norm1.Call(x + SelfAttention(x, srcMask, srcKeyPaddingMask));
        return Norm2.Call(x + FeedForward(x));
    }

    private Tensor SelfAttention(Tensor x, Tensor? mask, Tensor? padding) =>
        Dropout1.Call(SelfAttn.Forward(x, x, x, padding, needWeights: false, attnMask: mask).Output);

    private Tensor FeedForward(Tensor x) =>
        Dropout2.Call(Linear2.Call(Dropout.Call(Transformer.Activate(x, Linear1, activation))));
}

/// <summary>Masked self-attention, attention over the encoder's output (memory), then a feed-forward network; each
/// with a residual connection and LayerNorm.   tgt (T, B, E), memory (S, B, E) → (T, B, E).</summary>
public sealed class TransformerDecoderLayer : Module
{
    private readonly bool normFirst;
    private readonly TransformerActivation activation;

    /// <summary>A layer as torch.nn.TransformerDecoderLayer(dModel, nhead, dimFeedforward, dropout, activation,
    /// layerNormEps, batchFirst, normFirst).</summary>
    public TransformerDecoderLayer(int dModel, int nhead, int dimFeedforward = 2048, double dropout = 0.1,
        TransformerActivation activation = TransformerActivation.Relu, double layerNormEps = 1e-5,
        bool batchFirst = false, bool normFirst = false, Generator? generator = null)
    {
        this.normFirst = normFirst;
        this.activation = activation;
        SelfAttn = new MultiheadAttention(dModel, nhead, dropout, batchFirst: batchFirst, generator: generator);
        MultiheadAttn = new MultiheadAttention(dModel, nhead, dropout, batchFirst: batchFirst, generator: generator);
        Linear1 = new Linear(dModel, dimFeedforward);
        Dropout = new Dropout(dropout, generator);
        Linear2 = new Linear(dimFeedforward, dModel);
        Norm1 = new LayerNorm(dModel, layerNormEps);
        Norm2 = new LayerNorm(dModel, layerNormEps);
        Norm3 = new LayerNorm(dModel, layerNormEps);
        Dropout1 = new Dropout(dropout, generator);
        Dropout2 = new Dropout(dropout, generator);
        Dropout3 = new Dropout(dropout, generator);
    }

    /// <summary>Masked self-attention over the target.</summary>
    public MultiheadAttention SelfAttn { get; }

    /// <summary>Attention from the target over the memory (encoder-decoder attention).</summary>
    public MultiheadAttention MultiheadAttn { get; }

    /// <summary>E → dimFeedforward.</summary>
    public Linear Linear1 { get; }

    /// <summary>Dropout inside the feed-forward network.</summary>
    public Dropout Dropout { get; }

    /// <summary>dimFeedforward → E.</summary>
    public Linear Linear2 { get; }

    /// <summary>LayerNorm of the self-attention sublayer.</summary>
    public LayerNorm Norm1 { get; }

    /// <summary>LayerNorm of the memory-attention sublayer.</summary>
    public LayerNorm Norm2 { get; }

    /// <summary>LayerNorm of the feed-forward sublayer.</summary>
    public LayerNorm Norm3 { get; }

    /// <summary>Dropout on the self-attention output.</summary>
    public Dropout Dropout1 { get; }

    /// <summary>Dropout on the memory-attention output.</summary>
    public Dropout Dropout2 { get; }

    /// <summary>Dropout on the feed-forward output.</summary>
    public Dropout Dropout3 { get; }

    /// <summary>One layer.   tgt (T, B, E), memory (S, B, E) → (T, B, E). <paramref name="tgtMask"/> (T, T)
    /// (causal for language), <paramref name="memoryMask"/> (T, S), padding masks (B, T) and (B, S).</summary>
    public Tensor Forward(Tensor tgt, Tensor memory, Tensor? tgtMask = null, Tensor? memoryMask = null,
        Tensor? tgtKeyPaddingMask = null, Tensor? memoryKeyPaddingMask = null)
    {
        var x = tgt;
        if (normFirst)
        {
            var n1 = Norm1.Call(x);
            x = x + Dropout1.Call(SelfAttn.Forward(n1, n1, n1, tgtKeyPaddingMask, false, tgtMask).Output);
            x = x + Dropout2.Call(MultiheadAttn.Forward(Norm2.Call(x), memory, memory, memoryKeyPaddingMask, false,
                memoryMask).Output);
            return x + FeedForward(Norm3.Call(x));
        }
        x = Norm1.Call(x + Dropout1.Call(SelfAttn.Forward(x, x, x, tgtKeyPaddingMask, false, tgtMask).Output));
        x = Norm2.Call(x + Dropout2.Call(MultiheadAttn.Forward(x, memory, memory, memoryKeyPaddingMask, false,
            memoryMask).Output));
        return Norm3.Call(x + FeedForward(x));
    }

    private Tensor FeedForward(Tensor x) =>
        Dropout3.Call(Linear2.Call(Dropout.Call(Transformer.Activate(x, Linear1, activation))));
}

/// <summary>A stack of encoder layers and an optional final LayerNorm (layers.{i}, norm).</summary>
public sealed class TransformerEncoder : Module
{
    /// <summary>The given layers, then <paramref name="norm"/> when not null.</summary>
    public TransformerEncoder(IEnumerable<TransformerEncoderLayer> layers, LayerNorm? norm = null)
    {
        ArgumentNullException.ThrowIfNull(layers);
        Layers = [.. layers];
        Norm = norm;
    }

    /// <summary>The layers.</summary>
    public IReadOnlyList<TransformerEncoderLayer> Layers { get; }

    /// <summary>The final LayerNorm, or null.</summary>
    public LayerNorm? Norm { get; }

    /// <summary>src (S, B, E) → (S, B, E).</summary>
    public Tensor Forward(Tensor src, Tensor? mask = null, Tensor? srcKeyPaddingMask = null)
    {
        var x = src;
        foreach (var layer in Layers) x = layer.Forward(x, mask, srcKeyPaddingMask);
        return Norm is null ? x : Norm.Call(x);
    }
}

/// <summary>A stack of decoder layers and an optional final LayerNorm (layers.{i}, norm).</summary>
public sealed class TransformerDecoder : Module
{
    /// <summary>The given layers, then <paramref name="norm"/> when not null.</summary>
    public TransformerDecoder(IEnumerable<TransformerDecoderLayer> layers, LayerNorm? norm = null)
    {
        ArgumentNullException.ThrowIfNull(layers);
        Layers = [.. layers];
        Norm = norm;
    }

    /// <summary>The layers.</summary>
    public IReadOnlyList<TransformerDecoderLayer> Layers { get; }

    /// <summary>The final LayerNorm, or null.</summary>
    public LayerNorm? Norm { get; }

    /// <summary>tgt (T, B, E), memory (S, B, E) → (T, B, E).</summary>
    public Tensor Forward(Tensor tgt, Tensor memory, Tensor? tgtMask = null, Tensor? memoryMask = null,
        Tensor? tgtKeyPaddingMask = null, Tensor? memoryKeyPaddingMask = null)
    {
        var x = tgt;
        foreach (var layer in Layers)
            x = layer.Forward(x, memory, tgtMask, memoryMask, tgtKeyPaddingMask, memoryKeyPaddingMask);
        return Norm is null ? x : Norm.Call(x);
    }
}

/// <summary>The encoder–decoder Transformer of torch.nn.Transformer: encoder (with final LayerNorm) over the
/// source, decoder (with final LayerNorm) over the target attending to the encoder's output.
/// src (S, B, E), tgt (T, B, E) → (T, B, E). Init as PyTorch: Xavier-uniform for every matrix.</summary>
public sealed class Transformer : Module
{
    /// <summary>As torch.nn.Transformer(dModel, nhead, numEncoderLayers, numDecoderLayers, dimFeedforward,
    /// dropout, activation, layerNormEps, batchFirst, normFirst).</summary>
    public Transformer(int dModel = 512, int nhead = 8, int numEncoderLayers = 6, int numDecoderLayers = 6,
        int dimFeedforward = 2048, double dropout = 0.1, TransformerActivation activation = TransformerActivation.Relu,
        double layerNormEps = 1e-5, bool batchFirst = false, bool normFirst = false, Generator? generator = null)
    {
        Encoder = new TransformerEncoder(Enumerable.Range(0, numEncoderLayers).Select(_ => new TransformerEncoderLayer(
            dModel, nhead, dimFeedforward, dropout, activation, layerNormEps, batchFirst, normFirst, generator)),
            new LayerNorm(dModel, layerNormEps));
        Decoder = new TransformerDecoder(Enumerable.Range(0, numDecoderLayers).Select(_ => new TransformerDecoderLayer(
            dModel, nhead, dimFeedforward, dropout, activation, layerNormEps, batchFirst, normFirst, generator)),
            new LayerNorm(dModel, layerNormEps));
        using var _ = Autograd.NoGrad();
        foreach (var p in Parameters().Where(p => p.Rank > 1))
            p.CopyFrom(Init.XavierUniform(p.Shape, g: generator));
    }

    /// <summary>The encoder stack.</summary>
    public TransformerEncoder Encoder { get; }

    /// <summary>The decoder stack.</summary>
    public TransformerDecoder Decoder { get; }

    /// <summary>Encodes <paramref name="src"/> and decodes <paramref name="tgt"/> against it.
    /// src (S, B, E), tgt (T, B, E) → (T, B, E).</summary>
    public Tensor Forward(Tensor src, Tensor tgt, Tensor? srcMask = null, Tensor? tgtMask = null,
        Tensor? memoryMask = null, Tensor? srcKeyPaddingMask = null, Tensor? tgtKeyPaddingMask = null,
        Tensor? memoryKeyPaddingMask = null)
    {
        var memory = Encoder.Forward(src, srcMask, srcKeyPaddingMask);
        return Decoder.Forward(tgt, memory, tgtMask, memoryMask, tgtKeyPaddingMask, memoryKeyPaddingMask);
    }

    /// <summary>The causal mask (n, n) as PyTorch builds it: 0 on and below the diagonal, −∞ above.</summary>
    public static Tensor GenerateSquareSubsequentMask(int n) =>
        Tensor.Full(double.NegativeInfinity, n, n).Triu(1);

    internal static Tensor Activate(Tensor x, Linear linear, TransformerActivation activation) => activation switch
    {
        TransformerActivation.Relu => x.Linear(linear.Weight, linear.Bias, FusedActivation.Relu),
        _ => Functional.Gelu(linear.Call(x)),
    };
}
