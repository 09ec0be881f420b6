"""PyTorch side of the `dcgan` bench scenario, as shared/reference/dcgan.py: one DCGAN training step on 28x28
single-channel images, batch 64 (fp32): a D update on real and detached fake images, then a G update
(BCE-with-logits, Adam 2e-4, betas 0.5/0.999). "Real" images are fixed random tensors in [-1, 1].
Started once per benchmark invocation by bench/Dendrite.Bench, which alternates rounds between C# and this process.
Protocol: each stdin line "step MIN_TIME" times one block of steps lasting about MIN_TIME seconds after a warm-up
step, and answers one JSON line {"case", "mode", "seconds"} with the seconds per step.
"""
import json
import sys

from opponent import start, time_block

torch = start(__doc__)
import torch.nn as nn  # noqa: E402  (after start fixed the threads)
import torch.nn.functional as F  # noqa: E402

NZ, B = 100, 64
G = nn.Sequential(
    nn.ConvTranspose2d(NZ, 256, 7, 1, 0, bias=False), nn.BatchNorm2d(256), nn.ReLU(),
    nn.ConvTranspose2d(256, 128, 4, 2, 1, bias=False), nn.BatchNorm2d(128), nn.ReLU(),
    nn.ConvTranspose2d(128, 1, 4, 2, 1, bias=False), nn.Tanh())
D = nn.Sequential(
    nn.Conv2d(1, 64, 4, 2, 1, bias=False), nn.LeakyReLU(0.2),
    nn.Conv2d(64, 128, 4, 2, 1, bias=False), nn.BatchNorm2d(128), nn.LeakyReLU(0.2),
    nn.Conv2d(128, 1, 7, 1, 0, bias=False))
optG = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
optD = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
real = torch.rand(B, 1, 28, 28) * 2 - 1
ones, zeros = torch.ones(B), torch.zeros(B)


def step():
    z = torch.randn(B, NZ, 1, 1)
    fake = G(z)
    lossD = (F.binary_cross_entropy_with_logits(D(real).view(-1), ones)
             + F.binary_cross_entropy_with_logits(D(fake.detach()).view(-1), zeros))
    optD.zero_grad(set_to_none=True)
    lossD.backward()
    optD.step()
    lossG = F.binary_cross_entropy_with_logits(D(fake).view(-1), ones)
    optG.zero_grad(set_to_none=True)
    lossG.backward()
    optG.step()


for line in sys.stdin:
    mode, min_time = line.split()
    if mode != "step":
        print(json.dumps({"error": f"unknown mode {mode}"}), flush=True)
        continue
    seconds, inner = time_block(step, float(min_time))
    print(json.dumps({"case": "dcgan", "mode": mode, "seconds": seconds, "inner": inner}), flush=True)
