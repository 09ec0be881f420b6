#!/usr/bin/python3
"""Reference values for the Dendrite op tests, computed with PyTorch.

Run as `/usr/bin/python3 tools/make_fixtures.py` from the repository root; it rewrites
tests/fixtures/ops.json. Each case below is one line: a name, an op (the same op key is
implemented in tests/Dendrite.Core.Tests/OpCheck.cs), its inputs and its arguments.

Inputs are drawn here from one seeded torch.Generator and stored in the fixture, so the C# test
uses exactly the same numbers. An input may carry a view chain (permute, transpose, slice, ...)
that both sides apply before the op, which makes the op see a non-contiguous tensor. For every
differentiable case the fixture also stores r (same shape as each output) and torch's gradient
of sum(f(x) * r) with respect to every floating input (before its view chain).
"""
import json
import os
import sys

import torch
import torch.nn.functional as F

SEED = 20240601
GEN = torch.Generator().manual_seed(SEED)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "ops.json")
DTYPES = {"float32": torch.float32, "float64": torch.float64, "int64": torch.int64, "bool": torch.bool}


# ------------------------------------------------------------------ input makers

def inp(t, view=None):
    return {"t": t, "view": view or []}


def rn(*shape, dtype="float32", view=None):
    """Standard normal values."""
    return inp(torch.randn(shape, generator=GEN, dtype=DTYPES[dtype]), view)


def pos(*shape, dtype="float32", view=None):
    """Uniform in [0.5, 2]: safe for log, sqrt, division and pow."""
    return inp(torch.rand(shape, generator=GEN, dtype=DTYPES[dtype]) * 1.5 + 0.5, view)


def ri(low, high, *shape, view=None):
    """Int64 in [low, high)."""
    return inp(torch.randint(low, high, shape, generator=GEN, dtype=torch.int64), view)


def nz(low, high, *shape):
    """Int64 in [low, high) without zeros (divisors)."""
    t = torch.randint(low, high, shape, generator=GEN, dtype=torch.int64)
    return inp(torch.where(t == 0, torch.ones_like(t), t))


def mask(*shape, view=None):
    return inp(torch.rand(shape, generator=GEN) < 0.5, view)


def val(values, dtype="float32", view=None):
    """Explicit values (kinks and ties)."""
    return inp(torch.tensor(values, dtype=DTYPES[dtype]), view)


def perm_index(dim_size, count, shape, dim):
    """Int64 index of `shape` whose entries along `dim` are distinct (scatter needs no duplicates)."""
    moved = list(shape)
    n = moved.pop(dim)
    rows = [torch.randperm(dim_size, generator=GEN)[:n] for _ in range(count)]
    t = torch.stack(rows).reshape(moved + [n]) if moved else rows[0]
    return inp(t.movedim(-1, dim).contiguous())


# ------------------------------------------------------------------ view chains (mirrored in OpCheck.cs)

def apply_view(t, view):
    for step in view:
        kind, args = step[0], step[1:]
        if kind == "permute":
            t = t.permute(*args)
        elif kind == "transpose":
            t = t.transpose(*args)
        elif kind == "expand":
            t = t.expand(*args)
        elif kind == "slice":
            dim, start, end, stride = args
            picks = list(range(*slice(start, end, stride).indices(t.shape[dim])))
            t = t.index_select(dim, torch.tensor(picks, dtype=torch.int64))
        else:
            raise ValueError(f"unknown view step {kind}")
    return t


# ------------------------------------------------------------------ ops (the C# twin lives in OpCheck.cs)

def take(x, a, i):
    """numpy.take along a dim with an index of any shape (Dendrite's IndexSelect)."""
    d = a["dim"] % x.dim()
    y = x.index_select(d, i.reshape(-1))
    return y.reshape(list(x.shape[:d]) + list(i.shape) + list(x.shape[d + 1:]))


def pyslice(x, dim, start, end, step):
    picks = list(range(*slice(start, end, step).indices(x.shape[dim])))
    return x.index_select(dim, torch.tensor(picks, dtype=torch.int64))


def reduce_all_or(fn_all, fn_axes):
    return lambda x, a: fn_all(x[0]) if "axes" not in a else fn_axes(x[0], a)


