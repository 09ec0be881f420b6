"""What the request-answering PyTorch scripts of bench/reference share: fixing the threads before torch loads, the
ready line bench/Dendrite.Bench waits for, and the timing of one block of calls.
"""
import argparse
import json
import os
import time


def start(doc):
    """Parses --threads, fixes torch's, OpenMP's and OpenBLAS's threads to it before torch loads, seeds torch, prints
    the ready line, and returns torch."""
    p = argparse.ArgumentParser(description=doc)
    p.add_argument("--threads", type=int, required=True)
    args = p.parse_args()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    import torch

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(0)
    print(json.dumps({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
    return torch


def time_block(f, min_time, warm_seconds=0.0):
    """Per-call seconds of f over one block of calls lasting about min_time, after warm_seconds of calls (at least
    one); returns (seconds, calls in the block)."""
    warm = time.perf_counter()
    f()
    while time.perf_counter() - warm < warm_seconds:
        f()
    t0 = time.perf_counter()
    f()
    one = time.perf_counter() - t0
    inner = max(1, int(min_time / max(one, 1e-6)))
    t0 = time.perf_counter()
    for _ in range(inner):
        f()
    return (time.perf_counter() - t0) / inner, inner
