#!/usr/bin/python3
"""Reference values for the convolution and pooling tests, computed with PyTorch.

Run as `/usr/bin/python3 tools/make_conv_fixtures.py` from the repository root; it rewrites
tests/fixtures/conv.json. Each case names an op (implemented in
tests/Dendrite.Core.Tests/Kernels/ConvFixtureTests.cs, and for batch_norm2d in
tests/Dendrite.Nn.Tests/Layers/ConvTests.cs), its float32 inputs, its arguments, torch's outputs,
a random r per differentiable output and torch's gradient of sum(out * r) for every input.
"""
import json
import os

import torch
import torch.nn.functional as F

SEED = 20240717
GEN = torch.Generator().manual_seed(SEED)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "conv.json")


def rn(*shape):
    return torch.randn(shape, generator=GEN, dtype=torch.float32)


def enc(t):
    return {"shape": list(t.shape), "data": [float(f"{v:.8g}") if t.is_floating_point() else int(v)
                                             for v in t.detach().reshape(-1).tolist()]}


def case(name, op, args, inputs, fn):
    xs = [x.clone().requires_grad_(True) for x in inputs]
    outs = fn(*xs)
    outs = outs if isinstance(outs, tuple) else (outs,)
    float_outs = [o for o in outs if o.is_floating_point()]
    rs = [rn(*o.shape) for o in float_outs]
    sum((o * r).sum() for o, r in zip(float_outs, rs)).backward()
    return {"name": name, "op": op, "args": args, "inputs": [enc(x) for x in inputs],
            "outputs": [enc(o) for o in outs], "r": [enc(r) for r in rs],
            "grads": [enc(x.grad if x.grad is not None else torch.zeros_like(x)) for x in xs]}


