"""Reference numbers for test/nn/pos-resize-session20.test.ts (PyTorch 1.13, float32).

1. F.interpolate(..., antialias=True) (PyTorch's antialiased bilinear and bicubic, PIL's
   filters) on NCHW inputs: upsampling, downsampling, mixed, a large shrink, align_corners=True,
   scale_factor; each case's output and the gradient of sum(y * cot) w.r.t. the input (cot the
   fixed cotangent of torch_fixture_helpers), written channels-last.
2. timm's ViT with dynamic_img_size=True: `_pos_embed` resamples the grid part of pos_embed with
   `resample_abs_pos_embed` (a transcription written for this test, timm not imported: reshape to
   [1, g, g, D], permute to NCHW, F.interpolate(size=new grid, mode='bicubic', antialias=True),
   back; unchanged at the native grid). Tiny ViT (tools/mae_seed_fixture.py's timm block, eps
   1e-6): 8x8 grey images, patch 2 (native grid 4x4), width 8, depth 1, 2 heads; the final-norm'd
   class token of images 12x12 (grid 6x6), 4x4 (2x2), 12x6 (6x3) and 8x8, and the gradient of
   sum(cls * cot) w.r.t. pos_embed.

Values are written at 9 significant digits (float32 round-trips), so the test can hold them to
float32 rounding. Run: /usr/bin/python3 tools/vit_pos_resize_session20.py
-> test/fixtures/vit_pos_resize_session20.json
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
from torch_fixture_helpers import cot  # noqa: E402

with contextlib.redirect_stdout(io.StringIO()):
    from mae_seed_fixture import Block  # noqa: E402

torch.manual_seed(20)


def values(t):
    """A float32 tensor's values, row-major, at 9 significant digits (each float32 read back exactly)."""
    return [float(f"{v:.9g}") for v in t.detach().reshape(-1).tolist()]


def nhwc(t):
    t = t.detach().permute(0, 2, 3, 1)
    return {"data": values(t), "shape": list(t.shape)}


def interp_case(shape, **opts):
    x = torch.randn(*shape, requires_grad=True)
    y = F.interpolate(x, antialias=True, **opts)
    (g,) = torch.autograd.grad((y * cot(y)).sum(), [x])
    return {"options": opts, "x": nhwc(x), "y": nhwc(y), "dx": nhwc(g)}


CASES = [
    interp_case((1, 2, 4, 4), size=(6, 6), mode="bilinear", align_corners=False),
    interp_case((1, 2, 4, 4), size=(6, 6), mode="bicubic", align_corners=False),
    interp_case((1, 1, 6, 6), size=(4, 4), mode="bilinear", align_corners=False),
    interp_case((1, 1, 6, 6), size=(4, 4), mode="bicubic", align_corners=False),
    interp_case((1, 3, 5, 7), size=(3, 9), mode="bicubic", align_corners=False),
    interp_case((1, 3, 5, 7), size=(8, 2), mode="bilinear", align_corners=False),
    interp_case((1, 1, 14, 14), size=(2, 3), mode="bicubic", align_corners=False),
    interp_case((1, 2, 5, 6), size=(3, 9), mode="bicubic", align_corners=True),
    interp_case((1, 2, 5, 6), size=(9, 4), mode="bilinear", align_corners=True),
    interp_case((1, 2, 5, 6), scale_factor=0.6, mode="bicubic", align_corners=False),
    interp_case((1, 2, 4, 5), scale_factor=(1.5, 0.7), mode="bilinear", align_corners=False),
    interp_case((1, 1, 3, 3), size=(1, 1), mode="bicubic", align_corners=False),
]

IMG, P, C, DIM, DEPTH, HEADS = 8, 2, 1, 8, 1, 2
GRID = IMG // P


def resample_abs_pos_embed(posemb, new_size, old_size, num_prefix_tokens=1):
    """timm's resample_abs_pos_embed (interpolation 'bicubic', antialias True)."""
    if tuple(new_size) == tuple(old_size):
        return posemb
    prefix, grid = posemb[:, :num_prefix_tokens], posemb[:, num_prefix_tokens:]
    d = posemb.shape[-1]
    grid = grid.reshape(1, old_size[0], old_size[1], d).permute(0, 3, 1, 2)
    grid = F.interpolate(grid, size=new_size, mode="bicubic", antialias=True)
    grid = grid.permute(0, 2, 3, 1).reshape(1, -1, d)
    return torch.cat([prefix, grid], dim=1)


class PatchEmbed(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Conv2d(C, DIM, P, P)

    def forward(self, x):
        return self.proj(x).permute(0, 2, 3, 1)  # timm's dynamic_img_size: [B, H', W', D]


class ViT(nn.Module):
    def __init__(self):
        super().__init__()
        self.patch_embed = PatchEmbed()
        self.cls_token = nn.Parameter(torch.randn(1, 1, DIM) * 0.5)
        self.pos_embed = nn.Parameter(torch.randn(1, 1 + GRID * GRID, DIM))
        self.blocks = nn.Sequential(*[Block(DIM, HEADS, 1e-6) for _ in range(DEPTH)])
        self.norm = nn.LayerNorm(DIM, eps=1e-6)

    def forward(self, images):
        x = self.patch_embed(images)
        b, h, w, d = x.shape
        pos = resample_abs_pos_embed(self.pos_embed, (h, w), (GRID, GRID))
        x = torch.cat([self.cls_token.expand(b, -1, -1), x.reshape(b, h * w, d)], dim=1) + pos
        return self.norm(self.blocks(x))[:, 0]


vit = ViT()
state = {k: {"data": values(v), "shape": list(v.shape)} for k, v in vit.state_dict().items()}
runs = []
for h, w in [(12, 12), (4, 4), (12, 6), (8, 8)]:
    images = torch.randn(2, C, h, w)
    vit.zero_grad()
    y = vit(images)
    (y * cot(y)).sum().backward()
    runs.append({"images": nhwc(images), "cls": {"data": values(y), "shape": list(y.shape)},
                 "dPosEmbed": {"data": values(vit.pos_embed.grad), "shape": list(vit.pos_embed.shape)}})

out = {"torch": torch.__version__, "interpolate": CASES,
       "vit": {"imgSize": IMG, "patchSize": P, "inChannels": C, "embedDim": DIM, "depth": DEPTH, "numHeads": HEADS, "state": state, "runs": runs}}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "vit_pos_resize_session20.json")
with open(path, "w") as f:
    json.dump(out, f)
print(path, os.path.getsize(path), "bytes")
