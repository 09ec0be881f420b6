namespace Dendrite.IO;

// The optimizer operators of the ai.onnx.preview.training domain. Each takes the learning rate R (a scalar), the
// update count T (an int64 scalar), then n tensors X, n gradients G and n tensors per piece of optimizer state, and
// returns the n updated X followed by the updated state, in the same order. The formulas are the ONNX
// specification's, which differ from torch.optim's (Momentum skips the damping at T = 0, Adam folds the bias
// corrections into the step size).
internal static partial class OnnxOps
{
    public const string TrainingDomain = "ai.onnx.preview.training";

    private static void AddTraining(Dictionary<string, Func<OnnxNode, Tensor[]>> t)
    {
        t[$"{TrainingDomain}.Adagrad"] = n => Optimizer(n, 1, Adagrad);
        t[$"{TrainingDomain}.Momentum"] = n => Optimizer(n, 1, Momentum);
        t[$"{TrainingDomain}.Adam"] = n => Optimizer(n, 2, Adam);
    }

    private delegate Tensor[] Update(OnnxNode n, double r, long step, Tensor x, Tensor g, Tensor[] state);

    // Splits the variadic inputs into groups (X, G, state…), runs the update on each in float64 and orders the
    // outputs as X_new for every group, then each state for every group.
    private static Tensor[] Optimizer(OnnxNode n, int states, Update update)
    {
        int rest = n.InputCount - 2, per = 2 + states;
        if (rest <= 0 || rest % per != 0)
        {
            throw n.Error($"expects R, T and {per} groups of equally many tensors (X, G and {states} state), "
                + $"got {n.InputCount} inputs");
        }
        int count = rest / per;
        var rTensor = n.In(0);
        if (!rTensor.DType.IsFloating()) throw n.Error($"input 0 (R) must be floating point, got {rTensor.DType}");
        double r = n.Scalar(0);
        var tTensor = n.In(1);
        if (tTensor.DType != DType.Int64) throw n.Error($"input 1 (T) must be int64, got {tTensor.DType}");
        long step = (long)n.Scalar(1);
        var outputs = new Tensor[count * (1 + states)];
        for (int i = 0; i < count; i++)
        {
            var x = n.In(2 + i);
            var g = n.In(2 + count + i);
            var state = new Tensor[states];
            for (int s = 0; s < states; s++) state[s] = n.In(2 + (2 + s) * count + i);
            foreach (var (what, other) in new[] { ("G", g) }.Concat(state.Select((v, s) => ($"state {s}", v))))
            {
                if (!Shapes.Equal(x.Shape, other.Shape))
                {
                    throw n.Error($"group {i}: X {Shapes.Format(x.Shape)} and {what} {Shapes.Format(other.Shape)} "
                        + "differ in shape");
                }
            }
            if (!x.DType.IsFloating()) throw n.Error($"group {i}: X must be floating point, got {x.DType}");
            var wide = state.Select(v => v.To(DType.Float64)).ToArray();
            var result = update(n, r, step, x.To(DType.Float64), g.To(DType.Float64), wide);
            for (int k = 0; k <= states; k++) outputs[k * count + i] = result[k].To(x.DType);
        }
        return outputs;
    }

    // r = R / (1 + T·decay_factor);  G' = norm_coefficient·X + G;  H' = H + G'²;  X' = X - r·G' / (√H' + ε)
    private static Tensor[] Adagrad(OnnxNode n, double r, long step, Tensor x, Tensor g, Tensor[] state)
    {
        double decay = n.Float("decay_factor", 0), eps = n.Float("epsilon", 1e-6f);
        double norm = n.Float("norm_coefficient", 0);
        double rate = r / (1 + step * decay);
        var gr = x * norm + g;
        var h = state[0] + gr * gr;
        return [x - gr / (h.Sqrt() + eps) * rate, h];
    }

    // G' = norm_coefficient·X + G;  V' = α·V + β'·G' with β' = β, or 1 at T = 0;
    // standard: X' = X - R·V';  nesterov: X' = X - R·(G' + α·V')
    private static Tensor[] Momentum(OnnxNode n, double r, long step, Tensor x, Tensor g, Tensor[] state)
    {
        double alpha = Required(n, "alpha"), beta = Required(n, "beta"), norm = Required(n, "norm_coefficient");
        string mode = n.Str("mode", "");
        var gr = x * norm + g;
        var v = state[0] * alpha + gr * (step > 0 ? beta : 1);
        var x2 = mode switch
        {
            "standard" => x - v * r,
            "nesterov" => x - (gr + v * alpha) * r,
            _ => throw n.Error($"attribute 'mode' is '{mode}', not one of standard, nesterov"),
        };
        return [x2, v];
    }

    // G' = norm_coefficient·X + G;  V' = α·V + (1-α)·G';  H' = β·H + (1-β)·G'²;
    // R' = R·√(1-β^T) / (1-α^T) when T > 0, else R;  X' = (1 - norm_coefficient_post)·(X - R'·V' / (√H' + ε))
    private static Tensor[] Adam(OnnxNode n, double r, long step, Tensor x, Tensor g, Tensor[] state)
    {
        double alpha = n.Float("alpha", 0.9f), beta = n.Float("beta", 0.999f), eps = n.Float("epsilon", 1e-6f);
        double norm = n.Float("norm_coefficient", 0), post = n.Float("norm_coefficient_post", 0);
        var gr = x * norm + g;
        var v = state[0] * alpha + gr * (1 - alpha);
        var h = state[1] * beta + gr * gr * (1 - beta);
        double rate = step > 0 ? r * Math.Sqrt(1 - Math.Pow(beta, step)) / (1 - Math.Pow(alpha, step)) : r;
        var x2 = (x - v / (h.Sqrt() + eps) * rate) * (1 - post);
        return [x2, v, h];
    }

    private static double Required(OnnxNode n, string name) =>
        n.Has(name) ? n.Float(name, 0) : throw n.Error($"attribute '{name}' is required");
}
