#!/usr/bin/python3
"""Exact torch.linalg.qr factors (signs included) for Dendrite's blocked Householder QR.

Run as `/usr/bin/python3 tools/make_qr_fixtures.py` from the repository root; it rewrites
tests/fixtures/qr_signs.json. Unlike tools/make_linalg_fixtures.py, which writes QR in a sign-free form, this keeps
Q and R exactly as LAPACK's geqrf + orgqr return them through torch, so the C# test
(tests/Dendrite.Core.Tests/Linalg/BlockedQrTests.cs) checks that Linalg.Qr has the same Householder signs: square,
tall and wide float64 matrices on both sides of the blocked routine's crossover, one with an already triangular
column (a reflector with tau = 0), and a float32 one. For a full-rank A the signs of R's diagonal fix Q and R
(Q·D and D·R are unique), so the larger cases store only those signs, to keep the file small; their entries are
rounded to four decimals for the same reason.
"""
import json
import os

import torch

SEED = 20261207
GEN = torch.Generator().manual_seed(SEED)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "qr_signs.json")


def enc(t):
    return {"shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


def case(name, a, dtype, full=True):
    a = (torch.round(a * 1e4) / 1e4).to(dtype)
    q, r = torch.linalg.qr(a)
    c = {"name": name, "dtype": str(dtype).replace("torch.", ""), "a": enc(a)}
    if full:
        c.update(q=enc(q), r=enc(r))
    c["sign_diag_r"] = [float(v) for v in torch.sign(torch.diagonal(r)).tolist()]
    return c


def main():
    randn = lambda *s: torch.randn(s, generator=GEN, dtype=torch.float64)  # noqa: E731
    triangular = randn(5, 4)
    triangular[1:, 0] = 0  # first column already reduced: tau_0 = 0, R[0,0] keeps the sign of A[0,0]
    triangular[0, 0] = -abs(triangular[0, 0])
    cases = [
        case("square_6", randn(6, 6), torch.float64),
        case("tall_9x4", randn(9, 4), torch.float64),
        case("wide_4x9", randn(4, 9), torch.float64),
        case("first_column_reduced_5x4", triangular, torch.float64),
        case("square_6_float32", randn(6, 6), torch.float32),
        case("square_65", randn(65, 65), torch.float64, full=False),
        case("tall_96x65", randn(96, 65), torch.float64, full=False),
        case("wide_65x96", randn(65, 96), torch.float64, full=False),
    ]
    header = {"generator": "tools/make_qr_fixtures.py", "seed": SEED, "torch": torch.__version__}
    with open(OUT, "w") as f:
        json.dump({"header": header, "cases": cases}, f)
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
