#!/usr/bin/python3
"""Reference values for Dendrite's recurrent layers and cells, computed with PyTorch.

Run as `/usr/bin/python3 tools/make_rnn_fixtures.py` from the repository root; it rewrites
tests/fixtures/rnn.json. Every input is drawn here from one seeded torch.Generator and stored in the
fixture, so the C# tests (tests/Dendrite.Nn.Tests/Recurrent) use exactly the same numbers.

Sections:
  layers  torch.nn.RNN (tanh, relu), LSTM and GRU: 1 or 2 layers, one or two directions, time- or
          batch-first, with or without initial states, with or without lengths (through
          pack_padded_sequence / pad_packed_sequence, unsorted). Each entry holds the state dict in
          torch's order, x, h0 (c0), lengths, the weights r, rh, rc of the scalar
          L = sum(out * r) + sum(h_n * rh) + sum(c_n * rc), torch's out, h_n (c_n), and the gradients
          of L for x, h0, c0 and every parameter.
  cells   torch.nn.RNNCell (tanh, relu), LSTMCell and GRUCell: one step from a given state, with the
          same scalar and gradients.
"""
import json
import os

import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

SEED = 20261207
GEN = torch.Generator().manual_seed(SEED)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "rnn.json")


def encode(t):
    """Shape, dtype and flat values; float32 with 9 significant digits."""
    t = t.detach().contiguous()
    flat = t.reshape(-1).tolist()
    if t.dtype == torch.float32:
        return {"shape": list(t.shape), "dtype": "float32", "data": [float("%.9g" % v) for v in flat]}
    if t.dtype == torch.int64:
        return {"shape": list(t.shape), "dtype": "int64", "data": flat}
    raise ValueError(f"unsupported dtype {t.dtype}")


def randn(*shape):
    return torch.randn(shape, generator=GEN)


def make_module(mode, **kw):
    if mode == "lstm":
        return nn.LSTM(**kw)
    if mode == "gru":
        return nn.GRU(**kw)
    return nn.RNN(nonlinearity="relu" if mode == "rnn_relu" else "tanh", **kw)


def reinit(module):
    """Weights from our generator (not torch's global one), scaled like torch's default U(±1/√H)."""
    with torch.no_grad():
        for p in module.parameters():
            bound = 1.0 / (module.hidden_size ** 0.5)
            p.copy_((torch.rand(p.shape, generator=GEN) * 2 - 1) * bound)


def layer_case(mode, layers, bidirectional, batch_first, with_state, lengths, T=5, B=3, I=3, H=4):
    m = make_module(mode, input_size=I, hidden_size=H, num_layers=layers, bidirectional=bidirectional,
                    batch_first=batch_first)
    reinit(m)
    D = 2 if bidirectional else 1
    x = randn(*((B, T, I) if batch_first else (T, B, I))).requires_grad_()
    h0 = randn(layers * D, B, H).requires_grad_() if with_state else None
    c0 = randn(layers * D, B, H).requires_grad_() if with_state and mode == "lstm" else None
    state = None if h0 is None else ((h0, c0) if mode == "lstm" else h0)
    if lengths is None:
        out, hn = m(x, state)
    else:
        packed = pack_padded_sequence(x, torch.tensor(lengths), batch_first=batch_first, enforce_sorted=False)
        out, hn = m(packed, state)
        out, _ = pad_packed_sequence(out, batch_first=batch_first, total_length=T)
    hn, cn = hn if mode == "lstm" else (hn, None)
    r, rh = randn(*out.shape), randn(*hn.shape)
    loss = (out * r).sum() + (hn * rh).sum()
    rc = None
    if cn is not None:
        rc = randn(*cn.shape)
        loss = loss + (cn * rc).sum()
    loss.backward()
    name = f"{mode}_l{layers}{'_bi' if bidirectional else ''}{'_bf' if batch_first else ''}" \
           f"{'_state' if with_state else ''}{'_lengths' if lengths else ''}"
    e = {"name": name, "mode": mode, "layers": layers, "bidirectional": bidirectional, "batch_first": batch_first,
         "hidden": H, "input": I,
         "names": [k for k, _ in m.named_parameters()],
         "state_dict": {k: encode(v) for k, v in m.state_dict().items()},
         "x": encode(x), "r": encode(r), "rh": encode(rh), "out": encode(out), "h_n": encode(hn),
         "grad_x": encode(x.grad),
         "grads": {k: encode(p.grad) for k, p in m.named_parameters()}}
    if lengths is not None:
        e["lengths"] = lengths
    if h0 is not None:
        e["h0"], e["grad_h0"] = encode(h0), encode(h0.grad)
    if c0 is not None:
        e["c0"], e["grad_c0"] = encode(c0), encode(c0.grad)
    if cn is not None:
        e["rc"], e["c_n"] = encode(rc), encode(cn)
    return e


def cell_case(mode, B=3, I=3, H=4):
    cls = {"rnn_tanh": nn.RNNCell, "rnn_relu": nn.RNNCell, "lstm": nn.LSTMCell, "gru": nn.GRUCell}[mode]
    kw = {"nonlinearity": "relu" if mode == "rnn_relu" else "tanh"} if mode.startswith("rnn") else {}
    m = cls(I, H, **kw)
    reinit(m)
    x = randn(B, I).requires_grad_()
    h = randn(B, H).requires_grad_()
    c = randn(B, H).requires_grad_() if mode == "lstm" else None
    e = {"name": mode + "_cell", "mode": mode, "hidden": H, "input": I,
         "state_dict": {k: encode(v) for k, v in m.state_dict().items()}, "x": encode(x), "h0": encode(h)}
    if mode == "lstm":
        hn, cn = m(x, (h, c))
        rh, rc = randn(B, H), randn(B, H)
        ((hn * rh).sum() + (cn * rc).sum()).backward()
        e.update({"c0": encode(c), "rc": encode(rc), "c_n": encode(cn), "grad_c0": encode(c.grad)})
    else:
        hn = m(x, h)
        rh = randn(B, H)
        (hn * rh).sum().backward()
    e.update({"rh": encode(rh), "h_n": encode(hn), "grad_x": encode(x.grad), "grad_h0": encode(h.grad),
              "grads": {k: encode(p.grad) for k, p in m.named_parameters()}})
    return e


def main():
    layers = []
    for mode in ("rnn_tanh", "rnn_relu", "lstm", "gru"):
        layers.append(layer_case(mode, 1, False, False, False, None))
        layers.append(layer_case(mode, 2, True, False, True, None))
        layers.append(layer_case(mode, 2, True, False, True, [4, 2, 5]))
        layers.append(layer_case(mode, 2, False, True, False, [3, 5, 1]))
        layers.append(layer_case(mode, 1, True, True, True, [2, 4, 3]))
    cells = [cell_case(mode) for mode in ("rnn_tanh", "rnn_relu", "lstm", "gru")]
    fixture = {
        "header": {"generator": "tools/make_rnn_fixtures.py", "torch": torch.__version__, "seed": SEED},
        "layers": layers,
        "cells": cells,
    }
    with open(OUT, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
    print(f"wrote {OUT}: {len(layers)} layer cases, {len(cells)} cell cases")


if __name__ == "__main__":
    main()