OPS = {
    # creation
    "arange": lambda x, a: torch.arange(a["start"], a["end"], a["step"], dtype=DTYPES[a["dtype"]]),
    "linspace": lambda x, a: torch.linspace(a["start"], a["end"], a["steps"], dtype=DTYPES[a["dtype"]]),
    "eye": lambda x, a: torch.eye(a["n"], a["m"], dtype=DTYPES[a["dtype"]]),
    "full": lambda x, a: torch.full(a["shape"], a["value"], dtype=DTYPES[a["dtype"]]),
    "zeros_like": lambda x, a: torch.zeros_like(x[0]),
    "ones_like": lambda x, a: torch.ones_like(x[0]),
    # binary element-wise
    "add": lambda x, a: x[0] + x[1],
    "sub": lambda x, a: x[0] - x[1],
    "mul": lambda x, a: x[0] * x[1],
    "div": lambda x, a: x[0] / x[1],
    "pow": lambda x, a: x[0] ** x[1],
    "maximum": lambda x, a: torch.maximum(x[0], x[1]),
    "minimum": lambda x, a: torch.minimum(x[0], x[1]),
    "floordiv": lambda x, a: torch.div(x[0], x[1], rounding_mode="floor"),
    "add_s": lambda x, a: x[0] + a["s"],
    "rsub_s": lambda x, a: a["s"] - x[0],
    "sub_s": lambda x, a: x[0] - a["s"],
    "mul_s": lambda x, a: x[0] * a["s"],
    "div_s": lambda x, a: x[0] / a["s"],
    "rdiv_s": lambda x, a: a["s"] / x[0],
    "pow_s": lambda x, a: x[0] ** a["s"],
    # unary element-wise
    "neg": lambda x, a: -x[0],
    "exp": lambda x, a: x[0].exp(),
    "log": lambda x, a: x[0].log(),
    "sqrt": lambda x, a: x[0].sqrt(),
    "abs": lambda x, a: x[0].abs(),
    "sign": lambda x, a: x[0].sign(),
    "tanh": lambda x, a: x[0].tanh(),
    "sigmoid": lambda x, a: x[0].sigmoid(),
    "relu": lambda x, a: x[0].relu(),
    "clamp": lambda x, a: x[0].clamp(a.get("min"), a.get("max")),
    "floor": lambda x, a: x[0].floor(),
    "ceil": lambda x, a: x[0].ceil(),
    "round": lambda x, a: x[0].round(),
    "to": lambda x, a: x[0].to(DTYPES[a["dtype"]]),
    "clone": lambda x, a: x[0].clone(),
    "contiguous": lambda x, a: x[0].contiguous(),
    # comparisons and logic
    "eq": lambda x, a: x[0] == x[1],
    "ne": lambda x, a: x[0] != x[1],
    "lt": lambda x, a: x[0] < x[1],
    "le": lambda x, a: x[0] <= x[1],
    "gt": lambda x, a: x[0] > x[1],
    "ge": lambda x, a: x[0] >= x[1],
    "eq_s": lambda x, a: x[0] == a["s"],
    "lt_s": lambda x, a: x[0] < a["s"],
    "gt_s": lambda x, a: x[0] > a["s"],
    "and": lambda x, a: x[0] & x[1],
    "or": lambda x, a: x[0] | x[1],
    "xor": lambda x, a: x[0] ^ x[1],
    "not": lambda x, a: ~x[0],
    "where": lambda x, a: torch.where(x[0], x[1], x[2]),
    "masked_fill": lambda x, a: x[0].masked_fill(x[1], a["value"]),
    # reductions
    "sum": reduce_all_or(torch.sum, lambda t, a: t.sum(a["axes"], keepdim=a["keep"])),
    "mean": reduce_all_or(torch.mean, lambda t, a: t.mean(a["axes"], keepdim=a["keep"])),
    "max": reduce_all_or(torch.amax, lambda t, a: t.amax(a["axes"], keepdim=a["keep"])),
    "min": reduce_all_or(torch.amin, lambda t, a: t.amin(a["axes"], keepdim=a["keep"])),
    "var": lambda x, a: x[0].var(a["axes"], correction=a["correction"], keepdim=a["keep"]),
    "std": lambda x, a: x[0].std(a["axes"], correction=a["correction"], keepdim=a["keep"]),
    "logsumexp": lambda x, a: x[0].logsumexp(a["axes"], keepdim=a["keep"]),
    "argmax": lambda x, a: x[0].argmax(a["axis"], keepdim=a["keep"]),
    "argmin": lambda x, a: x[0].argmin(a["axis"], keepdim=a["keep"]),
    "argmax_all": lambda x, a: x[0].argmax(),
    "softmax": lambda x, a: x[0].softmax(a["axis"]),
    "log_softmax": lambda x, a: x[0].log_softmax(a["axis"]),
    # linear algebra
    "matmul": lambda x, a: x[0] @ x[1],
    # joining, splitting, indexing
    "cat": lambda x, a: torch.cat(x, a["dim"]),
    "stack": lambda x, a: torch.stack(x, a["dim"]),
    "split_sizes": lambda x, a: torch.split(x[0], a["sizes"], a["dim"]),
    "split_size": lambda x, a: torch.split(x[0], a["size"], a["dim"]),
    "chunk": lambda x, a: torch.chunk(x[0], a["chunks"], a["dim"]),
    "gather": lambda x, a: x[0].gather(a["dim"], x[1]),
    "scatter_add": lambda x, a: x[0].scatter_add(a["dim"], x[1], x[2]),
    "scatter": lambda x, a: x[0].scatter(a["dim"], x[1], x[2]),
    "index_select": lambda x, a: take(x[0], a, x[1]),
    "one_hot": lambda x, a: F.one_hot(x[0], a["n"]).to(torch.float32),
    "pad": lambda x, a: F.pad(x[0], a["pad"], value=a["value"]),
    # views
    "reshape": lambda x, a: x[0].reshape(a["shape"]),
    "flatten": lambda x, a: x[0].flatten(a["start"], a["end"]),
    "permute": lambda x, a: x[0].permute(a["dims"]),
    "transpose": lambda x, a: x[0].transpose(a["d0"], a["d1"]),
    "t": lambda x, a: x[0].transpose(-2, -1),
    "unsqueeze": lambda x, a: x[0].unsqueeze(a["dim"]),
    "squeeze": lambda x, a: x[0].squeeze(a["dim"]) if "dim" in a else x[0].squeeze(),
    "expand": lambda x, a: x[0].expand(a["shape"]),
    "slice": lambda x, a: pyslice(x[0], a["dim"], a["start"], a["end"], a["step"]),
    "narrow": lambda x, a: x[0].narrow(a["dim"], a["start"], a["length"]),
    "select": lambda x, a: x[0].select(a["dim"], a["index"]),
}

