using System.Numerics.Tensors;

namespace Dendrite;

// Inference paths: evaluation-mode batch normalisation in one pass, and clamping a freshly made output in place (the
// activation after a convolution in a forward that records no gradient).
public partial class Tensor
{
    /// <summary>Batch normalisation with given statistics (evaluation mode) of x (N, C, *):
    /// (x - mean)/√(var + ε)·γ + β, every argument of shape [C]. When no gradient is recorded (float32, and autograd
    /// off or nothing requiring grad) it runs one fused pass (a per-channel scale and shift); otherwise it runs the
    /// composite ops, so gradients flow to x, γ and β as usual.</summary>
    public Tensor BatchNormInference(Tensor mean, Tensor var, Tensor weight, Tensor bias, double eps)
    {
        const string op = "BatchNormInference";
        int c = Rank < 2 ? -1 : shape[1];
        foreach (var (name, t) in new[] { ("mean", mean), ("var", var), ("weight", weight), ("bias", bias) })
        {
            if (c < 0 || t.Rank != 1 || t.shape[0] != c)
                throw new ArgumentException($"{op}: input {Shapes.Format(shape)} needs rank ≥ 2 and {name} " +
                    $"{Shapes.Format(t.shape)} of shape [{(c < 0 ? 0 : c)}]");
            if (t.DType != DType || !DType.IsFloating())
                throw new ArgumentException($"{op}: input ({DType}) and {name} ({t.DType}) must share one " +
                    "floating-point type");
        }
        bool recorded = Autograd.IsEnabled && (requiresGrad || weight.requiresGrad || bias.requiresGrad ||
            mean.requiresGrad || var.requiresGrad);
        if (DType != DType.Float32 || recorded)
        {
            int[] view = [1, -1, .. Enumerable.Repeat(1, Rank - 2)];
            return (this - mean.Reshape(view)) / (var.Reshape(view) + eps).Sqrt() * weight.Reshape(view) +
                bias.Reshape(view);
        }
        int n = shape[0], s = Numel / Math.Max(1, n * c);
        var x = Contiguous();
        var y = Empty(DType.Float32, [.. shape]);
        Kernels.BatchNorm.Normalize(x.Span<float>(), n, c, s, mean.Contiguous().Span<float>(),
            var.Contiguous().Span<float>(), weight.Contiguous().Span<float>(), bias.Contiguous().Span<float>(), eps,
            y.Span<float>());
        return y;
    }

    /// <summary>Limits every element to [min, max] in place (either bound may be absent) and returns this. Not
    /// recorded by autograd: meant for a tensor just made by a forward that records no gradient (a fused
    /// activation). Throws when this tensor requires grad while autograd is on.</summary>
    public Tensor ClampInPlace(double? min = null, double? max = null)
    {
        if (requiresGrad && Autograd.IsEnabled)
            throw new InvalidOperationException($"ClampInPlace: tensor {Shapes.Format(shape)} requires grad; an " +
                "in-place clamp would hide it from autograd (use Clamp, or run under Autograd.NoGrad())");
        if (!DType.IsFloating())
            throw new ArgumentException($"ClampInPlace: needs a floating-point tensor, got {DType}");
        if (!IsContiguous)
        {
            Tensor clamped;
            using (Autograd.NoGrad()) clamped = Clamp(min, max);
            CopyFrom(clamped);
            return this;
        }
        Storage.Version++;
        if (DType == DType.Float32)
        {
            var span = Span<float>();
            if (min is double lo) TensorPrimitives.Max(span, (float)lo, span);
            if (max is double hi) TensorPrimitives.Min(span, (float)hi, span);
        }
        else
        {
            var span = Span<double>();
            if (min is double lo) TensorPrimitives.Max(span, lo, span);
            if (max is double hi) TensorPrimitives.Min(span, hi, span);
        }
        return this;
    }
}
