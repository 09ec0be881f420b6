namespace Dendrite;

/// <summary>
/// Derivatives beyond <see cref="Autograd.Grad(Tensor, Tensor, bool)"/>: the Jacobian of a tensor function (one
/// backward pass per output element), the Hessian of a scalar function (double backward: the gradient is built with
/// createGraph and differentiated again), and numerical derivatives by finite differences with a step chosen from
/// the floating-point precision or refined by Richardson extrapolation.
/// </summary>
public static class Derivatives
{
    // 2⁻⁵², the gap between 1 and the next double.
    private const double MachineEpsilon = 2.220446049250313e-16;

    /// <summary>J[i…, j…] = ∂fᵢ/∂xⱼ.   x: (in…), f(x): (out…) → (out…, in…)</summary>
    public static Tensor Jacobian(Func<Tensor, Tensor> f, Tensor x)
    {
        var input = Leaf(x);
        var y = f(input);
        return Rows(y, input);
    }

    /// <summary>H[i…, j…] = ∂²f/∂xᵢ∂xⱼ of a scalar function, by double backward.   x: (in…) → (in…, in…)</summary>
    public static Tensor Hessian(Func<Tensor, Tensor> f, Tensor x)
    {
        var input = Leaf(x);
        var y = f(input);
        if (y.Numel != 1)
            throw new ArgumentException($"Hessian: f must return a scalar, got {Shapes.Format(y.Shape)}");
        var grad = Autograd.Grad([y], [input], createGraph: true, allowUnused: true)[0];
        if (grad is null || !grad.RequiresGrad) return Tensor.Zeros(x.DType, [.. x.Shape, .. x.Shape]);
        return Rows(grad, input);
    }

    /// <summary>(f(x + h) − f(x)) / h; error O(h). The default h = √ε·max(1, |x|) balances truncation against
    /// rounding (ε = 2.2e-16).</summary>
    public static double Forward(Func<double, double> f, double x, double? step = null)
    {
        double h = Step(x, step, Math.Sqrt(MachineEpsilon));
        double xh = x + h;
        return (f(xh) - f(x)) / (xh - x);
    }

    /// <summary>(f(x + h) − f(x − h)) / 2h; error O(h²). The default h = ε^(1/3)·max(1, |x|).</summary>
    public static double Central(Func<double, double> f, double x, double? step = null)
    {
        double h = Step(x, step, Math.Cbrt(MachineEpsilon));
        return (f(x + h) - f(x - h)) / (2 * h);
    }

    /// <summary>The central difference refined by Richardson extrapolation: differences at h, h/2, h/4, … are
    /// combined so the h², h⁴, … error terms cancel; it stops when the estimate stops improving. Returns the
    /// derivative and an estimate of its error.</summary>
    public static (double Value, double Error) Richardson(Func<double, double> f, double x, double step = 0.1,
        int levels = 10)
    {
        if (!(step > 0)) throw new ArgumentOutOfRangeException(nameof(step), $"Richardson: step must be > 0, got " +
            $"{step}");
        if (levels < 2) throw new ArgumentOutOfRangeException(nameof(levels), $"Richardson: levels must be >= 2, got " +
            $"{levels}");
        var previous = new double[levels];
        var current = new double[levels];
        double h = step, best = double.NaN, error = double.PositiveInfinity;
        for (int i = 0; i < levels; i++)
        {
            current[0] = (f(x + h) - f(x - h)) / (2 * h);
            double factor = 4;
            // Row i of the tableau: current[j] removes the h^(2j) term from the column before it.
            for (int j = 1; j <= i; j++)
            {
                current[j] = current[j - 1] + (current[j - 1] - previous[j - 1]) / (factor - 1);
                factor *= 4;
                double e = Math.Max(Math.Abs(current[j] - current[j - 1]), Math.Abs(current[j] - previous[j - 1]));
                if (e <= error)
                {
                    error = e;
                    best = current[j];
                }
            }
            if (i > 0 && Math.Abs(current[i] - previous[i - 1]) >= 2 * error) break;
            (previous, current) = (current, previous);
            h /= 2;
        }
        return double.IsNaN(best) ? (previous[0], double.PositiveInfinity) : (best, error);
    }

    /// <summary>The gradient of a scalar function of a tensor by central (or forward) differences, element by
    /// element, in float64. <paramref name="f"/> runs with recording on, so it may use autograd itself.
    /// x: any shape → same shape</summary>
    public static Tensor NumericalGradient(Func<Tensor, double> f, Tensor x, double step = 1e-6, bool central = true)
    {
        if (!(step > 0)) throw new ArgumentOutOfRangeException(nameof(step), $"NumericalGradient: step must be > 0, " +
            $"got {step}");
        double[] v;
        using (Autograd.NoGrad()) v = x.Detach().ToArray<double>();
        var grad = new double[v.Length];
        int[] shape = [.. x.Shape];
        double Eval(double[] values) => f(Tensor.From(values, shape).To(x.DType));
        double f0 = central ? 0 : Eval(v);
        for (int i = 0; i < v.Length; i++)
        {
            double orig = v[i];
            v[i] = orig + step;
            double plus = Eval(v);
            if (central)
            {
                v[i] = orig - step;
                grad[i] = (plus - Eval(v)) / (2 * step);
            }
            else
            {
                grad[i] = (plus - f0) / step;
            }
            v[i] = orig;
        }
        return Tensor.From(grad, shape);
    }

    private static double Step(double x, double? step, double relative)
    {
        double h = step ?? relative * Math.Max(1, Math.Abs(x));
        if (!(h > 0)) throw new ArgumentOutOfRangeException(nameof(step), $"numerical derivative: step must be > 0, " +
            $"got {h}");
        return h;
    }

    private static Tensor Leaf(Tensor x)
    {
        if (!x.DType.IsFloating())
            throw new ArgumentException($"Derivatives: x must be floating-point, got {x.DType}");
        Tensor input;
        using (Autograd.NoGrad()) input = x.Detach().Clone();
        input.RequiresGrad = true;
        return input;
    }

    // One backward per element of y: row i is d y[i] / d x.
    private static Tensor Rows(Tensor y, Tensor x)
    {
        int m = y.Numel, n = x.Numel;
        var result = Tensor.Zeros(x.DType, [.. y.Shape, .. x.Shape]);
        if (!y.RequiresGrad) return result;
        var flat = result.Reshape(m, n);
        for (int i = 0; i < m; i++)
        {
            var seed = Tensor.Zeros(y.DType, y.Shape);
            seed.SetFlat(i, 1);
            var g = Autograd.Grad([y], [x], [seed], allowUnused: true)[0];
            if (g is null) continue;
            using (Autograd.NoGrad()) flat.Select(0, i).CopyFrom(g.Detach().Reshape(n));
        }
        return result;
    }
}
