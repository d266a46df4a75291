#!/usr/bin/env python3
"""Reference learning rates for tfjax's torch-style schedulers and plateau reducers
(test/optim/schedulers-session14.test.ts). Writes test/fixtures/optim_session14.json; run from
the repo root with a Python that has torch (1.13 here):

    /usr/bin/python3 tools/optim_session14.py

- `schedulers`: for each case, torch's scheduler stepped once per optimiser step (the ordinary
  loop: optimizer.step(); scheduler.step()), and the lr each step used (step t's lr is the group's
  lr after t calls to scheduler.step()). These are torch's recursive forms (`get_lr`), in float64.
- `torch_plateau`: torch.optim.lr_scheduler.ReduceLROnPlateau fed a metric sequence; the lr after
  each step(metric).
- `optax_plateau`: optax.contrib.reduce_on_plateau's update transcribed in float64 numpy (optax is
  not installed here); the scale after each update(value).
"""
import json
import math

import numpy as np
import torch
from torch.optim import lr_scheduler as S

N = 80  # steps per scheduler case


def opt(lr=0.1, **kw):
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr, momentum=0.9, **kw)


def r15(v):
    """15 significant digits: keeps the file small; 5e-16 relative, far below the tests' 1e-12."""
    return float('%.15g' % v)


def run(make, steps=N):
    o = opt()
    s = make(o)
    lrs = []
    for _ in range(steps):
        lrs.append(r15(o.param_groups[0]['lr']))
        o.step()
        s.step()
    return lrs


def seq(o, mk, milestones):
    return S.SequentialLR(o, [m(o) for m in mk], milestones)


CASES = {
    'step_lr': lambda o: S.StepLR(o, step_size=7, gamma=0.5),
    'multistep_lr': lambda o: S.MultiStepLR(o, milestones=[10, 30, 30, 75], gamma=0.3),
    'exponential_lr': lambda o: S.ExponentialLR(o, gamma=0.97),
    'cosine_annealing_lr': lambda o: S.CosineAnnealingLR(o, T_max=25, eta_min=0.001),  # goes back up after 25
    'cosine_annealing_lr_zero_min': lambda o: S.CosineAnnealingLR(o, T_max=40),
    'warm_restarts': lambda o: S.CosineAnnealingWarmRestarts(o, T_0=10, eta_min=0.002),
    'warm_restarts_mult': lambda o: S.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2, eta_min=0.01),
    'warm_restarts_mult3': lambda o: S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=3),
    'onecycle_cos': lambda o: S.OneCycleLR(o, max_lr=0.5, total_steps=N),
    'onecycle_linear': lambda o: S.OneCycleLR(o, max_lr=2.0, total_steps=N, anneal_strategy='linear', pct_start=0.25, div_factor=10.0, final_div_factor=100.0),
    'onecycle_three_phase': lambda o: S.OneCycleLR(o, max_lr=1.0, total_steps=N, three_phase=True, pct_start=0.2),
    'onecycle_three_phase_linear': lambda o: S.OneCycleLR(o, max_lr=0.3, total_steps=N, three_phase=True, anneal_strategy='linear'),
    'linear_lr': lambda o: S.LinearLR(o, start_factor=0.25, end_factor=0.9, total_iters=30),
    'linear_lr_default': lambda o: S.LinearLR(o),
    'constant_lr': lambda o: S.ConstantLR(o, factor=0.2, total_iters=13),
    'polynomial_lr': lambda o: S.PolynomialLR(o, total_iters=50, power=2.0),
    'polynomial_lr_half': lambda o: S.PolynomialLR(o, total_iters=60, power=0.5),
    'cyclic_triangular': lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=9),
    'cyclic_triangular2': lambda o: S.CyclicLR(o, base_lr=0.001, max_lr=0.05, step_size_up=6, step_size_down=14, mode='triangular2'),
    'cyclic_exp_range': lambda o: S.CyclicLR(o, base_lr=0.02, max_lr=0.2, step_size_up=10, mode='exp_range', gamma=0.99),
    'lambda_lr': lambda o: S.LambdaLR(o, lambda e: 1.0 / (1 + 0.05 * e) if e % 2 == 0 else 0.5 ** (e / 30)),
    'multiplicative_lr': lambda o: S.MultiplicativeLR(o, lambda e: 0.99 if e % 3 else 0.9),
    'sequential_warmup_cosine': lambda o: seq(o, [lambda o: S.LinearLR(o, start_factor=0.1, total_iters=10), lambda o: S.CosineAnnealingLR(o, T_max=60, eta_min=1e-4)], [10]),
    'sequential_three': lambda o: seq(o, [lambda o: S.ConstantLR(o, factor=0.5, total_iters=5), lambda o: S.ExponentialLR(o, gamma=0.95), lambda o: S.StepLR(o, step_size=10, gamma=0.5)], [20, 50]),
    'chained_constant_exponential': lambda o: S.ChainedScheduler([S.ConstantLR(o, factor=0.1, total_iters=4), S.ExponentialLR(o, gamma=0.98)]),
    'chained_linear_step_poly': lambda o: S.ChainedScheduler([S.LinearLR(o, start_factor=0.5, total_iters=8), S.StepLR(o, step_size=15, gamma=0.7), S.PolynomialLR(o, total_iters=100, power=1.5)]),
}

