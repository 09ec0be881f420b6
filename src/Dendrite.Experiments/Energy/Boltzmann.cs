using System.Diagnostics;
using Dendrite.IO;
using Dendrite.Models.Energy;

namespace Dendrite.Experiments.Energy;

/// <summary>A fully connected Boltzmann machine learns bars and stripes; its sampled learning rule is checked against
/// the exact gradient over all 4,096 states.</summary>
public sealed class Boltzmann : Experiment
{
    /// <inheritdoc/>
    public override string Name => "boltzmann";

    /// <inheritdoc/>
    public override string Topic => "energy";

    /// <inheritdoc/>
    public override string Summary =>
        "a Boltzmann machine on 3×3 bars and stripes: Gibbs sampling and the learning rule vs exact sums";

    /// <inheritdoc/>
    public override string Claim => """
        A Boltzmann machine's units are binary and stochastic, and p(s) ∝ exp(−E(s)) with E(s) = −½ sᵀWs − bᵀs. Gibbs
        sampling, one unit at a time from p(sᵢ | the rest) = σ(bᵢ + Σⱼ Wᵢⱼ sⱼ), draws from that distribution. The
        log-likelihood gradient is a difference of two correlations, ⟨sᵢ sⱼ⟩ with the visible units clamped to the data
        (positive phase) minus ⟨sᵢ sⱼ⟩ running freely (negative phase), so sampling both phases is enough to learn;
        hidden units let the machine represent dependencies that pairwise visible weights cannot (Ackley, Hinton &
        Sejnowski, 1985).
        """;

    /// <inheritdoc/>
    public override void Run(ExperimentContext context)
    {
        var data = BarsAndStripes.Patterns(3);                                   // (14, 9)
        int hidden = 3, updates = context.Choose(1000, 40), every = context.Choose(25, 10);
        double lr = 0.3;
        var sampling = new BoltzmannSampling(Chains: context.Choose(1000, 300), ClampedChains: context.Choose(20, 10),
            BurnIn: 5, Sweeps: context.Choose(10, 5));
        context.Setup($"Data: the 14 bars-and-stripes patterns on a 3×3 grid, equally likely, so the best possible " +
            $"mean log-likelihood is log(1/14) = {Math.Log(1 / 14.0):F3} nats. Machine: 9 visible + {hidden} hidden " +
            $"units, all pairs connected, {Math.Pow(2, 9 + hidden):N0} joint states, so Z, p(v) and the gradient are " +
            $"exact sums. Learning rate {lr}, {updates} full-batch updates. Sampled rule: {sampling.Chains} " +
            $"persistent free-running " +
            $"chains (negative phase), {sampling.ClampedChains} clamped chains per pattern (positive phase), " +
            $"{sampling.BurnIn} burn-in sweeps then {sampling.Sweeps} sweeps averaged, per update.");

        // 1. The sampler and the sampled gradient against exact sums at one fixed machine.
        var probe = new BoltzmannMachine(9, hidden, context.NewGenerator(), scale: 1.0);
        var g = context.NewGenerator();
        var check = context.Table("check", "Sampled vs exact at a random machine (weights N(0, 1))", "quantity",
            "sampled", "exact", "max |difference|");
        var exactP = probe.ExactVisibleDistribution();
        var sampledP = GibbsHistogram(probe, sampling.Chains * 4, 20, g);
        double tv = 0.5 * exactP.Select((p, s) => Math.Abs(p - sampledP[s])).Sum();
        check.Add("p(v) over the 512 visible states (total variation)", "histogram", "enumeration", tv);
        var exact = probe.ExactGradient(data);
        var sampled = probe.SampledGradient(data, sampling with { Chains = sampling.Chains * 4, BurnIn = 20 }, g);
        double gradDiff = MaxDiff(exact, sampled), gradScale = exact.Weight.Abs().Max().Item();
        check.Add("∂ log p / ∂W and ∂b", "learning rule", "enumeration", gradDiff);
        context.Finding($"At a random machine, Gibbs samples from {sampling.Chains * 4:N0} chains match the exact " +
            $"p(v) " +
            $"to a total variation of {tv:F3}, and the sampled learning rule matches the exact gradient to " +
            $"{gradDiff:F3} at most (the largest exact component is {gradScale:F3}).");

        // 2. Learning: exact gradient vs sampled rule, and a machine without hidden units.
        var runs = new (string Name, int Hidden, bool Exact)[]
        {
            ("exact gradient, 3 hidden", hidden, true), ("sampled rule, 3 hidden", hidden, false),
            ("exact gradient, no hidden", 0, true),
        };
        var table = context.Table("learning", "Mean log-likelihood of the 14 patterns (exact) after training",
            "machine", "updates", "log-likelihood", "KL(data ‖ model)", "mass on the 14 patterns", "wall s");
        var series = new List<Series>();
        foreach (var (name, h, useExact) in runs)
        {
            var bm = new BoltzmannMachine(9, h, context.NewGenerator(), scale: 0.1);
            var rg = context.NewGenerator();
            var xs = new List<double>();
            var ys = new List<double>();
            var clock = Stopwatch.StartNew();
            for (int u = 0; u <= updates; u++)
            {
                if (u % every == 0 || u == updates)
                {
                    clock.Stop();
                    xs.Add(u);
                    ys.Add(bm.ExactLogLikelihood(data));
                    clock.Start();
                }
                if (u == updates) break;
                bm.Step(useExact ? bm.ExactGradient(data) : bm.SampledGradient(data, sampling, rg), lr);
            }
            var p = bm.ExactVisibleDistribution();
            double mass = PatternMass(p, data);
            table.Add(name, updates, ys[^1], -Math.Log(14) - ys[^1],   // KL = −H(data) − mean log p(v)
                mass, clock.Elapsed.TotalSeconds);
            series.Add(new Series(name, [.. xs], [.. ys]));
        }
        series.Add(new Series("best possible, log(1/14)", [0, updates], [Math.Log(1 / 14.0), Math.Log(1 / 14.0)]));
        Plots.Line(context.Figure("learning", "Exact mean log-likelihood of bars and stripes during training"), series,
            new LineOptions
            {
                Title = "Boltzmann machine on 3×3 bars and stripes",
                XLabel = "update",
                YLabel = "mean log p(v) (nats)"
            });
        var rows = table.Rows;
        context.Finding($"With 3 hidden units the exact gradient reaches a mean log-likelihood of " +
            $"{rows[0][2]:F3} and " +
            $"the sampled rule {rows[1][2]:F3} after {updates} updates (best possible {Math.Log(1 / 14.0):F3}); " +
            $"without hidden " +
            $"units the exact gradient reaches {rows[2][2]:F3}.");
    }

