namespace Dendrite.Nn;

// Activation layers: each wraps one function of Functional (or a tensor primitive). Shapes are preserved.

/// <summary>Heaviside step (no gradient).</summary>
public sealed class BinaryStep : Module, ILayer
{
    /// <inheritdoc/>
    public Tensor Forward(Tensor x) => Functional.BinaryStep(x);
}

/// <summary>The identity ("linear" activation).</summary>
public sealed class LinearActivation : Module, ILayer
{
    /// <inheritdoc/>
    public Tensor Forward(Tensor x) => x;
}

/// <summary>Logistic sigmoid 1 / (1 + e⁻ˣ).</summary>
public sealed class Sigmoid : Module, ILayer
{
    /// <inheritdoc/>
    public Tensor Forward(Tensor x) => x.Sigmoid();
}

/// <summary>Hyperbolic tangent.</summary>
public sealed class Tanh : Module, ILayer
{
    /// <inheritdoc/>
    public Tensor Forward(Tensor x) => x.Tanh();
}

/// <summary>max(0, x).</summary>
public sealed class Relu : Module, ILayer
{
    /// <inheritdoc/>
    public Tensor Forward(Tensor x) => x.Relu();
}

/// <summary>Leaky ReLU with a fixed negative slope.</summary>
public sealed class LeakyRelu(double negativeSlope = 0.01) : Module, ILayer
{
    /// <inheritdoc/>
    public Tensor Forward(Tensor x) => Functional.LeakyRelu(x, negativeSlope);
}

/// <summary>Leaky ReLU whose slope is learned (He et al., 2015); one slope, or one per channel. Init 0.25.</summary>
public sealed class PRelu(int numParameters = 1, double init = 0.25) : Module, ILayer
{
    /// <summary>[numParameters].</summary>
    public Parameter Weight { get; } = Init.Constant([numParameters], init);

    /// <inheritdoc/>
    public Tensor Forward(Tensor x) => Functional.PRelu(x, Weight);
}

/// <summary>Exponential linear unit.</summary>
public sealed class Elu(double alpha = 1) : Module, ILayer
{
    /// <inheritdoc/>
    public Tensor Forward(Tensor x) => Functional.Elu(x, alpha);
}

/// <summary>Gaussian error linear unit (exact, or the tanh approximation).</summary>
public sealed class Gelu(bool tanhApproximation = false) : Module, ILayer
{
    /// <inheritdoc/>
    public Tensor Forward(Tensor x) => Functional.Gelu(x, tanhApproximation);
}

/// <summary>Swish / SiLU: x·σ(x).</summary>
public sealed class Silu : Module, ILayer
{
    /// <inheritdoc/>
    public Tensor Forward(Tensor x) => Functional.Silu(x);
}

/// <summary>Softmax along a dimension.</summary>
public sealed class Softmax(int dim = -1) : Module, ILayer
{
    /// <inheritdoc/>
    public Tensor Forward(Tensor x) => x.Softmax(dim);
}

/// <summary>Log-softmax along a dimension.</summary>
public sealed class LogSoftmax(int dim = -1) : Module, ILayer
{
    /// <inheritdoc/>
    public Tensor Forward(Tensor x) => x.LogSoftmax(dim);
}