def conv2d(name, n, c, h, w, o, k, stride, padding, dilation, groups, bias=True):
    inputs = [rn(n, c, h, w), rn(o, c // groups, *k)] + ([rn(o)] if bias else [])
    args = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
    return case(name, "conv2d", args, inputs, lambda x, wt, *b: F.conv2d(
        x, wt, b[0] if b else None, stride, padding, dilation, groups))


def conv1d(name, n, c, l, o, k, stride, padding, dilation, groups):
    args = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
    return case(name, "conv1d", args, [rn(n, c, l), rn(o, c // groups, k), rn(o)],
                lambda x, wt, b: F.conv1d(x, wt, b, stride, padding, dilation, groups))


def conv_t2d(name, n, c, h, w, o, k, stride, padding, output_padding, groups, dilation):
    args = {"stride": stride, "padding": padding, "outputPadding": output_padding, "groups": groups,
            "dilation": dilation}
    return case(name, "conv_transpose2d", args, [rn(n, c, h, w), rn(c, o // groups, *k), rn(o)],
                lambda x, wt, b: F.conv_transpose2d(x, wt, b, stride, padding, output_padding, groups, dilation))


def max2d(name, shape, k, stride, padding, dilation, ceil):
    args = {"kernel": k, "stride": stride, "padding": padding, "dilation": dilation, "ceilMode": ceil}
    return case(name, "max_pool2d", args, [rn(*shape)],
                lambda x: F.max_pool2d(x, k, stride, padding, dilation, ceil, return_indices=True))


def avg2d(name, shape, k, stride, padding, ceil, include):
    args = {"kernel": k, "stride": stride, "padding": padding, "ceilMode": ceil, "countIncludePad": include}
    return case(name, "avg_pool2d", args, [rn(*shape)],
                lambda x: F.avg_pool2d(x, k, stride, padding, ceil, include))


CASES = [
    conv2d("conv2d_basic", 2, 3, 6, 5, 4, [3, 3], [1, 1], [0, 0], [1, 1], 1),
    conv2d("conv2d_stride_pad", 2, 3, 7, 8, 5, [3, 2], [2, 1], [1, 2], [1, 1], 1),
    conv2d("conv2d_dilation_groups", 1, 4, 9, 7, 6, [3, 3], [1, 2], [2, 1], [2, 2], 2),
    conv2d("conv2d_depthwise", 2, 6, 7, 7, 6, [3, 3], [2, 2], [1, 1], [1, 1], 6),
    conv2d("conv2d_pointwise_nobias", 2, 4, 5, 3, 3, [1, 1], [1, 1], [0, 0], [1, 1], 1, bias=False),
    conv1d("conv1d_basic", 2, 3, 10, 4, 3, 1, 1, 1, 1),
    conv1d("conv1d_strided_dilated_groups", 2, 4, 13, 6, 3, 2, 2, 2, 2),
    conv_t2d("conv_transpose2d_basic", 2, 3, 4, 4, 2, [3, 3], [1, 1], [0, 0], [0, 0], 1, [1, 1]),
    conv_t2d("conv_transpose2d_stride_outpad", 1, 4, 3, 5, 6, [4, 3], [2, 3], [1, 1], [1, 2], 2, [1, 1]),
    conv_t2d("conv_transpose2d_dilation", 2, 2, 3, 3, 3, [3, 3], [2, 2], [1, 0], [0, 1], 1, [2, 2]),
    max2d("max_pool2d_basic", [2, 3, 6, 6], [2, 2], [2, 2], [0, 0], [1, 1], False),
    max2d("max_pool2d_ceil_pad_dilation", [1, 2, 9, 8], [3, 3], [2, 2], [1, 1], [2, 1], True),
    avg2d("avg_pool2d_include_pad", [2, 2, 7, 6], [3, 3], [2, 2], [1, 1], False, True),
    avg2d("avg_pool2d_ceil_exclude_pad", [2, 2, 7, 6], [3, 2], [2, 2], [1, 1], True, False),
    case("max_pool1d", "max_pool1d", {"kernel": 3, "stride": 2, "padding": 1, "dilation": 1, "ceilMode": True},
         [rn(2, 3, 10)], lambda x: F.max_pool1d(x, 3, 2, 1, 1, True, return_indices=True)),
    case("avg_pool1d", "avg_pool1d", {"kernel": 4, "stride": 3, "padding": 2, "ceilMode": True,
                                      "countIncludePad": False},
         [rn(2, 3, 11)], lambda x: F.avg_pool1d(x, 4, 3, 2, True, False)),
    case("adaptive_avg_pool2d", "adaptive_avg_pool2d", {"outH": 3, "outW": 4}, [rn(2, 3, 7, 9)],
         lambda x: F.adaptive_avg_pool2d(x, (3, 4))),
    case("adaptive_avg_pool2d_1x1", "adaptive_avg_pool2d", {"outH": 1, "outW": 1}, [rn(2, 3, 5, 5)],
         lambda x: F.adaptive_avg_pool2d(x, 1)),
    case("local_response_norm", "local_response_norm", {"size": 3, "alpha": 0.01, "beta": 0.75, "k": 2.0},
         [rn(2, 5, 3, 3)], lambda x: F.local_response_norm(x, 3, 0.01, 0.75, 2.0)),
    case("local_response_norm_even", "local_response_norm", {"size": 4, "alpha": 0.1, "beta": 0.5, "k": 1.0},
         [rn(1, 6, 2, 3)], lambda x: F.local_response_norm(x, 4, 0.1, 0.5, 1.0)),
]


def batch_norm_case():
    """BatchNorm2d(3) in training: output, gradients, and the running statistics after one step."""
    x, w, b = rn(4, 3, 3, 2), rn(3), rn(3)
    mean, var = torch.zeros(3), torch.ones(3)
    c = case("batch_norm2d", "batch_norm2d", {"eps": 1e-5, "momentum": 0.1}, [x, w, b],
             lambda x, w, b: F.batch_norm(x, mean, var, w, b, True, 0.1, 1e-5))
    c["running"] = [enc(mean), enc(var)]
    return c


def main():
    cases = CASES + [batch_norm_case()]
    header = {"generator": "tools/make_conv_fixtures.py", "torch": torch.__version__, "seed": SEED,
              "cases": len(cases)}
    with open(OUT, "w") as f:
        json.dump({"header": header, "cases": cases}, f, separators=(",", ":"))
    print(f"wrote {len(cases)} cases to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
