using System.Diagnostics;
using Dendrite.Nn;

namespace Dendrite.Bench;

/// <summary>The `gpt-attention` scenario: the causal attention of one layer of the `gpt` scenario's model (batch 16,
/// 4 heads of 32, context 128), forward and backward, from q, k and v split out of one fused (B, T, 3E) projection
/// to the merged (B, T, E) output, as GptAttention runs it. Dendrite only: it times this op against its own earlier
/// versions, so it reports the fastest call besides the median (on a loaded machine the fastest call is the one
/// least disturbed). --rounds sets the calls timed, in hundreds; --shapes B gives another batch.</summary>
internal static class AttentionScenario
{
    private const int Heads = 4, HeadSize = 32, Context = 128;

    /// <summary>The `gpt-attention` scenario.</summary>
    public static int Run(Options o)
    {
        int batch = o.Shapes is null ? 16 : int.Parse(o.Shapes, System.Globalization.CultureInfo.InvariantCulture);
        int e = Heads * HeadSize;
        var g = new Generator(3);
        var qkv = Tensor.Randn([batch, Context, 3 * e], g).RequireGrad();
        var r = Tensor.Randn([batch, Context, e], g);
        Tensor Part(int i) => qkv.Narrow(2, i * e, e).Reshape(batch, Context, Heads, HeadSize).Transpose(1, 2);

        void Step()
        {
            using var scope = TensorScope.Begin();
            qkv.Grad = null;
            var y = Attention.ScaledDotProduct(Part(0), Part(1), Part(2), causal: true);  // (B, H, T, hs)
            (y.Transpose(1, 2).Reshape(batch, Context, e) * r).Sum().Backward();
        }

        for (int i = 0; i < 10; i++) Step();
        var ms = new List<double>();
        for (int i = 0; i < 100 * o.Rounds; i++)
        {
            var sw = Stopwatch.StartNew();
            Step();
            ms.Add(sw.Elapsed.TotalMilliseconds);
        }
        string mode = $"batch{batch}";
        Report.Emit("gpt-attention", "fwd+bwd", mode, "dendrite", o.Threads, "min_ms", ms.Min(), "ms");
        Report.Emit("gpt-attention", "fwd+bwd", mode, "dendrite", o.Threads, "median_ms", Report.Median(ms), "ms");
        return 0;
    }
}
