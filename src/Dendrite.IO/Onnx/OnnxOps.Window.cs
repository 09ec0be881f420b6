namespace Dendrite.IO;

// Window functions for spectral analysis, w[k] for k = 0 … N−1 with D = N when periodic (the default) and N − 1
// when symmetric:
//   Hann      w = ½ − ½ cos(2πk/D)
//   Hamming   w = α − (1 − α) cos(2πk/D),  α = 25/46
//   Blackman  w = 0.42 − ½ cos(2πk/D) + 0.08 cos(4πk/D)
internal static partial class OnnxOps
{
    private static void AddWindow(Dictionary<string, Func<OnnxNode, Tensor[]>> t)
    {
        t["HannWindow"] = One(n => SpectralWindow(n, c => 0.5 - 0.5 * Math.Cos(c)));
        t["HammingWindow"] = One(n => SpectralWindow(n, c => 25.0 / 46 - 21.0 / 46 * Math.Cos(c)));
        t["BlackmanWindow"] = One(n => SpectralWindow(n, c => 0.42 - 0.5 * Math.Cos(c) + 0.08 * Math.Cos(2 * c)));
    }

    /// <summary>The window of the size given by input 0, from <paramref name="f"/> of the phase 2πk/D.</summary>
    private static Tensor SpectralWindow(OnnxNode n, Func<double, double> f)
    {
        var size = n.In(0);
        if (size.DType != DType.Int64 || size.Numel != 1)
            throw n.Error($"size must be one integer, got {size.DType} {Shapes.Format(size.Shape)}");
        long count = size.ToArray<long>()[0];
        CheckedNumel(n, [count], "size");
        var dtype = OnnxTensor.MapType((int)n.Int("output_datatype", 1), n.Where);
        bool periodic = n.Int("periodic", 1) != 0;
        long denominator = periodic ? count : count - 1;
        var w = new double[count];
        for (long k = 0; k < count; k++) w[k] = denominator == 0 ? 1 : f(2 * Math.PI * k / denominator);
        return Tensor.From(w, (int)count).To(dtype);
    }
}
