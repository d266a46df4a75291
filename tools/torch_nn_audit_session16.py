"""Reference numbers for test/nn/torch-audit-session16.test.ts (PyTorch 1.13, float32, fixed seed): an audit of
nn.F against the behaviour test_nn.py / common_nn.py check — losses with reductions, weights, ignore_index and
label_smoothing together, pos_weight on images, KL with log targets, Huber / smooth L1 / Poisson / Gaussian
options, margin losses; pooling with padding, dilation, ceil_mode, count_include_pad and return_indices (with
max_unpool round trips), adaptive pools of non-divisible sizes, interpolate (volumes: trilinear, nearest, area), pixel (un)shuffle, padded
convolutions, and BatchNorm's cumulative average (momentum=None).

Run: /usr/bin/python3 tools/torch_nn_audit_session16.py  (writes test/fixtures/torch-nn-audit-session16.json).
Inputs are channels-first as PyTorch takes them (the test moves axis 1 last where ours is channels last).
Gradients are of sum(out * cos(0.37 i + 0.1)) w.r.t. the float inputs (tools/torch_fixture_helpers.py).
"""
import json, os
import torch
import torch.nn.functional as F
from torch_fixture_helpers import grads_of, shaped

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures')
gen = torch.Generator().manual_seed(16)
# inputs with 3 decimals: exact in the fixture's 6 digits, and short
randn = lambda *s: (torch.randn(*s, generator=gen) * 1000).round() / 1000
rand = lambda *s: (torch.rand(*s, generator=gen) * 1000).round() / 1000
randint = lambda hi, *s: torch.randint(0, hi, s, generator=gen, dtype=torch.int32)
cases = {}


def case(name, f, inputs, nograd=(), extra=None):
    """inputs: float tensors get gradients unless named in nograd (targets 't' / 'y' and weights 'w' / 'pw' never
    do); int tensors are passed as int64 to torch."""
    nograd = set(nograd) | {'t', 'y', 'w', 'pw'}
    ins = {k: (v.clone().requires_grad_(True) if v.is_floating_point() and k not in nograd else (v.long() if v.dtype == torch.int32 else v)) for k, v in inputs.items()}
    y = f(**ins)
    rest = None
    if isinstance(y, tuple):
        y, rest = y[0], y[1:]
    c = {'inputs': {k: shaped(v) for k, v in inputs.items()}, 'out': shaped(y), 'grads': grads_of(y, ins, shaped) if y.requires_grad else {}}
    if rest:
        c['extra_out'] = [shaped(r) for r in rest]
    if extra:
        c.update(extra)
    cases[name] = c


# ---------------------------------------------------------------- cross entropy / nll
x = randn(6, 4)
y = torch.tensor([0, 1, 3, 1, 2, 1], dtype=torch.int32)
w = rand(4) + 0.5
case('ce_ls_ignore_mean', lambda x, y: F.cross_entropy(x, y, ignore_index=1, label_smoothing=0.2), {'x': x, 'y': y})
case('ce_ls_ignore_weight_mean', lambda x, y, w: F.cross_entropy(x, y, weight=w, ignore_index=1, label_smoothing=0.3), {'x': x, 'y': y, 'w': w}, nograd=('w',))
case('ce_ls_ignore_weight_sum', lambda x, y, w: F.cross_entropy(x, y, weight=w, ignore_index=3, label_smoothing=0.1, reduction='sum'), {'x': x, 'y': y, 'w': w}, nograd=('w',))
case('ce_ignore_weight_none', lambda x, y, w: F.cross_entropy(x, y, weight=w, ignore_index=2, reduction='none'), {'x': x, 'y': y, 'w': w}, nograd=('w',))
xi = randn(2, 3, 2, 3)
yi = torch.tensor([[[0, 2, 1], [2, 2, 0]], [[1, 1, 0], [2, 0, 1]]], dtype=torch.int32)
case('ce_img_ignore_ls_mean', lambda x, y: F.cross_entropy(x, y, ignore_index=0, label_smoothing=0.25), {'x': xi, 'y': yi})
pt = torch.softmax(randn(2, 3, 2, 3), 1)
case('ce_img_prob_weight_ls_sum', lambda x, t, w: F.cross_entropy(x, t, weight=w, label_smoothing=0.15, reduction='sum'), {'x': xi, 't': pt, 'w': rand(3) + 0.5}, nograd=('w',))
case('ce_unbatched_prob_none', lambda x, t: F.cross_entropy(x, t, reduction='none', label_smoothing=0.1), {'x': randn(5), 't': torch.softmax(randn(5), 0)})
case('ce_unbatched_index_ls', lambda x, y: F.cross_entropy(x, y, label_smoothing=0.2), {'x': randn(5), 'y': torch.tensor(3, dtype=torch.int32)})
case('nll_img_weight_ignore_none', lambda x, y, w: F.nll_loss(x, y, weight=w, ignore_index=2, reduction='none'), {'x': torch.log_softmax(xi, 1), 'y': yi, 'w': rand(3) + 0.5}, nograd=('w',))

