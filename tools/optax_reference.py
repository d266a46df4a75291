"""Shared pieces of the optax fixture generators (tools/optax-*.py): the starting parameters and
the 8 gradient steps of optimizers_adam_variants.json as float64 trees keyed in tfjax's leaf
order, tree helpers, a few optax transformations and the trajectory of a transformation."""
import json, os
import numpy as np

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures')
src = json.load(open(os.path.join(here, 'optimizers_adam_variants.json')))
KEYS = ['b', 'c', 'w']  # tfjax's leaf order (sorted keys); every formula is per leaf or sums in this order
P0 = {k: np.array(src['params0'][k], np.float64) for k in KEYS}
GRADS = [{k: np.array(g[k], np.float64) for k in KEYS} for g in src['grads']]


def tmap(f, *trees):
    return {k: f(*(t[k] for t in trees)) for k in KEYS}


def bc(m, decay, count):
    return m / (1 - decay ** count)


def chain(*ts):
    """optax.chain of (init, update) pairs: each update feeds the next, states in a list."""
    init = lambda p: [t[0](p) for t in ts]

    def update(g, s, p):
        out = []
        for t, st in zip(ts, s):
            g, ns = t[1](g, st, p)
            out.append(ns)
        return g, out
    return init, update


def stateless(f):
    return (lambda p: {}), (lambda g, s, p: (f(g, p), s))


def lr_t(lr):
    """optax.scale_by_learning_rate: a number, or a schedule read at its own count (from 0)."""
    if not callable(lr):
        return stateless(lambda g, p: tmap(lambda x: -lr * x, g))
    def update(g, s, p):
        return tmap(lambda x: -lr(s['count']) * x, g), dict(count=s['count'] + 1)
    return (lambda p: dict(count=0)), update


def rms_t(decay=0.9, eps=1e-8, initial_scale=0.0, eps_in_sqrt=True, bias_correction=False):
    """optax.scale_by_rms."""
    def init(p): return dict(count=0, nu=tmap(lambda x: np.full_like(x, initial_scale), p))
    def update(g, s, p):
        nu = tmap(lambda x, v: (1 - decay) * x ** 2 + decay * v, g, s['nu'])
        count = s['count'] + 1
        nu_hat = tmap(lambda v: v / (1 - decay ** count), nu) if bias_correction else nu
        if eps_in_sqrt:
            out = tmap(lambda x, v: x / np.sqrt(v + eps), g, nu_hat)
        else:
            out = tmap(lambda x, v: x / (np.sqrt(v) + eps), g, nu_hat)
        return out, dict(count=count, nu=nu)
    return init, update


def run(init, update, grads, out_keys, digits):
    """The parameters after each step (rounded to `digits`, the `out_keys` leaves), and the last parameters and state."""
    p = {k: v.copy() for k, v in P0.items()}
    s = init(p)
    traj = []
    for g in grads:
        u, s = update(g, s, p)
        p = tmap(lambda a, b: a + b, p, u)
        traj.append({k: np.round(p[k], digits).tolist() for k in out_keys})
    return traj, p, s
