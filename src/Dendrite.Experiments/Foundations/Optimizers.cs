using Dendrite.IO;
using Dendrite.Nn;
using Dendrite.Nn.Optim;
using Dendrite.Training;

namespace Dendrite.Experiments.Foundations;

/// <summary>SGD, momentum, Nesterov, Adagrad, RMSprop and Adam on the Rosenbrock and Beale functions (paths over
/// contour plots) and on a Fashion-MNIST MLP (loss curves).</summary>
public sealed class Optimizers : Experiment
{
    /// <inheritdoc/>
    public override string Name => "optimizers";

    /// <inheritdoc/>
    public override string Topic => "optimizers";

    /// <inheritdoc/>
    public override string Summary =>
        "SGD, momentum, Nesterov, Adagrad, RMSprop, Adam on Rosenbrock, Beale and Fashion-MNIST";

    /// <inheritdoc/>
    public override string Claim => """
        Plain gradient descent crawls along narrow curved valleys (Rosenbrock's) because the gradient points across
        the valley more than along it. Momentum accumulates a velocity along the consistent direction and damps the
        oscillation across it; Nesterov's variant evaluates the gradient at the look-ahead point. Adagrad scales each
        coordinate by its accumulated squared gradients, which adapts to badly scaled problems but shrinks the step
        for ever; RMSprop uses a moving average instead; Adam adds momentum to RMSprop with bias correction and is the
        usual default for networks.
        """;

    /// <summary>An optimizer of the comparison: its name and how to make it for a set of parameters.</summary>
    private sealed record Method(string Name, Func<IEnumerable<Parameter>, Optimizer> Make);

    private static Method[] Methods(double sgd, double adagrad, double rmsprop, double adam) =>
    [
        new("SGD", p => new Sgd(p, sgd)),
        new("momentum", p => new Momentum(p, sgd, 0.9)),
        new("Nesterov", p => new Momentum(p, sgd, 0.9, nesterov: true)),
        new("Adagrad", p => new Adagrad(p, adagrad)),
        new("RMSprop", p => new RmsProp(p, rmsprop)),
        new("Adam", p => new Adam(p, adam)),
    ];

    /// <summary>A test function of two variables written with tensor ops (so autograd gives its gradient).</summary>
    private sealed record Surface(string Name, Func<Tensor, Tensor, Tensor> F, Func<double, double, double> Plain,
        (double X, double Y) Start, (double X, double Y) Minimum, (double, double) XRange, (double, double) YRange,
        Method[] Methods);

    /// <summary>(1 − x)² + 100(y − x²)², minimum 0 at (1, 1).</summary>
    internal static Tensor Rosenbrock(Tensor x, Tensor y) => Sq(1 - x) + Sq(y - x * x) * 100;

    /// <summary>(1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)², minimum 0 at (3, 0.5).</summary>
    internal static Tensor Beale(Tensor x, Tensor y) =>
        Sq(1.5 - x + x * y) + Sq(2.25 - x + x * y * y) + Sq(2.625 - x + x * y * y * y);

    private static Tensor Sq(Tensor t) => t * t;

    private static double RosenbrockValue(double x, double y) => (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x);

    private static double BealeValue(double x, double y) =>
        Math.Pow(1.5 - x + x * y, 2) + Math.Pow(2.25 - x + x * y * y, 2) + Math.Pow(2.625 - x + x * y * y * y, 2);

