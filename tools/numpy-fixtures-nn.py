#!/usr/bin/env python3
"""Reference values (NumPy, float64) for the jax.nn-style functions of tfjax's nn
(test/nn/functional-jax.test.ts): dotProductAttention (jax.nn.dot_product_attention's
semantics, written out here), gelu (tanh form), logSigmoid, leakyRelu, standardize, softplus,
elu, selu, celu, relu6, hardTanh, hardSigmoid, hardSilu, softSign, glu.
Writes test/fixtures/numpy_nn.json; run from the repo root: python3 tools/numpy-fixtures-nn.py
"""
import json
import math
import numpy as np

rng = np.random.default_rng(161)


def arr(*shape):
    return rng.standard_normal(shape).astype(np.float32).round(3).astype(np.float64)


def enc(x):
    x = np.asarray(x, dtype=np.float64)
    return {"shape": list(x.shape), "data": [float(f"{v:.9g}") for v in x.ravel()]}


def attention(q, k, v, bias=None, mask=None, scale=None, is_causal=False):
    b, t, n, h = q.shape
    s, kh = k.shape[1], k.shape[2]
    g = n // kh
    k = np.repeat(k, g, axis=2)  # key head j serves query heads j*g .. j*g+g-1
    v = np.repeat(v, g, axis=2)
    logits = np.einsum("btnh,bsnh->bnts", q, k) * (scale if scale is not None else 1 / math.sqrt(h))
    if bias is not None:
        logits = logits + bias
    if is_causal:
        causal = np.tril(np.ones((t, s), dtype=bool))
        mask = causal if mask is None else (mask & causal)
    if mask is not None:
        logits = np.where(mask, logits, -0.7 * np.finfo(np.float32).max)
    w = np.exp(logits - logits.max(-1, keepdims=True))
    w = w / w.sum(-1, keepdims=True)
    return np.einsum("bnts,bsnh->btnh", w, v)


q, k, v = arr(2, 3, 4, 5), arr(2, 6, 2, 5), arr(2, 6, 2, 5)
bias = arr(1, 4, 3, 6)
mask = rng.random((2, 1, 3, 6)) < 0.7
x = arr(3, 7) * 3
cases = {
    "attention": {"inputs": [enc(q), enc(k), enc(v)], "out": enc(attention(q, k, v))},
    "attention_bias_mask_scale": {"inputs": [enc(q), enc(k), enc(v), enc(bias), enc(mask)], "out": enc(attention(q, k, v, bias, mask, scale=0.3))},
    "attention_causal_unbatched": {"inputs": [enc(q[0]), enc(k[0, :3]), enc(v[0, :3])], "out": enc(attention(q[:1], k[:1, :3], v[:1, :3], is_causal=True)[0])},
    "gelu_tanh": {"inputs": [enc(x)], "out": enc(0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))))},
    "log_sigmoid": {"inputs": [enc(x * 10)], "out": enc(-np.logaddexp(0, -x * 10))},
    "leaky_relu": {"inputs": [enc(x)], "out": enc(np.where(x >= 0, x, 0.2 * x))},
    "standardize": {"inputs": [enc(x)], "out": enc((x - x.mean(0, keepdims=True)) / np.sqrt(x.var(0, keepdims=True) + 1e-5))},
    "softplus": {"inputs": [enc(x * 10)], "out": enc(np.logaddexp(x * 10, 0))},
    "elu": {"inputs": [enc(x)], "out": enc(np.where(x > 0, x, 0.7 * np.expm1(np.minimum(x, 0))))},
    "selu": {"inputs": [enc(x)], "out": enc(1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(np.minimum(x, 0))))},
    "celu": {"inputs": [enc(x)], "out": enc(np.maximum(x, 0) + 1.5 * np.expm1(np.minimum(x, 0) / 1.5))},
    "relu6": {"inputs": [enc(x * 3)], "out": enc(np.clip(x * 3, 0, 6))},
    "hard_tanh": {"inputs": [enc(x)], "out": enc(np.clip(x, -1, 1))},
    "hard_sigmoid": {"inputs": [enc(x)], "out": enc(np.clip(x + 3, 0, 6) / 6)},
    "hard_silu": {"inputs": [enc(x)], "out": enc(x * np.clip(x + 3, 0, 6) / 6)},
    "soft_sign": {"inputs": [enc(x)], "out": enc(x / (np.abs(x) + 1))},
    "glu": {"inputs": [enc(x[:, :6])], "out": enc(x[:, :3] / (1 + np.exp(-x[:, 3:6])))},
}
with open("test/fixtures/numpy_nn.json", "w") as f:
    json.dump({"generator": "tools/numpy-fixtures-nn.py", "cases": cases}, f, separators=(",", ":"))
print(len(cases), "cases")
