"""Reference trajectories for test/optim/optax-contrib.test.ts: optax.contrib's prodigy, dog, dowg,
cocob, mechanize and sam (transparent and opaque modes) re-implemented in float64 numpy from
optax's source (contrib/_prodigy.py, _dog.py, _cocob.py, _mechanic.py, _sam.py). Parameters are
the tree {b: [3], w: [2, 3]}, flattened here as concat(b, w) (tfjax's sorted-key leaf order; tree
norms and inner products are those of the flat vector). Gradients depend on the parameters (the cases with zero_start start from 0, not x0):
g_k(x) = d * (x - t) + n_k. Run: python3 tools/optax-contrib.py (writes test/fixtures/optax_contrib.json)."""
import json, os
import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(7)
N, STEPS = 9, 8
X0 = np.round(rng.normal(size=N), 3)
D = np.round(rng.uniform(0.5, 2.0, size=N), 3)
T = np.round(rng.normal(size=N), 3)
NOISE = np.round(0.3 * rng.normal(size=(STEPS, N)), 3)
W_MASK = np.array([False] * 3 + [True] * 6)  # {b: false, w: true}

def grad_at(x, k): return D * (x - T) + NOISE[k]

# --- small optax pieces ---------------------------------------------------------------------
def chain(*ts):
    def init(p): return [t[0](p) for t in ts]
    def update(g, s, p, **kw):
        out = []
        for t, si in zip(ts, s):
            g, si = t[1](g, si, p, **kw)
            out.append(si)
        return g, out
    return init, update

def stateless(f): return (lambda p: {}), (lambda g, s, p, **kw: (f(g, p), s))
def identity(): return stateless(lambda g, p: g)
def scale(c): return stateless(lambda g, p: c * g)
def decay(wd, mask=None): return stateless(lambda g, p: g + wd * p * (1.0 if mask is None else mask))
def normalize(): return stateless(lambda g, p: g / np.linalg.norm(g))

def sgd(lr, momentum=None):
    if momentum is None: return scale(-lr)
    def init(p): return dict(trace=np.zeros_like(p))
    def update(g, s, p, **kw):
        tr = g + momentum * s['trace']
        return -lr * tr, dict(trace=tr)
    return init, update

def adam(lr, b1=0.9, b2=0.999, eps=1e-8):
    def init(p): return dict(count=0, mu=np.zeros_like(p), nu=np.zeros_like(p))
    def update(g, s, p, **kw):
        mu, nu, c = (1 - b1) * g + b1 * s['mu'], (1 - b2) * g * g + b2 * s['nu'], s['count'] + 1
        return -lr * (mu / (1 - b1 ** c)) / (np.sqrt(nu / (1 - b2 ** c)) + eps), dict(count=c, mu=mu, nu=nu)
    return init, update

# --- contrib ---------------------------------------------------------------------------------
def prodigy(lr=1.0, betas=(0.9, 0.999), beta3=None, eps=1e-8, d0=1e-6, coef=1.0, wd=0.0, safeguard=False, mask=None):
    b1, b2 = betas
    b3 = b2 ** 0.5 if beta3 is None else beta3
    def init(p):
        z = np.zeros_like(p)
        return dict(ea=z, eas=z, gs=z, p0=p.copy(), d=d0, num=0.0, count=0)
    def update(g, s, p, **kw):
        c = s['count'] + 1
        bc = ((1 - b2 ** c) ** 0.5) / (1 - b1 ** c)
        d = s['d']
        dlr = d * lr * bc
        dg = d * g
        num_acum = g @ (s['p0'] - p)
        ea = b1 * s['ea'] + (1 - b1) * dg
        eas = b2 * s['eas'] + (1 - b2) * dg * dg
        gs = b3 * s['gs'] + (d if safeguard else dlr) * dg / d0
        num = b3 * s['num'] + (d / d0) * dlr * num_acum
        dnew = max(d, coef * num / np.sum(np.abs(gs)))
        u = -dlr * ea / (np.sqrt(eas) + dnew * eps)
        m = np.ones_like(p, dtype=bool) if mask is None else mask
        u = np.where(m, u - wd * dlr * p, u)
        return u, dict(ea=ea, eas=eas, gs=gs, p0=s['p0'], d=dnew, num=num, count=c)
    return init, update

