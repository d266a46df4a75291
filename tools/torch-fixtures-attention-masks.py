"""PyTorch 1.13 references for test/nn/attention-masks.test.ts.

- F._scaled_dot_product_attention (1.13's form of 2.x's F.scaled_dot_product_attention, same
  boolean convention: True takes part in attention) with boolean masks, a fully masked query row
  (NaN, as the math path), is_causal with L != S; float (additive) masks and a custom scale,
  written as softmax(scale q k^T + mask) v (1.13's function takes neither);
- nn.MultiheadAttention(batch_first=True), whose in_proj / out_proj are timm's qkv / proj, with
  key_padding_mask (True = padding) and attn_mask (True = NOT allowed, MHA's convention), and an
  example whose keys are all padding (NaN).
Gradients are of sum(out * cot). Run: /usr/bin/python3 tools/torch-fixtures-attention-masks.py"""
import json
import math
import torch
import torch.nn.functional as F

torch.manual_seed(0)
# NaN is null, infinities the strings "inf" / "-inf" (JSON has neither).
R = lambda v: [None if math.isnan(x) else ("inf" if x > 0 else "-inf") if math.isinf(x) else float("%.7g" % x) for x in v]


def enc(t):
    if t.dtype == torch.bool:
        return {"shape": list(t.shape), "data": [int(b) for b in t.reshape(-1).tolist()], "dtype": "bool"}
    return {"shape": list(t.shape), "data": R(t.detach().reshape(-1).tolist()), "dtype": "float32"}


q = torch.randn(2, 2, 4, 6)
k = torch.randn(2, 2, 5, 6)
v = torch.randn(2, 2, 5, 4)
mask = torch.rand(4, 5) > 0.35
mask[:, 0] = True  # no row fully masked
mask_nan = mask.clone()
mask_nan[2] = False  # query 2 attends to nothing
fmask = torch.randn(2, 1, 4, 5)
fmask[0, 0, 1, 3] = float("-inf")


def sdpa_bool(m):
    return lambda a, b, c: F._scaled_dot_product_attention(a, b, c, attn_mask=m)[0]


def reference(scale, add):
    return lambda a, b, c: torch.softmax(a @ b.transpose(-1, -2) * scale + add, -1) @ c


sdpa = {}
for name, fn in {
    "bool_mask": sdpa_bool(mask),
    "bool_mask_full_row_nan": sdpa_bool(mask_nan),
    "causal": lambda a, b, c: F._scaled_dot_product_attention(a, b, c, is_causal=True)[0],
    "float_mask_scale": reference(0.3, fmask),
    "no_mask": lambda a, b, c: F._scaled_dot_product_attention(a, b, c)[0],
}.items():
    ts = [t.clone().requires_grad_(True) for t in (q, k, v)]
    out = fn(*ts)
    cot = torch.randn(out.shape)
    entry = {"out": enc(out), "cot": enc(cot)}
    if not torch.isnan(out).any():
        entry["grads"] = [enc(g) for g in torch.autograd.grad((out * cot).sum(), ts)]
    sdpa[name] = entry

mha = torch.nn.MultiheadAttention(8, 2, batch_first=True)
with torch.no_grad():
    mha.in_proj_bias.copy_(torch.randn(24) * 0.1)
x = torch.randn(3, 5, 8)
kpm = torch.tensor([[False, False, False, True, True], [False, False, False, False, False], [False, True, False, False, True]])
am = torch.rand(5, 5) > 0.7  # MHA: True = not allowed
am.fill_diagonal_(False)
kpm_nan = kpm.clone()
kpm_nan[1] = True  # example 1: every key is padding
layer = {}
for name, (pad, attn) in {"padding": (kpm, None), "padding_and_mask": (kpm, am), "mask_only": (None, am), "all_padding_nan": (kpm_nan, None)}.items():
    xx = x.clone().requires_grad_(True)
    out, _ = mha(xx, xx, xx, key_padding_mask=pad, attn_mask=attn, need_weights=False)
    cot = torch.randn(out.shape)
    entry = {"out": enc(out), "cot": enc(cot), "key_padding_mask": enc(pad) if pad is not None else None, "attn_mask_allowed": enc(~attn) if attn is not None else None}
    if not torch.isnan(out).any():
        gx, gw = torch.autograd.grad((out * cot).sum(), [xx, mha.in_proj_weight])
        entry["grads"] = {"x": enc(gx), "qkv.weight": enc(gw)}
    layer[name] = entry

out = {
    "torch": torch.__version__,
    "q": enc(q), "k": enc(k), "v": enc(v),
    "mask": enc(mask), "mask_nan": enc(mask_nan), "float_mask": enc(fmask),
    "sdpa": sdpa,
    "layer": {
        "x": enc(x),
        "state_dict": {"qkv.weight": enc(mha.in_proj_weight), "qkv.bias": enc(mha.in_proj_bias), "proj.weight": enc(mha.out_proj.weight), "proj.bias": enc(mha.out_proj.bias)},
        "cases": layer,
    },
}
with open("test/fixtures/torch_attention_masks.json", "w") as f:
    json.dump(out, f, separators=(",", ":"))