# Ops whose Dendrite version carries no gradient (piecewise constant or not floating).
NO_GRAD = {"floordiv", "floor", "ceil", "round", "eq", "ne", "lt", "le", "gt", "ge", "eq_s", "lt_s", "gt_s",
           "and", "or", "xor", "not", "argmax", "argmin", "argmax_all", "arange", "linspace", "eye", "full",
           "zeros_like", "ones_like", "one_hot"}

# Views into non-contiguous memory, used below.
T2 = [["transpose", 0, 1]]          # stored [n, m], seen as [m, n]
P3 = [["permute", 2, 0, 1]]         # stored [a, b, c], seen as [c, a, b]
EVERY2 = [["slice", -1, 0, 100, 2]]  # every other column
REV = [["slice", 0, 100, -100, -1]]  # rows reversed

CASES = []


def case(name, op, inputs, gradcheck=True, **args):
    CASES.append((name, op, inputs, args, gradcheck))


# creation
case("arange_float", "arange", [], start=-1.0, end=2.0, step=0.5, dtype="float32")
case("arange_int", "arange", [], start=0, end=7, step=2, dtype="int64")
case("arange_negative_step", "arange", [], start=3.0, end=-1.0, step=-0.75, dtype="float32")
case("linspace", "linspace", [], start=-1.0, end=1.0, steps=5, dtype="float32")
case("linspace_one", "linspace", [], start=2.0, end=5.0, steps=1, dtype="float64")
case("eye_square", "eye", [], n=3, m=3, dtype="float32")
case("eye_rect", "eye", [], n=2, m=4, dtype="int64")
case("full", "full", [], shape=[2, 3], value=1.5, dtype="float32")
case("full_empty", "full", [], shape=[0, 3], value=2.0, dtype="float32")
case("zeros_like", "zeros_like", [rn(2, 3)])
case("ones_like_int", "ones_like", [ri(0, 5, 3)])

