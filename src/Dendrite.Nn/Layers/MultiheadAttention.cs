namespace Dendrite.Nn;

// Multi-head attention (Vaswani et al., 2017, §3.2.2): H heads attend in parallel over E/H-wide projections of the
// queries, keys and values, and one projection merges them:
//   headᵢ = Attention(q·Wqᵢ, k·Wkᵢ, v·Wvᵢ),  y = concat(head₁ … head_H)·Woᵀ
// In PyTorch's nn.MultiheadAttention layout: in_proj_weight [3E, E] stacks Wq, Wk, Wv, in_proj_bias [3E], and
// out_proj a Linear, so its state dicts load by name. Masks follow PyTorch's convention for this module: a Bool
// attn_mask or key_padding_mask is true where attention is NOT allowed; a floating one is added to the scores.
// Shapes: B batch, T target (query) length, S source (key) length, E embedding, H heads, hd = E/H.

/// <summary>Multi-head attention in <c>torch.nn.MultiheadAttention</c>'s layout.
/// query (T, B, E), key and value (S, B, E) → (T, B, E); (B, T, E) etc. with batchFirst.</summary>
public sealed class MultiheadAttention : Module
{
    private readonly int heads;
    private readonly double dropout;
    private readonly bool batchFirst;
    private readonly Generator? generator;

    /// <summary>H = <paramref name="numHeads"/> heads over width <paramref name="embedDim"/> (H must divide it),
    /// dropout on the attention weights in training. Init as PyTorch: in_proj_weight Xavier-uniform, biases 0.
    /// </summary>
    public MultiheadAttention(int embedDim, int numHeads, double dropout = 0, bool bias = true,
        bool batchFirst = false, Generator? generator = null)
    {
        if (embedDim < 1 || numHeads < 1 || embedDim % numHeads != 0)
            throw new ArgumentException($"MultiheadAttention: {numHeads} heads must divide the width {embedDim}");
        heads = numHeads;
        this.dropout = dropout;
        this.batchFirst = batchFirst;
        this.generator = generator;
        InProjWeight = Init.XavierUniform([3 * embedDim, embedDim], g: generator);
        InProjBias = bias ? Init.Zeros([3 * embedDim]) : null;
        OutProj = new Linear(embedDim, embedDim, bias);
        if (OutProj.Bias is { } ob)
        {
            using var _ = Autograd.NoGrad();
            ob.Fill(0);
        }
    }

    /// <summary>Wq, Wk, Wv stacked: [3E, E].</summary>
    public Parameter InProjWeight { get; }

    /// <summary>[3E], or null without bias.</summary>
    public Parameter? InProjBias { get; }

    /// <summary>Wo: E → E.</summary>
    public Linear OutProj { get; }

    /// <summary>Heads.</summary>
    public int NumHeads => heads;

