"""Float64 references for test/nn/jax-nn-session14.test.ts, transcribed from jax.nn's
definitions (jax/_src/nn/functions.py): activations and their derivatives under JAX's
rules at the kinks (relu' = 0 at 0; relu6' = 0 at 0 and 6; lax.max / lax.min split a tie
0.5 / 0.5; abs' = 1 at 0), gelu's exact form x/2 erfc(-x/sqrt 2), glu along axis 0,
softmax / log_softmax / logsumexp over axis tuples with `where`, standardize over axis tuples,
and dot_product_attention with a bias, masks, grouped heads, fully masked rows and no batch.
Writes test/fixtures/jax_nn_session14.json."""
import json
import math
from pathlib import Path

import numpy as np

from shaped_json import enc

rng = np.random.default_rng(14)
NEG = -0.7 * float(np.finfo(np.float32).max)  # jax's _get_large_negative(float32)
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946




def sigmoid(x):
    return 0.5 * (1 + np.tanh(x / 2))


def softplus(x):
    return np.logaddexp(x, 0)


erfc = np.vectorize(math.erfc)
TIE = 0.5  # lax.max / lax.min's derivative at a tie


def max0_grad(x):
    return np.where(x > 0, 1.0, np.where(x == 0, TIE, 0.0))


def min0_grad(x):
    return np.where(x < 0, 1.0, np.where(x == 0, TIE, 0.0))


def hard_sigmoid(x):
    return np.clip(x + 3, 0, 6) / 6


def hard_sigmoid_grad(x):
    return ((x + 3 > 0) & (x + 3 < 6)) / 6.0


def gelu_tanh(x):
    return x * 0.5 * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))


def gelu_tanh_grad(x):
    u = math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)
    du = math.sqrt(2 / math.pi) * (1 + 3 * 0.044715 * x**2)
    return 0.5 * (1 + np.tanh(u)) + x * 0.5 * (1 - np.tanh(u) ** 2) * du


def mish(x):
    return x * np.tanh(softplus(x))


def mish_grad(x):
    t = np.tanh(softplus(x))
    return t + x * (1 - t**2) * sigmoid(x)


CELU_ALPHA = 0.5
LEAKY = 0.2
SQUARE_B = 2.0
# value, derivative (JAX's at the kinks)
ACTIVATIONS = {
    "relu": (lambda x: np.maximum(x, 0), lambda x: (x > 0) * 1.0),
    "relu6": (lambda x: np.clip(x, 0, 6), lambda x: ((x > 0) & (x < 6)) * 1.0),
    "sigmoid": (sigmoid, lambda x: sigmoid(x) * sigmoid(-x)),
    "log_sigmoid": (lambda x: -softplus(-x), lambda x: sigmoid(-x)),
    "softplus": (softplus, sigmoid),
    "soft_sign": (lambda x: x / (np.abs(x) + 1), lambda x: 1 / (np.abs(x) + 1) ** 2),
    "silu": (lambda x: x * sigmoid(x), lambda x: sigmoid(x) * (1 + x * sigmoid(-x))),
    "gelu_tanh": (gelu_tanh, gelu_tanh_grad),
    "gelu_exact": (lambda x: 0.5 * x * erfc(-x / math.sqrt(2)), lambda x: 0.5 * erfc(-x / math.sqrt(2)) + x * np.exp(-x * x / 2) / math.sqrt(2 * math.pi)),
    "elu": (lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))), lambda x: np.where(x > 0, 1.0, np.exp(np.minimum(x, 0)))),
    # max(x, 0) + alpha expm1(min(x, 0) / alpha): both ties at 0 count half.
    "celu": (
        lambda x: np.maximum(x, 0) + CELU_ALPHA * np.expm1(np.minimum(x, 0) / CELU_ALPHA),
        lambda x: max0_grad(x) + np.exp(np.minimum(x, 0) / CELU_ALPHA) * min0_grad(x),
    ),
    "selu": (
        lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0))),
        lambda x: SELU_SCALE * np.where(x > 0, 1.0, SELU_ALPHA * np.exp(np.minimum(x, 0))),
    ),
    "leaky_relu": (lambda x: np.where(x >= 0, x, LEAKY * x), lambda x: np.where(x >= 0, 1.0, LEAKY)),
    "hard_tanh": (lambda x: np.clip(x, -1, 1), lambda x: ((x >= -1) & (x <= 1)) * 1.0),
    "hard_sigmoid": (hard_sigmoid, hard_sigmoid_grad),
    "hard_silu": (lambda x: x * hard_sigmoid(x), lambda x: hard_sigmoid(x) + x * hard_sigmoid_grad(x)),
    "squareplus": (lambda x: (x + np.sqrt(x * x + SQUARE_B)) / 2, lambda x: (1 + x / np.sqrt(x * x + SQUARE_B)) / 2),
    "mish": (mish, mish_grad),
    # 0.5 clip(x + 1, 0, 2): clip is min(max(.)), so its ends are ties.
    "sparse_sigmoid": (lambda x: 0.5 * np.clip(x + 1, 0, 2), lambda x: 0.5 * np.where((x > -1) & (x < 1), 1.0, np.where(np.abs(x) == 1, TIE, 0.0))),
}

