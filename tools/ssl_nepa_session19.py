"""Reference numbers for test/ssl/nepa-session19.test.ts (PyTorch 1.13, float32).

A transcription, written for this test (the seed's source is not imported or copied), of
stable-pretraining's NEPA (`methods/nepa.py`: `forward` in training and `get_classifier_features`)
around the seed's `TransformerBlock` with use_rope, use_qk_norm, mlp_type 'swiglu' and
use_layer_scale (tools/torch_block_options_session19.py's Block: LayerNorm eps 1e-5, QK-Norm, 2-D
RoPE with its `rope.inv_freq` buffer, SwiGLU, `ls1` / `ls2`), timm's PatchEmbed (the images,
patch embedding and weights of tools/ssl_simmim_session18.py) and a final LayerNorm (eps 1e-5).

Tiny model: 8x8 grey images, patch 2 (a 4x4 grid, 16 patches), width 4, depth 2, 1 head of 4, SwiGLU
of nominal width int(4 * 4) = 16 (gated 10). Training forward: input_embed = patch_embed(x); every
block with the causal mask (True above the diagonal = blocked) and grid (4, 4); pred = norm(x);
loss = -mean(<normalize(pred[:, :-1]), normalize(input_embed.detach()[:, 1:])>). Batch 4; three steps
of torch.optim.SGD(lr 0.05, momentum 0.9, weight_decay 1e-4). LayerScale parameters start near 0.5
(not the seed's 1e-5), so the blocks' part of the loss is far above float rounding.

A second case, `plain`, has use_rope, use_qk_norm and use_swiglu off: a learned `pos_embed` added
to the patch embeddings (so the targets include it), no QK-Norm, timm's GELU Mlp; one step.

Recorded per case: the initial state dict, each step's images, loss and a few parameters after the
step, the first step's gradients, the state dict after, and the evaluation embedding
(`get_classifier_features`: the last token of the non-causal forward) of the first batch after.

Run: /usr/bin/python3 tools/ssl_nepa_session19.py -> test/fixtures/ssl_nepa_session19.json
"""

import contextlib
import io
import os
import sys

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ssl_fixture_steps import as_written  # noqa: E402
from torch_block_options_session19 import Block  # noqa: E402
from torch_fixture_helpers import shaped  # noqa: E402

with contextlib.redirect_stdout(io.StringIO()):
    import ssl_simmim_session18 as sm  # noqa: E402

HEADS, DEPTH, B = 1, 2, 4
G = sm.IMG // sm.P
L = G * G


class NEPA(nn.Module):
    def __init__(self, use_rope=True, use_qk_norm=True, use_swiglu=True, layer_scale_init=1e-5):
        super().__init__()
        self.patch_embed = sm.PatchEmbed()
        self.use_rope = use_rope
        if not use_rope:
            self.pos_embed = nn.Parameter(torch.zeros(1, L, sm.DIM))
        self.blocks = nn.ModuleList([Block(sm.DIM, HEADS, layer_scale_init, use_qk_norm, use_rope, use_swiglu) for _ in range(DEPTH)])
        self.norm = nn.LayerNorm(sm.DIM)

    def embed_input(self, images):
        x = self.patch_embed(images)
        return x if self.use_rope else x + self.pos_embed

    def trunk(self, x, causal):
        blocked = torch.triu(torch.ones(L, L, dtype=torch.bool), diagonal=1) if causal else None
        for blk in self.blocks:
            x = blk(x, (G, G), blocked)
        return self.norm(x)

    def forward(self, images):
        input_embed = self.embed_input(images)
        pred_embed = self.trunk(input_embed, True)
        target = input_embed.detach()
        pred = F.normalize(pred_embed[:, :-1], dim=-1)
        target = F.normalize(target[:, 1:], dim=-1)
        return -(pred * target).sum(dim=-1).mean()

    def classifier_features(self, images):
        return self.trunk(self.embed_input(images), False)[:, -1]


@torch.no_grad()
def init_weights(model):
    """SimMIM's fixture init (multiples of 1/64), then LayerScale near 0.5."""
    sm.init_weights(model)
    for name, p in model.named_parameters():
        if name.endswith(("ls1", "ls2")):
            p.copy_(as_written(0.5 + torch.round(0.25 * torch.randn(p.shape) * 64) / 64))


def run(model, batches, watched, graded):
    initial = {k: shaped(v) for k, v in model.state_dict().items()}
    params = dict(model.named_parameters())
    opt = torch.optim.SGD(model.parameters(), lr=sm.LR, momentum=sm.MOMENTUM, weight_decay=sm.WD)
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
        embedding = model.classifier_features(sm.nchw(batches[0]))
    return {"initial": initial, "steps": steps, "state_after": {k: shaped(v) for k, v in model.state_dict().items()}, "embedding": shaped(embedding)}


def main():
    torch.manual_seed(19)
    model = NEPA()
    init_weights(model)
    batches = [sm.images(B) for _ in range(3)]
    out = run(
        model,
        batches,
        ["blocks.0.ls1", "blocks.1.attn.qkv.weight", "blocks.1.mlp.w3.weight", "patch_embed.proj.weight", "norm.weight"],
        ["patch_embed.proj.weight", "patch_embed.proj.bias", "blocks.0.attn.qkv.weight", "blocks.0.ls1", "blocks.1.mlp.w1.weight", "blocks.1.ls2", "norm.bias"],
    )
    plain = NEPA(use_rope=False, use_qk_norm=False, use_swiglu=False)
    init_weights(plain)
    out["plain"] = run(plain, batches[:1], ["pos_embed", "blocks.1.mlp.fc2.weight"], ["pos_embed", "patch_embed.proj.weight", "blocks.0.attn.qkv.weight", "blocks.1.mlp.fc1.weight"])
    out["config"] = {"img": sm.IMG, "patch": sm.P, "channels": sm.C, "dim": sm.DIM, "depth": DEPTH, "heads": HEADS, "lr": sm.LR, "momentum": sm.MOMENTUM, "weightDecay": sm.WD}
    sm.write("ssl_nepa_session19.json", out)
    print("plain loss", round(out["plain"]["steps"][0]["loss"], 6))


if __name__ == "__main__":
    main()
