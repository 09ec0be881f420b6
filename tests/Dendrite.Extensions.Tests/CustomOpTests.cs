namespace Dendrite.Extensions.Tests;

/// <summary>Ops defined outside Dendrite.Core through the public custom-op API (no internals access): gradients
/// against finite differences and the composite version, several outputs, and the engine's checks.</summary>
public class CustomOpTests
{
    private static Tensor Randn(ulong seed, params int[] shape) => Tensor.Randn(shape, new Generator(seed));

    [Fact]
    public void GatedMul_PassesGradcheck()
    {
        Gradcheck.Assert(xs => GatedMul.Apply(xs[0], xs[1]), Randn(1, 3, 4), Randn(2, 3, 4));
    }

    [Fact]
    public void GatedMul_MatchesComposite()
    {
        var x1 = Randn(3, 2, 5).RequireGrad();
        var w1 = Randn(4, 2, 5).RequireGrad();
        var x2 = x1.Detach().Clone().RequireGrad();
        var w2 = w1.Detach().Clone().RequireGrad();
        var r = Randn(5, 2, 5);
        var y1 = GatedMul.Apply(x1, w1);
        var y2 = x2 * w2.Sigmoid();
        (y1 * r).Sum().Backward();
        (y2 * r).Sum().Backward();
        AssertClose(y2, y1);
        AssertClose(x2.Grad!, x1.Grad!);
        AssertClose(w2.Grad!, w1.Grad!);
        Assert.Equal("GatedMul", y1.GradFn!.Name);
        Assert.Same(x1, y1.GradFn.Inputs[0]);
    }

    [Fact]
    public void LstmCell_BothOutputs_PassGradcheck()
    {
        // h and c joined so that each output gets its own random weights in Σ f(x)·r
        Gradcheck.Assert(xs =>
        {
            var (h, c) = LstmCell.Apply(xs[0], xs[1]);
            return Tensor.Cat([h, c], 1);
        }, Randn(6, 3, 8), Randn(7, 3, 2));
    }

    [Fact]
    public void LstmCell_OneOutputUsed_OtherGetsZeroGradient()
    {
        Gradcheck.Assert(xs => LstmCell.Apply(xs[0], xs[1]).H, Randn(8, 2, 12), Randn(9, 2, 3));
        Gradcheck.Assert(xs => LstmCell.Apply(xs[0], xs[1]).C, Randn(10, 2, 12), Randn(11, 2, 3));
    }

    [Fact]
    public void LstmCell_MatchesComposite_AndRunsBackwardOnce()
    {
        var gates = Randn(12, 4, 20).RequireGrad();
        var cPrev = Randn(13, 4, 5).RequireGrad();
        var (h, c) = LstmCell.Apply(gates, cPrev);
        Assert.Equal("LstmCell", h.GradFn!.Name);
        Assert.Equal(0, h.GradFn.Attributes["output"]);
        Assert.Equal(1, c.GradFn!.Attributes["output"]);
        var shared = h.GradFn.Inputs[0].GradFn!;
        Assert.Same(shared, c.GradFn.Inputs[0].GradFn);
        Assert.Equal(5, shared.Attributes["hidden"]);
        (h.Sum() + (c * c).Sum()).Backward();

        var g2 = gates.Detach().Clone().RequireGrad();
        var c2 = cPrev.Detach().Clone().RequireGrad();
        var parts = g2.Chunk(4, 1);
        var cc = parts[1].Sigmoid() * c2 + parts[0].Sigmoid() * parts[2].Tanh();
        var hh = parts[3].Sigmoid() * cc.Tanh();
        (hh.Sum() + (cc * cc).Sum()).Backward();
        AssertClose(hh, h);
        AssertClose(cc, c);
        AssertClose(g2.Grad!, gates.Grad!);
        AssertClose(c2.Grad!, cPrev.Grad!);
    }

    [Fact]
    public void LstmCell_SecondBackwardAddsTheSameGradient()
    {
        var gates = Randn(14, 2, 8).RequireGrad();
        var cPrev = Randn(15, 2, 2).RequireGrad();
        var (h, c) = LstmCell.Apply(gates, cPrev);
        var loss = h.Sum() + c.Sum();
        loss.Backward();
        var once = gates.Grad!.ToFloatArray();
        loss.Backward();
        var twice = gates.Grad!.ToFloatArray();
        for (int i = 0; i < once.Length; i++) Assert.Equal(2 * once[i], twice[i], 5);
    }

    [Fact]
    public void Op_UnderNoGrad_RecordsNothing()
    {
        var x = Randn(16, 3).RequireGrad();
        var w = Randn(17, 3).RequireGrad();
        Tensor y;
        using (Autograd.NoGrad()) y = GatedMul.Apply(x, w);
        Assert.Null(y.GradFn);
        Assert.False(y.RequiresGrad);
        using (Autograd.NoGrad())
        {
            var (h, c) = LstmCell.Apply(Randn(18, 1, 4).RequireGrad(), Randn(19, 1, 1));
            Assert.Null(h.GradFn);
            Assert.Null(c.GradFn);
        }
    }