# binary element-wise, with broadcasting of size-1 dims both ways and non-contiguous operands
case("add_same", "add", [rn(2, 3), rn(2, 3)])
case("add_row", "add", [rn(2, 3), rn(3)])
case("add_both_ways", "add", [rn(3, 1), rn(1, 4)])
case("add_rank3_mixed", "add", [rn(2, 1, 4), rn(3, 1)])
case("add_scalar_tensor", "add", [rn(2, 3), rn()])
case("add_transposed", "add", [rn(3, 2, view=T2), rn(2, 3)])
case("add_empty", "add", [rn(0, 3), rn(1, 3)])
case("add_empty_broadcast", "add", [rn(2, 0, 3), rn(2, 1, 1)])
case("sub_both_ways", "sub", [rn(1, 3), rn(2, 1)])
case("sub_strided", "sub", [rn(2, 6, view=EVERY2), rn(2, 3)])
case("mul_both_ways", "mul", [rn(4, 1), rn(3)])
case("mul_permuted", "mul", [rn(3, 4, 2, view=P3), rn(2, 3, 1)])
case("div_both_ways", "div", [rn(2, 1), pos(1, 3)])
case("div_reversed", "div", [pos(3, 2, view=REV), pos(2)])
case("pow_tensor", "pow", [pos(2, 3), rn(2, 3)])
case("pow_broadcast", "pow", [pos(3, 1), rn(1, 2)])
case("maximum", "maximum", [rn(2, 3), rn(3)])
case("minimum", "minimum", [rn(3, 1), rn(1, 2)])
case("maximum_ties", "maximum", [val([1.0, 2.0, -1.0]), val([1.0, 0.5, -1.0])], gradcheck=False)
case("minimum_ties", "minimum", [val([[0.0, 3.0], [2.0, 2.0]]), val([0.0, 2.0])], gradcheck=False)
case("floordiv", "floordiv", [rn(2, 3), pos(3)])
case("add_scalar", "add_s", [rn(2, 3)], s=2.5)
case("sub_scalar", "sub_s", [rn(2, 3)], s=-1.25)
case("rsub_scalar", "rsub_s", [rn(2, 3)], s=1.5)
case("mul_scalar", "mul_s", [rn(2, 3, view=T2)], s=-3.0)
case("div_scalar", "div_s", [rn(4)], s=4.0)
case("rdiv_scalar", "rdiv_s", [pos(2, 2)], s=2.0)
case("pow_scalar", "pow_s", [pos(2, 3)], s=2.5)
case("pow_scalar_square_negative", "pow_s", [rn(5)], s=2.0)
case("pow_scalar_negative", "pow_s", [pos(3)], s=-1.5)

# unary element-wise
case("neg", "neg", [rn(2, 3)])
case("exp", "exp", [rn(2, 3, view=T2)])
case("exp_empty", "exp", [rn(0, 3)])
case("log", "log", [pos(2, 3)])
case("sqrt", "sqrt", [pos(3, 2, view=REV)])
case("abs", "abs", [rn(2, 3)])
case("sign", "sign", [rn(2, 3)])
case("sign_at_zero", "sign", [val([-2.0, 0.0, 3.0, -0.5])], gradcheck=False)
case("tanh", "tanh", [rn(2, 3)])
case("sigmoid", "sigmoid", [rn(2, 4, view=EVERY2)])
case("relu", "relu", [rn(3, 4)])
case("clamp_both", "clamp", [rn(3, 4)], min=-0.5, max=0.5)
case("clamp_min", "clamp", [rn(5)], min=0.1)
case("clamp_max", "clamp", [rn(2, 3, view=T2)], max=-0.2)
case("floor", "floor", [val([-1.5, -0.5, 0.0, 0.5, 1.5, 2.7])])
case("ceil", "ceil", [val([-1.5, -0.5, 0.0, 0.5, 1.5, 2.7])])
case("round_half_even", "round", [val([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.7])])
case("to_float64", "to", [rn(2, 3)], dtype="float64")
case("to_int64", "to", [val([-1.7, -0.2, 0.9, 2.5])], dtype="int64")
case("to_bool", "to", [val([0.0, 1.0, -2.0])], dtype="bool")
case("clone_transposed", "clone", [rn(3, 2, view=T2)])
case("contiguous_permuted", "contiguous", [rn(2, 3, 4, view=P3)])

