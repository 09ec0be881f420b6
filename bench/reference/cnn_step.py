"""PyTorch side of the `cnn-step` bench scenario: one SGD training step (forward, cross-entropy, backward, update;
lr 0.01, momentum 0.9) of torchvision's ResNet-18 or MobileNet-v2 (1000 classes, training mode) at batch 16 on fixed
random 3x112x112 inputs and random labels (fp32).
Started once per benchmark invocation by bench/Dendrite.Bench, which alternates rounds between C# and this process.
Protocol: each stdin line "MODEL MIN_TIME" (MODEL resnet18 or mobilenet_v2) times one block of steps lasting about
MIN_TIME seconds after a warm-up step, and answers one JSON line {"case", "seconds"} with the seconds per step.
"""
import json
import sys

from opponent import start, time_block

torch = start(__doc__)
import torch.nn.functional as F  # noqa: E402  (after start fixed the threads)
import torchvision  # noqa: E402

B, SIZE, CLASSES = 16, 112, 1000
built = {}


def build(name):
    torch.manual_seed(0)
    model = getattr(torchvision.models, name)(num_classes=CLASSES)
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(B, 3, SIZE, SIZE)
    y = torch.randint(0, CLASSES, (B,))

    def step():
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return step


for line in sys.stdin:
    name, min_time = line.split()
    if name not in ("resnet18", "mobilenet_v2"):
        print(json.dumps({"error": f"unknown model {name}"}), flush=True)
        continue
    if name not in built:
        built[name] = build(name)
    seconds, inner = time_block(built[name], float(min_time))
    print(json.dumps({"case": name, "seconds": seconds, "inner": inner}), flush=True)
