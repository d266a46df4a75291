"""Reference numbers for test/ssl/pirl-session18.test.ts (PyTorch 1.13, float32): stable-pretraining's
(the seed's) `PIRL` (`methods/pirl.py`), transcribed (not imported or copied):

- the jigsaw (`_shuffle_patches`): square NCHW images, resized (bilinear, align_corners=False) to
  side floor(H / grid) * grid when H is not a multiple of the grid; unfolded into grid x grid tiles
  numbered row by row; tile i of the result is tile perm[i]; put back together and resized back. The
  seed draws perm with torch.randperm per image inside its forward; here they are drawn first and
  passed in, and written to the fixture, so tfjax replays them (`permutations` in the batch);
- the forward: backbone(image), backbone(jigsaw) (each its own BatchNorm batch, the image first),
  z_img = normalize(proj_image(h_img)), z_jig = normalize(proj_jigsaw(h_jig)) (Linear, no bias),
  keys = queue.append(z_img.detach()) (the seed's `UnsortedQueue`: a circular buffer, its contents
  read after the append: 'appendFirst'; 'readFirst' reads them before, tfjax's default),
  loss1 = CE([z_jig . sg(z_img), z_jig @ keys^T] / T, 0), loss2 = CE([z_img . sg(z_img), z_img @ keys^T] / T, 0),
  loss = lambda loss1 + (1 - lambda) loss2.

A tiny backbone (flatten NCHW, Linear 25->8, BatchNorm1d, ReLU) on 5x5 one-channel images with a
2 x 2 jigsaw (so the resize path runs), projections 4 wide, a queue of 6 rows (it wraps at step 2),
3 steps of torch.optim.SGD(lr 0.05, momentum 0.9, weight_decay 1e-4), both queue orders; one step
of the seed under DDP on 2 ranks (SyncBatchNorm: every BatchNorm call over the whole batch; a queue
per rank holding its own rows; the gradient the ranks' mean); the jigsaw alone on other shapes.

Run: /usr/bin/python3 tools/ssl_pirl_session18.py -> test/fixtures/ssl_pirl_session18.json
"""

import json
import os
import sys

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ssl_fixture_steps import as_written, round_state  # noqa: E402
from torch_fixture_helpers import shaped  # noqa: E402

torch.manual_seed(18)
B, C, H, EMB, DIM, QUEUE, GRID, STEPS = 4, 1, 5, 8, 4, 6, 2, 3
CONFIG = {"temperature": 0.1, "lambdaPirl": 0.3, "jigsawGrid": GRID, "projectorDim": DIM, "queueLength": QUEUE}
OPT = {"lr": 0.05, "momentum": 0.9, "weightDecay": 1e-4}


