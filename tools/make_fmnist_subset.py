#!/usr/bin/env python3
"""Writes the small Fashion-MNIST subset bundled under data/fashion-mnist/ (MIT-licensed data, Zalando SE).

Source: Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist). Takes the first TRAIN training and
TEST test examples, in file order, and writes them as gzip-compressed IDX files with the standard names, so the
demo and tests run where the package is absent. Run: python3 tools/make_fmnist_subset.py
"""
import gzip
import os
import struct

SRC = "/usr/share/datasets/fashion-mnist"
DST = os.path.join(os.path.dirname(__file__), "..", "data", "fashion-mnist")
TRAIN, TEST = 1000, 500


def take(name, n):
    with gzip.open(os.path.join(SRC, name + ".gz"), "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = list(struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim]))
    row = 1
    for d in dims[1:]:
        row *= d
    body = data[4 + 4 * ndim: 4 + 4 * ndim + n * row]
    head = data[:4] + struct.pack(">" + "I" * ndim, n, *dims[1:])
    os.makedirs(DST, exist_ok=True)
    # mtime=0 keeps the output byte-identical between runs.
    with gzip.GzipFile(os.path.join(DST, name + ".gz"), "wb", compresslevel=9, mtime=0) as f:
        f.write(head + body)


for split, n in (("train", TRAIN), ("t10k", TEST)):
    take(f"{split}-images-idx3-ubyte", n)
    take(f"{split}-labels-idx1-ubyte", n)
print(f"wrote {TRAIN} training and {TEST} test examples to {os.path.normpath(DST)}")
