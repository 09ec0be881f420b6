"""PyTorch side of `dendrite bench conv-ops`: one convolution op (forward, weight gradient or input gradient) timed on
request, for the course-model layers of bench/Dendrite.Bench/ConvOpsScenario.cs.

Started once per benchmark invocation by bench/Dendrite.Bench, which alternates rounds between C# and this process.
Protocol: each stdin line "N C H O K STRIDE PAD GROUPS MODE MIN_TIME" names a layer (batch N, C input channels of
H×H, O output channels, K×K kernel, no bias) and an op: fwd is conv2d under no_grad; dW and dX are the weight and
input gradient alone, through aten.convolution_backward (the op autograd calls) with a fixed random output gradient.
It times one block of calls lasting about MIN_TIME seconds after half a second of warm-up, and answers one JSON line
{"mode", "seconds": per-call seconds}.
"""
import argparse
import json
import os
import sys
import time

p = argparse.ArgumentParser(description=__doc__)
p.add_argument("--threads", type=int, required=True)
args = p.parse_args()
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(args.threads)

import torch  # noqa: E402  (after the thread variables)
import torch.nn.functional as F  # noqa: E402

torch.set_num_threads(args.threads)
torch.set_num_interop_threads(1)
torch.manual_seed(0)

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


print(json.dumps({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
for line in sys.stdin:
    fields = line.split()
    layer = tuple(int(v) for v in fields[:8])
    mode, min_time = fields[8], float(fields[9])
    if layer not in built:
        built[layer] = build(*layer)
    if mode not in built[layer]:
        print(json.dumps({"error": f"unknown mode {mode}"}), flush=True)
        continue
    f = built[layer][mode]
    warm = time.perf_counter()
    while time.perf_counter() - warm < 0.5:
        f()
    t0 = time.perf_counter()
    f()
    one = time.perf_counter() - t0
    inner = max(1, int(min_time / max(one, 1e-6)))
    t0 = time.perf_counter()
    for _ in range(inner):
        f()
    seconds = (time.perf_counter() - t0) / inner
    print(json.dumps({"mode": mode, "seconds": seconds, "inner": inner}), flush=True)