def scale_by_dog(kind, value, eps=1e-8):
    def init(p):
        r = value if kind == 'distance' else (value * (1 + np.linalg.norm(p)) if kind == 'heuristic' else 0.0)
        return dict(first=True, x0=p.copy(), maxd=r, ssq=0.0)
    def update(g, s, p, **kw):
        maxd = max(s['maxd'], np.linalg.norm(s['x0'] - p))
        ssq = s['ssq'] + g @ g
        lr = maxd / np.sqrt(ssq + eps)
        if kind == 'learning_rate' and s['first']: lr = value
        return lr * g, dict(first=False, x0=s['x0'], maxd=maxd, ssq=ssq)
    return init, update

def dog(lr=1.0, init_step=('heuristic', 1e-6), eps=1e-8, wd=None, mask=None):
    return chain(identity() if wd is None else decay(wd, mask), scale_by_dog(*init_step, eps), scale(-lr))

def scale_by_dowg(init_sq=None, eps=1e-4):
    def init(p): return dict(x0=p.copy(), w=0.0, r2=eps if init_sq is None else init_sq)
    def update(g, s, p, **kw):
        r2 = max(s['r2'], np.sum((s['x0'] - p) ** 2))
        w = r2 * (g @ g) + s['w']
        return r2 / (np.sqrt(w) + eps) * g, dict(x0=s['x0'], w=w, r2=r2)
    return init, update

def dowg(lr=1.0, init_sq=None, eps=1e-4, wd=None, mask=None):
    return chain(identity() if wd is None else decay(wd, mask), scale_by_dowg(init_sq, eps), scale(-lr))

def scale_by_cocob(alpha=100.0, eps=1e-8):
    def init(p): return dict(p0=p.copy(), C=np.zeros_like(p), L=eps * np.ones_like(p), G=np.zeros_like(p), R=np.zeros_like(p))
    def update(g, s, p, **kw):
        L = np.maximum(s['L'], np.abs(g))
        G = s['G'] + np.abs(g)
        R = np.maximum(s['R'] - g * (p - s['p0']), 0)
        C = s['C'] - g
        u = -p + (s['p0'] + C / (L * np.maximum(G + L, alpha * L)) * (L + R))
        return u, dict(p0=s['p0'], C=C, L=L, G=G, R=R)
    return init, update

def cocob(lr=1.0, alpha=100.0, eps=1e-8, wd=0.0, mask=None):
    return chain(decay(wd, mask), scale(lr), scale_by_cocob(alpha, eps))

def mechanize(base, wd=1e-2, eps=1e-8, s_init=1e-6, num_betas=6):
    betas = np.array([1.0 - 0.1 ** i for i in range(1, num_betas + 1)])
    def init(p):
        z = np.zeros(num_betas)
        return dict(base=base[0](p), count=0, r=z, m=z, v=z, s=np.ones(num_betas) * s_init, x0=p.copy())
    def update(g, s, p, **kw):
        neg, bs = base[1](g, s['base'], p)
        x0 = p if s['count'] == 0 else s['x0']
        ssum = np.sum(s['s'])
        gd = g + wd * ssum * np.linalg.norm(g) / (np.linalg.norm(p) + eps) * p
        dprev = (x0 - p) / (ssum + eps)
        delta = dprev - neg
        h = gd @ dprev
        ch = np.clip(h, -s['m'], s['m'])
        m = np.maximum(betas * s['m'], abs(h) + eps)
        v = betas ** 2 * s['v'] + h ** 2
        r = betas * s['r'] + ch * s['s']
        wealth = (s_init / num_betas) * m + np.maximum(0.0, r)
        snew = wealth / (np.sqrt(v) + eps)
        newp = x0 - np.sum(snew) * delta
        return newp - p, dict(base=bs, count=s['count'] + 1, r=r, m=m, v=v, s=snew, x0=x0)
    return init, update

