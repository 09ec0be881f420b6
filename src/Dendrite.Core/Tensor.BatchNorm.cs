using Dendrite.Kernels;

namespace Dendrite;

public partial class Tensor
{
    /// <summary>Batch normalisation with batch statistics (training mode) of x (N, C, *) over every axis but 1:
    /// (x - mean)/√(var + ε)·γ + β with γ, β of shape [C]. Float32 runs fused kernels (statistics in one pass,
    /// normalise + affine in one, a fused backward); Float64 runs the composite ops (for gradcheck).
    /// <paramref name="batchMean"/> and <paramref name="batchVar"/> (biased) come back detached, shape [C], for
    /// running estimates.</summary>
    public Tensor BatchNormTrain(Tensor weight, Tensor bias, double eps, out Tensor batchMean, out Tensor batchVar)
    {
        const string op = "BatchNormTrain";
        if (Rank < 2 || weight.Rank != 1 || bias.Rank != 1 || weight.shape[0] != shape[1] ||
            bias.shape[0] != shape[1])
            throw new ArgumentException($"{op}: input {Shapes.Format(shape)} needs rank ≥ 2 and weight " +
                $"{Shapes.Format(weight.shape)} and bias {Shapes.Format(bias.shape)} of shape " +
                $"[{(Rank < 2 ? 0 : shape[1])}]");
        if (!DType.IsFloating() || weight.DType != DType || bias.DType != DType)
            throw new ArgumentException($"{op}: input ({DType}), weight ({weight.DType}) and bias ({bias.DType}) " +
                "must share one floating-point type");
        int n = shape[0], c = shape[1], s = Numel / Math.Max(1, n * c);
        if (DType != DType.Float32)
        {
            int[] axes = [0, .. Enumerable.Range(2, Rank - 2)];
            int[] view = [1, -1, .. Enumerable.Repeat(1, Rank - 2)];
            var mean = Mean(axes, keepDim: true);
            var var = Var(axes, keepDim: true, correction: 0);
            batchMean = mean.Detach().Reshape(-1);
            batchVar = var.Detach().Reshape(-1);
            return (this - mean) / (var + eps).Sqrt() * weight.Reshape(view) + bias.Reshape(view);
        }
        var x = Contiguous();
        var w = weight.Contiguous();
        var b = bias.Contiguous();
        var mu = Empty(DType.Float32, [c]);
        var sigma2 = Empty(DType.Float32, [c]);
        var y = Empty(DType.Float32, [.. shape]);
        BatchNorm.Statistics(x.Span<float>(), n, c, s, mu.Span<float>(), sigma2.Span<float>());
        BatchNorm.Normalize(x.Span<float>(), n, c, s, mu.Span<float>(), sigma2.Span<float>(), w.Span<float>(),
            b.Span<float>(), eps, y.Span<float>());
        batchMean = mu;
        batchVar = sigma2;
        var input = this;
        return y.Record(op, [input, weight, bias], g =>
        {
            g = g.Contiguous();
            var dx = input.requiresGrad ? Empty(DType.Float32, [.. input.shape]) : null;
            var dw = Empty(DType.Float32, [c]);
            var db = Empty(DType.Float32, [c]);
            BatchNorm.Backward(g.Span<float>(), x.Span<float>(), n, c, s, mu.Span<float>(), sigma2.Span<float>(),
                w.Span<float>(), eps, dx is null ? default : dx.Span<float>(), dw.Span<float>(), db.Span<float>());
            return [dx, weight.requiresGrad ? dw : null, bias.requiresGrad ? db : null];
        }, saved: [x, w, mu, sigma2], attributes: [("eps", eps)], differentiable: false);
    }
}