# gradient kinks: torch's convention is checked, not finite differences
case("abs_at_zero", "abs", [val([-1.0, 0.0, 2.0])], gradcheck=False)
case("relu_at_zero", "relu", [val([-1.0, 0.0, 2.0])], gradcheck=False)
case("clamp_at_bounds", "clamp", [val([-1.0, -0.5, 0.0, 0.5, 1.0])], gradcheck=False, min=-0.5, max=0.5)
case("max_ties", "max", [val([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])], gradcheck=False, axes=[1], keep=False)
case("max_all_ties", "max", [val([[1.0, 3.0], [3.0, 0.0]])], gradcheck=False)
case("min_ties", "min", [val([[1.0, 1.0], [0.0, 4.0]])], gradcheck=False, axes=[0], keep=True)

# comparisons and logic (with broadcasting)
case("eq", "eq", [val([1.0, 2.0, 3.0]), val([[1.0], [3.0]])])
case("ne", "ne", [val([1.0, 2.0, 3.0]), val([2.0])])
case("lt", "lt", [rn(2, 3), rn(3)])
case("le", "le", [val([1.0, 2.0, 3.0]), val([2.0, 2.0, 2.0])])
case("gt", "gt", [rn(3, 1), rn(1, 3)])
case("ge", "ge", [val([1.0, 2.0, 3.0]), val([2.0, 2.0, 2.0])])
case("eq_scalar", "eq_s", [ri(0, 3, 6)], s=1)
case("lt_scalar", "lt_s", [rn(2, 3)], s=0.0)
case("gt_scalar", "gt_s", [rn(2, 3, view=T2)], s=0.25)
case("and", "and", [mask(2, 3), mask(3)])
case("or", "or", [mask(2, 3), mask(2, 1)])
case("xor", "xor", [mask(4), mask(4)])
case("not", "not", [mask(2, 3)])
case("where", "where", [mask(2, 3), rn(2, 3), rn(2, 3)])
case("where_broadcast", "where", [mask(3, 1), rn(1, 4), rn(4)])
case("where_transposed", "where", [mask(3, 2, view=T2), rn(2, 3), rn()])
case("masked_fill", "masked_fill", [rn(2, 3), mask(2, 3)], value=-9.0)
case("masked_fill_broadcast_mask", "masked_fill", [rn(3, 4), mask(4)], value=0.5)

