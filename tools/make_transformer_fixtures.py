#!/usr/bin/python3
"""Reference values for Dendrite's attention layers, Transformer blocks and GPT, computed with PyTorch 1.13.

Run as `/usr/bin/python3 tools/make_transformer_fixtures.py` from the repository root; it rewrites
tests/fixtures/transformer.json. With `--parity PATH` it also writes a GPT-2 parity file for
`dendrite zoo verify PATH` (the same tiny model: state dict in Hugging Face names, __input__, __logits__ and the
GPT-2 metadata). Every input and weight is drawn here from one seeded torch.Generator and stored in the fixture.

Sections (each entry: inputs, weights, the weights r of the scalar L = sum(out * r), torch's output, and the
gradients of L, or of the cross-entropy for GPT):
  attention     softmax(q k^T * scale + mask) v written out, with no mask, causal (square and with T < S, also
                longer than one 64-row block), a boolean padding mask and an additive mask.
  mha           torch.nn.MultiheadAttention, time- and batch-first, with key_padding_mask and boolean or float
                attn_mask; its head-averaged weights.
  encoder       torch.nn.TransformerEncoderLayer, post- and pre-norm, relu and gelu, with masks.
  decoder       torch.nn.TransformerDecoderLayer, post- and pre-norm, with a causal target mask and a memory
                padding mask.
  transformer   torch.nn.Transformer (2 encoder, 2 decoder layers).
  layernorm     torch.nn.LayerNorm over one and two trailing dimensions.
  gelu          torch.nn.functional.gelu, exact and tanh.
  positional    the sinusoidal table of Vaswani et al. and rotary embeddings (rotate-half form) written out.
  gpt2          a GPT-2 written out as Hugging Face's GPT2LMHeadModel computes it (Conv1D weights [in, out],
                gelu_new, pre-norm blocks, tied lm_head): 2 layers, 4 heads, d 32, vocab 50, context 16; logits
                and the gradients of the mean cross-entropy for every parameter.
"""
import argparse
import json
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_zoo_parity import save_safetensors  # noqa: E402

SEED = 20261207
GEN = torch.Generator().manual_seed(SEED)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "transformer.json")


def encode(t):
    """Shape, dtype and flat values; float32 with 9 significant digits, infinities as "inf" and "-inf"."""
    t = t.detach().contiguous()
    flat = t.reshape(-1).tolist()
    if t.dtype == torch.float32:
        return {"shape": list(t.shape), "dtype": "float32", "data": [float("%.9g" % v) if math.isfinite(v) else str(v) for v in flat]}
    if t.dtype == torch.int64:
        return {"shape": list(t.shape), "dtype": "int64", "data": flat}
    if t.dtype == torch.bool:
        return {"shape": list(t.shape), "dtype": "bool", "data": [bool(v) for v in flat]}
    raise ValueError(f"unsupported dtype {t.dtype}")


def randn(*shape):
    return torch.randn(shape, generator=GEN)