X = np.array([-30.0, -12.0, -8.0, -6.0, -3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, 6.0, 8.0, 25.0])
fx = {"x": enc(X)}
for name, (f, df) in ACTIVATIONS.items():
    fx[name] = enc(f(X))
    fx[name + "_grad"] = enc(df(X))

g = np.round(rng.normal(size=(4, 3)), 3)
fx["glu_x"] = enc(g)
fx["glu_axis0"] = enc(g[:2] * sigmoid(g[2:]))


def softmax(x, axis, where):
    xs = np.where(where, x, -np.inf)
    m = np.max(xs, axis=axis, keepdims=True)
    e = np.where(where, np.exp(xs - m), 0)
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(x, axis, where):
    xs = np.where(where, x, -np.inf)
    m = np.max(xs, axis=axis, keepdims=True)
    lse = np.log(np.where(where, np.exp(xs - m), 0).sum(axis=axis, keepdims=True))
    return np.where(where, xs - m - lse, -np.inf)


s = np.round(rng.normal(size=(2, 3, 4)) * 2, 3)
sw = rng.random((2, 3, 4)) > 0.3
sw[1, :, 2] = False
fx["s"] = enc(s)
fx["s_where"] = enc(sw)
fx["softmax_12_where"] = enc(softmax(s, (1, 2), sw))
fx["log_softmax_02_where"] = enc(log_softmax(s, (0, 2), sw))
fx["softmax_02"] = enc(softmax(s, (0, 2), np.ones_like(sw)))
m = s.max(axis=(0, 2), keepdims=True)
fx["logsumexp_02"] = enc((m + np.log(np.exp(s - m).sum(axis=(0, 2), keepdims=True))).reshape(3))
# standardize: JAX's variance is mean(x^2) - mean^2 over the axes (with where).
mean = np.sum(s * sw, axis=(0, 2), keepdims=True) / np.sum(sw, axis=(0, 2), keepdims=True)
var = np.sum(s * s * sw, axis=(0, 2), keepdims=True) / np.sum(sw, axis=(0, 2), keepdims=True) - mean**2
fx["standardize_02_where"] = enc((s - mean) / np.sqrt(var + 1e-5))
mean2 = s.mean(axis=(1, 2), keepdims=True)
fx["standardize_12_eps"] = enc((s - mean2) / np.sqrt((s * s).mean(axis=(1, 2), keepdims=True) - mean2**2 + 0.5))


def attention(q, k, v, bias=None, mask=None, scale=None, causal=False, q_len=None, kv_len=None, window=None):
    """jax.nn.dot_product_attention's XLA path: [B, T, N, H] queries, [B, S, K, H] keys / values."""
    B, T, N, H = q.shape
    S, K = k.shape[1], k.shape[2]
    heads = np.arange(N) // (N // K)  # query head n reads key head n // G
    logits = np.einsum("btnh,bsnh->bnts", q, k[:, :, heads]) * (1 / math.sqrt(H) if scale is None else scale)
    if bias is not None:
        logits = logits + bias
    keep = np.ones((B, N, T, S), bool)
    if mask is not None:
        keep &= mask
    ti, si = np.arange(T)[:, None], np.arange(S)[None, :]
    if causal:
        keep &= si <= ti
    if window is not None:
        keep &= (ti <= si + window[0]) & (ti >= si - window[1])
    if q_len is not None:
        keep &= (np.arange(T)[None, :, None] < q_len[:, None, None])[:, None]
    if kv_len is not None:
        keep &= (np.arange(S)[None, None, :] < kv_len[:, None, None])[:, None]
    logits = np.where(keep, logits, NEG)  # finite: a row with nothing kept averages every value
    p = np.exp(logits - logits.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    out = np.einsum("bnts,bsnh->btnh", p, v[:, :, heads])
    if q_len is not None and kv_len is not None:
        out = out * (np.arange(T)[None, :] < q_len[:, None])[:, :, None, None]
    return out


q = np.round(rng.normal(size=(2, 3, 4, 2)), 3)
k = np.round(rng.normal(size=(2, 5, 2, 2)), 3)
v = np.round(rng.normal(size=(2, 5, 2, 2)), 3)
bias = np.round(rng.normal(size=(1, 4, 3, 5)), 3)
mask = rng.random((2, 1, 3, 5)) > 0.3
mask[0, 0, 1, :] = False  # a fully masked query row
mask[1, 0, 2, :] = False
fx.update({"q": enc(q), "k": enc(k), "v": enc(v), "bias": enc(bias), "mask": enc(mask)})
fx["att_bias_mask"] = enc(attention(q, k, v, bias=bias, mask=mask))
fx["att_scale_causal"] = enc(attention(q, k, v, scale=0.7, causal=True))
fx["att_causal_window_kvlen"] = enc(attention(q, k, v, bias=bias, causal=True, window=(1, 0), kv_len=np.array([3, 5])))
fx["att_mask_qlen_kvlen"] = enc(attention(q, k, v, mask=mask, q_len=np.array([1, 3]), kv_len=np.array([5, 2])))
fx["att_unbatched_bias"] = enc(attention(q[:1], k[:1], v[:1], bias=bias)[0])

out = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "jax_nn_session14.json"
out.write_text(json.dumps(fx))
print(f"wrote {out} ({out.stat().st_size} bytes)")
