#!/usr/bin/python3
"""Reference values for the Dendrite.Nn tests, computed with PyTorch.

Run as `/usr/bin/python3 tools/make_nn_fixtures.py` from the repository root; it rewrites
tests/fixtures/nn.json. Every input is drawn here from one seeded torch.Generator and stored in the
fixture, so the C# tests (tests/Dendrite.Nn.Tests) use exactly the same numbers.

Sections:
  layers       weight transplant: the layer's state dict, an input x, r, torch's output, the gradients of
               sum(out * r) for x and every parameter, the state dict names in torch's order, and the state
               after the forward (BatchNorm running statistics).
  activations  f(x) and the gradient of sum(f(x) * r).
  losses       the loss for each reduction and the gradient of sum(loss * r) for the prediction.
  optimizers   20 steps of torch.optim on a fixed least-squares problem: the parameters after every step.
  schedulers   the learning rate after construction and after each scheduler step.
  clip         gradients before and after clip_grad_norm_ / clip_grad_value_, and the returned norm.
"""
import json
import os
import warnings

import torch
import torch.nn as nn
import torch.nn.functional as F

SEED = 20240615
GEN = torch.Generator().manual_seed(SEED)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "nn.json")


def encode(t):
    """Shape, dtype and flat values; float32 with 9 significant digits."""
    t = t.detach().contiguous()
    flat = t.reshape(-1).tolist()
    if t.dtype == torch.float32:
        return {"shape": list(t.shape), "dtype": "float32", "data": [float("%.9g" % v) for v in flat]}
    if t.dtype == torch.int64:
        return {"shape": list(t.shape), "dtype": "int64", "data": flat}
    raise ValueError(f"unsupported dtype {t.dtype}")


def randn(*shape, scale=1.0):
    return torch.randn(shape, generator=GEN) * scale


def rand(*shape):
    return torch.rand(shape, generator=GEN)


# ------------------------------------------------------------------ layers (weight transplant)

class MlpTwin(nn.Module):
    """Dendrite's Mlp(MlpConfig(4, [5, 3], 2, "tanh")): a `layers` nn.Sequential, no flatten module."""

    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 3), nn.Tanh(), nn.Linear(3, 2))

    def forward(self, x):
        return self.layers(x)


def randomise(module):
    """Random values for every floating parameter and buffer (positive running variances)."""
    with torch.no_grad():
        for name, t in module.state_dict().items():
            if not t.is_floating_point():
                continue
            if name.endswith("running_var"):
                t.copy_(rand(*t.shape) + 0.5)
            else:
                t.copy_(randn(*t.shape))


def layer_case(name, module, x, args, train=True):
    randomise(module)
    module.train(train)
    before = {k: encode(v) for k, v in module.state_dict().items()}
    names = list(module.state_dict().keys())
    xin = x.clone().requires_grad_(x.is_floating_point())
    out = module(xin)
    r = randn(*out.shape)
    (out * r).sum().backward()
    entry = {"name": name, "args": args, "train": train, "state_names": names, "state": before,
             "input": encode(x), "output": encode(out), "r": encode(r),
             "param_grads": {k: encode(p.grad) for k, p in module.named_parameters()},
             "state_after": {k: encode(v) for k, v in module.state_dict().items()}}
    if x.is_floating_point():
        entry["input_grad"] = encode(xin.grad)
    return entry


def layers():
    return [
        layer_case("linear", nn.Linear(4, 3), randn(5, 4), {"in": 4, "out": 3, "bias": True}),
        layer_case("linear_nobias_batched", nn.Linear(4, 3, bias=False), randn(2, 3, 4),
                   {"in": 4, "out": 3, "bias": False}),
        layer_case("batchnorm1d_train_2d", nn.BatchNorm1d(3), randn(6, 3, scale=2), {"features": 3}),
        layer_case("batchnorm1d_train_3d", nn.BatchNorm1d(3, momentum=0.3), randn(4, 3, 5),
                   {"features": 3, "momentum": 0.3}),
        layer_case("batchnorm1d_eval", nn.BatchNorm1d(3), randn(6, 3), {"features": 3}, train=False),
        layer_case("layernorm", nn.LayerNorm(5), randn(3, 5, scale=3), {"shape": [5]}),
        layer_case("layernorm_2d", nn.LayerNorm([2, 3]), randn(4, 2, 3), {"shape": [2, 3]}),
        layer_case("embedding", nn.Embedding(7, 3), torch.randint(0, 7, (2, 4), generator=GEN),
                   {"num": 7, "dim": 3}),
        layer_case("prelu_channels", nn.PReLU(3), randn(2, 3, 5), {"num": 3}),
        layer_case("prelu_shared", nn.PReLU(), randn(4, 3), {"num": 1}),
        layer_case("mlp_tanh", MlpTwin(), randn(3, 4), {}),
    ]


