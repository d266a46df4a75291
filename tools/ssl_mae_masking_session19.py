"""Reference numbers for test/ssl/mae-masking-session19.test.ts (PyTorch 1.13, float32).

A transcription, written for this test, of stable-pretraining's MAE masking options
(`backbone/patch_masking.py`: `PatchMasking` with block_size > 1, i.e. `_generate_block_noise`
and `_adjust_mask_count`; `MultiBlockMasking` on `data/masking.py` `multi_block_mask`). The seed's
source is not imported or copied. The MAE model itself is tools/mae_seed_fixture.py's
transcription (imported, its sizes set to this test's): a tiny ViT (8x8 grey images, patch 2:
a 4x4 grid of 16 patches; width 4, depth 2, 2 heads), decoder width 4, depth 1, 2 heads,
norm_pix_loss on, parameters from the same closed formula, torch.optim.SGD(lr 0.05, momentum 0.9).

Recorded, with torch's global generator drawing as the seed's code does (seeded per case):
- `block_masks`: block-masking draws (centres, the excess / deficit noise, the final noise) on
  several grids, block sizes, ratios and batches, with the noise MAE sorts and the mask; flags
  say which cases over- or under-shoot and where the batch's shared stopping point differs from a
  per-sample one;
- `block_run`: 3 SGD steps of MAE(block_size=2, mask_ratio 0.75), batch 3: each step's draws,
  noise, mask and loss, and watched parameters after;
- `multiblock_run`: 3 SGD steps of MAE(masking=MultiBlockMasking()) (its defaults), batch 2:
  each step's mask (shared by the batch) and loss, and watched parameters after.

Run: /usr/bin/python3 tools/ssl_mae_masking_session19.py -> test/fixtures/ssl_mae_masking_session19.json
"""

import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mae_seed_fixture as base  # noqa: E402

for k, v in dict(IMG=8, P=2, C=1, DIM=4, DEPTH=2, HEADS=2, DEC_DIM=4, DEC_DEPTH=1, DEC_HEADS=2, GRID=4).items():
    setattr(base, k, v)
RATIO, LR, MOMENTUM, STEPS = 0.75, 0.05, 0.9, 3


# -- PatchMasking, block_size > 1 (crop_ratio 0, training) -------------------------------------

def block_noise(b, gh, gw, block, ratio):
    """PatchMasking.forward's draws and `_generate_block_noise`; returns (noise, draws, info)."""
    n = gh * gw
    num_mask = int(n * ratio)
    torch.rand(b)  # use_crop
    torch.rand(b, n)  # the random-masking noise, overwritten by the block noise
    mask = torch.zeros(b, gh, gw)
    half = block // 2
    nb = num_mask // (block * block) + 5
    cy = torch.randint(0, gh, (b, nb))
    cx = torch.randint(0, gw, (b, nb))
    rows = torch.arange(gh).view(1, 1, gh, 1)
    cols = torch.arange(gw).view(1, 1, 1, gw)
    per_sample_stop = [None] * b
    stop = nb - 1
    for i in range(nb):
        y0 = (cy[:, i].view(b, 1, 1) - half).clamp(min=0)
        y1 = (cy[:, i].view(b, 1, 1) - half + block).clamp(max=gh)
        x0 = (cx[:, i].view(b, 1, 1) - half).clamp(min=0)
        x1 = (cx[:, i].view(b, 1, 1) - half + block).clamp(max=gw)
        inb = ((rows >= y0.unsqueeze(-1)) & (rows < y1.unsqueeze(-1)) & (cols >= x0.unsqueeze(-1)) & (cols < x1.unsqueeze(-1))).squeeze(1)
        mask = torch.maximum(mask, inb.float())
        counts = mask.view(b, -1).sum(dim=1)
        for s in range(b):
            if per_sample_stop[s] is None and counts[s] >= num_mask:
                per_sample_stop[s] = i
        if (counts >= num_mask).all():
            stop = i
            break
    flat = mask.view(b, n).clone()
    laid = flat.sum(dim=1)
    draws = {"centersY": cy, "centersX": cx, "excessNoise": torch.zeros(b, n), "deficitNoise": torch.zeros(b, n)}
    # _adjust_mask_count
    excess = (flat.sum(dim=1) - num_mask).clamp(min=0).long()
    if excess.any():
        u = torch.rand(b, n)
        draws["excessNoise"] = u
        idx = (u + (1 - flat) * 2).argsort(dim=1)
        pos = torch.arange(n).unsqueeze(0).expand(b, -1)
        drop = pos < excess.unsqueeze(1)
        take = torch.gather(idx, 1, pos)
        flat.scatter_(1, take, flat.gather(1, take) * (~drop).float())
    deficit = (num_mask - flat.sum(dim=1)).clamp(min=0).long()
    if deficit.any():
        u = torch.rand(b, n)
        draws["deficitNoise"] = u
        idx = (u + flat * 2).argsort(dim=1)
        pos = torch.arange(n).unsqueeze(0).expand(b, -1)
        add = pos < deficit.unsqueeze(1)
        take = torch.gather(idx, 1, pos)
        flat.scatter_(1, take, flat.gather(1, take) + add.float())
    flat = flat.clamp(0, 1)
    u3 = torch.rand(b, n)
    draws["noise"] = u3
    noise = u3 * 0.5 + flat * 0.5
    info = {
        "excess": bool(excess.any()),
        "deficit": bool(deficit.any()),
        # Some sample reached M before the batch's stopping block (per-sample stopping would lay fewer blocks).
        "sharedStopDiffers": any(s is not None and s < stop for s in per_sample_stop),
        "laid": laid.tolist(),
    }
    return noise, draws, info


