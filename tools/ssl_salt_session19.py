"""Reference numbers for test/ssl/salt-session19.test.ts (PyTorch 1.13, float32).

A transcription, written for this test (the seed's source is not imported or copied), of
stable-pretraining's SALT stage 2 (`methods/salt.py`: `_generate_masks`, `_encode`, `forward` in
training and evaluation) with its masking (`data/masking.py` `multi_block_mask`,
`_sample_block_size`, `_sample_block_mask`, drawn with torch's global generator as the seed's) and
its frozen teacher (`backbone/utils.py` `EvalOnly` around `backbone/vit.py` `MaskedEncoder`), around
the timm-style ViT, images, initial weights and training loop of tools/ssl_simmim_session18.py and
the `FlexibleTransformer` predictor of tools/ssl_ijepa_session18.py (both imported; the predictor's
sizes set here).

Tiny model: 8x8 grey images, patch 2 (a 4x4 grid, 16 patches), width 4, depth 2, 2 heads (student
and teacher alike, their weights different); predictor width 4, 1 block, 2 heads; 4 targets of
scale [0.15, 0.2] and aspect ratio [0.75, 1.5], a context block of scale [0.85, 1] and aspect ratio
[1, 1] (always 3x3 on this grid: at most side - 1). Batch 4. Three steps of torch.optim.SGD(lr
0.05, momentum 0.9, weight_decay 1e-4) over the parameters that require a gradient (the teacher's
do not). Each step's masks are written as a [2, 16] array (row 0 the context, row 1 the targets),
so tfjax replays them.

Recorded: the initial state dict (less the predictor's position embedding and the second name of
each patch embedding), each step's images, masks, loss and a few entries after it (the
teacher's class token among them: it must not move), the first step's gradients, the state dict
after the three steps, and the evaluation embedding (the student's class token on every patch) of
the first step's images.

Run: /usr/bin/python3 tools/ssl_salt_session19.py -> test/fixtures/ssl_salt_session19.json
"""

import math
import os
import sys

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ssl_ijepa_session18 as ij  # noqa: E402
import ssl_simmim_session18 as sm  # noqa: E402
from torch_fixture_helpers import shaped  # noqa: E402

PRED_DIM, PRED_DEPTH, PRED_HEADS, NUM_TARGETS = 4, 1, 2, 4
CONTEXT_SCALE, TARGET_SCALE, CONTEXT_AR, TARGET_AR = (0.85, 1.0), (0.15, 0.2), (1.0, 1.0), (0.75, 1.5)
GRID = sm.IMG // sm.P
L = GRID * GRID
# tools/ssl_ijepa_session18.py's Predictor reads its sizes from its module.
ij.DIM, ij.PRED_DIM, ij.PRED_DEPTH, ij.PRED_HEADS, ij.GRID = sm.DIM, PRED_DIM, PRED_DEPTH, PRED_HEADS, GRID


class MaskedEncoder(nn.Module):
    """The seed's MaskedEncoder(masking=None): the ViT under `vit`, its patch embedding registered again."""

    def __init__(self):
        super().__init__()
        self.vit = sm.ViT(2)
        self.patch_embed = self.vit.patch_embed

    def forward(self, images):
        """MaskedEncoder.forward without masking: patches + their positions, class token + its position, blocks, norm."""
        x = self.patch_embed(images) + self.vit.pos_embed[:, 1:]
        cls = (self.vit.cls_token + self.vit.pos_embed[:, :1]).expand(x.shape[0], -1, -1)
        return self.vit.norm(self.vit.blocks(torch.cat([cls, x], dim=1)))


class EvalOnly(nn.Module):
    """backbone/utils.py EvalOnly: the module under `backbone`, no gradient."""

    def __init__(self, backbone):
        super().__init__()
        self.backbone = backbone
        self.requires_grad_(False)


def block_size(scale, ratio):
    """_sample_block_size: one uniform for the scale and the aspect ratio; at most side - 1."""
    u = torch.rand(1).item()
    keep = int(L * (scale[0] + u * (scale[1] - scale[0])))
    ar = ratio[0] + u * (ratio[1] - ratio[0])
    return min(int(round(math.sqrt(keep * ar))), GRID - 1), min(int(round(math.sqrt(keep / ar))), GRID - 1)


def block_mask(h, w):
    """_sample_block_mask with min_keep 1: up to 20 placements, the first non-empty (else the last)."""
    for _ in range(20):
        top = torch.randint(0, GRID - h + 1, (1,)).item()
        left = torch.randint(0, GRID - w + 1, (1,)).item()
        mask = torch.zeros(GRID, GRID, dtype=torch.int32)
        mask[top:top + h, left:left + w] = 1
        if mask.sum() >= 1:
            return mask
    return mask


