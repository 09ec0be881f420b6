namespace Dendrite.IO;

// Loss operators and reductions without a Tensor primitive.
internal static partial class OnnxOps
{
    private static void AddLoss(Dictionary<string, Func<OnnxNode, Tensor[]>> t)
    {
        t["NegativeLogLikelihoodLoss"] = n => [Nll(n, n.In(0), n.In(1), n.Opt(2))];
        t["SoftmaxCrossEntropyLoss"] = n =>
        {
            var logProb = n.In(0).LogSoftmax(1);
            var loss = Nll(n, logProb, n.In(1), n.Opt(2));
            return n.WantsOutput(1) ? [loss, logProb] : [loss];
        };
        t["ReduceProd"] = One(n => Reduce(n, 18, 1, Product));
    }

    // loss[n, d…] = -input[n, target[n, d…], d…] · weight[target[n, d…]], zero where target == ignore_index;
    // "mean" divides the sum by the total weight of the targets that count.
    private static Tensor Nll(OnnxNode n, Tensor input, Tensor target, Tensor? weight)
    {
        if (input.Rank < 2 || target.Rank != input.Rank - 1)
            throw n.Error($"input {Shapes.Format(input.Shape)} and target {Shapes.Format(target.Shape)} do not fit");
        var mask = Tensor.Ones(DType.Bool, target.Shape);
        if (n.Has("ignore_index")) mask = target.Ne(Tensor.Scalar(n.Int("ignore_index", 0), DType.Int64));
        var safe = Tensor.Where(mask, target, Tensor.Zeros(DType.Int64));
        var picked = input.Gather(1, safe.Unsqueeze(1)).Squeeze(1);
        var w = weight is null ? Tensor.OnesLike(picked) : weight.IndexSelect(0, safe);
        w = w * mask.To(w.DType);
        var loss = -(picked * w);
        return n.Str("reduction", "mean") switch
        {
            "none" => loss,
            "sum" => loss.Sum(),
            "mean" => loss.Sum() / w.Sum(),
            var r => throw n.Error($"reduction '{r}' is not one of none, sum, mean"),
        };
    }

    // Product over the given axes: move them last, then multiply along each row.
    private static Tensor Product(Tensor x, int[] axes)
    {
        var rest = Enumerable.Range(0, x.Rank).Where(i => !axes.Contains(i)).ToArray();
        var moved = x.Permute([.. rest, .. axes]).Contiguous().To(DType.Float64);
        var v = moved.ToArray<double>();
        int len = 1;
        foreach (int a in axes) len *= x.Shape[a];
        var result = new double[v.Length / len];
        for (int r = 0; r < result.Length; r++)
        {
            double p = 1;
            for (int k = 0; k < len; k++) p *= v[r * len + k];
            result[r] = p;
        }
        var kept = x.Shape.ToArray();
        foreach (int a in axes) kept[a] = 1;
        return Tensor.From(result, kept).To(x.DType);
    }

    // Edge, reflect and wrap padding along one axis, as a gather with the source index of every output position.
    private static Tensor PadIndexed(Tensor x, int axis, int before, int after, string mode)
    {
        int size = x.Shape[axis];
        var idx = new long[before + size + after];
        for (int i = 0; i < idx.Length; i++)
        {
            long j = i - before;
            idx[i] = mode switch
            {
                "edge" => Math.Clamp(j, 0, size - 1),
                "wrap" => ((j % size) + size) % size,
                _ => Reflect(j, size),
            };
        }
        return x.IndexSelect(axis, Tensor.From(idx, idx.Length));
    }

    private static long Reflect(long j, int size)
    {
        if (size == 1) return 0;
        long period = 2L * (size - 1);
        j = ((j % period) + period) % period;
        return j < size ? j : period - j;
    }
}
