"""PyTorch side of the `mlp-epoch` (and later `lenet-epoch`) scenarios: Fashion-MNIST training, one epoch per request.

Mirrors shared/reference/train_fmnist.py: the IDX .gz files of Debian's dataset-fashion-mnist loaded into memory once,
pixels /255 then standardised (mean 0.2860, std 0.3530), Adam lr 1e-3, batch 64, each epoch a seeded permutation with
batches sliced from the in-memory tensor. Started once by bench/Dendrite.Bench, which alternates epochs with C#.
Protocol: stdin "epoch" trains one epoch and answers {"epoch_s": seconds, "loss": last batch loss};
"eval" answers {"test_acc": accuracy on the 10,000 test images}.
"""
import argparse
import gzip
import json
import os
import sys
import time

p = argparse.ArgumentParser(description=__doc__)
p.add_argument("--threads", type=int, required=True)
p.add_argument("--model", choices=["mlp", "lenet"], default="mlp")
p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
p.add_argument("--seed", type=int, default=0)
args = p.parse_args()
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(args.threads)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

torch.set_num_threads(args.threads)
torch.set_num_interop_threads(1)


def load_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(split):
    img = load_idx(os.path.join(args.data, f"{split}-images-idx3-ubyte.gz"))
    lbl = load_idx(os.path.join(args.data, f"{split}-labels-idx1-ubyte.gz"))
    x = (torch.from_numpy(img.astype(np.float32)) / 255.0 - 0.2860) / 0.3530
    return x.unsqueeze(1), torch.from_numpy(lbl.astype(np.int64))


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2, self.fc3 = nn.Linear(784, 256), nn.Linear(256, 128), nn.Linear(128, 10)

    def forward(self, x):
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x.flatten(1))))))


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1, self.fc2, self.fc3 = nn.Linear(400, 120), nn.Linear(120, 84), nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x.flatten(1))))))


xtr, ytr = load("train")
xte, yte = load("t10k")
torch.manual_seed(args.seed)
model = MLP() if args.model == "mlp" else LeNet5()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
gen = torch.Generator().manual_seed(args.seed)
print(json.dumps({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)

for line in sys.stdin:
    cmd = line.strip()
    if cmd == "epoch":
        model.train()
        perm = torch.randperm(len(xtr), generator=gen)
        t0 = time.perf_counter()
        for i in range(0, len(xtr), 64):
            idx = perm[i:i + 64]
            loss = F.cross_entropy(model(xtr[idx]), ytr[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        print(json.dumps({"epoch_s": time.perf_counter() - t0, "loss": loss.item()}), flush=True)
    elif cmd == "eval":
        model.eval()
        correct = 0
        with torch.no_grad():
            for i in range(0, len(xte), 1000):
                correct += (model(xte[i:i + 1000]).argmax(1) == yte[i:i + 1000]).sum().item()
        print(json.dumps({"test_acc": correct / len(xte)}), flush=True)
