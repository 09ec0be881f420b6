namespace Dendrite.IO;

// RNN, GRU and LSTM, run step by step with plain loops in double (sequence lengths in the node tests are a few
// steps). Shapes, for layout 0 (layout 1 swaps the first two axes of X and Y):
//   X [T, B, I]   W [D, G·H, I]   R [D, G·H, H]   B [D, 2·G·H]   Y [T, D, B, H]   Y_h, Y_c [D, B, H]
// with D directions (2 when bidirectional) and G gates. With f, g, h the node's activations (defaults σ, tanh,
// tanh) and Wb, Rb the two halves of B:
//   RNN   Hₜ = f(XₜWᵀ + Hₜ₋₁Rᵀ + Wb + Rb)
//   GRU   z, r = f(XₜW_{z,r}ᵀ + Hₜ₋₁R_{z,r}ᵀ + b);  h̃ = g(XₜW_hᵀ + (r ⊙ Hₜ₋₁)R_hᵀ + b_h)   (linear_before_reset 0)
//         h̃ = g(XₜW_hᵀ + r ⊙ (Hₜ₋₁R_hᵀ + Rb_h) + Wb_h)  (linear_before_reset 1);  Hₜ = (1 − z) ⊙ h̃ + z ⊙ Hₜ₋₁
//   LSTM  i, f = f(XₜWᵀ + Hₜ₋₁Rᵀ + P ⊙ Cₜ₋₁ + b);  c̃ = g(…);  Cₜ = f ⊙ Cₜ₋₁ + i ⊙ c̃;
//         o = f(… + P_o ⊙ Cₜ);  Hₜ = o ⊙ h(Cₜ)          gate order in W: i, o, f, c; in P: i, o, f
// A batch entry with sequence_lens[b] = L runs L steps (the reverse direction from step L − 1 down), its later
// Y rows are zero and its Y_h is its state after the L steps.
internal static partial class OnnxOps
{
    private enum CellKind
    {
        Rnn,
        Gru,
        Lstm,
    }

    private static void AddRecurrent(Dictionary<string, Func<OnnxNode, Tensor[]>> t)
    {
        t["RNN"] = n => Recurrent(n, CellKind.Rnn);
        t["GRU"] = n => Recurrent(n, CellKind.Gru);
        t["LSTM"] = n => Recurrent(n, CellKind.Lstm);
    }

    private static Func<double, double> Activation(OnnxNode n, string name) => name.ToLowerInvariant() switch
    {
        "sigmoid" => v => 1 / (1 + Math.Exp(-v)),
        "tanh" => Math.Tanh,
        "relu" => v => Math.Max(v, 0),
        _ => throw new OnnxUnsupportedException($"{n.Op} activation {name}"),
    };

