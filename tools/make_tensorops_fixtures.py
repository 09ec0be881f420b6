#!/usr/bin/python3
"""Reference values for the tensor ops of the model families (sequence, attention, detection, generative
models), computed with PyTorch.

Run as `/usr/bin/python3 tools/make_tensorops_fixtures.py` from the repository root; it rewrites
tests/fixtures/tensorops.json. The format is that of ops.json (see make_fixtures.py, whose input encoding and
view chains this script reuses), with one difference: an op may return integer outputs next to floating ones
(sort, topk), so "r" holds null for every output that carries no gradient. The C# twin of each op key lives in
tests/Dendrite.Core.Tests/TensorOpsTests.cs.
"""
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import DTYPES, apply_view  # noqa: E402
from make_fixtures import encode as encode_finite  # noqa: E402

SEED = 20261207
GEN = torch.Generator().manual_seed(SEED)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "tensorops.json")


def encode(t):
    """make_fixtures.encode, with infinities and NaN written as the strings "Infinity", "-Infinity", "NaN"
    (masked log-softmax outputs are -inf; JSON has no literal for them)."""
    e = encode_finite(t)
    if t.is_floating_point():
        e["data"] = [v if math.isfinite(v) else ("NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity"))
                     for v in e["data"]]
    return e


def inp(t, view=None):
    return {"t": t, "view": view or []}


def rn(*shape, dtype="float32", view=None):
    return inp(torch.randn(shape, generator=GEN, dtype=DTYPES[dtype]), view)


def ri(low, high, *shape):
    return inp(torch.randint(low, high, shape, generator=GEN, dtype=torch.int64))


def mask(*shape, p=0.5):
    return inp(torch.rand(shape, generator=GEN) < p)


def val(values, dtype="float32", view=None):
    return inp(torch.tensor(values, dtype=DTYPES[dtype]), view)


def with_zeros(*shape, every=3):
    """Normal values with every `every`-th entry set to zero (cumprod's gradient at zeros)."""
    t = torch.randn(shape, generator=GEN)
    t.view(-1)[::every] = 0
    return inp(t)


def masked_softmax(x, m, dim, log):
    """Bool mask, true = keep; a fully masked row gives zeros (and zero gradients) instead of NaN."""
    keep_any = m.expand_as(x).any(dim, keepdim=True)
    z = torch.where(keep_any, x.masked_fill(~m, float("-inf")), torch.zeros_like(x))
    y = z.log_softmax(dim) if log else z.softmax(dim)
    return torch.where(keep_any, y, torch.zeros_like(y))


def interpolate(x, a):
    mode = {"nearest": "nearest", "linear": "linear" if x.dim() == 3 else "bilinear", "bicubic": "bicubic"}[a["mode"]]
    kw = {} if mode == "nearest" else {"align_corners": a["align"]}
    if "size" in a:
        return F.interpolate(x, size=a["size"], mode=mode, **kw)
    return F.interpolate(x, scale_factor=a["scale"], mode=mode, **kw)


OPS = {
    "sin": lambda x, a: x[0].sin(),
    "cos": lambda x, a: x[0].cos(),
    "tril": lambda x, a: x[0].tril(a["diagonal"]),
    "triu": lambda x, a: x[0].triu(a["diagonal"]),
    "cumsum": lambda x, a: x[0].cumsum(a["dim"]),
    "cumprod": lambda x, a: x[0].cumprod(a["dim"]),
    "sort": lambda x, a: torch.sort(x[0], dim=a["dim"], descending=a["descending"], stable=True),
    "argsort": lambda x, a: torch.sort(x[0], dim=a["dim"], descending=a["descending"], stable=True)[1],
    "topk": lambda x, a: torch.topk(x[0], a["k"], a["dim"], largest=a["largest"], sorted=True),
    "softmax_bool_mask": lambda x, a: masked_softmax(x[0], x[1], a["dim"], log=False),
    "log_softmax_bool_mask": lambda x, a: masked_softmax(x[0], x[1], a["dim"], log=True),
    "softmax_add_mask": lambda x, a: (x[0] + x[1]).softmax(a["dim"]),
    "log_softmax_add_mask": lambda x, a: (x[0] + x[1]).log_softmax(a["dim"]),
    "interpolate": lambda x, a: interpolate(x[0], a),
    "pad_mode": lambda x, a: F.pad(x[0], a["pad"], mode=a["mode"], value=a["value"])
    if a["mode"] == "constant" else F.pad(x[0], a["pad"], mode=a["mode"]),
    "einsum": lambda x, a: torch.einsum(a["equation"], *x),
    "index_add": lambda x, a: x[0].index_add(a["dim"], x[1], x[2]),
    "index_put": lambda x, a: x[0].index_put(tuple(x[2:]), x[1], accumulate=a["accumulate"]),
    "masked_select": lambda x, a: x[0].masked_select(x[1]),
}

