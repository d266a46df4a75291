"""Reference numbers for test/ssl/ijepa-session18.test.ts (PyTorch 1.13, float32).

A transcription, written for this test, of stable-pretraining's I-JEPA (`methods/ijepa.py`: the
`_encode` of the context and target encoders, the teacher's extra affine-free LayerNorm, the
predictor call with all-masked queries, smooth L1 with beta 1) with its parts
(`backbone/vit.py` `MaskedEncoder`, `FlexibleTransformer` in joint-attention mode with
`add_mask_token`, `TransformerBlock`; `backbone/patch_masking.py` `IJEPAMasking` in training mode;
`backbone/utils.py` `TeacherStudentWrapper`, as tools/seed_formulas.py's `EmaWrapper`), around a
timm-style ViT (no timm here; tools/mae_seed_fixture.py's block). The seed's source is not imported
or copied. The masks are drawn here with torch's generator, as the seed does, and written out as
indices, so the TypeScript side replays them.

Tiny model: 16x16 grey images, patch 4 (16 patches), encoder width 16, 2 blocks, 2 heads; predictor
width 8, 1 block, max(1, 8 // 64) = 1 head; 2 targets (4 of the seed's would cover the 16 patches) of scale [0.15, 0.2], aspect [0.75, 1.5],
context scale [0.85, 1]; batch 4. The student and the teacher start from different closed-formula
weights (`det`, rounded to float32), so the fixture stores no initial weights. Three steps of
torch.optim.SGD(lr=0.05, momentum=0.9, weight_decay=1e-4) over the student and the predictor, each
followed by the teacher's EMA with the cosine 0.9 -> 1 over 3 steps. Recorded: each step's indices
and loss; after the last step every state-dict entry (whole when small, else its first 8 values,
its dot product with cos(0.37 i + 0.1) and its sum of squares); the student's pooled features.

Run: /usr/bin/python3 tools/ssl_ijepa_session18.py -> test/fixtures/ssl_ijepa_session18.json
"""

import json
import math
import os
import sys

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mae_seed_fixture import Block, det, init_spec, sincos_2d  # noqa: E402
from seed_formulas import EmaWrapper  # noqa: E402
from torch_fixture_helpers import cot  # noqa: E402

