"""Reference numbers for test/nn/torch-functional-session15.test.ts (PyTorch 1.13, float32, fixed seed):
torch.nn.functional's names that nn.F lacked before session 15 — hardshrink, softshrink, tanhshrink,
threshold, softmin, rrelu (evaluation), hardtanh(min_val, max_val), prelu, channel_shuffle,
local_response_norm, pdist, cosine_similarity, triplet_margin_with_distance_loss, unfold, fold,
affine_grid and grid_sample (bilinear / nearest x zeros / border / reflection x align_corners).

Run: /usr/bin/python3 tools/torch_functional_session15.py  (writes test/fixtures/nn_functional_session15.json and,
for conv1d / conv2d / conv_transpose1d, group_norm / instance_norm / batch_norm, max_unpool2d, bilinear, and the
options interpolate's recompute_scale_factor, gelu's approximate strings and pairwise_distance's keepdim,
test/fixtures/nn_functional_layers_session15.json).
Inputs are channels-first as PyTorch takes them; the test moves axis 1 last where ours is channels
last. Gradients are of sum(out * cos(0.37 i + 0.1)) (i the flat index of PyTorch's output) w.r.t. the
float inputs named in `grads`.
"""
import json, os
import torch
import torch.nn.functional as F
from torch_fixture_helpers import grads_of, shaped

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures')
gen = torch.Generator().manual_seed(15)
randn = lambda *s: torch.randn(*s, generator=gen)
uniform = lambda lo, hi, *s: torch.rand(*s, generator=gen) * (hi - lo) + lo
cases = {}


def case(name, f, inputs, extra=None):
    ins = {k: (v.clone().requires_grad_(True) if v.is_floating_point() else v) for k, v in inputs.items()}
    y = f(**ins)
    c = {'inputs': {k: shaped(v) for k, v in inputs.items()}, 'out': shaped(y), 'grads': grads_of(y, ins, shaped)}
    if extra:
        c.update(extra)
    cases[name] = c


# ---------------------------------------------------------------- activations
x = randn(3, 5) * 2
case('hardshrink', lambda x: F.hardshrink(x), {'x': x})
case('hardshrink_1', lambda x: F.hardshrink(x, 1.0), {'x': x})
case('softshrink', lambda x: F.softshrink(x), {'x': x})
case('softshrink_1_2', lambda x: F.softshrink(x, 1.2), {'x': x})
case('tanhshrink', lambda x: F.tanhshrink(x), {'x': x})
case('threshold', lambda x: F.threshold(x, 0.1, 20.0), {'x': x})
case('softmin_last', lambda x: F.softmin(x, dim=-1), {'x': x})
case('softmin_0', lambda x: F.softmin(x, dim=0), {'x': x})
case('rrelu_eval', lambda x: F.rrelu(x), {'x': x})
case('rrelu_eval_bounds', lambda x: F.rrelu(x, 0.1, 0.5), {'x': x})
case('hardtanh_range', lambda x: F.hardtanh(x, -0.5, 2.0), {'x': x})
xc = randn(2, 3, 2, 2)
case('prelu_channels', lambda x, w: F.prelu(x, w), {'x': xc, 'w': torch.tensor([0.25, -0.5, 1.5])})
case('prelu_one', lambda x, w: F.prelu(x, w), {'x': xc, 'w': torch.tensor([0.3])})

# ---------------------------------------------------------------- channels
xs = randn(1, 6, 2, 2)  # F.channel_shuffle has no derivative in 1.13: values only
cases['channel_shuffle'] = {'inputs': {'x': shaped(xs)}, 'out': shaped(F.channel_shuffle(xs, 3)), 'grads': {}}
xl = randn(2, 5, 2, 3)
case('lrn_3', lambda x: F.local_response_norm(x, 3), {'x': xl})
case('lrn_4_opts', lambda x: F.local_response_norm(x, 4, alpha=0.5, beta=0.6, k=2.0), {'x': xl})
case('lrn_2_rank3', lambda x: F.local_response_norm(x, 2, alpha=1.0), {'x': randn(2, 4, 3)})

# ---------------------------------------------------------------- distances
xp = randn(5, 3)
xp[3] = xp[1]  # a zero distance
for p in [2.0, 1.0, 3.0, float('inf')]:
    case(f'pdist_{p}', lambda x, p=p: F.pdist(x, p), {'x': xp}, {'p': 'inf' if p == float('inf') else p})
a, b = randn(4, 6), randn(4, 6)
case('cosine_default', lambda a, b: F.cosine_similarity(a, b), {'a': a, 'b': b})
case('cosine_dim0_bcast', lambda a, b: F.cosine_similarity(a, b, dim=0), {'a': a, 'b': randn(4, 1)})
case('cosine_dim0_bcast_on_dim', lambda a, b: F.cosine_similarity(a, b, dim=0), {'a': a, 'b': randn(1, 6)})
case('cosine_small_eps', lambda a, b: F.cosine_similarity(a, b, dim=-1, eps=0.5), {'a': a * 0.1, 'b': b * 0.2})
an, po, ne = randn(4, 3), randn(4, 3), randn(4, 3)
case('triplet_dist_default', lambda a, p, n: F.triplet_margin_with_distance_loss(a, p, n), {'a': an, 'p': po, 'n': ne})
cosd = lambda u, v: 1.0 - F.cosine_similarity(u, v)
case('triplet_dist_cos_swap_sum', lambda a, p, n: F.triplet_margin_with_distance_loss(a, p, n, distance_function=cosd, margin=0.5, swap=True, reduction='sum'), {'a': an, 'p': po, 'n': ne})

