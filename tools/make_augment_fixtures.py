#!/usr/bin/env python3
"""Writes tests/fixtures/data/affine.json: what torchvision's affine transform and torch's grid_sample give for
one random image under several rotations, translations, zooms and shears, for the affine resampler of
Dendrite.Data.Transforms.

Run with Debian's python3: /usr/bin/python3 tools/make_augment_fixtures.py (python3-torch 1.13, python3-torchvision
0.14, numpy).

The image is torch.rand(2, 7, 9) after torch.manual_seed(0) (channels, height, width; non-square so that x and y
cannot be swapped unnoticed). For each case:
- "torchvision": torchvision.transforms.functional.affine(img, angle, translate, scale, shear, BILINEAR) with no
  fill: the public API, which samples outside the image as zeros.
- fill "constant" with value c: grid_sample(img - c, grid, padding_mode="zeros") + c, i.e. every pixel outside the
  image holds c and bilinear weights mix it in (torchvision's own fill blends by a mask instead; this is the
  textbook definition, and it equals the torchvision result for c = 0).
- fill "nearest": grid_sample(..., padding_mode="border"); "reflect": padding_mode="reflection" (half-sample
  symmetric: d c b a | a b c d | d c b a), both align_corners=False on torchvision's own affine grid.
- fill "wrap": no torch padding mode does it; the same grid, unnormalised to pixel coordinates, with bilinear
  weights over neighbour indices taken modulo the size (numpy, float64).
"""
import json
import os

import numpy as np
import torch
import torch.nn.functional as F
import torchvision
import torchvision.transforms.functional as TF
from torchvision.transforms.functional import InterpolationMode
from torchvision.transforms.functional_tensor import _gen_affine_grid

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "data", "affine.json")

CASES = [
    # angle (degrees), translate (pixels x, y), scale, shear (degrees x, y), fill mode, fill value
    (0.0, [0, 0], 1.0, [0.0, 0.0], "constant", 0.0),
    (30.0, [0, 0], 1.0, [0.0, 0.0], "constant", 0.0),
    (-47.0, [1, -2], 1.0, [0.0, 0.0], "constant", 0.5),
    (0.0, [2, 1], 1.0, [0.0, 0.0], "nearest", 0.0),
    (15.0, [0, 0], 1.3, [0.0, 0.0], "reflect", 0.0),
    (0.0, [0, 0], 0.7, [0.0, 0.0], "reflect", 0.0),
    (0.0, [0, 0], 1.0, [20.0, 0.0], "nearest", 0.0),
    (0.0, [0, 0], 1.0, [0.0, -25.0], "constant", 0.0),
    (-20.0, [-1, 3], 0.8, [10.0, 5.0], "wrap", 0.0),
    (90.0, [0, 0], 1.0, [0.0, 0.0], "wrap", 0.0),
    (33.0, [3, 0], 1.1, [-12.0, 8.0], "nearest", 0.0),
    (-75.0, [0, 1], 0.6, [0.0, 0.0], "reflect", 0.0),
]


def inverse_matrix(angle, translate, scale, shear):
    # As torchvision.transforms.functional.affine builds it for tensors (centre at the image centre).
    return TF._get_inverse_affine_matrix([0.0, 0.0], angle, [float(t) for t in translate], scale, shear)


def wrap_sample(img, grid):
    c, h, w = img.shape
    g = grid[0].double().numpy()
    x = ((g[..., 0] + 1) * w - 1) / 2
    y = ((g[..., 1] + 1) * h - 1) / 2
    x0, y0 = np.floor(x), np.floor(y)
    fx, fy = x - x0, y - y0
    x0, y0 = x0.astype(int), y0.astype(int)
    a = img.double().numpy()
    out = np.zeros((c, g.shape[0], g.shape[1]))
    for dy, wy in ((0, 1 - fy), (1, fy)):
        for dx, wx in ((0, 1 - fx), (1, fx)):
            out += a[:, (y0 + dy) % h, (x0 + dx) % w] * (wy * wx)
    return out


def main():
    torch.manual_seed(0)
    img = torch.rand(2, 7, 9)
    c, h, w = img.shape
    cases = []
    for angle, translate, scale, shear, mode, value in CASES:
        m = inverse_matrix(angle, translate, scale, shear)
        theta = torch.tensor(m, dtype=torch.float64).reshape(1, 2, 3)
        grid = _gen_affine_grid(theta, w=w, h=h, ow=w, oh=h)
        batch = img.double().unsqueeze(0)
        if mode == "constant":
            out = (F.grid_sample(batch - value, grid, mode="bilinear", padding_mode="zeros",
                                 align_corners=False) + value)[0].numpy()
        elif mode == "nearest":
            out = F.grid_sample(batch, grid, mode="bilinear", padding_mode="border", align_corners=False)[0].numpy()
        elif mode == "reflect":
            out = F.grid_sample(batch, grid, mode="bilinear", padding_mode="reflection",
                                align_corners=False)[0].numpy()
        else:
            out = wrap_sample(img, grid)
        tv = TF.affine(img, angle=angle, translate=translate, scale=scale, shear=shear,
                       interpolation=InterpolationMode.BILINEAR)
        cases.append({
            "angle": angle, "translate": translate, "scale": scale, "shear": shear,
            "fill": mode, "value": value,
            "inverse_matrix": [float(v) for v in m],
            "output": [round(float(v), 7) for v in out.reshape(-1)],
            "torchvision": [round(float(v), 7) for v in tv.reshape(-1)],
        })
    doc = {
        "generator": "tools/make_augment_fixtures.py",
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "shape": [c, h, w],
        "image": [round(float(v), 7) for v in img.reshape(-1)],
        "cases": cases,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(f"wrote {OUT}: {len(cases)} cases")


if __name__ == "__main__":
    main()
