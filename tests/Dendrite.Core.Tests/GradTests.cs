namespace Dendrite.Tests;

/// <summary>Autograd.Grad: gradients as values against analytic derivatives, second derivatives with createGraph,
/// unused inputs, and that no .Grad changes.</summary>
public class GradTests
{
    private static readonly double[] Xs = [-1.5, -0.3, 0.4, 2.0];

    private static Tensor X() => Tensor.From(Xs, 4).RequireGrad();

    private static void AssertValues(Func<double, double> expected, Tensor actual)
    {
        var a = actual.ToArray<double>();
        for (int i = 0; i < Xs.Length; i++) Assert.Equal(expected(Xs[i]), a[i], 10);
    }

    [Fact]
    public void Grad_Cube_IsThreeXSquared()
    {
        var x = X();
        AssertValues(v => 3 * v * v, Autograd.Grad((x * x * x).Sum(), x));
        Assert.Null(x.Grad);
    }

    [Fact]
    public void Grad_XExpX_IsOnePlusXTimesExpX()
    {
        var x = X();
        AssertValues(v => (1 + v) * Math.Exp(v), Autograd.Grad((x * x.Exp()).Sum(), x));
    }

    [Fact]
    public void Grad_PartialDerivativesOfTwoVariables()
    {
        // f(x, y) = x²·y + tanh(y):  ∂f/∂x = 2xy,  ∂f/∂y = x² + 1 - tanh²(y)
        var x = Tensor.From([0.7, -1.2], 2).RequireGrad();
        var y = Tensor.From([1.3, 0.2], 2).RequireGrad();
        var g = Autograd.Grad([(x * x * y + y.Tanh()).Sum()], [x, y]);
        var (xv, yv) = (x.ToArray<double>(), y.ToArray<double>());
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal(2 * xv[i] * yv[i], g[0]!.ToArray<double>()[i], 10);
            double t = Math.Tanh(yv[i]);
            Assert.Equal(xv[i] * xv[i] + 1 - t * t, g[1]!.ToArray<double>()[i], 10);
        }
        Assert.Null(x.Grad);
        Assert.Null(y.Grad);
    }

    [Fact]
    public void Grad_SecondDerivativeThroughSelectAndSlice()
    {
        // f(x) = x0²·x1 + x2³, read through Select and Slice: ∂²f/∂x0∂x1 = 2·x0, ∂²f/∂x2² = 6·x2. The backward of a
        // view is recorded under createGraph, so these are not silently zero.
        var x = Tensor.From([0.7, -1.2, 0.5], 3).RequireGrad();
        var f = x.Select(0, 0) * x.Select(0, 0) * x.Select(0, 1) + x.Slice(0, 2, 3).Pow(3).Sum();
        var g = Autograd.Grad(f, x, createGraph: true);
        var h0 = Autograd.Grad(g.Select(0, 0), x).ToArray<double>();   // row 0 of the Hessian: [2·x1, 2·x0, 0]
        Assert.Equal([2 * -1.2, 2 * 0.7, 0.0], h0.Select(v => Math.Round(v, 10)).ToArray());
        var h2 = Autograd.Grad(g.Slice(0, 2, 3).Sum(), x).ToArray<double>();   // row 2: [0, 0, 6·x2]
        Assert.Equal([0.0, 0.0, 3.0], h2.Select(v => Math.Round(v, 10)).ToArray());
    }

    [Fact]
    public void Grad_NonScalarOutputWithGradOutputs()
    {
        // y = 3x element-wise, upstream v: dL/dx = 3v
        var x = X();
        var v = Tensor.From([1.0, 2.0, 3.0, 4.0], 4);
        var g = Autograd.Grad([x * 3], [x], [v])[0]!;
        Assert.Equal([3.0, 6.0, 9.0, 12.0], g.ToArray<double>());
        var e = Assert.Throws<ArgumentException>(() => Autograd.Grad([x * 3], [x]));
        Assert.Contains("output 0 [4] is not a scalar", e.Message);
    }

    [Fact]
    public void Grad_LeavesGradAndRetainedGradUntouched()
    {
        var x = X();
        (x * 2).Sum().Backward();
        var before = x.Grad!.ToArray<double>();
        var h = (x * x).RetainGrad();
        Autograd.Grad(h.Sum(), x);
        Assert.Equal(before, x.Grad!.ToArray<double>());
        Assert.Null(h.Grad);
    }

    [Fact]
    public void Grad_UnusedInput_ErrorOrNull()
    {
        var x = X();
        var z = X();
        var y = (x * 2).Sum();
        var e = Assert.Throws<InvalidOperationException>(() => Autograd.Grad([y], [x, z]));
        Assert.Contains("input 1 [4] is not used", e.Message);
        var g = Autograd.Grad([y], [x, z], allowUnused: true);
        Assert.NotNull(g[0]);
        Assert.Null(g[1]);
    }

    [Fact]
    public void Grad_IntermediateInput()
    {
        // L = Σ h², h = 2x: dL/dh = 2h = 4x
        var x = X();
        var h = x * 2;
        var g = Autograd.Grad((h * h).Sum(), h);
        AssertValues(v => 4 * v, g);
    }

    [Fact]
    public void Grad_CreateGraph_SecondDerivatives()
    {
        // d²/dx² x³ = 6x;  d²/dx² tanh x = -2 tanh x (1 - tanh² x);  d²/dx² x·eˣ = (2 + x) eˣ
        var x = X();
        var d1 = Autograd.Grad((x * x * x).Sum(), x, createGraph: true);
        Assert.True(d1.RequiresGrad);
        AssertValues(v => 6 * v, Autograd.Grad(d1.Sum(), x));
        var t1 = Autograd.Grad(x.Tanh().Sum(), x, createGraph: true);
        AssertValues(v => -2 * Math.Tanh(v) * (1 - Math.Tanh(v) * Math.Tanh(v)), Autograd.Grad(t1.Sum(), x));
        var s1 = Autograd.Grad((x * x.Exp()).Sum(), x, createGraph: true);
        AssertValues(v => (2 + v) * Math.Exp(v), Autograd.Grad(s1.Sum(), x));
        var r1 = Autograd.Grad((x.Sigmoid() + x.Relu() * x).Sum(), x, createGraph: true);
        AssertValues(v =>
        {
            double s = 1 / (1 + Math.Exp(-v));
            return s * (1 - s) * (1 - 2 * s) + (v > 0 ? 2 : 0);
        }, Autograd.Grad(r1.Sum(), x));
    }

    [Fact]
    public void Grad_CreateGraph_GradientPenalty()
    {
        // f(x) = Σ (W x)², ∇ₓf = 2 Wᵀ W x, penalty P(W) = |∇ₓf|². dP/dW through the recorded gradient must match
        // central differences of P in W.
        var w = Tensor.From([0.5, -0.2, 0.1, 0.3, 0.8, -0.4], 2, 3).RequireGrad();
        var x = Tensor.From([1.0, -2.0, 0.5], 3, 1).RequireGrad();
        Tensor Penalty(Tensor wt)
        {
            var f = wt.MatMul(x).Pow(2).Sum();
            var gx = Autograd.Grad(f, x, createGraph: true);
            return (gx * gx).Sum();
        }
        var dw = Autograd.Grad(Penalty(w), w).ToArray<double>();
        const double eps = 1e-6;
        var wv = w.ToArray<double>();
        for (int i = 0; i < wv.Length; i++)
        {
            var plus = (double[])wv.Clone();
            var minus = (double[])wv.Clone();
            plus[i] += eps;
            minus[i] -= eps;
            double fp = Penalty(Tensor.From(plus, 2, 3).RequireGrad()).Item();
            double fm = Penalty(Tensor.From(minus, 2, 3).RequireGrad()).Item();
            Assert.Equal((fp - fm) / (2 * eps), dw[i], 5);
        }
    }

    [Fact]
    public void Grad_CreateGraph_RefusesKernelBackward()
    {
        var x = Tensor.Randn([1, 1, 5, 5], new Generator(3), dtype: DType.Float64).RequireGrad();
        var w = Tensor.Randn([1, 1, 3, 3], new Generator(4), dtype: DType.Float64).RequireGrad();
        var e = Assert.Throws<NotSupportedException>(() =>
            Autograd.Grad(x.Conv2d(w, padding: (1, 1)).Sum(), x, createGraph: true));
        Assert.Contains("Conv2d(stride=[1, 1], padding=[1, 1, 1, 1], dilation=[1, 1], groups=1) backward", e.Message);
        // Without createGraph the same gradient is fine.
        Assert.Equal([1, 1, 5, 5], Autograd.Grad(x.Conv2d(w, padding: (1, 1)).Sum(), x).Shape.ToArray());
    }

    [Fact]
    public void Grad_ValidatesArguments()
    {
        var x = X();
        var c = Tensor.From([1.0], 1);
        Assert.Contains("output 0 [1] does not require gradients",
            Assert.Throws<ArgumentException>(() => Autograd.Grad([c], [x])).Message);
        Assert.Contains("input 0 [1] does not require gradients",
            Assert.Throws<ArgumentException>(() => Autograd.Grad([x.Sum()], [c])).Message);
    }
}