def multi_block_mask(scales, ratios):
    """multi_block_mask: one size per distinct (scale, ratio) pair (in set order), one placement per block."""
    sizes = {pair: block_size(*pair) for pair in set(zip(scales, ratios))}
    return [block_mask(*sizes[pair]) for pair in zip(scales, ratios)]


def salt_masks():
    """SALT._generate_masks as a [2, L] 0/1 array: the context (its block minus every target) and the targets' union."""
    masks = multi_block_mask([CONTEXT_SCALE] + [TARGET_SCALE] * NUM_TARGETS, [CONTEXT_AR] + [TARGET_AR] * NUM_TARGETS)
    context = masks[0]
    target = torch.zeros(L, dtype=torch.bool)
    for t in masks[1:]:
        context = context * (1 - t)
        target = target | t.flatten().bool()
    return torch.stack([context.flatten().float(), target.float()])


class SALT(nn.Module):
    def __init__(self):
        super().__init__()
        self.teacher = EvalOnly(MaskedEncoder())
        self.student = MaskedEncoder()
        self.predictor = ij.Predictor()

    @staticmethod
    def encode(enc, images, idx):
        """SALT._encode: patches + their positions, gathered at idx [B, K], class token + its position before them, blocks, norm."""
        x = ij.gather(enc.patch_embed(images) + enc.vit.pos_embed[:, 1:], idx)
        cls = (enc.vit.cls_token + enc.vit.pos_embed[:, :1]).expand(x.shape[0], -1, -1)
        return enc.vit.norm(enc.vit.blocks(torch.cat([cls, x], dim=1)))

    def forward(self, images, masks):
        b = images.shape[0]
        ctx = masks[0].nonzero(as_tuple=True)[0].unsqueeze(0).expand(b, -1)
        tgt = masks[1].nonzero(as_tuple=True)[0].unsqueeze(0).expand(b, -1)
        with torch.no_grad():
            targets = ij.gather(self.teacher.backbone(images)[:, 1:], tgt)
        context = self.encode(self.student, images, ctx)[:, 1:]
        queries = torch.zeros(b, tgt.shape[1], sm.DIM)
        pred = self.predictor(context, queries, ctx, tgt, torch.ones(b, tgt.shape[1], dtype=torch.bool))
        return F.l1_loss(pred, targets)


def main():
    torch.manual_seed(19)
    model = SALT()
    sm.init_weights(model)  # the teacher too (its names start with "teacher."): its own weights, not the student's
    # The initial state without what tfjax makes itself: the predictor's position embedding, the second name of each patch embedding.
    initial = {k: shaped(v) for k, v in model.state_dict().items() if k != "predictor.pos_embed" and not k.endswith(("student.patch_embed.proj.weight", "student.patch_embed.proj.bias", "backbone.patch_embed.proj.weight", "backbone.patch_embed.proj.bias"))}
    batches = [(sm.images(sm.B), salt_masks()) for _ in range(sm.STEPS)]
    for _, m in batches:
        assert m[0].sum() >= 1 and m[1].sum() >= 1, "a replayed step needs a context and a target"
    watched = ["predictor.mask_token", "predictor.output_proj.weight", "student.vit.cls_token", "teacher.backbone.vit.cls_token", "teacher.backbone.vit.blocks.1.mlp.fc2.weight"]
    grads = ["predictor.mask_token", "predictor.context_proj.weight", "predictor.query_proj.bias", "student.vit.cls_token", "student.vit.pos_embed", "student.vit.blocks.0.attn.qkv.weight"]
    steps = sm.train(model, batches, watched, grads)
    model.eval()
    with torch.no_grad():
        embedding = model.student(sm.nchw(batches[0][0]))[:, 0]
    sm.write("ssl_salt_session19.json", {
        "config": {"img": sm.IMG, "patch": sm.P, "channels": sm.C, "dim": sm.DIM, "depth": 2, "heads": sm.HEADS, "predictorDim": PRED_DIM, "predictorDepth": PRED_DEPTH, "predictorHeads": PRED_HEADS,
                   "numTargets": NUM_TARGETS, "lr": sm.LR, "momentum": sm.MOMENTUM, "weightDecay": sm.WD},
        "initial": initial,
        "steps": steps,
        "state_after": {k: shaped(v) for k, v in model.state_dict().items()},
        "embedding": shaped(embedding),
    })
    print("context / targets per step:", [(int(m[0].sum()), int(m[1].sum())) for _, m in batches])


if __name__ == "__main__":
    main()