# ---------------------------------------------------------------- unfold / fold
xi = randn(1, 2, 5, 6)
case('unfold_k2', lambda x: F.unfold(x, 2), {'x': xi})
case('unfold_opts', lambda x: F.unfold(x, (2, 3), dilation=(1, 2), padding=(1, 0), stride=(2, 1)), {'x': xi})
case('fold_k2_s1', lambda c: F.fold(c, (4, 5), 2), {'c': randn(1, 2 * 4, 12)})
case('fold_opts', lambda c: F.fold(c, (5, 6), (2, 3), dilation=(1, 2), padding=(1, 0), stride=(2, 1)), {'c': randn(1, 2 * 6, 3 * 2)})

# ---------------------------------------------------------------- affine_grid / grid_sample
theta = randn(2, 2, 3) * 0.5 + torch.tensor([[1.0, 0, 0], [0, 1.0, 0]])
for ac in [False, True]:
    case(f'affine_grid_{ac}', lambda t, ac=ac: F.affine_grid(t, [2, 3, 3, 4], align_corners=ac), {'t': theta}, {'size': [2, 3, 3, 4], 'align_corners': ac})
img = randn(1, 2, 3, 4)
grid = uniform(-1.4, 1.4, 1, 2, 3, 2)
for mode in ['bilinear', 'nearest']:
    for pm in ['zeros', 'border', 'reflection']:
        for ac in [False, True]:
            case(f'grid_{mode}_{pm}_{ac}', lambda x, g, mode=mode, pm=pm, ac=ac: F.grid_sample(x, g, mode=mode, padding_mode=pm, align_corners=ac),
                 {'x': img, 'g': grid}, {'mode': mode, 'padding_mode': pm, 'align_corners': ac})


# ---------------------------------------------------------------- functional forms of layers (second file)
first = set(cases)
xcv = randn(1, 4, 5, 6)
case('conv2d_opts', lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2), {'x': xcv, 'w': randn(6, 2, 3, 2), 'b': randn(6)})
case('conv2d_same', lambda x, w: F.conv2d(x, w, padding='same'), {'x': xcv, 'w': randn(3, 4, 2, 3)})
x1d = randn(2, 4, 7)
case('conv1d_opts', lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1, dilation=2, groups=2), {'x': x1d, 'w': randn(4, 2, 3), 'b': randn(4)})
case('conv_transpose1d_opts', lambda x, w, b: F.conv_transpose1d(x, w, b, stride=2, padding=1, output_padding=1, groups=2), {'x': x1d, 'w': randn(4, 3, 3), 'b': randn(6)})
xn = randn(2, 4, 3, 2) * 2 + 1
wn, bn = randn(4), randn(4)
case('group_norm', lambda x, w, b: F.group_norm(x, 2, w, b), {'x': xn, 'w': wn, 'b': bn})
case('instance_norm', lambda x, w, b: F.instance_norm(x, weight=w, bias=b, eps=1e-3), {'x': xn, 'w': wn, 'b': bn})
rm, rv = randn(4), torch.rand(4, generator=gen) + 0.5
case('batch_norm_eval', lambda x, w, b: F.batch_norm(x, rm, rv, w, b), {'x': xn, 'w': wn, 'b': bn}, {'running_mean': shaped(rm), 'running_var': shaped(rv)})
case('batch_norm_train', lambda x, w, b: F.batch_norm(x, rm.clone(), rv.clone(), w, b, training=True, eps=1e-3), {'x': xn, 'w': wn, 'b': bn})
xu = randn(1, 2, 4, 5)
pooled, pidx = F.max_pool2d(xu, 2, stride=2, return_indices=True)
case('max_unpool2d', lambda v: F.max_unpool2d(v, pidx, 2, stride=2, output_size=(4, 5)), {'v': pooled}, {'indices': shaped(pidx), 'x': shaped(xu)})
case('bilinear', lambda a, b, w, c: F.bilinear(a, b, w, c), {'a': randn(3, 2), 'b': randn(3, 4), 'w': randn(5, 2, 4), 'c': randn(5)})


# ---------------------------------------------------------------- options nn.F lacked (regressions)
xr = randn(1, 2, 5, 4)
case('interp_bilinear_recompute', lambda x: F.interpolate(x, scale_factor=1.5, mode='bilinear', recompute_scale_factor=True), {'x': xr})
case('interp_nearest_recompute', lambda x: F.interpolate(x, scale_factor=1.7, recompute_scale_factor=True), {'x': xr})
xg = randn(2, 3) * 2
case('gelu_none', lambda x: F.gelu(x, approximate='none'), {'x': xg})
case('gelu_tanh', lambda x: F.gelu(x, approximate='tanh'), {'x': xg})
case('pairwise_keepdim', lambda a, b: F.pairwise_distance(a, b, p=1.5, keepdim=True), {'a': randn(3, 4), 'b': randn(3, 4)})

xup = randn(1, 2, 3, 4)
case('upsample_bilinear', lambda x: F.upsample_bilinear(x, scale_factor=2), {'x': xup})
case('upsample_nearest', lambda x: F.upsample_nearest(x, size=(5, 7)), {'x': xup})
x1u = randn(1, 2, 7)
p1, i1 = F.max_pool1d(x1u, 2, stride=2, return_indices=True)
case('max_unpool1d', lambda v: F.max_unpool1d(v, i1, 2, stride=2, output_size=[7]), {'v': p1}, {'indices': shaped(i1), 'x': shaped(x1u)})

for fname, names in [('nn_functional_session15.json', [k for k in cases if k in first]), ('nn_functional_layers_session15.json', [k for k in cases if k not in first])]:
    with open(os.path.join(here, fname), 'w') as f:
        json.dump({k: cases[k] for k in names}, f, separators=(',', ':'))
    print(fname, len(names), 'cases')
