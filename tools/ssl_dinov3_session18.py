"""Reference numbers for test/ssl/dinov3-session18.test.ts (PyTorch 1.13, float32).

A transcription, written for this test (the seed's source is not imported or copied), of
stable-pretraining's DINOv3 (`methods/dinov3.py`): DINOv2's forward and losses (reused from
tools/ssl_dinov2_session18.py: `_ibot_head`, Sinkhorn-Knopp teachers, `DINOv1Loss`,
`iBOTPatchLoss`, `_random_mask`, the EMA wrappers, the timm-style ViT) plus its two additions:
register tokens (`register_tokens` [1, R, D] on the ViT, inserted after the position embedding
between CLS and the patches; `_split_cls_patches` drops them) and `_koleo_loss` at 0.1 on the
student's CLS features of the first global view, in every step.

Tiny model: the DINOv2 fixture's (8x8 grey images, patch 2, width 4, depth 1, 2 heads, heads
4-8-8-4 GELU, 6 CLS and 5 patch prototypes, mask ratio 0.3, temperatures 0.1 / 0.07, EMA 0.9)
with 2 registers; batch 4, 2 global views, 1 local view; three steps of torch.optim.SGD(lr 0.05,
momentum 0.9, weight_decay 1e-4), each followed by the three wrappers' EMA.

Recorded: the student's initial state dict, each step's views, masks, loss and its parts and a few
parameters after the step, the first step's gradients (mask token, position embedding, registers),
the whole state dict after the three steps.

Run: /usr/bin/python3 tools/ssl_dinov3_session18.py -> test/fixtures/ssl_dinov3_session18.json
"""

import json
import os
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ssl_dinov2_session18 as d2  # noqa: E402
from seed_formulas import EmaWrapper, dino_loss  # noqa: E402
from ssl_fixture_steps import as_written  # noqa: E402
from torch_fixture_helpers import shaped  # noqa: E402

R, B, KOLEO_WEIGHT = 2, 4, 0.1
N_GLOBAL, N_LOCAL, L, DIM = d2.N_GLOBAL, d2.N_LOCAL, d2.L, d2.DIM


class ViT(d2.ViT):
    """The DINOv2 fixture's ViT with the seed's `register_tokens` attached."""

    def __init__(self):
        super().__init__()
        self.register_tokens = nn.Parameter(torch.zeros(1, R, DIM))