schedulers = {name: run(make) for name, make in CASES.items()}


def closed_cosine(base, t_max, eta_min, n):
    return [eta_min + (base - eta_min) * (1 + math.cos(math.pi * t / t_max)) / 2 for t in range(n)]


# How far torch's recursive CosineAnnealingLR is from its closed form in float64 (reported, not asserted here).
recursive_vs_closed = max(abs(a - b) / max(abs(b), 1e-300) for a, b in zip(schedulers['cosine_annealing_lr'], closed_cosine(0.1, 25, 0.001, N)))

# torch ReduceLROnPlateau: a metric that improves, stalls, improves a little (below the threshold) and rises.
METRIC = [1.0, 0.9, 0.8, 0.8, 0.81, 0.79995, 0.8, 0.7, 0.7, 0.7, 0.7, 0.69, 0.69, 0.69, 0.69, 0.69, 0.69, 0.69, 0.69, 0.69,
          0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]
PLATEAU = {
    'default_patience2': dict(patience=2),
    'max_abs_cooldown': dict(mode='max', threshold_mode='abs', threshold=0.01, patience=1, cooldown=2, factor=0.5),
    'min_lr_eps': dict(patience=0, factor=0.3, min_lr=0.004, eps=1e-3),
    'rel_threshold_cooldown': dict(patience=3, threshold=0.05, cooldown=1, factor=0.2),
}


def torch_plateau(kw, metric):
    o = opt(lr=0.1)
    s = S.ReduceLROnPlateau(o, **kw)
    out = []
    for m in metric:
        s.step(m)
        out.append(o.param_groups[0]['lr'])
    return out


def fed(kw):
    return [-m for m in METRIC] if kw.get('mode') == 'max' else METRIC  # max mode: the metric negated, so it improves upwards


torch_plateau_cases = {name: dict(options=kw, metric=fed(kw), lrs=torch_plateau(kw, fed(kw))) for name, kw in PLATEAU.items()}


def optax_plateau(values, factor=0.1, patience=10, rtol=1e-4, atol=0.0, cooldown=0, accumulation_size=1, min_scale=0.0):
    """optax.contrib.reduce_on_plateau: the scale after each update(value=v)."""
    st = dict(scale=1.0, best=math.inf, plateau=0, cool=0, count=0, avg=0.0)
    out = []
    for v in values:
        count = st['count'] + 1
        st['avg'] = (st['count'] * st['avg'] + v) / count
        st['count'] = count
        if count == accumulation_size:
            improved = st['avg'] < (1 - rtol) * st['best'] - atol
            best = st['avg'] if improved else st['best']
            plateau = 0 if improved else st['plateau'] + 1
            if st['cool'] > 0:
                plateau, scale, cool = 0, st['scale'], st['cool'] - 1
            else:
                hit = plateau == patience
                scale = max(st['scale'] * factor if hit else st['scale'], min_scale)
                plateau, cool = (0 if hit else plateau), (cooldown if hit else 0)
            st = dict(scale=scale, best=best, plateau=plateau, cool=cool, count=0, avg=0.0)
        best = None if math.isinf(st['best']) else st['best']  # null: +inf (JSON has no Infinity)
        out.append(dict(scale=st['scale'], best=best, plateau=st['plateau'], cooldown=st['cool'], count=st['count']))
    return out


OPTAX = {
    'patience2': dict(patience=2, factor=0.5),
    'atol_cooldown_min_scale': dict(patience=1, factor=0.5, rtol=0.0, atol=0.05, cooldown=2, min_scale=0.1),
    'accumulate3': dict(patience=1, factor=0.3, accumulation_size=3),
}
def columns(states):
    """The states as one list per field (smaller than a list of records)."""
    return {k: [st[k] for st in states] for k in states[0]}


