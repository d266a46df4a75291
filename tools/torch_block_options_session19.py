"""PyTorch 1.13 references for test/nn/block-options-session19.test.ts (float32).

A transcription, written for this test (the seed's source is not imported or copied), of the
pieces of stable-pretraining's `backbone/vit.py` and `backbone/pos_embed.py` that NEPA's blocks
use:

- `RotaryPositionEmbedding2D` + `apply_rotary_emb`: inv_freq = 1 / base^(j / (d/4)), j < d/4; the
  table cat([fh, fh, fw, fw]) over a row-major grid (fh from the row, fw from the column); pairs of
  adjacent channels (x[..., ::2], x[..., 1::2]) turned by the table's even entries (cos[..., ::2]);
- `QKNorm`: LayerNorm(head_dim, elementwise_affine=False), eps 1e-5, on q and k, before RoPE;
- `Attention`: fused qkv (bias), QK-Norm, RoPE (its `rope.inv_freq` buffer in the state dict), softmax(q k^T / sqrt(hd) + mask) v (1.13 has no
  F.scaled_dot_product_attention: written out; a boolean mask, True = blocked, as -inf), proj;
- `SwiGLU(in, hidden, out, bias=False)`: hidden int(2 hidden / 3); w3(silu(w1 x) * w2 x);
- `TransformerBlock(self_attn only, use_adaln False)`: LayerNorms (eps 1e-5), x + ls1 attn(norm1 x),
  y + ls2 mlp(norm2 y), parameters `ls1`, `ls2` of layer_scale_init * ones(dim).

Recorded: inputs, outputs and the gradients of sum(y * cot) (cot = cos(0.37 i + 0.1)) for each
piece; the modules' state dicts.

Run: /usr/bin/python3 tools/torch_block_options_session19.py -> test/fixtures/torch_block_options_session19.json
"""

import json
import os
import sys

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ssl_fixture_steps import as_written  # noqa: E402
from torch_fixture_helpers import cot, shaped  # noqa: E402


def rope_tables(d, gh, gw, base=10000.0):
    """The seed's 2-D table: [gh gw, d] cos and sin of cat([fh, fh, fw, fw])."""
    q = d // 4
    inv = 1.0 / (base ** (torch.arange(0, q).float() / q))
    fh = torch.outer(torch.arange(gh, dtype=torch.float32), inv).unsqueeze(1).expand(-1, gw, -1).reshape(-1, q)
    fw = torch.outer(torch.arange(gw, dtype=torch.float32), inv).unsqueeze(0).expand(gh, -1, -1).reshape(-1, q)
    f = torch.cat([fh, fh, fw, fw], dim=-1)
    return f.cos(), f.sin()


def rope(x, gh, gw, base=10000.0):
    cos, sin = rope_tables(x.shape[-1], gh, gw, base)
    cos, sin = cos[..., ::2], sin[..., ::2]
    x1, x2 = x[..., ::2], x[..., 1::2]
    return torch.stack([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1).flatten(-2)


class Attention(nn.Module):
    def __init__(self, dim, heads, qk_norm, use_rope):
        super().__init__()
        self.heads, self.hd, self.qk_norm, self.use_rope = heads, dim // heads, qk_norm, use_rope
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        if use_rope:  # the seed's RoPE submodule and its persistent buffer (the state dict's `rope.inv_freq`)
            self.rope = nn.Module()
            q = self.hd // 4
            self.rope.register_buffer("inv_freq", 1.0 / (10000.0 ** (torch.arange(0, q).float() / q)))

    def forward(self, x, grid, blocked=None):
        b, n, c = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, self.heads, self.hd).permute(2, 0, 3, 1, 4).unbind(0)
        if self.qk_norm:
            q, k = F.layer_norm(q, (self.hd,), eps=1e-5), F.layer_norm(k, (self.hd,), eps=1e-5)
        if self.use_rope:
            q, k = rope(q, *grid), rope(k, *grid)
        logits = q @ k.transpose(-2, -1) * self.hd ** -0.5
        if blocked is not None:
            logits = logits.masked_fill(blocked, float("-inf"))
        out = (logits.softmax(-1) @ v).transpose(1, 2).reshape(b, n, c)
        return self.proj(out)


class SwiGLU(nn.Module):
    def __init__(self, d_in, hidden, d_out):
        super().__init__()
        h = int(2 * hidden / 3)
        self.w1 = nn.Linear(d_in, h, bias=False)
        self.w2 = nn.Linear(d_in, h, bias=False)
        self.w3 = nn.Linear(h, d_out, bias=False)

    def forward(self, x):
        return self.w3(F.silu(self.w1(x)) * self.w2(x))


