#!/usr/bin/python3
"""Reference values for the GAN tests (tests/Dendrite.Nn.Tests/GanTests.cs), computed with PyTorch and SciPy.

Run as `/usr/bin/python3 tools/make_gan_fixtures.py` from the repository root; it rewrites tests/fixtures/gan.json.
Every input is drawn here from one seeded torch.Generator and stored in the fixture.

Sections:
  losses   the GAN losses on logits, written with torch.nn.functional.binary_cross_entropy_with_logits exactly as
           the DCGAN reference (shared/reference/dcgan.py) uses them, and the gradient of each for its logits:
             discriminator  BCE(real, 1 - eps) + BCE(fake, 0)   (eps: one-sided label smoothing)
             generator      BCE(fake, 1)                         (non-saturating)
             minimax        -BCE(fake, 0) = mean log(1 - sigmoid(fake))
  frechet  the Frechet distance between Gaussians fitted to two feature sets, as pytorch-fid's
           calculate_frechet_distance computes it: numpy mean and cov (ddof 1) and scipy.linalg.sqrtm of S1 S2.
"""
import json
import os

import numpy as np
import scipy.linalg
import torch
import torch.nn.functional as F

SEED = 20261207
GEN = torch.Generator().manual_seed(SEED)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "gan.json")


def encode(t):
    t = t.detach().contiguous()
    if t.dtype == torch.float64:
        return {"shape": list(t.shape), "dtype": "float64", "data": [float(repr(v)) for v in t.reshape(-1).tolist()]}
    return {"shape": list(t.shape), "dtype": "float32", "data": [float("%.9g" % v) for v in t.reshape(-1).tolist()]}


def randn(*shape, scale=1.0):
    return torch.randn(shape, generator=GEN) * scale


def loss_cases():
    cases = []
    for name, real, fake, eps in [
        ("plain", randn(8, scale=2.0), randn(8, scale=2.0), 0.0),
        ("smoothed", randn(8, scale=2.0), randn(6, scale=2.0), 0.1),
        ("confident", randn(5, 1, scale=8.0), randn(5, 1, scale=8.0), 0.2),
    ]:
        r = real.clone().requires_grad_(True)
        f = fake.clone().requires_grad_(True)
        d = (F.binary_cross_entropy_with_logits(r, torch.full_like(r, 1 - eps))
             + F.binary_cross_entropy_with_logits(f, torch.zeros_like(f)))
        d.backward()
        fg = fake.clone().requires_grad_(True)
        g = F.binary_cross_entropy_with_logits(fg, torch.ones_like(fg))
        g.backward()
        fm = fake.clone().requires_grad_(True)
        m = -F.binary_cross_entropy_with_logits(fm, torch.zeros_like(fm))
        m.backward()
        cases.append({"name": name, "smoothing": eps, "real": encode(real), "fake": encode(fake),
                      "discriminator": d.item(), "discriminator_grad_real": encode(r.grad),
                      "discriminator_grad_fake": encode(f.grad),
                      "generator": g.item(), "generator_grad": encode(fg.grad),
                      "minimax": m.item(), "minimax_grad": encode(fm.grad)})
    return cases


def frechet(a, b):
    """pytorch-fid's formula on numpy arrays (N, F)."""
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean, _ = scipy.linalg.sqrtm(s1.dot(s2), disp=False)
    if np.iscomplexobj(covmean):
        covmean = covmean.real
    diff = mu1 - mu2
    return float(diff.dot(diff) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def frechet_cases():
    cases = []
    for name, n, m, f, shift, stretch in [
        ("same", 120, 120, 5, 0.0, 1.0),
        ("shifted", 100, 90, 6, 0.7, 1.0),
        ("stretched", 150, 80, 10, 0.2, 1.8),
    ]:
        mix = randn(f, f, scale=0.5).double()
        a = randn(n, f).double() @ mix + randn(f).double()
        b = (randn(m, f).double() @ mix) * stretch + shift
        if name == "same":
            b = randn(m, f).double() @ mix
            a = randn(n, f).double() @ mix
        cases.append({"name": name, "a": encode(a), "b": encode(b), "distance": frechet(a.numpy(), b.numpy())})
    return cases


def main():
    fixture = {
        "header": {"generator": "tools/make_gan_fixtures.py", "torch": torch.__version__, "scipy": scipy.__version__,
                   "seed": SEED, "rng": "torch.Generator (mt19937), manual_seed(seed), sections drawn in file order"},
        "losses": loss_cases(),
        "frechet": frechet_cases(),
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {os.path.normpath(OUT)} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
