namespace Dendrite;

// Special functions: float32 through the vectorised kernel of Tensor.Erf.cs, float64 in double precision element
// by element.
public partial class Tensor
{
    /// <summary>The error function erf(x) = 2/√π ∫₀ˣ e^(-t²) dt.   dy/dx = 2/√π · e^(-x²)</summary>
    public Tensor Erf()
    {
        var x = this;
        if (!DType.IsFloating()) throw new NotSupportedException($"Erf: not defined for {DType} tensors");
        var c = Contiguous();
        var y = Empty(DType, (int[])shape.Clone());
        if (DType == DType.Float32)
        {
            // Vectorised (Tensor.Erf.cs), split across threads for large tensors as the element-wise ops are.
            float[] xa = c.Array<float>(), ya = y.Array<float>();
            int xo = c.Offset;
            Kernels.Parallel.For(Numel, ParallelElements / 4,
                (s, e) => ErfFloat(new ReadOnlySpan<float>(xa, xo + s, e - s), new Span<float>(ya, s, e - s)));
        }
        else
        {
            var xs = c.Span<double>();
            var ys = y.Span<double>();
            for (int i = 0; i < xs.Length; i++) ys[i] = ErfScalar(xs[i]);
        }
        if (!Tracks(x)) return y;
        return y.Record("Erf", [x], g => [g * ((x * x).Neg().Exp() * (2 / Math.Sqrt(Math.PI)))], saved: [x]);
    }

    /// <summary>erf(x) to about 1e-14: the Maclaurin series below |x| = 3, the continued fraction of erfc above.</summary>
    public static double ErfScalar(double x)
    {
        if (double.IsNaN(x)) return x;
        double ax = Math.Abs(x);
        if (ax < 3)
        {
            // erf x = 2/√π Σ (-1)ⁿ x^(2n+1) / (n! (2n+1))
            double term = ax, sum = ax, x2 = ax * ax;
            for (int n = 1; n < 200; n++)
            {
                term *= -x2 / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.Abs(add) < 1e-17 * Math.Abs(sum)) break;
            }
            double r = 2 / Math.Sqrt(Math.PI) * sum;
            return x < 0 ? -r : r;
        }
        if (ax > 27) return x < 0 ? -1 : 1;
        // erfc x = e^(-x²)/√π · 1/(x + 1/2 / (x + 1 / (x + 3/2 / (x + …)))) evaluated by Lentz's method.
        double tiny = 1e-300, f = ax, cc = ax, d = 0;
        for (int n = 1; n < 500; n++)
        {
            double an = n / 2.0;
            d = ax + an * d;
            d = Math.Abs(d) < tiny ? tiny : d;
            cc = ax + an / cc;
            cc = Math.Abs(cc) < tiny ? tiny : cc;
            d = 1 / d;
            double delta = cc * d;
            f *= delta;
            if (Math.Abs(delta - 1) < 1e-16) break;
        }
        double erfc = Math.Exp(-ax * ax) / Math.Sqrt(Math.PI) / f;
        return x < 0 ? erfc - 1 : 1 - erfc;
    }
}