optax_cases = {name: dict(options=kw, states=columns(optax_plateau(METRIC, **kw))) for name, kw in OPTAX.items()}

# ---- optax.contrib's ADOPT and AdEMAMix (optax HEAD, contrib/_adopt.py and _ademamix.py) in float64
# numpy, through the shared 8 steps of optimizers_adam_variants.json (tools/optax_reference.py).
from optax_reference import GRADS, chain, lr_t, run as run_traj, src, stateless, tmap


def adopt_t(b1, b2, eps, nesterov, use_clipping):
    """optax.contrib.scale_by_adopt (clip_value_fn = count ** 0.25, count before the increment)."""
    def init(p): return dict(count=0, mu=tmap(np.zeros_like, p), nu=tmap(np.zeros_like, p))
    def update(g, s, p):
        c = s['count']
        b1_, b2_ = (b1, b2) if c > 0 else (1.0, 0.0)
        nu = tmap(lambda x, v: (1 - b2_) * x ** 2 + b2_ * v, g, s['nu'])
        def scaled(x, v):
            y = x / np.maximum(np.sqrt(v), eps)
            return np.clip(y, -c ** 0.25, c ** 0.25) if use_clipping else y
        mu_u = tmap(scaled, g, s['nu'])
        mu = tmap(lambda u, m: (1 - b1_) * u + b1_ * m, mu_u, s['mu'])
        out = tmap(lambda u, m: (1 - b1_) * u + b1_ * m, mu_u, mu) if nesterov else mu
        return out, dict(count=c + 1, mu=mu, nu=nu)
    return init, update


def ademamix_t(b1, b2, b3, alpha, eps, eps_root):
    """optax.contrib.scale_by_ademamix with constant b3 and alpha."""
    def init(p): return dict(count=0, m1=tmap(np.zeros_like, p), m2=tmap(np.zeros_like, p), nu=tmap(np.zeros_like, p))
    def update(g, s, p):
        m1 = tmap(lambda x, m: (1 - b1) * x + b1 * m, g, s['m1'])
        m2 = tmap(lambda x, m: (1 - b3) * x + b3 * m, g, s['m2'])
        nu = tmap(lambda x, v: (1 - b2) * x ** 2 + b2 * v, g, s['nu'])
        c = s['count'] + 1
        out = tmap(lambda a, m, v: (a / (1 - b1 ** c) + alpha * m) / (np.sqrt(v / (1 - b2 ** c) + eps_root) + eps), m1, m2, nu)
        return out, dict(count=c, m1=m1, m2=m2, nu=nu)
    return init, update


def decay_t(wd): return stateless(lambda g, p: tmap(lambda x, w: x + wd * w, g, p))


OPTIMIZERS = {
    'adopt': (dict(lr=0.01), chain(adopt_t(0.9, 0.9999, 1e-6, False, True), lr_t(0.01))),
    'adopt_nesterov_noclip': (dict(lr=0.02, b1=0.8, b2=0.99, eps=1e-4, nesterov=True, use_clipping=False), chain(adopt_t(0.8, 0.99, 1e-4, True, False), lr_t(0.02))),
    'ademamix': (dict(lr=0.01), chain(ademamix_t(0.9, 0.999, 0.9999, 5.0, 1e-8, 0.0), lr_t(0.01))),
    'ademamix_wd': (dict(lr=0.005, b1=0.8, b2=0.95, b3=0.99, alpha=2.0, eps=1e-6, eps_root=1e-8, weight_decay=0.1),
                    chain(ademamix_t(0.8, 0.95, 0.99, 2.0, 1e-6, 1e-8), decay_t(0.1), lr_t(0.005))),
}
optimizer_cases = {name: dict(hyper=h, params_after_each_step=run_traj(i, u, GRADS, ['w', 'b', 'c'], 9)[0]) for name, (h, (i, u)) in OPTIMIZERS.items()}

json.dump(dict(
    generator='tools/optim_session14.py', torch=torch.__version__, steps=N,
    cosine_recursive_vs_closed_max_rel=recursive_vs_closed,
    schedulers=schedulers, metric=METRIC, params0=src['params0'], grads=src['grads'], optimizers=optimizer_cases, torch_plateau=torch_plateau_cases, optax_plateau=optax_cases,
), open('test/fixtures/optim_session14.json', 'w'), separators=(',', ':'))
print('recursive vs closed cosine (max rel):', recursive_vs_closed)
