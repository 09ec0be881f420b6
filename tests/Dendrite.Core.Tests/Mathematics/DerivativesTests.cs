namespace Dendrite.Tests.Mathematics;

public class DerivativesTests
{
    [Fact]
    public void Jacobian_MatchesAnalytic()
    {
        // f(x, y) = (x·y, sin x, x + y²):  J = [[y, x], [cos x, 0], [1, 2y]]
        var p = Tensor.From(new[] { 0.7, -1.3 }, 2);
        var j = Derivatives.Jacobian(v =>
        {
            Tensor x = v.Select(0, 0), y = v.Select(0, 1);
            return Tensor.Stack([x * y, x.Sin(), x + y * y]);
        }, p);
        Assert.Equal([3, 2], j.Shape.ToArray());
        StatsFixture.Close([-1.3, 0.7, System.Math.Cos(0.7), 0, 1, -2.6], j, 1e-12, "J");
    }

    [Fact]
    public void Hessian_ByDoubleBackwardMatchesAnalytic()
    {
        // f = x³y + eʸ:  H = [[6xy, 3x²], [3x², eʸ]]
        var p = Tensor.From(new[] { 1.5, 0.4 }, 2);
        var h = Derivatives.Hessian(v =>
        {
            // Components by dot products with unit vectors: a Select's backward is not recorded for double backward.
            Tensor x = Component(v, 0, 2), y = Component(v, 1, 2);
            return x * x * x * y + y.Exp();
        }, p);
        double e = System.Math.Exp(0.4);
        StatsFixture.Close([6 * 1.5 * 0.4, 3 * 2.25, 3 * 2.25, e], h, 1e-12, "H");
    }

    [Fact]
    public void Hessian_AgreesWithJacobianOfNumericalGradient()
    {
        var p = Tensor.From(new[] { 0.3, -0.8, 1.1 }, 3);
        Tensor F(Tensor v) => (v * v).Sum().Sqrt() * Component(v, 0, 3).Tanh() + (Component(v, 1, 3) * Component(v,
            2, 3)).Sin();
        var h = Derivatives.Hessian(F, p).ToArray<double>();
        for (int i = 0; i < 3; i++)
        {
            int row = i;
            // Row i of the Hessian is the gradient of ∂f/∂xᵢ: central differences of the autograd gradient.
            var numeric = Derivatives.NumericalGradient(v =>
                Derivatives.Jacobian(F, v).ToArray<double>()[row], p, 1e-5).ToArray<double>();
            for (int k = 0; k < 3; k++) StatsFixture.Close(numeric[k], h[row * 3 + k], 1e-7, $"H[{row},{k}]");
        }
    }

    private static Tensor Component(Tensor v, int i, int n)
    {
        var e = new double[n];
        e[i] = 1;
        return (v * Tensor.From(e, n)).Sum();
    }

    [Fact]
    public void NumericalDerivatives_ErrorOrders()
    {
        Func<double, double> f = System.Math.Exp;
        double exact = System.Math.Exp(1);
        double fwd = System.Math.Abs(Derivatives.Forward(f, 1, 1e-3) - exact);
        double ctr = System.Math.Abs(Derivatives.Central(f, 1, 1e-3) - exact);
        Assert.InRange(fwd, 1e-4, 2e-3);          // O(h): about e·h/2
        Assert.InRange(ctr, 1e-8, 1e-6);          // O(h²): about e·h²/6
        Assert.True(System.Math.Abs(Derivatives.Forward(f, 1) - exact) < 1e-7);
        Assert.True(System.Math.Abs(Derivatives.Central(f, 1) - exact) < 1e-9);
        var (value, error) = Derivatives.Richardson(f, 1);
        Assert.True(System.Math.Abs(value - exact) < 1e-12, $"Richardson {value}, error estimate {error}");
        Assert.True(error < 1e-9);
    }

    [Fact]
    public void Rules_ProductQuotientChain_CheckedNumerically()
    {
        Func<double, double> u = System.Math.Sin, v = x => x * x + 1;
        Func<double, double> du = System.Math.Cos, dv = x => 2 * x;
        foreach (double x in new[] { -1.2, 0.3, 2.0 })
        {
            // (uv)' = u'v + uv';  (u/v)' = (u'v − uv')/v²;  (u∘v)' = u'(v)·v'
            double product = Derivatives.Richardson(t => u(t) * v(t), x).Value;
            double quotient = Derivatives.Richardson(t => u(t) / v(t), x).Value;
            double chain = Derivatives.Richardson(t => u(v(t)), x).Value;
            StatsFixture.Close(du(x) * v(x) + u(x) * dv(x), product, 1e-10, "product rule");
            StatsFixture.Close((du(x) * v(x) - u(x) * dv(x)) / (v(x) * v(x)), quotient, 1e-10, "quotient rule");
            StatsFixture.Close(du(v(x)) * dv(x), chain, 1e-10, "chain rule");
        }
    }

    [Fact]
    public void NumericalGradient_MatchesAutograd()
    {
        var p = Tensor.From(new[] { 0.5, -0.25, 2.0, 1.0 }, 2, 2);
        Tensor F(Tensor v) => (v.MatMul(v) * v).Sum() + v.Exp().Sum().Log();
        var leaf = p.Clone();
        leaf.RequiresGrad = true;
        var g = Autograd.Grad(F(leaf), leaf);
        var n = Derivatives.NumericalGradient(v => F(v).Item(), p);
        StatsFixture.Close(g.ToArray<double>(), n, 1e-8, "gradient");
        var fwd = Derivatives.NumericalGradient(v => F(v).Item(), p, 1e-7, central: false);
        StatsFixture.Close(g.ToArray<double>(), fwd, 1e-5, "forward gradient");
    }
}
