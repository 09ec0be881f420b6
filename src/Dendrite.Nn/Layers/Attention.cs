using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace Dendrite.Nn;

// Scaled dot-product attention (Vaswani et al., 2017, "Attention Is All You Need", arXiv:1706.03762):
//   P = softmax(q·kᵀ·scale + mask),  y = P·v
// Shapes: * leading (batch, heads) dimensions, T queries, S keys, D query/key width, Dv value width.
//   q (*, T, D), k (*, S, D), v (*, S, Dv) → y (*, T, Dv), P (*, T, S)
//
// One op with its own backward. The two products are batched GEMMs (one call each for every batch and head) that
// read q, k and v where they lie (strided views of a fused projection need no copy); the causal mask, the scale,
// the softmax and (in the backward) the softmax gradient with the scale run as one pass per row of P, in place, so
// the T×S scores are written once by the GEMM, rewritten once by the softmax, and read once by the second GEMM.
// Causal rows stop at their diagonal: entries past it are never exponentiated. (With a floating mask, added to
// scaled scores, q is scaled before the product instead.) The backward, from the saved P:
//   dv = Pᵀ·g,  dP = g·vᵀ,  dZ' = scale·P ⊙ (dP − Σⱼ dP ⊙ P),  dq = dZ'·k,  dk = dZ'ᵀ·q
// A fully masked row gives zeros (and zero gradients), not NaN, as the masked Softmax does.

/// <summary>Scaled dot-product attention, the core of every Transformer layer.</summary>
public static class Attention
{
    /// <summary>softmax(q·kᵀ·scale + mask)·v.   q (*, T, D), k (*, S, D), v (*, S, Dv) → (*, T, Dv).
    /// <paramref name="mask"/> broadcasts to (*, T, S): Bool with true = may attend (a padding mask is
    /// (B, 1, 1, S)), or floating and added to the scores. <paramref name="causal"/> lets query i see keys
    /// j ≤ i + S − T (the last T positions of S, as with a key/value cache). <paramref name="scale"/> defaults to
    /// 1/√D. With <paramref name="dropout"/> &gt; 0 the weights are dropped (inverted dropout) before the product.
    /// The mask is a constant: it gets no gradient.</summary>
    public static Tensor ScaledDotProduct(Tensor q, Tensor k, Tensor v, Tensor? mask = null, bool causal = false,
        double? scale = null, double dropout = 0, Generator? generator = null) =>
        Run(q, k, v, mask, causal, scale, dropout, generator, out _);

    /// <summary>As <see cref="ScaledDotProduct(Tensor, Tensor, Tensor, Tensor?, bool, double?, double, Generator?)"/>,
    /// and gives the attention weights P (*, T, S) (before dropout; rows sum to 1, or are zero where everything
    /// was masked) for inspection and plotting. The weights are values, outside the autograd graph.</summary>
    public static Tensor ScaledDotProduct(Tensor q, Tensor k, Tensor v, out Tensor weights, Tensor? mask = null,
        bool causal = false, double? scale = null, double dropout = 0, Generator? generator = null) =>
        Run(q, k, v, mask, causal, scale, dropout, generator, out weights);

    private static Tensor Run(Tensor q, Tensor k, Tensor v, Tensor? mask, bool causal, double? scale, double dropout,
        Generator? generator, out Tensor weights)
    {
        ArgumentNullException.ThrowIfNull(q);
        ArgumentNullException.ThrowIfNull(k);
        ArgumentNullException.ThrowIfNull(v);
        const string op = "ScaledDotProductAttention";
        Check(op, q, k, v);
        if (dropout is < 0 or >= 1)
            throw new ArgumentOutOfRangeException(nameof(dropout), $"{op}: dropout must be in [0, 1), got {dropout}");
        int T = q.Size(-2), S = k.Size(-2), D = q.Size(-1);
        double s = scale ?? 1 / Math.Sqrt(D);
        // The scale goes into the softmax's pass over each row, unless a floating mask must be added to scores
        // that are already scaled (or a negative scale would turn a -∞ of the boolean mask into +∞).
        bool prescale = s <= 0 || (mask is not null && mask.DType != DType.Bool);
        Tensor y, p, pd;
        Tensor? keep = null;
        using (Autograd.NoGrad())
        {
            var scores = (prescale ? q * s : q).MatMul(k.Transpose(-2, -1));  // (*, T, S), a new contiguous tensor
            if (mask is not null)
            {
                int[] full = scores.Shape.ToArray();
                if (!Broadcasts(mask.Shape, full))
                    throw new ArgumentException($"{op}: mask {Shapes.Format(mask.Shape)} does not broadcast to the " +
                        $"scores {Shapes.Format(full)} (q {Shapes.Format(q.Shape)}, k {Shapes.Format(k.Shape)})");
                if (mask.DType == DType.Bool)
                    scores = Tensor.Where(mask, scores, Tensor.Scalar(double.NegativeInfinity, scores.DType));
                else if (mask.DType.IsFloating()) scores = scores + mask.To(scores.DType);
                else
                    throw new ArgumentException($"{op}: mask must be Bool (true = attend) or floating, got " +
                        mask.DType);
            }
            if (!scores.IsContiguous) scores = scores.Contiguous();
            double rowScale = prescale ? 1 : s;
            if (scores.DType == DType.Float32) SoftmaxRows<float>(scores, T, S, causal, (float)rowScale);
            else SoftmaxRows<double>(scores, T, S, causal, rowScale);
            p = scores;
            pd = p;
            if (dropout > 0)
            {
                keep = Tensor.Bernoulli(1 - dropout, p.Shape, generator, p.DType) * (1 / (1 - dropout));
                pd = p * keep;
            }
            y = pd.MatMul(v);                                               // (*, T, Dv)
        }
        weights = p;
        if (!Autograd.IsEnabled || !(q.RequiresGrad || k.RequiresGrad || v.RequiresGrad)) return y;
        Tensor[] saved = keep is null ? [q, k, v, p] : [q, k, v, p, keep];
        return Autograd.Op(op, y, [q, k, v], g =>
        {
            var dv = v.RequiresGrad ? pd.Transpose(-2, -1).MatMul(g) : null;  // (*, S, Dv)
            var dp = g.MatMul(v.Transpose(-2, -1));                            // (*, T, S)
            if (keep is not null) dp = dp * keep;
            if (!dp.IsContiguous) dp = dp.Contiguous();
            // dp becomes s·dZ, so that dq = s·dZ·k and dk = s·dZᵀ·q need no scaling pass of their own
            if (dp.DType == DType.Float32) SoftmaxBackwardRows<float>(p, dp, S, (float)s);
            else SoftmaxBackwardRows<double>(p, dp, S, s);
            var dq = q.RequiresGrad ? dp.MatMul(k) : null;                     // (*, T, D)
            var dk = k.RequiresGrad ? dp.Transpose(-2, -1).MatMul(q) : null;   // (*, S, D)
            return [dq, dk, dv];
        }, saved: saved, attributes: new Dictionary<string, object> { ["causal"] = causal, ["scale"] = s },
            differentiable: false);
    }