def mask_of_noise(noise, ratio):
    n = noise.shape[1]
    keep = n - int(n * ratio)
    ids_restore = noise.argsort(dim=1).argsort(dim=1)
    return (ids_restore >= keep).float()


# -- MultiBlockMasking (data/masking.py multi_block_mask) ----------------------------------------

def sample_block_size(h, w, scale, ratio):
    r = torch.rand(1).item()
    s = scale[0] + r * (scale[1] - scale[0])
    keep = int(h * w * s)
    a = ratio[0] + r * (ratio[1] - ratio[0])
    return min(int(round(math.sqrt(keep * a))), h - 1), min(int(round(math.sqrt(keep / a))), w - 1)


def sample_block_mask(h, w, size):
    bh, bw = size
    for _ in range(20):
        top = torch.randint(0, h - bh + 1, (1,)).item()
        left = torch.randint(0, w - bw + 1, (1,)).item()
        m = torch.zeros((h, w), dtype=torch.int32)
        m[top : top + bh, left : left + bw] = 1
        if m.sum() >= 1:
            return m
    return m


def multi_block_masking(b, gh, gw, num_targets=4, cs=(0.85, 1.0), ts=(0.15, 0.2), ca=(1.0, 1.0), ta=(0.75, 1.5)):
    """MultiBlockMasking.forward's mask [B, N] (1 = masked): the context block minus the targets."""
    scales, ratios = [cs] + [ts] * num_targets, [ca] + [ta] * num_targets
    sizes = {k: sample_block_size(gh, gw, *k) for k in set(zip(scales, ratios))}
    masks = [sample_block_mask(gh, gw, sizes[k]) for k in zip(scales, ratios)]
    ctx = masks[0]
    for t in masks[1:]:
        ctx = ctx * (1 - t)
    return (~ctx.flatten().bool()).float().unsqueeze(0).expand(b, -1).contiguous()


# -- MAE on those masks ------------------------------------------------------------------------

def encode_with_mask(model, images, mask):
    """MaskedEncoder.forward with a given mask [B, N] (1 = masked; the same kept count per row)."""
    enc = model.encoder
    x = enc.patch_embed(images) + enc.vit.pos_embed[:, 1:]
    b, n, d = x.shape
    ids_keep = torch.stack([row.eq(0).nonzero(as_tuple=True)[0] for row in mask])
    x = torch.gather(x, 1, ids_keep.unsqueeze(-1).expand(-1, -1, d))
    cls = (enc.vit.cls_token + enc.vit.pos_embed[:, :1]).expand(b, -1, -1)
    return enc.vit.norm(enc.vit.blocks(torch.cat([cls, x], dim=1))), ids_keep


def mae_loss_with_mask(model, images, mask):
    encoded, ids_keep = encode_with_mask(model, images, mask)
    pred = model.decoder(encoded[:, 1:], mask, ids_keep)
    return base.mae_loss(pred, images, mask)