CASES = []


def case(name, op, inputs, gradcheck=True, **args):
    CASES.append((name, op, inputs, args, gradcheck))


# trigonometry
case("sin", "sin", [rn(3, 4)])
case("sin_transposed", "sin", [rn(4, 3, view=[["transpose", 0, 1]])])
case("cos", "cos", [rn(2, 5)])
case("cos_f64", "cos", [rn(2, 3, dtype="float64")])
case("sin_large", "sin", [val([-100.0, -3.5, 0.0, 1e-3, 7.25, 1000.0])])

# triangles, batched over leading dimensions
case("tril", "tril", [rn(4, 4)], diagonal=0)
case("tril_offset_batched", "tril", [rn(2, 3, 5)], diagonal=1)
case("tril_negative_wide", "tril", [rn(3, 6)], diagonal=-1)
case("triu", "triu", [rn(4, 4)], diagonal=0)
case("triu_offset_batched", "triu", [rn(2, 2, 4, 3)], diagonal=-1)
case("triu_tall_transposed", "triu", [rn(3, 5, view=[["transpose", 0, 1]])], diagonal=2)
case("tril_i64", "tril", [ri(-5, 5, 3, 3)], diagonal=0)

# scans
case("cumsum_last", "cumsum", [rn(3, 5)], dim=-1)
case("cumsum_first", "cumsum", [rn(4, 2, 3)], dim=0)
case("cumsum_middle_permuted", "cumsum", [rn(2, 3, 4, view=[["permute", 2, 0, 1]])], dim=1)
case("cumsum_i64", "cumsum", [ri(-5, 5, 2, 4)], dim=1)
case("cumsum_f64", "cumsum", [rn(3, 3, dtype="float64")], dim=0)
case("cumprod", "cumprod", [rn(3, 5)], dim=1)
case("cumprod_axis0", "cumprod", [rn(4, 3)], dim=0)
case("cumprod_zeros", "cumprod", [with_zeros(3, 6, every=4)], dim=1)
case("cumprod_two_zeros", "cumprod", [val([[1.5, 0.0, 2.0, 0.0, -1.5], [0.0, 0.5, 3.0, -2.0, 1.0]])], dim=1)
case("cumprod_zero_last", "cumprod", [val([[0.5, -2.0, 1.5, 0.0]])], dim=-1)

# sorting
case("sort_last", "sort", [rn(3, 6)], dim=-1, descending=False)
case("sort_descending_axis0", "sort", [rn(5, 3)], dim=0, descending=True)
case("sort_ties_stable", "sort", [val([[2.0, 1.0, 2.0, 1.0, 3.0, 1.0]])], gradcheck=False, dim=1, descending=False)
case("sort_ties_stable_descending", "sort", [val([[2.0, 1.0, 2.0, 1.0, 3.0, 1.0]])], gradcheck=False,
     dim=1, descending=True)
case("sort_f64_permuted", "sort", [rn(2, 3, 4, dtype="float64", view=[["permute", 1, 2, 0]])], dim=1,
     descending=False)
