#!/usr/bin/python3
"""Reference outputs of the CIFAR ResNets of He et al. (2015, §4.2) for tests/Dendrite.Nn.Tests, from PyTorch 1.13.

Run as `/usr/bin/python3 tools/make_cifar_resnet_fixtures.py` from the repository root; it rewrites
tests/fixtures/cifar_resnet.json. torchvision has no CIFAR ResNet, so the network is written here as the paper
describes it (3×3 stem to 16 channels, three stages of n basic blocks at 16, 32, 64 channels, stride 2 at stages 2
and 3, global average pooling, a linear layer), with the state-dict names Dendrite.Models.CifarResNet uses. Option A
shortcuts take x[:, :, ::2, ::2] and append zero channels; option B uses a 1×1 strided convolution and batch norm.

For each case: the parameter count; for the cases run on an input, every state-dict name with its shape in order and
the logits of a formula input after every state tensor was set by the formula of tools/make_zoo_fixtures.py
(imported from there), in evaluation mode and in training mode (batch statistics), plus the gradient of the sum of
the training-mode logits with respect to the input. The tests rebuild the same weights in C# (ZooFormula) without a weight file.
"""
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_zoo_fixtures import formula, formula_input  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "cifar_resnet.json")


class Block(nn.Module):
    def __init__(self, cin, cout, stride, option):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.stride, self.cin, self.cout, self.option = stride, cin, cout, option
        if option == "B" and (stride != 1 or cin != cout):
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
        else:
            self.downsample = None

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        if self.downsample is not None:
            s = self.downsample(x)
        else:
            s = x[:, :, ::self.stride, ::self.stride]
            s = F.pad(s, (0, 0, 0, 0, 0, self.cout - self.cin))
        return F.relu(y + s)


class CifarResNet(nn.Module):
    def __init__(self, n, in_channels=3, classes=10, width=1, option="A"):
        super().__init__()
        w = [16 * width, 32 * width, 64 * width]
        self.conv1 = nn.Conv2d(in_channels, w[0], 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(w[0])
        self.layer1 = nn.Sequential(*[Block(w[0], w[0], 1, option) for _ in range(n)])
        self.layer2 = nn.Sequential(*[Block(w[0] if i == 0 else w[1], w[1], 2 if i == 0 else 1, option)
                                      for i in range(n)])
        self.layer3 = nn.Sequential(*[Block(w[1] if i == 0 else w[2], w[2], 2 if i == 0 else 1, option)
                                      for i in range(n)])
        self.fc = nn.Linear(w[2], classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


# name, blocks per stage, input channels, classes, width, option, input shape (or None: counts only).
CASES = [
    ("resnet20_a", 3, 1, 10, 1, "A", [2, 1, 28, 28]),
    ("resnet20_b", 3, 1, 10, 1, "B", [2, 1, 28, 28]),
    ("resnet8_w2_a", 1, 3, 5, 2, "A", [2, 3, 16, 16]),
    ("resnet20_cifar", 3, 3, 10, 1, "A", None),
    ("resnet32_cifar", 5, 3, 10, 1, "A", None),
    ("resnet44_cifar", 7, 3, 10, 1, "A", None),
    ("resnet56_cifar", 9, 3, 10, 1, "A", None),
    ("resnet110_cifar", 18, 3, 10, 1, "A", None),
]


def rounded(t):
    return [float(f"{v:.8g}") for v in t.reshape(-1).tolist()]


def case(name, n, cin, classes, width, option, shape):
    model = CifarResNet(n, cin, classes, width, option)
    out = {"blocks": n, "in_channels": cin, "classes": classes, "width": width, "option": option,
           "params": sum(p.numel() for p in model.parameters())}
    if shape is None:
        return out
    out["state"] = [[k, list(v.shape)] for k, v in model.state_dict().items()]
    k = 0
    with torch.no_grad():
        for key, value in model.state_dict().items():
            if key.endswith("num_batches_tracked"):
                continue
            value.copy_(formula(k, key, list(value.shape)))
            k += 1
    x = formula_input(shape)
    model.eval()
    with torch.no_grad():
        out["eval_logits"] = rounded(model(x))
    model.train()
    x.requires_grad_(True)
    y = model(x)
    y.sum().backward()
    out["input"] = shape
    out["train_logits"] = rounded(y.detach())
    out["input_grad"] = rounded(x.grad)
    return out


def main():
    torch.manual_seed(0)
    cases = {c[0]: case(*c) for c in CASES}
    for name, c in cases.items():
        print(f"{name}: {c['params']:,} parameters")
    header = {"generator": "tools/make_cifar_resnet_fixtures.py", "torch": torch.__version__}
    with open(OUT, "w") as f:
        json.dump({"header": header, "cases": cases}, f, separators=(",", ":"))
    print(f"wrote {len(cases)} cases to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
