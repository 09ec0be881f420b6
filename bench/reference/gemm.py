"""PyTorch side of `dendrite bench gemm`: sgemm C = A @ B (torch.mm -> BLAS) timed on request.

Started once per benchmark invocation by bench/Dendrite.Bench, which alternates rounds between C# and this process.
Protocol: each stdin line "M K N MIN_TIME" (A is MxK, B is KxN) times one block of calls lasting about MIN_TIME
seconds after a warm-up, and answers one JSON line {"shape": "MxK@KxN", "seconds": per-call seconds}.
Threads are fixed (torch, OpenMP, OpenBLAS) before torch loads; see bench/README.md for the environment.
"""
import json
import sys
from functools import partial

from opponent import start, time_block

torch = start(__doc__)

cache = {}
for line in sys.stdin:
    m, k, n, min_time = line.split()
    m, k, n, min_time = int(m), int(k), int(n), float(min_time)
    if (m, k, n) not in cache:
        cache[(m, k, n)] = (torch.randn(m, k), torch.randn(k, n), torch.empty(m, n))
    a, b, c = cache[(m, k, n)]
    seconds, inner = time_block(partial(torch.mm, a, b, out=c), min_time)
    print(json.dumps({"shape": f"{m}x{k}@{k}x{n}", "seconds": seconds, "inner": inner}), flush=True)
