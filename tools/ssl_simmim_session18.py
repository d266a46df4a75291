"""Reference numbers for test/ssl/simmim-session18.test.ts (PyTorch 1.13, float32).

A transcription, written for this test (the seed's source is not imported or copied), of
stable-pretraining's SimMIM (`methods/simmim.py`: `_random_mask`, `_encode_with_mask`, `forward`;
`backbone/patch_masking.py` `patchify` with patch size (C, p, p)) around a timm-style ViT
(tools/mae_seed_fixture.py's block; patch_embed.proj, cls_token, pos_embed, blocks, norm;
LayerNorm eps 1e-6). The ViT, the masking, the images and the training loop here are shared
with tools/ssl_data2vec_session18.py.

Tiny model: 8x8 grey images, patch 2 (16 patches of 4 pixels), width 4, depth 2, 2 heads; mask
ratio 0.6 (round(9.6) = 10 masked patches per image); the decoder Linear(4, 4). Batch 4. Three
steps of torch.optim.SGD(lr 0.05, momentum 0.9, weight_decay 1e-4). The masks are drawn as the
seed's (torch.rand, argsort) and written with each batch, so tfjax replays them.

Recorded: the initial state dict, each step's images, masks, loss and a few parameters after the
step, the first step's gradients (mask token, position embedding, decoder weight), the state dict
after the three steps, and the evaluation embedding (the class token of `forward_features`) of
the first batch after them.

Run: /usr/bin/python3 tools/ssl_simmim_session18.py -> test/fixtures/ssl_simmim_session18.json
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
from ssl_fixture_steps import as_written  # noqa: E402
from torch_fixture_helpers import shaped  # noqa: E402

with contextlib.redirect_stdout(io.StringIO()):
    from mae_seed_fixture import Block  # noqa: E402

IMG, P, C, DIM, HEADS = 8, 2, 1, 4, 2
RATIO, B, LR, MOMENTUM, WD, STEPS = 0.6, 4, 0.05, 0.9, 1e-4, 3
L = (IMG // P) ** 2


class PatchEmbed(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Conv2d(C, DIM, P, P)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class ViT(nn.Module):
    """timm's VisionTransformer(num_classes=0) parameters; `forward` is its pooled class token (the seed's evaluation path)."""

    def __init__(self, depth):
        super().__init__()
        self.patch_embed = PatchEmbed()
        self.cls_token = nn.Parameter(torch.zeros(1, 1, DIM))
        self.pos_embed = nn.Parameter(torch.zeros(1, 1 + L, DIM))
        self.blocks = nn.Sequential(*[Block(DIM, HEADS, eps=1e-6) for _ in range(depth)])
        self.norm = nn.LayerNorm(DIM, eps=1e-6)

    def forward_features(self, images):
        x = torch.cat([self.cls_token.expand(images.shape[0], -1, -1), self.patch_embed(images)], dim=1) + self.pos_embed
        return self.norm(self.blocks(x))

    def forward(self, images):
        return self.forward_features(images)[:, 0]


def encode_with_mask(vit, images, mask, mask_token):
    """`_encode_with_mask`: the mask token where mask is 1, class token, positions, blocks, norm; the patch tokens."""
    x = vit.patch_embed(images)
    if mask is not None:
        m = mask.unsqueeze(-1)
        x = x * (1 - m) + mask_token.expand_as(x) * m
    x = torch.cat([vit.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + vit.pos_embed
    return vit.norm(vit.blocks(x))[:, 1:]


def random_mask(rows):
    """`_random_mask`: round(L r) patches of lowest noise masked (1)."""
    n_mask = int(round(L * RATIO))
    order = torch.rand(rows, L).argsort(dim=1)
    mask = torch.zeros(rows, L)
    mask.scatter_(1, order[:, :n_mask], 1.0)
    return mask


def patchify_chw(images):
    """The seed's `patchify(images, (C, p, p))` of NCHW images: [B, L, C p p], each patch channel-major."""
    b = images.shape[0]
    g = IMG // P
    x = images.reshape(b, 1, C, g, P, g, P).permute(0, 1, 3, 5, 2, 4, 6)
    return x.reshape(b, g * g, C * P * P)


class SimMIM(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = ViT(2)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, DIM))
        self.decoder = nn.Linear(DIM, P * P * C)

    def forward(self, images, mask):
        pred = self.decoder(encode_with_mask(self.encoder, images, mask, self.mask_token))
        per = F.l1_loss(pred, patchify_chw(images), reduction="none").mean(dim=-1)
        return (per * mask).sum() / mask.sum().clamp(min=1.0)


def images(n):
    """NHWC images of 32nds in [-1, 1) (exact in float32 and short in JSON)."""
    return torch.randint(-32, 32, (n, IMG, IMG, C)).float() / 32


def nchw(x):
    return x.permute(0, 3, 1, 2)


@torch.no_grad()
def init_weights(model, weights=0.5, patch=1.0):
    """Multiples of 1/64 (short, exact as written); LayerNorm weights around 1, the rest small (matrices of scale `weights`)."""
    for name, p in model.named_parameters():
        if ".teacher." in name:
            continue
        offset = 1.0 if "norm" in name and name.endswith("weight") else 0.0
        scale = 0.05 if name.endswith(("cls_token", "pos_embed")) or p.dim() == 1 else patch if "patch_embed" in name else weights
        p.copy_(as_written(offset + torch.round(scale * torch.randn(p.shape) * 64) / 64))


def train(model, batches, watched, grad_names, after_step=lambda: None, extra=lambda out: {}):
    """Three SGD steps; per step: images, masks, loss (+ `extra`), the watched entries after it; the first step's gradients."""
    params = dict(model.named_parameters())
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=LR, momentum=MOMENTUM, weight_decay=WD)
    steps = []
    for x, mask in batches:
        opt.zero_grad()
        out = model(nchw(x), mask)
        loss = out[0] if isinstance(out, tuple) else out
        loss.backward()
        grads = {k: shaped(params[k].grad) for k in grad_names} if not steps else None
        opt.step()
        after_step()
        sd = model.state_dict()
        steps.append({"images": shaped(x), "masks": shaped(mask), "loss": loss.item(), **extra(out), **({"grads": grads} if grads else {}), "after": {k: shaped(sd[k]) for k in watched}})
    return steps


def write(name, out):
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", name)
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print(path, os.path.getsize(path), "bytes; losses", [round(s["loss"], 6) for s in out["steps"]])


def main():
    torch.manual_seed(18)
    model = SimMIM()
    init_weights(model)
    initial = {k: shaped(v) for k, v in model.state_dict().items()}
    batches = [(images(B), random_mask(B)) for _ in range(STEPS)]
    steps = train(model, batches, ["mask_token", "decoder.weight", "encoder.cls_token"], ["mask_token", "encoder.pos_embed", "decoder.weight"])
    with torch.no_grad():
        embedding = model.encoder(nchw(batches[0][0]))
    write("ssl_simmim_session18.json", {
        "config": {"img": IMG, "patch": P, "channels": C, "dim": DIM, "depth": 2, "heads": HEADS, "maskRatio": RATIO, "lr": LR, "momentum": MOMENTUM, "weightDecay": WD},
        "initial": initial,
        "steps": steps,
        "state_after": {k: shaped(v) for k, v in model.state_dict().items()},
        "embedding": shaped(embedding),
    })


if __name__ == "__main__":
    main()