def jigsaw(images, perm, grid):
    """`_shuffle_patches` with the permutations given ([B, grid^2])."""
    b, c, h, w = images.shape
    assert h == w
    side = (h // grid) * grid
    x = images if side == h else F.interpolate(images, size=side, mode="bilinear", align_corners=False)
    p = side // grid
    x = x.unfold(2, p, p).unfold(3, p, p).permute(0, 2, 3, 1, 4, 5).reshape(b, grid * grid, c, p, p)
    x = torch.gather(x, 1, perm[..., None, None, None].expand_as(x))
    out = x.view(b, grid, grid, c, p, p).permute(0, 3, 1, 4, 2, 5).reshape(b, c, side, side)
    return out if side == h else F.interpolate(out, size=h, mode="bilinear", align_corners=False)


class Queue:
    """The seed's UnsortedQueue: `out` a circular buffer written at `pointer`, `filled` once it wrapped."""

    def __init__(self):
        self.out, self.pointer, self.filled = torch.zeros(QUEUE, DIM), 0, False

    def contents(self):
        return self.out.clone() if self.filled else self.out[: self.pointer].clone()

    def append(self, rows):
        for row in rows:
            self.out[self.pointer] = row
            self.pointer = (self.pointer + 1) % QUEUE
            self.filled = self.filled or self.pointer == 0
        return self.contents()

    def newest_first(self):
        n = QUEUE if self.filled else self.pointer
        return torch.stack([self.out[(self.pointer - 1 - i) % QUEUE] for i in range(n)])


class Backbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(C * H * H, EMB)
        self.bn = nn.BatchNorm1d(EMB)

    def forward(self, x):
        return F.relu(self.bn(self.fc(x.flatten(1))))


class Pirl(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = Backbone()
        self.proj_image = nn.Linear(EMB, DIM, bias=False)
        self.proj_jigsaw = nn.Linear(EMB, DIM, bias=False)


def nce(anchors, positives, keys):
    logits = torch.cat([(anchors * positives).sum(-1, keepdim=True), anchors @ keys.T], 1) / CONFIG["temperature"]
    return F.cross_entropy(logits, torch.zeros(anchors.shape[0], dtype=torch.long))


def pirl_loss(z_img, z_jig, keys):
    lam = CONFIG["lambdaPirl"]
    loss1, loss2 = nce(z_jig, z_img.detach(), keys), nce(z_img, z_img.detach(), keys)
    return lam * loss1 + (1 - lam) * loss2, loss1, loss2


def encode(m, images, perm):
    h_img = m.backbone(images)
    h_jig = m.backbone(jigsaw(images, perm, GRID))
    return F.normalize(m.proj_image(h_img), dim=-1), F.normalize(m.proj_jigsaw(h_jig), dim=-1)


def state(m, queue):
    s = {k: shaped(v) for k, v in m.state_dict().items() if v.dtype.is_floating_point}
    s["queue.out"] = shaped(queue.out)
    s["queue.pointer"] = shaped(torch.tensor(float(queue.pointer)))
    s["queue.filled"] = shaped(torch.tensor(float(queue.filled)))
    return s


def nhwc(x):
    return shaped(x.permute(0, 2, 3, 1))


def batches():
    out = []
    for _ in range(STEPS):
        images = as_written(torch.randn(B, C, H, H))
        out.append((images, torch.stack([torch.randperm(GRID * GRID) for _ in range(B)])))
    return out


def optimizer(m):
    return torch.optim.SGD(m.parameters(), lr=OPT["lr"], momentum=OPT["momentum"], weight_decay=OPT["weightDecay"])


def run(start, data, order, every_step):
    m = Pirl()
    m.load_state_dict(start)
    opt, queue, steps = optimizer(m), Queue(), []
    m.train()
    for images, perm in data:
        z_img, z_jig = encode(m, images, perm)
        before = queue.contents()
        after = queue.append(z_img.detach())
        loss, l1, l2 = pirl_loss(z_img, z_jig, after if order == "appendFirst" else before)
        opt.zero_grad()
        loss.backward()
        opt.step()
        step = {"loss": float(loss), "jigsawLoss": float(l1), "imageLoss": float(l2)}
        if every_step:
            step["state"] = state(m, queue)
        steps.append(step)
    m.eval()
    with torch.no_grad():
        embedding = m.backbone(data[0][0])
    return {"steps": steps, "state_after": state(m, queue), "embedding": shaped(embedding)}


def ddp_step(start, images, perm, ranks=2):
    """One step of the seed under DDP: SyncBatchNorm (each BatchNorm call over the whole batch), a queue per rank, the ranks' mean gradient."""
    m = Pirl()
    m.load_state_dict(start)
    opt = optimizer(m)
    m.train()
    z_img, z_jig = encode(m, images, perm)
    n, losses, queues = B // ranks, [], []
    for r in range(ranks):
        zi, zj, q = z_img[r * n:(r + 1) * n], z_jig[r * n:(r + 1) * n], Queue()
        losses.append(pirl_loss(zi, zj, q.append(zi.detach()))[0])
        queues.append(shaped(q.newest_first()))
    loss = sum(losses) / ranks
    opt.zero_grad()
    loss.backward()
    opt.step()
    after = {k: shaped(v) for k, v in m.state_dict().items() if v.dtype.is_floating_point}
    return {"loss": float(loss), "state_after": after, "memberQueues": queues}


def jigsaw_cases():
    cases = []
    for c, h, grid in [(2, 4, 2), (2, 6, 3), (2, 7, 3), (3, 5, 2)]:
        images = as_written(torch.randn(2, c, h, h))
        perm = torch.stack([torch.randperm(grid * grid) for _ in range(2)])
        cases.append({"grid": grid, "images": nhwc(images), "permutations": shaped(perm.float()), "out": nhwc(jigsaw(images, perm, grid))})
    return cases


model = Pirl()
round_state(model)
start = model.state_dict()
initial = state(model, Queue())
data = batches()
fixture = {
    "config": CONFIG,
    "opt": OPT,
    "initial_state": initial,
    "batches": [{"view1": nhwc(images), "permutations": shaped(perm.float())} for images, perm in data],
    "appendFirst": run(start, data, "appendFirst", True),
    "readFirst": run(start, data, "readFirst", False),
    "ddp": ddp_step(start, *data[0]),
    "jigsaw": jigsaw_cases(),
}
path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "test", "fixtures", "ssl_pirl_session18.json")
with open(path, "w") as f:
    json.dump(fixture, f, separators=(",", ":"))
print(path, os.path.getsize(path), "bytes")
