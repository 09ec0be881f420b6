"""PyTorch side of the `gpt` bench scenario: the char-level GPT of shared/reference/gpt.py (decoder-only, pre-LN,
learned positions, tied embeddings; 4 layers, 4 heads, d_model 128, context 128, MLP 4x with GELU, no dropout,
vocab 96), written out the same way, timed on request.
Started once per benchmark invocation by bench/Dendrite.Bench, which alternates rounds between C# and this process.
Protocol: each stdin line is one of
  "train MIN_TIME": training steps at batch 16 (random windows of a fixed random token stream, cross-entropy, Adam
                    lr 1e-3, zero_grad(set_to_none), backward, step) for about MIN_TIME seconds after a warm-up step;
                    answers {"case": "train", "seconds": per step}.
  "sample N":       generates N tokens at batch 1 from a 16-token prompt with the KV cache (eval mode, no_grad,
                    multinomial over the softmax; the cache refilled from the last ctx/2 tokens when full, as
                    shared/reference/gpt.py does); answers {"case": "sample", "seconds": per token}.
"""
import json
import math
import sys

from opponent import start, time_block

torch = start(__doc__)
import torch.nn as nn  # noqa: E402  (after start fixed the threads)
import torch.nn.functional as F  # noqa: E402

VOCAB, LAYERS, HEADS, D, CTX, BATCH = 96, 4, 4, 128, 128, 16


class Attention(nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.h, self.qkv, self.proj = h, nn.Linear(d, 3 * d), nn.Linear(d, d)

    def forward(self, x, cache=None):
        B, T, C = x.shape
        q, k, v = self.qkv(x).view(B, T, 3, self.h, C // self.h).permute(2, 0, 3, 1, 4)
        if cache is not None:
            if cache[0] is not None:
                k, v = torch.cat([cache[0], k], 2), torch.cat([cache[1], v], 2)
            cache[0], cache[1] = k, v
        att = (q @ k.transpose(-2, -1)) / math.sqrt(C // self.h)
        S = k.shape[2]
        if T > 1:
            mask = torch.ones(T, S, dtype=torch.bool).tril(S - T)
            att = att.masked_fill(~mask, float("-inf"))
        y = F.softmax(att, dim=-1) @ v
        return self.proj(y.transpose(1, 2).reshape(B, T, C))


class Block(nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.ln1, self.attn, self.ln2 = nn.LayerNorm(d), Attention(d, h), nn.LayerNorm(d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    def forward(self, x, cache=None):
        x = x + self.attn(self.ln1(x), cache)
        return x + self.mlp(self.ln2(x))


class GPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok, self.pos = nn.Embedding(VOCAB, D), nn.Embedding(CTX, D)
        self.blocks = nn.ModuleList(Block(D, HEADS) for _ in range(LAYERS))
        self.ln = nn.LayerNorm(D)
        self.head = nn.Linear(D, VOCAB, bias=False)
        self.head.weight = self.tok.weight
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, std=0.02)
            if isinstance(m, nn.Linear) and m.bias is not None:
                nn.init.zeros_(m.bias)

    def forward(self, idx, caches=None, start=0):
        x = self.tok(idx) + self.pos(torch.arange(start, start + idx.shape[1]))
        for i, b in enumerate(self.blocks):
            x = b(x, None if caches is None else caches[i])
        return self.head(self.ln(x))


@torch.no_grad()
def generate(model, prompt, n):
    ids = prompt.clone()
    caches, pos = None, 0
    for _ in range(n):
        if caches is None or pos == CTX:
            window = ids[:, -(CTX // 2):]
            caches = [[None, None] for _ in model.blocks]
            logits = model(window, caches)[:, -1]
            pos = window.shape[1]
        else:
            logits = model(ids[:, -1:], caches, start=pos)[:, -1]
            pos += 1
        nxt = torch.multinomial(F.softmax(logits, -1), 1)
        ids = torch.cat([ids, nxt], 1)
    return ids


gen = torch.Generator().manual_seed(0)
data = torch.randint(0, VOCAB, (200_000,), generator=gen)
model = GPT()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)


def step():
    ix = torch.randint(len(data) - CTX - 1, (BATCH,), generator=gen)
    x = torch.stack([data[i:i + CTX] for i in ix])
    y = torch.stack([data[i + 1:i + 1 + CTX] for i in ix])
    loss = F.cross_entropy(model(x).flatten(0, 1), y.flatten())
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()


for line in sys.stdin:
    parts = line.split()
    if parts[0] == "train":
        model.train()
        seconds, inner = time_block(step, float(parts[1]))
        print(json.dumps({"case": "train", "seconds": seconds, "inner": inner}), flush=True)
    elif parts[0] == "sample":
        n = int(parts[1])
        model.eval()
        prompt = data[:16].unsqueeze(0)
        seconds, inner = time_block(lambda: generate(model, prompt, n), 0.0)
        print(json.dumps({"case": "sample", "seconds": seconds / n, "inner": inner}), flush=True)
    else:
        print(json.dumps({"error": f"unknown request {line.strip()}"}), flush=True)