def reinit(module, scale=0.3):
    """Every parameter from our generator: weights N(0, scale²), LayerNorm weights near 1."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            if "norm" in name and name.endswith("weight") or name.split(".")[-2:-1] in (["ln_1"], ["ln_2"], ["ln_f"]) \
                    and name.endswith("weight"):
                p.copy_(1 + 0.1 * randn(*p.shape))
            else:
                p.copy_(scale * randn(*p.shape))


def grads(module):
    return {k: encode(p.grad) for k, p in module.named_parameters()}


def attention_case(name, B, H, T, S, D, mask=None, causal=False):
    q, k, v = randn(B, H, T, D).requires_grad_(), randn(B, H, S, D).requires_grad_(), randn(B, H, S, D).requires_grad_()
    scores = q @ k.transpose(-2, -1) / math.sqrt(D)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf")) if mask.dtype == torch.bool else scores + mask
    if causal:
        keep = torch.ones(T, S, dtype=torch.bool).tril(S - T)
        scores = scores.masked_fill(~keep, float("-inf"))
    w = F.softmax(scores, -1)
    y = w @ v
    r = randn(*y.shape)
    (y * r).sum().backward()
    e = {"name": name, "causal": causal, "q": encode(q), "k": encode(k), "v": encode(v), "r": encode(r),
         "y": encode(y), "weights": encode(w), "grad_q": encode(q.grad), "grad_k": encode(k.grad),
         "grad_v": encode(v.grad)}
    if mask is not None:
        e["mask"] = encode(mask)
    return e


def mha_case(name, E, heads, T, S, B, batch_first, kpm=None, attn_mask=None):
    m = nn.MultiheadAttention(E, heads, batch_first=batch_first)
    reinit(m)
    shape_q = (B, T, E) if batch_first else (T, B, E)
    shape_k = (B, S, E) if batch_first else (S, B, E)
    q, k, v = randn(*shape_q).requires_grad_(), randn(*shape_k).requires_grad_(), randn(*shape_k).requires_grad_()
    y, w = m(q, k, v, key_padding_mask=kpm, attn_mask=attn_mask, need_weights=True)
    r = randn(*y.shape)
    (y * r).sum().backward()
    e = {"name": name, "embed": E, "heads": heads, "batch_first": batch_first,
         "state_dict": {k2: encode(t) for k2, t in m.state_dict().items()},
         "query": encode(q), "key": encode(k), "value": encode(v), "r": encode(r),
         "y": encode(y), "weights": encode(w), "grad_query": encode(q.grad), "grad_key": encode(k.grad),
         "grad_value": encode(v.grad), "grads": grads(m)}
    if kpm is not None:
        e["key_padding_mask"] = encode(kpm)
    if attn_mask is not None:
        e["attn_mask"] = encode(attn_mask)
    return e


def causal_float(n):
    return torch.triu(torch.full((n, n), float("-inf")), diagonal=1)


def encoder_case(name, norm_first, activation, batch_first, src_mask=None, kpm=None):
    E, heads, ff, T, B = 8, 2, 16, 5, 3
    m = nn.TransformerEncoderLayer(E, heads, ff, dropout=0.0, activation=activation, batch_first=batch_first,
                                   norm_first=norm_first)
    reinit(m)
    x = randn(*((B, T, E) if batch_first else (T, B, E))).requires_grad_()
    y = m(x, src_mask=src_mask, src_key_padding_mask=kpm)
    r = randn(*y.shape)
    (y * r).sum().backward()
    e = {"name": name, "embed": E, "heads": heads, "ff": ff, "norm_first": norm_first, "activation": activation,
         "batch_first": batch_first, "state_dict": {k: encode(t) for k, t in m.state_dict().items()},
         "x": encode(x), "r": encode(r), "y": encode(y), "grad_x": encode(x.grad), "grads": grads(m)}
    if src_mask is not None:
        e["src_mask"] = encode(src_mask)
    if kpm is not None:
        e["src_key_padding_mask"] = encode(kpm)
    return e


def decoder_case(name, norm_first, batch_first):
    E, heads, ff, T, S, B = 8, 2, 16, 4, 6, 2
    m = nn.TransformerDecoderLayer(E, heads, ff, dropout=0.0, batch_first=batch_first, norm_first=norm_first)
    reinit(m)
    tgt = randn(*((B, T, E) if batch_first else (T, B, E))).requires_grad_()
    mem = randn(*((B, S, E) if batch_first else (S, B, E))).requires_grad_()
    tgt_mask = causal_float(T)
    mkpm = torch.zeros(B, S, dtype=torch.bool)
    mkpm[1, 4:] = True
    y = m(tgt, mem, tgt_mask=tgt_mask, memory_key_padding_mask=mkpm)
    r = randn(*y.shape)
    (y * r).sum().backward()
    return {"name": name, "embed": E, "heads": heads, "ff": ff, "norm_first": norm_first, "batch_first": batch_first,
            "state_dict": {k: encode(t) for k, t in m.state_dict().items()}, "tgt": encode(tgt),
            "memory": encode(mem), "tgt_mask": encode(tgt_mask), "memory_key_padding_mask": encode(mkpm),
            "r": encode(r), "y": encode(y), "grad_tgt": encode(tgt.grad), "grad_memory": encode(mem.grad),
            "grads": grads(m)}


def transformer_case():
    E, heads, ff, S, T, B = 8, 2, 16, 6, 5, 2
    m = nn.Transformer(E, heads, 2, 2, ff, dropout=0.0, batch_first=True)
    reinit(m)
    src, tgt = randn(B, S, E).requires_grad_(), randn(B, T, E).requires_grad_()
    tgt_mask = m.generate_square_subsequent_mask(T)
    skpm = torch.zeros(B, S, dtype=torch.bool)
    skpm[0, 5:] = True
    y = m(src, tgt, tgt_mask=tgt_mask, src_key_padding_mask=skpm, memory_key_padding_mask=skpm)
    r = randn(*y.shape)
    (y * r).sum().backward()
    return {"name": "transformer", "embed": E, "heads": heads, "ff": ff, "encoder_layers": 2, "decoder_layers": 2,
            "state_dict": {k: encode(t) for k, t in m.state_dict().items()}, "src": encode(src), "tgt": encode(tgt),
            "tgt_mask": encode(tgt_mask), "src_key_padding_mask": encode(skpm), "r": encode(r), "y": encode(y),
            "grad_src": encode(src.grad), "grad_tgt": encode(tgt.grad), "grads": grads(m)}


def layernorm_case(name, shape, normalized):
    m = nn.LayerNorm(normalized)
    with torch.no_grad():
        m.weight.copy_(1 + 0.3 * randn(*normalized))
        m.bias.copy_(0.3 * randn(*normalized))
    x = (2 * randn(*shape) + 0.5).requires_grad_()
    y = m(x)
    r = randn(*y.shape)
    (y * r).sum().backward()
    return {"name": name, "normalized": list(normalized), "x": encode(x), "weight": encode(m.weight),
            "bias": encode(m.bias), "r": encode(r), "y": encode(y), "grad_x": encode(x.grad),
            "grad_weight": encode(m.weight.grad), "grad_bias": encode(m.bias.grad)}


def gelu_case(approximate):
    x = (2 * randn(64)).requires_grad_()
    y = F.gelu(x, approximate=approximate)
    r = randn(64)
    (y * r).sum().backward()
    return {"name": approximate, "x": encode(x), "r": encode(r), "y": encode(y), "grad_x": encode(x.grad)}


def sinusoidal(length, d):
    pos = torch.arange(length, dtype=torch.float64).unsqueeze(1)
    div = torch.pow(10000.0, torch.arange(0, d, 2, dtype=torch.float64) / d)
    pe = torch.zeros(length, d, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(pos / div)
    pe[:, 1::2] = torch.cos(pos / div)
    return pe.float()


def rotary_case(B, H, T, D, offset, base=10000.0):
    x = randn(B, H, T, D).requires_grad_()
    inv = 1.0 / base ** (torch.arange(0, D, 2, dtype=torch.float64) / D)
    ang = torch.arange(offset, offset + T, dtype=torch.float64).unsqueeze(1) * inv   # (T, D/2)
    cos = torch.cat([ang.cos(), ang.cos()], -1).float()
    sin = torch.cat([ang.sin(), ang.sin()], -1).float()
    x1, x2 = x[..., :D // 2], x[..., D // 2:]
    y = x * cos + torch.cat([-x2, x1], -1) * sin
    r = randn(*y.shape)
    (y * r).sum().backward()
    return {"name": f"rotary_offset{offset}", "offset": offset, "base": base, "x": encode(x), "r": encode(r),
            "y": encode(y), "grad_x": encode(x.grad)}


# ---- GPT-2 as Hugging Face's GPT2LMHeadModel computes it ----

class Conv1D(nn.Module):
    def __init__(self, nx, nf):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(nx, nf))
        self.bias = nn.Parameter(torch.zeros(nf))

    def forward(self, x):
        return torch.addmm(self.bias, x.reshape(-1, x.shape[-1]), self.weight).view(*x.shape[:-1], -1)


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class Gpt2Attention(nn.Module):
    def __init__(self, e, h, ctx):
        super().__init__()
        self.h = h
        self.c_attn, self.c_proj = Conv1D(e, 3 * e), Conv1D(e, e)
        self.register_buffer("bias", torch.ones(ctx, ctx, dtype=torch.bool).tril(), persistent=False)

    def forward(self, x):
        B, T, E = x.shape
        q, k, v = self.c_attn(x).split(E, dim=2)
        q, k, v = (t.view(B, T, self.h, E // self.h).transpose(1, 2) for t in (q, k, v))
        w = q @ k.transpose(-1, -2) / math.sqrt(E // self.h)
        w = torch.where(self.bias[:T, :T], w, torch.tensor(torch.finfo(w.dtype).min))
        y = F.softmax(w, dim=-1) @ v
        return self.c_proj(y.transpose(1, 2).reshape(B, T, E))


class Gpt2Mlp(nn.Module):
    def __init__(self, e):
        super().__init__()
        self.c_fc, self.c_proj = Conv1D(e, 4 * e), Conv1D(4 * e, e)

    def forward(self, x):
        return self.c_proj(gelu_new(self.c_fc(x)))


class Gpt2Block(nn.Module):
    def __init__(self, e, h, ctx, eps):
        super().__init__()
        self.ln_1, self.attn = nn.LayerNorm(e, eps=eps), Gpt2Attention(e, h, ctx)
        self.ln_2, self.mlp = nn.LayerNorm(e, eps=eps), Gpt2Mlp(e)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class Gpt2Body(nn.Module):
    def __init__(self, v, ctx, layers, h, e, eps):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(v, e), nn.Embedding(ctx, e)
        self.h = nn.ModuleList(Gpt2Block(e, h, ctx, eps) for _ in range(layers))
        self.ln_f = nn.LayerNorm(e, eps=eps)


class Gpt2LMHead(nn.Module):
    def __init__(self, v, ctx, layers, h, e, eps):
        super().__init__()
        self.transformer = Gpt2Body(v, ctx, layers, h, e, eps)
        self.lm_head = nn.Linear(e, v, bias=False)
        self.lm_head.weight = self.transformer.wte.weight

    def forward(self, ids):
        t = self.transformer
        x = t.wte(ids) + t.wpe(torch.arange(ids.shape[1]))
        for b in t.h:
            x = b(x)
        return self.lm_head(t.ln_f(x))


GPT2 = {"vocab_size": 50, "n_positions": 16, "n_layer": 2, "n_head": 4, "n_embd": 32, "layer_norm_epsilon": 1e-5}


def gpt2_model():
    c = GPT2
    m = Gpt2LMHead(c["vocab_size"], c["n_positions"], c["n_layer"], c["n_head"], c["n_embd"],
                   c["layer_norm_epsilon"])
    reinit(m, scale=0.2)
    return m


def gpt2_case():
    m = gpt2_model()
    ids = torch.randint(0, GPT2["vocab_size"], (2, 16), generator=GEN)
    targets = torch.randint(0, GPT2["vocab_size"], (2, 16), generator=GEN)
    logits = m(ids)
    loss = F.cross_entropy(logits.reshape(-1, GPT2["vocab_size"]), targets.reshape(-1))
    loss.backward()
    return {"name": "gpt2", "config": GPT2, "state_dict": {k: encode(t) for k, t in m.state_dict().items()},
            "ids": encode(ids), "targets": encode(targets), "logits": encode(logits), "loss": float(loss),
            "grads": grads(m)}


def write_parity(path):
    m = gpt2_model().eval()
    ids = torch.randint(0, GPT2["vocab_size"], (3, 12), generator=GEN)
    with torch.no_grad():
        logits = m(ids)
    tensors = dict(m.state_dict())
    tensors["__input__"] = ids
    tensors["__logits__"] = logits
    meta = {"model": "gpt2", "activation_function": "gelu_new", **{k: str(v) for k, v in GPT2.items()}}
    save_safetensors(path, tensors, meta)
    print(f"wrote {path}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--parity", help="also write a GPT-2 parity file for `dendrite zoo verify` here")
    a = p.parse_args()
    pad = torch.ones(2, 1, 1, 6, dtype=torch.bool)
    pad[1, ..., 4:] = False
    kpm = torch.zeros(2, 5, dtype=torch.bool)
    kpm[0, 3:] = True
    fixture = {
        "header": {"generator": "tools/make_transformer_fixtures.py", "torch": torch.__version__, "seed": SEED},
        "attention": [
            attention_case("plain", 2, 2, 4, 5, 3),
            attention_case("causal", 2, 2, 5, 5, 3, causal=True),
            attention_case("causal_cached", 1, 2, 2, 6, 4, causal=True),
            attention_case("padding", 2, 2, 3, 6, 4, mask=pad),
            attention_case("additive", 1, 2, 4, 4, 3, mask=0.5 * randn(4, 4)),
        ],
        "mha": [
            mha_case("time_first", 8, 2, 4, 5, 2, False),
            mha_case("batch_first_padding", 8, 4, 5, 5, 2, True, kpm=kpm),
            mha_case("bool_causal", 6, 3, 4, 4, 2, True, attn_mask=torch.ones(4, 4, dtype=torch.bool).triu(1)),
            mha_case("float_mask", 8, 2, 3, 5, 2, False, attn_mask=0.5 * randn(3, 5)),
        ],
        "encoder": [
            encoder_case("post_relu", False, "relu", False, kpm=torch.tensor([[False] * 5, [False] * 3 + [True] * 2,
                                                                             [False] * 4 + [True]])),
            encoder_case("pre_gelu_causal", True, "gelu", True, src_mask=causal_float(5)),
        ],
        "decoder": [decoder_case("post", False, False), decoder_case("pre", True, True)],
        "transformer": [transformer_case()],
        "layernorm": [layernorm_case("last", (3, 4, 6), (6,)), layernorm_case("two", (2, 3, 4, 5), (4, 5))],
        "gelu": [gelu_case("none"), gelu_case("tanh")],
        "positional": [{"name": "sinusoidal", "length": 12, "d": 8, "table": encode(sinusoidal(12, 8))},
                       rotary_case(2, 2, 5, 8, 0), rotary_case(1, 2, 3, 8, 7)],
        "gpt2": [gpt2_case()],
    }
    # Causal cases longer than one block of Dendrite's blocked causal products (64 rows), at sizes that are not a
    # multiple of it; drawn last, so the values above do not change.
    fixture["attention"] += [attention_case("causal_blocks", 1, 1, 67, 67, 3, causal=True),
                             attention_case("causal_blocks_cached", 1, 1, 70, 100, 2, causal=True)]
    with open(OUT, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
    print(f"wrote {OUT}")
    if a.parity:
        write_parity(a.parity)


if __name__ == "__main__":
    main()
