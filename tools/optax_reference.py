"""Shared pieces of the optax fixture generators (tools/optax-fixtures-*.py): the starting
parameters and the 8 gradient steps of optimizers_adam_variants.json as float64 trees keyed in
tfjax's leaf order, and tree helpers."""
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
