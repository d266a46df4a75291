#!/usr/bin/env python3
"""Reference trajectories for Adam's variants (test/optim/adam-variants.test.ts): PyTorch's
Adamax and RAdam; NAdam as PyTorch >= 2.0 computes it (written out here: 1.13's loop
multiplies the step's momentum into the next-step product twice, `mu_product * mu * mu_next`,
which 2.0 corrected to `mu_product * mu_next`); optax's LAMB and Lion from their definitions (torch
1.13 has no Lion). Writes test/fixtures/optimizers_adam_variants.json; run from the repo root with a
Python that has torch:

    /usr/bin/python3 tools/torch-fixtures-adam-variants.py

Eight steps, so that RAdam's rectification switches on within the trajectory (its variance
estimate is trusted from rho_t > 5). Parameters hold a zero, gradients a zero entry.
"""
import torch
from torch_trajectory import SHAPES, nested, problem, trajectory, write

STEPS = 8
params0, grads = problem(seed=29, steps=STEPS)

CASES = {
    "adamax": (torch.optim.Adamax, {"lr": 0.01}),
    "adamax_betas_eps_wd": (torch.optim.Adamax, {"lr": 0.02, "betas": [0.8, 0.9], "eps": 1e-3, "weight_decay": 0.05}),
    "radam": (torch.optim.RAdam, {"lr": 0.01}),
    "radam_rectified_wd": (torch.optim.RAdam, {"lr": 0.02, "betas": [0.9, 0.8], "eps": 1e-6, "weight_decay": 0.02}),
}

cases = {name: trajectory(cls, hyper, params0, grads) for name, (cls, hyper) in CASES.items()}


def lion(lr, b1=0.9, b2=0.99, weight_decay=1e-3):
    """optax.lion: sign(b1 mu + (1 - b1) g), mu <- b2 mu + (1 - b2) g, decoupled decay, in float32."""
    ps = {k: v.clone() for k, v in params0.items()}
    mu = {k: torch.zeros(s) for k, s in SHAPES.items()}
    after = []
    for g in grads:
        for k in SHAPES:
            update = torch.sign(b1 * mu[k] + (1 - b1) * g[k]) + weight_decay * ps[k]
            mu[k] = b2 * mu[k] + (1 - b2) * g[k]
            ps[k] = ps[k] - lr * update
        after.append({k: nested(ps[k]) for k in SHAPES})
    return {"hyper": {"lr": lr, "b1": b1, "b2": b2, "weight_decay": weight_decay}, "params_after_each_step": after}


def lamb(lr, b1=0.9, b2=0.999, eps=1e-6, weight_decay=0.0):
    """optax.lamb: Adam's bias-corrected step plus decoupled decay, rescaled per leaf by
    |p| / |step| (1 where either norm is 0), in float32."""
    ps = {k: v.clone() for k, v in params0.items()}
    mu = {k: torch.zeros(s) for k, s in SHAPES.items()}
    nu = {k: torch.zeros(s) for k, s in SHAPES.items()}
    after = []
    for t, g in enumerate(grads, start=1):
        for k in SHAPES:
            mu[k] = b1 * mu[k] + (1 - b1) * g[k]
            nu[k] = b2 * nu[k] + (1 - b2) * g[k] * g[k]
            step = (mu[k] / (1 - b1 ** t)) / ((nu[k] / (1 - b2 ** t)).sqrt() + eps) + weight_decay * ps[k]
            pn, un = ps[k].norm(), step.norm()
            ratio = 1.0 if pn == 0 or un == 0 else pn / un
            ps[k] = ps[k] - lr * ratio * step
        after.append({k: nested(ps[k]) for k in SHAPES})
    return {"hyper": {"lr": lr, "b1": b1, "b2": b2, "eps": eps, "weight_decay": weight_decay}, "params_after_each_step": after}


def nadam(lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=4e-3):
    """torch.optim.NAdam's single-tensor loop as of PyTorch 2.x (L2 weight decay), in float32."""
    beta1, beta2 = betas
    ps = {k: v.clone() for k, v in params0.items()}
    exp_avg = {k: torch.zeros(s) for k, s in SHAPES.items()}
    exp_avg_sq = {k: torch.zeros(s) for k, s in SHAPES.items()}
    mu_product = 1.0
    after = []
    for step, g in enumerate(grads, start=1):
        bias_correction2 = 1 - beta2 ** step
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
        mu_product *= mu
        mu_product_next = mu_product * mu_next
        for k in SHAPES:
            grad = g[k] + weight_decay * ps[k] if weight_decay else g[k]
            exp_avg[k] = exp_avg[k] * beta1 + grad * (1 - beta1)
            exp_avg_sq[k] = exp_avg_sq[k] * beta2 + grad * grad * (1 - beta2)
            denom = (exp_avg_sq[k] / bias_correction2).sqrt() + eps
            ps[k] = ps[k] - lr * (1.0 - mu) / (1.0 - mu_product) * grad / denom
            ps[k] = ps[k] - lr * mu_next / (1.0 - mu_product_next) * exp_avg[k] / denom
        after.append({k: nested(ps[k]) for k in SHAPES})
    hyper = {"lr": lr, "betas": list(betas), "eps": eps, "weight_decay": weight_decay, "momentum_decay": momentum_decay}
    return {"hyper": hyper, "params_after_each_step": after}


cases["nadam"] = nadam(0.01)
cases["nadam_momentum_decay_wd"] = nadam(0.02, betas=(0.85, 0.95), eps=1e-6, weight_decay=0.03, momentum_decay=0.01)
cases["lamb"] = lamb(0.01)
cases["lamb_betas_wd"] = lamb(0.005, b1=0.8, b2=0.95, eps=1e-4, weight_decay=0.1)
cases["lion"] = lion(0.01)
cases["lion_betas_no_decay"] = lion(0.003, b1=0.8, b2=0.9, weight_decay=0.0)

write("test/fixtures/optimizers_adam_variants.json", "tools/torch-fixtures-adam-variants.py", params0, grads, cases)
