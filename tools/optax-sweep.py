"""Reference numbers for test/optim/optax-sweep.test.ts: optax's update equations (optax 0.2.x:
contrib/_schedule_free.py, _src/transform.py scale_by_rms / scale_by_adamax / scale_by_polyak,
_src/alias.py adamaxw / polyak_sgd, projections/_projections.py) re-implemented in float64 numpy
(no optax needed). Trajectories start from params0 of optimizers_adam_variants.json and use its 8
gradients, except polyak_sgd, which steps on a quadratic loss (its step size reads the loss value).
The simplex projection is computed here by bisection on the threshold, not by optax's sorting
algorithm, so the two are independent. Run: python3 tools/optax-sweep.py (writes
test/fixtures/optax_sweep.json)."""
import json, os
import numpy as np
from optax_reference import GRADS, KEYS, P0, chain, here, lr_t, rms_t, run, src, stateless, tmap

OUT_KEYS = ['w', 'b', 'c']


def decay_t(wd): return stateless(lambda g, p: tmap(lambda x, w: x + wd * w, g, p))


def warmup_constant(peak, warmup):
    return lambda count: peak * min(count, warmup) / warmup


def adamax_t(b1=0.9, b2=0.999, eps=1e-8):
    def init(p): return dict(count=0, mu=tmap(np.zeros_like, p), nu=tmap(np.zeros_like, p))
    def update(g, s, p):
        mu = tmap(lambda x, m: (1 - b1) * x + b1 * m, g, s['mu'])
        nu = tmap(lambda x, v: np.maximum(np.abs(x) + eps, b2 * v), g, s['nu'])
        count = s['count'] + 1
        return tmap(lambda m, v: m / (1 - b1 ** count) / v, mu, nu), dict(count=count, mu=mu, nu=nu)
    return init, update


def schedule_free(base, lr, b1=0.9, weight_lr_power=2.0):
    binit, bupdate = base
    def init(p):
        return dict(weight_sum=0.0, step_count=1, max_lr=0.0, base=binit(p), z=tmap(np.copy, p))
    def update(g, s, p):
        cur = lr(s['step_count']) if callable(lr) else lr
        max_lr = max(s['max_lr'], cur)
        weight = max_lr ** weight_lr_power
        total = s['weight_sum'] + weight
        ck = weight / total if total != 0 else 0.0
        bu, bs = bupdate(g, s['base'], p)
        z = tmap(lambda a, b: a + b, s['z'], bu)
        prev_x = tmap(lambda y, zi: (y - (1 - b1) * zi) / b1, p, s['z'])
        x = tmap(lambda xi, zi: (1 - ck) * xi + ck * zi, prev_x, z)
        new_p = tmap(lambda xi, zi: b1 * xi + (1 - b1) * zi, x, z)
        return tmap(lambda a, b: a - b, new_p, p), dict(weight_sum=total, step_count=s['step_count'] + 1, max_lr=max_lr, base=bs, z=z)
    return init, update


def eval_params(s, p, b1=0.9):
    return tmap(lambda y, zi: (y - (1 - b1) * zi) / b1, p, s['z'])


def sf_sgd(lr=1.0, warmup=None, b1=0.9, wd=None):
    sched = warmup_constant(lr, warmup) if warmup is not None else lr
    base = chain(lr_t(sched)) if wd is None else chain(decay_t(wd), lr_t(sched))
    return schedule_free(base, sched, b1)


def sf_adamw(lr=0.0025, warmup=None, b1=0.9, b2=0.999, eps=1e-8, wd=0.0):
    sched = warmup_constant(lr, warmup) if warmup is not None else lr
    base = chain(rms_t(b2, eps, 0.0, False, True), decay_t(wd), lr_t(sched))
    return schedule_free(base, sched, b1)


CASES = {
    'schedule_free_sgd': (dict(lr=1.0), sf_sgd()),
    'schedule_free_sgd_warmup_wd': (dict(lr=0.5, warmup_steps=3, b1=0.8, weight_decay=0.05), sf_sgd(0.5, 3, 0.8, 0.05)),
    'schedule_free_adamw': (dict(), sf_adamw()),
    'schedule_free_adamw_warmup_wd': (dict(lr=0.01, warmup_steps=4, b1=0.95, b2=0.99, weight_decay=0.1), sf_adamw(0.01, 4, 0.95, 0.99, 1e-8, 0.1)),
    'scale_by_rms_optax': (dict(lr=0.01), chain(rms_t(), lr_t(0.01))),
    'scale_by_rms_bias_correction_initial_scale': (dict(lr=0.01, decay=0.8, eps=1e-4, initial_scale=0.5),
                                                   chain(rms_t(0.8, 1e-4, 0.5, False, True), lr_t(0.01))),
    'adamaxw': (dict(lr=0.01), chain(adamax_t(), decay_t(1e-4), lr_t(0.01))),
    'adamaxw_wd': (dict(lr=0.01, b1=0.8, weight_decay=0.1), chain(adamax_t(0.8), decay_t(0.1), lr_t(0.01))),
}