# ------------------------------------------------------------------ activations

ACTIVATIONS = [
    ("binary_step", lambda x: torch.heaviside(x.detach(), torch.ones(()))),  # no derivative: zero gradient
    ("linear", lambda x: x),
    ("sigmoid", torch.sigmoid),
    ("tanh", torch.tanh),
    ("relu", F.relu),
    ("leaky_relu", lambda x: F.leaky_relu(x, 0.1)),
    ("elu", lambda x: F.elu(x, 1.2)),
    ("selu", F.selu),
    ("gelu", F.gelu),
    ("gelu_tanh", lambda x: F.gelu(x, approximate="tanh")),
    ("silu", F.silu),
    ("softplus", F.softplus),
    ("softsign", F.softsign),
    ("hardsigmoid", F.hardsigmoid),
    ("softmax", lambda x: F.softmax(x, dim=1)),
    ("log_softmax", lambda x: F.log_softmax(x, dim=1)),
]


KINKS = [[-3.0, -1.0, 0.0, 1.0, 3.0]]  # where piecewise definitions meet (gradients there are torch's convention)


def activation_case(name, f, x, r):
    x = x.clone().requires_grad_(True)
    y = f(x)
    grad = torch.autograd.grad((y * r).sum(), x)[0] if y.requires_grad else torch.zeros_like(x)
    return {"name": name, "input": encode(x), "output": encode(y), "r": encode(r), "grad": encode(grad)}


def activations():
    cases = []
    for name, f in ACTIVATIONS:
        cases.append(activation_case(name, f, randn(4, 6, scale=2.5), randn(4, 6)))
        cases.append(activation_case(name + "_kinks", f, torch.tensor(KINKS), torch.ones(1, 5)))
    return cases


# ------------------------------------------------------------------ losses

def categorical_ce(p, t, reduction):
    per = -(t * p.log().clamp(min=-100)).sum(1)
    return {"mean": per.mean(), "sum": per.sum(), "none": per}[reduction]


def probs(n, c):
    return F.softmax(randn(n, c, scale=2), dim=1)


