"""Reference numbers for test/ssl/vicregl-session18.test.ts (PyTorch 1.13, float32).

A transcription, written for this test (not imported or copied), of stable-pretraining's (the
seed's) `methods/vicregl.py` `VICRegL.forward(view1, view2)`:

- `f = encoder.forward_features(view)` for each view (a timm-style ViT: every token after the final
  norm); `cls, patches = f[:, 0], f[:, 1:]`;
- `z = projector_global(cls)` per view (Linear-BN-ReLU-Linear-BN-ReLU-Linear without bias), the
  seed's `VICRegLoss(z1, z2)` (sim 25, std 25, cov 1: tools/ssl_seed_session14.py's `vicreg`);
- `zl = projector_local(patches as [B N, D])` per view, viewed [B, N, d]; for every patch of view 1
  the patch of view 2 with the largest cosine (`F.normalize`, `argmax`), `gather`, then
  `VICRegLoss(zl1 as [B N, d], zl2 matched as [B N, d])`;
- `loss = alpha * global + (1 - alpha) * local`.

The ViT is tools/mae_seed_fixture.py's (timm's names; 8x8 RGB images, patch 2: 16 patches, width 8,
depth 2, 2 heads); projectors 12-12-12; alpha 0.7 (the seed's default is 0.75); batch 8. Parameters
and images are JAX's `random.uniform(key(seed), shape, lo, hi)` (tools/jax_threefry_reference.py's
`uniform32`, bit-exact), so the fixture stores the seeds and bounds, not the weights. Three steps
of torch.optim.SGD(lr=0.05, momentum=0.9, weight_decay=1e-4). Recorded: each step's loss, global
and local terms, the nearest-neighbour indices of step 1 and the smallest margin between the best
and the second-best cosine over the three steps (so a float32 rounding cannot flip a match), the
state dict's names and shapes, the BatchNorm buffers at the start, and every entry after 3 steps.

Run: /usr/bin/python3 tools/ssl_vicregl_session18.py -> test/fixtures/ssl_vicregl_session18.json
"""

import contextlib
import io
import json
import math
import os
import sys

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mae_seed_fixture import C, IMG, ViT  # noqa: E402
from ssl_seed_session14 import vicreg  # noqa: E402
from torch_fixture_helpers import flat, shaped  # noqa: E402

with contextlib.redirect_stdout(io.StringIO()):
    from jax_threefry_reference import seed_key, uniform32  # noqa: E402

B, PROJ, ALPHA, LR, MOMENTUM, WD, STEPS = 8, 12, 0.7, 0.05, 0.9, 1e-4, 3


def projector(in_dim, dim):
    """The seed's `_projector(in_dim, dim, dim)`."""
    return nn.Sequential(
        nn.Linear(in_dim, dim), nn.BatchNorm1d(dim), nn.ReLU(),
        nn.Linear(dim, dim), nn.BatchNorm1d(dim), nn.ReLU(),
        nn.Linear(dim, dim, bias=False),
    )


def forward_features(vit, images):
    """timm's VisionTransformer.forward_features on NCHW images: [B, 1 + N, D]."""
    x = vit.patch_embed(images) + vit.pos_embed[:, 1:]
    cls = (vit.cls_token + vit.pos_embed[:, :1]).expand(x.shape[0], -1, -1)
    return vit.norm(vit.blocks(torch.cat([cls, x], dim=1)))


class VICRegL(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = ViT()
        dim = self.encoder.norm.normalized_shape[0]
        self.projector_global = projector(dim, PROJ)
        self.projector_local = projector(dim, PROJ)

    def forward(self, view1, view2):
        f1, f2 = forward_features(self.encoder, view1), forward_features(self.encoder, view2)
        cls1, p1, cls2, p2 = f1[:, 0], f1[:, 1:], f2[:, 0], f2[:, 1:]
        loss_global = vicreg(self.projector_global(cls1), self.projector_global(cls2))
        b, n, d = p1.shape
        zl1 = self.projector_local(p1.reshape(b * n, d)).view(b, n, -1)
        zl2 = self.projector_local(p2.reshape(b * n, d)).view(b, n, -1)
        sim = F.normalize(zl1, dim=-1) @ F.normalize(zl2, dim=-1).transpose(1, 2)
        idx = sim.argmax(dim=-1)
        aligned = torch.gather(zl2, 1, idx.unsqueeze(-1).expand(-1, -1, zl2.shape[-1]))
        loss_local = vicreg(zl1.reshape(b * n, -1), aligned.reshape(b * n, -1))
        top2 = sim.topk(2, dim=-1).values
        margin = float((top2[..., 0] - top2[..., 1]).min())
        return ALPHA * loss_global + (1 - ALPHA) * loss_local, loss_global, loss_local, idx, margin


def bounds(name, shape):
    """The uniform range of each parameter's start, by kind."""
    if name.endswith("weight") and len(shape) == 1:  # LayerNorm and BatchNorm scales
        return 0.8, 1.2
    if name.endswith("bias") or name.endswith("cls_token") or name.endswith("pos_embed"):
        return -0.1, 0.1
    a = 1 / math.sqrt(math.prod(shape[1:]))  # fan_in of Linear [out, in] and Conv2d [out, in, k, k]
    return -a, a


def main():
    model = VICRegL()
    spec = []
    with torch.no_grad():
        for seed, (name, p) in enumerate(sorted(model.named_parameters())):
            lo, hi = bounds(name, list(p.shape))
            p.copy_(torch.tensor(uniform32(seed_key(seed + 1), tuple(p.shape), lo, hi)))
            spec.append({"name": name, "shape": list(p.shape), "seed": seed + 1, "lo": lo, "hi": hi})
    buffers = {k: shaped(v) for k, v in model.state_dict().items() if "running" in k}
    shapes = {k: list(v.shape) for k, v in model.state_dict().items()}
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM, weight_decay=WD)
    model.train()
    steps, margin, first_idx = [], math.inf, None
    for s in range(STEPS):
        views = [torch.tensor(uniform32(seed_key(1000 + 10 * s + v), (B, IMG, IMG, C))) for v in range(2)]  # NHWC, as tfjax
        opt.zero_grad()
        loss, lg, ll, idx, m = model(*(v.permute(0, 3, 1, 2).contiguous() for v in views))
        loss.backward()
        opt.step()
        margin = min(margin, m)
        first_idx = idx if first_idx is None else first_idx
        steps.append({"viewSeeds": [1000 + 10 * s + v for v in range(2)], "loss": loss.item(), "lossGlobal": lg.item(), "lossLocal": ll.item()})
    after = {k: flat(v)[0] for k, v in model.state_dict().items() if v.dtype.is_floating_point}
    out = {
        "config": {"batch": B, "img": IMG, "channels": C, "projectorDim": PROJ, "alpha": ALPHA, "lr": LR, "momentum": MOMENTUM, "weightDecay": WD},
        "params": spec,
        "buffers": buffers,
        "state_dict": shapes,
        "steps": steps,
        "nearest_step1": flat(first_idx)[0],
        "min_margin": margin,
        "after": after,
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "ssl_vicregl_session18.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print(path, os.path.getsize(path), "bytes; losses", [round(s["loss"], 6) for s in steps], "min margin", margin)


if __name__ == "__main__":
    main()
