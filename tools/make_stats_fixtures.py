#!/usr/bin/python3
"""Reference values for Dendrite.Distributions, SpecialFunctions and Statistics, from torch.distributions, SciPy
and NumPy.

Run as `/usr/bin/python3 tools/make_stats_fixtures.py` from the repository root; it rewrites
tests/fixtures/stats.json. Every distribution entry has float64 parameters of one shape (the batch shape), values
of that shape, and the expected log_prob, cdf (null where the library has none), mean, variance and entropy, plus
the gradient of sum(log_prob) with respect to each parameter. Cdfs of the discrete distributions and the Poisson
entropy come from SciPy (torch has none); Categorical's mean and variance are those of the class index (NumPy).
The C# side is tests/Dendrite.Core.Tests/Math/DistributionTests.cs and StatisticsTests.cs.
"""
import json
import os

import numpy as np
import scipy
import scipy.special
import scipy.stats as st
import torch
import torch.distributions as D

torch.manual_seed(20261207)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "stats.json")
f64 = torch.float64


def t(x):
    return torch.tensor(x, dtype=f64, requires_grad=True)


def lst(x):
    if isinstance(x, torch.Tensor):
        x = x.detach().numpy()
    return np.asarray(x, dtype=np.float64).reshape(-1).tolist()


def entry(name, dist, params, values, cdf=None, mean=None, variance=None, entropy=None, extra=None):
    lp = dist.log_prob(values)
    lp.sum().backward()
    e = {
        "name": name,
        "params": {k: lst(v) for k, v in params.items()},
        "shape": list(next(iter(params.values())).shape),
        "values": lst(values),
        "values_shape": list(values.shape),
        "log_prob": lst(lp),
        "cdf": None if cdf is None else lst(cdf),
        "mean": lst(dist.mean if mean is None else mean),
        "variance": lst(dist.variance if variance is None else variance),
        "entropy": lst(dist.entropy() if entropy is None else entropy),
        "grad": {k: lst(v.grad) for k, v in params.items() if v.grad is not None},
    }
    e.update(extra or {})
    return e


dists = []

loc, scale = t([0.0, 1.5, -2.0]), t([1.0, 0.5, 3.0])
x = torch.tensor([0.3, 1.0, -7.5], dtype=f64)
d = D.Normal(loc, scale)
dists.append(entry("normal", d, {"loc": loc, "scale": scale}, x, cdf=d.cdf(x)))

low, high = t([0.0, -1.0, 2.0]), t([1.0, 3.0, 2.5])
x = torch.tensor([0.25, 2.9, 2.1], dtype=f64)
d = D.Uniform(low, high)
dists.append(entry("uniform", d, {"low": low, "high": high}, x, cdf=d.cdf(x)))

rate = t([0.5, 1.0, 4.0])
x = torch.tensor([0.1, 2.0, 0.75], dtype=f64)
d = D.Exponential(rate)
dists.append(entry("exponential", d, {"rate": rate}, x, cdf=d.cdf(x)))

a, b = t([0.5, 2.0, 7.5]), t([1.0, 0.5, 3.0])
x = torch.tensor([0.3, 4.0, 2.2], dtype=f64)
d = D.Gamma(a, b)
dists.append(entry("gamma", d, {"concentration": a, "rate": b}, x))

a, b = t([0.5, 2.0, 5.0]), t([0.5, 3.0, 1.5])
x = torch.tensor([0.1, 0.4, 0.95], dtype=f64)
d = D.Beta(a, b)
dists.append(entry("beta", d, {"alpha": a, "beta": b}, x))

p = t([0.2, 0.5, 0.9])
x = torch.tensor([1.0, 0.0, 1.0], dtype=f64)
d = D.Bernoulli(probs=p)
dists.append(entry("bernoulli", d, {"probs": p}, x, cdf=st.bernoulli.cdf(x.numpy(), p.detach().numpy())))