case("sort_i64", "sort", [ri(-9, 9, 2, 7)], dim=1, descending=True)
case("argsort", "argsort", [rn(4, 5)], dim=1, descending=False)
case("argsort_descending_axis0", "argsort", [rn(4, 3)], dim=0, descending=True)
case("topk_largest", "topk", [rn(3, 8)], k=3, dim=-1, largest=True)
case("topk_smallest_axis0", "topk", [rn(6, 4)], k=2, dim=0, largest=False)
case("topk_all", "topk", [rn(2, 5)], k=5, dim=1, largest=True)
case("topk_batched_middle", "topk", [rn(2, 7, 3)], k=4, dim=1, largest=True)

# masked softmax: bool (true = keep) and additive float masks, fully masked rows
case("softmax_bool_mask", "softmax_bool_mask", [rn(4, 5), mask(4, 5, p=0.7)], dim=-1)
case("softmax_bool_mask_causal", "softmax_bool_mask",
     [rn(2, 4, 4), inp(torch.ones(4, 4, dtype=torch.bool).tril())], dim=-1)
case("softmax_bool_mask_full_row", "softmax_bool_mask",
     [rn(3, 4), val([[True, False, True, False], [False, False, False, False], [True, True, True, True]], "bool")],
     dim=1)
case("softmax_bool_mask_axis0", "softmax_bool_mask", [rn(4, 3), mask(4, 1, p=0.6)], dim=0)
# (-inf outputs: finite differences of this case are checked in C# with the masked entries filled)
case("log_softmax_bool_mask", "log_softmax_bool_mask", gradcheck=False, inputs=
     [rn(3, 4), val([[True, False, True, True], [False, False, False, False], [True, True, False, True]], "bool")],
     dim=-1)
case("softmax_add_mask", "softmax_add_mask", [rn(2, 3, 5), rn(3, 5)], dim=-1)
case("softmax_add_mask_inf", "softmax_add_mask",
     [rn(2, 4), val([[0.0, float("-inf"), 0.0, -1.0], [float("-inf"), 0.0, 0.0, float("-inf")]])], dim=-1)
case("log_softmax_add_mask", "log_softmax_add_mask", [rn(3, 4), rn(4)], dim=1)
case("softmax_add_mask_f64", "softmax_add_mask", [rn(2, 4, dtype="float64"), rn(1, 4, dtype="float64")], dim=-1)

# interpolation (NCL and NCHW)
case("interp_nearest_size", "interpolate", [rn(1, 2, 3, 4)], mode="nearest", size=[5, 7])
case("interp_nearest_scale2", "interpolate", [rn(2, 1, 3, 3)], mode="nearest", scale=[2.0, 2.0])
case("interp_nearest_down", "interpolate", [rn(1, 2, 7, 6)], mode="nearest", size=[3, 4])
case("interp_nearest_scale_frac", "interpolate", [rn(1, 1, 4, 5)], mode="nearest", scale=[1.5, 1.7])
case("interp_nearest_ncl", "interpolate", [rn(2, 3, 5)], mode="nearest", size=[8])
case("interp_bilinear", "interpolate", [rn(1, 2, 3, 4)], mode="linear", align=False, size=[5, 7])
case("interp_bilinear_align", "interpolate", [rn(1, 2, 3, 4)], mode="linear", align=True, size=[5, 7])
case("interp_bilinear_scale2", "interpolate", [rn(2, 1, 3, 3)], mode="linear", align=False, scale=[2.0, 2.0])
case("interp_bilinear_scale2_align", "interpolate", [rn(2, 1, 3, 3)], mode="linear", align=True,
     scale=[2.0, 2.0])
case("interp_bilinear_down", "interpolate", [rn(1, 2, 7, 6)], mode="linear", align=False, size=[3, 4])
case("interp_bilinear_scale_frac", "interpolate", [rn(1, 1, 4, 5)], mode="linear", align=False,
     scale=[1.5, 0.6])
case("interp_bilinear_to_one", "interpolate", [rn(1, 1, 3, 4)], mode="linear", align=True, size=[1, 2])
case("interp_linear_ncl", "interpolate", [rn(2, 3, 5)], mode="linear", align=False, size=[9])
case("interp_linear_ncl_align", "interpolate", [rn(1, 2, 4)], mode="linear", align=True, scale=[2.5])
case("interp_bilinear_f64", "interpolate", [rn(1, 1, 3, 3, dtype="float64")], mode="linear", align=False,
     size=[4, 5])

