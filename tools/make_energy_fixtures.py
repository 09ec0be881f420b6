#!/usr/bin/python3
"""Exact reference values for Dendrite.Models.Energy (Boltzmann machine, RBMs, DBM), computed with PyTorch.

Run as `/usr/bin/python3 tools/make_energy_fixtures.py` from the repository root; it rewrites
tests/fixtures/energy.json. Every quantity is computed by brute force in float64, independently of the C# code's
Gray-code sums: the log partition function by enumerating every joint state (or, for Gaussian visibles, every hidden
state with the Gaussian integral in closed form), the mean log-likelihood of a small data set, and its gradient by
torch.autograd. The C# side is tests/Dendrite.Nn.Tests/Energy/EnergyFixtureTests.cs.
"""
import itertools
import json
import math
import os

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "energy.json")
torch.manual_seed(20261207)
torch.set_default_dtype(torch.float64)


def states(n):
    """All 2^n binary vectors, unit i = bit i of the row index."""
    return torch.tensor([[(k >> i) & 1 for i in range(n)] for k in range(1 << n)], dtype=torch.float64)


def mat(t):
    t = t.detach()
    return {"shape": list(t.shape), "data": t.reshape(-1).tolist()}


out = {"header": {"generator": "tools/make_energy_fixtures.py", "torch": torch.__version__, "seed": 20261207}}


def bernoulli_rbm(v_n, h_n, n_data):
    w = (0.8 * torch.randn(h_n, v_n)).requires_grad_()
    b = (0.5 * torch.randn(v_n)).requires_grad_()
    c = (0.5 * torch.randn(h_n)).requires_grad_()
    data = (torch.rand(n_data, v_n) < 0.4).double()
    v, h = states(v_n), states(h_n)
    # -E(v, h) for every pair: b.v + c.h + h W v
    neg_e = (v @ b)[:, None] + (h @ c)[None, :] + v @ w.t() @ h.t()
    log_z = torch.logsumexp(neg_e.reshape(-1), 0)
    free = -(data @ b) - torch.nn.functional.softplus(data @ w.t() + c).sum(1)
    ll = (-free).mean() - log_z
    gw, gb, gc = torch.autograd.grad(ll, [w, b, c])
    return {"visible": v_n, "hidden": h_n, "weight": mat(w), "visible_bias": mat(b), "hidden_bias": mat(c),
            "data": mat(data), "free_energy": free.tolist(), "log_z": log_z.item(), "log_likelihood": ll.item(),
            "grad_weight": mat(gw), "grad_visible_bias": mat(gb), "grad_hidden_bias": mat(gc)}


def gaussian_rbm(v_n, h_n, n_data):
    w = (0.5 * torch.randn(h_n, v_n)).requires_grad_()
    b = (0.5 * torch.randn(v_n)).requires_grad_()
    c = (0.5 * torch.randn(h_n)).requires_grad_()
    data = torch.randn(n_data, v_n)
    h = states(h_n)
    # Z = sum_h exp(c.h) (2 pi)^(V/2) exp(|b + W^T h|^2 / 2 - |b|^2 / 2)
    a = b[None, :] + h @ w
    log_z = torch.logsumexp(h @ c + 0.5 * (a * a).sum(1) - 0.5 * (b * b).sum(), 0) + 0.5 * v_n * math.log(2 * math.pi)
    free = 0.5 * ((data - b) ** 2).sum(1) - torch.nn.functional.softplus(data @ w.t() + c).sum(1)
    ll = (-free).mean() - log_z
    gw, gb, gc = torch.autograd.grad(ll, [w, b, c])
    return {"visible": v_n, "hidden": h_n, "weight": mat(w), "visible_bias": mat(b), "hidden_bias": mat(c),
            "data": mat(data), "free_energy": free.tolist(), "log_z": log_z.item(), "log_likelihood": ll.item(),
            "grad_weight": mat(gw), "grad_visible_bias": mat(gb), "grad_hidden_bias": mat(gc)}


def boltzmann(v_n, h_n, n_data):
    n = v_n + h_n
    upper = torch.triu(torch.randn(n, n), 1)
    w = (upper + upper.t()).requires_grad_()
    b = (0.5 * torch.randn(n)).requires_grad_()
    data = (torch.rand(n_data, v_n) < 0.5).double()
    s = states(n)
    neg_e = 0.5 * ((s @ w) * s).sum(1) + s @ b
    log_z = torch.logsumexp(neg_e, 0)
    # log p(v) = logsumexp over the joint states whose first V units equal v, minus log Z
    codes = (data * (2 ** torch.arange(v_n, dtype=torch.float64))).sum(1).long()
    visible_code = torch.arange(1 << n) & ((1 << v_n) - 1)
    ll = torch.stack([torch.logsumexp(neg_e[visible_code == k], 0) for k in codes.tolist()]).mean() - log_z
    gw, gb = torch.autograd.grad(ll, [w, b])
    # d/dW_ij for the symmetric pair: the learning rule's gradient counts the pair once, autograd splits it over
    # W_ij and W_ji, so the rule's value is gw_ij + gw_ji.
    return {"visible": v_n, "hidden": h_n, "weight": mat(w), "bias": mat(b), "data": mat(data),
            "log_z": log_z.item(), "log_likelihood": ll.item(), "grad_weight": mat(gw + gw.t()), "grad_bias": mat(gb)}


def dbm(v_n, h1, h2, n_data):
    w1, w2 = 0.7 * torch.randn(h1, v_n), 0.7 * torch.randn(h2, h1)
    b, c1, c2 = 0.3 * torch.randn(v_n), 0.3 * torch.randn(h1), 0.3 * torch.randn(h2)
    data = (torch.rand(n_data, v_n) < 0.5).double()
    v, a, z = states(v_n), states(h1), states(h2)
    # -E for every (v, h1, h2)
    neg_e = ((v @ b)[:, None, None] + (a @ c1)[None, :, None] + (z @ c2)[None, None, :]
             + (v @ w1.t() @ a.t())[:, :, None] + (a @ w2.t() @ z.t())[None, :, :])
    log_z = torch.logsumexp(neg_e.reshape(-1), 0)
    codes = (data * (2 ** torch.arange(v_n, dtype=torch.float64))).sum(1).long()
    ll = torch.logsumexp(neg_e.reshape(1 << v_n, -1)[codes], 1).mean() - log_z
    return {"visible": v_n, "hidden1": h1, "hidden2": h2, "w1": mat(w1), "w2": mat(w2), "b": mat(b), "c1": mat(c1),
            "c2": mat(c2), "data": mat(data), "log_z": log_z.item(), "log_likelihood": ll.item()}


out["bernoulli_rbm"] = bernoulli_rbm(6, 4, 10)
out["gaussian_rbm"] = gaussian_rbm(3, 4, 8)
out["boltzmann"] = boltzmann(4, 3, 9)
out["dbm"] = dbm(5, 3, 4, 7)

with open(OUT, "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
print("wrote", os.path.relpath(OUT))