    /// <summary>Attends <paramref name="query"/> over <paramref name="key"/>/<paramref name="value"/>. Returns the
    /// output and, when <paramref name="needWeights"/>, the attention weights (B, T, S) averaged over heads, or
    /// (B, H, T, S) without <paramref name="averageWeights"/> (values, outside the autograd graph).
    /// <paramref name="keyPaddingMask"/> (B, S): true (or −∞) at padded keys. <paramref name="attnMask"/> (T, S) or
    /// (B·H, T, S): true (or −∞) where a query may not attend; floating values are added to the scores.
    /// <paramref name="isCausal"/> adds the causal mask.</summary>
    public (Tensor Output, Tensor? Weights) Forward(Tensor query, Tensor key, Tensor value,
        Tensor? keyPaddingMask = null, bool needWeights = true, Tensor? attnMask = null, bool averageWeights = true,
        bool isCausal = false)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        const string op = "MultiheadAttention";
        int e = InProjWeight.Size(1);
        if (query.Rank != 3 || key.Rank != 3 || value.Rank != 3)
            throw new ArgumentException($"{op}: query {Shapes.Format(query.Shape)}, key {Shapes.Format(key.Shape)} " +
                $"and value {Shapes.Format(value.Shape)} must be 3-D ({(batchFirst ? "B, L, E" : "L, B, E")})");
        var q0 = batchFirst ? query : query.Transpose(0, 1);                     // (B, T, E)
        var k0 = batchFirst ? key : key.Transpose(0, 1);                         // (B, S, E)
        var v0 = batchFirst ? value : value.Transpose(0, 1);
        int b = q0.Size(0), t = q0.Size(1), s = k0.Size(1), hd = e / heads;
        if (q0.Size(2) != e || k0.Size(2) != e || v0.Size(2) != e || k0.Size(0) != b || v0.Size(0) != b ||
            v0.Size(1) != s)
            throw new ArgumentException($"{op}: query {Shapes.Format(query.Shape)}, key {Shapes.Format(key.Shape)}, " +
                $"value {Shapes.Format(value.Shape)} do not fit width {e} and one batch");
        Tensor q, k, v;
        if (ReferenceEquals(query, key) && ReferenceEquals(key, value))
        {
            // Self-attention: one GEMM for the three projections.
            var qkv = q0.Linear(InProjWeight, InProjBias);                      // (B, T, 3E)
            q = qkv.Narrow(2, 0, e);
            k = qkv.Narrow(2, e, e);
            v = qkv.Narrow(2, 2 * e, e);
        }
        else
        {
            q = q0.Linear(InProjWeight.Narrow(0, 0, e), InProjBias?.Narrow(0, 0, e));
            k = k0.Linear(InProjWeight.Narrow(0, e, e), InProjBias?.Narrow(0, e, e));
            v = v0.Linear(InProjWeight.Narrow(0, 2 * e, e), InProjBias?.Narrow(0, 2 * e, e));
        }
        q = q.Reshape(b, t, heads, hd).Transpose(1, 2);                          // (B, H, T, hd)
        k = k.Reshape(b, s, heads, hd).Transpose(1, 2);                          // (B, H, S, hd)
        v = v.Reshape(b, s, heads, hd).Transpose(1, 2);
        var mask = CombineMasks(op, attnMask, keyPaddingMask, b, heads, t, s, q.DType);
        var y = Attention.ScaledDotProduct(q, k, v, out var weights, mask, isCausal, dropout: Training ? dropout : 0,
            generator: generator);                                              // (B, H, T, hd)
        y = OutProj.Call(y.Transpose(1, 2).Reshape(b, t, e));                   // (B, T, E)
        if (!batchFirst) y = y.Transpose(0, 1);
        Tensor? w = null;
        if (needWeights) w = averageWeights ? weights.Mean(1) : weights;
        return (y, w);
    }

    // One mask for ScaledDotProduct, broadcasting to (B, H, T, S): Bool (true = attend) when both are Bool (or
    // absent), otherwise additive.
    internal static Tensor? CombineMasks(string op, Tensor? attnMask, Tensor? keyPaddingMask, int b, int h, int t,
        int s, DType dtype)
    {
        Tensor? a = null, p = null;
        if (attnMask is not null)
        {
            if (attnMask.Rank == 2 && attnMask.Size(0) == t && attnMask.Size(1) == s) a = attnMask.Reshape(1, 1, t, s);
            else if (attnMask.Rank == 3 && attnMask.Size(0) == b * h && attnMask.Size(1) == t && attnMask.Size(2) == s)
                a = attnMask.Reshape(b, h, t, s);
            else
                throw new ArgumentException($"{op}: attn_mask {Shapes.Format(attnMask.Shape)} must be ({t}, {s}) or " +
                    $"({b * h}, {t}, {s})");
        }
        if (keyPaddingMask is not null)
        {
            if (keyPaddingMask.Rank != 2 || keyPaddingMask.Size(0) != b || keyPaddingMask.Size(1) != s)
                throw new ArgumentException($"{op}: key_padding_mask {Shapes.Format(keyPaddingMask.Shape)} must be " +
                    $"({b}, {s})");
            p = keyPaddingMask.Reshape(b, 1, 1, s);
        }
        if (a is null && p is null) return null;
        bool allBool = (a is null || a.DType == DType.Bool) && (p is null || p.DType == DType.Bool);
        if (allBool)
        {
            var keep = a is null ? p!.Not() : p is null ? a.Not() : a.Or(p).Not();
            return keep;
        }
        Tensor Additive(Tensor m) => m.DType == DType.Bool
            ? Tensor.Where(m, Tensor.Scalar(double.NegativeInfinity, dtype), Tensor.Scalar(0, dtype))
            : m.To(dtype);
        if (a is null) return Additive(p!);
        if (p is null) return Additive(a);
        return Additive(a) + Additive(p);
    }
}
