"""Reference numbers for test/ssl/msn-session18.test.ts (PyTorch 1.13, float32).

A transcription, written for this test (the seed's source is not imported or copied), of
stable-pretraining's MSN (`methods/msn.py`: `_msn_head`, `_encode`, `_random_mask`, `forward`:
the Sinkhorn-Knopp teacher, the cross-entropy and the mean-entropy term) with the seed's
`TeacherStudentWrapper` (tools/seed_formulas.py `EmaWrapper`). The tiny ViT, the head (the seed's
`_msn_head` is `_ibot_head`), the `_encode`, Sinkhorn-Knopp and `_random_mask` are those of
tools/ssl_dinov2_session18.py (run with MSN's mask ratio).

Tiny model: 8x8 grey images, patch 2 (16 patches), width 4, depth 1, 2 heads; head Linear
4-8-8-4 with GELU, L2Norm, 6 prototypes; mask ratio 0.6 (round(9.6) = 10 masked patches per image);
student temperature 0.1, teacher 0.025, me-max weight 1; EMA 0.9 (constant). Batch 4. Three steps
of torch.optim.SGD(lr 0.05, momentum 0.9, weight_decay 1e-4), each followed by both wrappers' EMA.
The masks are drawn as the seed's and written, so tfjax replays them.

The draw (seed 1823) is a well-conditioned one: this float32 run and the same steps in float64
from the same values differ by < 2e-6 relative (losses and the recorded parameters); with some
draws (e.g. seed 1819) the third step's loss, a cross-entropy of 2.1 minus a me-max of 1.6 after
a step of loss 5.5, differs between float32 and float64 by 2e-4 and no float32 port can be
checked at 1e-4.

Recorded: the student's initial state dict (the teacher its warm copy), each step's views, mask,
loss and its parts (cross-entropy, me-max), a few parameters after it, the first two steps'
gradients of the mask token and the position embedding, and the whole state dict after the three.

Run: /usr/bin/python3 tools/ssl_msn_session18.py -> test/fixtures/ssl_msn_session18.json
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
from seed_formulas import EmaWrapper  # noqa: E402
from ssl_fixture_steps import as_written  # noqa: E402
from torch_fixture_helpers import shaped  # noqa: E402

with contextlib.redirect_stdout(io.StringIO()):
    import ssl_dinov2_session18 as tiny  # noqa: E402

B, IMG, L, DIM = tiny.B, tiny.IMG, tiny.L, tiny.DIM
K, RATIO, T_STUDENT, T_TEACHER, ME_MAX = 6, 0.6, 0.1, 0.025, 1.0
EMA, LR, MOMENTUM, WD, STEPS = 0.9, 0.05, 0.9, 1e-4, 3
tiny.RATIO = RATIO  # `_random_mask` with MSN's ratio


class MSN(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = EmaWrapper(tiny.ViT(), EMA, 1.0)
        self.projector = EmaWrapper(tiny.ibot_head(K), EMA, 1.0)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, DIM))

    def forward(self, view1, view2, mask):
        with torch.no_grad():
            t_logits = self.projector.teacher(tiny.encode(self.backbone.teacher, view2, None, None)[:, 0])
        s_logits = self.projector.student(tiny.encode(self.backbone.student, view1, mask, self.mask_token)[:, 0])
        with torch.no_grad():
            probs = tiny.sinkhorn_knopp(t_logits, T_TEACHER, t_logits.shape[0])
        ce = -(probs * F.log_softmax(s_logits / T_STUDENT, dim=-1)).sum(dim=-1).mean()
        mean_p = F.softmax(s_logits / T_STUDENT, dim=-1).mean(dim=0)
        me_max = (mean_p * mean_p.clamp(min=1e-8).log()).sum()
        return ce + ME_MAX * me_max, ce, me_max


def main():
    torch.manual_seed(1823)
    model = MSN()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if ".teacher." in name:
                continue
            offset = 1.0 if "norm" in name and name.endswith("weight") else 0.0
            scale = 0.05 if name.endswith(("cls_token", "pos_embed")) or p.dim() == 1 else 1.0 if "patch_embed" in name else 0.3 if name.endswith("6.weight") else 0.5
            p.copy_(as_written(offset + torch.round(scale * torch.randn(p.shape) * 64) / 64))  # multiples of 1/64 (short), as written
        for w in (model.backbone, model.projector):
            w.teacher.load_state_dict(w.student.state_dict())  # the seed's warm init
    initial = {k: shaped(v) for k, v in model.state_dict().items() if ".teacher." not in k and "ema_coefficient" not in k}
    batches = [(tiny.images(B, IMG), tiny.images(B, IMG), tiny.random_mask(B)) for _ in range(STEPS)]
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.SGD(params, lr=LR, momentum=MOMENTUM, weight_decay=WD)
    watched = ["mask_token", "backbone.student.cls_token", "projector.student.6.weight", "projector.teacher.6.weight"]
    steps = []
    for i, (v1, v2, mask) in enumerate(batches):
        opt.zero_grad()
        loss, ce, me = model(v1.permute(0, 3, 1, 2), v2.permute(0, 3, 1, 2), mask)
        loss.backward()
        grads = {"mask_token": shaped(model.mask_token.grad), "backbone.student.pos_embed": shaped(model.backbone.student.pos_embed.grad)} if i < 2 else None
        opt.step()
        for w in (model.backbone, model.projector):
            w.ema()
        sd = model.state_dict()
        steps.append({
            "view1": shaped(v1), "view2": shaped(v2), "mask": shaped(mask),
            "loss": loss.item(), "crossEntropy": ce.item(), "meMax": me.item(),
            **({"grads": grads} if grads else {}),
            "after": {k: shaped(sd[k]) for k in watched},
        })
    out = {
        "config": {"img": IMG, "dim": DIM, "numPrototypes": K, "maskRatio": RATIO, "studentTemperature": T_STUDENT, "teacherTemperature": T_TEACHER, "meMaxWeight": ME_MAX,
                   "ema": EMA, "lr": LR, "momentum": MOMENTUM, "weightDecay": WD},
        "initial_student": initial,
        "steps": steps,
        "state_after": {k: shaped(v) for k, v in model.state_dict().items()},
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "ssl_msn_session18.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print(path, os.path.getsize(path), "bytes; losses", [round(s["loss"], 6) for s in steps], [(round(s["crossEntropy"], 4), round(s["meMax"], 4)) for s in steps])


if __name__ == "__main__":
    main()