    /// <inheritdoc/>
    public override void Run(ExperimentContext context)
    {
        int steps = context.Choose(3000, 150);
        Surface[] surfaces =
        [
            new("Rosenbrock", Rosenbrock, RosenbrockValue, (-1.5, 2), (1, 1), (-2, 2), (-1, 3),
                Methods(sgd: 5e-4, adagrad: 0.5, rmsprop: 0.01, adam: 0.05)),
            new("Beale", Beale, BealeValue, (1, 1.5), (3, 0.5), (-0.5, 4), (-2, 2),
                Methods(sgd: 5e-3, adagrad: 0.5, rmsprop: 0.01, adam: 0.05)),
        ];
        context.Setup("Rosenbrock f = (1 − x)² + 100(y − x²)² from (−1.5, 2) and Beale " +
            "f = (1.5 − x + xy)² + " +
            $"(2.25 − x + xy²)² + (2.625 − x + xy³)² from (1, 1.5), {steps} steps of each optimizer on " +
            "a two-element parameter; gradients by autograd.");
        var paths = context.Table("paths", "Optimizers on two test functions",
            "function", "optimizer", "lr", "final x", "final y", "final f", "distance to minimum",
            "first step with f < 1e-3");
        foreach (var s in surfaces)
        {
            context.Setup($"{s.Name} learning rates: " +
                string.Join(", ", s.Methods.Select(m => $"{m.Name} {LrOf(m)}")) +
                " (momentum and Nesterov use SGD's rate with momentum 0.9; Adam β = (0.9, 0.999)).");
            var drawn = new List<Series>();
            foreach (var m in s.Methods)
            {
                var p = new Parameter(Tensor.From(new[] { (float)s.Start.X, (float)s.Start.Y }, 2));
                var optimizer = m.Make([p]);
                var xs = new List<double> { s.Start.X };
                var ys = new List<double> { s.Start.Y };
                int reached = -1;
                double f = s.Plain(s.Start.X, s.Start.Y);
                for (int step = 1; step <= steps; step++)
                {
                    optimizer.ZeroGrad();
                    var loss = s.F(p.Select(0, 0), p.Select(0, 1));
                    loss.Backward();
                    optimizer.Step();
                    double[] now = [.. p.ToArray<float>().Select(v => (double)v)];
                    if (!double.IsFinite(now[0]) || !double.IsFinite(now[1])) break;
                    xs.Add(now[0]);
                    ys.Add(now[1]);
                    f = s.Plain(now[0], now[1]);
                    if (reached < 0 && f < 1e-3) reached = step;
                }
                double distance = Math.Sqrt(Math.Pow(xs[^1] - s.Minimum.X, 2) + Math.Pow(ys[^1] - s.Minimum.Y, 2));
                string first = reached < 0
                    ? "never"
                    : reached.ToString(System.Globalization.CultureInfo.InvariantCulture);
                paths.Add(s.Name, m.Name, LrOf(m), xs[^1], ys[^1], f, distance, first);
                drawn.Add(Thin(m.Name, xs, ys, 400));
            }
            string stem = s.Name.ToLowerInvariant();
            Plots.Contour(
                context.Figure(stem, $"{s.Name}: {steps} steps of each optimizer (circle: start, square: end)"),
                s.Plain, s.XRange, s.YRange, drawn,
                new ContourOptions
                {
                    Title = $"{s.Name} function",
                    XLabel = "x",
                    YLabel = "y",
                    LogScale = true,
                    Levels = 14,
                    Resolution = context.Choose(200, 40),
                    Width = 760,
                    Height = 560,
                });
        }

        TrainFashion(context);
        var rows = paths.Rows;
        foreach (var s in surfaces)
        {
            var mine = rows.Where(r => (string)r[0] == s.Name).ToList();
            var best = mine.OrderBy(r => (double)r[6]).First();
            var sgd = mine.First(r => (string)r[1] == "SGD");
            context.Finding($"{s.Name}: after {steps} steps SGD is {(double)sgd[6]:G3} from the minimum (f = " +
                $"{(double)sgd[5]:G3}); the closest is {best[1]} at {(double)best[6]:G3} (f = {(double)best[5]:G3}).");
        }
    }

    private static double LrOf(Method m)
    {
        var probe = m.Make([new Parameter(Tensor.Zeros(1))]);
        return probe.Groups[0].Lr;
    }

