"""Fixtures for test/optim/optax-names-session15.test.ts: optax.contrib.muon's update equations
(contrib/_muon.py) transcribed in float64 numpy, on the 8-step trajectory of
tools/optax_reference.py (w [4, 3] and c [2, 2] go to Muon, b [3] to AdamW)."""
import json, os
import numpy as np
from optax_reference import GRADS, KEYS, P0, bc, here, run, tmap

STANDARD = [3.4445, -4.7750, 2.0315]
DION = [[4.0848, -6.8946, 2.9270], [3.9505, -6.3029, 2.6377], [3.7418, -5.5913, 2.3037],
        [2.8769, -3.1427, 1.2046], [2.8366, -3.0525, 1.2012]]
MUON_LEAVES = [k for k in KEYS if P0[k].ndim == 2]


def ns_step(x, a, c):
    return c[0] * x + (c[1] * a + c[2] * a @ a) @ x


def orthogonalize(x, coeffs, steps, pre, eps):
    rows = [coeffs] * steps if np.ndim(coeffs) == 1 else list(coeffs)[-steps:]
    t = x.shape[0] > x.shape[1]
    if t:
        x = x.T
    if pre == 'frobenius':
        x = x / (np.linalg.norm(x, 'fro') + eps)
    elif pre == 'spectral':
        x = x / (np.linalg.norm(x, 2) + eps)
    for i, c in enumerate(rows):
        a = x @ x.T
        if i == 0 and pre == 'aol':
            s = (1 / np.sqrt(np.maximum(np.abs(a).sum(-1), eps)))[:, None]
            x, a = x * s, a * s * s.T
        elif i == 0 and pre == 'schatten':
            s = 1 / np.sqrt(max(np.linalg.norm(a, 'fro'), eps))
            x, a = x * s, a * s ** 2
        x = ns_step(x, a, c)
    return x.T if t else x


def muon(lr, coeffs=STANDARD, steps=5, beta=0.95, eps=1e-8, wd=0.0, nesterov=True, adaptive=False, pre='frobenius',
         consistent_rms=None):
    """scale_by_muon, scale_by_shape, add_decayed_weights(wd), scale_by_learning_rate(lr) on the 2-D leaves
    (the moment of the others is kept but unused, as optax's masked state holds none)."""
    def init(p):
        return dict(count=0, mu={k: np.zeros_like(p[k]) for k in KEYS})

    def update(g, s, p):
        count = s['count'] + 1
        mu = tmap(lambda x, m: (1 - beta) * x + beta * m, g, s['mu'])
        out = {}
        for k in KEYS:
            if k in MUON_LEAVES:
                if nesterov:
                    mh = beta * bc(mu[k], beta, count + 1) + (1 - beta) * bc(g[k], beta, count)
                else:
                    mh = bc(mu[k], beta, count)
                o = orthogonalize(mh, coeffs, steps, pre, eps)
                if adaptive:
                    o = np.sum(mh * o) * o
                fan_in, fan_out = o.shape
                o = o * (np.sqrt(max(1, fan_out / fan_in)) if consistent_rms is None else np.sqrt(max(fan_in, fan_out)) * consistent_rms)
                out[k] = -lr * (o + wd * p[k])
        return out, dict(count=count, mu=mu)
    return init, update


def adamw_leaf(lr, b1=0.9, b2=0.999, eps=1e-8, wd=0.0, nesterov=True):
    """optax.adamw on one leaf: (init, update) of arrays."""
    def update(g, s, p):
        count = s['count'] + 1
        mu = (1 - b1) * g + b1 * s['mu']
        nu = (1 - b2) * g ** 2 + b2 * s['nu']
        if nesterov:
            mh = b1 * bc(mu, b1, count + 1) + (1 - b1) * bc(g, b1, count)
        else:
            mh = bc(mu, b1, count)
        u = mh / (np.sqrt(bc(nu, b2, count)) + eps)
        return -lr * (u + wd * p), dict(count=count, mu=mu, nu=nu)
    return (lambda p: dict(count=0, mu=np.zeros_like(p), nu=np.zeros_like(p))), update