def loss_cases():
    n, c = 5, 4
    out = []

    def add(name, fn, pred, target, reductions=("mean", "sum", "none"), grad=True, **args):
        for red in reductions:
            p = pred.clone().requires_grad_(True)
            y = fn(p, target, red)
            r = randn(*y.shape)
            entry = {"name": f"{name}_{red}", "loss": name, "reduction": red, "args": args,
                     "prediction": encode(pred), "target": encode(target), "output": encode(y), "r": encode(r)}
            if grad:
                entry["grad"] = encode(torch.autograd.grad((y * r).sum(), p)[0])
            out.append(entry)

    add("mse", lambda p, t, red: F.mse_loss(p, t, reduction=red), randn(n, 3), randn(n, 3))
    add("mae", lambda p, t, red: F.l1_loss(p, t, reduction=red), randn(n, 3), randn(n, 3))
    add("rmse", lambda p, t, red: F.mse_loss(p, t).sqrt(), randn(n, 3), randn(n, 3), reductions=("mean",))
    add("huber", lambda p, t, red: F.huber_loss(p, t, reduction=red, delta=0.7), randn(n, 3, scale=1.5),
        randn(n, 3), delta=0.7)
    add("bce", lambda p, t, red: F.binary_cross_entropy(p, t, reduction=red), torch.sigmoid(randn(n, 3)),
        rand(n, 3))
    add("bce_edges", lambda p, t, red: F.binary_cross_entropy(p, t, reduction=red),
        torch.tensor([0.0, 1.0, 0.0, 1.0, 0.3]), torch.tensor([1.0, 0.0, 0.0, 1.0, 0.5]), grad=False)
    add("bce_logits", lambda p, t, red: F.binary_cross_entropy_with_logits(p, t, reduction=red),
        randn(n, 3, scale=3), rand(n, 3))
    add("bce_logits_zero", lambda p, t, red: F.binary_cross_entropy_with_logits(p, t, reduction=red),
        torch.tensor([0.0, 0.0, 0.0, 2.0, -2.0]), torch.tensor([0.0, 1.0, 0.5, 1.0, 0.0]))
    idx = torch.randint(0, c, (n,), generator=GEN)
    add("ce_index", lambda p, t, red: F.cross_entropy(p, t, reduction=red), randn(n, c, scale=2), idx)
    add("ce_index_smooth", lambda p, t, red: F.cross_entropy(p, t, reduction=red, label_smoothing=0.2),
        randn(n, c, scale=2), idx, smoothing=0.2)
    add("ce_probs", lambda p, t, red: F.cross_entropy(p, t, reduction=red), randn(n, c, scale=2), probs(n, c))
    add("ce_probs_smooth", lambda p, t, red: F.cross_entropy(p, t, reduction=red, label_smoothing=0.1),
        randn(n, c, scale=2), probs(n, c), smoothing=0.1)
    add("categorical_ce", categorical_ce, probs(n, c), probs(n, c))
    add("categorical_ce_index", lambda p, t, red: F.nll_loss(p.log().clamp(min=-100), t, reduction=red),
        probs(n, c), idx)
    add("nll", lambda p, t, red: F.nll_loss(p, t, reduction=red), F.log_softmax(randn(n, c), dim=1), idx)
    kl_target = probs(n, c)
    kl_target[0, 1] = 0.0  # 0 · log 0 = 0
    add("kl_batchmean", lambda p, t, red: F.kl_div(p, t, reduction="batchmean"), F.log_softmax(randn(n, c), dim=1),
        kl_target, reductions=("mean",))
    warnings.filterwarnings("ignore", message="reduction: 'mean' divides")  # the "mean" mode is tested on purpose
    add("kl_mean", lambda p, t, red: F.kl_div(p, t, reduction="mean"), F.log_softmax(randn(n, c), dim=1),
        kl_target, reductions=("mean",))
    add("l1_penalty", lambda p, t, red: 0.03 * p.abs().sum(), randn(3, 4), torch.zeros(0), reductions=("sum",),
        **{"lambda": 0.03})
    add("l2_penalty", lambda p, t, red: 0.05 * (p * p).sum(), randn(3, 4), torch.zeros(0), reductions=("sum",),
        **{"lambda": 0.05})
    return out


# ------------------------------------------------------------------ optimizers

STEPS = 20
OPTIMIZERS = [
    ("sgd", lambda ps: torch.optim.SGD(ps, lr=0.1)),
    ("sgd_weight_decay", lambda ps: torch.optim.SGD(ps, lr=0.1, weight_decay=0.05)),
    ("momentum", lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9)),
    ("momentum_dampening", lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.01)),
    ("nesterov", lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True)),
    ("adagrad", lambda ps: torch.optim.Adagrad(ps, lr=0.3, lr_decay=0.05)),
    ("adagrad_wd_init", lambda ps: torch.optim.Adagrad(ps, lr=0.3, weight_decay=0.1, initial_accumulator_value=0.5)),
    ("rmsprop", lambda ps: torch.optim.RMSprop(ps, lr=0.01, alpha=0.9)),
    ("rmsprop_momentum", lambda ps: torch.optim.RMSprop(ps, lr=0.01, alpha=0.9, momentum=0.8, weight_decay=0.02)),
    ("adam", lambda ps: torch.optim.Adam(ps, lr=0.05)),
    ("adam_weight_decay", lambda ps: torch.optim.Adam(ps, lr=0.05, betas=(0.8, 0.95), weight_decay=0.1)),
    ("adamw", lambda ps: torch.optim.AdamW(ps, lr=0.05, weight_decay=0.1)),
    ("groups_momentum", lambda ps: torch.optim.SGD([{"params": [ps[0]], "lr": 0.02}, {"params": [ps[1]]}],
                                                   lr=0.2, momentum=0.9)),
    ("groups_adam", lambda ps: torch.optim.Adam([{"params": [ps[0]]}, {"params": [ps[1]], "lr": 0.005}], lr=0.05)),
]


