namespace Dendrite.IO;

// Reductions, arg-reductions, softmax-like operators and normalizations.
internal static partial class OnnxOps
{
    private static void AddReduce(Dictionary<string, Func<OnnxNode, Tensor[]>> t)
    {
        // ReduceSum took its axes as an input from opset 13, the other reductions from opset 18.
        t["ReduceSum"] = One(n => Reduce(n, 13, 0, (x, ax) => x.Sum(ax, keepDim: true)));
        t["ReduceMean"] = One(n => Reduce(n, 18, double.NaN, (x, ax) => x.Mean(ax, keepDim: true).To(x.DType)));
        t["ReduceMax"] = One(n => Reduce(n, 18, double.NegativeInfinity, (x, ax) => x.Max(ax, keepDim: true)));
        t["ReduceMin"] = One(n => Reduce(n, 18, double.PositiveInfinity, (x, ax) => x.Min(ax, keepDim: true)));
        t["ReduceSumSquare"] = One(n => Reduce(n, 18, 0, (x, ax) => (x * x).Sum(ax, keepDim: true)));
        t["ReduceL1"] = One(n => Reduce(n, 18, 0, (x, ax) => x.Abs().Sum(ax, keepDim: true)));
        t["ReduceL2"] = One(n => Reduce(n, 18, 0, (x, ax) =>
            (x * x).Sum(ax, keepDim: true).To(DType.Float64).Sqrt().To(x.DType)));
        t["ReduceLogSum"] = One(n => Reduce(n, 18, double.NegativeInfinity, (x, ax) => x.Sum(ax, keepDim: true).Log()));
        t["ReduceLogSumExp"] = One(n => Reduce(n, 18, double.NegativeInfinity,
            (x, ax) => x.To(DType.Float64).LogSumExp(ax, keepDim: true).To(x.DType)));
        t["ArgMax"] = One(n => ArgReduce(n, max: true));
        t["ArgMin"] = One(n => ArgReduce(n, max: false));
        t["Softmax"] = One(n => SoftmaxLike(n, (x, a) => x.Softmax(a)));
        t["LogSoftmax"] = One(n => SoftmaxLike(n, (x, a) => x.LogSoftmax(a)));
        t["Hardmax"] = One(n => SoftmaxLike(n, (x, a) =>
        {
            var idx = x.ArgMax(a, keepDim: true);
            var shape = Enumerable.Repeat(1, x.Rank).ToArray();
            shape[a] = x.Shape[a];
            return idx.Eq(Tensor.Arange(x.Shape[a], DType.Int64).Reshape(shape)).To(x.DType);
        }));
        t["GlobalAveragePool"] = Unary(x => x.Mean(SpatialAxes(x), keepDim: true));
        t["GlobalMaxPool"] = Unary(x => x.Max(SpatialAxes(x), keepDim: true));
        t["BatchNormalization"] = BatchNorm;
        t["InstanceNormalization"] = n =>
        {
            var x = n.In(0);
            var y = Normalize(x, SpatialAxes(x), n.Float("epsilon", 1e-5f));
            return [y * PerChannel(n.In(1), x.Rank) + PerChannel(n.In(2), x.Rank)];
        };
        t["LayerNormalization"] = LayerNorm;
        t["MeanVarianceNormalization"] = n =>
        {
            var x = n.In(0);
            var axes = n.AxesFor(n.Ints("axes") ?? [0, 2, 3], x.Rank);
            var d = x - x.Mean(axes, keepDim: true);
            return [d / (d * d).Mean(axes, keepDim: true).Sqrt()];
        };
        t["CumSum"] = One(CumSum);
    }

    private static Tensor Reduce(OnnxNode n, int axesInputSince, double emptyValue, Func<Tensor, int[], Tensor> f)
    {
        var x = n.In(0);
        var axes = n.Axes(axesInputSince, 1);
        bool keep = n.Int("keepdims", 1) != 0;
        int[] ax;
        if (axes is null || axes.Length == 0)
        {
            if (n.Int("noop_with_empty_axes", 0) != 0) return x;
            ax = Enumerable.Range(0, x.Rank).ToArray();
        }
        else
        {
            ax = n.AxesFor(axes, x.Rank).Distinct().Order().ToArray();
        }
        Tensor y;
        if (ax.Any(a => x.Shape[a] == 0))
        {
            // A reduction over no elements yields the operation's identity (sum 0, max -inf, …).
            var kept = x.Shape.ToArray();
            foreach (int a in ax) kept[a] = 1;
            y = Tensor.Full(emptyValue, x.DType, kept);
        }
        else
        {
            y = f(x, ax);
        }
        if (!keep)
        {
            for (int i = ax.Length - 1; i >= 0; i--) y = y.Squeeze(ax[i]);
        }
        return y;
    }

    private static Tensor ArgReduce(OnnxNode n, bool max)
    {
        var x = n.In(0);
        int axis = n.Axis(n.Int("axis", 0), x.Rank);
        bool keep = n.Int("keepdims", 1) != 0, last = n.Int("select_last_index", 0) != 0;
        return max ? x.ArgMax(axis, keep, last) : x.ArgMin(axis, keep, last);
    }

