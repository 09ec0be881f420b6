namespace Dendrite.IO;

// Random generators: RandomUniform(Like), RandomNormal(Like) and Bernoulli. Values come from Dendrite's Generator:
// a node with a seed attribute gets its own generator started from that seed (so it repeats run after run), a
// node without one draws from Generator.Default (so Generator.ManualSeed makes a whole run repeat). ONNX leaves
// the stream implementation-defined, so no other runtime's values are reproduced.
//   RandomUniform   y ~ U[low, high)         RandomNormal   y ~ N(mean, scale²)
//   Bernoulli       y = 1 with probability p (the input), else 0
internal static partial class OnnxOps
{
    private static void AddRandom(Dictionary<string, Func<OnnxNode, Tensor[]>> t)
    {
        t["RandomUniform"] = One(n => RandomUniform(n, RandomShape(n), DType.Float32));
        t["RandomUniformLike"] = One(n => RandomUniform(n, n.In(0).Shape.ToArray(), n.In(0).DType));
        t["RandomNormal"] = One(n => RandomNormal(n, RandomShape(n), DType.Float32));
        t["RandomNormalLike"] = One(n => RandomNormal(n, n.In(0).Shape.ToArray(), n.In(0).DType));
        t["Bernoulli"] = One(Bernoulli);
    }

    private static Generator RandomSource(OnnxNode n)
    {
        if (!n.Has("seed")) return Generator.Default;
        float seed = n.Float("seed", 0);
        if (!float.IsFinite(seed)) throw n.Error($"attribute seed {seed} is not finite");
        return new Generator(BitConverter.DoubleToUInt64Bits(seed));
    }

    private static int[] RandomShape(OnnxNode n)
    {
        var shape = n.Ints("shape") ?? throw n.Error("attribute shape is required");
        CheckedNumel(n, shape, "shape");
        return shape.Select(v => (int)v).ToArray();
    }

    // The dtype attribute, when present, must name a floating type; otherwise the fallback (the input's type for
    // the -Like forms) is used, and it too must be floating.
    private static DType RandomType(OnnxNode n, DType fallback)
    {
        var dtype = n.Has("dtype") ? OnnxTensor.MapType((int)n.Int("dtype", 1), n.Where) : fallback;
        if (!dtype.IsFloating()) throw n.Error($"attribute dtype must be a float type, got {dtype}");
        return dtype;
    }

    private static Tensor RandomUniform(OnnxNode n, int[] shape, DType fallback)
    {
        double low = n.Float("low", 0), high = n.Float("high", 1);
        if (!double.IsFinite(low) || !double.IsFinite(high) || low > high)
            throw n.Error($"attributes low {low} and high {high} must be finite with low <= high");
        return Tensor.Rand(shape, RandomSource(n), low, high, RandomType(n, fallback));
    }

    private static Tensor RandomNormal(OnnxNode n, int[] shape, DType fallback)
    {
        double mean = n.Float("mean", 0), scale = n.Float("scale", 1);
        if (!double.IsFinite(mean) || !double.IsFinite(scale) || scale < 0)
            throw n.Error($"attributes mean {mean} and scale {scale} must be finite with scale >= 0");
        return Tensor.Randn(shape, RandomSource(n), mean, scale, RandomType(n, fallback));
    }

    private static Tensor Bernoulli(OnnxNode n)
    {
        var x = n.In(0);
        if (!x.DType.IsFloating()) throw n.Error($"input must hold float probabilities, got {x.DType}");
        var dtype = n.Has("dtype") ? OnnxTensor.MapType((int)n.Int("dtype", 1), n.Where) : x.DType;
        var p = x.ToArray<double>();
        var g = RandomSource(n);
        var y = new double[p.Length];
        for (int i = 0; i < p.Length; i++)
        {
            if (!(p[i] >= 0 && p[i] <= 1))
                throw n.Error($"probability {p[i]} at element {i} of {Shapes.Format(x.Shape)} is outside [0, 1]");
            y[i] = g.NextDouble() < p[i] ? 1 : 0;
        }
        return Tensor.From(y, x.Shape).To(dtype);
    }
}
