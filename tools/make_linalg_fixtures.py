#!/usr/bin/python3
"""Reference values for Dendrite's Linalg, computed with torch.linalg (and numpy for matrix_rank's check).

Run as `/usr/bin/python3 tools/make_linalg_fixtures.py` from the repository root; it rewrites
tests/fixtures/linalg.json. Each case names an op (its C# twin is in tests/Dendrite.Core.Tests/Linalg/
LinalgFixtureTests.cs), the dtype, the inputs, and the outputs. Ops whose factors carry an arbitrary sign are
written in a sign-free form: eigh returns (w, V⊙V), svd returns (S, U⊙U, Vh⊙Vh), qr returns (Q·D, D·R) with
D = sign(diag R). Differentiable cases also hold a random weight r per output (null where the output carries
no gradient) and torch's gradient of Σ r·output with respect to each input.
"""
import json
import os

import numpy as np
import torch

SEED = 20261207
GEN = torch.Generator().manual_seed(SEED)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "linalg.json")
DTYPES = {"float32": torch.float32, "float64": torch.float64}


def enc(t):
    t = t.detach()
    return {"shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


def randn(*shape):
    return torch.randn(shape, generator=GEN, dtype=torch.float64)


def spd(*shape):
    x = randn(*shape)
    n = shape[-1]
    return x @ x.transpose(-2, -1) + n * torch.eye(n, dtype=torch.float64)


def sym(*shape):
    x = randn(*shape)
    return 0.5 * (x + x.transpose(-2, -1))


def sign_free_qr(a):
    q, r = torch.linalg.qr(a)
    d = torch.sign(torch.diagonal(r, dim1=-2, dim2=-1))
    return [q * d.unsqueeze(-2), r * d.unsqueeze(-1)]


def eigh_sign_free(a):
    w, v = torch.linalg.eigh(a)
    return [w, v * v]


def svd_sign_free(a):
    u, s, vh = torch.linalg.svd(a, full_matrices=False)
    return [s, u * u, vh * vh]


def slogdet(a):
    s, l = torch.linalg.slogdet(a)
    return [s, l]


def lu(a):
    p, l, u = torch.linalg.lu(a)
    return [p, l, u]


def lu_factor(a):
    f, piv = torch.linalg.lu_factor(a)
    return [f, piv.to(torch.float64)]


def eigvals(a):
    e = torch.linalg.eigvals(a)
    return [e.real, e.imag]


def lstsq(a, b):
    """pinv(A)·B, which carries torch's gradients, checked against LAPACK's gelsd solution."""
    vector = b.dim() == a.dim() - 1
    bm = b.unsqueeze(-1) if vector else b
    x = torch.linalg.pinv(a) @ bm
    ref = torch.linalg.lstsq(a.detach(), bm.detach(), driver="gelsd").solution
    assert torch.allclose(x.detach(), ref, atol=1e-4), "pinv and gelsd disagree"
    return x.squeeze(-1) if vector else x


def matrix_rank(a):
    r = torch.linalg.matrix_rank(a)
    flat = a.reshape(-1, a.shape[-2], a.shape[-1]).numpy()
    assert [int(np.linalg.matrix_rank(m)) for m in flat] == r.reshape(-1).tolist()
    return [r.to(torch.float64)]


OPS = {
    "det": lambda a: [torch.linalg.det(a)],
    "slogdet": slogdet,
    "inv": lambda a: [torch.linalg.inv(a)],
    "solve": lambda a, b: [torch.linalg.solve(a, b)],
    "cholesky": lambda a: [torch.linalg.cholesky(a)],
    "cholesky_upper": lambda a: [torch.linalg.cholesky(a, upper=True)],
    "eigh": eigh_sign_free,
    "eigvalsh": lambda a: [torch.linalg.eigvalsh(a)],
    "svd": svd_sign_free,
    "svdvals": lambda a: [torch.linalg.svdvals(a)],
    "qr": sign_free_qr,
    "lu": lu,
    "lu_factor": lu_factor,
    "eigvals": eigvals,
    "pinv": lambda a: [torch.linalg.pinv(a)],
    "lstsq": lambda a, b: [lstsq(a, b)],
    "matrix_rank": matrix_rank,
    "trace": lambda a: [torch.diagonal(a, dim1=-2, dim2=-1).sum(-1)],
}
for o in ["fro", "nuc", 1, -1, 2, -2, float("inf"), float("-inf")]:
    OPS[f"matrix_norm_{o}"] = (lambda o: lambda a: [torch.linalg.matrix_norm(a, ord=o)])(o)
for o in [2, 1, 3, 0.5, float("inf"), float("-inf"), 0]:
    OPS[f"vector_norm_{o}"] = (lambda o: lambda a: [torch.linalg.vector_norm(a, ord=o, dim=-1)])(o)

# Outputs that carry no gradient in either library.
NO_GRAD_OUTPUTS = {"slogdet": [0]}
NO_GRAD_OPS = {"qr", "lu", "lu_factor", "eigvals", "matrix_rank", "vector_norm_0"}


def case(name, op, dtype, *inputs, grad=True):
    xs = [x.to(DTYPES[dtype]).clone().requires_grad_(grad and op not in NO_GRAD_OPS) for x in inputs]
    outs = OPS[op](*xs)
    c = {"name": name, "op": op, "dtype": dtype, "inputs": [enc(x) for x in xs], "outputs": [enc(o) for o in outs]}
    if grad and op not in NO_GRAD_OPS:
        rs = [None if i in NO_GRAD_OUTPUTS.get(op, []) else torch.randn(o.shape, generator=GEN, dtype=o.dtype)
              for i, o in enumerate(outs)]
        loss = sum((o * r).sum() for o, r in zip(outs, rs) if r is not None)
        grads = torch.autograd.grad(loss, xs)
        c["r"] = [None if r is None else enc(r) for r in rs]
        c["grads"] = [enc(g) for g in grads]
    return c


def rank_deficient(m, n, r):
    return randn(m, r) @ randn(r, n)


def main():
    cases = []
    for dt in ["float64", "float32"]:
        cases += [
            case(f"det_{dt}", "det", dt, randn(4, 4)),
            case(f"det_batched_{dt}", "det", dt, randn(2, 3, 3, 3)),
            case(f"slogdet_{dt}", "slogdet", dt, randn(3, 5, 5)),
            case(f"inv_{dt}", "inv", dt, randn(2, 4, 4) + 4 * torch.eye(4, dtype=torch.float64)),
            case(f"solve_{dt}", "solve", dt, randn(2, 4, 4) + 4 * torch.eye(4, dtype=torch.float64), randn(2, 4, 3)),
            case(f"solve_vector_{dt}", "solve", dt, randn(5, 5) + 5 * torch.eye(5, dtype=torch.float64), randn(5)),
            case(f"solve_broadcast_{dt}", "solve", dt, randn(4, 4) + 4 * torch.eye(4, dtype=torch.float64),
                 randn(3, 4, 2)),
            case(f"cholesky_{dt}", "cholesky", dt, spd(2, 4, 4)),
            case(f"cholesky_upper_{dt}", "cholesky_upper", dt, spd(5, 5)),
            case(f"eigh_{dt}", "eigh", dt, sym(2, 5, 5)),
            case(f"eigvalsh_{dt}", "eigvalsh", dt, sym(6, 6)),
            case(f"svd_tall_{dt}", "svd", dt, randn(2, 6, 4)),
            case(f"svd_wide_{dt}", "svd", dt, randn(3, 5)),
            case(f"svd_square_{dt}", "svd", dt, randn(4, 4)),
            case(f"svdvals_{dt}", "svdvals", dt, randn(2, 5, 3)),
            case(f"qr_tall_{dt}", "qr", dt, randn(2, 6, 4)),
            case(f"qr_wide_{dt}", "qr", dt, randn(3, 5)),
            case(f"lu_{dt}", "lu", dt, randn(2, 5, 5)),
            case(f"lu_factor_{dt}", "lu_factor", dt, randn(6, 6)),
            case(f"eigvals_{dt}", "eigvals", dt, randn(2, 6, 6)),
            case(f"pinv_{dt}", "pinv", dt, randn(2, 5, 3)),
            case(f"pinv_rank_deficient_{dt}", "pinv", dt, rank_deficient(5, 4, 2), grad=False),
            case(f"lstsq_{dt}", "lstsq", dt, randn(7, 3), randn(7, 2)),
            case(f"lstsq_vector_{dt}", "lstsq", dt, randn(2, 6, 3), randn(2, 6)),
            case(f"matrix_rank_{dt}", "matrix_rank", dt,
                 torch.stack([rank_deficient(6, 5, 1), rank_deficient(6, 5, 3), randn(6, 5)])),
            case(f"trace_{dt}", "trace", dt, randn(3, 4, 4)),
        ]
        for o in ["fro", "nuc", 1, -1, 2, -2, float("inf"), float("-inf")]:
            cases.append(case(f"matrix_norm_{o}_{dt}", f"matrix_norm_{o}", dt, randn(2, 4, 3)))
        for o in [2, 1, 3, 0.5, float("inf"), float("-inf"), 0]:
            cases.append(case(f"vector_norm_{o}_{dt}", f"vector_norm_{o}", dt, randn(3, 5)))
    header = {"generator": "tools/make_linalg_fixtures.py", "torch": torch.__version__, "numpy": np.__version__,
              "seed": SEED}
    with open(OUT, "w") as f:
        json.dump({"header": header, "cases": cases}, f, separators=(",", ":"))
    print(f"wrote {len(cases)} cases to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
