"""The benchmark steps in PyTorch, one thread, run by bench/peers/pytorch.ts as a child process.

Protocol: one JSON object per line on stdin, one JSON reply per line on stdout.
  {"cmd": "info"}                                   -> versions, threads, build flags
  {"cmd": "setup", "id": "a", "kind": "mlp", "batch": 512}
  {"cmd": "setup", "id": "b", "kind": "swav", "batch": 256, "views": [28, 28], "prototypes": 300}
  {"cmd": "setup", "id": "c", "kind": "sinkhorn", "batch": 4096, "prototypes": 3000, "epsilon": 0.05}
  {"cmd": "setup", "id": "d", "kind": "matmul", "batch": 1024}     (a 1024 x 1024 product)
  {"cmd": "setup", "id": "e", "kind": "conv", "batch": 256}        (the ConvNet's second conv, forward)
  {"cmd": "step", "id": "a"}                        -> {"wall_ms", "cpu_ms", "loss"}
  {"cmd": "quit"}
Each step is timed here (time.perf_counter and time.process_time) and ends with loss.item(),
so all its work is done.

The steps are those of bench/sections: the MLP 784-1024-1024-10 with softmax cross-entropy
and SGD (lr 0.01); and SwAV with the small ConvNet (3x3 convolutions 1-32 s1, 32-64 s2,
64-128 s2 without bias, each with BatchNorm2d and ReLU, global average pool), projector
Linear(128, 512)-BatchNorm1d-ReLU-Linear(512, 128), L2 normalisation, prototypes
Linear(128, K, bias=False) renormalised in place before the forward (the seed's step),
Sinkhorn without gradient (epsilon 0.05, 3 iterations), the seed's pairing over all views,
temperature 0.1, and SGD (lr 0.1). Inputs are random images, NCHW.
"""
import json
import re
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

# One thread unless the driver asks for more (bench/parallel.ts compares against 2).
torch.set_num_threads(int(os.environ.get("TFJAX_TORCH_THREADS", "1")))
torch.manual_seed(0)


