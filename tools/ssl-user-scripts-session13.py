"""Reference numbers for test/ssl/user-scripts-session13.test.ts (PyTorch 1.13, float32).

Two user-composed variants, written from stable-pretraining's formulas (the seed's source is
not imported or copied), on a tiny MLP backbone (``0`` Linear 6->8, ``1`` BatchNorm1d(8), ReLU),
trained with plain SGD (lr 0.1) for 3 steps:

- ``dino``: a DINO-like student/teacher: projector ``0`` Linear 8->8, GELU (erf), ``2`` Linear
  8->4, L2 normalisation; prototypes Linear 4->5 without bias; 2 global + 2 local views (each
  side concatenated into one batch, as the seed's DINO); the teacher (training-mode forward,
  no gradient) centred by ``DINOv1Loss``'s centre (none at step 0, copied from the first batch
  centre, then momentum 0.9), teacher temperature 0.05, student 0.1; after the SGD step the
  teacher moves by the user's own momentum ``m_t = 1 - 0.2 * 0.5^t`` over parameters and the
  BatchNorm running statistics.
- ``simclr``: NT-Xent (``NTXEntLoss``) of two views through backbone + Linear 8->4, with the
  user's temperature schedule ``0.1 + 0.2 (1 + cos(pi t / 4))`` (0.5 -> 0.1 over 4 steps).

Run: /usr/bin/python3 tools/ssl-user-scripts-session13.py -> test/fixtures/ssl_user_scripts_session13.json
"""

import copy
import json
import math
import os

import torch
import torch.nn.functional as F
from torch import nn

from seed_formulas import dino_loss

torch.manual_seed(13)
B, D_IN, LR, STEPS = 4, 6, 0.1, 3


def r(t):
    if isinstance(t, torch.Tensor):
        t = t.detach().tolist()
    if isinstance(t, list):
        return [r(x) for x in t]
    return float("%.8g" % t)


def backbone():
    return nn.Sequential(nn.Linear(D_IN, 8), nn.BatchNorm1d(8), nn.ReLU())


def floats(prefix, module):
    return {f"{prefix}{k}": r(v) for k, v in module.state_dict().items() if v.dtype == torch.float32}


def sgd(params):
    with torch.no_grad():
        for p in params:
            p -= LR * p.grad
            p.grad = None


class Dino(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = backbone()
        self.projector = nn.Sequential(nn.Linear(8, 8), nn.GELU(), nn.Linear(8, 4))
        self.prototypes = nn.Linear(4, 5, bias=False)

    def forward(self, x):
        return self.prototypes(F.normalize(self.projector(self.encoder(x)), dim=-1))


def dino_case():
    student = Dino()
    teacher = copy.deepcopy(student)
    for p in teacher.parameters():
        p.requires_grad_(False)
    init = {**floats("backbone.", student.encoder), **floats("projector.", student.projector), **floats("prototypes.", student.prototypes)}
    center, steps = None, []
    for t in range(STEPS):
        g = [torch.randn(B, D_IN) for _ in range(2)]
        loc = [torch.randn(B, D_IN) for _ in range(2)]
        with torch.no_grad():
            tl = teacher(torch.cat(g)).view(2, B, 5)
            probs = F.softmax((tl if center is None else tl - center) / 0.05, dim=-1)
        sl = torch.cat([student(torch.cat(g)).view(2, B, 5), student(torch.cat(loc)).view(2, B, 5)])
        loss = dino_loss(sl, probs)
        loss.backward()
        sgd(student.parameters())
        batch_center = torch.sum(tl.mean(1), dim=0, keepdim=True) / 2
        center = batch_center.clone() if center is None else center * 0.9 + batch_center * 0.1
        m = 1 - 0.2 * 0.5**t
        with torch.no_grad():
            for (_, pt), (_, ps) in zip(teacher.state_dict().items(), student.state_dict().items()):
                if pt.dtype == torch.float32:
                    pt.mul_(m).add_((1 - m) * ps)
        steps.append({
            "global": [r(x) for x in g], "local": [r(x) for x in loc], "loss": r(loss), "center": r(center),
            "teacher": {"prototypes.weight": r(teacher.prototypes.weight), "backbone.1.running_mean": r(teacher.encoder[1].running_mean), "backbone.1.running_var": r(teacher.encoder[1].running_var), "projector.2.weight": r(teacher.projector[2].weight)},
            "student": {"prototypes.weight": r(student.prototypes.weight), "backbone.0.weight": r(student.encoder[0].weight), "backbone.1.running_var": r(student.encoder[1].running_var)},
        })
    return {"initial": init, "steps": steps}


def ntxent(zi, zj, temp):
    a = F.normalize(torch.cat([zi, zj]), dim=-1)
    n2 = a.shape[0]
    logits = (a @ a.T) / temp
    logits = logits.masked_fill(torch.eye(n2, dtype=torch.bool), -math.inf)
    targets = (torch.arange(n2) + n2 // 2) % n2
    return F.cross_entropy(logits, targets)


def simclr_case():
    enc, proj = backbone(), nn.Linear(8, 4)
    init = {**floats("backbone.", enc), **floats("projector.", proj)}
    params = list(enc.parameters()) + list(proj.parameters())
    steps = []
    for t in range(STEPS):
        v1, v2 = torch.randn(B, D_IN), torch.randn(B, D_IN)
        temp = 0.1 + 0.2 * (1 + math.cos(math.pi * t / 4))
        loss = ntxent(proj(enc(v1)), proj(enc(v2)), temp)
        loss.backward()
        sgd(params)
        steps.append({"view1": r(v1), "view2": r(v2), "temperature": temp, "loss": r(loss), "projector.weight": r(proj.weight), "backbone.1.running_mean": r(enc[1].running_mean)})
    return {"initial": init, "steps": steps}


out = {"torch": torch.__version__, "dino": dino_case(), "simclr": simclr_case()}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "ssl_user_scripts_session13.json")
with open(path, "w") as f:
    json.dump(out, f)
print(path, os.path.getsize(path), "bytes")