    private static Series Thin(string name, List<double> xs, List<double> ys, int most)
    {
        int stride = Math.Max(1, (xs.Count + most - 1) / most);
        var keep = Enumerable.Range(0, xs.Count).Where(i => i % stride == 0 || i == xs.Count - 1).ToArray();
        return new Series(name, [.. keep.Select(i => xs[i])], [.. keep.Select(i => ys[i])]);
    }

    private static void TrainFashion(ExperimentContext context)
    {
        int trainCount = context.Choose(10_000, 300), valCount = context.Choose(2_000, 200);
        int epochs = context.Choose(8, 2);
        var (x, y) = FashionSubset.Take("train", trainCount, context.NewGenerator());
        var (vx, vy) = FashionSubset.Take("t10k", valCount, context.NewGenerator());
        var methods = Methods(sgd: 0.01, adagrad: 0.01, rmsprop: 1e-3, adam: 1e-3);
        context.Setup("Fashion-MNIST: an MLP 784 → 128 (ReLU) → 10 on " +
            $"{trainCount:N0} training images, validated " +
            $"on {valCount:N0} test images, batches of 64 in the same seeded order for every optimizer, {epochs} " +
            "epochs, the same initial weights; learning rates " +
            string.Join(", ", methods.Select(m => $"{m.Name} {LrOf(m)}")) +
            " (torch.optim's defaults for Adagrad and Adam, Keras's 0.001 for RMSprop, 0.01 for the three SGD " +
            "variants).");
        var initial = Mlp().StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Clone());
        var table = context.Table("fashion", "Optimizers on a Fashion-MNIST MLP",
            "optimizer", "lr", "train loss, epoch 1", "final train loss", "final validation loss",
            "validation accuracy", "seconds");

        var trainCurves = new List<Series>();
        var valCurves = new List<Series>();
        foreach (var m in methods)
        {
            var model = Mlp();
            model.LoadStateDict(initial);
            var trainer = new Trainer(model, m.Make(model.Parameters()), (o, t) => Losses.CrossEntropy(o, t));
            var loader = new Dendrite.Data.DataLoader(x, y, 64, shuffle: true,
                generator: new Generator((ulong)context.Seed + 17));
            var history = trainer.Fit(loader, epochs, validation: (vx, vy), verbose: false);
            var e = history.Epochs;
            table.Add(m.Name, LrOf(m), e[0].TrainLoss, e[^1].TrainLoss, e[^1].ValLoss ?? double.NaN,
                e[^1].ValAccuracy ?? double.NaN, e.Sum(r => r.Seconds));
            trainCurves.Add(Series.PerEpoch(m.Name, [.. e.Select(r => r.TrainLoss)]));
            valCurves.Add(Series.PerEpoch(m.Name, [.. e.Select(r => r.ValLoss ?? double.NaN)]));
            context.Log($"{m.Name}: validation accuracy {e[^1].ValAccuracy:P1}");
        }
        Plots.Line(context.Figure("fashion-train-loss", "Fashion-MNIST MLP: mean training loss per epoch"), trainCurves,
            new LineOptions
            {
                Title = "Training loss",
                XLabel = "epoch",
                YLabel = "cross-entropy",
                IntegerX = true,
                LogY = true,
            });
        Plots.Line(context.Figure("fashion-validation-loss", "Fashion-MNIST MLP: validation loss after each epoch"),
            valCurves,
            new LineOptions { Title = "Validation loss", XLabel = "epoch", YLabel = "cross-entropy", IntegerX = true });
        var best = table.Rows.OrderByDescending(r => (double)r[5]).First();
        var sgdRow = table.Rows.First(r => (string)r[0] == "SGD");
        context.Finding($"Fashion-MNIST: the best validation accuracy after {epochs} epochs is {best[0]}'s " +
            $"({(double)best[5]:P1}); plain SGD at lr 0.01 reaches {(double)sgdRow[5]:P1}.");
    }

    private static Sequential Mlp() =>
        new(("hidden", new Linear(784, 128)), ("relu", new Relu()), ("out", new Linear(128, 10)));

}