class MlpStep:
    def __init__(self, batch, d=784, h=1024, k=10):
        self.model = nn.Sequential(nn.Linear(d, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU(), nn.Linear(h, k))
        self.opt = torch.optim.SGD(self.model.parameters(), lr=0.01)
        self.x = torch.rand(batch, d)
        self.y = torch.arange(batch) % k

    def step(self):
        self.opt.zero_grad()
        loss = F.cross_entropy(self.model(self.x), self.y)
        loss.backward()
        self.opt.step()
        return loss.item()


class ConvNetSmall(nn.Module):
    def __init__(self, widths=(32, 64, 128)):
        super().__init__()
        w1, w2, w3 = widths
        self.conv1, self.bn1 = nn.Conv2d(1, w1, 3, 1, 1, bias=False), nn.BatchNorm2d(w1)
        self.conv2, self.bn2 = nn.Conv2d(w1, w2, 3, 2, 1, bias=False), nn.BatchNorm2d(w2)
        self.conv3, self.bn3 = nn.Conv2d(w2, w3, 3, 2, 1, bias=False), nn.BatchNorm2d(w3)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        x = F.relu(self.bn3(self.conv3(x)))
        return x.mean(dim=(2, 3))


@torch.no_grad()
def sinkhorn(scores, epsilon=0.05, iterations=3):
    """The seed's Sinkhorn-Knopp (stable-pretraining's SwAVLoss.sinkhorn)."""
    q = torch.exp(scores / epsilon).t()
    q /= q.sum()
    k, b = q.shape
    for _ in range(iterations):
        q /= q.sum(dim=1, keepdim=True)
        q /= k
        q /= q.sum(dim=0, keepdim=True)
        q /= b
    q *= b
    return q.t()


class SwavStep:
    def __init__(self, batch, views=(28, 28), prototypes=300, hidden=512, out_dim=128, global_views=2):
        self.backbone = ConvNetSmall()
        self.projector = nn.Sequential(nn.Linear(128, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Linear(hidden, out_dim))
        self.prototypes = nn.Linear(out_dim, prototypes, bias=False)
        params = list(self.backbone.parameters()) + list(self.projector.parameters()) + list(self.prototypes.parameters())
        self.opt = torch.optim.SGD(params, lr=0.1)
        self.views = [torch.rand(batch, 1, s, s) for s in views]
        self.global_views = global_views

    def step(self):
        with torch.no_grad():
            w = self.prototypes.weight.data.clone()
            self.prototypes.weight.copy_(F.normalize(w, dim=1, p=2))
        zs = [F.normalize(self.projector(self.backbone(v)), dim=1, p=2) for v in self.views]
        scores = [self.prototypes(z) for z in zs]
        codes = [sinkhorn(s.detach()) for s in scores]
        total, terms = 0.0, 0
        for i in range(self.global_views):
            for j in range(i + 1, len(scores)):
                total = total - (codes[j] * F.log_softmax(scores[i] / 0.1, dim=1)).sum(dim=1).mean()
                total = total - (codes[i] * F.log_softmax(scores[j] / 0.1, dim=1)).sum(dim=1).mean()
                terms += 2
        loss = total / terms
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return loss.item()


class MatmulStep:
    def __init__(self, n):
        self.a, self.b = torch.rand(n, n), torch.rand(n, n)

    def step(self):
        return (self.a @ self.b)[0, 0].item()


class ConvStep:
    """The ConvNet's second convolution, forward only: [N, 32, 28, 28] -> 64, 3x3, stride 2."""

    def __init__(self, n):
        self.x, self.conv = torch.rand(n, 32, 28, 28), nn.Conv2d(32, 64, 3, 2, 1, bias=False)

    @torch.no_grad()
    def step(self):
        return self.conv(self.x)[0, 0, 0, 0].item()


class SinkhornStep:
    def __init__(self, batch, prototypes, epsilon=0.05):
        self.scores = F.normalize(torch.randn(batch, 128), dim=1) @ F.normalize(torch.randn(prototypes, 128), dim=1).t()
        self.epsilon = epsilon

    @torch.no_grad()
    def step(self):
        # The fraction of finite codes (1.0 unless exp(scores / epsilon) overflowed).
        return torch.isfinite(sinkhorn(self.scores, self.epsilon)).float().mean().item()


def main():
    steps = {}
    for line in sys.stdin:
        msg = json.loads(line)
        cmd = msg["cmd"]
        if cmd == "info":
            cfg = torch.__config__.show()
            out = {
                "torch": torch.__version__,
                "threads": torch.get_num_threads(),
                "mkldnn": torch.backends.mkldnn.is_available(),
                "blas": (re.search(r"BLAS_INFO=(\w+)", cfg) or [None, "?"])[1],
                "cpu_capability": next((l.split(":")[1].strip() for l in cfg.split("\n") if "CPU capability usage" in l), "?"),
            }
        elif cmd == "setup":
            kind = msg["kind"]
            if kind == "mlp":
                steps[msg["id"]] = MlpStep(msg["batch"])
            elif kind == "swav":
                steps[msg["id"]] = SwavStep(msg["batch"], tuple(msg.get("views", (28, 28))), msg.get("prototypes", 300))
            elif kind == "matmul":
                steps[msg["id"]] = MatmulStep(msg["batch"])
            elif kind == "conv":
                steps[msg["id"]] = ConvStep(msg["batch"])
            elif kind == "sinkhorn":
                steps[msg["id"]] = SinkhornStep(msg["batch"], msg["prototypes"], msg.get("epsilon", 0.05))
            else:
                raise ValueError(f"unknown kind {kind}")
            out = {"ok": True}
        elif cmd == "step":
            s = steps[msg["id"]]
            c0, t0 = time.process_time(), time.perf_counter()
            loss = s.step()
            out = {"wall_ms": (time.perf_counter() - t0) * 1e3, "cpu_ms": (time.process_time() - c0) * 1e3, "loss": loss}
        elif cmd == "drop":
            steps.pop(msg["id"], None)
            out = {"ok": True}
        elif cmd == "quit":
            break
        else:
            raise ValueError(f"unknown command {cmd}")
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
