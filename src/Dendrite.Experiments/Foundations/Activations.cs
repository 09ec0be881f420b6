using Dendrite.IO;
using Dendrite.Nn;

namespace Dendrite.Experiments.Foundations;

/// <summary>Every activation function of the course with its derivative computed by autograd, and how much of a
/// normally distributed pre-activation each one saturates.</summary>
public sealed class Activations : Experiment
{
    /// <inheritdoc/>
    public override string Name => "activations";

    /// <inheritdoc/>
    public override string Topic => "activations";

    /// <inheritdoc/>
    public override string Summary => "every activation of the course and its autograd derivative; saturation";

    /// <inheritdoc/>
    public override string Claim => """
        An activation function makes a network non-linear; without one, stacked layers collapse to one linear map.
        The step function has a zero derivative almost everywhere, so gradient descent cannot use it. Sigmoid and
        tanh saturate: for large |x| their derivative vanishes (sigmoid's is at most 1/4), which stalls learning in
        the layers below. ReLU passes a gradient of 1 for every positive input but 0 for every negative one (dead
        units); leaky ReLU, PReLU, ELU, SELU, GELU, softplus and swish keep some gradient for negative inputs.
        """;

    /// <summary>An activation: a name, its group in the plots, and the function on a tensor.</summary>
    private sealed record Activation(string Name, string Short, bool Squashing, Func<Tensor, Tensor> F);

    private static Activation[] All()
    {
        var prelu = new PRelu();
        return
        [
            new("binary step", "step", true, Functional.BinaryStep),
            new("sigmoid", "sigmoid", true, x => x.Sigmoid()),
            new("tanh", "tanh", true, x => x.Tanh()),
            new("softsign", "softsign", true, Functional.Softsign),
            new("hard sigmoid", "hard σ", true, x => Functional.HardSigmoid(x)),
            new("softmax (x, 0)₀", "softmax", true,
                x => Tensor.Stack([x, Tensor.ZerosLike(x)], 1).Softmax(1).Select(1, 0)),
            new("linear", "linear", false, x => x * 1.0),
            new("ReLU", "ReLU", false, Functional.Relu),
            new("leaky ReLU (0.01)", "leaky", false, x => Functional.LeakyRelu(x)),
            new("PReLU (a = 0.25)", "PReLU", false, prelu.Forward),
            new("ELU", "ELU", false, x => Functional.Elu(x)),
            new("SELU", "SELU", false, Functional.Selu),
            new("GELU", "GELU", false, x => Functional.Gelu(x)),
            new("softplus", "softplus", false, Functional.Softplus),
            new("swish / SiLU", "swish", false, Functional.Silu),
        ];
    }

    /// <summary>f(x) and f'(x) at the points <paramref name="x"/>, the derivative by reverse-mode autograd (zero for
    /// a function that records no graph, as the step function).</summary>
    internal static (float[] Value, float[] Derivative) Evaluate(Func<Tensor, Tensor> f, float[] x)
    {
        var input = Tensor.From(x, x.Length);
        input.RequiresGrad = true;
        var y = f(input);
        float[] value = y.ToArray<float>();
        float[] derivative = y.RequiresGrad ? Autograd.Grad(y.Sum(), input).ToArray<float>() : new float[x.Length];
        return (value, derivative);
    }

