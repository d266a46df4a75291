"""Reference trajectories for test/optim/optax-gaps.test.ts: optax's update equations (optax 0.2.x:
_src/factorized.py, _src/alias.py, _src/transform.py, transforms/_clipping.py, transforms/_combining.py,
_src/numerics.py) re-implemented in float64 numpy (no optax needed), run from the params0 and 8
gradient steps of optimizers_adam_variants.json. Run: python3 tools/optax-fixtures-gaps.py
(writes test/fixtures/optax_gaps.json)."""
import json, os
import numpy as np
from optax_reference import GRADS, KEYS, P0, bc, chain, here, run, src, stateless, tmap

def scale_t(c): return stateless(lambda g, p: tmap(lambda x: c * x, g))
def lr_t(lr): return scale_t(-lr)
def decay_t(wd): return stateless(lambda g, p: tmap(lambda x, w: x + wd * w, g, p))

def ema_t(decay):  # optax.ema(decay, debias=False)
    init = lambda p: dict(ema=tmap(np.zeros_like, p))
    def update(g, s, p):
        e = tmap(lambda x, m: (1 - decay) * x + decay * m, g, s['ema'])
        return e, dict(ema=e)
    return init, update

# ---- numerics.safe_norm / safe_root_mean_squares (values only)
def safe_norm(x, m): n = np.sqrt(np.sum(x ** 2)); return m if n <= m else n
def safe_rms(x, m): r = np.sqrt(np.mean(x ** 2)); return m if r <= m else r

def clip_block_rms_t(th): return stateless(lambda g, p: tmap(lambda u: u / max(1.0, np.sqrt(np.mean(u ** 2)) / th), g))
def param_block_rms_t(ms=1e-3): return stateless(lambda g, p: tmap(lambda u, w: u * safe_rms(w, ms), g, p))
def param_block_norm_t(ms=1e-3): return stateless(lambda g, p: tmap(lambda u, w: u * safe_norm(w, ms), g, p))
def normalize_by_update_norm_t(sf=1.0, eps=1e-6):
    def f(g, p):
        n = (np.sqrt(sum(np.sum(x ** 2) for x in g.values())) + eps) / sf
        return tmap(lambda x: x / n, g)
    return stateless(f)

# ---- factorized.scale_by_factored_rms
def factored_dims(shape, factored, min_dim):
    if not factored or len(shape) < 2: return None
    sd = np.argsort(shape, kind='stable')
    if shape[sd[-2]] < min_dim: return None
    return int(sd[-2]), int(sd[-1])

def factored_rms_t(factored=True, decay_rate=0.8, step_offset=0, min_dim=128, eps=1e-30):
    def init(p):
        def leaf(x):
            fd = factored_dims(x.shape, factored, min_dim)
            if fd is None: return dict(v_row=np.zeros(1), v_col=np.zeros(1), v=np.zeros_like(x))
            d1, d0 = fd
            return dict(v_row=np.zeros(np.delete(x.shape, d0)), v_col=np.zeros(np.delete(x.shape, d1)), v=np.zeros(1))
        return dict(count=0, leaves=tmap(leaf, p))
    def update(g, s, p):
        t = float(s['count'] - step_offset + 1)
        dr = 1.0 - t ** (-decay_rate)
        out, st = {}, {}
        for k in KEYS:
            gr, l = g[k], s['leaves'][k]
            fd = factored_dims(gr.shape, factored, min_dim)
            gs = gr ** 2 + eps
            if fd is not None:
                d1, d0 = fd
                vr = dr * l['v_row'] + (1 - dr) * gs.mean(axis=d0)
                vc = dr * l['v_col'] + (1 - dr) * gs.mean(axis=d1)
                rd1 = d1 - 1 if d1 > d0 else d1
                rf = (vr / vr.mean(axis=rd1, keepdims=True)) ** -0.5
                cf = vc ** -0.5
                out[k] = gr * np.expand_dims(rf, d0) * np.expand_dims(cf, d1)
                st[k] = dict(v_row=vr, v_col=vc, v=np.zeros(1))
            else:
                v = dr * l['v'] + (1 - dr) * gs
                out[k] = gr * v ** -0.5
                st[k] = dict(v_row=np.zeros(1), v_col=np.zeros(1), v=v)
        return out, dict(count=s['count'] + 1, leaves=st)
    return init, update

def adafactor(lr=None, min_dim=128, decay_rate=0.8, decay_offset=0, mbps=True, clip=1.0, momentum=None, wd=None, eps=1e-30, factored=True):
    tx = [factored_rms_t(factored, decay_rate, decay_offset, min_dim, eps)]
    if clip is not None: tx.append(clip_block_rms_t(clip))
    if lr is not None: tx.append(scale_t(lr))
    if mbps: tx.append(param_block_rms_t())
    if momentum is not None: tx.append(ema_t(momentum))
    if wd is not None: tx.append(decay_t(wd))
    tx.append(scale_t(-1.0))
    return chain(*tx)

