#!/usr/bin/python3
"""Reference values for the image-to-image layers (PixelShuffle, InstanceNorm2d) used by SRGAN and CycleGAN,
computed with PyTorch.

Run as `/usr/bin/python3 tools/make_image_to_image_fixtures.py` from the repository root; it rewrites
tests/fixtures/image_to_image.json: each case names a layer (built in
tests/Dendrite.Nn.Tests/Models/GanFamilyTests.cs), its argument, a float32 input, torch's output, a random r of
the output's shape and torch's gradient of sum(out * r) with respect to the input.
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import encode  # noqa: E402

SEED = 20261207
GEN = torch.Generator().manual_seed(SEED)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "image_to_image.json")


def rn(*shape, scale=1.0, shift=0.0):
    return torch.randn(shape, generator=GEN, dtype=torch.float32) * scale + shift


def case(name, layer, arg, x, module):
    x = x.clone().requires_grad_(True)
    out = module(x)
    r = rn(*out.shape)
    (out * r).sum().backward()
    return {"name": name, "layer": layer, "arg": arg, "input": encode(x), "output": encode(out), "r": encode(r),
            "grad": encode(x.grad)}


def main():
    cases = [
        case("pixel_shuffle_2", "pixel_shuffle", 2, rn(2, 8, 3, 4), torch.nn.PixelShuffle(2)),
        case("pixel_shuffle_3", "pixel_shuffle", 3, rn(1, 9, 2, 2), torch.nn.PixelShuffle(3)),
        case("instance_norm", "instance_norm", 1e-5, rn(2, 3, 4, 5, scale=2.0, shift=0.5),
             torch.nn.InstanceNorm2d(3)),
        case("instance_norm_eps", "instance_norm", 0.1, rn(1, 2, 3, 3, scale=0.2), torch.nn.InstanceNorm2d(2, eps=0.1)),
    ]
    fixture = {"header": {"generator": "tools/make_image_to_image_fixtures.py", "torch": torch.__version__,
                          "seed": SEED}, "cases": cases}
    with open(OUT, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {len(cases)} cases to {os.path.normpath(OUT)} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