    // Visible-state histogram of Gibbs chains after a burn-in, over 20 further sweeps.
    private static double[] GibbsHistogram(BoltzmannMachine bm, int chains, int burnIn, Generator g)
    {
        int n = bm.Units;
        var states = new double[n * chains];
        for (int i = 0; i < states.Length; i++) states[i] = g.NextDouble() < 0.5 ? 1 : 0;
        bm.Gibbs(states, chains, 0, burnIn, g);
        var counts = new double[1 << bm.Visible];
        for (int sweep = 0; sweep < 20; sweep++)
        {
            bm.Gibbs(states, chains, 0, 1, g);
            for (int r = 0; r < chains; r++)
            {
                int s = 0;
                for (int i = 0; i < bm.Visible; i++) s |= (int)states[i * chains + r] << i;
                counts[s]++;
            }
        }
        return [.. counts.Select(c => c / (20.0 * chains))];
    }

    private static double PatternMass(double[] p, Tensor data)
    {
        var x = data.ToArray<float>();
        int v = data.Size(1);
        double mass = 0;
        for (int r = 0; r < data.Size(0); r++)
        {
            int s = 0;
            for (int i = 0; i < v; i++) s |= (int)x[r * v + i] << i;
            mass += p[s];
        }
        return mass;
    }

    private static double MaxDiff(BoltzmannGradient a, BoltzmannGradient b) =>
        a.Weight.ToArray<double>().Concat(a.Bias.ToArray<double>())
            .Zip(b.Weight.ToArray<double>().Concat(b.Bias.ToArray<double>()))
            .Max(p => Math.Abs(p.First - p.Second));
}
