"""The benchmark steps in PyTorch, one thread, run by bench/peers/pytorch.ts as a child process.

Protocol: one JSON object per line on stdin, one JSON reply per line on stdout.
  {"cmd": "info"}                                   -> versions, threads, build flags
  {"cmd": "setup", "id": "a", "kind": "mlp", "batch": 512}
  {"cmd": "setup", "id": "b", "kind": "swav", "batch": 256, "views": [28, 28], "prototypes": 300}
  {"cmd": "setup", "id": "c", "kind": "sinkhorn", "batch": 4096, "prototypes": 3000, "epsilon": 0.05}
  {"cmd": "setup", "id": "d", "kind": "matmul", "batch": 1024}     (a 1024 x 1024 product)
  {"cmd": "setup", "id": "e", "kind": "conv", "batch": 256}        (the ConvNet's second conv, forward)
  {"cmd": "setup", "id": "f", "kind": "swav_resnet18", "batch": 64, "views": [32, 32], "prototypes": 3000}
  {"cmd": "setup", "id": "g", "kind": "swav_vit_tiny", "batch": 64, "views": [32, 32], "prototypes": 3000}
  {"cmd": "setup", "id": "h", "kind": "simclr_resnet18", "batch": 64, "views": [32, 32]}
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

swav_resnet18 / swav_vit_tiny: the same step on RGB views with projector 512-2048-128 (192-2048-128
for the ViT) and the encoders of lib/nn: ResNet-18 with the low-resolution stem (3x3 stride-1
convolution, no max-pool), and timm's ViT-tiny (dim 192, depth 12, 3 heads, MLP 768, GELU,
LayerNorm eps 1e-6, class token) with patch 4 and its 56x56 position-embedding grid (made for
224) resized bilinearly to the 8x8 grid of a 32x32 view on every forward, as lib/nn's
dynamic image size does.
"""
import ctypes
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


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout)
        self.conv2, self.bn2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(y + (x if self.down is None else self.down(x)))


class ResNet18LowRes(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False), nn.BatchNorm2d(64)
        blocks, cin = [], 64
        for cout, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
            blocks += [BasicBlock(cin, cout, stride), BasicBlock(cout, cout, 1)]
            cin = cout
        self.blocks = nn.Sequential(*blocks)

    def forward(self, x):
        return self.blocks(F.relu(self.bn1(self.conv1(x)))).mean(dim=(2, 3))


