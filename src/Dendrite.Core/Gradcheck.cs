namespace Dendrite;

/// <summary>
/// Finite-difference gradient checking. Inputs are converted to float64 and every op runs its generic float64
/// path, so the central differences (f(x+ε) - f(x-ε)) / 2ε are accurate to about 1e-10 and torch.autograd's
/// gradcheck tolerances apply (ε = 1e-6, atol = 1e-5, rtol = 1e-3). The scalar checked is Σ f(x)·r with a fixed
/// random r, so every output element contributes with a distinct weight.
/// </summary>
public static class Gradcheck
{
    /// <summary>Outcome of a check: the largest absolute error and where it occurred.</summary>
    public sealed record Result(bool Passed, double MaxAbsError, int Input, int Element, double Analytic, double Numeric)
    {
        /// <inheritdoc/>
        public override string ToString() => Passed
            ? $"gradcheck passed (max abs error {MaxAbsError:g3})"
            : $"gradcheck failed: input {Input}, element {Element}: analytic {Analytic:g8}, numeric {Numeric:g8}";
    }

    /// <summary>Compares the analytic gradient of <paramref name="f"/> with central differences, for every input
    /// that requires gradients (all floating inputs when none is marked).</summary>
    public static Result Check(Func<Tensor[], Tensor> f, Tensor[] inputs, double eps = 1e-6, double atol = 1e-5,
        double rtol = 1e-3, ulong seed = 1234)
    {
        var xs = new Tensor[inputs.Length];
        bool anyMarked = inputs.Any(t => t.RequiresGrad);
        var check = new bool[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            var t = inputs[i];
            check[i] = t.DType.IsFloating() && (t.RequiresGrad || !anyMarked);
            using (Autograd.NoGrad()) xs[i] = t.DType.IsFloating() ? t.Detach().To(DType.Float64).Clone() : t;
            if (check[i]) xs[i].RequiresGrad = true;
        }
        var y0 = f(xs);
        var r = Tensor.Randn(y0.ShapeArray, new Generator(seed), dtype: DType.Float64);
        var loss = (y0.To(DType.Float64) * r).Sum();
        if (!loss.RequiresGrad) throw new ArgumentException("Gradcheck: the function's output does not depend on any input that requires gradients");
        loss.Backward();

        double Eval()
        {
            using var _ = Autograd.NoGrad();
            return (f(xs).To(DType.Float64) * r).Sum().Item();
        }

        double worst = 0;
        var fail = new Result(true, 0, -1, -1, 0, 0);
        for (int i = 0; i < xs.Length; i++)
        {
            if (!check[i]) continue;
            var x = xs[i];
            var grad = x.Grad?.Contiguous() ?? Tensor.ZerosLike(x);
            for (int e = 0; e < x.Numel; e++)
            {
                int off = x.Offset + e;
                double orig = x.GetFlat(off);
                x.SetFlat(off, orig + eps);
                double plus = Eval();
                x.SetFlat(off, orig - eps);
                double minus = Eval();
                x.SetFlat(off, orig);
                double numeric = (plus - minus) / (2 * eps);
                double analytic = grad.GetFlat(grad.Offset + e);
                double err = Math.Abs(analytic - numeric);
                bool ok = err <= atol + rtol * Math.Abs(numeric) || (double.IsNaN(analytic) && double.IsNaN(numeric));
                if (err > worst || !ok)
                {
                    worst = Math.Max(worst, double.IsNaN(err) ? double.PositiveInfinity : err);
                    if (!ok && fail.Passed) fail = new Result(false, worst, i, e, analytic, numeric);
                }
            }
        }
        return fail.Passed ? new Result(true, worst, -1, -1, 0, 0) : fail with { MaxAbsError = worst };
    }

    /// <summary>Like <see cref="Check"/>, but throws with the failing input and element.</summary>
    public static void Assert(Func<Tensor[], Tensor> f, params Tensor[] inputs)
    {
        var r = Check(f, inputs);
        if (!r.Passed) throw new InvalidOperationException(r.ToString());
    }
}
