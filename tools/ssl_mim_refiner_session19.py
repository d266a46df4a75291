"""Reference numbers for test/ssl/mim-refiner-session19.test.ts (PyTorch 1.13, float32).

A transcription, written for this test (the seed's source is not imported or copied), of
stable-pretraining's MIM-Refiner (`methods/mim_refiner.py`): iBOT built around a given
(pretrained) encoder, whose `TeacherStudentWrapper` makes the teacher a copy of it, with the
student's first `freeze_lower_blocks` transformer blocks set to `requires_grad_(False)`. The iBOT
it wraps is tools/ssl_ibot_session18.py's transcription (imported: the tiny ViT, heads, masks,
centre, Sinkhorn-Knopp, losses, training loop), here on a ViT of depth 2 so that one block is
frozen and one trains. The "pretrained" weights are that generator's multiples of 1/64, set on the
wrapped encoder and copied to its teacher (what the wrapper's copy of a pretrained encoder holds).

Tiny model: 8x8 grey images, patch 2 (16 patches, 5 masked per global image), width 4, depth 2,
2 heads, freeze_lower_blocks 1; heads Linear 4-8-8-4 with GELU, L2Norm, prototypes 6 (CLS) and 5
(patches); teacher temperature 0.04 -> 0.07 over 2 epochs (one a step); EMA 0.9. Batch 4, 2
global views. Three steps of torch.optim.SGD(lr 0.05, momentum 0.9, weight_decay 1e-4) over the
parameters that require a gradient (the frozen block's are not among them), each followed by the
three wrappers' EMA.

Recorded: the student's initial state dict (its `backbone.student.*` entries are the pretrained
encoder's state dict in timm's names; the teachers are their copies), each step's views, masks,
loss and parts, teacher temperature, the centre the step used, a few parameters after it (the frozen block's, the student's and the
teacher's, among them), the first two steps' gradients of the mask token, the position embedding
and the trained block's qkv weight (the frozen block has none), and the state dict after the
three steps.

Run: /usr/bin/python3 tools/ssl_mim_refiner_session19.py -> test/fixtures/ssl_mim_refiner_session19.json
"""

import contextlib
import io
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from seed_formulas import EmaWrapper  # noqa: E402

with contextlib.redirect_stdout(io.StringIO()):
    import ssl_dinov2_session18 as d2  # noqa: E402

    d2.DEPTH = 2  # read when a ViT is made
    import ssl_ibot_session18 as ib  # noqa: E402

FREEZE = 1


class MIMRefiner(ib.IBOT):
    """`MIMRefiner(pretrained_encoder, freeze_lower_blocks)`: iBOT whose backbone wrapper holds the given encoder (the teacher its copy)."""

    def __init__(self, pretrained, freeze):
        super().__init__()
        self.backbone = EmaWrapper(pretrained, ib.EMA, 1.0)  # iBOT(encoder_name=pretrained_encoder)
        for i, block in enumerate(self.backbone.student.blocks):
            if i < freeze:
                block.requires_grad_(False)


def main():
    torch.manual_seed(1919)
    model = MIMRefiner(d2.ViT(), FREEZE)
    # The "MIM-pretrained" encoder's weights (the student IS that encoder), the heads, the mask token; the teachers their copies,
    # as the wrapper's deep copy of the pretrained encoder would be.
    ib.fill_weights(model)
    initial = ib.student_dict(model)
    batches = [([d2.images(d2.B, d2.IMG) for _ in range(ib.N_GLOBAL)], d2.random_mask(ib.N_GLOBAL * d2.B)) for _ in range(ib.STEPS)]
    frozen, trained = "backbone.student.blocks.0.attn.qkv.weight", "backbone.student.blocks.1.attn.qkv.weight"
    watched = ["mask_token", frozen, "backbone.teacher.blocks.0.attn.qkv.weight", trained, "patch_head.teacher.6.weight"]
    steps = ib.train(model, batches, watched, ["mask_token", "backbone.student.pos_embed", trained])
    assert dict(model.named_parameters())[frozen].grad is None  # never reached by a gradient
    ib.write("ssl_mim_refiner_session19.json", model, initial, steps, freezeLowerBlocks=FREEZE)


if __name__ == "__main__":
    main()