class VitBlock(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.norm1, self.norm2 = nn.LayerNorm(dim, eps=1e-6), nn.LayerNorm(dim, eps=1e-6)
        self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        self.fc1, self.fc2 = nn.Linear(dim, 4 * dim), nn.Linear(4 * dim, dim)

    def forward(self, x):
        n, t, d = x.shape
        q, k, v = self.qkv(self.norm1(x)).reshape(n, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        a = torch.softmax((q @ k.transpose(-2, -1)) * (d // self.heads) ** -0.5, dim=-1)
        x = x + self.proj((a @ v).transpose(1, 2).reshape(n, t, d))
        return x + self.fc2(F.gelu(self.fc1(self.norm2(x))))


class VitTiny(nn.Module):
    def __init__(self, patch=4, img_size=224, dim=192, depth=12, heads=3):
        super().__init__()
        self.patch, self.grid = patch, img_size // patch
        self.proj = nn.Conv2d(3, dim, patch, patch)
        self.cls = nn.Parameter(torch.randn(1, 1, dim) * 1e-6)
        self.pos = nn.Parameter(torch.randn(1, 1 + self.grid**2, dim) * 0.02)
        self.blocks = nn.Sequential(*[VitBlock(dim, heads) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)

    def forward(self, x):
        tokens = self.proj(x).flatten(2).transpose(1, 2)
        gh, gw, d = x.shape[2] // self.patch, x.shape[3] // self.patch, tokens.shape[2]
        grid = self.pos[:, 1:].reshape(1, self.grid, self.grid, d).permute(0, 3, 1, 2)
        grid = F.interpolate(grid, size=(gh, gw), mode="bilinear", align_corners=False).permute(0, 2, 3, 1).reshape(1, gh * gw, d)
        h = torch.cat([self.cls.expand(x.shape[0], -1, -1), tokens], 1) + torch.cat([self.pos[:, :1], grid], 1)
        return self.norm(self.blocks(h))[:, 0]


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
    def __init__(self, batch, views=(28, 28), prototypes=300, hidden=512, out_dim=128, global_views=2, backbone=None, embed_dim=128, channels=1):
        self.backbone = backbone or ConvNetSmall()
        self.projector = nn.Sequential(nn.Linear(embed_dim, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Linear(hidden, out_dim))
        self.prototypes = nn.Linear(out_dim, prototypes, bias=False)
        params = list(self.backbone.parameters()) + list(self.projector.parameters()) + list(self.prototypes.parameters())
        self.opt = torch.optim.SGD(params, lr=0.1)
        self.views = [torch.rand(batch, channels, s, s) for s in views]
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


class SimclrStep:
    """SimCLR with stable-pretraining's defaults: projector 2048-2048-256 (Linear without bias, BatchNorm, ReLU; the last BatchNorm without a bias), NT-Xent at temperature 0.5."""

    def __init__(self, batch, views=(32, 32), backbone=None, embed_dim=512, temperature=0.5):
        self.backbone = backbone or ResNet18LowRes()
        layers, d = [], embed_dim
        for h in (2048, 2048):
            layers += [nn.Linear(d, h, bias=False), nn.BatchNorm1d(h), nn.ReLU()]
            d = h
        last_norm = nn.BatchNorm1d(256)
        last_norm.bias.requires_grad_(False)
        self.projector = nn.Sequential(*layers, nn.Linear(d, 256, bias=False), last_norm)
        params = [q for q in list(self.backbone.parameters()) + list(self.projector.parameters()) if q.requires_grad]
        self.opt = torch.optim.SGD(params, lr=0.1)
        self.views = [torch.rand(batch, 3, s, s) for s in views]
        self.temperature = temperature

    def step(self):
        z = F.normalize(torch.cat([self.projector(self.backbone(v)) for v in self.views]), dim=1)
        n = z.shape[0] // 2
        sim = (z @ z.t() / self.temperature).masked_fill(torch.eye(2 * n, dtype=torch.bool), float("-inf"))
        targets = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
        loss = F.cross_entropy(sim, targets)
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


class RnnStep:
    """An Elman RNN over T steps written as a Python loop (h = tanh(h W^T + x U^T + b)), the sum of
    squares of the last state, and its gradient with respect to W, U and b (loss.backward)."""

    def __init__(self, batch, steps=64, hidden=256):
        g = torch.Generator().manual_seed(0)
        self.xs = torch.randn(steps, batch, hidden, generator=g) * 0.5
        self.w, self.u, self.b = (torch.randn(*s, generator=g).mul_(0.05).requires_grad_() for s in ((hidden, hidden), (hidden, hidden), (hidden,)))

    def step(self):
        h = torch.zeros(self.xs.shape[1], self.xs.shape[2])
        for x in self.xs:
            h = torch.tanh(h @ self.w.t() + x @ self.u.t() + self.b)
        loss = h.square().sum()
        self.w.grad = self.u.grad = self.b.grad = None
        loss.backward()
        return loss.item()


class _DlInfo(ctypes.Structure):
    _fields_ = [("fname", ctypes.c_char_p), ("fbase", ctypes.c_void_p), ("sname", ctypes.c_char_p), ("saddr", ctypes.c_void_p)]


def blas_in_use():
    """The library whose sgemm_ torch's matmuls call, and its OpenBLAS configuration if it is
    OpenBLAS. Debian's torch is built against the generic libblas.so.3 (BLAS_INFO=generic), which
    the alternatives system points at the reference BLAS (3-4 GFLOP/s here) or at OpenBLAS."""
    with open("/proc/self/maps") as maps:
        torch_cpu = next((l.split()[-1] for l in maps if "libtorch_cpu" in l), None)
    if torch_cpu is None:
        return "unknown (libtorch_cpu not mapped)"
    try:
        sgemm = ctypes.cast(ctypes.CDLL(torch_cpu).sgemm_, ctypes.c_void_p).value
    except AttributeError:
        return "unknown (no sgemm_ reachable from libtorch_cpu)"
    info = _DlInfo()
    ctypes.CDLL(None).dladdr(ctypes.c_void_p(sgemm), ctypes.byref(info))
    path = os.path.realpath(info.fname.decode())
    lib = ctypes.CDLL(path)
    if not hasattr(lib, "openblas_get_config"):
        return ("reference BLAS: " if "/blas/libblas" in path else "sgemm_ from ") + path
    lib.openblas_get_config.restype = ctypes.c_char_p
    return f"{lib.openblas_get_config().decode().strip()}, {lib.openblas_get_num_threads()} thread(s): {path}"


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
                "blas": blas_in_use() + " (build: BLAS_INFO=" + (re.search(r"BLAS_INFO=(\w+)", cfg) or [None, "?"])[1] + ")",
                "cpu_capability": next((l.split(":")[1].strip() for l in cfg.split("\n") if "CPU capability usage" in l), "?"),
            }
        elif cmd == "setup":
            kind = msg["kind"]
            if kind == "mlp":
                steps[msg["id"]] = MlpStep(msg["batch"])
            elif kind == "swav":
                steps[msg["id"]] = SwavStep(msg["batch"], tuple(msg.get("views", (28, 28))), msg.get("prototypes", 300))
            elif kind in ("swav_resnet18", "swav_vit_tiny"):
                resnet = kind == "swav_resnet18"
                backbone, embed = (ResNet18LowRes(), 512) if resnet else (VitTiny(), 192)
                views = tuple(msg.get("views", (32, 32)))
                steps[msg["id"]] = SwavStep(msg["batch"], views, msg.get("prototypes", 3000), 2048, 128, backbone=backbone, embed_dim=embed, channels=3)
            elif kind == "simclr_resnet18":
                steps[msg["id"]] = SimclrStep(msg["batch"], tuple(msg.get("views", (32, 32))))
            elif kind == "matmul":
                steps[msg["id"]] = MatmulStep(msg["batch"])
            elif kind == "conv":
                steps[msg["id"]] = ConvStep(msg["batch"])
            elif kind == "rnn":
                steps[msg["id"]] = RnnStep(msg["batch"], msg.get("steps", 64), msg.get("hidden", 256))
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