def sam(opt, adv, sync=2, reset=True):
    def init(p): return dict(steps=0, opt=opt[0](p), adv=adv[0](p), cache=p.copy())
    def update(g, s, p, **kw):
        first, last = s['steps'] == 0, s['steps'] == sync - 1
        au, ast = adv[1](g, s['adv'], p)
        ou, ost = opt[1](g, s['opt'], s['cache'])
        ou = s['cache'] - p + ou
        cache = p if first else s['cache']
        u = ou if last else -au
        ast = (adv[0](p) if reset else s['adv']) if last else ast
        ost = ost if last else s['opt']
        return u, dict(steps=(s['steps'] + 1) % sync, opt=ost, adv=ast, cache=cache)
    return init, update

def sam_opaque(opt, adv, sync=2, reset=True):
    """One call: sync-1 adversarial steps with grad_fn(params, i) = gradient at step k, then the outer step."""
    def init(p): return dict(opt=opt[0](p), adv=adv[0](p))
    def update(g, s, p, k=0, **kw):
        ap, au, ast = p, g, s['adv']
        for i in range(sync - 1):
            au, ast = adv[1](au, ast, ap)
            ap = ap - au
            au = grad_at(ap, k)
        if reset: ast = adv[0](p)
        u, ost = opt[1](au, s['opt'], p)
        return u, dict(opt=ost, adv=ast)
    return init, update

def run(t, x0=None):
    """x0 None: X0; the cases whose steps are ~1e-6 start from 0 instead, where float32 resolves them."""
    x = (X0 if x0 is None else x0).copy()
    s = t[0](x)
    params, updates = [], []
    for k in range(STEPS):
        u, s = t[1](grad_at(x, k), s, x, k=k)
        x = x + u
        params.append([float('%.12g' % v) for v in x])
        updates.append([float('%.12g' % v) for v in u])
    return dict(params_after_each_step=params, updates=updates, zero_start=x0 is not None)

adv = chain(normalize(), sgd(0.05))
cases = {
    'prodigy': run(prodigy(), np.zeros(N)),
    'prodigy_wd_mask_safeguard': run(prodigy(lr=0.5, betas=(0.8, 0.99), beta3=0.9, wd=0.1, safeguard=True, mask=W_MASK, d0=1e-3, coef=2.0)),
    'dog': run(dog(), np.zeros(N)),
    'dog_lr_init_wd': run(dog(lr=0.5, init_step=('learning_rate', 0.1), wd=0.01, mask=W_MASK)),
    'dog_distance': run(dog(init_step=('distance', 0.5))),
    'dowg': run(dowg()),
    'dowg_init_wd': run(dowg(lr=0.5, init_sq=0.1, wd=0.01)),
    'cocob': run(cocob()),
    'cocob_lr_alpha_wd': run(cocob(lr=0.5, alpha=50.0, wd=0.01, mask=W_MASK)),
    'mechanize_sgd': run(mechanize(sgd(0.1)), np.zeros(N)),
    'mechanize_adam_wd': run(mechanize(adam(0.01), wd=0.1, num_betas=3, s_init=1e-4), np.zeros(N)),
    'sam_sgd': run(sam(sgd(0.1), adv)),
    'sam_adam_sync3_momentum_adv_keep': run(sam(adam(0.05), chain(normalize(), sgd(0.05, momentum=0.9)), sync=3, reset=False)),
    'sam_adam_sync3_momentum_adv_reset': run(sam(adam(0.05), chain(normalize(), sgd(0.05, momentum=0.9)), sync=3, reset=True)),
    'sam_opaque_sync3': run(sam_opaque(sgd(0.1), chain(normalize(), sgd(0.05, momentum=0.9)), sync=3)),
}
out = dict(x0=X0.tolist(), d=D.tolist(), t=T.tolist(), noise=NOISE.tolist(), cases=cases)
path = os.path.join(here, '..', 'test', 'fixtures', 'optax_contrib.json')
with open(path, 'w') as f:
    json.dump(out, f, separators=(',', ':'))
print('wrote', path, os.path.getsize(path), 'bytes')
for k, v in cases.items(): print(k, 'max |u| per step', ['%.1e' % np.max(np.abs(u)) for u in v['updates']])
