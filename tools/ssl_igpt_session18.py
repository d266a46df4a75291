"""Reference numbers for test/ssl/igpt-session18.test.ts (PyTorch 1.13, float32).

A transcription, written for this test (the seed's source is not imported or copied), of
stable-pretraining's iGPT (`methods/igpt.py`: `_causal_mask`, `_causal_forward_features` /
`_block_with_mask`, `forward`; `backbone/patch_masking.py` `patchify` with patch size (C, p, p))
around the timm-style ViT, images, weights and patchify of tools/ssl_simmim_session18.py.

Tiny model: 8x8 grey images, patch 2 (16 patches of 4 pixels), width 4, depth 2, 2 heads; the
head Linear(4, 4). Every block attends causally over [CLS, patches] (the seed's triangular mask
over all 1 + L tokens); the head on patch tokens 0..14 predicts patches 1..15, normalised per patch
by their mean and unbiased variance (+1e-6); the loss is their mean squared error. Batch 4. Three
steps of torch.optim.SGD(lr 0.05, momentum 0.9, weight_decay 1e-4).

Recorded: the initial state dict, each step's images, loss and a few parameters after the step,
the first step's gradients (position embedding, class token, head weight), the state dict after
the three steps, and the evaluation embedding (the class token of the non-causal
`forward_features`) of the first batch after them.

Run: /usr/bin/python3 tools/ssl_igpt_session18.py -> test/fixtures/ssl_igpt_session18.json
"""

import contextlib
import io
import os
import sys

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_fixture_helpers import shaped  # noqa: E402

with contextlib.redirect_stdout(io.StringIO()):
    import ssl_simmim_session18 as sm  # noqa: E402

B, STEPS = 4, 3


def causal_block(block, x):
    """`_block_with_mask`: the block with each token attending to itself and the tokens before it."""
    b, n, c = x.shape
    h = block.attn.heads
    q, k, v = block.attn.qkv(block.norm1(x)).reshape(b, n, 3, h, c // h).permute(2, 0, 3, 1, 4).unbind(0)
    logits = q @ k.transpose(-2, -1) * (c // h) ** -0.5
    blocked = torch.triu(torch.ones(n, n, dtype=torch.bool), diagonal=1)
    a = torch.softmax(logits.masked_fill(blocked, float("-inf")), dim=-1)
    x = x + block.attn.proj((a @ v).transpose(1, 2).reshape(b, n, c))
    return x + block.mlp(block.norm2(x))


class IGPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = sm.ViT(2)
        self.head = nn.Linear(sm.DIM, sm.C * sm.P * sm.P)

    def forward(self, images):
        vit = self.encoder
        x = torch.cat([vit.cls_token.expand(images.shape[0], -1, -1), vit.patch_embed(images)], dim=1) + vit.pos_embed
        for block in vit.blocks:
            x = causal_block(block, x)
        encoded = vit.norm(x)[:, 1:]
        pred = self.head(encoded[:, :-1])
        targets = sm.patchify_chw(images)
        targets = (targets - targets.mean(dim=-1, keepdim=True)) / (targets.var(dim=-1, keepdim=True) + 1e-6).sqrt()
        return F.mse_loss(pred, targets[:, 1:])


def main():
    torch.manual_seed(18)
    model = IGPT()
    sm.init_weights(model)
    initial = {k: shaped(v) for k, v in model.state_dict().items()}
    batches = [sm.images(B) for _ in range(STEPS)]
    params = dict(model.named_parameters())
    opt = torch.optim.SGD(model.parameters(), lr=sm.LR, momentum=sm.MOMENTUM, weight_decay=sm.WD)
    watched, graded = ["encoder.cls_token", "encoder.pos_embed", "head.weight", "head.bias"], ["encoder.pos_embed", "encoder.cls_token", "head.weight"]
    steps = []
    for x in batches:
        opt.zero_grad()
        loss = model(sm.nchw(x))
        loss.backward()
        grads = {k: shaped(params[k].grad) for k in graded} if not steps else None
        opt.step()
        sd = model.state_dict()
        steps.append({"images": shaped(x), "loss": loss.item(), **({"grads": grads} if grads else {}), "after": {k: shaped(sd[k]) for k in watched}})
    with torch.no_grad():
        embedding = model.encoder(sm.nchw(batches[0]))
    sm.write("ssl_igpt_session18.json", {
        "config": {"img": sm.IMG, "patch": sm.P, "channels": sm.C, "dim": sm.DIM, "depth": 2, "heads": sm.HEADS, "lr": sm.LR, "momentum": sm.MOMENTUM, "weightDecay": sm.WD},
        "initial": initial,
        "steps": steps,
        "state_after": {k: shaped(v) for k, v in model.state_dict().items()},
        "embedding": shaped(embedding),
    })


if __name__ == "__main__":
    main()
