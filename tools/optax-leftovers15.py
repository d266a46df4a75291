"""Fixtures for test/optim/optax-leftovers-session15.test.ts: optax.contrib's madgrad, acprop, momo,
momo_adam, dadapt_adamw and sophia (contrib/_madgrad.py, _acprop.py, _momo.py, _dadapt_adamw.py,
_sophia.py) transcribed in float64 numpy, on the 8-step trajectory of tools/optax_reference.py.
momo / momo_adam get the loss values VALUES; sophia's objective is sum(x^4) / 12 over every leaf,
whose Hessian is diagonal (x^2), so Hutchinson's estimate r * (H r) is exact whatever the signs."""
import json, os
import numpy as np
from optax_reference import GRADS, KEYS, P0, bc, chain, here, lr_t, run, stateless, tmap

VALUES = [2.0, 1.7, 1.5, 1.2, 1.1, 0.9, 0.85, 0.7]


def vdot(a, b):
    return sum(float(np.sum(a[k] * b[k])) for k in KEYS)


def decayed(wd):
    return stateless(lambda g, p: tmap(lambda x, y: x + wd * y, g, p))


def linear(a, b, n):
    return lambda t: a + (b - a) * min(t, n) / n


def madgrad(lr, momentum=0.9, wd=0.0, eps=1e-6):
    def init(p):
        return dict(count=0, gss=tmap(np.zeros_like, p), s=tmap(np.zeros_like, p), x0=tmap(np.copy, p))

    def update(g, st, p):
        lrv = lr(st['count']) if callable(lr) else lr
        lamb = (lrv + eps) * np.sqrt(st['count'] + 1)
        gss = tmap(lambda a, x: a + lamb * x ** 2, st['gss'], g)
        s = tmap(lambda a, x: a + lamb * x, st['s'], g)
        z = tmap(lambda x0, sv, a: x0 - sv / (np.cbrt(a) + eps), st['x0'], s, gss)
        out = tmap(lambda zz, x: (1 - momentum) * zz + momentum * x - x, z, p)
        return out, dict(count=st['count'] + 1, gss=gss, s=s, x0=st['x0'])
    return chain(decayed(wd), (init, update))


def acprop(lr, b1=0.9, b2=0.999, eps=1e-16, eps_root=1e-16, wd=0.0):
    def init(p):
        return dict(count=0, mu=tmap(np.zeros_like, p), nu=tmap(np.zeros_like, p))

    def update(g, st, p):
        mu = tmap(lambda x, m: (1 - b1) * x + b1 * m, g, st['mu'])
        err = tmap(lambda x, m: x - m, g, st['mu'])
        nu = tmap(lambda e, v: (1 - b2) * e ** 2 + b2 * v + eps_root, err, st['nu'])
        c = st['count']
        if c == 0:
            nu_hat = tmap(np.ones_like, st['nu'])
        else:
            nu_hat = tmap(lambda v: bc(v, b2, c), st['nu'])
        out = tmap(lambda x, v: x / (np.sqrt(v) + eps), g, nu_hat)
        return out, dict(count=c + 1, mu=mu, nu=nu)
    return chain((init, update), decayed(wd), lr_t(lr))


def momo_core(st, p, alpha, barf, gamma, ea, direction, bc1, lower_bound, wd, adapt):
    norm = vdot(ea, direction)
    iprod = vdot(ea, p)
    dec = 1 + alpha * wd
    lb = st['lb']
    if adapt:
        cap = dec * (barf - gamma) + iprod
        if cap < dec * bc1 * lb:
            lb = max(cap / (2 * bc1 * dec), lower_bound)
    t1 = max(dec * (barf - bc1 * lb - gamma) + iprod, 0.0) / norm
    if norm <= np.finfo(float).eps:
        t1 = 0.0
    tau = min(alpha / bc1, t1)
    out = tmap(lambda d, x: -(alpha * wd) / dec * x - tau * d, direction, p)
    new_lb = max((barf + iprod - gamma - 0.5 * tau * norm) / bc1, lower_bound) if adapt else st['lb']
    return out, new_lb


