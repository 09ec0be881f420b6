#!/usr/bin/python3
"""Reference facts about torchvision's classic CNNs for the zoo tests, computed with torchvision 0.14.

Run as `/usr/bin/python3 tools/make_zoo_fixtures.py` from the repository root; it rewrites
tests/fixtures/zoo.json. Models are built with random weights only (nothing is downloaded). For each model:
  * params: the parameter count (what torchvision reports, buffers excluded);
  * state: every state-dict name with its shape, in order (batch-norm buffers included);
  * for the parity models, logits: the eval-mode output on a formula input after every state tensor was set
    by a formula (below), so the tests rebuild the same weights in C# without a weight file.

The formula (also in tests/Dendrite.Nn.Tests/Models/ZooFormula.cs): for state tensor number k (in state-dict
order, num_batches_tracked skipped) and flat index i, v = ((i·7919 + k·104729 + 17) mod 2003 - 1001) / 1001,
a value in [-1, 1]; then running_var → 1 + 0.5·v, running_mean → 0.2·v, other 1-D tensors named *.weight →
1 + 0.2·v, other 1-D tensors → 0.1·v, tensors of rank ≥ 2 → v·√(6 / fan_in), fan_in = numel / shape[0]. All
in float64, cast to float32 at the end. The input: x[i] = ((i·131 + 7) mod 97 - 48) / 48.
"""
import json
import os

import numpy as np
import torch
import torchvision
from torchvision import models

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "zoo.json")

# name → constructor with random weights.
MODELS = {
    "alexnet": lambda: models.alexnet(),
    "vgg11": lambda: models.vgg11(), "vgg11_bn": lambda: models.vgg11_bn(),
    "vgg13": lambda: models.vgg13(), "vgg13_bn": lambda: models.vgg13_bn(),
    "vgg16": lambda: models.vgg16(), "vgg16_bn": lambda: models.vgg16_bn(),
    "vgg19": lambda: models.vgg19(), "vgg19_bn": lambda: models.vgg19_bn(),
    "googlenet": lambda: models.googlenet(aux_logits=False, init_weights=False),
    "googlenet_aux": lambda: models.googlenet(aux_logits=True, init_weights=False),
    "resnet18": lambda: models.resnet18(), "resnet34": lambda: models.resnet34(),
    "resnet50": lambda: models.resnet50(), "resnet101": lambda: models.resnet101(),
    "resnet152": lambda: models.resnet152(),
    "inception_v3": lambda: models.inception_v3(aux_logits=False, init_weights=False),
    "inception_v3_aux": lambda: models.inception_v3(aux_logits=True, init_weights=False),
    "mobilenet_v2": lambda: models.mobilenet_v2(),
    "densenet121": lambda: models.densenet121(), "densenet169": lambda: models.densenet169(),
}

# Parity runs: model, constructor, input shape (small, so the test stays fast).
PARITY = [
    ("resnet18", lambda: models.resnet18(num_classes=10), [2, 3, 32, 32]),
    ("vgg11", lambda: models.vgg11(num_classes=10), [1, 3, 32, 32]),
    ("mobilenet_v2", lambda: models.mobilenet_v2(num_classes=10), [2, 3, 32, 32]),
    ("densenet121", lambda: models.densenet121(num_classes=10), [1, 3, 32, 32]),
    ("googlenet", lambda: models.googlenet(num_classes=10, aux_logits=False, init_weights=False,
                                           transform_input=False), [1, 3, 64, 64]),
    ("resnet50", lambda: models.resnet50(num_classes=10), [1, 3, 32, 32]),
]


def formula(k, name, shape):
    n = int(np.prod(shape)) if len(shape) else 1
    i = np.arange(n, dtype=np.int64)
    v = ((i * 7919 + k * 104729 + 17) % 2003 - 1001).astype(np.float64) / 1001.0
    if name.endswith("running_var"):
        v = 1 + 0.5 * v
    elif name.endswith("running_mean"):
        v = 0.2 * v
    elif len(shape) == 1 and name.endswith(".weight"):
        v = 1 + 0.2 * v
    elif len(shape) == 1:
        v = 0.1 * v
    else:
        v = v * np.sqrt(6.0 / (n // shape[0]))
    return torch.from_numpy(v.astype(np.float32).reshape(shape))


def formula_input(shape):
    i = np.arange(int(np.prod(shape)), dtype=np.int64)
    return torch.from_numpy((((i * 131 + 7) % 97 - 48).astype(np.float64) / 48.0).astype(np.float32).reshape(shape))


def state_of(model):
    return [[k, list(v.shape)] for k, v in model.state_dict().items()]


def parity(name, make, shape):
    model = make()
    sd = model.state_dict()
    k = 0
    for key, value in sd.items():
        if key.endswith("num_batches_tracked"):
            continue
        value.copy_(formula(k, key, list(value.shape)))
        k += 1
    model.eval()
    with torch.no_grad():
        y = model(formula_input(shape))
    return {"model": name, "input": shape, "logits": [float(f"{v:.8g}") for v in y.reshape(-1).tolist()],
            "shape": list(y.shape)}


def main():
    torch.manual_seed(0)
    out = {}
    for name, make in MODELS.items():
        m = make()
        out[name] = {"params": sum(p.numel() for p in m.parameters()), "state": state_of(m)}
        print(f"{name}: {out[name]['params']:,}")
    runs = [parity(*p) for p in PARITY]
    header = {"generator": "tools/make_zoo_fixtures.py", "torch": torch.__version__,
              "torchvision": torchvision.__version__}
    with open(OUT, "w") as f:
        json.dump({"header": header, "models": out, "parity": runs}, f, separators=(",", ":"))
    print(f"wrote {len(out)} models and {len(runs)} parity runs to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