class Mlp(nn.Module):
    """timm's Mlp: fc1, exact GELU, fc2 (the block's feed-forward without SwiGLU)."""

    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class Block(nn.Module):
    """The seed's TransformerBlock (self-attention, no AdaLN) with use_layer_scale; the other options as flags."""

    def __init__(self, dim, heads, ls_init, qk_norm=True, use_rope=True, swiglu=True, mlp_ratio=4.0):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads, qk_norm, use_rope)
        self.ls1 = nn.Parameter(ls_init * torch.ones(dim))
        self.norm2 = nn.LayerNorm(dim)
        hidden = int(dim * mlp_ratio)
        self.mlp = SwiGLU(dim, hidden, dim) if swiglu else Mlp(dim, hidden)
        self.ls2 = nn.Parameter(ls_init * torch.ones(dim))

    def forward(self, x, grid, blocked=None):
        x = x + self.ls1 * self.attn(self.norm1(x), grid, blocked)
        return x + self.ls2 * self.mlp(self.norm2(x))


def record(module, inputs, run, graded=None):
    """Output and gradients of sum(y * cot) with respect to the inputs and the `graded` parameters (default all)."""
    y = run(*inputs)
    params = {k: p for k, p in module.named_parameters() if graded is None or k in graded}
    named = {**{f"input{i}": t for i, t in enumerate(inputs)}, **params}
    gs = torch.autograd.grad((y * cot(y)).sum(), list(named.values()))
    return {
        "inputs": [shaped(t) for t in inputs],
        "out": shaped(y),
        "grads": {k: shaped(g) for k, g in zip(named, gs)},
        "state_dict": {k: shaped(v) for k, v in module.state_dict().items()},
    }


def noisy_(module, scale=0.3):
    """Parameters off their defaults (LayerNorm affine too), so every one of them matters."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            p.copy_(as_written((1.0 if name.endswith(("norm1.weight", "norm2.weight")) else 0.0) + scale * torch.randn(p.shape)))


def randn(*shape):
    """An input as the fixture writes it (6 significant digits), requiring its gradient."""
    return as_written(torch.randn(*shape)).requires_grad_(True)


def main():
    torch.manual_seed(19)
    out = {}
    # RoPE alone: head width 12 (d/4 = 3 frequencies: pairs use 0, 2, 1 of them), grid 2x3; and width 8 on 3x2, base 100.
    for name, (d, gh, gw, base) in {"rope_d12": (12, 2, 3, 10000.0), "rope_d8": (8, 3, 2, 100.0)}.items():
        x = randn(1, 2, gh * gw, d)
        y = rope(x, gh, gw, base)
        (g,) = torch.autograd.grad((y * cot(y)).sum(), [x])
        out[name] = {"d": d, "grid": [gh, gw], "base": base, "x": shaped(x), "out": shaped(y), "grad": shaped(g)}
    # Attention (fused qkv, dim 8): QK-Norm alone (2 heads); QK-Norm + RoPE with a causal mask on a 2x3 grid (2 heads of 4);
    # RoPE alone on 9 tokens without a grid (the square 3x3 one; dim 8, 1 head).
    blocked = torch.triu(torch.ones(6, 6, dtype=torch.bool), diagonal=1)
    cases = {"attn_qknorm": (8, 2, True, False, None, 5, None), "attn_qknorm_rope_causal": (8, 2, True, True, blocked, 6, (2, 3)), "attn_rope_square": (8, 1, False, True, None, 9, (3, 3))}
    for name, (dim, heads, qk, rp, mask, n, grid) in cases.items():
        attn = Attention(dim, heads, qk, rp)
        noisy_(attn)
        x = randn(2 if n == 5 else 1, n, dim)
        out[name] = {"dim": dim, "heads": heads, **record(attn, [x], lambda t: attn(t, grid, mask), ["qkv.weight"])}
    # SwiGLU(6, 16, 5): gated width int(32 / 3) = 10.
    sw = SwiGLU(6, 16, 5)
    noisy_(sw)
    out["swiglu"] = record(sw, [randn(2, 3, 6)], sw)
    # The whole block: dim 8, 1 head of 8, QK-Norm, RoPE (2x3 grid), SwiGLU (gated width 21), LayerScale; causal.
    block = Block(8, 1, 0.3)
    noisy_(block)
    graded = ["ls1", "ls2", "norm1.weight", "attn.qkv.weight", "mlp.w1.weight"]
    out["block"] = record(block, [randn(1, 6, 8)], lambda t: block(t, (2, 3), blocked), graded)
    fresh = Block(16, 2, 1e-5)
    out["block_init"] = {"ls1": shaped(fresh.ls1), "swiglu_width": fresh.mlp.w1.out_features}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "torch_block_options_session19.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print(path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