# ---- transform.scale_by_adan
def adan_t(b1=0.98, b2=0.92, b3=0.99, eps=1e-8, eps_root=0.0):
    z = lambda p: tmap(np.zeros_like, p)
    init = lambda p: dict(m=z(p), v=z(p), n=z(p), g=z(p), t=0)
    def update(g, s, p):
        diff = tmap(np.zeros_like, g) if s['t'] == 0 else tmap(lambda a, b: a - b, g, s['g'])
        m = tmap(lambda x, m: (1 - b1) * x + b1 * m, g, s['m'])
        v = tmap(lambda x, v: (1 - b2) * x + b2 * v, diff, s['v'])
        sq = tmap(lambda x, d: x + (1 - b2) * d, g, diff)
        n = tmap(lambda x, n: (1 - b3) * x ** 2 + b3 * n, sq, s['n'])
        t = s['t'] + 1
        u = tmap(lambda m, v, n: (bc(m, b1, t) + (1 - b2) * bc(v, b2, t)) / (np.sqrt(bc(n, b3, t) + eps_root) + eps), m, v, n)
        return u, dict(m=m, v=v, n=n, g=g, t=t)
    return init, update

def adan(lr, b1=0.98, b2=0.92, b3=0.99, eps=1e-8, eps_root=1e-8, wd=0.0):
    return chain(adan_t(b1, b2, b3, eps, eps_root), decay_t(wd), lr_t(lr))

# ---- sign, optimistic gradient, rprop, stddev, nadamw
sign_t = lambda: stateless(lambda g, p: tmap(np.sign, g))

def optimistic_t(alpha=1.0, beta=1.0):
    init = lambda p: dict(first=True, prev=tmap(np.zeros_like, p))
    def update(g, s, p):
        u = tmap(lambda x, q: (alpha + beta) * x - beta * (x if s['first'] else q), g, s['prev'])
        return u, dict(first=False, prev=g)
    return init, update

def rprop_t(lr, em=0.5, ep=1.2, mn=1e-6, mx=50.0):
    init = lambda p: dict(step=tmap(lambda x: np.full_like(x, lr), p), prev=tmap(np.zeros_like, p))
    def update(g, s, p):
        sg = tmap(lambda a, b: a * b, g, s['prev'])
        step = tmap(lambda q, st: np.where(q == 0, st, np.clip(st * np.where(q > 0, ep, em), mn, mx)), sg, s['step'])
        prev = tmap(lambda q, x, st: np.where(q < 0, 0.0, st * np.sign(x)), sg, g, step)
        u = tmap(lambda q, pu: np.where(q < 0, 0.0, pu), sg, prev)
        return u, dict(step=step, prev=prev)
    return init, update

def stddev_t(decay=0.9, eps=1e-8, initial_scale=0.0, eps_in_sqrt=True, bias_correction=False):
    init = lambda p: dict(mu=tmap(np.zeros_like, p), nu=tmap(lambda x: np.full_like(x, initial_scale), p), count=0)
    def update(g, s, p):
        mu = tmap(lambda x, m: (1 - decay) * x + decay * m, g, s['mu'])
        nu = tmap(lambda x, n: (1 - decay) * x ** 2 + decay * n, g, s['nu'])
        c = s['count'] + 1
        mh, nh = (tmap(lambda m: bc(m, decay, c), mu), tmap(lambda n: bc(n, decay, c), nu)) if bias_correction else (mu, nu)
        if eps_in_sqrt: sc = tmap(lambda m, n: 1 / np.sqrt(n - m ** 2 + eps), mh, nh)
        else: sc = tmap(lambda m, n: 1 / (np.sqrt(n - m ** 2) + eps), mh, nh)
        return tmap(lambda a, x: a * x, sc, g), dict(mu=mu, nu=nu, count=c)
    return init, update

def adam_nesterov_t(b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0):
    init = lambda p: dict(count=0, mu=tmap(np.zeros_like, p), nu=tmap(np.zeros_like, p))
    def update(g, s, p):
        mu = tmap(lambda x, m: (1 - b1) * x + b1 * m, g, s['mu'])
        nu = tmap(lambda x, v: (1 - b2) * x ** 2 + b2 * v, g, s['nu'])
        c = s['count'] + 1
        mh = tmap(lambda m, x: b1 * bc(m, b1, c + 1) + (1 - b1) * bc(x, b1, c), mu, g)
        return tmap(lambda m, v: m / (np.sqrt(bc(v, b2, c) + eps_root) + eps), mh, nu), dict(count=c, mu=mu, nu=nu)
    return init, update

