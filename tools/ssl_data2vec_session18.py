"""Reference numbers for test/ssl/data2vec-session18.test.ts (PyTorch 1.13, float32).

A transcription, written for this test (the seed's source is not imported or copied), of
stable-pretraining's data2vec (`methods/data2vec.py`: `_BlockHook`, `_encode_with_mask`,
`_teacher_target`, `_random_mask`, `forward`) and its `TeacherStudentWrapper`
(tools/seed_formulas.py `EmaWrapper`), around the timm-style ViT, masking, images and training loop
of tools/ssl_simmim_session18.py. The teacher's targets come from forward hooks on its blocks, as
the seed's: the last K block outputs, class token dropped, averaged, `F.layer_norm` over the width.

Tiny model: 8x8 grey images, patch 2 (16 patches), width 4, depth 3, 2 heads; top-K 2 blocks; mask
ratio 0.6 (10 masked patches per image); the regressor Linear(4, 4); smooth L1 with beta 2; EMA 0.9
(constant: no epoch schedule; final 0.99 in its buffer). Batch 4. Three steps of
torch.optim.SGD(lr 0.05, momentum 0.9, weight_decay 1e-4), each followed by the wrapper's EMA.

Recorded: the student's initial state dict (the teacher starts as its copy, the seed's warm init),
each step's images, masks, loss and a few parameters after the step, the first step's gradients
(mask token, position embedding, regressor weight), the whole state dict after the three steps,
and the evaluation embedding (the teacher's class token) of the first batch after them.

Run: /usr/bin/python3 tools/ssl_data2vec_session18.py -> test/fixtures/ssl_data2vec_session18.json
"""

import os
import sys

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from seed_formulas import EmaWrapper  # noqa: E402
from ssl_simmim_session18 import B, DIM, HEADS, IMG, LR, MOMENTUM, P, RATIO, STEPS, WD, C, ViT, encode_with_mask, images, init_weights, nchw, random_mask, shaped, train, write  # noqa: E402

DEPTH, TOP_K, BETA, EMA, EMA_FINAL = 3, 2, 2.0, 0.9, 0.99


def teacher_target(vit, x):
    """`_teacher_target`: the unmasked forward with hooks on every block; the last K outputs' patch tokens, averaged, layer-normalised."""
    outputs = []
    handles = [b.register_forward_hook(lambda _m, _i, out: outputs.append(out)) for b in vit.blocks]
    try:
        with torch.no_grad():
            encode_with_mask(vit, x, None, None)
    finally:
        for h in handles:
            h.remove()
    target = torch.stack([o[:, 1:] for o in outputs[-TOP_K:]], dim=0).mean(dim=0)
    return F.layer_norm(target, [target.shape[-1]])


class Data2Vec(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = EmaWrapper(ViT(DEPTH), EMA, EMA_FINAL)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, DIM))
        self.regressor = nn.Linear(DIM, DIM)

    def forward(self, x, mask):
        pred = self.regressor(encode_with_mask(self.encoder.student, x, mask, self.mask_token))
        diff = F.smooth_l1_loss(pred, teacher_target(self.encoder.teacher, x), beta=BETA, reduction="none").mean(dim=-1)
        return (diff * mask).sum() / mask.sum().clamp(min=1.0)


def main():
    torch.manual_seed(18)
    model = Data2Vec()
    init_weights(model, weights=0.25, patch=0.5)  # smaller than SimMIM's: float32 runs of depth 3 stay within 1e-5 of float64
    with torch.no_grad():
        model.encoder.teacher.load_state_dict(model.encoder.student.state_dict())  # the seed's warm init
    initial = {k: shaped(v) for k, v in model.state_dict().items() if ".teacher." not in k and "ema_coefficient" not in k}
    batches = [(images(B), random_mask(B)) for _ in range(STEPS)]
    watched = ["mask_token", "regressor.weight", "encoder.student.cls_token", "encoder.teacher.pos_embed"]
    steps = train(model, batches, watched, ["mask_token", "encoder.student.pos_embed", "regressor.weight"], after_step=model.encoder.ema)
    with torch.no_grad():
        embedding = model.encoder.teacher(nchw(batches[0][0]))
    write("ssl_data2vec_session18.json", {
        "config": {"img": IMG, "patch": P, "channels": C, "dim": DIM, "depth": DEPTH, "heads": HEADS, "topKBlocks": TOP_K, "maskRatio": RATIO, "ema": EMA, "emaFinal": EMA_FINAL,
                   "lr": LR, "momentum": MOMENTUM, "weightDecay": WD},
        "initial_student": initial,
        "steps": steps,
        "state_after": {k: shaped(v) for k, v in model.state_dict().items()},
        "embedding": shaped(embedding),
    })


if __name__ == "__main__":
    main()
