namespace Dendrite.Distributions;

/// <summary>
/// The gamma-family functions the distributions need: log Γ, ψ (digamma) and ψ′ (trigamma), as scalars and as
/// differentiable element-wise tensor ops (d lgamma/dx = ψ(x), dψ/dx = ψ′(x)).
/// </summary>
public static class SpecialFunctions
{
    // Lanczos approximation with g = 7 and nine coefficients: relative error below 1e-15 for x > 0.5.
    private static readonly double[] Lanczos =
    [
        0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
        12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
    ];

    /// <summary>log |Γ(x)|; +∞ at the poles 0, −1, −2, …</summary>
    public static double LogGamma(double x)
    {
        if (double.IsNaN(x)) return double.NaN;
        if (x <= 0 && x == Math.Floor(x)) return double.PositiveInfinity;
        if (x < 0.5)
        {
            // Reflection: Γ(x)Γ(1 − x) = π / sin(πx).
            return Math.Log(Math.PI / Math.Abs(Math.Sin(Math.PI * x))) - LogGamma(1 - x);
        }
        x -= 1;
        double a = Lanczos[0];
        double t = x + 7.5;
        for (int i = 1; i < 9; i++) a += Lanczos[i] / (x + i);
        return 0.5 * Math.Log(2 * Math.PI) + (x + 0.5) * Math.Log(t) - t + Math.Log(a);
    }

    /// <summary>ψ(x) = d log Γ(x) / dx.</summary>
    public static double Digamma(double x)
    {
        if (double.IsNaN(x) || (x <= 0 && x == Math.Floor(x))) return double.NaN;
        double result = 0;
        if (x < 0)
        {
            // Reflection: ψ(1 − x) − ψ(x) = π cot(πx).
            result -= Math.PI / Math.Tan(Math.PI * x);
            x = 1 - x;
        }
        // Recurrence ψ(x) = ψ(x + 1) − 1/x up to x ≥ 10, then the asymptotic series (error below 1e-16 there).
        while (x < 10)
        {
            result -= 1 / x;
            x += 1;
        }
        double f = 1 / (x * x);
        double series = f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f / 132))));
        return result + Math.Log(x) - 0.5 / x - series;
    }

    /// <summary>ψ′(x) = d²log Γ(x) / dx², for x &gt; 0.</summary>
    public static double Trigamma(double x)
    {
        if (double.IsNaN(x) || x <= 0) return double.NaN;
        double result = 0;
        while (x < 10)
        {
            result += 1 / (x * x);
            x += 1;
        }
        double f = 1 / (x * x);
        // ψ′(x) ~ 1/x + 1/(2x²) + 1/(6x³) − 1/(30x⁵) + 1/(42x⁷) − 1/(30x⁹)
        double series = 1 / x + f / 2 + f / x * (1.0 / 6 - f * (1.0 / 30 - f * (1.0 / 42 - f / 30)));
        return result + series;
    }

    /// <summary>log Γ(x) element-wise, differentiable (the gradient is ψ(x)).   x: any shape → same shape</summary>
    public static Tensor LogGamma(Tensor x) =>
        Map("LogGamma", x, LogGamma, dy => [dy * Digamma(x)]);

    /// <summary>ψ(x) element-wise, differentiable once (the gradient is ψ′(x)).</summary>
    public static Tensor Digamma(Tensor x) =>
        Map("Digamma", x, Digamma, dy => [dy * Map("Trigamma", x, Trigamma, null)]);

    /// <summary>log B(a, b) = log Γ(a) + log Γ(b) − log Γ(a + b), differentiable.</summary>
    public static Tensor LogBeta(Tensor a, Tensor b) => LogGamma(a) + LogGamma(b) - LogGamma(a + b);

    private static Tensor Map(string name, Tensor x, Func<double, double> f, Func<Tensor, Tensor?[]>? backward)
    {
        if (!x.DType.IsFloating())
            throw new ArgumentException($"{name}: expects a floating-point tensor, got {x.DType}");
        Tensor y;
        using (Autograd.NoGrad())
        {
            double[] v = x.ToArray<double>();
            for (int i = 0; i < v.Length; i++) v[i] = f(v[i]);
            y = Tensor.From(v, x.Shape).To(x.DType);
        }
        if (backward is null) return y;
        return Autograd.Op(name, y, [x], backward, saved: [x], differentiable: name != "Digamma");
    }
}