def partition_sgd_adam(lr_sgd, lr_adam):  # labels {b: 'adam', c: 'adam', w: 'sgd'}
    a = chain(adam_nesterov_like(), lr_t(lr_adam))
    def init(p): return dict(adam=a[0](p))
    def update(g, s, p):
        ua, sa = a[1](g, s['adam'], p)
        return {'b': ua['b'], 'c': ua['c'], 'w': -lr_sgd * g['w']}, dict(adam=sa)
    return init, update

def adam_nesterov_like():  # plain optax.scale_by_adam (leafwise, so running it on every leaf and keeping some is exact)
    init = lambda p: dict(count=0, mu=tmap(np.zeros_like, p), nu=tmap(np.zeros_like, p))
    def update(g, s, p):
        mu = tmap(lambda x, m: (1 - 0.9) * x + 0.9 * m, g, s['mu'])
        nu = tmap(lambda x, v: (1 - 0.999) * x ** 2 + 0.999 * v, g, s['nu'])
        c = s['count'] + 1
        return tmap(lambda m, v: bc(m, 0.9, c) / (np.sqrt(bc(v, 0.999, c)) + 1e-8), mu, nu), dict(count=c, mu=mu, nu=nu)
    return init, update

CASES = {
    'adafactor': (dict(), adafactor()),
    'adafactor_factored_momentum_wd': (dict(lr=0.05, min_dim_size_to_factor=2, momentum=0.9, weight_decay_rate=0.01),
                                       adafactor(lr=0.05, min_dim=2, momentum=0.9, wd=0.01)),
    'adafactor_unfactored_plain': (dict(lr=0.02, factored=False, multiply_by_parameter_scale=False, clipping_threshold=None, decay_rate=0.5),
                                   adafactor(lr=0.02, factored=False, mbps=False, clip=None, decay_rate=0.5)),
    'adafactor_clip_small': (dict(lr=0.1, min_dim_size_to_factor=3, clipping_threshold=0.3, multiply_by_parameter_scale=False),
                             adafactor(lr=0.1, min_dim=3, clip=0.3, mbps=False)),
    'adan': (dict(lr=0.01), adan(0.01)),
    'adan_wd': (dict(lr=0.02, b1=0.9, b2=0.8, b3=0.95, eps=1e-6, weight_decay=0.1), adan(0.02, 0.9, 0.8, 0.95, 1e-6, 1e-8, 0.1)),
    'sign_sgd': (dict(lr=0.01), chain(sign_t(), lr_t(0.01))),
    'signum': (dict(lr=0.01, beta=0.8), chain(ema_t(0.8), sign_t(), lr_t(0.01))),
    'optimistic_gradient_descent': (dict(lr=0.05), chain(optimistic_t(), lr_t(0.05))),
    'optimistic_gradient_descent_ab': (dict(lr=0.05, alpha=0.5, beta=2.0), chain(optimistic_t(0.5, 2.0), lr_t(0.05))),
    'rprop': (dict(lr=0.01), chain(rprop_t(0.01), scale_t(-1.0))),
    'rprop_bounds': (dict(lr=0.05, eta_minus=0.3, eta_plus=1.5, min_step_size=0.02, max_step_size=0.08),
                     chain(rprop_t(0.05, 0.3, 1.5, 0.02, 0.08), scale_t(-1.0))),
    'nadamw': (dict(lr=0.01), chain(adam_nesterov_t(), decay_t(1e-4), lr_t(0.01))),
    'nadamw_wd': (dict(lr=0.01, b1=0.8, weight_decay=0.1), chain(adam_nesterov_t(b1=0.8), decay_t(0.1), lr_t(0.01))),
    'stddev_sgd': (dict(lr=0.01), chain(stddev_t(), lr_t(0.01))),
    'stddev_bias_correction_eps_out': (dict(lr=0.01, decay=0.8, eps=1e-4, eps_in_sqrt=False, bias_correction=True, initial_scale=0.5),
                                       chain(stddev_t(0.8, 1e-4, 0.5, False, True), lr_t(0.01))),
    'clip_by_block_rms_sgd': (dict(lr=0.1, threshold=0.5), chain(clip_block_rms_t(0.5), lr_t(0.1))),
    'param_block_norm_sgd': (dict(lr=0.1), chain(param_block_norm_t(), lr_t(0.1))),
    'normalize_by_update_norm_sgd': (dict(lr=0.1, scale_factor=2.0), chain(normalize_by_update_norm_t(2.0), lr_t(0.1))),
    'partition_sgd_adam': (dict(lr_sgd=0.1, lr_adam=0.01), partition_sgd_adam(0.1, 0.01)),
}

out = dict(generator='tools/optax-fixtures-gaps.py', params0=src['params0'], grads=src['grads'], cases={})
for name, (hyper, (init, update)) in CASES.items():
    out['cases'][name] = dict(hyper=hyper, params_after_each_step=run(init, update, GRADS, ['w', 'b', 'c'], 8)[0])
path = os.path.join(here, 'optax_gaps.json')
json.dump(out, open(path, 'w'))
print(path, os.path.getsize(path), 'bytes')
