"""PyTorch 1.13 references for test/nn/torch-semantics.test.ts: pooling options (ceil_mode,
count_include_pad, divisor_override, padding pairs), adaptive pooling to sizes that do not
divide the input, Conv2d(padding='same') with an even dilated kernel, and LayerNorm over several trailing dims.
Inputs are NCHW here; the JSON stores NHWC (tfjax's layout) and HWIO filters.
Run: /usr/bin/python3 tools/torch-fixtures-nn-semantics.py"""
import json
import torch
import torch.nn.functional as F

torch.manual_seed(0)
x = torch.randn(2, 3, 7, 6)
nhwc = lambda t: t.permute(0, 2, 3, 1).contiguous()
enc = lambda t: {"shape": list(t.shape), "data": [round(v, 7) for v in t.reshape(-1).tolist()]}

POOLS = {
    "max_k3_s2_p1_ceil": lambda t: F.max_pool2d(t, 3, 2, 1, ceil_mode=True),
    "max_k2_s2_ceil": lambda t: F.max_pool2d(t, 2, 2, ceil_mode=True),
    "max_k32_s21_p10": lambda t: F.max_pool2d(t, (3, 2), (2, 1), (1, 0)),
    "avg_k3_s2_p1_exclude_pad": lambda t: F.avg_pool2d(t, 3, 2, 1, count_include_pad=False),
    "avg_k3_s2_p1_ceil": lambda t: F.avg_pool2d(t, 3, 2, 1, ceil_mode=True),
    "avg_k3_s2_p1_ceil_exclude_pad": lambda t: F.avg_pool2d(t, 3, 2, 1, ceil_mode=True, count_include_pad=False),
    "avg_k2_s2_divisor3": lambda t: F.avg_pool2d(t, 2, 2, divisor_override=3),
    "avg_k3_s3_p1_ceil": lambda t: F.avg_pool2d(t, 3, 3, 1, ceil_mode=True),
    "adaptive_avg_3x4": lambda t: F.adaptive_avg_pool2d(t, (3, 4)),
    "adaptive_avg_5xNone": lambda t: F.adaptive_avg_pool2d(t, (5, None)),
    "adaptive_max_3x4": lambda t: F.adaptive_max_pool2d(t, (3, 4)),
    "adaptive_avg_1": lambda t: F.adaptive_avg_pool2d(t, 1),
}
cases = {name: enc(nhwc(f(x))) for name, f in POOLS.items()}

conv = torch.nn.Conv2d(3, 4, 4, padding="same", dilation=2)
with torch.no_grad():
    y = conv(x)
# LayerNorm over several trailing dims, applied to the NHWC array itself (the layout does not matter).
ln = torch.nn.LayerNorm([6, 3])
with torch.no_grad():
    ln.weight.copy_(torch.randn(6, 3))
    ln.bias.copy_(torch.randn(6, 3))
    ln_y = ln(nhwc(x))
    ln_plain = torch.nn.LayerNorm([7, 6, 3], elementwise_affine=False)(nhwc(x))
out = {
    "x": enc(nhwc(x)),
    "layer_norm": {"weight": enc(ln.weight.detach()), "bias": enc(ln.bias.detach()), "y": enc(ln_y), "y_no_affine_3d": enc(ln_plain)},
    "pools": cases,
    "conv_same": {"w": enc(conv.weight.detach().permute(2, 3, 1, 0).contiguous()), "b": enc(conv.bias.detach()), "y": enc(nhwc(y))},
    "gains": {n: torch.nn.init.calculate_gain(n) for n in ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose2d", "sigmoid", "tanh", "relu", "selu"]},
}
with open("test/fixtures/torch_nn_semantics.json", "w") as f:
    json.dump(out, f, separators=(",", ":"))