# ---------------------------------------------------------------- binary cross entropy
p = torch.sigmoid(randn(3, 4))
t = rand(3, 4)
case('bce_weight_row_sum', lambda p, t, w: F.binary_cross_entropy(p, t, weight=w, reduction='sum'), {'p': p, 't': t, 'w': rand(4)}, nograd=('w',))
case('bce_weight_col_none', lambda p, t, w: F.binary_cross_entropy(p, t, weight=w, reduction='none'), {'p': p, 't': t, 'w': rand(3, 1)}, nograd=('w',))
xl = randn(2, 3, 2, 2) * 2
tl = (rand(2, 3, 2, 2) > 0.5).float()
case('bcel_pos_weight_img_mean', lambda x, t, pw: F.binary_cross_entropy_with_logits(x, t, pos_weight=pw), {'x': xl, 't': tl, 'pw': rand(3, 1, 1) * 3}, nograd=('pw',))
case('bcel_weight_pos_weight_sum', lambda x, t, w, pw: F.binary_cross_entropy_with_logits(x, t, weight=w, pos_weight=pw, reduction='sum'), {'x': randn(3, 4) * 3, 't': rand(3, 4), 'w': rand(3, 1), 'pw': rand(4) * 2}, nograd=('w', 'pw'))

# ---------------------------------------------------------------- regression / divergence
a, b = randn(3, 4) * 2, randn(3, 4) * 2
case('smooth_l1_beta2_sum', lambda a, b: F.smooth_l1_loss(a, b, beta=2.0, reduction='sum'), {'a': a, 'b': b})
case('huber_delta25_none', lambda a, b: F.huber_loss(a, b, delta=2.5, reduction='none'), {'a': a, 'b': b})
case('l1_bcast_mean', lambda a, b: F.l1_loss(a, b), {'a': a, 'b': b})
lp = torch.log_softmax(randn(3, 5), 1)
lt = torch.log_softmax(randn(3, 5), 1)
case('kl_log_target_batchmean', lambda i, t: F.kl_div(i, t, reduction='batchmean', log_target=True), {'i': lp, 't': lt})
tz = torch.softmax(randn(3, 5), 1)
tz[0, 1] = 0.0
tz[2, 4] = 0.0
case('kl_zero_target_sum', lambda i, t: F.kl_div(i, t, reduction='sum'), {'i': lp, 't': tz})
case('kl_none_3d', lambda i, t: F.kl_div(i, t, reduction='none'), {'i': torch.log_softmax(randn(2, 3, 2), 1), 't': torch.softmax(randn(2, 3, 2), 1)})
rate = rand(3, 4) * 3 + 0.1
cnt = torch.tensor([[0., 1, 2, 5], [3, 0, 1, 7], [1, 2, 4, 0.5]])
case('poisson_rate_eps_full_mean', lambda r, t: F.poisson_nll_loss(r, t, log_input=False, full=True, eps=0.1), {'r': rate, 't': cnt})
case('poisson_log_full_sum', lambda r, t: F.poisson_nll_loss(r, t, full=True, reduction='sum'), {'r': randn(3, 4), 't': cnt})
gi, gt = randn(4, 3), randn(4, 3)
case('gaussian_var_vec_full_sum', lambda i, t, v: F.gaussian_nll_loss(i, t, v, full=True, reduction='sum'), {'i': gi, 't': gt, 'v': rand(4) + 0.2})
case('gaussian_var_clamped_none', lambda i, t, v: F.gaussian_nll_loss(i, t, v, eps=0.05, reduction='none'), {'i': gi, 't': gt, 'v': rand(4, 3) * 0.1})

