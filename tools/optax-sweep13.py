"""Reference numbers for test/optim/optax-sweep-session13.test.ts: optax's update equations
(_src/alias.py rmsprop, _src/transform.py scale_by_rms / scale_by_stddev / trace / scale_by_lion,
transforms/_layouts.py flatten, _src/numerics.py safe_norm) re-implemented in float64 numpy (no
optax needed). Trajectories start from params0 of optimizers_adam_variants.json and use its 8
gradients. Run: python3 tools/optax-sweep13.py (writes test/fixtures/optax_sweep13.json)."""
import json, os
import numpy as np
from optax_reference import GRADS, KEYS, P0, chain, here, lr_t, rms_t, run, src, stateless, tmap

OUT_KEYS = ['w', 'b', 'c']


def stddev_t(decay, eps, initial_scale, eps_in_sqrt, bias_correction):
    """optax.scale_by_stddev."""
    def init(p): return dict(count=0, mu=tmap(np.zeros_like, p), nu=tmap(lambda x: np.full_like(x, initial_scale), p))
    def update(g, s, p):
        mu = tmap(lambda x, m: (1 - decay) * x + decay * m, g, s['mu'])
        nu = tmap(lambda x, v: (1 - decay) * x ** 2 + decay * v, g, s['nu'])
        count = s['count'] + 1
        if bias_correction:
            mh, nh = tmap(lambda m: m / (1 - decay ** count), mu), tmap(lambda v: v / (1 - decay ** count), nu)
        else:
            mh, nh = mu, nu
        den = (lambda v: np.sqrt(v + eps)) if eps_in_sqrt else (lambda v: np.sqrt(v) + eps)
        return tmap(lambda x, m, v: x / den(v - m ** 2), g, mh, nh), dict(count=count, mu=mu, nu=nu)
    return init, update


def trace_t(decay, nesterov):
    """optax.trace: f = g + decay f; out f, or g + decay f with nesterov."""
    def init(p): return dict(trace=tmap(np.zeros_like, p))
    def update(g, s, p):
        f = tmap(lambda x, t: x + decay * t, g, s['trace'])
        out = tmap(lambda x, t: x + decay * t, g, f) if nesterov else f
        return out, dict(trace=f)
    return init, update


def lion_t(b1, b2, mode, smooth_beta):
    """optax.scale_by_lion with its mode."""
    def comb(x):
        if mode == 'smooth':
            return np.tanh(smooth_beta * x)
        if mode == 'refined':
            return np.where(np.abs(x) < 1.0, x, np.sign(x))
        return np.sign(x)
    def init(p): return dict(mu=tmap(np.zeros_like, p))
    def update(g, s, p):
        out = tmap(lambda x, m: comb((1 - b1) * x + b1 * m), g, s['mu'])
        return out, dict(mu=tmap(lambda x, m: (1 - b2) * x + b2 * m, g, s['mu']))
    return init, update


def adam_flat_t(lr, b1=0.9, b2=0.999, eps=1e-8):
    """optax.flatten(optax.adam(lr)): Adam on the leaves raveled into one vector in KEYS order (per element, so as Adam)."""
    def init(p): return dict(count=0, mu=tmap(np.zeros_like, p), nu=tmap(np.zeros_like, p))
    def update(g, s, p):
        mu = tmap(lambda x, m: (1 - b1) * x + b1 * m, g, s['mu'])
        nu = tmap(lambda x, v: (1 - b2) * x ** 2 + b2 * v, g, s['nu'])
        c = s['count'] + 1
        return tmap(lambda m, v: -lr * (m / (1 - b1 ** c)) / (np.sqrt(v / (1 - b2 ** c)) + eps), mu, nu), dict(count=c, mu=mu, nu=nu)
    return init, update


CASES = {
    # optax.rmsprop(0.01): decay 0.9, eps inside the root.
    'rmsprop_optax_defaults': (dict(lr=0.01, decay=0.9, eps_in_sqrt=True), chain(rms_t(0.9, 1e-8, 0.0, True, False), lr_t(0.01))),
    'rmsprop_initial_scale_nesterov': (dict(lr=0.01, decay=0.8, eps=1e-4, initial_scale=0.5, momentum=0.9, nesterov=True),
                                       chain(rms_t(0.8, 1e-4, 0.5, False, False), trace_t(0.9, True), lr_t(0.01))),
    'rmsprop_bias_correction_momentum': (dict(lr=0.02, decay=0.95, eps=1e-6, eps_in_sqrt=True, bias_correction=True, momentum=0.5),
                                         chain(rms_t(0.95, 1e-6, 0.0, True, True), trace_t(0.5, False), lr_t(0.02))),
    'rmsprop_centered_optax': (dict(lr=0.01, decay=0.9, eps=1e-8, eps_in_sqrt=True, initial_scale=1.0, centered=True),
                               chain(stddev_t(0.9, 1e-8, 1.0, True, False), lr_t(0.01))),
    'rmsprop_centered_scale_nesterov': (dict(lr=0.005, decay=0.9, eps=1e-3, initial_scale=0.1, centered=True, momentum=0.8, nesterov=True),
                                        chain(stddev_t(0.9, 1e-3, 0.1, False, False), trace_t(0.8, True), lr_t(0.005))),
    'lion_smooth': (dict(lr=0.01, b1=0.5, b2=0.9, mode='smooth', smooth_beta=2.0), chain(lion_t(0.5, 0.9, 'smooth', 2.0), lr_t(0.01))),
    'lion_refined': (dict(lr=0.01, b1=0.9, b2=0.99, mode='refined'), chain(lion_t(0.9, 0.99, 'refined', 1.0), lr_t(0.01))),
    'flatten_adam': (dict(lr=0.01), adam_flat_t(0.01)),
}

out = dict(generator='tools/optax-sweep13.py', params0=src['params0'], grads=src['grads'], cases={})
for name, (hyper, (init, update)) in CASES.items():
    out['cases'][name] = dict(hyper=hyper, params_after_each_step=run(init, update, GRADS, OUT_KEYS, 9)[0])

# optax.safe_norm(x, min_norm, ord, axis, keepdims): numpy's norm, min_norm where it is at most min_norm.
x = np.array([[3.0, -4.0, 0.0], [0.0, 0.0, 0.0], [1.0, 2.0, -2.0]])
norms = {}
for label, ord_, axis in [('fro_all', None, None), ('l1_axis1', 1, 1), ('inf_axis0', np.inf, 0), ('l2_axis1', 2, 1), ('nuc', 'nuc', None), ('ord1_matrix', 1, None)]:
    n = np.linalg.norm(x, ord=ord_, axis=axis)
    norms[label] = np.where(n <= 0.5, 0.5, n).tolist()
out['safe_norm'] = dict(x=x.tolist(), min_norm=0.5, cases=norms)

path = os.path.join(here, 'optax_sweep13.json')
json.dump(out, open(path, 'w'))
print(path, os.path.getsize(path), 'bytes')
