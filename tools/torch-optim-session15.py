#!/usr/bin/env python3
"""Reference trajectories from PyTorch 1.13's torch.optim for test/optim/torch-optim-session15.test.ts:
the options torch users pass (SGD dampening / maximize, Adam and AdamW amsgrad / maximize,
Adagrad, Adadelta, Adamax, RMSprop, Rprop etas / step_sizes, ASGD with its average), per-group
learning rates (param_groups), and torch.optim.swa_utils (AveragedModel's default average and
SWALR's learning rates). Writes test/fixtures/torch_optim_session15.json; run from the repo root:

    /usr/bin/python3 tools/torch-optim-session15.py

The problem is small and real: the gradients come from the parameters, through
loss(p) = sum_k sum(0.5 a_k (p_k - t_k)^2 + 0.025 p_k^4), in float32 autograd. With
`maximize`, torch is handed -loss (so it climbs -loss, i.e. descends loss). Ten steps each.
"""
import json
import math
import torch

STEPS = 10
SHAPES = {"w": (3, 2), "b": (2,), "c": (2, 2)}
torch.manual_seed(15)
params0 = {k: torch.randn(s) for k, s in SHAPES.items()}
params0["c"][0, 0] = 0.0
curv = {k: torch.rand(s) * 2 + 0.2 for k, s in SHAPES.items()}
target = {k: torch.randn(s) for k, s in SHAPES.items()}


def nested(t):
    """float32 values as JSON numbers, 9 significant digits (enough to round-trip float32)."""
    return [float(f"{x:.9g}") for x in t.detach().double().flatten().tolist()]


def loss_of(ps):
    return sum((0.5 * curv[k] * (ps[k] - target[k]) ** 2 + 0.025 * ps[k] ** 4).sum() for k in SHAPES)


def make_params():
    return {k: v.clone().requires_grad_(True) for k, v in params0.items()}


def run(make_opt, hyper, maximize=False, on_step=None):
    ps = make_params()
    opt = make_opt(ps)
    after = []
    for _ in range(STEPS):
        opt.zero_grad()
        value = loss_of(ps)
        (-value if maximize else value).backward()
        opt.step()
        after.append({k: nested(ps[k]) for k in SHAPES})
        if on_step:
            on_step(ps)
    return {"hyper": hyper, "params_after_each_step": after}


def flat(cls, hyper):
    """One parameter group holding w, b, c (torch's names in `hyper`)."""
    return run(lambda ps: cls([ps[k] for k in SHAPES], **hyper), hyper, maximize=hyper.get("maximize", False))


O = torch.optim
cases = {
    "sgd_dampening_wd": flat(O.SGD, {"lr": 0.05, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.01}),
    "sgd_nesterov_maximize": flat(O.SGD, {"lr": 0.05, "momentum": 0.8, "nesterov": True, "maximize": True}),
    "sgd_maximize_wd_dampening": flat(O.SGD, {"lr": 0.05, "momentum": 0.9, "dampening": 0.5, "weight_decay": 0.05, "maximize": True}),
    "sgd_plain_maximize": flat(O.SGD, {"lr": 0.1, "maximize": True}),
    "adam_amsgrad_wd": flat(O.Adam, {"lr": 0.05, "betas": [0.8, 0.9], "weight_decay": 0.02, "amsgrad": True}),
    "adam_maximize": flat(O.Adam, {"lr": 0.05, "maximize": True}),
    "adamw_amsgrad": flat(O.AdamW, {"lr": 0.05, "betas": [0.85, 0.95], "eps": 1e-6, "weight_decay": 0.1, "amsgrad": True}),
    "adamw_maximize_amsgrad": flat(O.AdamW, {"lr": 0.03, "weight_decay": 0.05, "amsgrad": True, "maximize": True}),
    "adagrad_maximize": flat(O.Adagrad, {"lr": 0.2, "lr_decay": 0.05, "weight_decay": 0.02, "initial_accumulator_value": 0.1, "maximize": True}),
    "adadelta": flat(O.Adadelta, {}),
    "adadelta_rho_wd_maximize": flat(O.Adadelta, {"lr": 0.5, "rho": 0.8, "eps": 1e-5, "weight_decay": 0.03, "maximize": True}),
    "adamax_maximize": flat(O.Adamax, {"lr": 0.05, "betas": [0.8, 0.95], "weight_decay": 0.01, "maximize": True}),
    "rmsprop_centered_momentum_maximize": flat(O.RMSprop, {"lr": 0.01, "alpha": 0.9, "momentum": 0.5, "centered": True, "weight_decay": 0.01, "maximize": True}),
    "rprop": flat(O.Rprop, {"lr": 0.05}),
    "rprop_etas_step_sizes_maximize": flat(O.Rprop, {"lr": 0.02, "etas": [0.3, 1.5], "step_sizes": [1e-3, 0.05], "maximize": True}),
    "radam_wd": flat(O.RAdam, {"lr": 0.05, "betas": [0.9, 0.9], "weight_decay": 0.01}),
}




def asgd_case(hyper):
    ps = make_params()
    opt = O.ASGD([ps[k] for k in SHAPES], **hyper)
    after, averages = [], []
    for _ in range(STEPS):
        opt.zero_grad()
        value = loss_of(ps)
        (-value if hyper.get("maximize", False) else value).backward()
        opt.step()
        after.append({k: nested(ps[k]) for k in SHAPES})
        averages.append({k: nested(opt.state[ps[k]]["ax"]) for k in SHAPES})
    return {"hyper": hyper, "params_after_each_step": after, "ax_after_each_step": averages}