def momo(lr=1.0, beta=0.9, lower_bound=0.0, wd=0.0, adapt=False):
    def init(p):
        return dict(ea=tmap(np.zeros_like, p), barf=0.0, gamma=0.0, lb=lower_bound, count=0)

    def update(g, st, p):
        bt = 0.0 if st['count'] == 0 else beta
        barf = bt * st['barf'] + (1 - bt) * VALUES[st['count']]
        ea = tmap(lambda m, x: bt * m + (1 - bt) * x, st['ea'], g)
        gamma = bt * st['gamma'] + (1 - bt) * vdot(g, p)
        alpha = lr(st['count']) if callable(lr) else lr
        out, lb = momo_core(st, p, alpha, barf, gamma, ea, ea, 1.0, lower_bound, wd, adapt)
        return out, dict(ea=ea, barf=barf, gamma=gamma, lb=lb, count=st['count'] + 1)
    return init, update


def momo_adam(lr=0.01, b1=0.9, b2=0.999, eps=1e-8, lower_bound=0.0, wd=0.0, adapt=False):
    def init(p):
        return dict(ea=tmap(np.zeros_like, p), eas=tmap(np.zeros_like, p), barf=0.0, gamma=0.0, lb=lower_bound, count=0)

    def update(g, st, p):
        c = st['count'] + 1
        barf = b1 * st['barf'] + (1 - b1) * VALUES[st['count']]
        ea = tmap(lambda m, x: b1 * m + (1 - b1) * x, st['ea'], g)
        eas = tmap(lambda v, x: b2 * v + (1 - b2) * x * x, st['eas'], g)
        bc2 = 1 - b2 ** c
        direction = tmap(lambda m, v: m / (eps + np.sqrt(v / bc2)), ea, eas)
        gamma = b1 * st['gamma'] + (1 - b1) * vdot(g, p)
        alpha = lr(st['count']) if callable(lr) else lr
        out, lb = momo_core(st, p, alpha, barf, gamma, ea, direction, 1 - b1 ** c, lower_bound, wd, adapt)
        return out, dict(ea=ea, eas=eas, barf=barf, gamma=gamma, lb=lb, count=c)
    return init, update


def dadapt_adamw(lr=1.0, betas=(0.9, 0.999), eps=1e-8, estim_lr0=1e-6, wd=0.0):
    b1, b2 = betas
    sb2 = b2 ** 0.5

    def init(p):
        z = lambda: tmap(np.zeros_like, p)
        return dict(ea=z(), eas=z(), gs=z(), d=estim_lr0, nw=0.0, count=0)

    def update(g, st, p):
        sched = lr(st['count']) if callable(lr) else lr
        c = st['count'] + 1
        dlr = st['d'] * sched * (1 - b2 ** c) ** 0.5 / (1 - b1 ** c)
        sw = tmap(lambda s, v: s / (np.sqrt(v) + eps), st['gs'], st['eas'])
        acum = vdot(g, sw)
        ea = tmap(lambda m, x: b1 * m + (1 - b1) * dlr * x, st['ea'], g)
        eas = tmap(lambda v, x: b2 * v + (1 - b2) * x * x, st['eas'], g)
        gs = tmap(lambda s, x: sb2 * s + (1 - sb2) * dlr * x, st['gs'], g)
        l1 = sum(float(np.abs(gs[k]).sum()) for k in KEYS)
        nw = sb2 * st['nw'] + (1 - sb2) * dlr * acum
        d = max(st['d'], nw / ((1 - sb2) * l1))
        out = tmap(lambda m, v, x: -wd * dlr * x - m / (np.sqrt(v) + eps), ea, eas, p)
        return out, dict(ea=ea, eas=eas, gs=gs, d=d, nw=nw, count=c)
    return init, update


