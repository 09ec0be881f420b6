using Onnx;

namespace Dendrite.IO;

// Load-time rewrites and run-time in-place steps that leave every output as the plain node-by-node run computes it
// (up to float rounding in the folded weights):
// - a BatchNormalization in inference mode whose input is a Conv's output used nowhere else, with the weights, bias
//   and statistics all initializers, is folded into the Conv's weights and bias (W·γ/√(σ²+ε) per output channel,
//   (b - μ)·γ/√(σ²+ε) + β) and the BatchNormalization node is dropped;
// - a Relu, Clip or Add whose input was made by a Conv, BatchNormalization, Add, Relu or Clip node (a fresh tensor
//   no other value aliases), is read by that node only and is not a graph output, overwrites that input rather
//   than allocating its result (the activation after a convolution, a residual sum and its ReLU).
public sealed partial class OnnxModel
{
    private static readonly HashSet<string> FreshProducers = ["Conv", "BatchNormalization", "Add", "Relu", "Clip"];

    // Per node (after the folds): the input the node may overwrite, or -1.
    private int[] inPlaceInput = [];

    /// <summary>How many BatchNormalization nodes were folded into the convolution before them at load.</summary>
    public int FoldedBatchNorms { get; private set; }

    private void Optimize()
    {
        FoldBatchNorms();
        PlanInPlace();
    }

    private void FoldBatchNorms()
    {
        var consumers = Consumers();
        var outputs = new HashSet<string>(OutputNames);
        var producer = new Dictionary<string, int>();
        for (int i = 0; i < graph.Node.Count; i++)
        {
            foreach (var o in graph.Node[i].Output) producer[o] = i;
        }
        var dropped = new HashSet<int>();
        for (int i = 0; i < graph.Node.Count; i++)
        {
            var bn = graph.Node[i];
            if (bn.OpType != "BatchNormalization" || bn.Domain is not ("" or "ai.onnx") || bn.Input.Count != 5 ||
                bn.Output.Skip(1).Any(o => o.Length > 0) ||
                bn.Attribute.Any(a => a.Name == "training_mode" && a.I != 0) ||
                !producer.TryGetValue(bn.Input[0], out int c))
                continue;
            var conv = graph.Node[c];
            string mid = bn.Input[0];
            if (conv.OpType != "Conv" || conv.Domain is not ("" or "ai.onnx") || conv.Output.Count != 1 ||
                consumers.GetValueOrDefault(mid) != 1 || outputs.Contains(mid) || conv.Input.Count < 2 ||
                !initializers.TryGetValue(conv.Input[1], out var w) ||
                (conv.Input.Count > 2 && conv.Input[2].Length > 0 && !initializers.ContainsKey(conv.Input[2])))
                continue;
            var stats = bn.Input.Skip(1).Select(n => initializers.GetValueOrDefault(n)).ToArray();
            if (!w.DType.IsFloating() || w.Rank < 3 || stats.Any(s => s is null || s.DType != w.DType ||
                    s.Rank != 1 || s.Size(0) != w.Size(0)))
                continue;
            var b = conv.Input.Count > 2 && conv.Input[2].Length > 0 ? initializers[conv.Input[2]] : null;
            if (b is not null && (b.DType != w.DType || b.Rank != 1 || b.Size(0) != w.Size(0))) continue;
            double eps = bn.Attribute.FirstOrDefault(a => a.Name == "epsilon") is { } e ? e.F : 1e-5;
            var (fw, fb) = Fold(w, b, stats[0]!, stats[1]!, stats[2]!, stats[3]!, eps);
            string wName = Unique($"{conv.Input[1]}::folded_{i}"), bName = Unique($"{wName}::bias");
            initializers[wName] = fw;
            initializers[bName] = fb;
            elementTypes[wName] = elementTypes[bName] = (int)OnnxTensor.OnnxType(w.DType);
            conv.Input[1] = wName;
            if (conv.Input.Count > 2) conv.Input[2] = bName;
            else conv.Input.Add(bName);
            conv.Output[0] = bn.Output[0];
            dropped.Add(i);
        }
        for (int i = graph.Node.Count - 1; i >= 0; i--)
        {
            if (dropped.Contains(i)) graph.Node.RemoveAt(i);
        }
        FoldedBatchNorms = dropped.Count;
    }