cases["asgd"] = asgd_case({"lr": 0.05})
cases["asgd_lambd_alpha_t0_wd"] = asgd_case({"lr": 0.1, "lambd": 0.05, "alpha": 0.6, "t0": 3, "weight_decay": 0.02})
cases["asgd_maximize"] = asgd_case({"lr": 0.1, "lambd": 0.01, "t0": 0, "maximize": True})

# param_groups: w and b in the first group (the defaults), c in its own group.
cases["groups_sgd"] = run(
    lambda ps: O.SGD([{"params": [ps["w"], ps["b"]]}, {"params": [ps["c"]], "lr": 0.01, "momentum": 0.5}], lr=0.1, momentum=0.9, weight_decay=0.01),
    {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.01, "groups": [{"params": ["w", "b"]}, {"params": ["c"], "lr": 0.01, "momentum": 0.5}]},
)
cases["groups_adamw"] = run(
    lambda ps: O.AdamW([{"params": [ps["w"]]}, {"params": [ps["b"], ps["c"]], "lr": 0.01, "weight_decay": 0.0}], lr=0.05, weight_decay=0.1),
    {"lr": 0.05, "weight_decay": 0.1, "groups": [{"params": ["w"]}, {"params": ["b", "c"], "lr": 0.01, "weight_decay": 0.0}]},
)


def swa():
    """SGD for ten steps; AveragedModel.update_parameters after each (default average)."""
    model = torch.nn.Module()
    for k in SHAPES:
        model.register_parameter(k, torch.nn.Parameter(params0[k].clone()))
    averaged = O.swa_utils.AveragedModel(model)
    opt = O.SGD(model.parameters(), lr=0.1, momentum=0.9)
    ps = dict(model.named_parameters())
    after, averages = [], []
    for _ in range(STEPS):
        opt.zero_grad()
        loss_of(ps).backward()
        opt.step()
        averaged.update_parameters(model)
        after.append({k: nested(ps[k]) for k in SHAPES})
        averages.append({k: nested(getattr(averaged.module, k)) for k in SHAPES})
    return {"hyper": {"lr": 0.1, "momentum": 0.9}, "params_after_each_step": after, "averaged_after_each_step": averages, "n_averaged": int(averaged.n_averaged)}


def swalr(lr, swa_lr, anneal_epochs, anneal_strategy, steps=14):
    """The lr of the optimizer's step t (t = 0..steps-1) with SWALR.step() after every optimizer step."""
    p = torch.nn.Parameter(torch.zeros(1))
    opt = O.SGD([p], lr=lr)
    sched = O.swa_utils.SWALR(opt, swa_lr=swa_lr, anneal_epochs=anneal_epochs, anneal_strategy=anneal_strategy)
    lrs = []
    for _ in range(steps):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return {"lr": lr, "swa_lr": swa_lr, "anneal_epochs": anneal_epochs, "anneal_strategy": anneal_strategy, "lrs": lrs}


out = {
    "torch": torch.__version__,
    "generator": "tools/torch-optim-session15.py",
    "params0": {k: nested(v) for k, v in params0.items()},
    "curv": {k: nested(v) for k, v in curv.items()},
    "target": {k: nested(v) for k, v in target.items()},
    "cases": cases,
    "swa": swa(),
    "swalr": [swalr(0.1, 0.01, 5, "cos"), swalr(0.1, 0.02, 4, "linear"), swalr(0.05, 0.5, 0, "cos"), swalr(0.2, 0.05, 10, "cos", steps=4)],
}
with open("test/fixtures/torch_optim_session15.json", "w") as f:
    json.dump(out, f, separators=(",", ":"))
print(len(cases), "cases")


def lbfgs(hyper, steps=10):
    """torch.optim.LBFGS: the parameters, the returned loss and the state's counters after each `step(closure)`."""
    ps = make_params()
    opt = O.LBFGS([ps[k] for k in SHAPES], **hyper)

    def closure():
        opt.zero_grad()
        value = loss_of(ps)
        value.backward()
        return value

    after, losses, evals, iters = [], [], [], []
    for _ in range(steps):
        losses.append(float(opt.step(closure)))
        after.append({k: nested(ps[k]) for k in SHAPES})
        evals.append(opt.state[ps["w"]]["func_evals"])
        iters.append(opt.state[ps["w"]]["n_iter"])
    return {"hyper": hyper, "params_after_each_step": after, "loss_returned": losses, "func_evals": evals, "n_iter": iters}


# Written to its own file so that each fixture stays under 50 KB.
lbfgs_cases = {
    "lbfgs_default": lbfgs({}, steps=2),
    "lbfgs_lr_history_maxiter": lbfgs({"lr": 0.5, "max_iter": 2, "history_size": 3}),
    "lbfgs_strong_wolfe": lbfgs({"line_search_fn": "strong_wolfe", "max_iter": 3, "history_size": 4}),
    "lbfgs_strong_wolfe_tolerances": lbfgs({"line_search_fn": "strong_wolfe", "tolerance_grad": 1e-3, "tolerance_change": 1e-6, "max_eval": 4}),
}
with open("test/fixtures/torch_lbfgs_session15.json", "w") as f:
    json.dump({"torch": torch.__version__, "generator": "tools/torch-optim-session15.py", "cases": lbfgs_cases}, f, separators=(",", ":"))
print(len(lbfgs_cases), "lbfgs cases")