# ---------------------------------------------------------------- margin losses
x1, x2 = randn(5), randn(5)
ys = torch.tensor([1., -1, 1, -1, -1])
case('margin_ranking_m05_sum', lambda a, b, y: F.margin_ranking_loss(a, b, y, margin=0.5, reduction='sum'), {'a': x1, 'b': x2, 'y': ys}, nograd=('y',))
case('hinge_embedding_m2_sum', lambda a, y: F.hinge_embedding_loss(a, y, margin=2.0, reduction='sum'), {'a': randn(2, 5), 'y': torch.tensor([[1., -1, 1, -1, -1], [-1, -1, 1, 1, -1]])}, nograd=('y',))
case('cosine_embedding_unbatched', lambda a, b, y: F.cosine_embedding_loss(a, b, y, margin=-0.2), {'a': randn(4), 'b': randn(4), 'y': torch.tensor(-1.)}, nograd=('y',))
case('cosine_embedding_m03_sum', lambda a, b, y: F.cosine_embedding_loss(a, b, y, margin=0.3, reduction='sum'), {'a': randn(4, 3), 'b': randn(4, 3), 'y': torch.tensor([1., -1, -1, 1])}, nograd=('y',))
mx = randn(4, 5)
my = torch.tensor([0, 4, 2, 2], dtype=torch.int32)
case('multi_margin_p2_m05_weight_sum', lambda x, y, w: F.multi_margin_loss(x, y, p=2, margin=0.5, weight=w, reduction='sum'), {'x': mx, 'y': my, 'w': rand(5) + 0.5}, nograd=('w',))
case('multilabel_margin_none_2d', lambda x, y: F.multilabel_margin_loss(x, y, reduction='none'), {'x': mx, 'y': torch.tensor([[3, 0, -1, 1, 2], [4, -1, 0, 0, 0], [1, 2, 3, 4, 0], [-1, 1, 2, 3, 4]], dtype=torch.int32)})
case('multilabel_soft_weight_none', lambda x, t, w: F.multilabel_soft_margin_loss(x, t, weight=w, reduction='none'), {'x': mx, 't': (rand(4, 5) > 0.5).float(), 'w': rand(5)}, nograd=('w', 't'))
case('triplet_p1_m2_sum', lambda a, p, n: F.triplet_margin_loss(a, p, n, margin=2.0, p=1, reduction='sum'), {'a': randn(3, 4), 'p': randn(3, 4), 'n': randn(3, 4)})
case('soft_margin_sum_3d', lambda x, y: F.soft_margin_loss(x, y, reduction='sum'), {'x': randn(2, 2, 3), 'y': torch.tensor([[[1., -1, 1], [-1, -1, 1]], [[1, 1, -1], [-1, 1, 1]]])}, nograd=('y',))

# ---------------------------------------------------------------- pooling
xp = randn(1, 1, 7, 6)
case('maxpool2d_dil2_pad1_idx', lambda x: F.max_pool2d(x, 3, stride=2, padding=1, dilation=2, return_indices=True), {'x': xp})
case('maxpool2d_k3_s2_p1_ceil_idx', lambda x: F.max_pool2d(x, 3, stride=2, padding=1, ceil_mode=True, return_indices=True), {'x': xp})
v, idx = F.max_pool2d(xp, 3, stride=2, padding=1, return_indices=True)
case('unpool2d_pad1_roundtrip', lambda v: F.max_unpool2d(v, idx, 3, stride=2, padding=1, output_size=(7, 6)), {'v': v}, extra={'indices': shaped(idx)})
v2, idx2 = F.max_pool2d(randn(1, 2, 6, 7), (2, 3), stride=(2, 2), return_indices=True)
case('unpool2d_rect_default_size', lambda v: F.max_unpool2d(v, idx2, (2, 3), stride=(2, 2)), {'v': v2}, extra={'indices': shaped(idx2)})
case('avgpool2d_k3_s2_p1_ceil_excl', lambda x: F.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=False), {'x': xp})
case('avgpool2d_rect_p_incl', lambda x: F.avg_pool2d(x, (3, 2), stride=(1, 2), padding=(1, 1)), {'x': xp})
x1d = randn(2, 3, 9)
case('avgpool1d_k4_s3_p2_ceil_excl', lambda x: F.avg_pool1d(x, 4, stride=3, padding=2, ceil_mode=True, count_include_pad=False), {'x': x1d})
case('maxpool1d_k3_s2_p1_ceil_idx', lambda x: F.max_pool1d(x, 3, stride=2, padding=1, ceil_mode=True, return_indices=True), {'x': x1d})
case('adaptive_max2d_idx_7x6_to_4x4', lambda x: F.adaptive_max_pool2d(x, (4, 4), return_indices=True), {'x': xp})
case('adaptive_avg2d_7x6_to_5x4', lambda x: F.adaptive_avg_pool2d(x, (5, 4)), {'x': xp})
case('adaptive_avg1d_9_to_4', lambda x: F.adaptive_avg_pool1d(x, 4), {'x': x1d})
case('lppool2d_p1_5_s1', lambda x: F.lp_pool2d(x, 1.5, 2, stride=1), {'x': xp.abs() + 0.1})