# padding modes
case("pad_reflect_1d", "pad_mode", [rn(2, 3, 5)], pad=[2, 3], mode="reflect", value=0.0)
case("pad_reflect_2d", "pad_mode", [rn(1, 2, 4, 5)], pad=[1, 2, 3, 1], mode="reflect", value=0.0)
case("pad_replicate_1d", "pad_mode", [rn(2, 3, 4)], pad=[3, 1], mode="replicate", value=0.0)
case("pad_replicate_2d", "pad_mode", [rn(1, 2, 3, 3)], pad=[2, 0, 1, 4], mode="replicate", value=0.0)
case("pad_replicate_3d", "pad_mode", [rn(1, 1, 2, 3, 2)], pad=[1, 1, 0, 2, 1, 0], mode="replicate", value=0.0)
case("pad_circular_1d", "pad_mode", [rn(1, 2, 5)], pad=[2, 4], mode="circular", value=0.0)
case("pad_circular_2d", "pad_mode", [rn(1, 1, 3, 4)], pad=[1, 3, 2, 1], mode="circular", value=0.0)
case("pad_reflect_transposed", "pad_mode", [rn(1, 2, 5, 4, view=[["transpose", 2, 3]])], pad=[1, 1, 2, 2],
     mode="reflect", value=0.0)
case("pad_constant_mode", "pad_mode", [rn(1, 2, 3)], pad=[1, 2], mode="constant", value=1.5)

# einsum
case("einsum_matmul", "einsum", [rn(3, 4), rn(4, 5)], equation="ij,jk->ik")
case("einsum_batched", "einsum", [rn(2, 3, 4), rn(2, 4, 2)], equation="bij,bjk->bik")
case("einsum_outer", "einsum", [rn(3), rn(4)], equation="i,j->ij")
case("einsum_transpose", "einsum", [rn(3, 4)], equation="ij->ji")
case("einsum_trace", "einsum", [rn(4, 4)], equation="ii->")
case("einsum_diagonal", "einsum", [rn(4, 4)], equation="ii->i")
case("einsum_batch_diagonal", "einsum", [rn(2, 3, 3)], equation="bii->bi")
case("einsum_sum_all", "einsum", [rn(3, 4)], equation="ij->")
case("einsum_sum_rows", "einsum", [rn(3, 4)], equation="ij->j")
case("einsum_bilinear", "einsum", [rn(2, 3), rn(4, 3, 5), rn(2, 5)], equation="bn,anm,bm->ba")
case("einsum_implicit", "einsum", [rn(3, 4), rn(4, 2)], equation="ij,jk")
case("einsum_dot", "einsum", [rn(5), rn(5)], equation="i,i->")
case("einsum_attention", "einsum", [rn(2, 3, 4, 5), rn(2, 3, 6, 5)], equation="bhqd,bhkd->bhqk")
case("einsum_heads_permuted", "einsum", [rn(2, 4, 3, 5)], equation="bthd->bhtd")
case("einsum_hadamard_sum", "einsum", [rn(3, 4), rn(3, 4)], equation="ij,ij->i")
case("einsum_f64", "einsum", [rn(2, 3, dtype="float64"), rn(3, 2, dtype="float64")], equation="ij,jk->ki")

# index_add, index_put, masked_select
case("index_add_dim0", "index_add", [rn(5, 3), val([0, 2, 0, 4], "int64"), rn(4, 3)], dim=0)
case("index_add_dim1", "index_add", [rn(2, 4, 3), val([3, 1], "int64"), rn(2, 2, 3)], dim=1)
case("index_add_last", "index_add", [rn(3, 4), val([1, 1, 3], "int64"), rn(3, 3)], dim=-1)
case("index_put_rows", "index_put", [rn(5, 3), rn(2, 3), val([4, 1], "int64")], accumulate=False)
case("index_put_elements", "index_put", [rn(4, 5), rn(3), val([0, 2, 3], "int64"), val([1, 4, 0], "int64")],
     accumulate=False)
