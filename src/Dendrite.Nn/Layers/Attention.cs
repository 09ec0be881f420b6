using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace Dendrite.Nn;

// Scaled dot-product attention (Vaswani et al., 2017, "Attention Is All You Need", arXiv:1706.03762):
//   P = softmax(q·kᵀ·scale + mask),  y = P·v
// Shapes: * leading (batch, heads) dimensions, T queries, S keys, D query/key width, Dv value width.
//   q (*, T, D), k (*, S, D), v (*, S, Dv) → y (*, T, Dv), P (*, T, S)
//
// One op with its own backward. The products are batched GEMMs (one call for every batch and head) that read q, k
// and v where they lie (strided views of a fused projection need no copy) and write y and the gradients in q's
// memory order, so heads split from one projection merge back without a copy; the causal mask, the scale, the
// softmax and (in the backward) the softmax gradient with the scale run as one pass per row of P, in place, so
// the T×S scores are written once by the GEMM, rewritten once by the softmax, and read once by the second GEMM.
// Causal rows stop at their diagonal: entries past it are never exponentiated, and the products run by blocks of
// 64 query rows (and 64 keys for dk, dv), each against the keys it sees, so the blocks above the diagonal are
// neither computed nor read. (With a floating mask, added to scaled scores, q is scaled before the product
// instead.) The backward, from the saved P:
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
        int[] batch = q.Shape[..^2].ToArray();
        // Causal products run in blocks of query rows, each against the keys its last row sees: the GEMMs skip the
        // blocks above the diagonal (at T = S = 128, 3 of the 4 blocks of 64×64 are computed).
        int blocks = causal ? (T + CausalBlock - 1) / CausalBlock : 1;
        Tensor y, p, pd;
        Tensor? keep = null;
        using (Autograd.NoGrad())
        {
            var qs = prescale ? q * s : q;
            var kt = k.Transpose(-2, -1);
            var scores = Tensor.Uninitialized(q.DType, [.. batch, T, S]);              // (*, T, S)
            for (int i = 0; i < blocks; i++)
            {
                var (r0, rows, seen) = RowBlock(i, T, S, causal);
                if (seen > 0) Tensor.MatMulInto(qs.Narrow(-2, r0, rows), kt.Narrow(-1, 0, seen),
                    scores.Narrow(-2, r0, rows).Narrow(-1, 0, seen));
            }
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
            // Past a causal row's end the scores were never written; the softmax clears them without reading.
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
            y = InOrderOf(q, [.. batch, T, v.Size(-1)]);                                // (*, T, Dv)
            for (int i = 0; i < blocks; i++)
            {
                var (r0, rows, seen) = RowBlock(i, T, S, causal);
                Tensor.MatMulInto(pd.Narrow(-2, r0, rows).Narrow(-1, 0, seen), v.Narrow(-2, 0, seen),
                    y.Narrow(-2, r0, rows));
            }
        }
        weights = p;
        if (!Autograd.IsEnabled || !(q.RequiresGrad || k.RequiresGrad || v.RequiresGrad)) return y;
        Tensor[] saved = keep is null ? [q, k, v, p] : [q, k, v, p, keep];
        return Autograd.Op(op, y, [q, k, v], g =>
        {
            using var _ = Autograd.NoGrad();
            var dp = Tensor.Uninitialized(q.DType, [.. batch, T, S]);                     // (*, T, S)
            var vt = v.Transpose(-2, -1);
            for (int i = 0; i < blocks; i++)
            {
                var (r0, rows, seen) = RowBlock(i, T, S, causal);
                if (seen > 0) Tensor.MatMulInto(g.Narrow(-2, r0, rows), vt.Narrow(-1, 0, seen),
                    dp.Narrow(-2, r0, rows).Narrow(-1, 0, seen));
            }
            if (keep is not null) dp = dp * keep;
            // dp becomes s·dZ, so that dq = s·dZ·k and dk = s·dZᵀ·q need no scaling pass of their own
            if (dp.DType == DType.Float32) SoftmaxBackwardRows<float>(p, dp, T, S, causal, (float)s);
            else SoftmaxBackwardRows<double>(p, dp, T, S, causal, s);
            Tensor? dq = null, dk = null, dv = null;
            if (q.RequiresGrad)
            {
                dq = InOrderOf(q, q.Shape.ToArray());                                     // (*, T, D)
                for (int i = 0; i < blocks; i++)
                {
                    var (r0, rows, seen) = RowBlock(i, T, S, causal);
                    Tensor.MatMulInto(dp.Narrow(-2, r0, rows).Narrow(-1, 0, seen), k.Narrow(-2, 0, seen),
                        dq.Narrow(-2, r0, rows));
                }
            }
            if (k.RequiresGrad) dk = KeyGradient(dp, q, InOrderOf(k, k.Shape.ToArray()), T, S, causal);  // (*, S, D)
            if (v.RequiresGrad) dv = KeyGradient(pd, g, InOrderOf(v, v.Shape.ToArray()), T, S, causal); // (*, S, Dv)
            return [dq, dk, dv];
        }, saved: saved, attributes: new Dictionary<string, object> { ["causal"] = causal, ["scale"] = s },
            differentiable: false);
    }

    /// <summary>Rows per block of a causal product. Smaller blocks skip more of the upper triangle but run smaller
    /// GEMMs; figures: bench/README.md, "Causal attention blocks".</summary>
    private const int CausalBlock = 64;

    // Block i of the query rows, [r0, r0 + rows), and how many keys its last row sees (query r sees keys
    // j ≤ r + S − T under the causal mask; all S without it).
    private static (int R0, int Rows, int Seen) RowBlock(int i, int T, int S, bool causal)
    {
        int step = causal ? CausalBlock : T, r0 = i * step, rows = Math.Min(step, T - r0);
        return (r0, rows, causal ? Math.Clamp(r0 + rows + S - T, 0, S) : S);
    }

    // dk = dZᵀ·q (or dv = Pᵀ·g) into `into`, (*, S, ·), by blocks of keys: key j is seen by queries r ≥ j − (S − T)
    // only, so block [j0, j1) multiplies the rows from there on.
    private static Tensor KeyGradient(Tensor weights, Tensor rowsOperand, Tensor into, int T, int S, bool causal)
    {
        var wt = weights.Transpose(-2, -1);                                                // (*, S, T)
        int step = causal ? CausalBlock : S;
        for (int j0 = 0; j0 < S; j0 += step)
        {
            int keys = Math.Min(step, S - j0), r0 = causal ? Math.Clamp(j0 - (S - T), 0, T) : 0;
            Tensor.MatMulInto(wt.Narrow(-2, j0, keys).Narrow(-1, r0, T - r0), rowsOperand.Narrow(-2, r0, T - r0),
                into.Narrow(-2, j0, keys));
        }
        return into;
    }

    // An uninitialised tensor of `shape` whose memory runs in the order of `like`'s strides (as PyTorch's
    // empty_like keeps a layout): attention's output and gradients for heads split from one (B, T, H·hs) projection
    // are then laid out (B, T, H, hs), and merging the heads back is a view, not a copy. Contiguous when `like`'s
    // last dimension is not its innermost.
    private static Tensor InOrderOf(Tensor like, int[] shape)
    {
        int rank = shape.Length;
        Span<int> order = stackalloc int[rank];
        for (int d = 0; d < rank; d++) order[d] = d;
        // Insertion sort by decreasing stride; ties keep the logical order. A size-1 dimension's stride says nothing.
        for (int i = 1; i < rank; i++)
        {
            for (int j = i; j > 0 && Key(order[j]) > Key(order[j - 1]); j--)
                (order[j], order[j - 1]) = (order[j - 1], order[j]);
        }
        if (order[rank - 1] != rank - 1) return Tensor.Uninitialized(like.DType, shape);
        bool identity = true;
        for (int d = 0; d < rank; d++) identity &= order[d] == d;
        if (identity) return Tensor.Uninitialized(like.DType, shape);
        int[] stored = new int[rank], back = new int[rank];
        for (int d = 0; d < rank; d++)
        {
            stored[d] = shape[order[d]];
            back[order[d]] = d;
        }
        return Tensor.Uninitialized(like.DType, stored).Permute(back);

        long Key(int d) => like.Size(d) == 1 ? long.MaxValue : like.Strides[d];
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

    // scale·dZ = scale·P ⊙ (dP − Σⱼ dP ⊙ P), row by row, in place over dP. Past a causal row's end dP was not
    // written: those entries are set to 0 without being read.
    private static void SoftmaxBackwardRows<T>(Tensor p, Tensor dp, int queries, int keys, bool causal, T scale)
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
                int n = causal ? Math.Clamp(r % queries + keys - queries + 1, 0, keys) : keys;
                var pr = ps.Slice(r * keys, n);
                var dr = ds.Slice(r * keys, keys);
                dr[n..].Clear();
                dr = dr[..n];
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
