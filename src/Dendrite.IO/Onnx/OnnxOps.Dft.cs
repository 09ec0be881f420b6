namespace Dendrite.IO;

// DFT(input [B, …, 1 or 2], dft_length?) along `axis`: the last axis holds a real value or (real, imaginary).
//   X[k] = Σₙ x[n] · e^(∓2πi·kn/N)        (− forward; + inverse, divided by N)
// N is dft_length when given (the signal zero-padded or cut to it), else the axis length; onesided keeps
// k = 0 … ⌊N/2⌋. Computed directly in O(N²) per signal, in double.
internal static partial class OnnxOps
{
    // The most multiply-adds a DFT node may ask for (about a second of work), so a file cannot stall the runner.
    private const long MaxDftWork = 1L << 30;

    private static void AddDft(Dictionary<string, Func<OnnxNode, Tensor[]>> t)
    {
        t["DFT"] = One(Dft);
    }

    private static Tensor Dft(OnnxNode n)
    {
        var x = n.In(0);
        if (x.Rank < 3 || x.Shape[^1] is not (1 or 2))
            throw n.Error($"input must be [batch, …, 1 or 2], got {Shapes.Format(x.Shape)}");
        int axis = n.Axis(n.Int("axis", 1), x.Rank - 1);
        if (axis == 0) throw n.Error("attribute axis must not be the batch axis 0");
        bool inverse = n.Int("inverse", 0) != 0, onesided = n.Int("onesided", 0) != 0;
        int len = x.Shape[axis];
        long length = n.Opt(1) is { Numel: > 0 } ? (long)n.Scalar(1) : len;
        if (length < 1) throw n.Error($"dft_length {length} must be positive");
        long outLen = onesided ? length / 2 + 1 : length;
        long[] outShape = [.. x.Shape.ToArray().Select(d => (long)d)];
        outShape[axis] = outLen;
        outShape[^1] = 2;
        int total = CheckedNumel(n, outShape, "output shape");
        long signals = total / (2 * outLen);
        if (signals * outLen * Math.Min(length, len) > MaxDftWork)
            throw n.Error($"a DFT of length {length} over {signals} signals is more than {MaxDftWork} steps");
        int outer = 1, inner = 1;
        for (int d = 0; d < axis; d++) outer *= x.Shape[d];
        for (int d = axis + 1; d < x.Rank - 1; d++) inner *= x.Shape[d];
        int parts = x.Shape[^1];
        var v = x.ToArray<double>();
        var y = new double[total];
        double sign = inverse ? 1 : -1;
        int used = (int)Math.Min(length, len);
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                for (long k = 0; k < outLen; k++)
                {
                    double re = 0, im = 0;
                    for (int t = 0; t < used; t++)
                    {
                        long at = ((long)(o * len + t) * inner + i) * parts;
                        double a = v[at], b = parts == 2 ? v[at + 1] : 0;
                        // Reduce k·t mod N first so the angle stays small and exact.
                        double angle = sign * 2 * Math.PI * (k * t % length) / length;
                        double c = Math.Cos(angle), s = Math.Sin(angle);
                        re += a * c - b * s;
                        im += a * s + b * c;
                    }
                    if (inverse)
                    {
                        re /= length;
                        im /= length;
                    }
                    long to = (((long)o * outLen + k) * inner + i) * 2;
                    y[to] = re;
                    y[to + 1] = im;
                }
            }
        }
        return Tensor.From(y, outShape.Select(d => (int)d).ToArray()).To(x.DType);
    }
}