n = 12
p = t([0.1, 0.5, 0.85])
x = torch.tensor([2.0, 6.0, 12.0], dtype=f64)
d = D.Binomial(total_count=n, probs=p)
dists.append(entry("binomial", d, {"probs": p}, x, cdf=st.binom.cdf(x.numpy(), n, p.detach().numpy()),
                   extra={"total_count": n}))

rate = t([0.7, 4.0, 35.0])
x = torch.tensor([0.0, 5.0, 30.0], dtype=f64)
d = D.Poisson(rate)
rn = rate.detach().numpy()
dists.append(entry("poisson", d, {"rate": rate}, x, cdf=st.poisson.cdf(x.numpy(), rn), entropy=st.poisson.entropy(rn)))

probs = t([[0.1, 0.2, 0.3, 0.4], [0.7, 0.1, 0.1, 0.1]])
x = torch.tensor([3, 0], dtype=torch.int64)
d = D.Categorical(probs=probs)
k = np.arange(4.0)
pn = probs.detach().numpy()
mean = (pn * k).sum(-1)
var = (pn * k * k).sum(-1) - mean ** 2
dists.append(entry("categorical", d, {"probs": probs}, x, mean=mean, variance=var))

loc = t([1.0, -1.0, 0.5])
cov = torch.tensor([[2.0, 0.3, 0.1], [0.3, 1.0, -0.2], [0.1, -0.2, 0.5]], dtype=f64)
x = torch.tensor([[0.0, 0.0, 0.0], [1.5, -0.5, 1.0], [3.0, 2.0, -1.0], [1.0, -1.0, 0.5]], dtype=f64)
d = D.MultivariateNormal(loc, covariance_matrix=cov)
dists.append(entry("mvn", d, {"loc": loc}, x, extra={"covariance": lst(cov), "scale_tril": lst(d.scale_tril)}))

# Special functions.
z = torch.tensor([0.1, 0.5, 1.0, 2.5, 7.0, 30.0, 171.5, -0.5, -2.5], dtype=f64)
special = {
    "x": lst(z),
    "lgamma": lst(torch.lgamma(z)),
    "digamma": lst(torch.digamma(z)),
    # torch.polygamma(1, ·) is off by 1e-11 relative near 0; SciPy agrees with mpmath to 1e-15.
    "trigamma": lst(scipy.special.polygamma(1, z[z > 0].numpy())),
}

# Descriptive statistics.
g = torch.Generator().manual_seed(7)
sample = torch.randint(0, 9, (23,), generator=g).to(f64) + torch.round(torch.rand(23, generator=g, dtype=f64) * 4) / 4
qs = [0.0, 0.1, 0.25, 0.5, 0.73, 0.9, 1.0]
matrix = torch.randn(3, 20, generator=g, dtype=f64)
matrix[2] = 0.6 * matrix[0] - 0.3 * matrix[1] + 0.2 * matrix[2]
normal_sample = torch.randn(200, generator=g, dtype=f64)
stats = {
    "x": lst(sample),
    "mean": sample.mean().item(),
    "var": sample.var().item(),
    "var_population": sample.var(unbiased=False).item(),
    "median": sample.median().item(),
    "mode": torch.mode(sample).values.item(),
    "q": qs,
    "quantiles": lst(torch.quantile(sample, torch.tensor(qs, dtype=f64))),
    "histc_bins": 7,
    "histc": lst(torch.histc(sample, bins=7)),
    "histc_range": [1.0, 6.0],
    "histc_ranged": lst(torch.histc(sample, bins=5, min=1.0, max=6.0)),
    "matrix": lst(matrix),
    "cov": lst(torch.cov(matrix)),
    "corrcoef": lst(torch.corrcoef(matrix)),
    "pearson01": st.pearsonr(matrix[0].numpy(), matrix[2].numpy())[0],
    "normal_sample": lst(normal_sample),
    "ks_normal": st.kstest(normal_sample.numpy(), "norm").statistic,
}

meta = {"generator": "tools/make_stats_fixtures.py", "torch": torch.__version__, "scipy": scipy.__version__}
with open(OUT, "w") as fh:
    json.dump({"meta": meta, "distributions": dists, "special": special, "stats": stats}, fh, indent=1)
print("wrote", OUT)
