namespace Dendrite.Nn;

/// <summary>min(max(0, x), 6) (Krizhevsky, 2010; MobileNet v2's activation, robust at low precision).
///   (*) → same.</summary>
public sealed class Relu6 : Module, ILayer
{
    /// <inheritdoc/>
    public Tensor Forward(Tensor x) => x.Clamp(0, 6);
}
