#!/usr/bin/env python3
"""Writes the small reference files under tests/fixtures/io/ for the IO tests.

Run with Debian's python3 (torch 1.13): /usr/bin/python3 tools/make_io_fixtures.py

- dtypes.safetensors: F16, BF16, I32, U8, I8, I16, U32, F64 and BOOL tensors packed with struct, following the
  safetensors layout (u64 little-endian header length, JSON header, raw little-endian data). dtypes.json holds
  the values each tensor decodes to, computed by torch's own conversions (torch.float16/bfloat16 -> float32).
- png_<type>.png: 5x4 images for PNG colour types 0 (grey), 2 (RGB), 3 (palette), 4 (grey+alpha), 6 (RGBA),
  written with zlib and struct by an encoder independent of Dendrite's. Row y uses filter type y % 5, so every
  image exercises all five filters. png.json holds the decoded channel values (palette expanded to RGB).
"""
import json
import os
import random
import struct
import zlib

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "io")


def safetensors():
    rng = random.Random(7)
    floats = [1.0, -2.5, 0.1, 65504.0, 1e-3, 3.14159, -0.0, 1234.5678]
    f16 = torch.tensor(floats, dtype=torch.float32).to(torch.float16)
    bf16 = torch.tensor(floats, dtype=torch.float32).to(torch.bfloat16)
    i32 = [rng.randint(-2**31, 2**31 - 1) for _ in range(6)]
    u8 = [0, 1, 127, 128, 255, 42]
    i8 = [-128, -1, 0, 1, 127, 5]
    i16 = [-32768, -2, 0, 3, 32767, 300]
    u32 = [0, 1, 2**31, 2**32 - 1]
    f64 = [0.1, -1e300, 2.0 ** -1074, 123.456]
    boolean = [True, False, True, True]
    tensors = [
        ("bf16", "BF16", [2, 4], bf16.view(torch.int16).numpy().astype("<i2").tobytes()),
        ("bool", "BOOL", [4], bytes(int(b) for b in boolean)),
        ("f16", "F16", [4, 2], f16.numpy().astype("<f2").tobytes()),
        ("f64", "F64", [2, 2], struct.pack("<4d", *f64)),
        ("i16", "I16", [6], struct.pack("<6h", *i16)),
        ("i32", "I32", [2, 3], struct.pack("<6i", *i32)),
        ("i8", "I8", [3, 2], struct.pack("<6b", *i8)),
        ("u32", "U32", [4], struct.pack("<4I", *u32)),
        ("u8", "U8", [6], bytes(u8)),
    ]
    header, data = {"__metadata__": {"source": "make_io_fixtures.py", "torch": torch.__version__}}, b""
    for name, code, shape, raw in tensors:
        header[name] = {"dtype": code, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(os.path.join(OUT, "dtypes.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + data)
    expected = {
        "f16": f16.float().tolist(), "bf16": bf16.float().tolist(), "i32": i32, "u8": u8, "i8": i8,
        "i16": i16, "u32": u32, "f64": f64, "bool": boolean,
        "shapes": {name: shape for name, _, shape, _ in tensors},
        "metadata": header["__metadata__"],
    }
    with open(os.path.join(OUT, "dtypes.json"), "w") as f:
        json.dump(expected, f, indent=1)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(path, width, height, color_type, channels, rows, palette=None):
    stride, raw, prev = width * channels, b"", [0] * (width * channels)
    for y, row in enumerate(rows):
        ft, out = y % 5, []
        for i in range(stride):
            a = row[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            pred = [0, a, b, (a + b) // 2, paeth(a, b, c)][ft]
            out.append((row[i] - pred) & 0xFF)
        raw += bytes([ft] + out)
        prev = row
    ihdr = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    body = chunk(b"IHDR", ihdr)
    if palette is not None:
        body += chunk(b"PLTE", bytes(v for rgb in palette for v in rgb))
    body += chunk(b"tEXt", b"Comment\x00ancillary chunk to skip")
    # Split the zlib stream over two IDAT chunks, as encoders may.
    z = zlib.compress(raw, 9)
    body += chunk(b"IDAT", z[: len(z) // 2]) + chunk(b"IDAT", z[len(z) // 2:])
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + body + chunk(b"IEND", b""))


def pngs():
    rng = random.Random(11)
    width, height, expected = 5, 6, {}
    palette = [(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(7)]
    for color_type, channels, name in [(0, 1, "grey"), (2, 3, "rgb"), (3, 1, "palette"),
                                       (4, 2, "greyalpha"), (6, 4, "rgba")]:
        top = len(palette) if color_type == 3 else 256
        rows = [[rng.randrange(top) for _ in range(width * channels)] for _ in range(height)]
        png(os.path.join(OUT, f"png_{name}.png"), width, height, color_type, channels, rows,
            palette if color_type == 3 else None)
        if color_type == 3:
            rows = [[v for i in row for v in palette[i]] for row in rows]
            channels = 3
        # (C, H, W) channel values 0..255
        expected[name] = [[[rows[y][x * channels + c] for x in range(width)] for y in range(height)]
                          for c in range(channels)]
    with open(os.path.join(OUT, "png.json"), "w") as f:
        json.dump(expected, f)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    safetensors()
    pngs()