def muon_opt(lr, b1=0.9, b2=0.999, adam_wd=0.0, **kw):
    """optax.contrib.muon: Muon on the 2-D leaves, AdamW (same eps and nesterov) on the others."""
    m_init, m_update = muon(lr, **kw)
    a_init, a_update = adamw_leaf(lr, b1, b2, kw.get('eps', 1e-8), adam_wd, kw.get('nesterov', True))

    def init(p):
        return dict(m=m_init(p), a={k: a_init(p[k]) for k in KEYS if k not in MUON_LEAVES})

    def update(g, s, p):
        u, ms = m_update(g, s['m'], p)
        a = {}
        for k in KEYS:
            if k not in MUON_LEAVES:
                u[k], a[k] = a_update(g[k], s['a'][k], p[k])
        return u, dict(m=ms, a=a)
    return init, update


CASES = {
    'muon_default': dict(lr=0.05),
    'muon_no_nesterov_wd': dict(lr=0.05, nesterov=False, wd=0.1, adam_wd=0.01),
    'muon_aol': dict(lr=0.05, pre='aol'),
    'muon_schatten_beta': dict(lr=0.05, pre='schatten', beta=0.9),
    'muon_spectral_adaptive': dict(lr=0.02, pre='spectral', adaptive=True),
    'muon_dion_rms': dict(lr=0.05, coeffs='dion', consistent_rms=0.2),
    'muon_steps3': dict(lr=0.05, steps=3),
}


def build(h):
    kw = dict(h)
    lr = kw.pop('lr')
    if kw.get('coeffs') == 'dion':
        kw['coeffs'] = DION
    return muon_opt(lr, **kw)


def radam(lr, b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0, threshold=5.0, nesterov=False):
    """optax.radam: scale_by_radam (transform.py) then scale_by_learning_rate."""
    ro_inf = 2 / (1 - b2) - 1

    def init(p):
        return dict(count=0, mu=tmap(np.zeros_like, p), nu=tmap(np.zeros_like, p))

    def update(g, s, p):
        count = s['count'] + 1
        mu = tmap(lambda x, m: (1 - b1) * x + b1 * m, g, s['mu'])
        nu = tmap(lambda x, v: (1 - b2) * x ** 2 + b2 * v, g, s['nu'])
        b2t = b2 ** count
        ro = ro_inf - 2 * count * b2t / (1 - b2t)
        if nesterov:
            mh = tmap(lambda m, x: b1 * bc(m, b1, count + 1) + (1 - b1) * bc(x, b1, count), mu, g)
        else:
            mh = tmap(lambda m: bc(m, b1, count), mu)
        nh = tmap(lambda v: bc(v, b2, count), nu)
        if ro >= threshold:
            r = np.sqrt((ro - 4) * (ro - 2) * ro_inf / ((ro_inf - 4) * (ro_inf - 2) * ro))
            u = tmap(lambda m, v: r * m / (np.sqrt(v + eps_root) + eps), mh, nh)
        else:
            u = mh
        return tmap(lambda x: -lr * x, u), dict(count=count, mu=mu, nu=nu)
    return init, update


RADAM_CASES = {
    'radam_nesterov': dict(lr=0.1, nesterov=True),
    'radam_threshold': dict(lr=0.1, threshold=6.5),
    'radam_threshold_b2': dict(lr=0.1, b2=0.99, threshold=4.5),
    'radam_nesterov_eps_root': dict(lr=0.1, b2=0.99, threshold=4.5, nesterov=True, eps_root=1e-3),
}

out = dict(generator='tools/optax-names15.py', params0={k: P0[k].tolist() for k in KEYS}, grads=[{k: g[k].tolist() for k in KEYS} for g in GRADS], cases={})
for name, hyper in CASES.items():
    init, update = build(hyper)
    out['cases'][name] = dict(hyper=hyper, params_after_each_step=run(init, update, GRADS, KEYS, 9)[0])