    private static void Check(string op, Tensor q, Tensor k, Tensor v)
    {
        // Formatted only for an error: the checks run on every forward.
        string Shapes3() => $"q {Shapes.Format(q.Shape)}, k {Shapes.Format(k.Shape)}, v {Shapes.Format(v.Shape)}";
        if (q.Rank < 2 || k.Rank != q.Rank || v.Rank != q.Rank)
            throw new ArgumentException($"{op}: q, k and v need the same rank, at least 2: {Shapes3()}");
        if (!q.DType.IsFloating() || k.DType != q.DType || v.DType != q.DType)
            throw new ArgumentException($"{op}: q, k and v must share one floating type: " +
                $"{q.DType}, {k.DType}, {v.DType}");
        if (q.Size(-1) != k.Size(-1))
            throw new ArgumentException($"{op}: q and k widths differ: {Shapes3()}");
        if (k.Size(-2) != v.Size(-2))
            throw new ArgumentException($"{op}: k and v lengths differ: {Shapes3()}");
        for (int d = 0; d < q.Rank - 2; d++)
        {
            if (q.Shape[d] != k.Shape[d] || q.Shape[d] != v.Shape[d])
                throw new ArgumentException($"{op}: leading dimension {d} differs: {Shapes3()}");
        }
    }

    private static bool Broadcasts(ReadOnlySpan<int> from, ReadOnlySpan<int> to)
    {
        if (from.Length > to.Length) return false;
        for (int i = 1; i <= from.Length; i++)
        {
            if (from[^i] != 1 && from[^i] != to[^i]) return false;
        }
        return true;
    }

    // In place over rows of length S (row r is query r mod T): causal cut, scale, softmax. Entries past a causal
    // row's end are set to 0 without being read. A row whose every entry is -∞ becomes zeros.
    private static void SoftmaxRows<T>(Tensor scores, int queries, int keys, bool causal, T scale)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = keys == 0 ? 0 : scores.Numel / keys;
        if (rows == 0) return;
        scores.AsSpan<T>(); // marks the in-place write once; the rows below write through the same memory
        void Body(int start, int end)
        {
            var all = Writable(scores.AsReadOnlySpan<T>());
            for (int r = start; r < end; r++)
            {
                var row = all.Slice(r * keys, keys);
                int n = causal ? Math.Min(keys, r % queries + keys - queries + 1) : keys;
                if (n < keys) row[Math.Max(n, 0)..].Clear();
                if (n <= 0) continue;
                var live = row[..n];
                if (scale != T.One) TensorPrimitives.Multiply(live, scale, live);
                T m = TensorPrimitives.Max<T>(live);
                if (T.IsNegativeInfinity(m))
                {
                    live.Clear();
                    continue;
                }
                TensorPrimitives.Subtract(live, m, live);
                TensorPrimitives.Exp(live, live);
                TensorPrimitives.Multiply(live, T.One / TensorPrimitives.Sum<T>(live), live);
            }
        }
        Parallel(rows, keys, Body);
    }

    // scale·dZ = scale·P ⊙ (dP − Σⱼ dP ⊙ P), row by row, in place over dP.
    private static void SoftmaxBackwardRows<T>(Tensor p, Tensor dp, int keys, T scale)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = keys == 0 ? 0 : p.Numel / keys;
        if (rows == 0) return;
        dp.AsSpan<T>();
        void Body(int start, int end)
        {
            var ps = p.AsReadOnlySpan<T>();
            var ds = Writable(dp.AsReadOnlySpan<T>());
            for (int r = start; r < end; r++)
            {
                var pr = ps.Slice(r * keys, keys);
                var dr = ds.Slice(r * keys, keys);
                T dot = TensorPrimitives.Dot(pr, dr);
                TensorPrimitives.Subtract(dr, dot, dr);
                TensorPrimitives.Multiply(dr, pr, dr);
                if (scale != T.One) TensorPrimitives.Multiply(dr, scale, dr);
            }
        }
        Parallel(rows, keys, Body);
    }

    private static void Parallel(int rows, int keys, Action<int, int> body)
    {
        if ((long)rows * keys < 32768) body(0, rows);
        else Threading.For(rows, Math.Max(1, 8192 / keys), body);
    }

    private static Span<T> Writable<T>(ReadOnlySpan<T> span) =>
        MemoryMarshal.CreateSpan(ref MemoryMarshal.GetReference(span), span.Length);
}