# reductions: all, single, multiple and negative axes, keepdim, non-contiguous input, empty dims
case("sum_all", "sum", [rn(2, 3, 4)])
case("sum_axis0", "sum", [rn(2, 3, 4)], axes=[0], keep=False)
case("sum_neg_axis_keep", "sum", [rn(2, 3, 4)], axes=[-1], keep=True)
case("sum_two_axes", "sum", [rn(2, 3, 4)], axes=[0, 2], keep=False)
case("sum_two_axes_keep", "sum", [rn(2, 3, 4)], axes=[-3, -1], keep=True)
case("sum_permuted", "sum", [rn(2, 3, 4, view=P3)], axes=[1], keep=False)
case("sum_empty_rows", "sum", [rn(0, 3)], axes=[0], keep=False)
case("sum_empty_all", "sum", [rn(0, 3)])
case("sum_empty_keep", "sum", [rn(2, 0)], axes=[1], keep=True)
case("mean_all", "mean", [rn(3, 4)])
case("mean_axis1", "mean", [rn(3, 4)], axes=[1], keep=False)
case("mean_two_axes_keep", "mean", [rn(2, 3, 4)], axes=[1, -1], keep=True)
case("mean_transposed", "mean", [rn(3, 4, view=T2)], axes=[-1], keep=False)
case("max_all", "max", [rn(3, 4)])
case("max_axis", "max", [rn(3, 4)], axes=[1], keep=False)
case("max_neg_axis_keep", "max", [rn(2, 3, 4)], axes=[-2], keep=True)
case("max_two_axes", "max", [rn(2, 3, 4)], axes=[0, 2], keep=False)
case("min_all", "min", [rn(3, 4)])
case("min_axis_keep", "min", [rn(3, 4)], axes=[0], keep=True)
case("min_strided", "min", [rn(3, 8, view=EVERY2)], axes=[-1], keep=False)
case("var_axis", "var", [rn(3, 5)], axes=[1], keep=False, correction=1)
case("var_population", "var", [rn(3, 5)], axes=[-1], keep=True, correction=0)
case("var_two_axes", "var", [rn(2, 3, 4)], axes=[0, 2], keep=False, correction=1)
case("var_correction2", "var", [rn(6, 2)], axes=[0], keep=False, correction=2)
case("std_axis", "std", [rn(4, 3)], axes=[0], keep=False, correction=1)
case("std_population_keep", "std", [rn(2, 3, 4)], axes=[-1, -2], keep=True, correction=0)
case("logsumexp_axis", "logsumexp", [rn(3, 4)], axes=[1], keep=False)
case("logsumexp_two_axes_keep", "logsumexp", [rn(2, 3, 4)], axes=[0, -1], keep=True)
case("logsumexp_large", "logsumexp", [val([[100.0, 101.0, 99.0], [-100.0, -101.0, -99.0]])], axes=[1], keep=False)
case("argmax_axis", "argmax", [rn(3, 4)], axis=1, keep=False)
case("argmax_neg_keep", "argmax", [rn(2, 3, 4)], axis=-2, keep=True)
case("argmin_axis0", "argmin", [rn(3, 4)], axis=0, keep=False)
case("argmin_transposed", "argmin", [rn(4, 3, view=T2)], axis=1, keep=True)
case("argmax_ties_first", "argmax", [val([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])], axis=1, keep=False)
case("argmax_all", "argmax_all", [rn(3, 4)])
case("softmax_axis0", "softmax", [rn(3, 4)], axis=0)
case("softmax_axis1", "softmax", [rn(3, 4)], axis=1)
case("softmax_neg_axis", "softmax", [rn(2, 3, 4)], axis=-2)
case("softmax_last_permuted", "softmax", [rn(2, 3, 4, view=P3)], axis=-1)
case("softmax_large", "softmax", [val([[1000.0, 1001.0, 999.0]])], axis=1)
case("log_softmax_axis0", "log_softmax", [rn(3, 4)], axis=0)
case("log_softmax_axis1", "log_softmax", [rn(3, 4)], axis=1)
case("log_softmax_neg_axis", "log_softmax", [rn(2, 3, 4)], axis=-3)
case("log_softmax_transposed", "log_softmax", [rn(4, 3, view=T2)], axis=-1)

# matmul
case("matmul_dot", "matmul", [rn(4), rn(4)])
case("matmul_vec_mat", "matmul", [rn(3), rn(3, 4)])
case("matmul_mat_vec", "matmul", [rn(2, 3), rn(3)])
case("matmul_mat_mat", "matmul", [rn(2, 3), rn(3, 4)])
case("matmul_transposed_a", "matmul", [rn(3, 2, view=T2), rn(3, 4)])
case("matmul_transposed_both", "matmul", [rn(3, 2, view=T2), rn(4, 3, view=T2)])
case("matmul_batched", "matmul", [rn(2, 3, 4), rn(2, 4, 2)])
case("matmul_batch_broadcast", "matmul", [rn(2, 1, 3, 4), rn(3, 4, 2)])
case("matmul_batch_mat", "matmul", [rn(2, 3, 4), rn(4, 5)])
case("matmul_vec_batch", "matmul", [rn(3), rn(2, 3, 2)])
case("matmul_batch_vec", "matmul", [rn(2, 2, 3), rn(3)])
case("matmul_empty_inner", "matmul", [rn(2, 0), rn(0, 3)])

# joining and splitting
case("cat_dim0", "cat", [rn(2, 3), rn(1, 3)], dim=0)
case("cat_neg_dim", "cat", [rn(2, 1), rn(2, 3), rn(2, 2)], dim=-1)
case("cat_transposed", "cat", [rn(3, 2, view=T2), rn(2, 3)], dim=0)
case("cat_empty_piece", "cat", [rn(2, 3), rn(0, 3), rn(1, 3)], dim=0)
case("stack_dim0", "stack", [rn(2, 3), rn(2, 3)], dim=0)
case("stack_last", "stack", [rn(2, 3), rn(2, 3, view=[["slice", 0, 0, 2, 1]]), rn(2, 3)], dim=-1)
case("split_sizes", "split_sizes", [rn(5, 2)], sizes=[2, 3], dim=0)
case("split_size", "split_size", [rn(2, 7)], size=3, dim=-1)
case("chunk", "chunk", [rn(7, 2)], chunks=3, dim=0)
case("chunk_uneven", "chunk", [rn(2, 5)], chunks=2, dim=1)

