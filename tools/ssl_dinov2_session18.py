"""Reference numbers for test/ssl/dinov2-session18.test.ts (PyTorch 1.13, float32).

A transcription, written for this test (the seed's source is not imported or copied), of
stable-pretraining's DINOv2 (`methods/dinov2.py`: `_ibot_head`, `_encode`, `_random_mask`,
`forward`), its losses (`losses/dino.py` `DINOv1Loss.forward`, `iBOTPatchLoss`,
`cross_entropy_loss`; `losses/utils.py` `sinkhorn_knopp`) and its `TeacherStudentWrapper`
(tools/seed_formulas.py `EmaWrapper`), around a timm-style ViT (tools/mae_seed_fixture.py's
block; patch_embed.proj, cls_token, pos_embed, blocks, norm; LayerNorm eps 1e-6), plus the
KoLeo term of the seed's DINOv3 (`methods/dinov3.py` `_koleo_loss` on the student's CLS
features of the first global view, weight 0.1 in `koleo_case`; the seed's DINOv2 has none).

Tiny model: 8x8 grey images, patch 2 (16 patches), width 4, depth 1, 2 heads; both heads
Linear 4-8-8-4 with GELU, L2Norm, prototypes 6 (CLS) and 5 (patches); mask ratio 0.3
(round(4.8) = 5 masked patches per global image); student temperature 0.1, teacher 0.07; EMA
0.9 (constant: no epoch schedule). Batch 4, 2 global views and 1 local view (8x8 too: the ViT's
position embedding is not resampled). Three steps of torch.optim.SGD(lr 0.05, momentum 0.9,
weight_decay 1e-4), each followed by the three wrappers' EMA. The masks are drawn as the seed's
(torch.rand, argsort) and written per global view, so tfjax replays them.

Recorded: the student's initial state dict (the teacher starts as its copy, the seed's warm
init), each step's views, masks, loss and its parts (CLS, patch) and a few parameters after the
step, the first step's gradients of the mask token and the position embedding, and the whole
state dict after the three steps. The three steps run without KoLeo (the seed's DINOv2);
`koleo_case` is the loss with KoLeo at 0.1 on the first batch from the initial state (its parts
and the same two gradients): KoLeo's nearest-neighbour distances of 4 CLS features of width 4 get
ill-conditioned in float32 as training moves them together.

Run: /usr/bin/python3 tools/ssl_dinov2_session18.py -> test/fixtures/ssl_dinov2_session18.json
"""

import contextlib
import io
import json
import os
import sys

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from seed_formulas import EmaWrapper, dino_loss  # noqa: E402
from ssl_fixture_steps import as_written  # noqa: E402
from torch_fixture_helpers import shaped  # noqa: E402

with contextlib.redirect_stdout(io.StringIO()):
    from mae_seed_fixture import Block  # noqa: E402

IMG, P, C, DIM, DEPTH, HEADS = 8, 2, 1, 4, 1, 2
HEAD_DIMS, K_CLS, K_PATCH = (8, 8, 4), 6, 5
RATIO, T_STUDENT, T_TEACHER, EMA, KOLEO_WEIGHT = 0.3, 0.1, 0.07, 0.9, 0.1
B, N_GLOBAL, N_LOCAL, LR, MOMENTUM, WD, STEPS = 4, 2, 1, 0.05, 0.9, 1e-4, 3
GRID = IMG // P
L = GRID * GRID