    private static Tensor[] Recurrent(OnnxNode n, CellKind kind)
    {
        int gates = kind switch { CellKind.Rnn => 1, CellKind.Gru => 3, _ => 4 };
        var x = n.In(0);
        bool layout1 = n.Int("layout", 0) != 0;
        if (layout1) x = x.Transpose(0, 1);
        Tensor w = n.In(1), r = n.In(2);
        string direction = n.Str("direction", "forward");
        int dirs = direction switch
        {
            "forward" or "reverse" => 1,
            "bidirectional" => 2,
            _ => throw n.Error($"attribute direction '{direction}' is not one of forward, reverse, bidirectional"),
        };
        long hiddenAttr = n.Int("hidden_size", r.Rank == 3 ? r.Shape[2] : 0);
        if (x.Rank != 3 || hiddenAttr <= 0 || hiddenAttr > MaxComputedElements)
            throw n.Error($"X {Shapes.Format(x.Shape)} must be 3-D and hidden_size {hiddenAttr} positive");
        int T = x.Shape[0], B = x.Shape[1], I = x.Shape[2], H = (int)hiddenAttr;
        CheckedNumel(n, [T, dirs, B, H], "Y shape");
        int[] wShape = [dirs, gates * H, I], rShape = [dirs, gates * H, H];
        if (!Shapes.Equal(w.Shape, wShape) || !Shapes.Equal(r.Shape, rShape))
            throw n.Error($"W {Shapes.Format(w.Shape)} and R {Shapes.Format(r.Shape)} must be "
                + $"{Shapes.Format(wShape)} and {Shapes.Format(rShape)}");
        if (n.Float("clip", 0) != 0 || n.Int("input_forget", 0) != 0)
            throw new OnnxUnsupportedException($"{n.Op} clip or input_forget");
        if (n.Floats("activation_alpha") is not null || n.Floats("activation_beta") is not null)
            throw new OnnxUnsupportedException($"{n.Op} activation_alpha/beta");
        string[] defaults = kind switch
        {
            CellKind.Rnn => ["Tanh"],
            CellKind.Gru => ["Sigmoid", "Tanh"],
            _ => ["Sigmoid", "Tanh", "Tanh"],
        };
        var names = n.Strs("activations") ?? [.. Enumerable.Range(0, dirs).SelectMany(_ => defaults)];
        if (names.Length != defaults.Length * dirs)
            throw n.Error($"attribute activations has {names.Length} names; {n.Op} with {dirs} direction(s) needs "
                + defaults.Length * dirs);
        var act = names.Select(a => Activation(n, a)).ToArray();
        double[] Vec(int i, int per, string what)
        {
            if (n.Opt(i) is not { } t) return new double[dirs * per];
            if (t.Numel != dirs * per) throw n.Error($"{what} {Shapes.Format(t.Shape)} must hold {dirs}×{per} values");
            // With layout 1 the initial states are [B, D, H]; the loops read [D, B, H].
            if (layout1 && i is 5 or 6 && t.Rank == 3) t = t.Transpose(0, 1).Contiguous();
            return t.ToArray<double>();
        }
        var bias = Vec(3, 2 * gates * H, "B");
        var lens = n.Opt(4) is null ? Enumerable.Repeat((long)T, B).ToArray() : n.Longs(4);
        if (lens.Length != B || lens.Any(l => l < 0 || l > T))
            throw n.Error($"sequence_lens must hold {B} lengths in [0, {T}]");
        var h0 = Vec(5, B * H, "initial_h");
        var c0 = kind == CellKind.Lstm ? Vec(6, B * H, "initial_c") : [];
        var peep = kind == CellKind.Lstm ? Vec(7, 3 * H, "P") : [];
        bool linearBeforeReset = n.Int("linear_before_reset", 0) != 0;
        double[] xv = x.Contiguous().ToArray<double>(), wv = w.ToArray<double>(), rv = r.ToArray<double>();
        var y = new double[T * dirs * B * H];
        var yh = new double[dirs * B * H];
        var yc = new double[dirs * B * H];
        var pre = new double[gates * H];
        var rec = new double[gates * H];
        var gated = new double[H];
        for (int d = 0; d < dirs; d++)
        {
            bool reverse = direction == "reverse" || d == 1;
            var f = act[d * defaults.Length];
            var g = act[d * defaults.Length + Math.Min(1, defaults.Length - 1)];
            var hAct = act[d * defaults.Length + defaults.Length - 1];
            for (int b = 0; b < B; b++)
            {
                var h = h0.AsSpan((d * B + b) * H, H).ToArray();
                var c = kind == CellKind.Lstm ? c0.AsSpan((d * B + b) * H, H).ToArray() : [];
                int len = (int)lens[b];
                for (int s = 0; s < len; s++)
                {
                    int step = reverse ? len - 1 - s : s;
                    // pre = Xₜ·Wᵀ + Wb, rec = Hₜ₋₁·Rᵀ + Rb, per gate row.
                    for (int row = 0; row < gates * H; row++)
                    {
                        double a = bias[d * 2 * gates * H + row], e = bias[d * 2 * gates * H + gates * H + row];
                        for (int k = 0; k < I; k++) a += wv[(d * gates * H + row) * I + k] * xv[(step * B + b) * I + k];
                        for (int k = 0; k < H; k++) e += rv[(d * gates * H + row) * H + k] * h[k];
                        pre[row] = a;
                        rec[row] = e;
                    }
                    var next = new double[H];
                    if (kind == CellKind.Gru && !linearBeforeReset)
                    {
                        // (r ⊙ Hₜ₋₁)·R_hᵀ + Rb_h: the reset is applied before the product, so rec's h rows are redone.
                        for (int k = 0; k < H; k++) gated[k] = f(pre[H + k] + rec[H + k]) * h[k];
                        for (int j = 0; j < H; j++)
                        {
                            double e = bias[d * 6 * H + 5 * H + j];
                            for (int k = 0; k < H; k++) e += rv[(d * 3 * H + 2 * H + j) * H + k] * gated[k];
                            rec[2 * H + j] = e;
                        }
                    }
                    for (int j = 0; j < H; j++)
                    {
                        switch (kind)
                        {
                            case CellKind.Rnn:
                                next[j] = f(pre[j] + rec[j]);
                                break;
                            case CellKind.Gru:
                                {
                                    double z = f(pre[j] + rec[j]), reset = f(pre[H + j] + rec[H + j]);
                                    double cand = linearBeforeReset ? g(pre[2 * H + j] + reset * rec[2 * H + j])
                                        : g(pre[2 * H + j] + rec[2 * H + j]);
                                    next[j] = (1 - z) * cand + z * h[j];
                                    break;
                                }
                            default:
                                {
                                    double pi = peep[d * 3 * H + j], po = peep[d * 3 * H + H + j];
                                    double pf = peep[d * 3 * H + 2 * H + j];
                                    double i = f(pre[j] + rec[j] + pi * c[j]);
                                    double fg = f(pre[2 * H + j] + rec[2 * H + j] + pf * c[j]);
                                    double cand = g(pre[3 * H + j] + rec[3 * H + j]);
                                    c[j] = fg * c[j] + i * cand;
                                    double o = f(pre[H + j] + rec[H + j] + po * c[j]);
                                    next[j] = o * hAct(c[j]);
                                    break;
                                }
                        }
                    }
                    h = next;
                    Array.Copy(h, 0, y, ((step * dirs + d) * B + b) * H, H);
                }
                Array.Copy(h, 0, yh, (d * B + b) * H, H);
                if (kind == CellKind.Lstm) Array.Copy(c, 0, yc, (d * B + b) * H, H);
            }
        }
        var yT = Tensor.From(y, T, dirs, B, H).To(x.DType);
        if (layout1) yT = yT.Permute(2, 0, 1, 3).Contiguous();
        Tensor State(double[] v)
        {
            var s = Tensor.From(v, dirs, B, H).To(x.DType);
            return layout1 ? s.Transpose(0, 1).Contiguous() : s;
        }
        return kind == CellKind.Lstm ? [yT, State(yh), State(yc)] : [yT, State(yh)];
    }
}
