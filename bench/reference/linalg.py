"""PyTorch (and NumPy) side of `dendrite bench linalg`: torch.linalg factorizations and solves, timed on request.

Started once per benchmark invocation by bench/Dendrite.Bench, which alternates rounds between C# and this process.
Protocol: each stdin line "OP N IMPL DTYPE MIN_TIME" (OP is solve, cholesky, qr, eigh or svd; IMPL is torch or
numpy; DTYPE is float64 or float32)
times one block of calls lasting about MIN_TIME seconds after a warm-up call, and answers one JSON line
{"op", "n", "impl", "dtype", "seconds": per-call seconds}. The matrices are those of LinalgScenario.cs: A = G + n·I for
solve (with one right-hand side), G·Gᵀ + n·I for cholesky and eigh, G for qr and svd, with G standard normal.
"""
import json
import sys
from functools import partial

from opponent import start, time_block

torch = start(__doc__)
import numpy as np  # noqa: E402  (after start fixed the threads)


def inputs(op, n, dtype):
    g = torch.randn(n, n, dtype=torch.float64)
    eye = torch.eye(n, dtype=torch.float64)
    if op == "solve":
        return (g + n * eye).to(dtype), torch.randn(n, dtype=dtype)
    if op in ("cholesky", "eigh"):
        return ((g @ g.T + n * eye).to(dtype),)
    return (g.to(dtype),)


TORCH = {
    "solve": torch.linalg.solve,
    "cholesky": torch.linalg.cholesky,
    "qr": torch.linalg.qr,
    "eigh": torch.linalg.eigh,
    "svd": partial(torch.linalg.svd, full_matrices=False),
}
NUMPY = {
    "solve": np.linalg.solve,
    "cholesky": np.linalg.cholesky,
    "qr": np.linalg.qr,
    "eigh": np.linalg.eigh,
    "svd": partial(np.linalg.svd, full_matrices=False),
}

cache = {}
for line in sys.stdin:
    op, n, impl, dtype, min_time = line.split()
    n, min_time = int(n), float(min_time)
    if (op, n, dtype) not in cache:
        cache[(op, n, dtype)] = inputs(op, n, getattr(torch, dtype))
    args = cache[(op, n, dtype)]
    if impl == "numpy":
        f = partial(NUMPY[op], *[a.numpy() for a in args])
    else:
        f = partial(TORCH[op], *args)
    seconds, inner = time_block(f, min_time)
    print(json.dumps({"op": op, "n": n, "impl": impl, "dtype": dtype, "seconds": seconds, "inner": inner}), flush=True)