case("index_put_accumulate_repeats", "index_put", [rn(4, 2), rn(4, 2), val([1, 3, 1, 1], "int64")],
     accumulate=True)
case("index_put_broadcast_value", "index_put", [rn(3, 4), rn(1), val([[0], [2]], "int64"), val([1, 3], "int64")],
     accumulate=False)
case("index_put_negative", "index_put", [rn(4, 3), rn(3), val([-1], "int64")], accumulate=True)
case("masked_select", "masked_select", [rn(3, 4), mask(3, 4)])
case("masked_select_broadcast", "masked_select", [rn(3, 4), mask(4)])
case("masked_select_i64", "masked_select", [ri(0, 9, 2, 3), mask(2, 3)])

# bicubic interpolation (NCHW; drawn last so the cases above keep their values)
case("interp_bicubic", "interpolate", [rn(1, 2, 3, 4)], mode="bicubic", align=False, size=[5, 7])
case("interp_bicubic_align", "interpolate", [rn(1, 2, 3, 4)], mode="bicubic", align=True, size=[5, 7])
case("interp_bicubic_scale4", "interpolate", [rn(2, 1, 3, 3)], mode="bicubic", align=False, scale=[4.0, 4.0])
case("interp_bicubic_scale2_align", "interpolate", [rn(1, 1, 4, 3)], mode="bicubic", align=True,
     scale=[2.0, 2.0])
case("interp_bicubic_down", "interpolate", [rn(1, 2, 7, 6)], mode="bicubic", align=False, size=[3, 4])
case("interp_bicubic_scale_frac", "interpolate", [rn(1, 1, 4, 5)], mode="bicubic", align=False,
     scale=[1.5, 0.6])
case("interp_bicubic_single_row", "interpolate", [rn(1, 1, 1, 4)], mode="bicubic", align=False, size=[3, 6])
case("interp_bicubic_f64", "interpolate", [rn(1, 1, 3, 3, dtype="float64")], mode="bicubic", align=False,
     size=[6, 5])


def run_case(name, op, inputs, args, gradcheck):
    bases = [i["t"].clone() for i in inputs]
    diff = any(b.is_floating_point() for b in bases)
    for b in bases:
        if diff and b.is_floating_point():
            b.requires_grad_(True)
    views = [apply_view(b, i["view"]) for b, i in zip(bases, inputs)]
    out = OPS[op](views, args)
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    entry = {"name": name, "op": op, "args": args,
             "inputs": [dict(encode(b), view=i["view"]) for b, i in zip(bases, inputs)],
             "outputs": [encode(o) for o in outs]}
    graded = [o for o in outs if o.is_floating_point() and o.requires_grad]
    if diff and graded:
        rs = [torch.randn(o.shape, generator=GEN, dtype=o.dtype) if o.is_floating_point() else None for o in outs]
        loss = sum((o * r).sum() for o, r in zip(outs, rs) if r is not None)
        floats = [b for b in bases if b.is_floating_point()]
        grads = torch.autograd.grad(loss, floats, allow_unused=True)
        grads = [torch.zeros_like(b) if g is None else g for b, g in zip(floats, grads)]
        entry["r"] = [None if r is None else encode(r) for r in rs]
        gi = iter(grads)
        entry["grads"] = [encode(next(gi)) if b.is_floating_point() else None for b in bases]
        entry["gradcheck"] = gradcheck
    return entry


def main():
    names = [c[0] for c in CASES]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        sys.exit(f"duplicate case names: {sorted(dup)}")
    fixture = {
        "header": {"generator": "tools/make_tensorops_fixtures.py", "torch": torch.__version__, "seed": SEED,
                   "rng": "torch.Generator (mt19937), manual_seed(seed), cases drawn in file order",
                   "cases": len(CASES)},
        "cases": [run_case(*c) for c in CASES],
    }
    with open(OUT, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {len(CASES)} cases to {os.path.normpath(OUT)} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