# ---------------------------------------------------------------- interpolate / shuffle
xr = randn(1, 2, 3, 5)
case('interp_bilinear_size_ac', lambda x: F.interpolate(x, size=(5, 4), mode='bilinear', align_corners=True), {'x': xr})
case('interp_bicubic_s1_5', lambda x: F.interpolate(x, scale_factor=1.5, mode='bicubic'), {'x': xr})
case('interp_nearest_s_pair', lambda x: F.interpolate(x, scale_factor=(2.0, 0.5)), {'x': xr})
case('interp_bilinear_s_pair', lambda x: F.interpolate(x, scale_factor=(1.5, 0.7), mode='bilinear'), {'x': xr})
case('interp_nearest_exact_down', lambda x: F.interpolate(x, size=(2, 3), mode='nearest-exact'), {'x': xr})
case('interp_area_down_odd', lambda x: F.interpolate(x, size=(2, 3), mode='area'), {'x': xr})
x3 = randn(1, 2, 2, 3, 4)
case('interp_trilinear_size', lambda x: F.interpolate(x, size=(3, 2, 5), mode='trilinear'), {'x': x3})
case('interp_trilinear_s_ac', lambda x: F.interpolate(x, scale_factor=(1.5, 2.0, 0.75), mode='trilinear', align_corners=True), {'x': x3})
case('interp_nearest_3d', lambda x: F.interpolate(x, scale_factor=(2.0, 1.0, 0.5)), {'x': x3})
case('interp_area_3d', lambda x: F.interpolate(x, size=(1, 2, 3), mode='area'), {'x': x3})
# permutations: values only, of arange inputs
case('pixel_shuffle_3', lambda x: F.pixel_shuffle(x, 3), {'x': torch.arange(108.).reshape(1, 18, 2, 3)}, nograd=('x',))
case('pixel_unshuffle_2_rect', lambda x: F.pixel_unshuffle(x, 2), {'x': torch.arange(96.).reshape(2, 2, 4, 6)}, nograd=('x',))

# ---------------------------------------------------------------- convolutions with padding modes
xc = randn(1, 2, 4, 5)
for mode, stride, dil in [('reflect', 2, 1), ('circular', 1, 2), ('replicate', 2, 2)]:
    conv = torch.nn.Conv2d(2, 3, 3, stride=stride, padding=2, dilation=dil, padding_mode=mode)
    with torch.no_grad():
        conv.weight.copy_(randn(3, 2, 3, 3))
        conv.bias.copy_(randn(3))
    case(f'conv2d_{mode}_s{stride}_d{dil}', lambda x, w, b, mode=mode, stride=stride, dil=dil: F.conv2d(F.pad(x, (2, 2, 2, 2), mode=mode), w, b, stride=stride, dilation=dil),
         {'x': xc, 'w': conv.weight.detach().clone(), 'b': conv.bias.detach().clone()}, extra={'mode': mode, 'stride': stride, 'dilation': dil})
    assert torch.allclose(conv(xc), torch.tensor(cases[f'conv2d_{mode}_s{stride}_d{dil}']['out']['data']).reshape(conv(xc).shape), atol=1e-4)  # the module pads as F.pad
conv1 = torch.nn.Conv1d(2, 2, 3, padding=2, padding_mode='circular', groups=2)
case('conv1d_circular_groups', lambda x: conv1(x), {'x': randn(2, 2, 5)}, extra={'w': shaped(conv1.weight), 'b': shaped(conv1.bias)})

# ---------------------------------------------------------------- batch norm: cumulative average (momentum=None)
bn = torch.nn.BatchNorm2d(3, momentum=None)
xb = [randn(2, 3, 2, 2) * 2 + 1, randn(3, 3, 1, 2) - 1, randn(2, 3, 2, 2)]
bn.train()
bn(xb[0]); bn(xb[1])
bn.eval()
cases['bn_cumulative'] = {'inputs': {f'x{i}': shaped(t) for i, t in enumerate(xb)}, 'running_mean': shaped(bn.running_mean), 'running_var': shaped(bn.running_var),
                          'num_batches': int(bn.num_batches_tracked), 'out': shaped(bn(xb[2])), 'grads': {}}
bn1 = torch.nn.BatchNorm1d(2, momentum=0.3)
xbn = randn(3, 2, 4)
bn1.train()
case('bn1d_3d_train_m03', lambda x: bn1(x), {'x': xbn})
cases['bn1d_3d_train_m03']['running_mean'] = shaped(bn1.running_mean)
cases['bn1d_3d_train_m03']['running_var'] = shaped(bn1.running_var)

with open(os.path.join(here, 'torch-nn-audit-session16.json'), 'w') as f:
    json.dump(cases, f, separators=(',', ':'))
print(len(cases), 'cases', os.path.getsize(os.path.join(here, 'torch-nn-audit-session16.json')), 'bytes')
