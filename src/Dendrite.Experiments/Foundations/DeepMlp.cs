using Dendrite.Nn;

namespace Dendrite.Experiments.Foundations;

/// <summary>What one forward and backward pass shows about each Linear layer of a deep MLP.</summary>
/// <param name="OutputStd">Standard deviation of the layer's output after its activation (after batch norm and
/// activation when there is one; the logits for the last layer).</param>
/// <param name="OutputMean">Mean of that output.</param>
/// <param name="WeightGradStd">Standard deviation of the loss's gradient with respect to the layer's weight.</param>
/// <param name="WeightGradNorm">Euclidean norm of that gradient.</param>
internal readonly record struct LayerProbe(double OutputStd, double OutputMean, double WeightGradStd,
    double WeightGradNorm);

/// <summary>Deep fully connected networks for the initialisation and vanishing-gradient experiments:
/// 784 → width → … → width → 10, one Linear per layer, each but the last followed by (batch norm and) an
/// activation.</summary>
internal static class DeepMlp
{
    /// <summary>A network of <paramref name="layers"/> Linear layers; children are named linear1, bn1, act1, ….
    /// </summary>
    public static Sequential Build(int layers, int width, Func<ILayer> activation, bool batchNorm = false)
    {
        var net = new Sequential();
        for (int i = 1; i <= layers; i++)
        {
            int fanIn = i == 1 ? 28 * 28 : width, fanOut = i == layers ? 10 : width;
            net.Append($"linear{i}", new Linear(fanIn, fanOut));
            if (i == layers) break;
            if (batchNorm) net.Append($"bn{i}", new BatchNorm1d(fanOut));
            net.Append($"act{i}", activation());
        }
        return net;
    }

    /// <summary>The Linear layers of <paramref name="net"/>, in order.</summary>
    public static List<Linear> Linears(Sequential net) => [.. net.Layers.OfType<Linear>()];

    /// <summary>Sets every Linear weight from <paramref name="weight"/>(shape) and every bias to zero.</summary>
    public static void Initialise(Sequential net, Func<int[], Tensor> weight)
    {
        using var _ = Autograd.NoGrad();
        foreach (var linear in Linears(net))
        {
            linear.Weight.CopyFrom(weight(linear.Weight.Shape.ToArray()));
            linear.Bias?.CopyFrom(Tensor.Zeros(linear.Bias.Shape));
        }
    }

    /// <summary>One forward pass of (x, y) through <paramref name="net"/> in training mode, cross-entropy, backward:
    /// per Linear layer, the statistics of its output and of its weight gradient. Gradients are cleared after.
    /// </summary>

    public static LayerProbe[] Probe(Sequential net, Tensor x, Tensor y)
    {
        net.Train();
        net.ZeroGrad();
        var outputs = new List<Tensor>();
        var h = x;
        var layers = net.Layers;
        for (int i = 0; i < layers.Count; i++)
        {
            h = layers[i].Forward(h);
            bool endOfBlock = i == layers.Count - 1 || layers[i + 1] is Linear;
            if (endOfBlock) outputs.Add(h);
        }
        Losses.CrossEntropy(h, y).Backward();
        var linears = Linears(net);
        var probes = new LayerProbe[linears.Count];
        for (int i = 0; i < linears.Count; i++)
        {
            var (mean, std) = Moments(outputs[i].ToArray<float>());
            var grad = linears[i].Weight.Grad?.ToArray<float>() ?? new float[linears[i].Weight.Numel];
            var (_, gradStd) = Moments(grad);
            double norm = Math.Sqrt(grad.Sum(v => (double)v * v));
            probes[i] = new LayerProbe(std, mean, gradStd, norm);
        }
        net.ZeroGrad();
        return probes;
    }

    private static (double Mean, double Std) Moments(float[] v)
    {
        double mean = v.Average(a => (double)a);
        double variance = v.Sum(a => (a - mean) * (a - mean)) / v.Length;
        return (mean, Math.Sqrt(variance));
    }
}
