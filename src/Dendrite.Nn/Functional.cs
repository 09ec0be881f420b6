namespace Dendrite.Nn;

/// <summary>Activation functions of the course as compositions of tensor primitives (their gradients come from
/// the primitives). Shapes are preserved.</summary>
public static class Functional
{
    /// <summary>Heaviside step: 1 where x ≥ 0, else 0. Its derivative is zero almost everywhere, so no gradient
    /// flows (the reason the perceptron has its own learning rule).</summary>
    public static Tensor BinaryStep(Tensor x) => x.Ge(Tensor.Scalar(0, x.DType)).To(x.DType);

    /// <summary>max(0, x).</summary>
    public static Tensor Relu(Tensor x) => x.Relu();

    /// <summary>x for x &gt; 0, slope·x otherwise (<see cref="Tensor.LeakyRelu"/>: one fused op; the gradient at 0 is
    /// slope, not split).</summary>
    public static Tensor LeakyRelu(Tensor x, double slope = 0.01) => x.LeakyRelu(slope);

    /// <summary>Leaky ReLU with a learned slope per channel (dimension 1) or a single shared slope.</summary>
    public static Tensor PRelu(Tensor x, Tensor weight)
    {
        var w = weight;
        if (weight.Numel > 1 && x.Rank > 1)
        {
            var shape = new int[x.Rank];
            Array.Fill(shape, 1);
            shape[1] = weight.Numel;
            w = weight.Reshape(shape);
        }
        return Tensor.Where(x.Gt(0), x, x * w);
    }

    /// <summary>x for x &gt; 0, α(eˣ - 1) otherwise (Clevert et al., 2015).</summary>
    public static Tensor Elu(Tensor x, double alpha = 1) => Tensor.Where(x.Gt(0), x, (x.Exp() - 1) * alpha);

    /// <summary>SELU: scale·ELU(x, α) with Klambauer et al.'s constants.</summary>
    public static Tensor Selu(Tensor x) => Elu(x, 1.6732632423543772) * 1.0507009873554805;

    /// <summary>x·Φ(x) with the exact normal CDF Φ(x) = ½(1 + erf(x/√2)); with <paramref name="tanh"/>, the
    /// approximation ½x(1 + tanh(√(2/π)(x + 0.044715x³))).</summary>
    public static Tensor Gelu(Tensor x, bool tanh = false) => tanh
        ? (x.DType.IsFloating() ? GeluTanh.Forward(x) : GeluTanhComposite(x))   // fused: one pass each way
        : x * 0.5 * ((x / Math.Sqrt(2)).Erf() + 1);

    /// <summary>The tanh form of GELU written with elementary ops (the definition the fused op is tested against).
    /// </summary>
    internal static Tensor GeluTanhComposite(Tensor x) =>
        x * 0.5 * ((x + x * x * x * 0.044715) * Math.Sqrt(2 / Math.PI)).Tanh().Add(Tensor.Scalar(1, x.DType));

    /// <summary>Swish / SiLU: x·σ(x) (Ramachandran et al., 2017).</summary>
    public static Tensor Silu(Tensor x) => x * x.Sigmoid();

    /// <summary>log(1 + eˣ), computed as p + log(1 + e^(x - 2p)) with p = max(x, 0) so it never overflows
    /// (x - 2p = -|x|). Written with x - 2p rather than -|x| so the gradient at 0 is σ(0) = ½: relu and abs both
    /// have a zero subgradient there, which would make the whole derivative 0.</summary>
    public static Tensor Softplus(Tensor x)
    {
        var p = x.Relu();
        return p + ((x - p - p).Exp() + 1).Log();
    }

    /// <summary>x / (1 + |x|).</summary>
    public static Tensor Softsign(Tensor x) => x / (x.Abs() + 1);

    /// <summary>max(0, min(1, αx + β)) (ONNX defaults α = 0.2, β = 0.5; torch's Hardsigmoid is α = 1/6).
    /// Written with Where rather than Clamp so that, as in torch, no gradient flows at the two corners.</summary>
    public static Tensor HardSigmoid(Tensor x, double alpha = 0.2, double beta = 0.5)
    {
        var z = x * alpha + beta;
        return Tensor.Where(z.Gt(0).And(z.Lt(1)), z, z.Gt(0).To(x.DType));
    }
}
