"""Float64 NumPy references for test/nn/jax-nn.test.ts, from jax.nn's formulas
(jax/_src/nn/functions.py, jax/_src/ops/special.py): softmax/log_softmax with `where`,
logsumexp with b / return_sign / where / axis=None, standardize with where and a given
mean, dot_product_attention with sequence lengths, a local window and grouped-query heads.
Writes test/fixtures/jax_nn.json."""
import json
import warnings

import numpy as np

from shaped_json import enc

warnings.simplefilter("ignore", RuntimeWarning)  # the all-masked rows: NaN, as JAX

rng = np.random.default_rng(0)
NEG = -0.7 * np.finfo(np.float32).max




def softmax(x, axis, where):
    xs = np.where(where, x, -np.inf)
    m = np.max(xs, axis=axis, keepdims=True)
    with np.errstate(invalid="ignore"):
        e = np.exp(xs - m)
        y = e / np.sum(np.where(where, e, 0), axis=axis, keepdims=True)
    return np.where(where, y, 0)


def log_softmax(x, axis, where):
    xs = np.where(where, x, -np.inf)
    m = np.max(xs, axis=axis, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        sh = xs - m
        y = sh - np.log(np.sum(np.where(where, np.exp(sh), 0), axis=axis, keepdims=True))
    return np.where(where, y, -np.inf)


def logsumexp(a, axis=None, b=None, where=None, return_sign=False):
    if b is not None:
        a = np.where(b != 0, a, -np.inf)
    w = np.ones_like(a, bool) if where is None else np.broadcast_to(where, a.shape)
    amax = np.max(np.where(w, a, -np.inf), axis=axis, keepdims=True)
    amax = np.where(np.isfinite(amax), amax, 0)
    e = np.exp(a - amax) * (1 if b is None else b)
    s = np.sum(np.where(w, e, 0), axis=axis, keepdims=True)
    sign = np.sign(s)
    with np.errstate(divide="ignore"):
        out = np.log(np.abs(s)) + amax
    out, sign = np.squeeze(out, axis), np.squeeze(sign, axis)
    if return_sign:
        return out, sign
    return np.where(sign < 0, np.nan, out) if b is not None else out


def attention(q, k, v, mask=None, q_len=None, kv_len=None, window=None, causal=False):
    B, T, N, H = q.shape
    _, S, K, _ = k.shape
    G = N // K
    kk = np.repeat(k, G, axis=2)  # query head n uses key head n // G
    vv = np.repeat(v, G, axis=2)
    logits = np.einsum("btnh,bsnh->bnts", q, kk) / np.sqrt(H)
    m = np.ones((B, N, T, S), bool)
    if mask is not None:
        m &= mask
    ti, si = np.arange(T)[:, None], np.arange(S)[None, :]
    if causal:
        m &= (si <= ti)[None, None]
    if window is not None:
        l, r = window
        m &= ((ti <= si + l) & (ti >= si - r))[None, None]
    if q_len is not None:
        m &= (np.arange(T)[None, :, None] < q_len[:, None, None])[:, None]
    if kv_len is not None:
        m &= (np.arange(S)[None, None, :] < kv_len[:, None, None])[:, None]
    logits = np.where(m, logits, NEG)
    p = np.exp(logits - logits.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    out = np.einsum("bnts,bsnh->btnh", p, vv)
    if q_len is not None:  # JAX 0.7.2+ (before: only with kv_len too)
        out *= (np.arange(T)[None, :] < q_len[:, None])[:, :, None, None]
    return out


x = np.round(rng.normal(size=(3, 4)) * 2, 3)
where = np.array([[True, False, True, True], [False, False, False, False], [True, True, False, True]])
b = np.array([[1.0, -0.5, 0.0, 2.0], [0.5, 0.5, 0.5, 0.5], [-1.0, 0.25, 1.0, -2.0]])
q = np.round(rng.normal(size=(2, 3, 4, 2)), 3)
k = np.round(rng.normal(size=(2, 5, 2, 2)), 3)
v = np.round(rng.normal(size=(2, 5, 2, 2)), 3)
amask = rng.random((2, 1, 3, 5)) > 0.3
q_len = np.array([2, 3])
kv_len = np.array([4, 2])
lse_b, lse_b_sign = logsumexp(x, 1, b=b, return_sign=True)
fx = {
    "x": enc(x), "where": enc(where), "b": enc(b), "q": enc(q), "k": enc(k), "v": enc(v), "amask": enc(amask),
    "softmax_where": enc(softmax(x, 1, where)),
    "softmax_where_axis0": enc(softmax(x, 0, where)),
    "log_softmax_where": enc(log_softmax(x, 1, where)),
    "lse_all": enc(logsumexp(x)),
    "lse_axis0": enc(logsumexp(x, 0)),
    "lse_b": enc(logsumexp(x, 1, b=b)),
    "lse_b_abs": enc(lse_b), "lse_b_sign": enc(lse_b_sign),
    "lse_where": enc(logsumexp(x, 1, where=where)),
    "standardize_where": enc((x - np.mean(x, 1, keepdims=True, where=where)) / np.sqrt(
        np.mean(np.square(x - np.mean(x, 1, keepdims=True, where=where)), 1, keepdims=True, where=where) + 1e-5)),
    "standardize_mean": enc((x - 0.5) / np.sqrt(np.mean(np.square(x), 1, keepdims=True) - 0.25 + 1e-5)),
    "attention_lengths": enc(attention(q, k, v, q_len=q_len, kv_len=kv_len)),
    "attention_kv_length_causal": enc(attention(q, k, v, kv_len=kv_len, causal=True)),
    "attention_q_length_only": enc(attention(q, k, v, q_len=q_len)),
    "attention_window_mask": enc(attention(q, k, v, mask=amask, window=(1, 0))),
    "attention_window_sym": enc(attention(q, k, v, window=(1, 1))),
}
with open("test/fixtures/jax_nn.json", "w") as f:
    json.dump(fx, f)
