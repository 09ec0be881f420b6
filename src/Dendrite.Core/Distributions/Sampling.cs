namespace Dendrite.Distributions;

// Scalar samplers over one Generator, each exact (no approximation of the target distribution). The distribution
// classes call them in one loop per Sample call.
internal static class Sampling
{
    // Uniform on (0, 1]: safe under log.
    public static double OpenUniform(Generator g) => 1.0 - g.NextDouble();

    public static double Exponential(Generator g) => -Math.Log(OpenUniform(g));

    // Marsaglia and Tsang (2000), "A simple method for generating gamma variables"; for α < 1 the boost
    // Γ(α) = Γ(α + 1) · U^(1/α).
    public static double Gamma(Generator g, double alpha)
    {
        if (alpha < 1) return Gamma(g, alpha + 1) * Math.Pow(OpenUniform(g), 1 / alpha);
        double d = alpha - 1.0 / 3, c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            double x, v;
            do
            {
                x = g.NextGaussian();
                v = 1 + c * x;
            }
            while (v <= 0);
            v = v * v * v;
            double u = OpenUniform(g);
            if (u < 1 - 0.0331 * x * x * x * x) return d * v;
            if (Math.Log(u) < 0.5 * x * x + d * (1 - v + Math.Log(v))) return d * v;
        }
    }

    // Small means: count unit-rate exponential arrivals before time λ (O(λ), no underflow of e^-λ).
    // λ ≥ 10: Hörmann's transformed rejection with squeeze, PTRS (1993), O(1).
    public static double Poisson(Generator g, double rate)
    {
        if (rate <= 0) return 0;
        if (rate < 10)
        {
            int k = 0;
            double t = Exponential(g);
            while (t < rate)
            {
                k++;
                t += Exponential(g);
            }
            return k;
        }
        double slam = Math.Sqrt(rate), logLam = Math.Log(rate);
        double b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b;
        double invAlpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2);
        while (true)
        {
            double u = g.NextDouble() - 0.5, v = g.NextDouble(), us = 0.5 - Math.Abs(u);
            double k = Math.Floor((2 * a / us + b) * u + rate + 0.43);
            if (us >= 0.07 && v <= vr) return k;
            if (k < 0 || (us < 0.013 && v > us)) continue;
            if (Math.Log(v) + Math.Log(invAlpha) - Math.Log(a / (us * us) + b)
                <= -rate + k * logLam - SpecialFunctions.LogGamma(k + 1))
            {
                return k;
            }
        }
    }

    // Successes among n trials: jump from success to success with geometric gaps (the trials in between fail),
    // O(n·min(p, 1−p)) and exact; for p > 1/2 count the failures instead.
    public static double Binomial(Generator g, int n, double p)
    {
        if (p <= 0) return 0;
        if (p >= 1) return n;
        bool flip = p > 0.5;
        double q = flip ? 1 - p : p, logFail = Math.Log(1 - q);
        int successes = 0;
        long position = 0;
        while (true)
        {
            // Trials up to and including the next success: 1 + floor(log U / log(1 − q)).
            position += 1 + (long)Math.Floor(Math.Log(OpenUniform(g)) / logFail);
            if (position > n) break;
            successes++;
        }
        return flip ? n - successes : successes;
    }
}
