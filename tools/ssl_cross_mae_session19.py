"""Reference numbers for test/ssl/cross-mae-session19.test.ts (PyTorch 1.13, float32).

A transcription, written for this test (the seed's source is not imported or copied), of
stable-pretraining's CrossMAE (`methods/cross_mae.py`: `_CrossMAEDecoderBlock`, `_FeatureMapMixer`,
`CrossMAEDecoder`, `CrossMAE._random_mask`, `_patch_pos_embed`, `_append_cls`, `_encode`,
`_mask_indices`, `_targets`, `forward`) with its parts (`backbone/vit.py` `CrossAttention` and
`Attention` without RoPE or QK-norm, as softmax(q k^T / sqrt(head_dim)) v; timm's `Mlp`, GELU;
`patchify(images, (C, p, p))`; the decoder's fixed `sincos_2d` position embedding), around the
timm-style ViT, images and training loop of tools/ssl_simmim_session18.py (imported). Two points of
the seed kept as they are: the class token is put before the visible patches WITHOUT its position
embedding (`_append_cls`), and the feature maps (the encoder's input tokens, then the chosen blocks'
outputs, class token included, before the final norm) are stacked in block order.

Tiny model: 8x8 grey images, patch 2 (16 patches), encoder width 4, depth 2, 2 heads; decoder width 8
(so the cross-attention's context width 4 differs from its own), 2 blocks, 2 heads, mlp_ratio 1.
Two cases, batch 4, three steps of torch.optim.SGD(lr 0.05, momentum 0.9, weight_decay 1e-4) each:
- "main" (the seed's defaults but the ratios): mask_ratio 0.75, kept_mask_ratio 0.5 (int(16 * 0.25) = 4
  visible, int(16 * 0.25) = 4 skipped, 8 predicted), norm_pix_loss, weight_feature_maps over the input
  and every block (use_feature_maps (-1,), use_input), no self-attention;
- "variant": mask_ratio 0.6, kept_mask_ratio 0.5 (int(6.4) = 6 visible, int(1.6) = 1 skipped, 9
  predicted), no norm_pix_loss, no feature maps (the final-normed tokens are every block's context),
  self-attention among the queries. It starts from the main case's initial weights plus its own
  `norm0` / `self_attn` entries (recorded).
The noise of `_random_mask` (torch.rand(B, N)) is drawn here, rounded as the fixture writes it, and
recorded with each step, so tfjax replays it.

Recorded per case: each step's images, noise, loss and a few entries after it, the first step's
gradients; for the main case also the initial state dict, the state dict after the three steps and
the evaluation embedding (`forward` in eval mode: the final-normed class token, no masking) of the
first step's images; for the variant its extra initial entries and a few entries after the steps.

Run: /usr/bin/python3 tools/ssl_cross_mae_session19.py -> test/fixtures/ssl_cross_mae_session19.json
"""

import json
import os
import sys

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ssl_simmim_session18 as sm  # noqa: E402  (imports tools/mae_seed_fixture.py quietly)
from mae_seed_fixture import Attn, Mlp, sincos_2d  # noqa: E402
from ssl_fixture_steps import as_written  # noqa: E402
from torch_fixture_helpers import shaped  # noqa: E402

DEC, DEC_DEPTH, DEC_HEADS, MLP_RATIO = 8, 2, 2, 1.0
GRID = sm.IMG // sm.P
CASES = {
    "main": {"maskRatio": 0.75, "keptMaskRatio": 0.5, "normPixLoss": True, "weightFeatureMaps": True, "useFeatureMaps": [-1], "useInput": True, "selfAttn": False},
    "variant": {"maskRatio": 0.6, "keptMaskRatio": 0.5, "normPixLoss": False, "weightFeatureMaps": False, "useFeatureMaps": [-1], "useInput": True, "selfAttn": True},
}


class CrossAttention(nn.Module):
    """`CrossAttention`: q Linear(dim, dim), kv Linear(context_dim, 2 dim) laid out (2, heads, head_dim), proj."""

    def __init__(self, dim, context_dim, heads):
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(dim, dim)
        self.kv = nn.Linear(context_dim, 2 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x, context):
        b, n, c = x.shape
        m, hd = context.shape[1], c // self.heads
        q = self.q(x).reshape(b, n, self.heads, hd).transpose(1, 2)
        k, v = self.kv(context).reshape(b, m, 2, self.heads, hd).permute(2, 0, 3, 1, 4).unbind(0)
        a = torch.softmax(q @ k.transpose(-2, -1) * hd ** -0.5, dim=-1)
        return self.proj((a @ v).transpose(1, 2).reshape(b, n, c))


