"""PyTorch side of `dendrite bench conv-ops`: one convolution op (forward, weight gradient or input gradient) timed on
request, for the course-model layers of bench/Dendrite.Bench/ConvOpsScenario.cs.

Started once per benchmark invocation by bench/Dendrite.Bench, which alternates rounds between C# and this process.
Protocol: each stdin line "N C H O K STRIDE PAD GROUPS MODE MIN_TIME" names a layer (batch N, C input channels of
H×H, O output channels, K×K kernel, no bias) and an op: fwd is conv2d under no_grad; dW and dX are the weight and
input gradient alone, through aten.convolution_backward (the op autograd calls) with a fixed random output gradient.
It times one block of calls lasting about MIN_TIME seconds after half a second of warm-up, and answers one JSON line
{"mode", "seconds": per-call seconds}.
"""
import json
import sys

from opponent import start, time_block

torch = start(__doc__)
import torch.nn.functional as F  # noqa: E402  (after start fixed the threads)

built = {}


def build(n, c, h, o, k, stride, pad, groups):
    x = torch.randn(n, c, h, h)
    w = torch.randn(o, c // groups, k, k)
    with torch.no_grad():
        y = F.conv2d(x, w, None, stride, pad, 1, groups)
    dy = torch.randn(y.shape)
    geometry = ([stride, stride], [pad, pad], [1, 1], False, [0, 0], groups)

    def fwd():
        with torch.no_grad():
            F.conv2d(x, w, None, stride, pad, 1, groups)

    def dw():
        torch.ops.aten.convolution_backward(dy, x, w, None, *geometry, [False, True, False])

    def dx():
        torch.ops.aten.convolution_backward(dy, x, w, None, *geometry, [True, False, False])

    return {"fwd": fwd, "dW": dw, "dX": dx}


for line in sys.stdin:
    fields = line.split()
    layer = tuple(int(v) for v in fields[:8])
    mode, min_time = fields[8], float(fields[9])
    if layer not in built:
        built[layer] = build(*layer)
    if mode not in built[layer]:
        print(json.dumps({"error": f"unknown mode {mode}"}), flush=True)
        continue
    seconds, inner = time_block(built[layer][mode], min_time, warm_seconds=0.5)
    print(json.dumps({"mode": mode, "seconds": seconds, "inner": inner}), flush=True)
