"""Reference numbers for test/ssl/beit-session19.test.ts (PyTorch 1.13, float32).

A transcription, written for this test (the seed's source is not imported or copied), of
stable-pretraining's BEiT (`methods/beit.py`: `patch_kmeans_tokenizer`, `_random_mask`,
`_encode_with_mask`, the vocabulary head and `forward`'s cross-entropy at the masked patches;
`backbone/patch_masking.py` `patchify` with patch size (C, p, p)) around the timm-style ViT,
masking, images and training loop of tools/ssl_simmim_session18.py (imported; its mask ratio set
to the seed's BEiT default 0.4).

The tokenizer is the seed's placeholder: a fixed projection `torch.randn(C p p, vocab)` drawn from
a CPU generator seeded 0, each patch's token the argmax of its pixels times it (no gradient).

Tiny model: 8x8 grey images, patch 2 (16 patches, round(6.4) = 6 masked per image), width 4,
depth 2, 2 heads; vocabulary 8, head Linear(4, 8). Batch 4. Three steps of
torch.optim.SGD(lr 0.05, momentum 0.9, weight_decay 1e-4); the seed's masks written with each
batch, so tfjax replays them.

Recorded: the tokenizer's projection, the initial state dict, each step's images, masks, tokens,
loss and a few parameters after it, the first step's gradients, the state dict after the three
steps, and the evaluation embedding (the class token of `forward_features`) of the first batch
after them; and one batch with nothing masked (the seed's mean over no rows: NaN).

Run: /usr/bin/python3 tools/ssl_beit_session19.py -> test/fixtures/ssl_beit_session19.json
"""

import os
import sys

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ssl_simmim_session18 as sm  # noqa: E402
from ssl_fixture_steps import as_written  # noqa: E402
from torch_fixture_helpers import shaped  # noqa: E402

sm.RATIO = 0.4
VOCAB = 8


def placeholder_projection():
    """`patch_kmeans_tokenizer`'s projection: randn(C p p, vocab) from a CPU generator seeded 0."""
    g = torch.Generator(device="cpu").manual_seed(0)
    return torch.randn(sm.C * sm.P * sm.P, VOCAB, generator=g)


PROJ = as_written(placeholder_projection())  # as the fixture writes it, so both sides tokenize with the same numbers


def tokenize(images):
    """`patch_kmeans_tokenizer`'s `_tok` on NCHW images: the argmax of each patch (channel-major) times the projection."""
    return (sm.patchify_chw(images).float() @ PROJ).argmax(dim=-1)


class BEiT(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = sm.ViT(2)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, sm.DIM))
        self.head = nn.Linear(sm.DIM, VOCAB)

    def forward(self, images, mask):
        with torch.no_grad():
            targets = tokenize(images)
        logits = self.head(sm.encode_with_mask(self.encoder, images, mask, self.mask_token))
        flat = mask.bool().view(-1)
        loss = F.cross_entropy(logits.reshape(-1, VOCAB)[flat], targets.reshape(-1)[flat])
        return loss, targets


def main():
    torch.manual_seed(19)
    model = BEiT()
    sm.init_weights(model)
    initial = {k: shaped(v) for k, v in model.state_dict().items()}
    batches = [(sm.images(sm.B), sm.random_mask(sm.B)) for _ in range(sm.STEPS)]
    watched = ["mask_token", "head.weight", "encoder.cls_token"]
    grads = ["mask_token", "encoder.pos_embed", "head.weight", "head.bias"]
    steps = sm.train(model, batches, watched, grads, extra=lambda out: {"tokens": shaped(out[1].float())})
    for x, _ in batches:  # no near-tie between the two best tokens (float32 round-off could swap them)
        top2 = (sm.patchify_chw(sm.nchw(x)) @ PROJ).topk(2, dim=-1).values
        assert (top2[..., 0] - top2[..., 1]).min() > 1e-3
    with torch.no_grad():
        embedding = model.encoder(sm.nchw(batches[0][0]))
        unmasked, _ = model(sm.nchw(batches[0][0]), torch.zeros(sm.B, sm.L))
    sm.write("ssl_beit_session19.json", {
        "config": {"img": sm.IMG, "patch": sm.P, "channels": sm.C, "dim": sm.DIM, "depth": 2, "heads": sm.HEADS, "maskRatio": sm.RATIO, "vocabSize": VOCAB,
                   "lr": sm.LR, "momentum": sm.MOMENTUM, "weightDecay": sm.WD},
        "projection": shaped(PROJ),
        "initial": initial,
        "steps": steps,
        "state_after": {k: shaped(v) for k, v in model.state_dict().items()},
        "embedding": shaped(embedding),
        "nothing_masked_loss": unmasked.item(),
    })


if __name__ == "__main__":
    main()
