"""Reference numbers for test/nn/nn-leftovers-session15.test.ts: nn.Conv3d (stride, padding, 'same',
dilation, groups, padding_mode), nn.ConvTranspose3d (stride, padding, output_padding, dilation, groups)
and the 3-D pools (MaxPool3d with dilation and ceil_mode, AvgPool3d with count_include_pad, ceil_mode and
divisor_override, AdaptiveAvgPool3d, AdaptiveMaxPool3d), float32 inputs and weights with
fixed seeds, computed in float64.

Run: /usr/bin/python3 tools/torch-fixtures-nn-leftovers.py  (PyTorch 1.13; writes
test/fixtures/nn-leftovers-session15.json).

Each case holds `config`, the input `x` (PyTorch's channels-first layout), the module's `state_dict`
(empty for pools), the output `y` and the gradients of sum(y * gy), gy = cos(0.37 i + 0.1) over y's
flat index i, with respect to x (`gx`) and to every state-dict entry (`grads`); 6 significant digits.
"""
import json, os
import torch

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures')
torch.set_default_dtype(torch.float32)


def lst(t):
    return [float(f'{v:.6g}') for v in t.detach().reshape(-1).tolist()], list(t.shape)


def rounded(t):
    v, shape = lst(t)
    return torch.tensor(v, dtype=torch.float64).reshape(shape)


def case(m, x, config):
    # float32 inputs and weights, computed in float64: the reference is the exact value, not float32's rounding.
    # The inputs and weights are rounded to the digits the fixture stores, so the test computes from the same numbers.
    m = m.double()
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(rounded(p))
    x = rounded(x).requires_grad_(True)
    y = m(x)
    gy = torch.cos(0.37 * torch.arange(y.numel(), dtype=torch.float32) + 0.1).double().reshape(y.shape)
    params = dict(m.named_parameters())
    grads = torch.autograd.grad((y * gy).sum(), [x] + list(params.values()))
    return dict(
        config={k: list(v) if isinstance(v, tuple) else v for k, v in config.items()},
        x=lst(x), y=lst(y), gx=lst(grads[0]),
        state_dict={k: lst(v) for k, v in m.state_dict().items()},
        grads={k: lst(v) for k, v in zip(params.keys(), grads[1:])},
    )


def perturbed(m, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.5)
    return m


cases = {}
gen = torch.Generator().manual_seed(0)
randn = lambda *s: torch.randn(*s, generator=gen)

for name, cfg, xs in [
    ('conv3d_strided', dict(in_channels=2, out_channels=3, kernel_size=(2, 3, 2), stride=(1, 2, 1), padding=(1, 0, 1)), (1, 2, 3, 5, 4)),
    ('conv3d_groups_dilated', dict(in_channels=4, out_channels=2, kernel_size=3, stride=2, padding=1, dilation=(2, 1, 1), groups=2), (1, 4, 5, 4, 5)),
    ('conv3d_same', dict(in_channels=2, out_channels=2, kernel_size=(3, 2, 3), padding='same', dilation=(1, 2, 1), bias=False), (1, 2, 4, 3, 5)),
    ('conv3d_replicate', dict(in_channels=1, out_channels=2, kernel_size=3, padding=(1, 2, 1), padding_mode='replicate'), (1, 1, 3, 4, 4)),
]:
    m = perturbed(torch.nn.Conv3d(**cfg), len(cases))
    cases[name] = case(m, randn(*xs), cfg)

for name, cfg, xs in [
    ('ct3d_groups', dict(in_channels=2, out_channels=4, kernel_size=(2, 3, 3), stride=(2, 1, 2), padding=(0, 1, 1), output_padding=(1, 0, 1), groups=2), (1, 2, 3, 3, 4)),
    ('ct3d_dilated', dict(in_channels=3, out_channels=2, kernel_size=2, stride=2, padding=1, dilation=(2, 1, 2), bias=False), (1, 3, 3, 2, 3)),
]:
    m = perturbed(torch.nn.ConvTranspose3d(**cfg), len(cases))
    cases[name] = case(m, randn(*xs), cfg)

for name, m, cfg, xs in [
    ('maxpool3d_ceil_dilated', torch.nn.MaxPool3d(kernel_size=(2, 3, 2), stride=(2, 2, 1), padding=(1, 1, 0), dilation=(1, 1, 2), ceil_mode=True),
     dict(kernel_size=(2, 3, 2), stride=(2, 2, 1), padding=(1, 1, 0), dilation=(1, 1, 2), ceil_mode=True), (1, 2, 5, 4, 5)),
    ('maxpool3d_default', torch.nn.MaxPool3d(2), dict(kernel_size=2), (1, 1, 4, 5, 4)),
    ('avgpool3d_ceil', torch.nn.AvgPool3d(kernel_size=3, stride=2, padding=1, ceil_mode=True), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True), (1, 2, 5, 5, 3)),
    ('avgpool3d_exclude_pad', torch.nn.AvgPool3d(kernel_size=(2, 3, 3), stride=(1, 2, 2), padding=(1, 1, 0), count_include_pad=False, ceil_mode=True),
     dict(kernel_size=(2, 3, 3), stride=(1, 2, 2), padding=(1, 1, 0), count_include_pad=False, ceil_mode=True), (1, 1, 3, 5, 6)),
    ('avgpool3d_divisor', torch.nn.AvgPool3d(kernel_size=2, padding=1, divisor_override=3), dict(kernel_size=2, padding=1, divisor_override=3), (1, 2, 3, 3, 4)),
    ('adaptiveavg3d', torch.nn.AdaptiveAvgPool3d((2, 3, None)), dict(output_size=(2, 3, None)), (1, 1, 5, 7, 3)),
    ('adaptivemax3d', torch.nn.AdaptiveMaxPool3d((3, 2, 2)), dict(output_size=(3, 2, 2)), (1, 1, 4, 5, 3)),
]:
    cases[name] = case(m, randn(*xs), cfg)

path = os.path.join(here, 'nn-leftovers-session15.json')
with open(path, 'w') as f:
    json.dump(dict(torch=torch.__version__, cases=cases), f, separators=(',', ':'))
print(path, os.path.getsize(path))