def sophia(lr, b1=0.965, b2=0.99, eps=1e-8, wd=1e-4, gamma=0.01, clip=1.0, interval=10):
    def init(p):
        return dict(count=0, mu=tmap(np.zeros_like, p), nu=tmap(np.zeros_like, p))

    def update(g, st, p):
        c = st['count'] + 1
        mu = tmap(lambda x, m: (1 - b1) * x + b1 * m, g, st['mu'])
        out = tmap(lambda m, h: bc(m, b1, c) / np.maximum(gamma * h, eps), mu, st['nu'])
        if clip is not None:
            out = tmap(lambda u: np.clip(u, -clip, clip), out)
        nu = st['nu']
        if st['count'] % interval == 0:
            nu = tmap(lambda x, h: (1 - b2) * x ** 2 + b2 * h, p, nu)  # the Hessian diagonal of sum(x^4)/12
        return out, dict(count=c, mu=mu, nu=nu)
    return chain((init, update), decayed(wd), lr_t(lr))


CASES = {
    'madgrad': (dict(lr=0.01), lambda h: madgrad(h['lr'])),
    'madgrad_schedule_wd': (dict(lr_linear=[0.05, 0.01, 8], momentum=0.5, wd=0.1, eps=1e-4),
                            lambda h: madgrad(linear(*h['lr_linear']), h['momentum'], h['wd'], h['eps'])),
    'acprop': (dict(lr=0.01), lambda h: acprop(h['lr'])),
    'acprop_wd': (dict(lr=0.02, b1=0.8, b2=0.9, eps=1e-6, eps_root=1e-8, wd=0.1),
                  lambda h: acprop(h['lr'], h['b1'], h['b2'], h['eps'], h['eps_root'], h['wd'])),
    'momo': (dict(lr=1.0), lambda h: momo(h['lr'])),
    'momo_adapt_wd': (dict(lr_linear=[0.5, 0.1, 8], beta=0.8, lower_bound=0.1, wd=0.1, adapt=True),
                      lambda h: momo(linear(*h['lr_linear']), h['beta'], h['lower_bound'], h['wd'], True)),
    'momo_adam': (dict(lr=0.01), lambda h: momo_adam(h['lr'])),
    'momo_adam_adapt_wd': (dict(lr=0.1, b1=0.8, b2=0.99, eps=1e-6, lower_bound=0.1, wd=0.1, adapt=True),
                           lambda h: momo_adam(h['lr'], h['b1'], h['b2'], h['eps'], h['lower_bound'], h['wd'], True)),
    'dadapt_adamw': (dict(estim_lr0=0.05), lambda h: dadapt_adamw(estim_lr0=h['estim_lr0'])),
    'dadapt_adamw_schedule_wd': (dict(lr_linear=[1.0, 0.5, 8], b1=0.8, b2=0.99, eps=1e-6, estim_lr0=0.02, wd=0.1),
                                 lambda h: dadapt_adamw(linear(*h['lr_linear']), (h['b1'], h['b2']), h['eps'], h['estim_lr0'], h['wd'])),
    'sophia': (dict(lr=0.05, interval=3), lambda h: sophia(h['lr'], interval=h['interval'])),
    'sophia_options': (dict(lr=0.1, b1=0.9, b2=0.5, eps=1e-6, wd=0.0, gamma=100.0, clip=0.5, interval=2),
                       lambda h: sophia(h['lr'], h['b1'], h['b2'], h['eps'], h['wd'], h['gamma'], h['clip'], h['interval'])),
}

out = dict(generator='tools/optax-leftovers15.py', params0={k: P0[k].tolist() for k in KEYS},
           grads=[{k: g[k].tolist() for k in KEYS} for g in GRADS], values=VALUES, cases={})
for name, (hyper, make) in CASES.items():
    init, update = make(hyper)
    out['cases'][name] = dict(hyper=hyper, params_after_each_step=run(init, update, GRADS, KEYS, 9)[0])

path = os.path.join(here, 'optax_leftovers15.json')
json.dump(out, open(path, 'w'))
print(path, os.path.getsize(path), 'bytes')
