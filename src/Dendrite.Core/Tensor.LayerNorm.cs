using System.Numerics;
using System.Numerics.Tensors;

namespace Dendrite;

// Layer normalisation (Ba, Kiros and Hinton, 2016, arXiv:1607.06450) as one op, over rows of N = Π normalizedShape
// elements:
//   μ = mean(x),  r = 1/√(var(x) + ε) (biased variance),  x̂ = (x − μ)·r,  y = x̂·γ + β
// The forward makes one pass per row (statistics, then the normalised row written while it is in cache) and saves
// μ and r per row; the backward makes one pass per row from them (llm.c's layernorm_backward):
//   ĝ = g·γ,  dx = r·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)),  dγ = Σ_rows g·x̂,  dβ = Σ_rows g
// Generic over float32 and float64, so the finite-difference check runs on this very kernel.
public partial class Tensor
{
    /// <summary>Layer normalisation over the trailing dimensions <paramref name="normalizedShape"/>:
    /// (x − μ)/√(σ² + ε)·γ + β, with γ (<paramref name="weight"/>) and β (<paramref name="bias"/>) of
    /// shape
    /// <paramref name="normalizedShape"/> or null.   x (*, normalizedShape) → same shape.
    /// dx = r·(ĝ − mean ĝ − x̂·mean(ĝ·x̂)) with ĝ = g·γ, dγ = Σ g·x̂, dβ = Σ g</summary>
    public Tensor LayerNorm(ReadOnlySpan<int> normalizedShape, Tensor? weight = null, Tensor? bias = null,
        double eps = 1e-5)
    {
        const string op = "LayerNorm";
        int k = normalizedShape.Length;
        string norm = Shapes.Format(normalizedShape);
        if (k == 0 || k > Rank || !shape.AsSpan(Rank - k).SequenceEqual(normalizedShape))
            throw new ArgumentException($"{op}: input {Shapes.Format(shape)} does not end with the normalised " +
                $"shape {norm}");
        if (!DType.IsFloating()) throw new NotSupportedException($"{op}: not defined for {DType} tensors");
        foreach (var (t, what) in new[] { (weight, "weight"), (bias, "bias") })
        {
            if (t is null) continue;
            if (!t.shape.AsSpan().SequenceEqual(normalizedShape))
                throw new ArgumentException($"{op}: {what} {Shapes.Format(t.shape)} must have the normalised shape " +
                    norm);
            if (!t.DType.IsFloating())
                throw new ArgumentException($"{op}: {what} is {t.DType}, not floating-point");
        }
        int n = Shapes.Numel(normalizedShape);
        int rows = n == 0 ? 0 : Numel / n;
        var x = Contiguous();
        // Parameters of another floating type (a float32 layer on float64 input, as in a gradient check) are
        // converted; the conversion is recorded, so their gradients come back in their own type.
        if (weight is not null && weight.DType != DType) weight = weight.To(DType);
        if (bias is not null && bias.DType != DType) bias = bias.To(DType);
        var w = weight?.Contiguous();
        var b = bias?.Contiguous();
        var y = Empty(DType, [.. shape]);
        var mean = Empty(DType, [rows]);
        var rstd = Empty(DType, [rows]);
        if (DType == DType.Float32) LayerNormKernel<float>.Forward(x, w, b, eps, n, y, mean, rstd);
        else LayerNormKernel<double>.Forward(x, w, b, eps, n, y, mean, rstd);
        var input = this;
        bool tracks = Tracks(input) || (weight?.requiresGrad ?? false) || (bias?.requiresGrad ?? false);
        if (!tracks || !Autograd.IsEnabled) return y;
        var inputList = new List<Tensor> { input };
        if (weight is not null) inputList.Add(weight);
        if (bias is not null) inputList.Add(bias);
        Tensor[] inputs = [.. inputList];
        int[] normShape = normalizedShape.ToArray();
        Tensor[] saved = w is null ? [x, mean, rstd] : [x, mean, rstd, w];
        return y.Record(op, inputs, g =>
        {
            g = g.Contiguous();
            var dx = Empty(DType, [.. input.shape]);
            var dw = weight is null ? null : Empty(DType, normShape);
            var db = bias is null ? null : Empty(DType, normShape);
            if (DType == DType.Float32) LayerNormKernel<float>.Backward(g, x, w, mean, rstd, n, dx, dw, db);
            else LayerNormKernel<double>.Backward(g, x, w, mean, rstd, n, dx, dw, db);
            var grads = new List<Tensor?> { input.requiresGrad ? dx : null };
            if (weight is not null) grads.Add(weight.requiresGrad ? dw : null);
            if (bias is not null) grads.Add(bias.requiresGrad ? db : null);
            return [.. grads];
        }, saved: saved, attributes: [("eps", eps)],
            differentiable: false);
    }

