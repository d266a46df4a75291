"""Reference numbers for test/ssl/maskfeat-session18.test.ts (PyTorch 1.13, float32).

A transcription, written for this test (the seed's source is not imported or copied), of
stable-pretraining's MaskFeat (`methods/maskfeat.py`: `_hog_per_patch`, `_random_mask`, `_encode`,
`forward`) around the timm-style ViT, masking, images and training loop of
tools/ssl_simmim_session18.py (imported; its channel count set to 2 and its mask ratio to the
seed's MaskFeat default 0.4 before anything is built).

Tiny model: 8x8 images of 2 channels, patch 2 (16 patches), width 4, depth 2, 2 heads; mask ratio
0.4 (round(6.4) = 6 masked patches per image); 9 HOG bins, the head Linear(4, 18). Batch 4. Three
steps of torch.optim.SGD(lr 0.05, momentum 0.9, weight_decay 1e-4); the seed's masks written with
each batch, so tfjax replays them.

Recorded: the initial state dict, each step's images, masks, loss and a few parameters after it,
the first step's gradients, the HOG targets of the first batch, the state dict after the three
steps, and the evaluation embedding (the class token of `forward_features`) of the first batch.
Every HOG angle of the batches is checked to lie at least 1e-4 of a bin from the bin edges (the
closest is 8e-4; float32 rounding is about 1e-6 there), so rounding cannot move a vote between bins.

Run: /usr/bin/python3 tools/ssl_maskfeat_session18.py -> test/fixtures/ssl_maskfeat_session18.json
"""

import math
import os
import sys

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ssl_simmim_session18 as sm  # noqa: E402
from torch_fixture_helpers import shaped  # noqa: E402

sm.C, sm.RATIO = 2, 0.4
BINS = 9


def gradients(images):
    """Per-channel central differences [-1, 0, 1] along the width (gx) and the height (gy), zero padding."""
    c = images.shape[1]
    kx = torch.tensor([-1.0, 0.0, 1.0]).view(1, 1, 1, 3).expand(c, 1, 1, 3)
    ky = torch.tensor([-1.0, 0.0, 1.0]).view(1, 1, 3, 1).expand(c, 1, 3, 1)
    return F.conv2d(images, kx, padding=(0, 1), groups=c), F.conv2d(images, ky, padding=(1, 0), groups=c)


def bin_position(images):
    gx, gy = gradients(images)
    return (torch.atan2(gy, gx) % math.pi) * BINS / math.pi


def hog_per_patch(images):
    """`_hog_per_patch`: [B, L, C bins], each histogram standardised (unbiased variance) over its bins."""
    b, c, h, w = images.shape
    p = sm.P
    gx, gy = gradients(images)
    mag = torch.sqrt(gx * gx + gy * gy + 1e-6)
    idx = torch.clamp((bin_position(images)).long(), max=BINS - 1)
    g = h // p
    mag = mag.view(b, c, g, p, g, p).permute(0, 1, 2, 4, 3, 5).reshape(b, c, g * g, p * p)
    idx = idx.view(b, c, g, p, g, p).permute(0, 1, 2, 4, 3, 5).reshape(b, c, g * g, p * p)
    hist = torch.zeros(b, c, g * g, BINS).scatter_add_(-1, idx, mag)
    hist = (hist - hist.mean(-1, keepdim=True)) / (hist.var(-1, keepdim=True) + 1e-6).sqrt()
    return hist.permute(0, 2, 1, 3).reshape(b, g * g, c * BINS)


class MaskFeat(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = sm.ViT(2)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, sm.DIM))
        self.head = nn.Linear(sm.DIM, sm.C * BINS)

    def forward(self, images, mask):
        with torch.no_grad():
            target = hog_per_patch(images)
        pred = self.head(sm.encode_with_mask(self.encoder, images, mask, self.mask_token))
        rows = mask.bool().view(-1)
        return F.mse_loss(pred.reshape(-1, pred.shape[-1])[rows], target.reshape(-1, target.shape[-1])[rows])


def main():
    torch.manual_seed(18)
    model = MaskFeat()
    sm.init_weights(model)
    initial = {k: shaped(v) for k, v in model.state_dict().items()}
    batches = [(sm.images(sm.B), sm.random_mask(sm.B)) for _ in range(sm.STEPS)]
    for x, _ in batches:
        pos = bin_position(sm.nchw(x))
        near = ((pos - pos.round()).abs() < 1e-4) & (pos > 1e-4) & (pos < BINS - 1e-4)
        assert not near.any(), "an angle at a bin edge"
    hog = hog_per_patch(sm.nchw(batches[0][0]))
    steps = sm.train(model, batches, ["mask_token", "head.weight", "encoder.cls_token"], ["mask_token", "encoder.pos_embed", "head.weight"])
    with torch.no_grad():
        embedding = model.encoder(sm.nchw(batches[0][0]))
    sm.write("ssl_maskfeat_session18.json", {
        "config": {"img": sm.IMG, "patch": sm.P, "channels": sm.C, "dim": sm.DIM, "depth": 2, "heads": sm.HEADS, "maskRatio": sm.RATIO, "nHogBins": BINS, "lr": sm.LR, "momentum": sm.MOMENTUM, "weightDecay": sm.WD},
        "initial": initial,
        "hog": shaped(hog),
        "steps": steps,
        "state_after": {k: shaped(v) for k, v in model.state_dict().items()},
        "embedding": shaped(embedding),
    })


if __name__ == "__main__":
    main()
