"""Reference numbers for test/ssl/ibot-session18.test.ts (PyTorch 1.13, float32).

A transcription, written for this test (the seed's source is not imported or copied), of
stable-pretraining's iBOT (`methods/ibot.py`: `_ibot_head`, `_encode`, `_random_mask`,
`_teacher_temperature`, `forward`) and its losses (`losses/dino.py` `DINOv1Loss` with its
centre: `softmax_center_teacher`, `update_center`, `apply_center_update`; `iBOTPatchLoss`;
`losses/utils.py` `sinkhorn_knopp`), with the seed's `TeacherStudentWrapper`
(tools/seed_formulas.py `EmaWrapper`). The tiny ViT, the heads, the seed's Sinkhorn-Knopp, the
patch cross-entropy and the masks are those of tools/ssl_dinov2_session18.py (the same `_encode`,
`_ibot_head` and `_random_mask` in the seed's iBOT and DINOv2).

Tiny model: 8x8 grey images, patch 2 (16 patches), width 4, depth 1, 2 heads; both heads
Linear 4-8-8-4 with GELU, L2Norm, prototypes 6 (CLS) and 5 (patches); mask ratio 0.3
(round(4.8) = 5 masked patches per global image); student temperature 0.1; teacher temperature
0.04 -> 0.07 over 2 epochs, each step here one epoch (0.04, 0.055, 0.07); centre momentum 0.9; EMA
0.9 (constant). Batch 4, 2 global views. Three steps of torch.optim.SGD(lr 0.05, momentum 0.9,
weight_decay 1e-4), each followed by the three wrappers' EMA. The masks are drawn as the seed's
and written per global view, so tfjax replays them.

Recorded: the student's initial state dict (the teacher its warm copy), each step's views, masks,
loss and parts, teacher temperature, the centre the step used, a few parameters after it, the
first two steps' gradients of the mask token and the position embedding, and the whole state dict
after the three steps.

Run: /usr/bin/python3 tools/ssl_ibot_session18.py -> test/fixtures/ssl_ibot_session18.json
"""

import contextlib
import io
import json
import os
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from seed_formulas import EmaWrapper, dino_loss  # noqa: E402
from ssl_fixture_steps import as_written  # noqa: E402
from torch_fixture_helpers import shaped  # noqa: E402

with contextlib.redirect_stdout(io.StringIO()):
    from ssl_dinov2_session18 import B, DIM, HEADS, DEPTH, IMG, C, P, L, HEAD_DIMS, K_CLS, K_PATCH, RATIO, ViT, encode, ibot_head, ibot_loss, images, random_mask, sinkhorn_knopp  # noqa: E402

N_GLOBAL, T_STUDENT, T_WARM, T_TEACHER, WARMUP = 2, 0.1, 0.04, 0.07, 2
CENTER_MOMENTUM, EMA, LR, MOMENTUM, WD, STEPS = 0.9, 0.9, 0.05, 0.9, 1e-4, 3


class Center:
    """DINOv1Loss's centre (one process): the update queued by one step is applied by the next."""

    def __init__(self):
        self.center, self.pending = None, None

    def probs(self, logits, temp):
        if self.pending is not None:
            self.center = self.pending.clone() if self.center is None else self.center * CENTER_MOMENTUM + self.pending * (1 - CENTER_MOMENTUM)
            self.pending = None
        return torch.softmax((logits if self.center is None else logits - self.center) / temp, dim=-1)

    def update(self, logits):
        self.pending = torch.sum(logits.mean(1), dim=0, keepdim=True) / len(logits)


class IBOT(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = EmaWrapper(ViT(), EMA, 1.0)
        self.cls_head = EmaWrapper(ibot_head(K_CLS), EMA, 1.0)
        self.patch_head = EmaWrapper(ibot_head(K_PATCH), EMA, 1.0)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, DIM))
        self.center = Center()
        self.epoch = 0

    def teacher_temperature(self):
        if self.epoch >= WARMUP:
            return T_TEACHER
        return T_WARM + self.epoch / max(WARMUP, 1) * (T_TEACHER - T_WARM)

    def forward(self, global_views, mask):
        g = torch.cat(global_views, dim=0)
        with torch.no_grad():
            t = encode(self.backbone.teacher, g, None, None)
            t_cls = self.cls_head.teacher(t[:, 0]).view(N_GLOBAL, B, -1)
            t_patch = self.patch_head.teacher(t[:, 1:].flatten(0, 1)).view(g.shape[0], L, -1)
        s = encode(self.backbone.student, g, mask, self.mask_token)
        s_cls = self.cls_head.student(s[:, 0]).view(N_GLOBAL, B, -1)
        s_patch = self.patch_head.student(s[:, 1:].flatten(0, 1)).view(g.shape[0], L, -1)
        temp = self.teacher_temperature()
        with torch.no_grad():
            probs = self.center.probs(t_cls, temp)
        used_center = self.center.center
        loss_cls = dino_loss(s_cls, probs, T_STUDENT)
        self.center.update(t_cls)
        keep = mask.bool().view(-1)
        s_flat = s_patch.reshape(-1, K_PATCH)[keep]
        t_flat = t_patch.reshape(-1, K_PATCH)[keep]
        with torch.no_grad():
            probs_patch = sinkhorn_knopp(t_flat, temp, t_flat.shape[0])
        loss_patch = ibot_loss(s_flat, probs_patch, T_STUDENT)
        return loss_cls + loss_patch, loss_cls, loss_patch, temp, used_center


