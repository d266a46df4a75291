"""Reference numbers for test/nn/torch-session14.test.ts (PyTorch 1.13, float32, fixed seeds):

- F.embedding_bag / nn.EmbeddingBag: modes sum/mean/max, 1-D input with offsets (include_last_offset with
  offsets[-1] = len(input): PyTorch 1.13 miscounts mean bags and crashes in max mode otherwise,
  empty bags), 2-D input, per_sample_weights (sum), padding_idx, max_norm; gradients w.r.t. the
  weight and per_sample_weights;
- nn.InstanceNorm1d/2d(track_running_stats=True): training output and running statistics after
  two steps, then evaluation with them (affine, momentum);
- F.adaptive_max_pool1d/2d(return_indices=True) with uneven bins.

Run: /usr/bin/python3 tools/torch_session14_fixtures.py  (writes test/fixtures/nn_session14.json).
Inputs are channels-first as PyTorch takes them; the test transposes. Gradients are of
sum(out * cos(0.37 i + 0.1)) (i the flat index) w.r.t. the float inputs named in `grads`.
"""
import json, os
import torch
import torch.nn.functional as F
from torch_fixture_helpers import grads_of as shared_grads_of, shaped

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures')
gen = torch.Generator().manual_seed(14)
randn = lambda *s: torch.randn(*s, generator=gen)


cases = {}


def case(name, f, inputs, extra=None):
    ins = {k: (v.clone().requires_grad_(True) if v.is_floating_point() else v) for k, v in inputs.items()}
    out = f(**ins)
    y = out[0] if isinstance(out, tuple) else out
    c = {'inputs': {k: shaped(v) for k, v in inputs.items()}, 'out': shaped(y), 'grads': shared_grads_of(y, ins, shaped)}
    if isinstance(out, tuple):
        c['indices'] = shaped(out[1])
    if extra:
        c.update(extra)
    cases[name] = c


# ---------------------------------------------------------------- EmbeddingBag
w = randn(7, 3)
idx1 = torch.tensor([2, 4, 4, 1, 0, 6, 3, 1, 5, 2])
offs = torch.tensor([0, 3, 3, 6])  # bag 1 empty
psw = randn(10)
idx2 = torch.tensor([[1, 2, 1], [6, 0, 3]])
psw2 = randn(2, 3)
for mode in ['sum', 'mean', 'max']:
    case(f'bag_{mode}_offsets', lambda weight, mode=mode: F.embedding_bag(idx1, weight, offs, mode=mode), {'weight': w}, {'input': shaped(idx1), 'offsets': shaped(offs), 'mode': mode})
    case(f'bag_{mode}_2d_pad', lambda weight, mode=mode: F.embedding_bag(idx2, weight, mode=mode, padding_idx=1), {'weight': w}, {'input': shaped(idx2), 'mode': mode, 'padding_idx': 1})
    case(f'bag_{mode}_last_offset_pad', lambda weight, mode=mode: F.embedding_bag(idx1, weight, torch.tensor([0, 2, 5, 5, 10]), mode=mode, include_last_offset=True, padding_idx=4),
         {'weight': w}, {'input': shaped(idx1), 'offsets': shaped(torch.tensor([0, 2, 5, 5, 10])), 'mode': mode, 'padding_idx': 4})
case('bag_sum_psw', lambda weight, psw: F.embedding_bag(idx1, weight, offs, mode='sum', per_sample_weights=psw), {'weight': w, 'psw': psw}, {'input': shaped(idx1), 'offsets': shaped(offs), 'mode': 'sum'})
case('bag_sum_psw_2d_pad', lambda weight, psw: F.embedding_bag(idx2, weight, mode='sum', per_sample_weights=psw, padding_idx=6), {'weight': w, 'psw': psw2}, {'input': shaped(idx2), 'mode': 'sum', 'padding_idx': 6})
wbig = randn(7, 3) * 2
case('bag_mean_maxnorm', lambda weight: F.embedding_bag(idx1, weight * 1, offs, mode='mean', max_norm=1.5), {'weight': wbig}, {'input': shaped(idx1), 'offsets': shaped(offs), 'mode': 'mean'})
torch.manual_seed(0)
bag = torch.nn.EmbeddingBag(7, 3, mode='sum', padding_idx=2)
cases['bag_module_init'] = {'state_keys': sorted(bag.state_dict().keys()), 'pad_row': shaped(bag.weight[2])}

# ---------------------------------------------------------------- InstanceNorm with running statistics
for name, mod, shape in [
    ('inorm1d_track', torch.nn.InstanceNorm1d(3, track_running_stats=True, momentum=0.3), (2, 3, 5)),
    ('inorm2d_track_affine', torch.nn.InstanceNorm2d(4, affine=True, track_running_stats=True), (2, 4, 3, 2)),
]:
    if mod.affine:
        with torch.no_grad():
            mod.weight.copy_(randn(mod.num_features)); mod.bias.copy_(randn(mod.num_features))
    xa, xb_, xe = randn(*shape) * 2 + 0.5, randn(*shape), randn(*shape)
    mod.train()
    ins = {'x': xa.clone().requires_grad_(True)}
    if mod.affine:
        ins['weight'] = mod.weight
        ins['bias'] = mod.bias
    y1 = mod(ins['x'])
    g1 = shared_grads_of(y1, ins, shaped)
    m1, v1 = mod.running_mean.clone(), mod.running_var.clone()
    mod(xb_)
    m2, v2 = mod.running_mean.clone(), mod.running_var.clone()
    mod.eval()
    xe_ = xe.clone().requires_grad_(True)
    ye = mod(xe_)
    ge = shared_grads_of(ye, {'x': xe_}, shaped)
    cases[name] = {
        'x1': shaped(xa), 'x2': shaped(xb_), 'xe': shaped(xe), 'momentum': mod.momentum,
        'weight': shaped(mod.weight) if mod.affine else None, 'bias': shaped(mod.bias) if mod.affine else None,
        'y1': shaped(y1), 'grads1': g1, 'mean1': shaped(m1), 'var1': shaped(v1), 'mean2': shaped(m2), 'var2': shaped(v2),
        'ye': shaped(ye), 'gradse': ge, 'state_keys': sorted(mod.state_dict().keys()),
    }

