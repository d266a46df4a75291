#!/usr/bin/env python3
"""Reference values for optim's optax schedules (test/optim/schedules-optax.test.ts): optax's
definitions (optax.schedules, 0.2) written out in float64 NumPy, evaluated at every step of a
range. Writes test/fixtures/schedules_optax.json; run from the repo root:

    python3 tools/numpy-fixtures-schedules.py
"""
import json
import numpy as np


def polynomial(init, end, power, steps, begin=0):
    return lambda c: (init - end) * (1 - np.clip(c - begin, 0, steps) / steps) ** power + end


def cosine_decay(init, decay_steps, alpha=0.0, exponent=1.0):
    def f(c):
        c = min(c, decay_steps)
        return init * ((1 - alpha) * (0.5 * (1 + np.cos(np.pi * c / decay_steps))) ** exponent + alpha)
    return f


def exponential(init, transition_steps, decay_rate, begin=0, staircase=False, end=None):
    def f(c):
        p = (c - begin) / transition_steps
        if staircase:
            p = np.floor(p)
        v = init if c - begin <= 0 else init * decay_rate ** p
        if end is not None:
            v = max(v, end) if decay_rate < 1 else min(v, end)
        return v
    return f


def join(schedules, boundaries):
    def f(c):
        out = schedules[0](c)
        for s, b in zip(schedules[1:], boundaries):
            out = s(c - b) if c >= b else out
        return out
    return f


def warmup_cosine(init, peak, warmup, decay_steps, end=0.0, exponent=1.0):
    alpha = 0.0 if peak == 0 else end / peak
    return join([polynomial(init, peak, 1, warmup), cosine_decay(peak, decay_steps - warmup, alpha, exponent)], [warmup])


def warmup_exponential(init, peak, warmup, transition_steps, decay_rate, begin=0, staircase=False, end=None):
    return join([polynomial(init, peak, 1, warmup), exponential(peak, transition_steps, decay_rate, begin, staircase, end)], [warmup])


def piecewise_interpolate(kind, init, boundaries_and_scales):
    bounds = [0] + sorted(boundaries_and_scales)
    values = np.cumprod([init] + [boundaries_and_scales[b] for b in sorted(boundaries_and_scales)])

    def f(c):
        for i in range(len(bounds) - 1):
            if bounds[i] <= c < bounds[i + 1]:
                pct = (c - bounds[i]) / (bounds[i + 1] - bounds[i])
                a, b = values[i], values[i + 1]
                return (b - a) * pct + a if kind == "linear" else b + (a - b) / 2 * (np.cos(np.pi * pct) + 1)
        return values[-1]
    return f


def cosine_onecycle(T, peak, pct_start=0.3, div=25.0, final_div=1e4):
    return piecewise_interpolate("cosine", peak / div, {int(pct_start * T): div, T: 1 / (div * final_div)})


def linear_onecycle(T, peak, pct_start=0.3, pct_final=0.85, div=25.0, final_div=1e4):
    return piecewise_interpolate("linear", peak / div, {int(pct_start * T): div, int(pct_final * T): 1 / div, T: 1 / final_div})


def sgdr(cycles):
    bounds, step = [], 0
    for c in cycles:
        step += c["decay_steps"]
        bounds.append(step)
    return join([warmup_cosine(**c) for c in cycles], bounds[:-1])


CASES = {
    "polynomial": (polynomial(1.0, 0.01, 2, 100, 5), 120),
    "polynomial_half_power": (polynomial(0.5, 0.1, 0.5, 40), 50),
    "cosine_decay_exponent": (cosine_decay(2.0, 30, alpha=0.1, exponent=3), 40),
    "warmup_cosine_decay": (warmup_cosine(0.0, 1e-3, 10, 60, end=1e-5), 70),
    "warmup_cosine_decay_exponent": (warmup_cosine(0.1, 1.0, 5, 30, end=0.2, exponent=2), 40),
    "warmup_exponential_decay": (warmup_exponential(0.0, 0.5, 8, 10, 0.5, begin=4, staircase=True, end=0.05), 70),
    "piecewise_interpolate_linear": (piecewise_interpolate("linear", 1.0, {10: 2.0, 25: 0.5, 40: 0.1}), 50),
    "piecewise_interpolate_cosine": (piecewise_interpolate("cosine", 1.0, {10: 2.0, 25: 0.5, 40: 0.1}), 50),
    "cosine_onecycle": (cosine_onecycle(100, 0.1), 110),
    "linear_onecycle": (linear_onecycle(50, 2.0, pct_start=0.2, pct_final=0.7, div=10, final_div=100), 60),
    "sgdr": (sgdr([{"init": 0.0, "peak": 1.0, "warmup": 3, "decay_steps": 20, "end": 0.1}, {"init": 0.1, "peak": 0.5, "warmup": 2, "decay_steps": 15}]), 45),
}

out = {name: [float(f(c)) for c in range(n)] for name, (f, n) in CASES.items()}
json.dump({"generator": "tools/numpy-fixtures-schedules.py", "cases": out}, open("test/fixtures/schedules_optax.json", "w"))
print(len(out), "cases")