class DecoderBlock(nn.Module):
    """`_CrossMAEDecoderBlock`: [x + self_attn(norm0 x)], x + cross_attn(norm1 x, context), x + mlp(norm2 x)."""

    def __init__(self, self_attn):
        super().__init__()
        self.self_attn_enabled = self_attn
        if self_attn:
            self.norm0 = nn.LayerNorm(DEC)
            self.self_attn = Attn(DEC, DEC_HEADS)
        self.norm1 = nn.LayerNorm(DEC)
        self.cross_attn = CrossAttention(DEC, sm.DIM, DEC_HEADS)
        self.norm2 = nn.LayerNorm(DEC)
        self.mlp = Mlp(DEC, int(DEC * MLP_RATIO))

    def forward(self, x, context):
        if self.self_attn_enabled:
            x = x + self.self_attn(self.norm0(x))
        x = x + self.cross_attn(self.norm1(x), context)
        return x + self.mlp(self.norm2(x))


class FeatureMapMixer(nn.Module):
    def __init__(self, n_maps):
        super().__init__()
        self.linear = nn.Linear(n_maps, DEC_DEPTH, bias=False)

    def forward(self, maps):
        return self.linear(torch.stack(maps, dim=-1))


class Decoder(nn.Module):
    """`CrossMAEDecoder`: mask token (decoder width) plus the fixed positions of the queried patches, the blocks, norm, pred."""

    def __init__(self, case, n_maps):
        super().__init__()
        self.weighted = case["weightFeatureMaps"]
        self.mask_token = nn.Parameter(torch.zeros(1, 1, DEC))
        self.register_buffer("pos_embed", sincos_2d(DEC, GRID).unsqueeze(0))
        if self.weighted:
            self.feature_mixer = FeatureMapMixer(n_maps)
            self.context_norms = nn.ModuleList([nn.LayerNorm(sm.DIM) for _ in range(DEC_DEPTH)])
        self.blocks = nn.ModuleList([DecoderBlock(case["selfAttn"]) for _ in range(DEC_DEPTH)])
        self.norm = nn.LayerNorm(DEC)
        self.pred = nn.Linear(DEC, sm.C * sm.P * sm.P)

    def forward(self, context, query_idx):
        b, n = query_idx.shape
        x = self.mask_token.expand(b, n, -1) + torch.gather(self.pos_embed.expand(b, -1, -1), 1, query_idx.unsqueeze(-1).expand(-1, -1, DEC))
        if self.weighted:
            mixed = self.feature_mixer(context)
            for i, block in enumerate(self.blocks):
                x = block(x, self.context_norms[i](mixed[..., i]))
        else:
            for block in self.blocks:
                x = block(x, context)
        return self.pred(self.norm(x))


