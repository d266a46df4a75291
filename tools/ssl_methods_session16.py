"""Reference numbers for test/ssl/losses-session16.test.ts and test/ssl/methods-session16.test.ts
(PyTorch 1.13, float32): the losses and training steps of DirectCLR, spectral contrastive learning
and LeJEPA, transcribed (not imported or copied) from

- LeJEPA: stable-pretraining (the seed) `methods/lejepa.py`: `EppsPulley` (trapezoid weights
  [dt, 2dt, ..., 2dt, dt] * phi on linspace(0, t_max, n_points); statistic
  ((mean cos(x t) - phi)^2 + (mean sin(x t))^2) @ w * N), `SlicedEppsPulley` (directions
  randn(D, S) normalised per column; the mean over slices) and `LeJEPA._compute_loss`
  (invariance to the global views' mean + lamb * SIGReg of all views' rows). The seed draws the
  directions from a torch.Generator seeded with its step; tfjax draws them from a key, so here they
  are JAX's `random.normal(split(key)[1], (D, S))` (tools/jax_threefry_reference.py's `normal32`),
  the key tfjax's method splits off for them;
- DirectCLR: the seed's `methods/directclr.py` is a placeholder; facebookresearch/directclr
  `main.py` mode "directclr": infoNCE(r1[:, :dim], r2[:, :dim]) / 2 + infoNCE(r2[:, :dim], r1[:, :dim]) / 2
  (cosine logits / 0.1, cross-entropy with arange targets);
- spectral contrastive: the seed's `methods/spectral_cl.py` is a placeholder;
  jhaochenz96/spectral_contrastive_learning `models/spectral.py` `D(z1, z2, mu)`.

Losses: values and input gradients on small inputs. Methods: a tiny backbone (Linear 6->8,
BatchNorm1d, ReLU) and tiny heads, 3 plain SGD steps (lr below), as tools/ssl_methods_session15.py.

Run: /usr/bin/python3 tools/ssl_methods_session16.py -> test/fixtures/ssl_methods_session16.json
"""

import contextlib
import io
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_fixture_helpers import shaped  # noqa: E402
from ssl_fixture_steps import Backbone, as_written, round_state, sgd  # noqa: E402,F401

with contextlib.redirect_stdout(io.StringIO()):
    from jax_threefry_reference import normal32, seed_key, split_shape  # noqa: E402

torch.manual_seed(16)
B, D_IN, EMB, LR, STEPS = 4, 6, 8, 0.1, 3


# ---- the formulas ---------------------------------------------------------------------------


def info_nce(a, c, temperature):
    logits = F.normalize(a, dim=1) @ F.normalize(c, dim=1).T / temperature
    return F.cross_entropy(logits, torch.arange(a.shape[0]))


def directclr_loss(h1, h2, dim, temperature):
    z1, z2 = h1[:, :dim], h2[:, :dim]
    return info_nce(z1, z2, temperature) / 2 + info_nce(z2, z1, temperature) / 2


def spectral_loss(z1, z2, mu):
    mask1 = (torch.norm(z1, p=2, dim=1) < np.sqrt(mu)).float().unsqueeze(1)
    mask2 = (torch.norm(z2, p=2, dim=1) < np.sqrt(mu)).float().unsqueeze(1)
    z1 = mask1 * z1 + (1 - mask1) * F.normalize(z1, dim=1) * np.sqrt(mu)
    z2 = mask2 * z2 + (1 - mask2) * F.normalize(z2, dim=1) * np.sqrt(mu)
    part1 = -2 * torch.mean(z1 * z2) * z1.shape[1]
    sq = torch.matmul(z1, z2.T) ** 2
    part2 = torch.mean(torch.triu(sq, diagonal=1) + torch.tril(sq, diagonal=-1)) * z1.shape[0] / (z1.shape[0] - 1)
    return (part1 + part2) / mu


def epps_pulley(x, t_max=3.0, n_points=17):
    t = torch.linspace(0, t_max, n_points)
    dt = t_max / (n_points - 1)
    phi = (-0.5 * t**2).exp()
    weights = torch.full((n_points,), 2 * dt)
    weights[[0, -1]] = dt
    xt = x.unsqueeze(-1) * t
    err = (xt.cos().mean(0) - phi).square() + xt.sin().mean(0).square()
    return (err @ (weights * phi)) * x.shape[0]


def sliced_epps_pulley(x, a, **kw):
    a = a / a.norm(p=2, dim=0)
    return epps_pulley(x @ a, **kw).mean()


def directions(key, d, s):
    """tfjax's SIGReg directions for `key`: random.normal(key, [d, s])."""
    return torch.tensor(normal32(key, (d, s)))


def lejepa_loss(views, n_global, a, lamb, **kw):
    z = torch.stack(views)
    centers = z[:n_global].mean(0)
    inv = (centers.unsqueeze(0) - z).square().mean()
    reg = sliced_epps_pulley(z.reshape(-1, z.shape[-1]), a, **kw)
    return inv + lamb * reg, inv, reg


# ---- loss cases -----------------------------------------------------------------------------


def with_grads(f, *xs):
    xs = [x.clone().requires_grad_(True) for x in xs]
    y = f(*xs)
    gs = torch.autograd.grad(y, xs)
    return {"inputs": [shaped(x) for x in xs], "value": float(y), "grads": [shaped(g) for g in gs]}


