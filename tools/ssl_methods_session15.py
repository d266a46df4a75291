"""Reference numbers for test/ssl/methods-session15.test.ts (PyTorch 1.13, float32).

Training steps of three stable-pretraining methods tfjax added in session 15, transcribed from
the seed's formulas (`methods/mocov3.py`, `methods/tico.py`, `methods/wmse.py`; the seed's source
is not imported or copied), on a tiny backbone (Linear 6->8, BatchNorm1d, ReLU) and tiny heads:

- ``mocov3``: student backbone + projector + predictor, an EMA teacher of backbone + projector
  (the seed's ``TeacherStudentWrapper``: training-mode forward, EMA over parameters and buffers,
  coefficient by the cosine from ``base`` to ``final`` over the epochs, one step per epoch here),
  the symmetric InfoNCE of the predictions against the other view's teacher projections;
- ``tico``: the running covariance buffer ``C`` updated from both views' unit projections
  before the loss reads it; loss ``2 - 2 mean cos + rho mean u1^T C u1``;
- ``wmse``: both views whitened together (ZCA by ``eigh``, eigenvalues floored at eps),
  L2-normalised, MSE.

Each step: forward, backward, plain SGD (lr 0.1; MoCo v3 0.01), then the teacher's EMA. Recorded: each step's
views and loss (TiCo: also ``C``), the state dict at the start (students only; a teacher starts
as its student's copy) and after the last step.

Run: /usr/bin/python3 tools/ssl_methods_session15.py -> test/fixtures/ssl_methods_session15.json
"""

import json
import math
import os
import sys

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from seed_formulas import EmaWrapper  # noqa: E402
from torch_fixture_helpers import shaped  # noqa: E402
from ssl_fixture_steps import Backbone, as_written, round_state, sgd  # noqa: E402,F401

torch.manual_seed(0)
B, D_IN, EMB, LR, STEPS = 4, 6, 8, 0.1, 3
# MoCo v3 at temperature 0.2 on batches of 4 is ill-conditioned at lr 0.1 (float32 and float64 part by 2e-4 after 3 steps).
MOCO_LR = 0.01


def head(dims, bias, last_bias, last_norm=None):
    """Linear-BN-ReLU ... Linear [BatchNorm1d(affine=False)], nn.Sequential names."""
    layers = []
    for i in range(len(dims) - 1):
        last = i == len(dims) - 2
        layers.append(nn.Linear(dims[i], dims[i + 1], bias=last_bias if last else bias))
        if last and last_norm == "bn_no_affine":
            layers.append(nn.BatchNorm1d(dims[-1], affine=False))
        elif not last:
            layers += [nn.BatchNorm1d(dims[i + 1]), nn.ReLU()]
    return nn.Sequential(*layers)




def state(module, skip_teachers=False):
    """Floating entries of the state dict (num_batches_tracked left out), as {data, shape}."""
    return {k: shaped(v) for k, v in module.state_dict().items() if v.dtype.is_floating_point and not (skip_teachers and ".teacher." in k)}


def run(model, loss_of, after=None, lr=LR):
    """STEPS steps of forward, backward, SGD, `after(step)`; the record of each."""
    model.train()
    round_state(model)
    initial = state(model, skip_teachers=True)
    steps = []
    for s in range(STEPS):
        v1, v2 = as_written(torch.randn(B, D_IN)), as_written(torch.randn(B, D_IN))
        loss, extra = loss_of(v1, v2)
        loss.backward()
        sgd(model, lr)
        if after:
            after(s)
        steps.append({"views": [shaped(v1), shaped(v2)], "loss": float(loss), **extra})
    return {"initial_state": initial, "steps": steps, "state_after": state(model)}


def mocov3_case():
    m = nn.Module()
    m.backbone = EmaWrapper(Backbone(), 0.9, 1.0)
    m.projector = EmaWrapper(head([EMB, 8, 4], False, False, "bn_no_affine"), 0.9, 1.0)
    m.predictor = head([4, 8, 4], False, False)
    temperature = 0.2

    def info_nce(p, t):
        logits = F.normalize(p, dim=-1) @ F.normalize(t, dim=-1).T / temperature
        return F.cross_entropy(logits, torch.arange(p.shape[0]))

    def loss_of(v1, v2):
        p1 = m.predictor(m.projector.student(m.backbone.student(v1)))
        p2 = m.predictor(m.projector.student(m.backbone.student(v2)))
        with torch.no_grad():
            zt1 = m.projector.teacher(m.backbone.teacher(v1))
            zt2 = m.projector.teacher(m.backbone.teacher(v2))
        return (info_nce(p1, zt2) + info_nce(p2, zt1)) / 2, {}

    def after(s):
        for w in (m.backbone, m.projector):
            w.set_epoch(s, STEPS)
            w.ema()

    return {"config": {"temperature": temperature, "ema": [0.9, 1.0, STEPS], "lr": MOCO_LR}, **run(m, loss_of, after, MOCO_LR)}


def tico_case():
    m = nn.Module()
    m.backbone = Backbone()
    m.projector = head([EMB, 8, 8, 4], False, True)
    m.register_buffer("C", torch.zeros(4, 4))
    beta, rho = 0.9, 20.0

    def loss_of(v1, v2):
        u1 = F.normalize(m.projector(m.backbone(v1)), dim=-1)
        u2 = F.normalize(m.projector(m.backbone(v2)), dim=-1)
        with torch.no_grad():
            z = torch.cat([u1, u2])
            z = z - z.mean(0, keepdim=True)
            m.C.mul_(beta).add_(z.T @ z / (z.shape[0] - 1), alpha=1 - beta)
        inv = 2 - 2 * (u1 * u2).sum(-1).mean()
        cov = (u1 @ m.C * u1).sum(-1).mean()
        return inv + rho * cov, {"C": shaped(m.C)}

    return {"config": {"beta": beta, "rho": rho}, **run(m, loss_of)}


def wmse_case():
    m = nn.Module()
    m.backbone = Backbone()
    m.projector = head([EMB, 8, 4], True, True)
    eps = 1e-3

    def whiten(z):
        z = z - z.mean(0, keepdim=True)
        cov = z.T @ z / (z.shape[0] - 1)
        w, v = torch.linalg.eigh((cov + cov.T) * 0.5)
        return z @ (v @ torch.diag(w.clamp(min=eps).rsqrt()) @ v.T)

    def loss_of(v1, v2):
        z = torch.cat([m.projector(m.backbone(v1)), m.projector(m.backbone(v2))])
        zw1, zw2 = F.normalize(whiten(z), dim=-1).chunk(2)
        return F.mse_loss(zw1, zw2), {}

    return {"config": {"eps": eps}, **run(m, loss_of)}


fixture = {"lr": LR, "mocoV3": mocov3_case(), "tico": tico_case(), "wmse": wmse_case()}
path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "test", "fixtures", "ssl_methods_session15.json")
with open(path, "w") as f:
    json.dump(fixture, f, separators=(",", ":"))
print(path, os.path.getsize(path), "bytes")