    [Fact]
    public void Op_HooksSeeOutputGradients()
    {
        var gates = Randn(20, 2, 8).RequireGrad();
        var (h, c) = LstmCell.Apply(gates, Randn(21, 2, 2));
        Tensor? seenH = null, seenC = null;
        h.RegisterHook(g => seenH = g);
        c.RegisterHook(g => seenC = g);
        (h * 3).Sum().Backward();
        Assert.Equal([3f, 3f, 3f, 3f], seenH!.ToFloatArray());
        Assert.Null(seenC);
    }

    [Fact]
    public void Op_InPlaceWriteToSavedTensor_FailsNamingTheOp()
    {
        var x = Randn(22, 4).RequireGrad();
        var w = Randn(23, 4).RequireGrad();
        var a = x * 2;
        var y = GatedMul.Apply(a, w);
        a.AddInPlace(Tensor.Scalar(1));
        var e = Assert.Throws<InvalidOperationException>(() => y.Sum().Backward());
        Assert.Contains("GatedMul backward", e.Message);
        Assert.Contains("modified by an inplace operation", e.Message);
        Assert.Contains("input 0 of GatedMul [4]", e.Message);
    }

    [Fact]
    public void Op_WrongGradientShape_FailsNamingTheOp()
    {
        var x = Randn(24, 2, 3).RequireGrad();
        Tensor y;
        using (Autograd.NoGrad()) y = x * 2;
        y = Autograd.Op("Twice", y, [x], dy => [dy.Sum(0)]);
        var e = Assert.Throws<InvalidOperationException>(() => y.Sum().Backward());
        Assert.Contains("Twice backward: gradient for input 0 has shape [3], the input has [2,3]", e.Message);
    }

    [Fact]
    public void Op_DetectAnomaly_NamesTheOp()
    {
        var x = Randn(25, 3).RequireGrad();
        Tensor y;
        using (Autograd.NoGrad()) y = x.Clone();
        y = Autograd.Op("Broken", y, [x], dy => [dy / 0.0]);
        Autograd.DetectAnomaly = true;
        try
        {
            var e = Assert.Throws<ArithmeticException>(() => y.Sum().Backward());
            Assert.Contains("Broken backward produced NaN or infinity", e.Message);
        }
        finally
        {
            Autograd.DetectAnomaly = false;
        }
    }

    [Fact]
    public void Op_OutputAlreadyRecorded_IsRejected()
    {
        var x = Randn(26, 3).RequireGrad();
        var e = Assert.Throws<ArgumentException>(() => Autograd.Op("Twice", x * 2, [x], dy => [dy * 2]));
        Assert.Contains("Twice: output 0 [3] was already recorded by Mul", e.Message);
        Assert.Throws<ArgumentException>(() => Autograd.Op("Same", x, [x], dy => [dy]));
    }

    [Fact]
    public void GatedMul_SecondDerivativeThroughCustomBackward()
    {
        // y = x·σ(w): d²y/dw² = x·σ'(w)·(1 - 2σ(w)), d/dx (dy/dw) = σ'(w)
        var x = Tensor.From([0.5, -1.5, 2.0], 3).RequireGrad();
        var w = Tensor.From([0.3, -0.7, 1.1], 3).RequireGrad();
        var y = GatedMul.Apply(x, w).Sum();
        var dw = Autograd.Grad(y, w, createGraph: true);
        var second = Autograd.Grad([dw.Sum()], [w, x]);
        var xs = x.ToArray<double>();
        var ws = w.ToArray<double>();
        for (int i = 0; i < 3; i++)
        {
            double s = 1 / (1 + Math.Exp(-ws[i])), ds = s * (1 - s);
            Assert.Equal(xs[i] * ds * (1 - 2 * s), second[0]!.ToArray<double>()[i], 10);
            Assert.Equal(ds, second[1]!.ToArray<double>()[i], 10);
        }
    }

    [Fact]
    public void LstmCell_MarkedNotDifferentiable_RefusesCreateGraph()
    {
        var gates = Randn(27, 2, 8).RequireGrad();
        var (h, _) = LstmCell.Apply(gates, Randn(28, 2, 2));
        var e = Assert.Throws<NotSupportedException>(() => Autograd.Grad(h.Sum(), gates, createGraph: true));
        Assert.Contains("LstmCell(hidden=2) backward", e.Message);
        Assert.Equal([2, 8], Autograd.Grad(h.Sum(), gates).Shape.ToArray());
    }

    private static void AssertClose(Tensor expected, Tensor actual, double tol = 1e-5)
    {
        Assert.Equal(expected.Shape.ToArray(), actual.Shape.ToArray());
        var e = expected.ToArray<double>();
        var a = actual.ToArray<double>();
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(e[i] - a[i]) <= tol * (1 + Math.Abs(e[i])), $"element {i}: {a[i]} vs {e[i]}");
    }
}