# ---------------------------------------------------------------- adaptive max pooling with indices
x2 = randn(1, 2, 7, 5)
x2[0, 0, 1, 1] = x2[0, 0, 1, 2] = 5.0  # a tie inside one window
x1 = randn(1, 2, 10)
case('amp2d_3x2', lambda x: F.adaptive_max_pool2d(x, (3, 2), return_indices=True), {'x': x2})
case('amp2d_4x4', lambda x: F.adaptive_max_pool2d(x, 4, return_indices=True), {'x': x2})
case('amp2d_none_3', lambda x: F.adaptive_max_pool2d(x, (None, 3), return_indices=True), {'x': x2})
case('amp1d_4', lambda x: F.adaptive_max_pool1d(x, 4, return_indices=True), {'x': x1})
case('amp1d_7', lambda x: F.adaptive_max_pool1d(x, 7, return_indices=True), {'x': x1})

# ---------------------------------------------------------------- torch.nn.functional audit
xi = randn(1, 1, 4, 5)
xl = randn(1, 2, 6)
for name, kw in {
    'interp_nearest_s1_7': dict(scale_factor=1.7, mode='nearest'),
    'interp_nearest_size': dict(size=(7, 3), mode='nearest'),
    'interp_nearest_exact_s0_6': dict(scale_factor=0.6, mode='nearest-exact'),
    'interp_nearest_exact_size': dict(size=(6, 9), mode='nearest-exact'),
    'interp_bilinear_s1_5': dict(scale_factor=1.5, mode='bilinear', align_corners=False),
    'interp_bilinear_s1_5_ac': dict(scale_factor=1.5, mode='bilinear', align_corners=True),
    'interp_bilinear_size_down': dict(size=(3, 2), mode='bilinear', align_corners=False),
    'interp_bilinear_s2_3': dict(scale_factor=(2.0, 0.7), mode='bilinear', align_corners=False),
    'interp_bicubic_s1_5': dict(scale_factor=1.5, mode='bicubic', align_corners=False),
    'interp_bicubic_size_ac': dict(size=(7, 4), mode='bicubic', align_corners=True),
    'interp_bicubic_s0_6': dict(scale_factor=0.6, mode='bicubic', align_corners=False),
    'interp_area_size': dict(size=(3, 2), mode='area'),
    'interp_area_s2': dict(scale_factor=2, mode='area'),
}.items():
    case(name, lambda x, kw=kw: F.interpolate(x, **kw), {'x': xi}, {'kw': {k: v for k, v in kw.items()}})
for name, kw in {
    'interp1d_linear_s2_5': dict(scale_factor=2.5, mode='linear', align_corners=False),
    'interp1d_linear_size_ac': dict(size=4, mode='linear', align_corners=True),
    'interp1d_nearest_s0_5': dict(scale_factor=0.5, mode='nearest'),
    'interp1d_area_size': dict(size=4, mode='area'),
}.items():
    case(name, lambda x, kw=kw: F.interpolate(x, **kw), {'x': xl})
xp = randn(1, 8, 2, 3)
case('pixel_shuffle_2', lambda x: F.pixel_shuffle(x, 2), {'x': xp})
case('pixel_unshuffle_2', lambda x: F.pixel_unshuffle(x, 2), {"x": randn(1, 2, 4, 4)})
xq = randn(1, 1, 3, 4)
for name, (pad, mode) in {
    'pad_reflect': ((2, 1, 1, 2), 'reflect'),
    'pad_replicate': ((3, 0, 2, 1), 'replicate'),
    'pad_circular': ((2, 4, 3, 1), 'circular'),
    'pad_circular_neg': ((-1, 2, 1, -1), 'circular'),
    'pad_constant_neg': ((-1, 2, 1, -2, 1, 0), 'constant'),
    'pad_reflect_1d': ((3, 2), 'reflect'),
}.items():
    case(name, lambda x, pad=pad, mode=mode: F.pad(x, pad, mode=mode), {'x': xq if '1d' not in name else xl}, {'pad': list(pad), 'mode': mode})
xn = randn(3, 4, 2)
for name, kw in {
    'normalize_default': dict(),
    'normalize_p1_dim2': dict(p=1, dim=2),
    'normalize_p3_dim0': dict(p=3.0, dim=0, eps=0.5),
}.items():
    case(name, lambda x, kw=kw: F.normalize(x, **kw), {'x': xn})
wemb = randn(6, 3) * 2
iemb = torch.tensor([[0, 5, 2], [2, 2, 4]])
case('f_embedding_maxnorm_pad', lambda weight: F.embedding(iemb, weight * 1, padding_idx=2, max_norm=1.0, norm_type=1.0), {'weight': wemb}, {'input': shaped(iemb)})
case('f_embedding_plain', lambda weight: F.embedding(iemb, weight), {'weight': wemb}, {'input': shaped(iemb)})

path = os.path.join(here, 'nn_session14.json')
with open(path, 'w') as f:
    json.dump(cases, f, separators=(',', ':'))
print(path, os.path.getsize(path), 'bytes')
