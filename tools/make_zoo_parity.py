#!/usr/bin/python3
"""Parity files for `dendrite zoo verify`, written from torchvision 0.14 models with random weights.

Usage: /usr/bin/python3 tools/make_zoo_parity.py OUT_DIR [--size 224] [--classes 1000] [MODEL ...]
Default models: resnet18 mobilenet_v2 densenet121 googlenet vgg11. Each OUT_DIR/MODEL.safetensors holds the
model's state dict in torchvision names, __input__ (1, 3, size, size) and __logits__ (the eval-mode output), with
metadata model and num_classes. Weights are torchvision's random initialisation; the batch-norm running
statistics are randomised too (at their defaults, eval-mode batch norm is nearly the identity and hides
mistakes). Nothing is downloaded. The files are large (a 224×224 VGG-11 is 530 MB) and are not committed: the
tests rebuild the same check from tests/fixtures/zoo.json (tools/make_zoo_fixtures.py).
"""
import argparse
import json
import os
import struct

import numpy as np
import torch
from torchvision import models

BUILD = {
    "resnet18": models.resnet18, "resnet34": models.resnet34, "resnet50": models.resnet50,
    "resnet101": models.resnet101, "resnet152": models.resnet152,
    "mobilenet_v2": models.mobilenet_v2, "densenet121": models.densenet121, "densenet169": models.densenet169,
    "googlenet": lambda **k: models.googlenet(aux_logits=False, init_weights=False, transform_input=False, **k),
    "inception_v3": lambda **k: models.inception_v3(aux_logits=False, init_weights=False, transform_input=False, **k),
    "alexnet": models.alexnet, "vgg11": models.vgg11, "vgg11_bn": models.vgg11_bn, "vgg13": models.vgg13,
    "vgg16": models.vgg16, "vgg16_bn": models.vgg16_bn, "vgg19": models.vgg19, "vgg19_bn": models.vgg19_bn,
}
DTYPES = {torch.float32: "F32", torch.int64: "I64"}


def save_safetensors(path, tensors, metadata):
    header, offset, blobs = {"__metadata__": metadata}, 0, []
    for name, t in tensors.items():
        data = t.detach().contiguous().cpu().numpy().tobytes()
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("models", nargs="*", default=["resnet18", "mobilenet_v2", "densenet121", "googlenet", "vgg11"])
    p.add_argument("--size", type=int, default=224)
    p.add_argument("--classes", type=int, default=1000)
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    torch.manual_seed(20261207)
    for name in a.models:
        model = BUILD[name](num_classes=a.classes)
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.data.uniform_(0.5, 1.5)
                m.bias.data.uniform_(-0.2, 0.2)
        model.eval()
        x = torch.randn(1, 3, a.size, a.size)
        with torch.no_grad():
            y = model(x)
        tensors = dict(model.state_dict())
        tensors["__input__"] = x
        tensors["__logits__"] = y
        path = os.path.join(a.out, f"{name}.safetensors")
        save_safetensors(path, tensors, {"model": name, "num_classes": str(a.classes)})
        print(f"{path}: {os.path.getsize(path) / 1e6:.1f} MB, logits {list(y.shape)}")


if __name__ == "__main__":
    main()