out = dict(generator='tools/optax-sweep.py', params0=src['params0'], grads=src['grads'], cases={})
for name, (hyper, (init, update)) in CASES.items():
    traj, p, s = run(init, update, GRADS, OUT_KEYS, 8)
    case = dict(hyper=hyper, params_after_each_step=traj)
    if name.startswith('schedule_free'):
        ev = eval_params(s, p, hyper.get('b1', 0.9))
        case['eval_params'] = {k: np.round(ev[k], 8).tolist() for k in OUT_KEYS}
    out['cases'][name] = case

# ---- polyak_sgd on f(p) = sum_k 0.5 * sum(W_k * (p_k - 0.3)^2), W_k = 1 + 0.25 * arange(size)
W = {k: (1 + 0.25 * np.arange(P0[k].size)).reshape(P0[k].shape) for k in KEYS}


def quad(p):
    value = sum(0.5 * np.sum(W[k] * (p[k] - 0.3) ** 2) for k in KEYS)
    return value, tmap(lambda x, w: w * (x - 0.3), p, W)


def polyak_traj(max_lr=1.0, scaling=1.0, f_min=0.0, eps=0.0, variant='sps', steps=6):
    p = {k: v.copy() for k, v in P0.items()}
    traj = []
    for t in range(steps):
        value, g = quad(p)
        sched = scaling(t) if callable(scaling) else scaling
        u = tmap(lambda x: -sched * x, g)  # sgd(scaling)
        sq = sum(np.sum(x ** 2) for x in u.values())
        gap = value - f_min
        if variant == 'sps+': gap = max(gap, 0.0)
        step = 0.0 if sq + eps <= np.finfo(float).eps else min(gap / (sq + eps), max_lr)
        p = tmap(lambda a, b: a + step * b, p, u)
        traj.append({k: np.round(p[k], 8).tolist() for k in OUT_KEYS})
    return traj


out['polyak'] = {
    'weights': {k: W[k].tolist() for k in OUT_KEYS},
    'cases': {
        'defaults': dict(hyper=dict(), params_after_each_step=polyak_traj()),
        'scaled_capped': dict(hyper=dict(max_lr=0.3, scaling=0.5, f_min=0.1, eps=0.01), params_after_each_step=polyak_traj(0.3, 0.5, 0.1, 0.01)),
        'fmin_above_sps': dict(hyper=dict(f_min=20.0, max_lr=5.0), params_after_each_step=polyak_traj(5.0, 1.0, 20.0)),
    },
}


# ---- projections, by bisection on the threshold (independent of optax's sort-based algorithm)
def simplex_bisect(v, s=1.0):
    lo, hi = v.min() - s, v.max()
    for _ in range(200):
        mid = (lo + hi) / 2
        if np.maximum(v - mid, 0).sum() > s: lo = mid
        else: hi = mid
    return np.maximum(v - (lo + hi) / 2, 0)


rng = np.random.default_rng(7)
vecs = {
    'x': {'a': rng.normal(size=5).round(4), 'b': rng.normal(size=(2, 2)).round(4)},
    'ties': {'a': np.array([0.5, 0.5, 0.5, -1.0, 0.6]), 'b': np.array([[0.5, 0.0], [0.0, 0.5]])},
}
proj = {}
for name, t in vecs.items():
    flat = np.concatenate([t['a'].ravel(), t['b'].ravel()])
    def unflat(v): return {'a': v[:5].round(10).tolist(), 'b': v[5:].reshape(2, 2).round(10).tolist()}
    l1 = np.abs(flat).sum()
    proj[name] = dict(
        input={'a': t['a'].tolist(), 'b': t['b'].tolist()},
        simplex=unflat(simplex_bisect(flat)),
        simplex_scale_2_5=unflat(simplex_bisect(flat, 2.5)),
        l1_sphere_1_5=unflat(np.sign(flat) * simplex_bisect(np.abs(flat), 1.5)),
        l1_ball_1_5=unflat(flat if l1 <= 1.5 else np.sign(flat) * simplex_bisect(np.abs(flat), 1.5)),
        l1_norm=float(l1),
    )
out['projections'] = proj

path = os.path.join(here, 'optax_sweep.json')
json.dump(out, open(path, 'w'))
print(path, os.path.getsize(path), 'bytes')