    private static class LayerNormKernel<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static void Forward(Tensor x, Tensor? w, Tensor? b, double eps, int n, Tensor y, Tensor mean,
            Tensor rstd)
        {
            int rows = mean.Numel;
            if (rows == 0) return;
            T e = T.CreateChecked(eps), inv = T.One / T.CreateChecked(n);
            void Body(int start, int end)
            {
                var xs = x.Span<T>();
                var ys = y.Span<T>();
                var ws = w is null ? default : w.Span<T>();
                var bs = b is null ? default : b.Span<T>();
                var ms = mean.Span<T>();
                var rs = rstd.Span<T>();
                for (int r = start; r < end; r++)
                {
                    var xr = xs.Slice(r * n, n);
                    var yr = ys.Slice(r * n, n);
                    T mu = TensorPrimitives.Sum<T>(xr) * inv;
                    TensorPrimitives.Subtract(xr, mu, yr);
                    T rs1 = T.One / T.Sqrt(TensorPrimitives.SumOfSquares<T>(yr) * inv + e);
                    TensorPrimitives.Multiply(yr, rs1, yr);
                    if (w is not null && b is not null) TensorPrimitives.FusedMultiplyAdd(yr, ws, bs, yr);
                    else if (w is not null) TensorPrimitives.Multiply(yr, ws, yr);
                    else if (b is not null) TensorPrimitives.Add(yr, bs, yr);
                    ms[r] = mu;
                    rs[r] = rs1;
                }
            }
            if ((long)rows * n < 32768) Body(0, rows);
            else Threading.For(rows, Math.Max(1, 16384 / n), Body);
        }

        public static void Backward(Tensor g, Tensor x, Tensor? w, Tensor mean, Tensor rstd, int n, Tensor dx,
            Tensor? dw, Tensor? db)
        {
            int rows = mean.Numel;
            var gs = g.Span<T>();
            var xs = x.Span<T>();
            var ws = w is null ? default : w.Span<T>();
            var dxs = dx.Span<T>();
            var dws = dw is null ? default : dw.Span<T>();
            var dbs = db is null ? default : db.Span<T>();
            dws.Clear();
            dbs.Clear();
            Span<T> scratch = n <= 1024 ? stackalloc T[2 * n] : new T[2 * n];
            var xhat = scratch[..n];
            var gh = scratch.Slice(n, n);
            T inv = T.One / T.CreateChecked(n);
            var ms = mean.Span<T>();
            var rs = rstd.Span<T>();
            for (int r = 0; r < rows; r++)
            {
                var gr = gs.Slice(r * n, n);
                var dxr = dxs.Slice(r * n, n);
                T rr = rs[r];
                TensorPrimitives.Subtract(xs.Slice(r * n, n), ms[r], xhat);
                TensorPrimitives.Multiply(xhat, rr, xhat);                       // x̂
                if (dw is not null) TensorPrimitives.FusedMultiplyAdd(gr, xhat, dws, dws); // dγ += g·x̂
                if (db is not null) TensorPrimitives.Add(dbs, gr, dbs);          // dβ += g
                if (w is null) gr.CopyTo(gh);
                else TensorPrimitives.Multiply(gr, ws, gh);                       // ĝ = g·γ
                T a = TensorPrimitives.Sum<T>(gh) * inv;
                T c = TensorPrimitives.Dot<T>(gh, xhat) * inv;
                // dx = r·(ĝ − a − x̂·c)
                TensorPrimitives.MultiplyAdd(xhat, -c, gh, dxr);
                TensorPrimitives.Subtract(dxr, a, dxr);
                TensorPrimitives.Multiply(dxr, rr, dxr);
            }
        }
    }
}