for name, hyper in RADAM_CASES.items():
    kw = dict(hyper)
    init, update = radam(kw.pop('lr'), **kw)
    out['cases'][name] = dict(hyper=hyper, params_after_each_step=run(init, update, GRADS, KEYS, 9)[0])

def simplified_ademamix(lr, b1=0.99, b2=0.95, alpha=0.0, eps=1e-8, eps_root=0.0, wd=0.0):
    """optax.contrib.simplified_ademamix; alpha a number or a function of the step before the update."""
    def init(p):
        return dict(t=0, m=tmap(np.zeros_like, p), n=tmap(np.zeros_like, p))

    def update(g, s, p):
        a = alpha(s['t']) if callable(alpha) else alpha
        m = tmap(lambda x, mm: x + b1 * mm, g, s['m'])
        n = tmap(lambda x, nn: (1 - b2) * x * x + b2 * nn, g, s['n'])
        t = s['t'] + 1
        u = tmap(lambda mm, x, nn: (mm + a * x) / (np.sqrt(bc(nn, b2, t) + eps_root) + eps), m, g, n)
        return tmap(lambda x, q: -lr * (x + wd * q), u, p), dict(t=t, m=m, n=n)
    return init, update


SA_CASES = {
    'simplified_ademamix_default': dict(lr=0.01),
    # alpha: optax.linear_schedule(0, 5, 8) read at the step count before the update.
    'simplified_ademamix_alpha_schedule_wd': dict(lr=0.01, b1=0.9, b2=0.99, alpha_linear=[0.0, 5.0, 8], eps_root=1e-4, wd=0.1),
}
for name, hyper in SA_CASES.items():
    kw = dict(hyper)
    if 'alpha_linear' in kw:
        a0, a1, n_ = kw.pop('alpha_linear')
        kw['alpha'] = lambda t, a0=a0, a1=a1, n_=n_: a0 + (a1 - a0) * min(t, n_) / n_
    init, update = simplified_ademamix(kw.pop('lr'), **kw)
    out['cases'][name] = dict(hyper=hyper, params_after_each_step=run(init, update, GRADS, KEYS, 9)[0])

# optax.contrib.dpsgd without noise (noise_multiplier 0): per-example gradients of a batch of 3
# ({a: [3, 2], b: [3]}), clipped to global norm 1.5, averaged, trace(0.9), scale_by_learning_rate(0.1).
rng = np.random.default_rng(150)
dp_grads = [dict(a=rng.normal(size=(3, 2)) * 2, b=rng.normal(size=(3,))) for _ in range(3)]
tr, dp_updates = dict(a=np.zeros(2), b=np.zeros(())), []
for g in dp_grads:
    norms = np.sqrt((g['a'] ** 2).sum(1) + g['b'] ** 2)
    mult = np.minimum(1.5 / norms, 1)
    avg = dict(a=(mult[:, None] * g['a']).sum(0) / 3, b=(mult * g['b']).sum(0) / 3)
    tr = dict(a=avg['a'] + 0.9 * tr['a'], b=avg['b'] + 0.9 * tr['b'])
    dp_updates.append(dict(a=(-0.1 * tr['a']).tolist(), b=float(-0.1 * tr['b'])))
out['dpsgd'] = dict(grads=[{k: v.tolist() for k, v in g.items()} for g in dp_grads], updates=dp_updates)

# One Newton–Schulz orthogonalisation of a [2, 3, 4] batch (reduction axis 1, output axis 2) and its
# transpose-free 2-D result, for orthogonalizeViaNewtonSchulz with dimension numbers.
rng = np.random.default_rng(15)
xb = rng.normal(size=(2, 3, 4))
out['ns_batch'] = dict(x=xb.tolist(), y=[orthogonalize(xb[i], STANDARD, 5, 'frobenius', 1e-8).tolist() for i in range(2)])

path = os.path.join(here, 'optax_names15.json')
json.dump(out, open(path, 'w'))
print(path, os.path.getsize(path), 'bytes')
