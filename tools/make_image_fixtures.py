#!/usr/bin/env python3
"""Writes tests/fixtures/io/images.json: what Pillow decodes from image files that Debian ships, for the SkiaSharp
image decoder's tests (the images themselves stay where Debian puts them).

Run with Debian's python3: /usr/bin/python3 tools/make_image_fixtures.py
Needs python3-pil, python3-sklearn (china.jpg, flower.jpg) and python3-skimage (camera.png, astronaut.png,
coins.png, chelsea.png).

For each file: its path, Pillow's mode, the shape (C, H, W) after conversion to L (grey files) or RGB, the sum of
each channel, 256 pixels at positions drawn by random.Random(11) (as [y, x, c0, c1, c2]), and the 16x16 crop at
the image centre (channel-major, row-major: c, y, x).
Also small.bmp, small.gif and small.webp: one 5x4 RGB image saved by Pillow in each format, its pixels under "small".
"""
import json
import os
import random

import PIL
from PIL import Image

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "io", "images.json")
SKLEARN = "/usr/lib/python3/dist-packages/sklearn/datasets/images"
SKIMAGE = "/usr/lib/python3/dist-packages/skimage/data"
FILES = [
    os.path.join(SKLEARN, "china.jpg"),
    os.path.join(SKLEARN, "flower.jpg"),
    os.path.join(SKIMAGE, "camera.png"),
    os.path.join(SKIMAGE, "astronaut.png"),
    os.path.join(SKIMAGE, "coins.png"),
    os.path.join(SKIMAGE, "chelsea.png"),
]


def summary(path):
    img = Image.open(path)
    mode = img.mode
    img = img.convert("L" if mode in ("L", "1", "I;16") else "RGB")
    w, h = img.size
    c = len(img.getbands())
    px = img.load()

    def at(x, y):
        v = px[x, y]
        return [v] if c == 1 else list(v)

    sums = [0] * c
    for y in range(h):
        for x in range(w):
            for k, v in enumerate(at(x, y)):
                sums[k] += v
    rng = random.Random(11)
    samples = []
    for _ in range(256):
        x, y = rng.randrange(w), rng.randrange(h)
        samples.append([y, x] + at(x, y))
    y0, x0 = h // 2 - 8, w // 2 - 8
    crop = [at(x0 + x, y0 + y)[k] for k in range(c) for y in range(16) for x in range(16)]
    return {
        "path": path,
        "format": Image.open(path).format,
        "mode": mode,
        "shape": [c, h, w],
        "sums": sums,
        "samples": samples,
        "crop_origin": [y0, x0],
        "crop": crop,
    }


def small_formats():
    """A 5x4 RGB image (each pixel a distinct colour) written by Pillow as BMP, GIF (palette, exact for 20 colours)
    and lossless WebP, into tests/fixtures/io/small.*; returns its pixels (c, y, x)."""
    img = Image.new("RGB", (5, 4))
    for y in range(4):
        for x in range(5):
            img.putpixel((x, y), (40 * x + 10, 60 * y + 5, (37 * (x + 5 * y)) % 256))
    folder = os.path.dirname(OUT)
    img.save(os.path.join(folder, "small.bmp"))
    img.save(os.path.join(folder, "small.gif"))
    img.save(os.path.join(folder, "small.webp"), lossless=True)
    for name in ("small.bmp", "small.gif", "small.webp"):
        back = Image.open(os.path.join(folder, name)).convert("RGB")
        assert list(back.getdata()) == list(img.getdata()), name
    return [img.getpixel((x, y))[k] for k in range(3) for y in range(4) for x in range(5)]


def main():
    small = small_formats()
    images = [summary(f) for f in FILES if os.path.exists(f)]
    missing = [f for f in FILES if not os.path.exists(f)]
    if missing:
        raise SystemExit("missing (apt-get install python3-sklearn python3-skimage): " + ", ".join(missing))
    doc = {
        "generator": "tools/make_image_fixtures.py",
        "pillow": PIL.__version__,
        "images": images,
        "small": small,
    }
    with open(OUT, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {OUT}: {len(images)} images")


if __name__ == "__main__":
    main()
