using System.Numerics;
using System.Numerics.Tensors;

namespace Dendrite.Nn;

// The gate arithmetic of one time step of RNN, LSTM and GRU, forward and backward, over spans: the element-wise
// part that follows the two matrix products gi = x·W_ihᵀ + b_ih and gh = h·W_hhᵀ + b_hh. One call handles every row
// of the batch; a row that is not active at this step (its sequence has ended) keeps its state, writes no output and
// passes its state gradient through unchanged. Gate order is PyTorch's: LSTM i, f, g, o; GRU r, z, n.
//   RNN   h' = act(gi + gh)
//   LSTM  i, f, o = σ(gi + gh);  g = tanh(gi + gh);  c' = f·c + i·g;  h' = o·tanh(c')
//   GRU   r, z = σ(gi + gh);  n = tanh(gi_n + r·gh_n);  h' = (1 − z)·n + z·h
// Shapes (one step): gi, gh, acts (B, G·H); h, c, y, cPrev, tanhC, ghN (B, H).

/// <summary>The recurrent cell kinds: a plain RNN with tanh or ReLU, an LSTM and a GRU.</summary>
internal enum CellKind
{
    RnnTanh,
    RnnRelu,
    Lstm,
    Gru,
}

/// <summary>Fused element-wise forward and backward of one recurrent step (see the file comment).</summary>
internal static class RecurrentCellKernels
{
    /// <summary>Number of gates: 1, 4 or 3.</summary>
    public static int Gates(CellKind kind) => kind switch { CellKind.Lstm => 4, CellKind.Gru => 3, _ => 1 };

