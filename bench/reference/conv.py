"""PyTorch side of `dendrite bench conv`: conv2d forward and forward+backward (fp32, NCHW) timed on request.

The cases are those of shared/reference/conv.py, under the same names: LeNet-5 conv1 (input not requiring grad) and
conv2 at batch 64, a ResNet-18 basic block (conv-bn-relu-conv-bn + identity, relu; 64 channels, 56x56, batch 8),
the ResNet 3x3 conv alone, and a VGG 3x3 conv 128->128 at 28x28, batch 16. Modules are in training mode.
Started once per benchmark invocation by bench/Dendrite.Bench, which alternates rounds between C# and this process.
Protocol: each stdin line "CASE MODE MIN_TIME" (MODE is fwd or fwd+bwd) times one block of calls lasting about
MIN_TIME seconds after a warm-up call, and answers one JSON line {"case", "mode", "seconds": per-call seconds}.
fwd runs the module under no_grad; fwd+bwd clears the parameter and input gradients, then runs backward(g) with a
fixed random g of the output's shape.
"""
import json
import sys

from opponent import start, time_block

torch = start(__doc__)
import torch.nn as nn  # noqa: E402  (after start fixed the threads)


class BasicBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(y)) + x)


# name -> (module factory, input shape, input needs grad)
cases = {
    "lenet_conv1_5x5_1to6_pad2_b64": (lambda: nn.Conv2d(1, 6, 5, padding=2), (64, 1, 28, 28), False),
    "lenet_conv2_5x5_6to16_b64": (lambda: nn.Conv2d(6, 16, 5), (64, 6, 14, 14), True),
    "resnet18_basicblock_64c_56x56_b8": (lambda: BasicBlock(64), (8, 64, 56, 56), True),
    "resnet_conv3x3_64to64_56x56_b8": (lambda: nn.Conv2d(64, 64, 3, padding=1, bias=False), (8, 64, 56, 56), True),
    "vgg_conv3x3_128to128_28x28_b16": (lambda: nn.Conv2d(128, 128, 3, padding=1), (16, 128, 28, 28), True),
    # Not in shared/reference/conv.py: a DenseNet-121 dense layer's 3x3 convolution (128 -> growth rate 32).
    "densenet_conv3x3_128to32_28x28_b16": (lambda: nn.Conv2d(128, 32, 3, padding=1, bias=False), (16, 128, 28, 28),
                                           True),
    # Not in shared/reference/conv.py either: a MobileNet depthwise 3x3 convolution with stride 2.
    "mobilenet_dw3x3_s2_128c_56x56_b8": (lambda: nn.Conv2d(128, 128, 3, stride=2, padding=1, groups=128, bias=False),
                                         (8, 128, 56, 56), True),
}
built = {}


def build(name):
    make, shape, in_grad = cases[name]
    mod = make()
    mod.train()
    x = torch.randn(shape)
    with torch.no_grad():
        y = mod(x)
    g = torch.randn(y.shape)
    xg = x.clone().requires_grad_(in_grad)

    def f_fwd():
        with torch.no_grad():
            mod(x)

    def f_fb():
        for prm in mod.parameters():
            prm.grad = None
        xg.grad = None
        mod(xg).backward(g)

    return {"fwd": f_fwd, "fwd+bwd": f_fb}


for line in sys.stdin:
    name, mode, min_time = line.split()
    if name not in cases:
        print(json.dumps({"error": f"unknown case {name}"}), flush=True)
        continue
    if name not in built:
        built[name] = build(name)
    seconds, inner = time_block(built[name][mode], float(min_time))
    print(json.dumps({"case": name, "mode": mode, "seconds": seconds, "inner": inner}), flush=True)
