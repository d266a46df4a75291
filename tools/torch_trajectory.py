"""Shared by the optimiser fixture scripts (tools/torch-fixtures-*.py): the starting parameters
and gradients, a torch optimiser's trajectory through them, and the JSON they are written to."""
import json
import torch

SHAPES = {"w": (4, 3), "b": (3,), "c": (2, 2)}


def nested(t):
    return t.double().tolist()


def problem(seed, steps):
    """Parameters (one of them zero) and `steps` gradients (each with a zero entry)."""
    torch.manual_seed(seed)
    params0 = {k: torch.randn(s) for k, s in SHAPES.items()}
    params0["c"][0, 0] = 0.0
    grads = [{k: torch.randn(s) for k, s in SHAPES.items()} for _ in range(steps)]
    for g in grads:
        g["b"][1] = 0.0
    return params0, grads


def trajectory(cls, hyper, params0, grads):
    """The parameters after each step of torch optimiser `cls(**hyper)` fed `grads`."""
    ps = {k: v.clone().requires_grad_(True) for k, v in params0.items()}
    opt = cls([ps[k] for k in SHAPES], **hyper)
    after = []
    for g in grads:
        for k in SHAPES:
            ps[k].grad = g[k].clone()
        opt.step()
        after.append({k: nested(ps[k].detach()) for k in SHAPES})
    return {"hyper": hyper, "params_after_each_step": after}


def write(path, generator, params0, grads, cases):
    out = {
        "torch": torch.__version__,
        "generator": generator,
        "params0": {k: nested(v) for k, v in params0.items()},
        "grads": [{k: nested(v) for k, v in g.items()} for g in grads],
        "cases": cases,
    }
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print(len(cases), "cases")