@torch.no_grad()
def fill_weights(model, skip=lambda name: False):
    """The students' parameters (but those `skip` names) as multiples of 1/64 (short), as written; then each wrapper's teacher its copy (the seed's warm init)."""
    for name, p in model.named_parameters():
        if ".teacher." in name or skip(name):
            continue
        offset = 1.0 if "norm" in name and name.endswith("weight") else 0.0
        scale = 0.05 if name.endswith(("cls_token", "pos_embed")) or p.dim() == 1 else 1.0 if "patch_embed" in name else 0.3 if name.endswith("6.weight") else 0.5
        p.copy_(as_written(offset + torch.round(scale * torch.randn(p.shape) * 64) / 64))
    for w in (model.backbone, model.cls_head, model.patch_head):
        w.teacher.load_state_dict(w.student.state_dict())


def student_dict(model):
    """The state dict without the teachers and the EMA buffers (the test makes them)."""
    return {k: shaped(v) for k, v in model.state_dict().items() if ".teacher." not in k and "ema_coefficient" not in k}


def train(model, batches, watched, grad_names):
    """SGD over the parameters that require a gradient, each step followed by the wrappers' EMA; per step: its views, masks, loss
    and parts, teacher temperature, the centre it used, the `watched` entries after it; the first two steps' gradients of `grad_names`."""
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.SGD(params, lr=LR, momentum=MOMENTUM, weight_decay=WD)
    named = dict(model.named_parameters())
    steps = []
    for i, (gv, mask) in enumerate(batches):
        model.epoch = i
        opt.zero_grad()
        loss, lc, lp, temp, center = model([v.permute(0, 3, 1, 2) for v in gv], mask)
        loss.backward()
        grads = {k: shaped(named[k].grad) for k in grad_names} if i < 2 else None
        opt.step()
        for w in (model.backbone, model.cls_head, model.patch_head):
            w.ema()
        sd = model.state_dict()
        steps.append({
            "globalViews": [shaped(v) for v in gv],
            "masks": [shaped(m) for m in mask.view(N_GLOBAL, B, L)],
            "loss": loss.item(), "clsLoss": lc.item(), "patchLoss": lp.item(), "teacherTemperature": temp,
            "center": shaped(center if center is not None else torch.zeros(1, K_CLS)),
            **({"grads": grads} if grads else {}),
            "after": {k: shaped(sd[k]) for k in watched},
        })
    return steps


def write(name, model, initial, steps, **config):
    """test/fixtures/<name>: the configuration (with `config`), the initial student dict, the steps, the state dict after."""
    out = {
        "config": {"img": IMG, "patch": P, "channels": C, "dim": DIM, "depth": len(model.backbone.student.blocks), "heads": HEADS, "headDims": list(HEAD_DIMS), "numClsPrototypes": K_CLS, "numPatchPrototypes": K_PATCH,
                   "maskRatio": RATIO, "studentTemperature": T_STUDENT, "warmupTeacherTemperature": T_WARM, "teacherTemperature": T_TEACHER, "warmupTeacherSteps": WARMUP,
                   "centerMomentum": CENTER_MOMENTUM, "ema": EMA, **config, "lr": LR, "momentum": MOMENTUM, "weightDecay": WD},
        "initial_student": initial,
        "steps": steps,
        "state_after": {k: shaped(v) for k, v in model.state_dict().items()},
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", name)
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print(path, os.path.getsize(path), "bytes; losses", [round(s["loss"], 6) for s in steps], [(round(s["clsLoss"], 4), round(s["patchLoss"], 4)) for s in steps])


def main():
    torch.manual_seed(1818)
    model = IBOT()
    fill_weights(model)
    initial = student_dict(model)
    batches = [([images(B, IMG) for _ in range(N_GLOBAL)], random_mask(N_GLOBAL * B)) for _ in range(STEPS)]
    watched = ["mask_token", "backbone.student.cls_token", "cls_head.student.6.weight", "patch_head.teacher.6.weight"]
    steps = train(model, batches, watched, ["mask_token", "backbone.student.pos_embed"])
    write("ssl_ibot_session18.json", model, initial, steps)


if __name__ == "__main__":
    main()