def loss_cases():
    h1, h2 = torch.randn(6, 5), torch.randn(6, 5)
    # Rows both inside and outside the ball of radius sqrt(mu) (norms from ~0.3 to ~3).
    z1 = torch.randn(6, 4) * torch.tensor([[0.15], [0.3], [0.6], [1.0], [1.5], [2.0]])
    z2 = torch.randn(6, 4) * torch.tensor([[1.5], [0.2], [0.4], [1.2], [0.3], [2.5]])
    x, a = torch.randn(10, 3) * 1.3 + 0.2, torch.randn(3, 5)
    key = [0, 3]
    views = [torch.randn(5, 4) for _ in range(3)]
    ka = directions(key, 4, 7)
    return {
        "directclr": {"dim": 3, "temperature": 0.1, **with_grads(lambda p, q: directclr_loss(p, q, 3, 0.1), h1, h2)},
        "directclrFull": {"dim": 5, "temperature": 0.5, **with_grads(lambda p, q: directclr_loss(p, q, 5, 0.5), h1, h2)},
        "spectral": {"mu": 1.0, **with_grads(lambda p, q: spectral_loss(p, q, 1.0), z1, z2)},
        "spectralMu2": {"mu": 2.0, **with_grads(lambda p, q: spectral_loss(p, q, 2.0), z1, z2)},
        "eppsPulley": {"x": shaped(x @ a), "value": shaped(epps_pulley(x @ a))},
        "eppsPulleyGrid": {"x": shaped(x), "tMax": 2.0, "nPoints": 9, "value": shaped(epps_pulley(x, 2.0, 9))},
        "sliced": {"directions": shaped(a), **with_grads(lambda p: sliced_epps_pulley(p, a), x)},
        "sigreg": {"key": key, "numSlices": 7, "x": shaped(views[0]), "value": float(sliced_epps_pulley(views[0], ka))},
        "lejepa": {
            "key": key, "numSlices": 7, "lamb": 0.3, "numGlobal": 2,
            **with_grads(lambda p, q, r: lejepa_loss([p, q, r], 2, ka, 0.3)[0], *views),
            "invariance": float(lejepa_loss(views, 2, ka, 0.3)[1]),
            "sigreg": float(lejepa_loss(views, 2, ka, 0.3)[2]),
        },
    }


# ---- method steps (as tools/ssl_methods_session15.py) -----------------------------------------


class SeedMLP(nn.Sequential):
    """The seed's backbone.MLP layout: [Linear, BatchNorm1d, ReLU, Dropout] per hidden width, then Linear, Dropout."""

    def __init__(self, in_dim, dims):
        layers = []
        for d in dims[:-1]:
            layers += [nn.Linear(in_dim, d), nn.BatchNorm1d(d), nn.ReLU(), nn.Dropout(0.0)]
            in_dim = d
        layers += [nn.Linear(in_dim, dims[-1]), nn.Dropout(0.0)]
        super().__init__(*layers)


def state(module):
    return {k: shaped(v) for k, v in module.state_dict().items() if v.dtype.is_floating_point}


def run(model, loss_of, n_views=2, lr=LR):
    model.train()
    round_state(model)
    initial = state(model)
    steps = []
    for s in range(STEPS):
        views = [as_written(torch.randn(B, D_IN)) for _ in range(n_views)]
        loss, extra = loss_of(views, s)
        loss.backward()
        sgd(model, lr)
        steps.append({"views": [shaped(v) for v in views], "loss": float(loss), **extra})
    return {"initial_state": initial, "steps": steps, "state_after": state(model)}


def directclr_case():
    m = nn.Module()
    m.backbone = Backbone()
    dim, temperature = 6, 0.1

    def loss_of(views, s):
        return directclr_loss(m.backbone(views[0]), m.backbone(views[1]), dim, temperature), {}

    return {"config": {"dim": dim, "temperature": temperature}, **run(m, loss_of)}


def spectral_case():
    m = nn.Module()
    m.backbone = Backbone()
    m.projector = nn.Sequential(nn.Linear(EMB, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 4), nn.BatchNorm1d(4))
    mu = 1.0

    def loss_of(views, s):
        return spectral_loss(m.projector(m.backbone(views[0])), m.projector(m.backbone(views[1])), mu), {}

    return {"config": {"mu": mu}, **run(m, loss_of)}


def lejepa_case():
    m = nn.Module()
    m.backbone = Backbone()
    m.projector = nn.Sequential(nn.Linear(EMB, 6), SeedMLP(6, [8, 4]))
    n_slices, lamb, n_global = 5, 0.5, 2

    def loss_of(views, s):
        g = m.backbone(torch.cat(views[:n_global]))
        l = m.backbone(torch.cat(views[n_global:]))
        z = m.projector(torch.cat([g, l])).view(len(views), B, -1)
        a = directions(split_shape(seed_key(100 + s), 2)[1], 4, n_slices)
        loss, inv, reg = lejepa_loss(list(z), n_global, a, lamb)
        return loss, {"invariance": float(inv), "sigreg": float(reg)}

    return {"config": {"numSlices": n_slices, "lamb": lamb, "keySeeds": [100 + s for s in range(STEPS)]}, **run(m, loss_of, n_views=4)}


fixture = {"lr": LR, "losses": loss_cases(), "directclr": directclr_case(), "spectralCl": spectral_case(), "lejepa": lejepa_case()}
path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "test", "fixtures", "ssl_methods_session16.json")
with open(path, "w") as f:
    json.dump(fixture, f, separators=(",", ":"))
print(path, os.path.getsize(path), "bytes")