    // W·s and (b - μ)·s + β with s = γ/√(σ² + ε) per output channel, computed in float64.
    private static (Tensor Weight, Tensor Bias) Fold(Tensor w, Tensor? b, Tensor gamma, Tensor beta, Tensor mean,
        Tensor var, double eps)
    {
        using var _ = Autograd.NoGrad();
        var scale = gamma.To(DType.Float64) / (var.To(DType.Float64) + eps).Sqrt();
        int[] view = [-1, .. Enumerable.Repeat(1, w.Rank - 1)];
        var fw = (w.To(DType.Float64) * scale.Reshape(view)).To(w.DType).Contiguous();
        var b0 = b?.To(DType.Float64) ?? Tensor.Zeros(DType.Float64, w.Size(0));
        var fb = ((b0 - mean.To(DType.Float64)) * scale + beta.To(DType.Float64)).To(w.DType).Contiguous();
        return (fw, fb);
    }

    private string Unique(string name)
    {
        string candidate = name;
        for (int k = 1; initializers.ContainsKey(candidate) || elementTypes.ContainsKey(candidate); k++)
            candidate = $"{name}_{k}";
        return candidate;
    }

    private Dictionary<string, int> Consumers()
    {
        var count = new Dictionary<string, int>();
        foreach (var node in graph.Node)
        {
            foreach (var name in node.Input)
            {
                if (name.Length > 0) count[name] = count.GetValueOrDefault(name) + 1;
            }
        }
        return count;
    }

    private void PlanInPlace()
    {
        var consumers = Consumers();
        var outputs = new HashSet<string>(OutputNames);
        var fresh = new HashSet<string>();
        inPlaceInput = new int[graph.Node.Count];
        for (int i = 0; i < graph.Node.Count; i++)
        {
            var node = graph.Node[i];
            inPlaceInput[i] = -1;
            bool standard = node.Domain is "" or "ai.onnx";
            if (standard && node.OpType is "Relu" or "Clip" or "Add")
            {
                int inputs = node.OpType == "Add" ? 2 : 1;
                for (int k = 0; k < inputs && k < node.Input.Count; k++)
                {
                    string name = node.Input[k];
                    if (fresh.Contains(name) && consumers.GetValueOrDefault(name) == 1 && !outputs.Contains(name) &&
                        !narrowTypes.ContainsKey(name))
                    {
                        inPlaceInput[i] = k;
                        break;
                    }
                }
            }
            if (standard && FreshProducers.Contains(node.OpType) && node.Output.Count >= 1 &&
                node.Output[0].Length > 0)
                fresh.Add(node.Output[0]);
        }
    }

    // The in-place form of node i, or null when it has none for these operands (the node then runs as usual).
    private Tensor[]? RunInPlace(int i, OnnxNode ctx, Tensor?[] args)
    {
        int k = inPlaceInput[i];
        if (k < 0 || args[k] is not { } target || !target.DType.IsFloating() || !target.IsContiguous) return null;
        switch (ctx.Op)
        {
            case "Relu":
                return [target.ClampInPlace(0)];
            case "Clip":
                if (ctx.Opset < 11)
                    return [target.ClampInPlace(ctx.Float("min", float.MinValue), ctx.Float("max", float.MaxValue))];
                return [target.ClampInPlace(ctx.Opt(1) is null ? null : ctx.Scalar(1),
                    ctx.Opt(2) is null ? null : ctx.Scalar(2))];
            case "Add":
                var other = args[1 - k];
                if (other is null || other.DType != target.DType || other.Rank > target.Rank) return null;
                for (int d = 1; d <= other.Rank; d++)
                {
                    int a = target.Size(target.Rank - d), o = other.Size(other.Rank - d);
                    if (o != a && o != 1) return null;
                }
                return [target.AddInPlace(other)];
            default:
                return null;
        }
    }
}
