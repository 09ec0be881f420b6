using Dendrite.Nn;
using Dendrite.Nn.Optim;

namespace Dendrite.Tests;

// Large parameters take the vectorised, sliced (multi-threaded) Adam path; it must equal the paper's update
// computed here in double precision.
public class AdamSliceTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LargeParameter_MatchesReferenceUpdate(bool decoupled)
    {
        const int n = 100_003; // above the slice grain, not a multiple of 16
        var g = new Generator(8);
        var p = new Parameter(Tensor.Randn([n], g));
        var p0 = p.ToArray<double>();
        Optimizer opt = decoupled ? new AdamW([p], lr: 0.01, weightDecay: 0.1) : new Adam([p], lr: 0.01);
        var m = new double[n];
        var v = new double[n];
        var w = (double[])p0.Clone();
        for (int t = 1; t <= 4; t++)
        {
            var grad = Tensor.Randn([n], g);
            p.Grad = grad;
            opt.Step();
            var gd = grad.ToArray<double>();
            for (int i = 0; i < n; i++)
            {
                if (decoupled) w[i] *= 1 - 0.01 * 0.1;
                m[i] = 0.9 * m[i] + 0.1 * gd[i];
                v[i] = 0.999 * v[i] + 0.001 * gd[i] * gd[i];
                double mh = m[i] / (1 - Math.Pow(0.9, t)), vh = v[i] / (1 - Math.Pow(0.999, t));
                w[i] -= 0.01 * mh / (Math.Sqrt(vh) + 1e-8);
            }
        }
        var got = p.ToArray<double>();
        double worst = 0;
        for (int i = 0; i < n; i++) worst = Math.Max(worst, Math.Abs(got[i] - w[i]) / (Math.Abs(w[i] - p0[i]) + 1e-3));
        Assert.True(worst < 1e-3, $"largest deviation relative to the update size: {worst}");
    }
}
