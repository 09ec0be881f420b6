"""PyTorch side of the `lstm` and `gru` bench scenarios: one torch.nn.LSTM or nn.GRU layer (fp32, seq-first)
timed on request, as in shared/reference/rnn.py: sequence 100, batch 32, input 64, hidden 256.
Started once per benchmark invocation by bench/Dendrite.Bench, which alternates rounds between C# and this process.
Protocol: each stdin line "CELL MODE MIN_TIME" (CELL lstm or gru, MODE fwd or fwd+bwd) times one block of calls
lasting about MIN_TIME seconds after a warm-up call, and answers one JSON line {"case", "mode", "seconds"}.
fwd runs the layer under no_grad; fwd+bwd clears the parameter and input gradients, runs the layer on an input that
requires grad and calls backward(g) on its output with a fixed random g.
"""
import json
import sys

from opponent import start, time_block

torch = start(__doc__)
import torch.nn as nn  # noqa: E402  (after start fixed the threads)

T, B, I, H = 100, 32, 64, 256
built = {}


def build(cell):
    rnn = (nn.LSTM if cell == "lstm" else nn.GRU)(I, H, num_layers=1)
    x = torch.randn(T, B, I, requires_grad=True)
    g = torch.randn(T, B, H)

    def f_fwd():
        with torch.no_grad():
            rnn(x)

    def f_fb():
        for prm in rnn.parameters():
            prm.grad = None
        x.grad = None
        out, _ = rnn(x)
        out.backward(g)

    return {"fwd": f_fwd, "fwd+bwd": f_fb}


for line in sys.stdin:
    cell, mode, min_time = line.split()
    if cell not in ("lstm", "gru"):
        print(json.dumps({"error": f"unknown cell {cell}"}), flush=True)
        continue
    if cell not in built:
        built[cell] = build(cell)
    seconds, inner = time_block(built[cell][mode], float(min_time))
    print(json.dumps({"case": cell, "mode": mode, "seconds": seconds, "inner": inner}), flush=True)
