#!/usr/bin/python3
"""Reference values for the variational-autoencoder ops and the autoencoder metrics.

Run as `/usr/bin/python3 tools/make_generative_fixtures.py` from the repository root; it rewrites
tests/fixtures/generative.json. Inputs are drawn here from one seeded torch.Generator (numpy's seeded
generator for the metrics) and stored in the fixture, so the C# tests use exactly the same numbers.

Sections:
  ops      for each op of Dendrite.Nn.Variational: the inputs, the per-sample output (N) computed with
           torch.distributions, and the gradients of sum(out * r) for every input.
  roc_auc  scores, 0/1 labels and sklearn.metrics.roc_auc_score (ties included).
  psnr     images, references and skimage.metrics.peak_signal_noise_ratio with data_range 1.
"""
import json
import os

import numpy as np
import torch
import torch.nn.functional as F
from skimage.metrics import peak_signal_noise_ratio
from sklearn.metrics import roc_auc_score
from torch.distributions import Bernoulli, Normal, kl_divergence

SEED = 20261207
GEN = torch.Generator().manual_seed(SEED)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "generative.json")


def encode(t):
    """Shape, dtype and flat values; float32 with 9 significant digits."""
    t = t.detach().contiguous()
    return {"shape": list(t.shape), "dtype": "float32", "data": [float("%.9g" % v) for v in t.reshape(-1).tolist()]}


def randn(*shape, scale=1.0):
    return torch.randn(shape, generator=GEN) * scale


def case(name, f, inputs):
    """f(*inputs) -> (N); gradients of sum(f * r) for every input."""
    xs = [x.clone().requires_grad_(True) for x in inputs]
    out = f(*xs)
    r = randn(*out.shape)
    (out * r).sum().backward()
    return {"name": name, "inputs": [encode(x) for x in xs], "r": encode(r), "out": encode(out),
            "grads": [encode(x.grad) for x in xs]}


def ops():
    n, d = 4, 5
    cases = []
    # KL(N(mu, exp(logvar)) || N(0, I)) summed over the code.
    cases.append(case("kl_standard_normal",
                      lambda mu, lv: kl_divergence(Normal(mu, torch.exp(0.5 * lv)), Normal(0.0, 1.0)).sum(-1),
                      [randn(n, d), randn(n, d, scale=0.7)]))
    # z = mu + exp(logvar / 2) * eps, eps given; reduced to (N) by a sum so every case has one layout.
    eps = randn(n, d)
    entry = case("reparameterize", lambda mu, lv: (mu + torch.exp(0.5 * lv) * eps).sum(-1),
                 [randn(n, d), randn(n, d, scale=0.7)])
    entry["noise"] = encode(eps)
    cases.append(entry)
    # log p(x | logits) for Bernoulli pixels, x in {0, 1} and also in [0, 1] (the cross-entropy form).
    x01 = (torch.rand((n, d), generator=GEN) > 0.5).float()
    entry = case("bernoulli_log_likelihood", lambda z: Bernoulli(logits=z).log_prob(x01).sum(-1), [randn(n, d, scale=2)])
    entry["target"] = encode(x01)
    cases.append(entry)
    xg = torch.rand((n, d), generator=GEN)
    entry = case("bernoulli_log_likelihood_grey",
                 lambda z: -F.binary_cross_entropy_with_logits(z, xg, reduction="none").sum(-1),
                 [randn(n, d, scale=2)])
    entry["target"] = encode(xg)
    cases.append(entry)
    # log N(x; mean, exp(logvar)) with a per-element and with a shared (D) log-variance.
    xn = randn(n, d)
    entry = case("gaussian_log_likelihood",
                 lambda m, lv: Normal(m, torch.exp(0.5 * lv)).log_prob(xn).sum(-1),
                 [randn(n, d), randn(n, d, scale=0.5)])
    entry["target"] = encode(xn)
    cases.append(entry)
    entry = case("gaussian_log_likelihood_shared",
                 lambda m, lv: Normal(m, torch.exp(0.5 * lv)).log_prob(xn).sum(-1),
                 [randn(n, d), randn(d, scale=0.5)])
    entry["target"] = encode(xn)
    cases.append(entry)
    return cases


def roc_cases():
    rng = np.random.default_rng(SEED)
    cases = []
    for name, scores, labels in [
        ("separable", [0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1]),
        ("reversed", [0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1]),
        ("ties", [0.5, 0.5, 0.5, 0.2, 0.7, 0.7], [0, 1, 1, 0, 0, 1]),
        ("random", rng.normal(size=200).round(1).tolist(), rng.integers(0, 2, size=200).tolist()),
        ("shifted", (rng.normal(size=300) + np.repeat([0.0, 1.0], 150)).tolist(), np.repeat([0, 1], 150).tolist()),
    ]:
        cases.append({"name": name, "scores": [float(s) for s in scores], "labels": [int(v) for v in labels],
                      "auc": float(roc_auc_score(labels, scores))})
    return cases


def psnr_cases():
    rng = np.random.default_rng(SEED + 1)
    cases = []
    for name, shape, noise in [("small_noise", (3, 8, 8), 0.05), ("large_noise", (2, 28, 28), 0.3)]:
        ref = rng.uniform(size=shape).astype(np.float32)
        img = np.clip(ref + rng.normal(scale=noise, size=shape), 0, 1).astype(np.float32)
        cases.append({"name": name, "image": encode(torch.from_numpy(img)), "reference": encode(torch.from_numpy(ref)),
                      "psnr": float(peak_signal_noise_ratio(ref, img, data_range=1.0))})
    return cases


def main():
    import sklearn
    import skimage
    fixture = {
        "header": {"generator": "tools/make_generative_fixtures.py", "torch": torch.__version__,
                   "sklearn": sklearn.__version__, "skimage": skimage.__version__, "seed": SEED},
        "ops": ops(),
        "roc_auc": roc_cases(),
        "psnr": psnr_cases(),
    }
    with open(OUT, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {os.path.normpath(OUT)} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
