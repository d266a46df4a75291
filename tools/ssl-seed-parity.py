"""Reference numbers for test/ssl/seed-parity.test.ts (PyTorch 1.13, float32).

Re-implements, from their formulas, the training steps of stable-pretraining's methods where
tfjax had differed from the seed (the seed's source is not imported or copied):

- ``moco``: MoCov2 with the seed's queue order (the keys are appended to the FIFO queue
  *before* it is read, so the queue the loss sees holds the current keys: the logits are
  ``[q.k, q @ queue^T] / T`` with target 0), and the extra teacher forward of view 1 that the
  seed's ``forward`` runs in training mode for its ``embedding`` output (it moves the
  teacher's BatchNorm running statistics);
- ``nnclr``: NNCLR with the seed's order (z1 appended to the support set before the nearest
  neighbour look-ups);
- ``simsiam``: SimSiam's loss normalises with ``F.normalize`` (norm clamped at 1e-12), on a
  predictor whose outputs have norms ~1e-11;
- ``dino``: DINO in the seed's module layout (the prototypes are ``projector.6``), teacher
  temperature warm-up and EMA cosine schedule, one step per epoch.

The state dicts are the seed's: ``TeacherStudentWrapper`` modules hold ``student.`` /
``teacher.`` and the coefficient buffers; the queue is an ``UnsortedQueue`` (``out`` a
circular buffer, ``pointer``, ``filled``, ``initialized``). Each step is: forward, backward,
plain SGD (lr 0.1), then the teacher's EMA over parameters and floating buffers.

Run: /usr/bin/python3 tools/ssl-seed-parity.py  ->  test/fixtures/ssl_seed_parity.json
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
from ssl_fixture_steps import Backbone  # noqa: E402

torch.manual_seed(0)
B, D_IN, EMB = 4, 6, 8
LR = 0.1
NNCLR_LR = 0.01  # NNCLR at temperature 0.1 on batches of 4 is ill-conditioned at 0.1 (float32 and float64 part by 8e-4 at step 3)
STEPS = 3


def r(t):
    """Rounded nested lists (float32 values need ~9 significant digits)."""
    if isinstance(t, torch.Tensor):
        t = t.detach().tolist()
    if isinstance(t, list):
        return [r(x) for x in t]
    if isinstance(t, bool):
        return t
    if isinstance(t, int):
        return t
    return float("%.8g" % t)


def backbone():
    return Backbone()


def head(dims, bias, last_bias, last_norm=None, batch_norm=True, act=nn.ReLU):
    """Linear [BN] act ... Linear [last norm], nn.Sequential names."""
    layers, width = [], dims[0]
    for i, d in enumerate(dims[1:]):
        last = i == len(dims) - 2
        layers.append(nn.Linear(width, d, bias=last_bias if last else bias))
        if last:
            if last_norm == "bn":
                layers.append(nn.BatchNorm1d(d))
            elif last_norm == "bn_no_affine":
                layers.append(nn.BatchNorm1d(d, affine=False))
        else:
            if batch_norm:
                layers.append(nn.BatchNorm1d(d))
            layers.append(act())
        width = d
    return nn.Sequential(*layers)


def float_state(module):
    """Floating entries (the queue is compared newest first, on its own)."""
    return {k: r(v) for k, v in module.state_dict().items() if v.dtype.is_floating_point and not k.startswith("queue.")}


def full_state(module):
    """Every entry but the teachers' (at the start a teacher is its student's copy: the test copies them)."""
    out = {}
    for k, v in module.state_dict().items():
        if ".teacher." in k:
            continue
        if v.dtype == torch.bool:
            out[k] = {"dtype": "bool", "value": r(v.int())}
        elif not v.dtype.is_floating_point:
            out[k] = {"dtype": "int32", "value": r(v)}
        else:
            out[k] = r(v)
    return out




class Fifo(nn.Module):
    """A circular queue: rows written at `pointer`; `filled` once it wrapped."""

    def __init__(self, length, dim):
        super().__init__()
        self.length = length
        self.register_buffer("pointer", torch.zeros((), dtype=torch.long))
        self.register_buffer("filled", torch.zeros((), dtype=torch.bool))
        self.register_buffer("out", torch.zeros(length, dim))
        self.register_buffer("initialized", torch.tensor(True))

    @torch.no_grad()
    def append(self, rows):
        for row in rows:  # one at a time: the same rows as a block write
            self.out[int(self.pointer)] = row
            self.pointer.fill_((int(self.pointer) + 1) % self.length)
            if int(self.pointer) == 0:
                self.filled.fill_(True)
        return self.contents()

    def contents(self):
        return self.out.clone() if bool(self.filled) else self.out[: int(self.pointer)].clone()

    def newest_first(self):
        n = self.length if bool(self.filled) else int(self.pointer)
        return torch.stack([self.out[(int(self.pointer) - 1 - i) % self.length] for i in range(n)])


def sgd(module, lr=LR):
    with torch.no_grad():
        for p in module.parameters():
            if p.grad is not None:
                p.sub_(lr * p.grad)
                p.grad = None


def views(n):
    return [torch.randn(B, D_IN) for _ in range(n)]


def ntxent(zi, zj, t):
    a = F.normalize(torch.cat([zi, zj]), dim=-1)
    n = zi.shape[0]
    logits = (a @ a.T) / t
    logits = logits.masked_fill(torch.eye(2 * n, dtype=torch.bool), -float("inf"))
    targets = (torch.arange(2 * n) + n) % (2 * n)
    return F.cross_entropy(logits, targets)


def moco_case():
    model = nn.Module()
    model.backbone = EmaWrapper(backbone(), 0.9, 0.9)
    model.projector = EmaWrapper(head([EMB, 8, 4], True, True, batch_norm=False), 0.9, 0.9)
    model.queue = Fifo(6, 4)
    model.train()
    initial = full_state(model)
    steps = []
    for _ in range(STEPS):
        v1, v2 = views(2)
        q = F.normalize(model.projector.student(model.backbone.student(v1)), dim=-1)
        with torch.no_grad():
            k = F.normalize(model.projector.teacher(model.backbone.teacher(v2)), dim=-1)
            queue = model.queue.append(k)
        logits = torch.cat([(q * k).sum(-1, keepdim=True), q @ queue.T], 1) / 0.2
        loss = F.cross_entropy(logits, torch.zeros(B, dtype=torch.long))
        with torch.no_grad():
            model.backbone.teacher(v1)  # the seed's `embedding`: a training-mode teacher forward
        loss.backward()
        sgd(model)
        for w in (model.backbone, model.projector):
            w.set_epoch(0, 1)
            w.ema()
        steps.append({"views": [r(v1), r(v2)], "loss": r(loss), "queue_newest_first": r(model.queue.newest_first())})
    return {"state_after": float_state(model), "config": {"queueLength": 6, "temperature": 0.2, "ema": 0.9, "projector": [8, 4]}, "initial_state": initial, "steps": steps}


def nearest(query, support):
    sim = F.normalize(query, dim=-1) @ F.normalize(support, dim=-1).T
    return support[sim.argmax(dim=1)]


def nnclr_case():
    model = nn.Module()
    model.backbone = backbone()
    model.projector = head([EMB, 8, 8, 4], False, False, last_norm="bn")
    model.predictor = head([4, 8, 4], False, True)
    model.queue = Fifo(6, 4)
    model.train()
    initial = full_state(model)
    steps = []
    for _ in range(STEPS):
        v1, v2 = views(2)
        z1, z2 = model.projector(model.backbone(v1)), model.projector(model.backbone(v2))
        p1, p2 = model.predictor(z1), model.predictor(z2)
        support = model.queue.append(z1.detach())
        t1, t2 = nearest(z1.detach(), support), nearest(z2.detach(), support)
        loss = (ntxent(p1, t2, 0.1) + ntxent(p2, t1, 0.1)) / 2
        loss.backward()
        sgd(model, NNCLR_LR)
        steps.append({"views": [r(v1), r(v2)], "loss": r(loss), "queue_newest_first": r(model.queue.newest_first())})
    return {"state_after": float_state(model), "config": {"queueLength": 6, "temperature": 0.1, "lr": NNCLR_LR}, "initial_state": initial, "steps": steps}


def simsiam_case():
    model = nn.Module()
    model.backbone = backbone()
    model.projector = head([EMB, 8, 8, 4], False, False, last_norm="bn_no_affine")
    model.predictor = head([4, 3, 4], False, True)
    with torch.no_grad():
        model.predictor[3].weight.mul_(1e-11)
        model.predictor[3].bias.mul_(1e-11)
    model.train()
    initial = full_state(model)
    v1, v2 = views(2)
    z1, z2 = model.projector(model.backbone(v1)), model.projector(model.backbone(v2))
    p1, p2 = model.predictor(z1), model.predictor(z2)

    def neg_cos(p, z):
        return -(F.normalize(p, dim=-1) * F.normalize(z.detach(), dim=-1)).sum(-1).mean()

    loss = (neg_cos(p1, z2) + neg_cos(p2, z1)) / 2
    loss.backward()
    grads = {"predictor." + k: r(p.grad) for k, p in model.predictor.named_parameters()}
    return {"initial_state": initial, "views": [r(v1), r(v2)], "loss": r(loss), "prediction_norm": float(p1.norm(dim=-1).max()), "grads": grads}


def dino_case():
    model = nn.Module()
    model.backbone = EmaWrapper(backbone(), 0.9, 1.0)
    proj = head([EMB, 8, 8, 4], True, True, batch_norm=False, act=nn.GELU)
    layers = list(proj) + [nn.Identity(), nn.Linear(4, 5, bias=False)]  # index 5: the L2 norm
    model.projector = EmaWrapper(nn.Sequential(*layers), 0.9, 1.0)
    model.train()
    initial = full_state(model)
    n_global, n_local, warmup = 2, 2, 2
    center = None
    steps = []
    for epoch in range(STEPS):
        vs = views(n_global + n_local)

        def project(w, x):
            h = x
            for i, layer in enumerate(w):
                h = F.normalize(h, dim=-1) if i == 5 else layer(h)
            return h

        g = torch.cat(vs[:n_global])
        with torch.no_grad():
            t_logits = project(model.projector.teacher, model.backbone.teacher(g)).view(n_global, B, -1)
        s_g = project(model.projector.student, model.backbone.student(g)).view(n_global, B, -1)
        s_l = project(model.projector.student, model.backbone.student(torch.cat(vs[n_global:]))).view(n_local, B, -1)
        student = torch.cat([s_g, s_l])
        temp = 0.07 if epoch >= warmup else 0.04 + epoch / warmup * (0.07 - 0.04)
        centred = t_logits if center is None else t_logits - center
        probs = F.softmax(centred / temp, dim=-1)
        logp = F.log_softmax(student / 0.1, dim=-1)
        m = -torch.einsum("sbk,tbk->st", logp, probs)
        mask = 1 - torch.eye(m.shape[0], m.shape[1])
        terms = m.numel() - min(m.shape)
        loss = (m * mask).sum() / (terms * B)
        batch_center = t_logits.mean(1).sum(0, keepdim=True) / n_global
        center = batch_center.clone() if center is None else 0.9 * center + 0.1 * batch_center
        loss.backward()
        sgd(model)
        for w in (model.backbone, model.projector):
            w.set_epoch(epoch, STEPS)
            w.ema()
        steps.append({"views": [r(v) for v in vs], "loss": r(loss), "teacher_temperature": temp})
    return {"state_after": float_state(model), "config": {"n_global": n_global, "n_local": n_local, "warmup": warmup, "epochs": STEPS, "prototypes": 5}, "initial_state": initial, "steps": steps}


fixture = {"seed": 0, "lr": LR, "moco": moco_case(), "nnclr": nnclr_case(), "simsiam": simsiam_case(), "dino": dino_case()}
path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "test", "fixtures", "ssl_seed_parity.json")
with open(path, "w") as f:
    json.dump(fixture, f, separators=(",", ":"))
print(path, os.path.getsize(path), "bytes")
