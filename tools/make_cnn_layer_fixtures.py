#!/usr/bin/python3
"""Reference values for the CNN layers added beside the convolution kernels, computed with PyTorch.

Run as `/usr/bin/python3 tools/make_cnn_layer_fixtures.py` from the repository root; it rewrites
tests/fixtures/cnn_layers.json in the format of tools/make_conv_fixtures.py: each case names an op (implemented
in tests/Dendrite.Nn.Tests/Layers/CnnLayerTests.cs), its float32 inputs, its arguments, torch's outputs, a random
r per output and torch's gradient of sum(out * r) for every input.
"""
import json
import os

import torch
import torch.nn.functional as F

SEED = 20261207
GEN = torch.Generator().manual_seed(SEED)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "cnn_layers.json")


def rn(*shape):
    return torch.randn(shape, generator=GEN, dtype=torch.float32)


def enc(t):
    return {"shape": list(t.shape), "data": [float(f"{v:.8g}") if t.is_floating_point() else int(v)
                                             for v in t.detach().reshape(-1).tolist()]}


def case(name, op, args, inputs, fn):
    xs = [x.clone().requires_grad_(True) for x in inputs]
    out = fn(*xs)
    r = rn(*out.shape)
    (out * r).sum().backward()
    return {"name": name, "op": op, "args": args, "inputs": [enc(x) for x in inputs], "outputs": [enc(out)],
            "r": [enc(r)], "grads": [enc(x.grad if x.grad is not None else torch.zeros_like(x)) for x in xs]}


def unpool_case(name, shape, k, stride, padding, output_size):
    # Indices of a real max pool over another tensor; the unpooled values are the differentiable input.
    _, idx = F.max_pool2d(rn(*shape), k, stride, padding, return_indices=True)
    args = {"kernel": k, "stride": stride, "padding": padding, "indices": enc(idx),
            "outputSize": output_size}
    return case(name, "max_unpool2d", args, [rn(*idx.shape)],
                lambda v: F.max_unpool2d(v, idx, k, stride, padding, output_size))


CASES = [
    case("conv2d_same_rect", "conv2d_same", {"kernel": [2, 5], "dilation": [1, 2]},
         [rn(2, 3, 6, 7), rn(4, 3, 2, 5), rn(4)],
         lambda x, w, b: F.conv2d(x, w, b, padding="same", dilation=(1, 2))),
    case("conv2d_per_edge", "conv2d_edges", {"kernel": [3, 2], "stride": [2, 1], "edges": [1, 0, 2, 3]},
         [rn(2, 2, 7, 5), rn(3, 2, 3, 2), rn(3)],
         lambda x, w, b: F.conv2d(F.pad(x, (0, 3, 1, 2)), w, b, stride=(2, 1))),
    case("conv_transpose1d", "conv_transpose1d",
         {"stride": 2, "padding": 1, "outputPadding": 1, "groups": 2, "dilation": 1},
         [rn(2, 4, 5), rn(4, 3, 3), rn(6)],
         lambda x, w, b: F.conv_transpose1d(x, w, b, 2, 1, 1, 2, 1)),
    case("conv_transpose1d_dilated", "conv_transpose1d",
         {"stride": 3, "padding": 2, "outputPadding": 0, "groups": 1, "dilation": 2},
         [rn(1, 2, 6), rn(2, 3, 4), rn(3)],
         lambda x, w, b: F.conv_transpose1d(x, w, b, 3, 2, 0, 1, 2)),
    case("adaptive_max_pool2d_uneven", "adaptive_max_pool2d", {"out": [3, 4]}, [rn(2, 3, 7, 9)],
         lambda x: F.adaptive_max_pool2d(x, (3, 4))),
    case("adaptive_max_pool2d_even", "adaptive_max_pool2d", {"out": [4, 3]}, [rn(2, 2, 8, 6)],
         lambda x: F.adaptive_max_pool2d(x, (4, 3))),
    case("global_max_pool", "global_max_pool", {}, [rn(2, 5, 4, 3)], lambda x: x.amax(dim=(2, 3))),
    unpool_case("max_unpool2d", [2, 3, 6, 6], [2, 2], [2, 2], [0, 0], None),
    unpool_case("max_unpool2d_pad_size", [1, 2, 7, 7], [3, 3], [2, 2], [1, 1], [7, 7]),
    case("upsample_nearest", "upsample", {"scale": 2.0, "mode": "nearest"}, [rn(2, 3, 3, 4)],
         lambda x: F.interpolate(x, scale_factor=2.0, mode="nearest")),
    case("upsample_bilinear", "upsample", {"scale": 2.0, "mode": "bilinear"}, [rn(2, 3, 3, 4)],
         lambda x: F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)),
    case("upsample_bilinear_size_aligned", "upsample_size", {"size": [5, 7], "alignCorners": True},
         [rn(1, 2, 3, 4)], lambda x: F.interpolate(x, size=(5, 7), mode="bilinear", align_corners=True)),
    case("zero_pad2d", "zero_pad2d", {"pads": [1, 2, 0, 3]}, [rn(2, 2, 3, 4)], lambda x: F.pad(x, (1, 2, 0, 3))),
    case("max_pool2d_rect", "max_pool2d_rect", {"kernel": [2, 3], "stride": [1, 2], "padding": [1, 1],
                                                "ceilMode": True},
         [rn(2, 2, 6, 7)], lambda x: F.max_pool2d(x, (2, 3), (1, 2), (1, 1), ceil_mode=True)),
    case("avg_pool2d_rect", "avg_pool2d_rect", {"kernel": [3, 2], "stride": [2, 1], "padding": [1, 1],
                                                "ceilMode": False, "countIncludePad": False},
         [rn(2, 2, 7, 6)], lambda x: F.avg_pool2d(x, (3, 2), (2, 1), (1, 1), False, False)),
]


def main():
    header = {"generator": "tools/make_cnn_layer_fixtures.py", "torch": torch.__version__, "seed": SEED,
              "cases": len(CASES)}
    with open(OUT, "w") as f:
        json.dump({"header": header, "cases": CASES}, f, separators=(",", ":"))
    print(f"wrote {len(CASES)} cases to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