# indexing
case("gather_dim1", "gather", [rn(3, 4), ri(0, 4, 3, 2)], dim=1)
case("gather_dim0", "gather", [rn(3, 4), ri(0, 3, 2, 4)], dim=0)
case("gather_neg_dim3", "gather", [rn(2, 3, 4), ri(0, 4, 2, 3, 5)], dim=-1)
case("scatter_add_dim0", "scatter_add", [rn(3, 4), ri(0, 3, 5, 4), rn(5, 4)], dim=0)
case("scatter_add_dim1", "scatter_add", [rn(2, 5), ri(0, 5, 2, 6), rn(2, 6)], dim=1)
case("scatter_dim1", "scatter", [rn(2, 5), perm_index(5, 2, [2, 3], 1), rn(2, 3)], dim=1)
case("scatter_dim0", "scatter", [rn(4, 3), perm_index(4, 3, [2, 3], 0), rn(2, 3)], dim=0)
case("index_select_dim0", "index_select", [rn(4, 3), val([2, 0, 2], "int64")], dim=0)
case("index_select_neg_dim", "index_select", [rn(2, 5), val([4, 1], "int64")], dim=-1)
case("index_select_2d_index", "index_select", [rn(5, 3), val([[0, 4], [1, 1]], "int64")], dim=0)
case("one_hot", "one_hot", [val([0, 2, 1, 3], "int64")], n=4)
case("one_hot_2d", "one_hot", [val([[1, 0], [2, 2]], "int64")], n=3)
case("pad_last", "pad", [rn(2, 3)], pad=[1, 2], value=0.0)
case("pad_two_dims", "pad", [rn(2, 3)], pad=[0, 1, 2, 0], value=-1.0)
case("pad_negative", "pad", [rn(3, 5)], pad=[-1, 2, 1, -2], value=0.5)
case("pad_transposed", "pad", [rn(3, 2, view=T2)], pad=[1, 1], value=0.0)

# views applied to non-contiguous inputs
case("reshape", "reshape", [rn(2, 6)], shape=[3, -1])
case("reshape_transposed", "reshape", [rn(3, 4, view=T2)], shape=[2, 6])
case("flatten_all", "flatten", [rn(2, 3, 4, view=P3)], start=0, end=-1)
case("flatten_middle", "flatten", [rn(2, 3, 4, 2)], start=1, end=2)
case("permute", "permute", [rn(2, 3, 4)], dims=[2, 0, 1])
case("permute_permuted", "permute", [rn(2, 3, 4, view=P3)], dims=[1, 2, 0])
case("transpose_neg", "transpose", [rn(2, 3, 4)], d0=-1, d1=0)
case("t", "t", [rn(2, 3, view=T2)])
case("unsqueeze_front", "unsqueeze", [rn(3, 2, view=T2)], dim=0)
case("unsqueeze_neg", "unsqueeze", [rn(2, 3)], dim=-1)
case("squeeze_all", "squeeze", [rn(1, 3, 1)])
case("squeeze_dim", "squeeze", [rn(1, 3, 1)], dim=-1)
case("expand", "expand", [rn(3, 1)], shape=[3, 4])
case("expand_new_dims", "expand", [rn(3)], shape=[2, 4, 3])
case("expand_transposed", "expand", [rn(1, 3, view=T2)], shape=[3, 5])
case("slice_step", "slice", [rn(7, 2)], dim=0, start=1, end=7, step=2)
case("slice_negative_start", "slice", [rn(2, 6)], dim=-1, start=-4, end=-1, step=1)
case("slice_negative_step", "slice", [rn(6, 2)], dim=0, start=4, end=0, step=-2)
case("slice_reverse_all", "slice", [rn(2, 5, view=T2)], dim=0, start=-1, end=-100, step=-1)
case("slice_clamped_end", "slice", [rn(4, 3)], dim=1, start=1, end=100, step=1)
case("slice_empty", "slice", [rn(4, 3)], dim=0, start=3, end=1, step=1)
case("narrow", "narrow", [rn(4, 5, view=T2)], dim=1, start=1, length=2)
case("select", "select", [rn(2, 3, 4, view=P3)], dim=1, index=1)
case("select_neg", "select", [rn(3, 4)], dim=-1, index=-1)