class CrossMAE(nn.Module):
    def __init__(self, case):
        super().__init__()
        self.case = case
        self.encoder = sm.ViT(2)
        depth = len(self.encoder.blocks)
        use = case["useFeatureMaps"]
        self.use = list(range(depth)) if use == [-1] else [i if i >= 0 else depth + i for i in use]
        self.decoder = Decoder(case, len(self.use) + int(case["useInput"]))

    def encode(self, images, noise=None):
        """`_encode`: patches + their positions, `_random_mask` (with the noise given), the class token (no position), blocks, norm."""
        vit = self.encoder
        x = vit.patch_embed(images)
        x = x + vit.pos_embed[:, -x.shape[1]:]
        b, n, d = x.shape
        mask = torch.zeros(b, n, dtype=torch.bool)
        if noise is not None:
            n_visible = int(n * (1.0 - self.case["maskRatio"]))
            n_skipped = int(n * (self.case["maskRatio"] - self.case["keptMaskRatio"]))
            ids_shuffle = noise.argsort(dim=1)
            ids_restore = ids_shuffle.argsort(dim=1)
            x = torch.gather(x, 1, ids_shuffle[:, :n_visible].unsqueeze(-1).expand(-1, -1, d))
            mask = torch.ones(b, n, dtype=torch.bool)
            mask[:, : n_visible + n_skipped] = False
            mask = torch.gather(mask, 1, ids_restore)
        x = torch.cat([vit.cls_token.expand(b, -1, -1), x], dim=1)
        maps = [x] if self.case["useInput"] else []
        for i, block in enumerate(vit.blocks):
            x = block(x)
            if i in self.use:
                maps.append(x)
        encoded = vit.norm(x)
        context = maps if self.case["weightFeatureMaps"] and noise is not None else encoded
        return context, encoded[:, 0], mask

    def forward(self, images, noise):
        context, _, mask = self.encode(images, noise)
        n_pred = int(mask.sum(dim=1)[0])
        query_idx = torch.sort(mask.int(), dim=1, stable=True).indices[:, -n_pred:]
        pred = self.decoder(context, query_idx)
        target = torch.gather(sm.patchify_chw(images), 1, query_idx.unsqueeze(-1).expand(-1, -1, pred.shape[-1]))
        if self.case["normPixLoss"]:
            target = (target - target.mean(-1, keepdim=True)) / (target.var(-1, keepdim=True) + 1e-6).sqrt()
        return F.mse_loss(pred, target)


def run(case, batches, start=None):
    model = CrossMAE(case)
    sm.init_weights(model)
    if start is not None:
        model.load_state_dict(start, strict=False)
    initial = {k: shaped(v) for k, v in model.state_dict().items() if k != "decoder.pos_embed"}  # the fixed buffer: in state_after
    if case["weightFeatureMaps"]:
        watched = ["decoder.mask_token", "decoder.feature_mixer.linear.weight", "decoder.blocks.1.cross_attn.kv.weight", "decoder.pred.bias", "encoder.cls_token"]
        grads = ["decoder.mask_token", "encoder.pos_embed", "encoder.cls_token", "encoder.patch_embed.proj.weight", "decoder.feature_mixer.linear.weight", "decoder.context_norms.1.weight", "decoder.blocks.0.cross_attn.kv.weight", "decoder.blocks.1.cross_attn.q.weight"]
    else:
        watched = ["decoder.mask_token", "decoder.blocks.0.norm0.weight", "decoder.blocks.1.self_attn.proj.bias", "encoder.norm.bias"]
        grads = ["decoder.mask_token", "encoder.norm.weight", "decoder.blocks.0.self_attn.qkv.weight", "decoder.blocks.1.cross_attn.kv.weight"]
    steps = sm.train(model, batches, watched, grads)
    for s in steps:
        s["noise"] = s.pop("masks")
        if start is not None:  # the main case's images and noise
            del s["images"], s["noise"]
    model.eval()
    with torch.no_grad():
        embedding = model.encode(sm.nchw(batches[0][0]))[1]
    return model, initial, steps, embedding


def main():
    torch.manual_seed(19)
    batches = [(sm.images(sm.B), as_written(torch.rand(sm.B, sm.L))) for _ in range(sm.STEPS)]
    model, initial, steps, embedding = run(CASES["main"], batches)
    start = {k: torch.tensor(v["data"]).reshape(v["shape"]) for k, v in initial.items()}
    _, v_initial, v_steps, _ = run(CASES["variant"], batches, start)
    extra = {k: v for k, v in v_initial.items() if k not in initial}
    out = {
        "config": {"img": sm.IMG, "patch": sm.P, "channels": sm.C, "dim": sm.DIM, "depth": 2, "heads": sm.HEADS, "decoderDim": DEC, "decoderDepth": DEC_DEPTH, "decoderHeads": DEC_HEADS,
                   "mlpRatio": MLP_RATIO, "lr": sm.LR, "momentum": sm.MOMENTUM, "weightDecay": sm.WD},
        "main": {"case": CASES["main"], "initial": initial, "steps": steps, "state_after": {k: shaped(v) for k, v in model.state_dict().items()}, "embedding": shaped(embedding)},
        "variant": {"case": CASES["variant"], "initial_extra": extra, "steps": v_steps},
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "ssl_cross_mae_session19.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print(path, os.path.getsize(path), "bytes; losses", [round(s["loss"], 6) for s in steps], [round(s["loss"], 6) for s in v_steps])


if __name__ == "__main__":
    main()