IMG, P, C, DIM, DEPTH, HEADS = 16, 4, 1, 16, 2, 2
PRED_DIM, PRED_DEPTH = 8, 1
PRED_HEADS = max(1, PRED_DIM // 64)
NUM_TARGETS, TARGET_SCALE, ASPECT, CONTEXT_SCALE = 2, (0.15, 0.2), (0.75, 1.5), (0.85, 1.0)
B, LR, MOMENTUM, WD, STEPS, EMA = 4, 0.05, 0.9, 1e-4, 3, (0.9, 1.0)
GRID = IMG // P
L = GRID * GRID


class PatchEmbed(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Conv2d(C, DIM, P, P)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class ViT(nn.Module):
    def __init__(self):
        super().__init__()
        self.patch_embed = PatchEmbed()
        self.cls_token = nn.Parameter(torch.zeros(1, 1, DIM))
        self.pos_embed = nn.Parameter(torch.zeros(1, 1 + L, DIM))
        self.blocks = nn.Sequential(*[Block(DIM, HEADS, 1e-6) for _ in range(DEPTH)])
        self.norm = nn.LayerNorm(DIM, eps=1e-6)


class MaskedEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.vit = ViT()
        self.patch_embed = self.vit.patch_embed  # registered twice, as the seed's


def gather(x, idx):
    return torch.gather(x, 1, idx.unsqueeze(-1).expand(-1, -1, x.shape[-1]))


def encode(enc, patches, idx):
    """IJEPA._encode: + patch position embedding, gather, blocks, norm (no class token)."""
    return enc.vit.norm(enc.vit.blocks(gather(patches + enc.vit.pos_embed[:, 1:], idx)))


class Predictor(nn.Module):
    """FlexibleTransformer: joint attention, add_mask_token, no prefix tokens, sincos_2d, zero_init_output off."""

    def __init__(self):
        super().__init__()
        self.context_proj = nn.Linear(DIM, PRED_DIM)
        self.query_proj = nn.Linear(DIM, PRED_DIM)
        self.output_proj = nn.Linear(PRED_DIM, DIM)
        self.register_buffer("pos_embed", sincos_2d(PRED_DIM, GRID).unsqueeze(0))
        self.mask_token = nn.Parameter(torch.zeros(1, 1, PRED_DIM))
        self.blocks = nn.ModuleList([Block(PRED_DIM, PRED_HEADS, 1e-5) for _ in range(PRED_DEPTH)])
        self.final_norm = nn.LayerNorm(PRED_DIM)

    def forward(self, context, queries, context_idx, query_idx, query_mask):
        pos = self.pos_embed.expand(context.shape[0], -1, -1)
        context = self.context_proj(context) + gather(pos, context_idx)
        queries = self.query_proj(queries)
        queries = torch.where(query_mask.unsqueeze(-1), self.mask_token.expand_as(queries), queries)
        queries = queries + gather(pos, query_idx)
        x = torch.cat([context, queries], dim=1)
        for blk in self.blocks:
            x = blk(x)
        return self.output_proj(self.final_norm(x)[:, -queries.shape[1]:])


def block_params():
    """IJEPAMasking._sample_block_params."""
    scale = torch.empty(1).uniform_(*TARGET_SCALE).item()
    log_ar = torch.empty(1).uniform_(torch.tensor(ASPECT[0]).log().item(), torch.tensor(ASPECT[1]).log().item()).item()
    ar = torch.tensor(log_ar).exp().item()
    area = L * scale
    h = max(1, min(int(round((area / ar) ** 0.5)), GRID))
    w = max(1, min(int(round((area * ar) ** 0.5)), GRID))
    top = torch.randint(0, max(1, GRID - h + 1), (1,)).item()
    left = torch.randint(0, max(1, GRID - w + 1), (1,)).item()
    return top, left, h, w


def ijepa_masks():
    """IJEPAMasking.forward in training mode: (context_idx [B, Nc], target_idx [B, Nt])."""
    combined = torch.zeros(GRID, GRID, dtype=torch.bool)
    for _ in range(NUM_TARGETS):
        for _ in range(100):
            top, left, h, w = block_params()
            cand = torch.zeros(GRID, GRID, dtype=torch.bool)
            cand[top:top + h, left:left + w] = True
            if not (cand & combined).any():
                combined |= cand
                break
    flat = combined.flatten()
    target_idx = flat.nonzero(as_tuple=True)[0].unsqueeze(0).expand(B, -1)
    available = (~flat).nonzero(as_tuple=True)[0]
    if len(available) == 0:
        return torch.arange(L).unsqueeze(0).expand(B, -1), target_idx
    n_context = max(1, int(len(available) * torch.empty(1).uniform_(*CONTEXT_SCALE).item()))
    rows = [available[torch.randperm(len(available))[:n_context]].sort().values for _ in range(B)]
    return torch.stack(rows), target_idx


class IJEPA(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = EmaWrapper(MaskedEncoder(), *EMA)
        self.predictor = Predictor()

    def forward(self, images, context_idx, target_idx):
        s, t = self.encoder.student, self.encoder.teacher
        context = encode(s, s.patch_embed(images), context_idx)
        with torch.no_grad():
            full = encode(t, t.patch_embed(images), torch.arange(L).unsqueeze(0).expand(images.shape[0], -1))
            targets = gather(F.layer_norm(full, [DIM]), target_idx)
        queries = torch.zeros(images.shape[0], target_idx.shape[1], DIM)
        pred = self.predictor(context, queries, context_idx, target_idx, torch.ones(images.shape[0], target_idx.shape[1], dtype=torch.bool))
        return F.smooth_l1_loss(pred, targets, beta=1.0)


def g7(values):
    """Floats at 7 significant digits (float32's precision)."""
    return [float(f"{v:.7g}") for v in values]


def summary(v):
    """A state entry as the fixture writes it: whole when small, else head / dot with cot / sum of squares."""
    flat = v.detach().double().flatten()
    if flat.numel() <= 32:
        return {"data": g7(flat.tolist()), "shape": list(v.shape)}
    dot, sq = g7([float((flat * cot(flat)).sum()), float((flat * flat).sum())])
    return {"head": g7(flat[:8].tolist()), "dot": dot, "sq": sq, "shape": list(v.shape)}


def main():
    torch.manual_seed(18)
    model = IJEPA()
    spec = []
    with torch.no_grad():
        named = dict(model.named_parameters())  # the teacher's too (frozen, yet parameters); the shared patch embedding once
        for seed, (name, p) in enumerate(sorted(named.items())):
            offset, scale = init_spec(name, p.shape)
            p.copy_(det(list(p.shape), seed + 1, offset, scale))
            spec.append({"name": name, "shape": list(p.shape), "seed": seed + 1, "offset": offset, "scale": scale})
    images = [det([B, IMG, IMG, C], 100 + s, 0.5, 0.5) for s in range(STEPS)]  # NHWC, as tfjax
    trained = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.SGD(trained, lr=LR, momentum=MOMENTUM, weight_decay=WD)
    steps = []
    for s in range(STEPS):
        context_idx, target_idx = ijepa_masks()
        opt.zero_grad()
        loss = model(images[s].permute(0, 3, 1, 2).contiguous(), context_idx, target_idx)
        loss.backward()
        opt.step()
        model.encoder.set_epoch(s, STEPS)
        model.encoder.ema()
        steps.append({"contextIdx": context_idx.tolist(), "targetIdx": target_idx.tolist(), "loss": g7([loss.item()])[0]})
    with torch.no_grad():
        st = model.encoder.student
        feats = encode(st, st.patch_embed(images[0].permute(0, 3, 1, 2)), torch.arange(L).unsqueeze(0).expand(B, -1)).mean(dim=1)
    sd = model.state_dict()
    out = {
        "config": {"img": IMG, "patch": P, "channels": C, "dim": DIM, "depth": DEPTH, "heads": HEADS, "predictorDim": PRED_DIM, "predictorDepth": PRED_DEPTH, "batch": B, "lr": LR, "momentum": MOMENTUM, "weightDecay": WD, "ema": [*EMA, STEPS]},
        "params": spec,
        "state_dict": {k: list(v.shape) for k, v in sd.items()},
        "steps": steps,
        "after": {k: summary(v) for k, v in sd.items()},
        "embedding": g7(feats.flatten().tolist()),
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "ssl_ijepa_session18.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print(path, os.path.getsize(path), "bytes; losses", [round(s["loss"], 6) for s in steps], "targets", [len(s["targetIdx"][0]) for s in steps], "context", [len(s["contextIdx"][0]) for s in steps])


if __name__ == "__main__":
    main()
