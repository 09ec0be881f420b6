using System.Numerics;
using System.Numerics.Tensors;

namespace Dendrite.Nn;

// One layer, one direction of a recurrent network over a whole sequence, as one differentiable op.
//   forward:  GI = X·W_ihᵀ + b_ih for all steps in one matrix product (T·B, G·H); then per step
//             gh = h·W_hhᵀ + b_hh (one product) and the fused gate arithmetic (RecurrentCellKernels).
//   backward: per step (in reverse processing order) the fused gate backward and dh_prev = dgh·W_hh; then
//             dW_ih = dGIᵀ·X, dX = dGI·W_ih, dW_hh = dGHᵀ·Hprev and the bias sums as one product each.
// Sequence lengths: row b is active at time t when t < lengths[b], in both directions, so the reverse direction
// starts at each row's own last real step; inactive steps keep the state and output zeros.
// Shapes: x (T, B, I), W_ih (G·H, I), W_hh (G·H, H), b (G·H), h0, c0, hT, cT (B, H), y (T, B, H).
internal static class RecurrentScan
{
    /// <summary>Runs the sequence; returns [y, hT] or, for LSTM, [y, hT, cT].</summary>
    public static Tensor[] Run(CellKind kind, Tensor x, Tensor wIh, Tensor wHh, Tensor? bIh, Tensor? bHh,
        Tensor h0, Tensor? c0, int[]? lengths, bool reverse) => x.DType == DType.Float64
        ? Run<double>(kind, x, wIh, wHh, bIh, bHh, h0, c0, lengths, reverse)
        : Run<float>(kind, x, wIh, wHh, bIh, bHh, h0, c0, lengths, reverse);

    private static Tensor[] Run<T>(CellKind kind, Tensor x, Tensor wIh, Tensor wHh, Tensor? bIh, Tensor? bHh,
        Tensor h0, Tensor? c0, int[]? lengths, bool reverse)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int steps = x.Shape[0], B = x.Shape[1], I = x.Shape[2], H = h0.Shape[1];
        int G = RecurrentCellKernels.Gates(kind) * H;
        bool lstm = kind == CellKind.Lstm, gru = kind == CellKind.Gru;
        var dt = x.DType;
        Tensor xc, y, prev, acts, cPrev, tanhC, ghN, hT, cT;
        using (Autograd.NoGrad())
        {
            xc = x.Contiguous();
            var gi = xc.Reshape(steps * B, I).Linear(wIh, bIh).Contiguous();       // (T·B, G·H)
            y = Tensor.Zeros(dt, steps, B, H);
            prev = Tensor.Uninitialized(dt, steps, B, H);                             // state before step t
            acts = Tensor.Uninitialized(dt, lstm || gru ? steps : 0, B, G);
            cPrev = Tensor.Uninitialized(dt, lstm ? steps : 0, B, H);
            tanhC = Tensor.Uninitialized(dt, lstm ? steps : 0, B, H);
            ghN = Tensor.Uninitialized(dt, gru ? steps : 0, B, H);
            hT = h0.Contiguous().Clone();
            cT = lstm ? c0!.Contiguous().Clone() : Tensor.Zeros(dt, 0);
            var h = hT.AsSpan<T>();
            var c = cT.AsSpan<T>();
            var giAll = gi.AsReadOnlySpan<T>();
            var yAll = y.AsSpan<T>();
            var prevAll = prev.AsSpan<T>();
            for (int k = 0; k < steps; k++)
            {
                int t = reverse ? steps - 1 - k : k;
                int s = t * B * H, sg = t * B * G;
                h.CopyTo(prevAll.Slice(s, B * H));
                var gh = prev.Select(0, t).Linear(wHh, bHh);                              // (B, G·H)
                RecurrentCellKernels.Forward(kind, B, H, giAll.Slice(sg, B * G), gh.AsSpan<T>(), h, c,
                    yAll.Slice(s, B * H), Part<T>(acts, t), Part<T>(cPrev, t), Part<T>(tanhC, t), Part<T>(ghN, t),
                    b => lengths is null || t < lengths[b]);
            }
        }
        var inputs = new List<Tensor> { x, wIh, wHh, h0 };
        if (lstm) inputs.Add(c0!);
        if (bIh is not null) inputs.Add(bIh);
        if (bHh is not null) inputs.Add(bHh);
        Tensor[] outputs = lstm ? [y, hT, cT] : [y, hT];
        return Autograd.Op(KindName(kind), outputs, [.. inputs], d =>
        {
            var dh = d[1].Contiguous().Clone();
            var dc = lstm ? d[2].Contiguous().Clone() : Tensor.Zeros(dt, 0);
            var dy = d[0].Contiguous();
            var dgi = Tensor.Uninitialized(dt, steps, B, G);
            var dgh = gru ? Tensor.Uninitialized(dt, steps, B, G) : dgi;
            var dhS = dh.AsSpan<T>();
            var dcS = dc.AsSpan<T>();
            for (int k = steps - 1; k >= 0; k--)
            {
                int t = reverse ? steps - 1 - k : k;
                int s = t * B * H;
                RecurrentCellKernels.Backward(kind, B, H, dy.AsReadOnlySpan<T>().Slice(s, B * H), dhS, dcS,
                    y.AsReadOnlySpan<T>().Slice(s, B * H), prev.AsReadOnlySpan<T>().Slice(s, B * H),
                    Part<T>(acts, t), Part<T>(cPrev, t), Part<T>(tanhC, t), Part<T>(ghN, t),
                    Part<T>(dgi, t), Part<T>(dgh, t), b => lengths is null || t < lengths[b]);
                var through = dgh.Select(0, t).MatMul(wHh);                                   // (B, H)
                TensorPrimitives.Add(dhS, through.AsReadOnlySpan<T>(), dhS);
            }
            var dgi2 = dgi.Reshape(steps * B, G);
            var dgh2 = dgh.Reshape(steps * B, G);
            var grads = new List<Tensor?>
            {
                x.RequiresGrad ? dgi2.MatMul(wIh).Reshape(steps, B, I) : null,
                wIh.RequiresGrad ? dgi2.T.MatMul(xc.Reshape(steps * B, I)) : null,
                wHh.RequiresGrad ? dgh2.T.MatMul(prev.Reshape(steps * B, H)) : null,
                dh,
            };
            if (lstm) grads.Add(dc);
            if (bIh is not null) grads.Add(bIh.RequiresGrad ? dgi2.Sum(0) : null);
            if (bHh is not null) grads.Add(bHh.RequiresGrad ? dgh2.Sum(0) : null);
            return [.. grads];
        }, saved: [x, wIh, wHh], attributes: new Dictionary<string, object>
        {
            ["hidden"] = H,
            ["reverse"] = reverse,
        }, differentiable: false);
    }

    private static string KindName(CellKind kind) => kind switch
    {
        CellKind.Lstm => "Lstm",
        CellKind.Gru => "Gru",
        CellKind.RnnRelu => "RnnRelu",
        _ => "RnnTanh",
    };

    // Step t of a (T, B, n) buffer as a span, or an empty span for a buffer the cell kind does not use.
    private static Span<T> Part<T>(Tensor buffer, int t)
        where T : unmanaged
    {
        if (buffer.Shape[0] == 0) return [];
        int n = buffer.Numel / buffer.Shape[0];
        return buffer.AsSpan<T>().Slice(t * n, n);
    }
}
