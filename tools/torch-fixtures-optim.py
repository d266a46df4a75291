#!/usr/bin/env python3
"""Reference trajectories from PyTorch for the optimisers beyond the shared fixture
(test/optim/torch-more.test.ts): RMSprop and Adagrad in their torch variants. Writes
test/fixtures/optimizers_torch_more.json; run from the repo root with a Python that has torch:

    /usr/bin/python3 tools/torch-fixtures-optim.py

The parameters and the five gradients are the same for every case; each case records its
hyperparameters (torch's names) and the parameters after each step, in float64 as torch's
float32 values.
"""
import torch
from torch_trajectory import SHAPES, problem, trajectory, write

params0, grads = problem(seed=19, steps=5)

CASES = {
    "rmsprop": (torch.optim.RMSprop, {"lr": 0.01}),
    "rmsprop_momentum_centered_wd": (torch.optim.RMSprop, {"lr": 0.005, "alpha": 0.9, "eps": 1e-6, "weight_decay": 0.01, "momentum": 0.8, "centered": True}),
    "rmsprop_centered": (torch.optim.RMSprop, {"lr": 0.01, "alpha": 0.95, "centered": True}),
    "adagrad": (torch.optim.Adagrad, {"lr": 0.1}),
    "adagrad_decay_init_wd": (torch.optim.Adagrad, {"lr": 0.2, "lr_decay": 0.05, "weight_decay": 0.02, "initial_accumulator_value": 0.1, "eps": 1e-8}),
}

cases = {name: trajectory(cls, hyper, params0, grads) for name, (cls, hyper) in CASES.items()}
write("test/fixtures/optimizers_torch_more.json", "tools/torch-fixtures-optim.py", params0, grads, cases)