    /// <inheritdoc/>
    public override void Run(ExperimentContext context)
    {
        int points = context.Choose(801, 81), samples = context.Choose(200_000, 2_000);
        const double Low = -5, High = 5;
        float[] grid = [.. Enumerable.Range(0, points).Select(i => (float)(Low + (High - Low) * i / (points - 1)))];
        var g = context.NewGenerator();
        float[] normal = Tensor.Randn([samples], g).ToArray<float>();
        float[] wide = [.. normal.Select(v => v * 4)];
        context.Setup($"Each function evaluated at {points} points of [{Low}, {High}]; its derivative is autograd's " +
            "(`Autograd.Grad(f(x).Sum(), x)`), not a formula. Softmax is shown on two logits (x, 0): its first " +
            "output, which equals sigmoid(x), and the diagonal of its Jacobian.");
        context.Setup($"Saturation: the share of {samples:N0} pre-activations z drawn from N(0, 1), and the same " +
            "draws times 4, where |f'(z)| < 0.01; dead: where f'(z) = 0 exactly.");

        var table = context.Table("derivatives", "Activations and their derivatives (by autograd)",
            "activation", "f on [-5, 5]", "f'(0)", "min f'", "max f'", "saturated, z ~ N(0,1)",
            "saturated, z ~ N(0,16)",
            "dead, z ~ N(0,1)", "mean f', z ~ N(0,1)");
        var curves = new List<(Activation A, float[] Value, float[] Derivative)>();
        foreach (var a in All())
        {
            var (value, derivative) = Evaluate(a.F, grid);
            curves.Add((a, value, derivative));
            var (_, atZero) = Evaluate(a.F, [0f]);
            var (_, dn) = Evaluate(a.F, normal);
            var (_, dw) = Evaluate(a.F, wide);
            double Share(float[] d, Func<float, bool> p) => d.Count(p) / (double)d.Length;
            table.Add(a.Name, $"[{value.Min():G3}, {value.Max():G3}]", atZero[0], derivative.Min(), derivative.Max(),
                Share(dn, v => Math.Abs(v) < 0.01f), Share(dw, v => Math.Abs(v) < 0.01f), Share(dn, v => v == 0),
                dn.Average(v => (double)v));
            context.Log($"{a.Name}: f'(0) = {atZero[0]:G4}");
        }

        double[] xs = [.. grid.Select(v => (double)v)];
        foreach (bool squashing in new[] { true, false })
        {
            string group = squashing ? "squashing" : "rectifiers";
            string words = squashing ? "Squashing functions" : "Linear and rectifier-like functions";
            var chosen = curves.Where(c => c.A.Squashing == squashing).ToList();
            Plots.Line(context.Figure($"{group}", $"{words}: f(x)"),
                [.. chosen.Select(c => new Series(c.A.Name, xs, [.. c.Value.Select(v => (double)v)]))],
                new LineOptions { Title = $"{words}", XLabel = "x", YLabel = "f(x)", Width = 720, Height = 480 });
            Plots.Line(context.Figure($"{group}-derivatives", $"{words}: f'(x) computed by autograd"),
                [.. chosen.Select(c => new Series(c.A.Name, xs, [.. c.Derivative.Select(v => (double)v)]))],
                new LineOptions
                {
                    Title = $"{words}: derivatives",
                    XLabel = "x",
                    YLabel = "f'(x)",
                    Width = 720,
                    Height = 480,
                });
        }
        var names = curves.Select(c => c.A.Short).ToList();
        var shares = new[] { ("saturation", 5, "N(0, 1)"), ("saturation-wide", 6, "N(0, 16)") };
        foreach (var (stem, column, scale) in shares)
        {
            Plots.Bar(context.Figure(stem, $"Share of pre-activations z ~ {scale} where |f'(z)| < 0.01"),
                names, [.. table.Rows.Select(r => (double)r[column])],
                new PlotOptions
                {
                    Title = $"Saturated share, z ~ {scale}",
                    YLabel = "share with |f'(z)| < 0.01",
                    Width = 1000,
                    Height = 420,
                });
        }

        double Col(string name, int column) => (double)table.Rows.First(r => (string)r[0] == name)[column];
        double MaxD(string name) => (float)table.Rows.First(r => (string)r[0] == name)[4];
        context.Finding($"The step function passes no gradient anywhere (dead share {Col("binary step", 7):P0}).");
        context.Finding($"Sigmoid's derivative never exceeds {MaxD("sigmoid"):G3}; for z ~ N(0, 16) it is below 0.01 " +
            $"for {Col("sigmoid", 6):P1} of units, tanh's for {Col("tanh", 6):P1}, against " +
            $"{Col("sigmoid", 5):P1} and " +

            $"{Col("tanh", 5):P1} for z ~ N(0, 1): saturation grows with the scale of the pre-activation.");
        context.Finding($"ReLU's gradient is exactly 0 for {Col("ReLU", 7):P1} of N(0, 1) inputs; leaky ReLU, PReLU, " +
            $"ELU, SELU, GELU, softplus and swish keep a non-zero gradient there (dead share of leaky ReLU: " +
            $"{Col("leaky ReLU (0.01)", 7):P1}).");
    }
}