def optimizers():
    x, y = randn(6, 3), randn(6, 2)
    w0, b0 = randn(2, 3, scale=0.5), randn(2, scale=0.5)
    runs = []
    for name, make in OPTIMIZERS:
        w, b = w0.clone().requires_grad_(True), b0.clone().requires_grad_(True)
        opt = make([w, b])
        trajectory = []
        for _ in range(STEPS):
            opt.zero_grad()
            F.mse_loss(x @ w.t() + b, y).backward()
            opt.step()
            trajectory.append([encode(w), encode(b)])
        runs.append({"name": name, "trajectory": trajectory})
    return {"problem": {"x": encode(x), "y": encode(y), "w0": encode(w0), "b0": encode(b0),
                        "loss": "mse(x @ w.T + b, y)"}, "runs": runs}


# ------------------------------------------------------------------ schedulers

PLATEAU_METRICS = [1.0, 0.9, 0.95, 0.95, 0.95, 0.8, 0.85, 0.9, 0.9, 0.9, 0.79, 0.9, 0.9, 0.9, 0.9, 0.9]


def scheduler_case(name, make, epochs, metrics=None):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1)
    sched = make(opt)
    lrs = [opt.param_groups[0]["lr"]]
    for e in range(epochs):
        opt.step()
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[e])
        lrs.append(opt.param_groups[0]["lr"])
    entry = {"name": name, "lr0": 0.1, "lrs": lrs}
    if metrics is not None:
        entry["metrics"] = metrics
    return entry


def schedulers():
    lr_sched = torch.optim.lr_scheduler
    return [
        scheduler_case("step", lambda o: lr_sched.StepLR(o, step_size=3, gamma=0.5), 12),
        scheduler_case("exponential", lambda o: lr_sched.ExponentialLR(o, gamma=0.8), 12),
        scheduler_case("cosine", lambda o: lr_sched.CosineAnnealingLR(o, T_max=10, eta_min=0.01), 10),
        scheduler_case("warmup", lambda o: lr_sched.LinearLR(o, start_factor=0.25, end_factor=1.0, total_iters=3),
                       8),
        scheduler_case("plateau", lambda o: lr_sched.ReduceLROnPlateau(o, factor=0.5, patience=2, threshold=1e-4,
                                                                       min_lr=0.02),
                       len(PLATEAU_METRICS), PLATEAU_METRICS),
    ]


# ------------------------------------------------------------------ gradient clipping

def clip_case(name, kind, limit, scale):
    grads = [randn(2, 3, scale=scale), randn(4, scale=scale)]
    ps = [torch.zeros_like(g, requires_grad=True) for g in grads]
    for p, g in zip(ps, grads):
        p.grad = g.clone()
    entry = {"name": name, "kind": kind, "limit": limit, "before": [encode(g) for g in grads]}
    if kind == "norm":
        entry["total_norm"] = float(torch.nn.utils.clip_grad_norm_(ps, max_norm=limit))
    else:
        torch.nn.utils.clip_grad_value_(ps, clip_value=limit)
    entry["after"] = [encode(p.grad) for p in ps]
    return entry


def clips():
    return [clip_case("norm_clipped", "norm", 1.0, 2.0), clip_case("norm_unchanged", "norm", 100.0, 1.0),
            clip_case("value", "value", 0.5, 1.0)]


def main():
    fixture = {
        "header": {"generator": "tools/make_nn_fixtures.py", "torch": torch.__version__, "seed": SEED,
                   "rng": "torch.Generator (mt19937), manual_seed(seed), sections drawn in file order",
                   "optimizer_steps": STEPS},
        "layers": layers(),
        "activations": activations(),
        "losses": loss_cases(),
        "optimizers": optimizers(),
        "schedulers": schedulers(),
        "clip": clips(),
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {os.path.normpath(OUT)} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
