"""Reference numbers for test/ssl/cmae-session18.test.ts (PyTorch 1.13, float32).

A transcription, written for this test (the seed's source is not imported or copied), of
stable-pretraining's CMAE (`methods/cmae.py`: `_projector`, `_predictor`, `_encode`, `_split`,
`_random_mask`, `forward`; `backbone/patch_masking.py` `patchify`) with its two
`TeacherStudentWrapper`s (tools/seed_formulas.py's EmaWrapper: warm copies, EMA of parameters and
BatchNorm buffers after each step), around the timm-style ViT, masking, images and training loop of
tools/ssl_simmim_session18.py (imported; its mask ratio set to the seed's CMAE default 0.75).

Tiny model: 8x8 grey images, patch 2 (16 patches, round(12) = 12 masked per image), width 4, depth
2, 2 heads; projector Linear(4, 4)-BN-ReLU-Linear(4, 4) (projector_dim 4), predictor Linear(4,
8)-BN-ReLU-Linear(8, 4); recon_head Linear(4, 4); contrast weight 0.5; EMA 0.9 (final 0.99, the
coefficient not stepped). Batch 4, two views. Three steps of torch.optim.SGD(lr 0.05, momentum 0.9,
weight_decay 1e-4); the seed's masks written with each batch, so tfjax replays them.

Recorded: the students' initial state dict (the teachers start as their copies), each step's two
views, masks, loss, loss_recon, loss_contrast and a few parameters after it (the teachers' too), the
first step's gradients, the state dict after the three steps, and the evaluation embedding (the
teacher's class token) of the first step's view1.

Run: /usr/bin/python3 tools/ssl_cmae_session18.py -> test/fixtures/ssl_cmae_session18.json
"""

import os
import sys

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ssl_simmim_session18 as sm  # noqa: E402
from seed_formulas import EmaWrapper  # noqa: E402
from torch_fixture_helpers import shaped  # noqa: E402

sm.RATIO = 0.75
PROJ, WEIGHT, EMA, EMA_FINAL = 4, 0.5, 0.9, 0.99


def mlp(i, h, o):
    return nn.Sequential(nn.Linear(i, h), nn.BatchNorm1d(h), nn.ReLU(), nn.Linear(h, o))


def encode(vit, images, mask=None, token=None):
    """`_encode`: the mask token where mask is 1 (if any), class token, positions, blocks, norm; every token."""
    x = vit.patch_embed(images)
    if mask is not None:
        m = mask.unsqueeze(-1)
        x = x * (1 - m) + token.expand_as(x) * m
    x = torch.cat([vit.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + vit.pos_embed
    return vit.norm(vit.blocks(x))


class CMAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = EmaWrapper(sm.ViT(2), EMA, EMA_FINAL)
        self.projector = EmaWrapper(mlp(sm.DIM, sm.DIM, PROJ), EMA, EMA_FINAL)
        self.predictor = mlp(PROJ, 2 * PROJ, PROJ)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, sm.DIM))
        self.recon_head = nn.Linear(sm.DIM, sm.C * sm.P * sm.P)

    def forward(self, both, mask):
        """`both`: view1 then view2 along the batch axis (the shared loop passes one array)."""
        view1, view2 = both.chunk(2)
        s = encode(self.backbone.student, view1, mask, self.mask_token)
        ps = self.predictor(self.projector.student(s[:, 0]))
        target = sm.patchify_chw(view1)
        target = (target - target.mean(-1, keepdim=True)) / (target.var(-1, keepdim=True) + 1e-6).sqrt()
        per = F.mse_loss(self.recon_head(s[:, 1:]), target, reduction="none").mean(-1)
        recon = (per * mask).sum() / mask.sum().clamp(min=1.0)
        with torch.no_grad():
            zt = self.projector.teacher(encode(self.backbone.teacher, view2)[:, 0])
        contrast = -(F.normalize(ps, dim=-1) * F.normalize(zt, dim=-1)).sum(-1).mean()
        return recon + WEIGHT * contrast, recon, contrast

    def ema(self):
        self.backbone.ema()
        self.projector.ema()


def main():
    torch.manual_seed(18)
    model = CMAE()
    sm.init_weights(model)
    with torch.no_grad():
        for w in (model.backbone, model.projector):
            w.teacher.load_state_dict(w.student.state_dict())  # the seed's warm init
    initial = {k: shaped(v) for k, v in model.state_dict().items() if ".teacher." not in k and "ema_coefficient" not in k}
    batches = [(torch.cat([sm.images(sm.B), sm.images(sm.B)]), sm.random_mask(sm.B)) for _ in range(sm.STEPS)]
    watched = ["mask_token", "recon_head.weight", "predictor.3.weight", "projector.teacher.3.weight", "projector.teacher.1.running_mean", "backbone.teacher.cls_token"]
    grads = ["mask_token", "backbone.student.pos_embed", "recon_head.weight", "predictor.0.weight", "projector.student.0.weight"]
    steps = sm.train(model, batches, watched, grads, after_step=model.ema, extra=lambda out: {"loss_recon": out[1].item(), "loss_contrast": out[2].item()})
    for s in steps:
        both = torch.tensor(s.pop("images")["data"]).reshape(2 * sm.B, sm.IMG, sm.IMG, sm.C)
        s["view1"], s["view2"] = shaped(both[: sm.B]), shaped(both[sm.B:])
    model.eval()
    with torch.no_grad():
        embedding = encode(model.backbone.teacher, sm.nchw(batches[0][0][: sm.B]))[:, 0]
    sm.write("ssl_cmae_session18.json", {
        "config": {"img": sm.IMG, "patch": sm.P, "channels": sm.C, "dim": sm.DIM, "depth": 2, "heads": sm.HEADS, "maskRatio": sm.RATIO, "projectorDim": PROJ, "contrastWeight": WEIGHT,
                   "ema": EMA, "emaFinal": EMA_FINAL, "lr": sm.LR, "momentum": sm.MOMENTUM, "weightDecay": sm.WD},
        "initial_student": initial,
        "steps": steps,
        "state_after": {k: shaped(v) for k, v in model.state_dict().items()},
        "embedding": shaped(embedding),
    })


if __name__ == "__main__":
    main()
