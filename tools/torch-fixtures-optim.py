#!/usr/bin/env python3
"""Reference trajectories from PyTorch for the optimisers beyond the shared fixture
(test/optim/torch-more.test.ts): RMSprop and Adagrad in their torch variants. Writes
test/fixtures/optimizers_torch_more.json; run from the repo root with a Python that has torch:

    /usr/bin/python3 tools/torch-fixtures-optim.py

The parameters and the five gradients are the same for every case; each case records its
hyperparameters (torch's names) and the parameters after each step, in float64 as torch's
float32 values.
"""
import json
import torch

torch.manual_seed(19)
SHAPES = {"w": (4, 3), "b": (3,), "c": (2, 2)}
params0 = {k: torch.randn(s) for k, s in SHAPES.items()}
params0["c"][0, 0] = 0.0  # a zero parameter and, below, a zero gradient entry
grads = [{k: torch.randn(s) for k, s in SHAPES.items()} for _ in range(5)]
for g in grads:
    g["b"][1] = 0.0

CASES = {
    "rmsprop": (torch.optim.RMSprop, {"lr": 0.01}),
    "rmsprop_momentum_centered_wd": (torch.optim.RMSprop, {"lr": 0.005, "alpha": 0.9, "eps": 1e-6, "weight_decay": 0.01, "momentum": 0.8, "centered": True}),
    "rmsprop_centered": (torch.optim.RMSprop, {"lr": 0.01, "alpha": 0.95, "centered": True}),
    "adagrad": (torch.optim.Adagrad, {"lr": 0.1}),
    "adagrad_decay_init_wd": (torch.optim.Adagrad, {"lr": 0.2, "lr_decay": 0.05, "weight_decay": 0.02, "initial_accumulator_value": 0.1, "eps": 1e-8}),
}

nested = lambda t: t.double().tolist()
cases = {}
for name, (cls, hyper) in CASES.items():
    ps = {k: v.clone().requires_grad_(True) for k, v in params0.items()}
    opt = cls([ps[k] for k in SHAPES], **hyper)
    after = []
    for g in grads:
        for k in SHAPES:
            ps[k].grad = g[k].clone()
        opt.step()
        after.append({k: nested(ps[k].detach()) for k in SHAPES})
    cases[name] = {"hyper": hyper, "params_after_each_step": after}

out = {
    "torch": torch.__version__,
    "generator": "tools/torch-fixtures-optim.py",
    "params0": {k: nested(v) for k, v in params0.items()},
    "grads": [{k: nested(v) for k, v in g.items()} for g in grads],
    "cases": cases,
}
with open("test/fixtures/optimizers_torch_more.json", "w") as f:
    json.dump(out, f, separators=(",", ":"))
print(len(cases), "cases")