# Float64 and Int64
case("add_f64", "add", [rn(2, 3, dtype="float64"), rn(3, dtype="float64")])
case("exp_f64", "exp", [rn(2, 3, dtype="float64")])
case("matmul_f64", "matmul", [rn(2, 3, dtype="float64"), rn(3, 2, dtype="float64")])
case("softmax_f64", "softmax", [rn(3, 4, dtype="float64")], axis=-1)
case("var_f64", "var", [rn(3, 4, dtype="float64")], axes=[1], keep=False, correction=1)
case("add_i64", "add", [ri(-5, 5, 2, 3), ri(-5, 5, 3)])
case("sub_i64", "sub", [ri(-5, 5, 2, 3), ri(-5, 5, 2, 1)])
case("mul_i64", "mul", [ri(-5, 5, 2, 3), ri(-5, 5, 2, 3)])
case("floordiv_i64", "floordiv", [ri(-9, 9, 2, 4), nz(-4, 4, 4)])
case("pow_i64", "pow", [ri(-3, 4, 5), ri(0, 4, 5)])
case("neg_i64", "neg", [ri(-5, 5, 4)])
case("abs_i64", "abs", [ri(-5, 5, 4)])
case("maximum_i64", "maximum", [ri(-5, 5, 2, 3), ri(-5, 5, 3)])
case("sum_i64", "sum", [ri(-5, 5, 3, 4)], axes=[1], keep=False)
case("max_i64", "max", [ri(-5, 5, 3, 4)], axes=[0], keep=False)
case("argmax_i64", "argmax", [ri(-50, 50, 3, 4)], axis=1, keep=False)
case("lt_i64", "lt", [ri(-3, 3, 2, 3), ri(-3, 3, 3)])
case("where_i64", "where", [mask(2, 3), ri(0, 9, 2, 3), ri(0, 9, 3)])
case("cat_i64", "cat", [ri(0, 9, 2, 2), ri(0, 9, 1, 2)], dim=0)
case("transpose_i64", "transpose", [ri(0, 9, 2, 3)], d0=0, d1=1)
case("add_scalar_i64", "add_s", [ri(0, 9, 4)], s=3)
case("mul_scalar_i64", "mul_s", [ri(0, 9, 4)], s=-2)


# ------------------------------------------------------------------ serialisation

def dtype_name(t):
    return {v: k for k, v in DTYPES.items()}[t.dtype]


def encode(t):
    """Shape, dtype and flat values; floats with 9 (float32) or 17 (float64) significant digits."""
    flat = t.detach().contiguous().reshape(-1).tolist()
    name = dtype_name(t)
    if name == "float32":
        data = [float("%.9g" % v) for v in flat]
    elif name == "bool":
        data = [int(v) for v in flat]
    else:
        data = flat
    return {"shape": list(t.shape), "dtype": name, "data": data}


def run_case(name, op, inputs, args, gradcheck):
    fn = OPS[op]
    bases = [i["t"].clone() for i in inputs]
    diff = op not in NO_GRAD and any(b.is_floating_point() for b in bases)
    for b in bases:
        if diff and b.is_floating_point():
            b.requires_grad_(True)
    views = [apply_view(b, i["view"]) for b, i in zip(bases, inputs)]
    out = fn(views, args)
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    entry = {"name": name, "op": op, "args": args,
             "inputs": [dict(encode(b), view=i["view"]) for b, i in zip(bases, inputs)],
             "outputs": [encode(o) for o in outs]}
    diff = diff and all(o.is_floating_point() and o.requires_grad for o in outs)
    if diff:
        rs = [torch.randn(o.shape, generator=GEN, dtype=o.dtype) for o in outs]
        loss = sum((o * r).sum() for o, r in zip(outs, rs))
        floats = [b for b in bases if b.is_floating_point()]
        grads = torch.autograd.grad(loss, floats, allow_unused=True)
        grads = [torch.zeros_like(b) if g is None else g for b, g in zip(floats, grads)]
        entry["r"] = [encode(r) for r in rs]
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
        "header": {"generator": "tools/make_fixtures.py", "torch": torch.__version__, "seed": SEED,
                   "rng": "torch.Generator (mt19937), manual_seed(seed), cases drawn in file order",
                   "cases": len(CASES)},
        "cases": [run_case(*c) for c in CASES],
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {len(CASES)} cases to {os.path.normpath(OUT)} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