    /// <summary>One step forward. Updates h (and c) in place for active rows and writes y = h' there; saves what
    /// the backward needs: the activated gates (LSTM, GRU), cPrev and tanh(c') (LSTM), gh_n (GRU).</summary>
    public static void Forward<T>(CellKind kind, int batch, int hidden, ReadOnlySpan<T> gi, Span<T> gh,
        Span<T> h, Span<T> c, Span<T> y, Span<T> acts, Span<T> cPrev, Span<T> tanhC, Span<T> ghN,
        Func<int, bool> active)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int H = hidden, G = Gates(kind) * H;
        for (int b = 0; b < batch; b++)
        {
            if (!active(b)) continue;
            var giRow = gi.Slice(b * G, G);
            var ghRow = gh.Slice(b * G, G);
            var hRow = h.Slice(b * H, H);
            var yRow = y.Slice(b * H, H);
            switch (kind)
            {
                case CellKind.RnnTanh:
                    TensorPrimitives.Add(giRow, ghRow, hRow);
                    TensorPrimitives.Tanh(hRow, hRow);
                    break;
                case CellKind.RnnRelu:
                    TensorPrimitives.Add(giRow, ghRow, hRow);
                    TensorPrimitives.Max(hRow, T.Zero, hRow);
                    break;
                case CellKind.Lstm:
                    {
                        var a = acts.Slice(b * G, G);
                        var cRow = c.Slice(b * H, H);
                        var tc = tanhC.Slice(b * H, H);
                        TensorPrimitives.Add(giRow, ghRow, a);
                        TensorPrimitives.Sigmoid(a[..(2 * H)], a[..(2 * H)]);
                        TensorPrimitives.Tanh(a.Slice(2 * H, H), a.Slice(2 * H, H));
                        TensorPrimitives.Sigmoid(a.Slice(3 * H, H), a.Slice(3 * H, H));
                        cRow.CopyTo(cPrev.Slice(b * H, H));
                        TensorPrimitives.Multiply(a.Slice(H, H), cRow, cRow);                      // f·c
                        TensorPrimitives.MultiplyAdd(a[..H], a.Slice(2 * H, H), cRow, cRow);      // + i·g
                        TensorPrimitives.Tanh(cRow, tc);
                        TensorPrimitives.Multiply(a.Slice(3 * H, H), tc, hRow);                   // o·tanh(c')
                        break;
                    }
                case CellKind.Gru:
                    {
                        var a = acts.Slice(b * G, G);
                        var n = a.Slice(2 * H, H);
                        TensorPrimitives.Add(giRow[..(2 * H)], ghRow[..(2 * H)], a[..(2 * H)]);
                        TensorPrimitives.Sigmoid(a[..(2 * H)], a[..(2 * H)]);
                        ghRow.Slice(2 * H, H).CopyTo(ghN.Slice(b * H, H));
                        TensorPrimitives.MultiplyAdd(a[..H], ghRow.Slice(2 * H, H), giRow.Slice(2 * H, H), n);
                        TensorPrimitives.Tanh(n, n);
                        var z = a.Slice(H, H);
                        for (int j = 0; j < H; j++) hRow[j] = n[j] + z[j] * (hRow[j] - n[j]);
                        break;
                    }
            }
            hRow.CopyTo(yRow);
        }
    }

    /// <summary>One step backward. <paramref name="dh"/> (and <paramref name="dc"/>) hold the gradient reaching
    /// the step's new state from later steps; <paramref name="dy"/> the gradient of its output. Writes the
    /// pre-activation gate gradients dgi and dgh (equal except for GRU's n gate; zero for inactive rows), leaves in
    /// dh the part of dL/dh_prev that does not go through W_hh (GRU: dh'·z; inactive rows: dh unchanged; zero
    /// otherwise) and in dc dL/dc_prev. <paramref name="y"/> is the step's output (h' for active rows) and
    /// <paramref name="hPrev"/> the state before the step.</summary>
    public static void Backward<T>(CellKind kind, int batch, int hidden, ReadOnlySpan<T> dy, Span<T> dh,
        Span<T> dc, ReadOnlySpan<T> y, ReadOnlySpan<T> hPrev, ReadOnlySpan<T> acts, ReadOnlySpan<T> cPrev,
        ReadOnlySpan<T> tanhC, ReadOnlySpan<T> ghN, Span<T> dgi, Span<T> dgh, Func<int, bool> active)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int H = hidden, G = Gates(kind) * H;
        T one = T.One;
        for (int b = 0; b < batch; b++)
        {
            var dgiRow = dgi.Slice(b * G, G);
            var dghRow = dgh.Slice(b * G, G);
            if (!active(b))
            {
                dgiRow.Clear();
                dghRow.Clear();
                continue;
            }
            int o = b * H;
            var dhRow = dh.Slice(o, H);
            TensorPrimitives.Add(dhRow, dy.Slice(o, H), dhRow);       // total gradient of h'
            switch (kind)
            {
                case CellKind.RnnTanh:
                    for (int j = 0; j < H; j++) dgiRow[j] = dhRow[j] * (one - y[o + j] * y[o + j]);   // 1 − tanh²
                    dhRow.Clear();
                    break;
                case CellKind.RnnRelu:
                    for (int j = 0; j < H; j++) dgiRow[j] = y[o + j] > T.Zero ? dhRow[j] : T.Zero;
                    dhRow.Clear();
                    break;
                case CellKind.Lstm:
                    {
                        var a = acts.Slice(b * G, G);
                        var dcRow = dc.Slice(o, H);
                        for (int j = 0; j < H; j++)
                        {
                            T i = a[j], f = a[H + j], g = a[2 * H + j], og = a[3 * H + j], tc = tanhC[o + j];
                            T dcs = dcRow[j] + dhRow[j] * og * (one - tc * tc);      // dc* = dc + dh·o·(1 − tanh²c')
                            dgiRow[j] = dcs * g * i * (one - i);
                            dgiRow[H + j] = dcs * cPrev[o + j] * f * (one - f);
                            dgiRow[2 * H + j] = dcs * i * (one - g * g);
                            dgiRow[3 * H + j] = dhRow[j] * tc * og * (one - og);
                            dcRow[j] = dcs * f;                                              // dc_prev
                        }
                        dhRow.Clear();
                        break;
                    }
                case CellKind.Gru:
                    {
                        var a = acts.Slice(b * G, G);
                        for (int j = 0; j < H; j++)
                        {
                            T r = a[j], z = a[H + j], n = a[2 * H + j], d = dhRow[j];
                            T dn = d * (one - z) * (one - n * n);                            // through tanh
                            T dr = dn * ghN[o + j] * r * (one - r);
                            T dz = d * (hPrev[o + j] - n) * z * (one - z);
                            dgiRow[j] = dr;
                            dgiRow[H + j] = dz;
                            dgiRow[2 * H + j] = dn;
                            dghRow[j] = dr;
                            dghRow[H + j] = dz;
                            dghRow[2 * H + j] = dn * r;
                            dhRow[j] = d * z;                                                // direct path
                        }
                        break;
                    }
            }
            if (kind != CellKind.Gru) dgiRow.CopyTo(dghRow);
        }
    }
}
