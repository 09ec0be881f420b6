namespace Dendrite.Extensions.Tests;

/// <summary>
/// A two-output op written outside Dendrite.Core: the element-wise part of an LSTM cell (Hochreiter and
/// Schmidhuber, 1997), from the pre-activation gates to the new hidden and cell state. Shapes: gates (N, 4H) in
/// PyTorch's order i, f, g, o; cPrev, h, c (N, H).
///   c = σ(f)·cPrev + σ(i)·tanh(g),   h = σ(o)·tanh(c)
/// The backward reads gate values computed under NoGrad, so it is marked not differentiable (no createGraph).
/// One backward receives dL/dh and dL/dc together:
///   dc* = dc + dh·σ(o)·(1 - tanh²c)
///   di = dc*·tanh(g)·σ(i)(1-σ(i)),  df = dc*·cPrev·σ(f)(1-σ(f)),  dg = dc*·σ(i)·(1-tanh²g),
///   do = dh·tanh(c)·σ(o)(1-σ(o)),   dcPrev = dc*·σ(f)
/// </summary>
public static class LstmCell
{
    public static (Tensor H, Tensor C) Apply(Tensor gates, Tensor cPrev)
    {
        int hidden = cPrev.Shape[^1];
        if (gates.Rank != 2 || cPrev.Rank != 2 || gates.Shape[1] != 4 * hidden || gates.Shape[0] != cPrev.Shape[0])
            throw new ArgumentException("LstmCell: gates must be (N, 4H) and cPrev (N, H)");
        Tensor i, f, g, o, c, tc, h;
        using (Autograd.NoGrad())
        {
            i = gates.Narrow(1, 0, hidden).Sigmoid();
            f = gates.Narrow(1, hidden, hidden).Sigmoid();
            g = gates.Narrow(1, 2 * hidden, hidden).Tanh();
            o = gates.Narrow(1, 3 * hidden, hidden).Sigmoid();
            c = f * cPrev + i * g;
            tc = c.Tanh();
            h = o * tc;
        }
        var outs = Autograd.Op("LstmCell", [h, c], [gates, cPrev], d =>
        {
            var (dh, dc) = (d[0], d[1]);
            var dcs = dc + dh * o * (1 - tc * tc);
            var di = dcs * g * i * (1 - i);
            var df = dcs * cPrev * f * (1 - f);
            var dg = dcs * i * (1 - g * g);
            var dout = dh * tc * o * (1 - o);
            return [Tensor.Cat([di, df, dg, dout], 1), dcs * f];
        }, saved: [i, f, g, o, cPrev, tc], attributes: new Dictionary<string, object> { ["hidden"] = hidden },
            differentiable: false);
        return (outs[0], outs[1]);
    }
}
