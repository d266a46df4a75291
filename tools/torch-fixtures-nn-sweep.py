"""Reference numbers for test/nn/nn-sweep.test.ts: nn.ConvTranspose1d/2d, Conv1d/2d with each
padding_mode, F.interpolate (nearest, nearest-exact, linear, bilinear, align_corners), F.pixel_shuffle /
pixel_unshuffle and the 1-D pools (Max/AvgPool1d, AdaptiveAvg/MaxPool1d), in float32 with fixed seeds.

Run: /usr/bin/python3 tools/torch-fixtures-nn-sweep.py  (PyTorch 1.13; writes test/fixtures/nn_sweep.json).

Each case holds `config`, the input `x` (PyTorch's channels-first layout), the module's `state_dict`
(empty for functions), the output `y` and the gradients of sum(y * gy), gy = cos(0.37 i + 0.1) over y's flat index i, with respect
to x (`gx`) and to every state-dict entry (`grads`). Numbers are rounded to 6 significant digits.
"""
import json, os
import torch
import torch.nn.functional as F

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures')
torch.set_default_dtype(torch.float32)


def lst(t):
    return [float(f'{v:.6g}') for v in t.detach().reshape(-1).tolist()], list(t.shape)


def case(fn, x, module=None, config=None, seed=0):
    x = x.clone().requires_grad_(True)
    y = fn(x)
    gy = torch.cos(0.37 * torch.arange(y.numel(), dtype=torch.float32) + 0.1).reshape(y.shape)
    params = dict(module.named_parameters()) if module is not None else {}
    grads = torch.autograd.grad((y * gy).sum(), [x] + list(params.values()))
    return dict(
        config=config or {},
        x=lst(x), y=lst(y), gx=lst(grads[0]),
        state_dict={k: lst(v) for k, v in (module.state_dict().items() if module is not None else [])},
        grads={k: lst(v) for k, v in zip(params.keys(), grads[1:])},
    )


def perturbed(module, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.5)
    return module


cases = {}
gen = torch.Generator().manual_seed(0)
randn = lambda *s: torch.randn(*s, generator=gen)

# Transposed convolutions: groups, output padding, stride with dilation, non-square options.
for name, cfg, xs in [
    ('ct2d_groups', dict(in_channels=4, out_channels=4, kernel_size=3, stride=2, padding=1, output_padding=1, groups=2), (1, 4, 3, 3)),
    ('ct2d_rect', dict(in_channels=3, out_channels=2, kernel_size=(2, 3), stride=(2, 1), padding=(0, 1), output_padding=(1, 1), dilation=(1, 2)), (1, 3, 4, 3)),
    ('ct2d_strided_dilated', dict(in_channels=2, out_channels=3, kernel_size=3, stride=2, padding=2, output_padding=1, dilation=2, bias=False), (1, 2, 4, 4)),
]:
    m = perturbed(torch.nn.ConvTranspose2d(**cfg), len(cases))
    cases[name] = case(m, randn(*xs), m, {k: list(v) if isinstance(v, tuple) else v for k, v in cfg.items()}, len(cases))
m = perturbed(torch.nn.ConvTranspose1d(3, 4, 4, stride=2, padding=1, output_padding=1), 7)
cases['ct1d'] = case(m, randn(2, 3, 6), m, dict(in_channels=3, out_channels=4, kernel_size=4, stride=2, padding=1, output_padding=1), 7)

# Convolutions with padding_mode.
for name, cfg, xs in [
    ('conv2d_reflect', dict(in_channels=2, out_channels=3, kernel_size=3, padding=1, padding_mode='reflect'), (1, 2, 5, 4)),
    ('conv2d_replicate', dict(in_channels=2, out_channels=2, kernel_size=3, padding=(1, 2), padding_mode='replicate'), (1, 2, 4, 5)),
    ('conv2d_circular', dict(in_channels=2, out_channels=2, kernel_size=3, padding=2, stride=2, padding_mode='circular'), (1, 2, 5, 5)),
    ('conv2d_same_reflect', dict(in_channels=1, out_channels=2, kernel_size=4, padding='same', padding_mode='reflect'), (1, 1, 5, 6)),
]:
    m = perturbed(torch.nn.Conv2d(**cfg), len(cases))
    cases[name] = case(m, randn(*xs), m, {k: list(v) if isinstance(v, tuple) else v for k, v in cfg.items()}, len(cases))
m = perturbed(torch.nn.Conv1d(2, 3, 3, padding=2, padding_mode='circular'), 11)
cases['conv1d_circular'] = case(m, randn(2, 2, 5), m, dict(in_channels=2, out_channels=3, kernel_size=3, padding=2, padding_mode='circular'), 11)

# F.interpolate.
for name, shape, kw in [
    ('nearest_size', (1, 2, 5, 4), dict(size=(7, 3), mode='nearest')),
    ('nearest_scale', (1, 2, 5, 3), dict(scale_factor=1.7, mode='nearest')),
    ('nearest_exact', (1, 2, 5, 4), dict(size=(8, 3), mode='nearest-exact')),
    ('bilinear', (1, 2, 4, 5), dict(size=(7, 3), mode='bilinear', align_corners=False)),
    ('bilinear_ac', (1, 2, 4, 5), dict(size=(7, 9), mode='bilinear', align_corners=True)),
    ('bilinear_scale', (1, 1, 5, 3), dict(scale_factor=(1.5, 2.5), mode='bilinear', align_corners=False)),
    ('linear', (2, 3, 5), dict(size=8, mode='linear', align_corners=False)),
    ('linear_ac', (1, 2, 6), dict(size=4, mode='linear', align_corners=True)),
    ('nearest_1d_scale', (1, 2, 5), dict(scale_factor=2.5, mode='nearest')),
]:
    cfg = {k: list(v) if isinstance(v, tuple) else v for k, v in kw.items()}
    cases['interp_' + name] = case(lambda x, kw=kw: F.interpolate(x, **kw), randn(*shape), None, cfg, len(cases))

cases['pixel_shuffle'] = case(lambda x: F.pixel_shuffle(x, 2), randn(1, 8, 2, 3), None, dict(r=2), 21)
cases['pixel_unshuffle'] = case(lambda x: F.pixel_unshuffle(x, 2), randn(1, 2, 4, 6), None, dict(r=2), 22)

# 1-D pools.
for name, mod, cfg in [
    ('maxpool1d', torch.nn.MaxPool1d(3, stride=2, padding=1, ceil_mode=True), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ('avgpool1d', torch.nn.AvgPool1d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)),
    ('avgpool1d_pad', torch.nn.AvgPool1d(4, stride=3, padding=2), dict(kernel_size=4, stride=3, padding=2)),
    ('adaptiveavg1d', torch.nn.AdaptiveAvgPool1d(3), dict(output_size=3)),
    ('adaptivemax1d', torch.nn.AdaptiveMaxPool1d(4), dict(output_size=4)),
]:
    cases[name] = case(mod, randn(2, 3, 8), None, cfg, len(cases))

path = os.path.join(here, 'nn_sweep.json')
with open(path, 'w') as f:
    json.dump(dict(torch=torch.__version__, cases=cases), f, separators=(',', ':'))
print(path, os.path.getsize(path), 'bytes')
