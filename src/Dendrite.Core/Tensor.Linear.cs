using System.Numerics.Tensors;
using Dendrite.Kernels;

namespace Dendrite;

/// <summary>An activation applied inside a fused op, right after the product, while the output is still in cache.</summary>
public enum FusedActivation
{
    /// <summary>No activation.</summary>
    None,

    /// <summary>max(0, y).</summary>
    Relu,
}

// The fully connected layer as one op: y = act(x·Wᵀ + b). In float32 the bias is broadcast into the output first and
// the GEMM accumulates onto it (beta = 1), and the activation runs on the freshly written rows, so there is no
// separate bias-add or activation pass and no intermediate tensor. Other types use the composite ops.
public partial class Tensor
{
    // The activation attribute, boxed once rather than on every call.
    private static readonly object BoxedNone = FusedActivation.None, BoxedRelu = FusedActivation.Relu;

    /// <summary>act(x·Wᵀ + b).   x (*, in), weight (out, in), bias (out) → (*, out).
    /// dx = g'·W, dW = g'ᵀ·x, db = Σ g' with g' = g ⊙ act'(y)</summary>
    public Tensor Linear(Tensor weight, Tensor? bias = null, FusedActivation activation = FusedActivation.None)
    {
        var x = this;
        if (weight.Rank != 2)
            throw new ArgumentException($"Linear: weight must be (out, in), got {Shapes.Format(weight.shape)}");
        int outF = weight.shape[0], inF = weight.shape[1];
        if (Rank == 0 || shape[^1] != inF)
            throw new ArgumentException($"Linear: input {Shapes.Format(shape)} has {(Rank == 0 ? 0 : shape[^1])} features, weight {Shapes.Format(weight.shape)} expects {inF}");
        if (bias is not null && (bias.Rank != 1 || bias.shape[0] != outF))
            throw new ArgumentException($"Linear: bias {Shapes.Format(bias.shape)} does not match {outF} outputs");
        // A weight that is the transposed view of a contiguous (in, out) matrix (GPT-2's Conv1D layout, passed as
        // w.T) is read in place by the GEMM too.
        bool transposedWeight = !weight.IsContiguous && weight.strides[0] == 1 && weight.strides[1] == outF;
        bool fast = DType == DType.Float32 && weight.DType == DType.Float32 && (bias is null || bias.DType == DType.Float32)
            && (weight.IsContiguous || transposedWeight) && (bias is null || bias.IsContiguous);
        if (!fast)
        {
            var r = MatMul(weight.T);
            if (bias is not null) r += bias;
            return activation == FusedActivation.Relu ? r.Relu() : r;
        }
        int rows = Numel / Math.Max(inF, 1);
        Tensor y;
        using (Autograd.NoGrad())
        {
            var x2 = Contiguous();
            y = Empty(DType.Float32, [.. shape[..^1], outF]);
            var ys = y.Span<float>();
            if (bias is not null)
            {
                var b = bias.Span<float>();
                for (int r = 0; r < rows; r++) b.CopyTo(ys.Slice(r * outF, outF));
            }
            if (rows > 0 && outF > 0)
            {
                if (transposedWeight)
                {
                    Gemm.Sgemm(false, false, rows, outF, inF, 1f, x2.Span<float>(), Math.Max(inF, 1),
                        weight.Array<float>().AsSpan(weight.Offset), outF, bias is null ? 0f : 1f, ys, outF);
                }
                else
                {
                    Gemm.Sgemm(false, true, rows, outF, inF, 1f, x2.Span<float>(), Math.Max(inF, 1),
                        weight.Span<float>(), Math.Max(inF, 1), bias is null ? 0f : 1f, ys, outF);
                }
            }
            if (activation == FusedActivation.Relu) TensorPrimitives.Max(ys, 0f, ys);
        }
        if (!Tracks(x, weight) && !(bias?.requiresGrad ?? false)) return y;
        Tensor[] inputs = bias is null ? [x, weight] : [x, weight, bias];
        return y.Record("Linear", inputs, g =>
        {
            var gy = activation == FusedActivation.Relu ? ReluGrad(g, y) : g;
            var g2 = gy.Reshape(rows, outF);
            var x2 = x.Reshape(rows, inF);
            var grads = new Tensor?[inputs.Length];
            if (x.requiresGrad) grads[0] = g2.MatMul(weight).Reshape(x.shape);
            // laid out like the weight: for a transposed view, (x2ᵀ·g2)ᵀ, so the gradient reaching the (in, out)
            // matrix behind it is contiguous
            if (weight.requiresGrad) grads[1] = transposedWeight ? x2.T.MatMul(g2).T : g2.T.MatMul(x2);
            if (bias is not null && bias.requiresGrad) grads[2] = g2.Sum(0);
            return grads;
        }, saved: activation == FusedActivation.Relu ? [x, weight, y] : [x, weight],
            attributes: [("activation", activation == FusedActivation.Relu ? BoxedRelu : BoxedNone)]);
    }
}