def encode(vit, images, mask, mask_token):
    """DINOv3._encode: DINOv2's, with the registers between CLS and the patches after the positions."""
    x = vit.patch_embed(images)
    if mask is not None:
        m = mask.unsqueeze(-1)
        x = x * (1 - m) + mask_token.expand_as(x) * m
    x = torch.cat([vit.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + vit.pos_embed
    x = torch.cat([x[:, :1], vit.register_tokens.expand(x.shape[0], -1, -1), x[:, 1:]], dim=1)
    return vit.norm(vit.blocks(x))


class DINOv3(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = EmaWrapper(ViT(), d2.EMA, 1.0)
        self.cls_head = EmaWrapper(d2.ibot_head(d2.K_CLS), d2.EMA, 1.0)
        self.patch_head = EmaWrapper(d2.ibot_head(d2.K_PATCH), d2.EMA, 1.0)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, DIM))

    def forward(self, global_views, local_views, mask):
        g = torch.cat(global_views, dim=0)
        first = 1 + R
        with torch.no_grad():
            t = encode(self.backbone.teacher, g, None, None)
            t_cls = self.cls_head.teacher(t[:, 0]).view(N_GLOBAL, B, -1)
            t_patch = self.patch_head.teacher(t[:, first:].flatten(0, 1)).view(g.shape[0], L, -1)
        s = encode(self.backbone.student, g, mask, self.mask_token)
        s_cls_g = self.cls_head.student(s[:, 0]).view(N_GLOBAL, B, -1)
        s_patch = self.patch_head.student(s[:, first:].flatten(0, 1)).view(g.shape[0], L, -1)
        s_loc = encode(self.backbone.student, torch.cat(local_views, dim=0), None, None)
        s_cls = torch.cat([s_cls_g, self.cls_head.student(s_loc[:, 0]).view(N_LOCAL, B, -1)], dim=0)
        with torch.no_grad():
            probs_cls = d2.sinkhorn_knopp(t_cls.reshape(-1, d2.K_CLS), d2.T_TEACHER, N_GLOBAL * B).view(t_cls.shape)
        loss_cls = dino_loss(s_cls, probs_cls, d2.T_STUDENT)
        keep = mask.bool().view(-1)
        s_flat = s_patch.reshape(-1, d2.K_PATCH)[keep]
        t_flat = t_patch.reshape(-1, d2.K_PATCH)[keep]
        with torch.no_grad():
            probs_patch = d2.sinkhorn_knopp(t_flat, d2.T_TEACHER, t_flat.shape[0])
        loss_patch = d2.ibot_loss(s_flat, probs_patch, d2.T_STUDENT)
        loss_koleo = d2.koleo_loss(s[:, 0].view(N_GLOBAL, B, -1)[0])
        return loss_cls + loss_patch + KOLEO_WEIGHT * loss_koleo, loss_cls, loss_patch, loss_koleo


def main():
    torch.manual_seed(1)  # KoLeo's nearest-neighbour distances stay > 0.1 over the steps: well-conditioned in float32
    model = DINOv3()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if ".teacher." in name:
                continue
            offset = 1.0 if "norm" in name and name.endswith("weight") else 0.0
            scale = 0.05 if name.endswith(("cls_token", "pos_embed")) or p.dim() == 1 else 1.0 if "patch_embed" in name else 0.3 if name.endswith("6.weight") else 0.5
            p.copy_(as_written(offset + torch.round(scale * torch.randn(p.shape) * 64) / 64))
        for w in (model.backbone, model.cls_head, model.patch_head):
            w.teacher.load_state_dict(w.student.state_dict())  # the seed's warm init
    initial = {k: shaped(v) for k, v in model.state_dict().items() if ".teacher." not in k and "ema_coefficient" not in k}
    batches = [([d2.images(B, d2.IMG) for _ in range(N_GLOBAL)], [d2.images(B, d2.IMG) for _ in range(N_LOCAL)], d2.random_mask(N_GLOBAL * B)) for _ in range(d2.STEPS)]
    nchw = lambda vs: [v.permute(0, 3, 1, 2) for v in vs]  # noqa: E731
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.SGD(params, lr=d2.LR, momentum=d2.MOMENTUM, weight_decay=d2.WD)
    watched = ["mask_token", "backbone.student.register_tokens", "backbone.teacher.register_tokens", "cls_head.student.6.weight", "patch_head.teacher.6.weight"]
    graded = ["mask_token", "backbone.student.pos_embed", "backbone.student.register_tokens"]
    steps = []
    for gv, lv, mask in batches:
        opt.zero_grad()
        loss, lc, lp, lk = model(nchw(gv), nchw(lv), mask)
        loss.backward()
        named = dict(model.named_parameters())
        grads = {k: shaped(named[k].grad) for k in graded} if not steps else None
        opt.step()
        for w in (model.backbone, model.cls_head, model.patch_head):
            w.ema()
        sd = model.state_dict()
        steps.append({
            "globalViews": [shaped(v) for v in gv],
            "localViews": [shaped(v) for v in lv],
            "masks": [shaped(m) for m in mask.view(N_GLOBAL, B, L)],
            "loss": loss.item(), "clsLoss": lc.item(), "patchLoss": lp.item(), "koleo": lk.item(),
            **({"grads": grads} if grads else {}),
            "after": {k: shaped(sd[k]) for k in watched},
        })
    out = {
        "config": {"registers": R, "batch": B, "ema": d2.EMA, "koleoWeight": KOLEO_WEIGHT, "lr": d2.LR, "momentum": d2.MOMENTUM, "weightDecay": d2.WD},
        "initial_student": initial,
        "steps": steps,
        "state_after": {k: shaped(v) for k, v in model.state_dict().items()},
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "ssl_dinov3_session18.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print(path, os.path.getsize(path), "bytes; losses", [round(s["loss"], 6) for s in steps], [(round(s["clsLoss"], 4), round(s["patchLoss"], 4), round(s["koleo"], 4)) for s in steps])


if __name__ == "__main__":
    main()