class PatchEmbed(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Conv2d(C, DIM, P, P)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class ViT(nn.Module):
    """timm's VisionTransformer(num_classes=0) parameters; `forward` is the pooled CLS (the seed's eval path)."""

    def __init__(self):
        super().__init__()
        self.patch_embed = PatchEmbed()
        self.cls_token = nn.Parameter(torch.zeros(1, 1, DIM))
        self.pos_embed = nn.Parameter(torch.zeros(1, 1 + L, DIM))
        self.blocks = nn.Sequential(*[Block(DIM, HEADS, 1e-6) for _ in range(DEPTH)])
        self.norm = nn.LayerNorm(DIM, eps=1e-6)

    def forward(self, images):
        return encode(self, images, None, None)[:, 0]


def encode(vit, images, mask, mask_token):
    """DINOv2._encode: patch embedding, the mask token where mask is 1, class token and positions, blocks, norm."""
    x = vit.patch_embed(images)
    if mask is not None:
        m = mask.unsqueeze(-1)
        x = x * (1 - m) + mask_token.expand_as(x) * m
    x = torch.cat([vit.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + vit.pos_embed
    return vit.norm(vit.blocks(x))


class L2Norm(nn.Module):
    def forward(self, x):
        return F.normalize(x, dim=-1)


def ibot_head(k):
    h1, h2, bottleneck = HEAD_DIMS
    return nn.Sequential(nn.Linear(DIM, h1), nn.GELU(), nn.Linear(h1, h2), nn.GELU(), nn.Linear(h2, bottleneck), L2Norm(), nn.Linear(bottleneck, k, bias=False))


def sinkhorn_knopp(logits, temp, num_samples, iterations=3):
    """losses/utils.py sinkhorn_knopp (one process)."""
    q = torch.exp(logits.float() / temp).t()
    k = q.shape[0]
    q = q / q.sum()
    for _ in range(iterations):
        q = q / q.sum(dim=1, keepdim=True) / k
        q = q / q.sum(dim=0, keepdim=True) / num_samples
    return (q * num_samples).t()


def ibot_loss(s, t, temp):
    return -(t * F.log_softmax(s / temp, dim=-1)).sum(dim=-1).mean()


def koleo_loss(z, eps=1e-8):
    z = F.normalize(z, dim=-1)
    sim = z @ z.T
    sim.fill_diagonal_(-1.0)
    d = (2.0 - 2.0 * sim.max(dim=-1).values).clamp(min=eps).sqrt()
    return -d.clamp(min=eps).log().mean()


def random_mask(rows):
    """DINOv2._random_mask: round(L r) patches of lowest noise masked (1)."""
    n_mask = int(round(L * RATIO))
    order = torch.rand(rows, L).argsort(dim=1)
    mask = torch.zeros(rows, L)
    mask.scatter_(1, order[:, :n_mask], 1.0)
    return mask


class DINOv2(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = EmaWrapper(ViT(), EMA, 1.0)
        self.cls_head = EmaWrapper(ibot_head(K_CLS), EMA, 1.0)
        self.patch_head = EmaWrapper(ibot_head(K_PATCH), EMA, 1.0)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, DIM))
        self.koleo_weight = 0.0

    def forward(self, global_views, local_views, mask):
        g = torch.cat(global_views, dim=0)
        with torch.no_grad():
            t = encode(self.backbone.teacher, g, None, None)
            t_cls = self.cls_head.teacher(t[:, 0]).view(N_GLOBAL, B, -1)
            t_patch = self.patch_head.teacher(t[:, 1:].flatten(0, 1)).view(g.shape[0], L, -1)
        s = encode(self.backbone.student, g, mask, self.mask_token)
        s_cls_g = self.cls_head.student(s[:, 0]).view(N_GLOBAL, B, -1)
        s_patch = self.patch_head.student(s[:, 1:].flatten(0, 1)).view(g.shape[0], L, -1)
        s_loc = encode(self.backbone.student, torch.cat(local_views, dim=0), None, None)
        s_cls = torch.cat([s_cls_g, self.cls_head.student(s_loc[:, 0]).view(N_LOCAL, B, -1)], dim=0)
        with torch.no_grad():
            probs_cls = sinkhorn_knopp(t_cls.reshape(-1, K_CLS), T_TEACHER, N_GLOBAL * B).view(t_cls.shape)
        loss_cls = dino_loss(s_cls, probs_cls, T_STUDENT)
        keep = mask.bool().view(-1)
        s_flat = s_patch.reshape(-1, K_PATCH)[keep]
        t_flat = t_patch.reshape(-1, K_PATCH)[keep]
        with torch.no_grad():
            probs_patch = sinkhorn_knopp(t_flat, T_TEACHER, t_flat.shape[0])
        loss_patch = ibot_loss(s_flat, probs_patch, T_STUDENT)
        loss_koleo = koleo_loss(s[:, 0].view(N_GLOBAL, B, -1)[0])
        return loss_cls + loss_patch + self.koleo_weight * loss_koleo, loss_cls, loss_patch, loss_koleo


def images(n, size):
    """NHWC images of 32nds in [-1, 1) (exact in float32 and short in JSON)."""
    return torch.randint(-32, 32, (n, size, size, C)).float() / 32


def koleo_case(model, gv, lv, mask):
    """The loss with KoLeo at KOLEO_WEIGHT from the initial state on step 1's batch: its parts and two gradients."""
    model.koleo_weight = KOLEO_WEIGHT
    loss, lc, lp, lk = model(gv, lv, mask)
    loss.backward()
    out = {
        "loss": loss.item(), "clsLoss": lc.item(), "patchLoss": lp.item(), "koleo": lk.item(),
        "grads": {"mask_token": shaped(model.mask_token.grad), "backbone.student.pos_embed": shaped(model.backbone.student.pos_embed.grad)},
    }
    model.zero_grad()
    model.koleo_weight = 0.0
    return out


def main():
    torch.manual_seed(18)
    model = DINOv2()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if ".teacher." in name:
                continue
            offset = 1.0 if "norm" in name and name.endswith("weight") else 0.0
            scale = 0.05 if name.endswith(("cls_token", "pos_embed")) or p.dim() == 1 else 1.0 if "patch_embed" in name else 0.3 if name.endswith("6.weight") else 0.5
            p.copy_(as_written(offset + torch.round(scale * torch.randn(p.shape) * 64) / 64))  # multiples of 1/64 (short), as written
        for w in (model.backbone, model.cls_head, model.patch_head):
            w.teacher.load_state_dict(w.student.state_dict())  # the seed's warm init
    initial = {k: shaped(v) for k, v in model.state_dict().items() if ".teacher." not in k and "ema_coefficient" not in k}
    batches = [([images(B, IMG) for _ in range(N_GLOBAL)], [images(B, IMG) for _ in range(N_LOCAL)], random_mask(N_GLOBAL * B)) for _ in range(STEPS)]
    nchw = lambda vs: [v.permute(0, 3, 1, 2) for v in vs]  # noqa: E731
    koleo = koleo_case(model, nchw(batches[0][0]), nchw(batches[0][1]), batches[0][2])
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.SGD(params, lr=LR, momentum=MOMENTUM, weight_decay=WD)
    watched = ["mask_token", "backbone.student.cls_token", "cls_head.student.6.weight", "patch_head.teacher.6.weight"]
    steps = []
    for gv, lv, mask in batches:
        opt.zero_grad()
        loss, lc, lp, _ = model(nchw(gv), nchw(lv), mask)
        loss.backward()
        grads = {"mask_token": shaped(model.mask_token.grad), "backbone.student.pos_embed": shaped(model.backbone.student.pos_embed.grad)} if not steps else None
        opt.step()
        for w in (model.backbone, model.cls_head, model.patch_head):
            w.ema()
        sd = model.state_dict()
        steps.append({
            "globalViews": [shaped(v) for v in gv],
            "localViews": [shaped(v) for v in lv],
            "masks": [shaped(m) for m in mask.view(N_GLOBAL, B, L)],
            "loss": loss.item(), "clsLoss": lc.item(), "patchLoss": lp.item(),
            **({"grads": grads} if grads else {}),
            "after": {k: shaped(sd[k]) for k in watched},
        })
    out = {
        "config": {"img": IMG, "patch": P, "channels": C, "dim": DIM, "depth": DEPTH, "heads": HEADS, "headDims": list(HEAD_DIMS), "numClsPrototypes": K_CLS, "numPatchPrototypes": K_PATCH,
                   "maskRatio": RATIO, "studentTemperature": T_STUDENT, "teacherTemperature": T_TEACHER, "ema": EMA, "koleoWeight": KOLEO_WEIGHT, "lr": LR, "momentum": MOMENTUM, "weightDecay": WD},
        "initial_student": initial,
        "koleo_case": koleo,
        "steps": steps,
        "state_after": {k: shaped(v) for k, v in model.state_dict().items()},
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "ssl_dinov2_session18.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print(path, os.path.getsize(path), "bytes; losses", [round(s["loss"], 6) for s in steps], [(round(s["clsLoss"], 4), round(s["patchLoss"], 4)) for s in steps], "koleo case", koleo["loss"], koleo["koleo"])


if __name__ == "__main__":
    main()
