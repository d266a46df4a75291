"""Reference numbers for test/ssl/mae-method.test.ts (PyTorch 1.13, float32).

A transcription, written for this test, of stable-pretraining's MAE (`methods/mae.py`) with
its parts (`backbone/vit.py` `MaskedEncoder`, `MAEDecoder`, `FlexibleTransformer`,
`TransformerBlock`; `backbone/patch_masking.py` `PatchMasking` with block_size=1 and
`patchify`; `backbone/pos_embed.py` `get_2d_sincos_pos_embed`; `losses/reconstruction.py`
`MAELoss`), around a timm-style ViT (no timm here: patch_embed.proj, cls_token, pos_embed,
blocks.{i}.{norm1, attn.qkv, attn.proj, norm2, mlp.fc1, mlp.fc2}, norm; LayerNorm eps 1e-6).
The seed's source is not imported or copied. The masking takes its noise as an input (the
seed draws it with torch.rand(B, N)), so the TypeScript side replays the same masks.

Tiny model: 8x8 RGB images, patch 2 (16 patches of 12 values), encoder width 8, depth 2,
2 heads; decoder width 8, depth 1, 2 heads; mask ratio 0.75 (12 masked, 4 kept);
norm_pix_loss on; batch 2. Parameters start from a closed formula both sides compute
(`det` below, rounded to float32), so the fixture stores no initial weights. Three steps of
torch.optim.SGD(lr=0.05, momentum=0.9). Recorded: the state dict's names and shapes (the
seed's module layout), each step's noise and loss, a few parameters after the last step, the
decoder's pos_embed buffer, and the no-mask encoder's pooled features of the first batch.

Run: /usr/bin/python3 tools/mae_seed_fixture.py -> test/fixtures/mae_seed.json
"""

import json
import math
import os

import torch
import torch.nn.functional as F
from torch import nn

IMG, P, C, DIM, DEPTH, HEADS = 8, 2, 3, 8, 2, 2
DEC_DIM, DEC_DEPTH, DEC_HEADS, RATIO, B, LR, MOMENTUM, STEPS = 8, 1, 2, 0.75, 2, 0.05, 0.9, 3
GRID = IMG // P


def det(shape, seed, offset=0.0, scale=1.0):
    """offset + scale * sin(0.37 (i + 1) + 1.3 seed) over the flat index i, as float32."""
    n = math.prod(shape)
    vals = [offset + scale * math.sin(0.37 * (i + 1) + 1.3 * seed) for i in range(n)]
    return torch.tensor(vals, dtype=torch.float32).reshape(shape)