    // Before opset 13 these operators flatten the input to 2-D at `axis` (default 1) and work on the rows;
    // from 13 on they work along one axis (default -1).
    private static Tensor SoftmaxLike(OnnxNode n, Func<Tensor, int, Tensor> f)
    {
        var x = n.In(0);
        if (n.Opset >= 13) return f(x, n.Axis(n.Int("axis", -1), x.Rank));
        long axis = n.Int("axis", 1);
        int a = (int)(axis < 0 ? axis + x.Rank : axis);
        if (a < 0 || a > x.Rank) throw n.Error($"axis {axis} is out of range for rank {x.Rank}");
        int outer = 1;
        for (int i = 0; i < a; i++) outer *= x.Shape[i];
        return f(x.Reshape(outer, Inner(x, a)), 1).Reshape(x.Shape);
    }

    private static int[] SpatialAxes(Tensor x) => Enumerable.Range(2, Math.Max(0, x.Rank - 2)).ToArray();

    // A per-channel vector [C] reshaped to broadcast over [N, C, D1, …].
    private static Tensor PerChannel(Tensor v, int rank)
    {
        var shape = Enumerable.Repeat(1, rank - 1).ToArray();
        shape[0] = v.Numel;
        return v.Reshape(shape);
    }

    // (x - mean) / sqrt(var + eps) over the given axes, with the biased variance.
    private static Tensor Normalize(Tensor x, int[] axes, double eps)
    {
        var d = x - x.Mean(axes, keepDim: true);
        return d / ((d * d).Mean(axes, keepDim: true) + eps).Sqrt();
    }

    private static Tensor[] BatchNorm(OnnxNode n)
    {
        var x = n.In(0);
        if (n.Opset < 14 && n.WantsOutput(1)) throw new OnnxUnsupportedException("BatchNormalization training mode");
        if (n.Int("training_mode", 0) != 0) return BatchNormTraining(n, x);
        int r = x.Rank;
        double epsilon = n.Float("epsilon", 1e-5f);
        var stats = new[] { n.In(1), n.In(2), n.In(3), n.In(4) };
        if (r >= 2 && stats.All(t => t.Rank == 1 && t.Size(0) == x.Shape[1] && t.DType == x.DType))
            return [x.BatchNormInference(stats[2], stats[3], stats[0], stats[1], epsilon)]; // one fused pass
        var scale = PerChannel(n.In(1), r);
        var bias = PerChannel(n.In(2), r);
        var mean = PerChannel(n.In(3), r);
        var var = PerChannel(n.In(4), r);
        double eps = n.Float("epsilon", 1e-5f);
        return [(x - mean) / (var + eps).Sqrt() * scale + bias];
    }

    // Training mode (opset 14 on) normalizes with the batch's own mean and biased variance over every axis but
    // the channel axis, and also returns the running statistics moved towards them:
    //   running = running·momentum + batch·(1 − momentum)
    private static Tensor[] BatchNormTraining(OnnxNode n, Tensor x)
    {
        if (x.Rank < 2) throw n.Error($"input must be [N, C, …], got {Shapes.Format(x.Shape)}");
        int r = x.Rank;
        var axes = Enumerable.Range(0, r).Where(a => a != 1).ToArray();
        double eps = n.Float("epsilon", 1e-5f), momentum = n.Float("momentum", 0.9f);
        var batchMean = x.Mean(axes, keepDim: true);
        var d = x - batchMean;
        var batchVar = (d * d).Mean(axes, keepDim: true);
        var y = d / (batchVar + eps).Sqrt() * PerChannel(n.In(1), r) + PerChannel(n.In(2), r);
        int c = x.Shape[1];
        var runningMean = n.In(3) * momentum + batchMean.Reshape(c) * (1 - momentum);
        var runningVar = n.In(4) * momentum + batchVar.Reshape(c) * (1 - momentum);
        return [y.To(x.DType), runningMean.To(x.DType), runningVar.To(x.DType)];
    }

    private static Tensor[] LayerNorm(OnnxNode n)
    {
        var x = n.In(0);
        int axis = n.Axis(n.Int("axis", -1), x.Rank);
        var axes = Enumerable.Range(axis, x.Rank - axis).ToArray();
        double eps = n.Float("epsilon", 1e-5f);
        var mean = x.Mean(axes, keepDim: true);
        var d = x - mean;
        var invStd = 1.0 / ((d * d).Mean(axes, keepDim: true) + eps).Sqrt();
        var y = d * invStd * n.In(1);
        if (n.Opt(2) is { } b) y = y + b;
        return [y, mean, invStd];
    }

    private static Tensor CumSum(OnnxNode n)
    {
        var x = n.In(0);
        int axis = n.Axis((long)n.Scalar(1), x.Rank);
        bool exclusive = n.Int("exclusive", 0) != 0, reverse = n.Int("reverse", 0) != 0;
        // Walk each line along the axis: move it last, accumulate, move it back.
        var moved = x.Transpose(axis, -1).Contiguous().To(DType.Float64);
        var v = moved.ToArray<double>();
        int len = x.Shape[axis];
        for (int start = 0; start < v.Length; start += len)
        {
            double acc = 0;
            for (int k = 0; k < len; k++)
            {
                int i = start + (reverse ? len - 1 - k : k);
                double cur = v[i];
                v[i] = exclusive ? acc : acc + cur;
                acc += cur;
            }
        }
        return Tensor.From(v, moved.Shape).Transpose(axis, -1).Contiguous().To(x.DType);
    }
}
