"""PyTorch side of `dendrite bench gemm`: sgemm C = A @ B (torch.mm -> BLAS) timed on request.

Started once per benchmark invocation by bench/Dendrite.Bench, which alternates rounds between C# and this process.
Protocol: each stdin line "M K N MIN_TIME" (A is MxK, B is KxN) times one block of calls lasting about MIN_TIME
seconds after a warm-up, and answers one JSON line {"shape": "MxK@KxN", "seconds": per-call seconds}.
Threads are fixed (torch, OpenMP, OpenBLAS) before torch loads; see bench/README.md for the environment.
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

torch.set_num_threads(args.threads)
torch.set_num_interop_threads(1)
torch.manual_seed(0)
print(json.dumps({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)

cache = {}
for line in sys.stdin:
    m, k, n, min_time = line.split()
    m, k, n, min_time = int(m), int(k), int(n), float(min_time)
    if (m, k, n) not in cache:
        cache[(m, k, n)] = (torch.randn(m, k), torch.randn(k, n), torch.empty(m, n))
    a, b, c = cache[(m, k, n)]
    torch.mm(a, b, out=c)
    t0 = time.perf_counter()
    torch.mm(a, b, out=c)
    one = time.perf_counter() - t0
    inner = max(1, int(min_time / max(one, 1e-6)))
    t0 = time.perf_counter()
    for _ in range(inner):
        torch.mm(a, b, out=c)
    seconds = (time.perf_counter() - t0) / inner
    print(json.dumps({"shape": f"{m}x{k}@{k}x{n}", "seconds": seconds, "inner": inner}), flush=True)