def attention(x, qkv, proj, heads):
    b, n, c = x.shape
    q, k, v = qkv(x).reshape(b, n, 3, heads, c // heads).permute(2, 0, 3, 1, 4).unbind(0)
    a = torch.softmax(q @ k.transpose(-2, -1) * (c // heads) ** -0.5, dim=-1)
    return proj((a @ v).transpose(1, 2).reshape(b, n, c))


class Attn(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads, self.qkv, self.proj = heads, nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)

    def forward(self, x):
        return attention(x, self.qkv, self.proj, self.heads)


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(dim, hidden), nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class Block(nn.Module):
    """timm's ViT block (eps 1e-6) or the seed's TransformerBlock (eps 1e-5): norm1, attn, norm2, mlp.
    (The seed's block named its MLP norm `norm3` before May 2026, commit 15058f23.)"""

    def __init__(self, dim, heads, eps):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=eps)
        self.attn = Attn(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=eps)
        self.mlp = Mlp(dim, 4 * dim)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


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
        self.pos_embed = nn.Parameter(torch.zeros(1, 1 + GRID * GRID, DIM))
        self.blocks = nn.Sequential(*[Block(DIM, HEADS, 1e-6) for _ in range(DEPTH)])
        self.norm = nn.LayerNorm(DIM, eps=1e-6)


def masking(x, noise):
    """PatchMasking.forward (random, training) with the noise given."""
    b, n, d = x.shape
    num_keep = n - int(n * RATIO)
    ids_shuffle = torch.argsort(noise, dim=1)
    ids_restore = torch.argsort(ids_shuffle, dim=1)
    ids_keep = ids_shuffle[:, :num_keep]
    visible = torch.gather(x, 1, ids_keep.unsqueeze(-1).expand(-1, -1, d))
    mask = torch.ones(b, n)
    mask[:, :num_keep] = 0
    return visible, torch.gather(mask, 1, ids_restore), ids_keep


class MaskedEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.vit = ViT()
        self.patch_embed = self.vit.patch_embed  # registered twice, as the seed's

    def forward(self, images, noise=None):
        x = self.patch_embed(images) + self.vit.pos_embed[:, 1:]
        b, n, _ = x.shape
        if noise is None:
            mask, ids_keep = torch.zeros(b, n), torch.arange(n).unsqueeze(0).expand(b, -1)
        else:
            x, mask, ids_keep = masking(x, noise)
        cls = (self.vit.cls_token + self.vit.pos_embed[:, :1]).expand(b, -1, -1)
        x = self.vit.norm(self.vit.blocks(torch.cat([cls, x], dim=1)))
        return x, mask, ids_keep


def sincos_2d(dim, grid):
    gy, gx = torch.meshgrid(torch.arange(grid, dtype=torch.float32), torch.arange(grid, dtype=torch.float32), indexing="ij")
    g = torch.stack([gy, gx], dim=-1).reshape(-1, 2)
    d = dim // 4
    omega = 1.0 / (10000 ** (torch.arange(d, dtype=torch.float32) / d))
    oh, ow = g[:, 0:1] @ omega.unsqueeze(0), g[:, 1:2] @ omega.unsqueeze(0)
    return torch.cat([torch.sin(oh), torch.cos(oh), torch.sin(ow), torch.cos(ow)], dim=1)


class FlexibleTransformer(nn.Module):
    """Joint self-attention mode, no prefix tokens, no registers, sincos_2d positions."""

    def __init__(self):
        super().__init__()
        self.context_proj = nn.Linear(DIM, DEC_DIM)
        self.query_proj = nn.Linear(DIM, DEC_DIM)
        self.output_proj = nn.Linear(DEC_DIM, C * P * P)
        self.register_buffer("pos_embed", sincos_2d(DEC_DIM, GRID).unsqueeze(0))
        self.blocks = nn.ModuleList([Block(DEC_DIM, DEC_HEADS, 1e-5) for _ in range(DEC_DEPTH)])
        self.final_norm = nn.LayerNorm(DEC_DIM)

    def gather_pos(self, idx):
        return torch.gather(self.pos_embed.expand(idx.shape[0], -1, -1), 1, idx.unsqueeze(-1).expand(-1, -1, DEC_DIM))

    def forward(self, context, queries, context_idx, query_idx):
        context = self.context_proj(context) + self.gather_pos(context_idx)
        queries = self.query_proj(queries) + self.gather_pos(query_idx)
        x = torch.cat([context, queries], dim=1)
        for blk in self.blocks:
            x = blk(x)
        x = self.final_norm(x)
        out = torch.empty(x.shape[0], context.shape[1] + queries.shape[1], DEC_DIM)
        out = out.scatter(1, context_idx.unsqueeze(-1).expand(-1, -1, DEC_DIM), x[:, : context.shape[1]])
        out = out.scatter(1, query_idx.unsqueeze(-1).expand(-1, -1, DEC_DIM), x[:, context.shape[1] :])
        return self.output_proj(out)


class MAEDecoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.mask_token = nn.Parameter(torch.zeros(1, 1, DIM))
        self.transformer = FlexibleTransformer()

    def forward(self, x, mask, ids_keep):
        b, t = mask.shape
        n_vis = int((mask == 0).sum(dim=1)[0])
        order = torch.sort(mask.int(), dim=1, stable=True).indices
        queries = self.mask_token.expand(b, t - n_vis, -1)
        return self.transformer(x, queries, ids_keep, order[:, n_vis:])


def patchify(imgs):
    """MAELoss.patchify: patchify(imgs, (C, p, p)) over (N, C, H, W) -> (N, T, C p p)."""
    n = imgs.shape[0]
    x = imgs.reshape(n, 1, C, GRID, P, GRID, P).permute(0, 1, 3, 5, 2, 4, 6)
    return x.reshape(n, GRID * GRID, C * P * P)


def mae_loss(pred, imgs, mask):
    target = patchify(imgs)
    mean, var = target.mean(dim=-1, keepdim=True), target.var(dim=-1, keepdim=True)
    target = (target - mean) / (var + 1e-6).sqrt()
    per = (pred - target).pow(2).mean(dim=-1)
    return (per * mask).sum() / mask.sum()


class MAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = MaskedEncoder()
        self.decoder = MAEDecoder()

    def forward(self, images, noise):
        encoded, mask, ids_keep = self.encoder(images, noise)
        pred = self.decoder(encoded[:, 1:], mask, ids_keep)
        return mae_loss(pred, images, mask)


def init_spec(name, shape):
    """The closed-form start of each parameter: (offset, scale) by kind."""
    if "norm" in name and name.endswith("weight"):
        return 1.0, 0.1
    if name.endswith("bias"):
        return 0.0, 0.05
    if name.endswith("pos_embed") or name.endswith("cls_token") or name.endswith("mask_token"):
        return 0.0, 0.1
    return 0.0, 0.4


def main():
    torch.manual_seed(0)
    model = MAE()
    params = dict(model.named_parameters())  # no duplicates: the shared patch embedding once
    spec = []
    with torch.no_grad():
        for seed, (name, p) in enumerate(sorted(params.items())):
            offset, scale = init_spec(name, p.shape)
            p.copy_(det(list(p.shape), seed + 1, offset, scale))
            spec.append({"name": name, "shape": list(p.shape), "seed": seed + 1, "offset": offset, "scale": scale})
    state_dict = {k: list(v.shape) for k, v in model.state_dict().items()}
    images = [det([B, IMG, IMG, C], 100 + s, 0.5, 0.5) for s in range(STEPS)]  # NHWC, as tfjax
    with torch.no_grad():
        feats, _, _ = model.encoder(images[0].permute(0, 3, 1, 2))
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    steps = []
    for s in range(STEPS):
        noise = torch.rand(B, GRID * GRID)
        opt.zero_grad()
        loss = model(images[s].permute(0, 3, 1, 2).contiguous(), noise)
        loss.backward()
        opt.step()
        steps.append({"noise": noise.flatten().tolist(), "loss": loss.item()})
    watched = [
        "decoder.mask_token",
        "encoder.vit.cls_token",
        "encoder.vit.blocks.0.attn.qkv.bias",
        "encoder.vit.patch_embed.proj.bias",
        "decoder.transformer.output_proj.bias",
        "decoder.transformer.query_proj.bias",
        "decoder.transformer.blocks.0.norm2.weight",
    ]
    sd = model.state_dict()
    out = {
        "config": {"img": IMG, "patch": P, "channels": C, "dim": DIM, "depth": DEPTH, "heads": HEADS, "decoderDim": DEC_DIM, "decoderDepth": DEC_DEPTH, "decoderHeads": DEC_HEADS, "maskRatio": RATIO, "batch": B, "lr": LR, "momentum": MOMENTUM},
        "params": spec,
        "state_dict": state_dict,
        "steps": steps,
        "after": {k: sd[k].flatten().tolist() for k in watched},
        "decoder_pos_embed": sd["decoder.transformer.pos_embed"].flatten().tolist(),
        "features_mean_patches": feats[:, 1:].mean(dim=1).flatten().tolist(),
        "features_cls": feats[:, 0].flatten().tolist(),
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "mae_seed.json")
    with open(path, "w") as f:
        json.dump(out, f)
    print(path, os.path.getsize(path), "bytes; losses", [round(s["loss"], 6) for s in steps])


if __name__ == "__main__":
    main()