def fresh_model():
    model = base.MAE()
    with torch.no_grad():
        for seed, (name, p) in enumerate(sorted(dict(model.named_parameters()).items())):
            offset, scale = base.init_spec(name, p.shape)
            p.copy_(base.det(list(p.shape), seed + 1, offset, scale))
    return model


WATCHED = ["decoder.mask_token", "encoder.vit.cls_token", "encoder.vit.blocks.0.attn.qkv.bias", "encoder.vit.patch_embed.proj.bias", "decoder.transformer.output_proj.bias", "decoder.transformer.query_proj.bias"]


def flat(t):
    return [round(float(v), 9) if isinstance(v, float) else v for v in t.flatten().tolist()]


def arr(t):
    return {"data": flat(t), "shape": list(t.shape)}


def run(batch, seed, masks_of):
    torch.manual_seed(seed)
    model = fresh_model()
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    steps = []
    for s in range(STEPS):
        images = base.det([batch, base.IMG, base.IMG, base.C], 200 + s, 0.5, 0.5)
        mask, extra = masks_of(batch)
        opt.zero_grad()
        loss = mae_loss_with_mask(model, images.permute(0, 3, 1, 2).contiguous(), mask)
        loss.backward()
        opt.step()
        steps.append({"mask": arr(mask), "loss": loss.item(), **extra})
    sd = model.state_dict()
    return {"steps": steps, "after": {k: sd[k].flatten().tolist() for k in WATCHED}}


def block_step(batch):
    noise, draws, info = block_noise(batch, base.GRID, base.GRID, 2, RATIO)
    return mask_of_noise(noise, RATIO), {"draws": {k: arr(v) for k, v in draws.items()}, "noise": arr(noise), "info": info}


def main():
    cases = []
    specs = [(4, 4, 2, 0.75, 3, 1), (4, 4, 3, 0.75, 3, 2), (4, 6, 2, 0.5, 4, 3), (6, 4, 3, 0.6, 4, 4), (5, 7, 2, 0.3, 4, 5), (4, 4, 5, 0.5, 2, 6), (6, 6, 4, 0.75, 3, 7), (4, 4, 2, 0.9, 3, 8), (6, 6, 3, 0.9, 2, 9)]
    for gh, gw, block, ratio, b, seed in specs:
        torch.manual_seed(seed)
        noise, draws, info = block_noise(b, gh, gw, block, ratio)
        cases.append({"gh": gh, "gw": gw, "blockSize": block, "maskRatio": ratio, "batch": b, "draws": {k: arr(v) for k, v in draws.items()}, "noise": arr(noise), "mask": arr(mask_of_noise(noise, ratio)), "info": info})
    block_run = run(3, 11, block_step)
    mb_run = run(2, 12, lambda b: (multi_block_masking(b, base.GRID, base.GRID), {}))
    out = {
        "config": {"img": base.IMG, "patch": base.P, "channels": base.C, "dim": base.DIM, "depth": base.DEPTH, "heads": base.HEADS, "decoderDim": base.DEC_DIM, "decoderDepth": base.DEC_DEPTH, "decoderHeads": base.DEC_HEADS, "maskRatio": RATIO, "lr": LR, "momentum": MOMENTUM, "blockSize": 2, "imageSeed": 200},
        "params": [{"name": name, "shape": list(p.shape), "seed": seed + 1, "offset": base.init_spec(name, p.shape)[0], "scale": base.init_spec(name, p.shape)[1]} for seed, (name, p) in enumerate(sorted(dict(fresh_model().named_parameters()).items()))],
        "block_masks": cases,
        "block_run": block_run,
        "multiblock_run": mb_run,
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "ssl_mae_masking_session19.json")
    with open(path, "w") as f:
        json.dump(out, f)
    print(path, os.path.getsize(path), "bytes")
    for c in cases:
        print(c["gh"], c["gw"], c["blockSize"], c["maskRatio"], c["info"])
    print("block run", [(s["loss"], s["info"]) for s in block_run["steps"]])
    print("multiblock run", [(s["loss"], 16 - sum(s["mask"]["data"][:16])) for s in mb_run["steps"]])


if __name__ == "__main__":
    main()
