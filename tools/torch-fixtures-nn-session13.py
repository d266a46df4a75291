"""Reference numbers for test/nn/torch-sweep-session13.test.ts (PyTorch 1.13, float32, fixed seeds):

- F.max_pool1d/2d with dilation, ceil_mode and return_indices; F.lp_pool1d/2d;
- F.avg_pool2d with ceil_mode + padding + count_include_pad=False / divisor_override;
- nn.BatchNorm2d(track_running_stats=False) in train and eval mode;
- nn.MultiheadAttention with batch_first=False ([L, N, E]);
- nn.Embedding(scale_grad_by_freq=True) (with padding_idx);
- F.multilabel_soft_margin_loss (weight, reductions), F.multilabel_margin_loss;
- nn.Conv1d/Conv2d(padding='same') with even kernels, dilation and padding_mode.

Run: /usr/bin/python3 tools/torch-fixtures-nn-session13.py  (writes test/fixtures/nn_session13.json).
Inputs are NCHW / NCL as PyTorch takes them; the test transposes. Each case holds the outputs and the
gradients of sum(out * cos(0.37 i + 0.1)) (i the flat index) w.r.t. the inputs named in `grads`.
"""
import json, os
import torch
import torch.nn.functional as F
from torch_fixture_helpers import grads_of as shared_grads_of, shaped

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures')
gen = torch.Generator().manual_seed(13)
randn = lambda *s: torch.randn(*s, generator=gen)


def grads_of(y, named):
    return shared_grads_of(y, named, shaped)


cases = {}


def case(name, f, inputs, extra=None):
    ins = {k: (v.clone().requires_grad_(True) if v.is_floating_point() else v) for k, v in inputs.items()}
    out = f(**ins)
    y = out[0] if isinstance(out, tuple) else out
    c = {'inputs': {k: shaped(v) for k, v in inputs.items()}, 'out': shaped(y), 'grads': grads_of(y, ins)}
    if isinstance(out, tuple):
        c['indices'] = shaped(out[1])
    if extra:
        c.update(extra)
    cases[name] = c


# ---------------------------------------------------------------- pooling
x2 = randn(1, 2, 7, 6)
x1 = randn(1, 2, 11)
for name, kw in {
    'maxpool2d_dil2': dict(kernel_size=3, stride=1, padding=1, dilation=2),
    'maxpool2d_dil2_s2_ceil': dict(kernel_size=(3, 2), stride=2, padding=1, dilation=(2, 3), ceil_mode=True),
    'maxpool2d_idx_ceil': dict(kernel_size=2, stride=2, padding=1, ceil_mode=True),
}.items():
    case(name, lambda x, kw=kw: F.max_pool2d(x, return_indices=True, **kw), {'x': x2}, {'kw': kw})
case('maxpool1d_dil3_idx', lambda x: F.max_pool1d(x, 3, stride=2, padding=1, dilation=3, return_indices=True, ceil_mode=True), {'x': x1})
case('lppool2d_p2', lambda x: F.lp_pool2d(x, 2, (3, 2), stride=2), {'x': x2})
case('lppool2d_p3_ceil', lambda x: F.lp_pool2d(x, 3, 2, stride=2, ceil_mode=True), {'x': x2.abs() + 0.1})
case('lppool1d_p1_5', lambda x: F.lp_pool1d(x, 1.5, 3, stride=2), {'x': x1.abs() + 0.1})
case('avgpool2d_ceil_nopad', lambda x: F.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=False), {'x': x2})
case('avgpool2d_ceil_divisor', lambda x: F.avg_pool2d(x, (2, 3), stride=(2, 2), padding=(1, 1), ceil_mode=True, divisor_override=5), {'x': x2})

# ---------------------------------------------------------------- BatchNorm without running stats
bn = torch.nn.BatchNorm2d(3, track_running_stats=False)
with torch.no_grad():
    bn.weight.copy_(randn(3)); bn.bias.copy_(randn(3))
xb = randn(4, 3, 2, 3)
bn.eval()
case('bn_no_stats_eval', lambda x: bn(x), {'x': xb}, {'weight': shaped(bn.weight), 'bias': shaped(bn.bias), 'state_keys': sorted(bn.state_dict().keys())})

# ---------------------------------------------------------------- MultiheadAttention, [L, N, E]
torch.manual_seed(0)
mha = torch.nn.MultiheadAttention(8, 2, kdim=6, vdim=5)
with torch.no_grad():
    for p in mha.parameters():
        p.copy_(randn(*p.shape) * 0.5)
q, k, v = randn(4, 2, 8), randn(3, 2, 6), randn(3, 2, 5)
kpm = torch.tensor([[False, False, True], [False, False, False]])
out, w = mha(q, k, v, key_padding_mask=kpm, average_attn_weights=False)
case('mha_seq_first', lambda query, key, value: mha(query, key, value, key_padding_mask=kpm, average_attn_weights=False)[0],
     {'query': q, 'key': k, 'value': v},
     {'state_dict': {n: shaped(t) for n, t in mha.state_dict().items()}, 'weights': shaped(w), 'kpm': shaped(kpm)})

# ---------------------------------------------------------------- Embedding(scale_grad_by_freq)
idx = torch.tensor([[1, 3, 1, 0], [1, 4, 3, 2]])
wt = randn(6, 3)
case('emb_freq', lambda w: F.embedding(idx, w, scale_grad_by_freq=True), {'w': wt}, {'idx': shaped(idx)})
case('emb_freq_pad', lambda w: F.embedding(idx, w, padding_idx=3, scale_grad_by_freq=True), {'w': wt}, {'idx': shaped(idx)})

# ---------------------------------------------------------------- multilabel losses
xm = randn(4, 5)
ym = (randn(4, 5) > 0).float()
wm = randn(5).abs()
case('mlsm_mean', lambda x, y: F.multilabel_soft_margin_loss(x, y), {'x': xm, 'y': ym})
case('mlsm_weight_none', lambda x, y, weight: F.multilabel_soft_margin_loss(x, y, weight=weight, reduction='none'), {'x': xm, 'y': ym, 'weight': wm})
case('mlsm_weight_sum', lambda x, y, weight: F.multilabel_soft_margin_loss(x, y, weight=weight, reduction='sum'), {'x': xm, 'y': ym, 'weight': wm})
tm = torch.tensor([[3, 0, -1, 1, 2], [1, 2, 4, -1, 0], [0, 1, 2, 3, 4], [-1, 2, 3, 0, 0]])
case('mlm_mean', lambda x: F.multilabel_margin_loss(x, tm), {'x': xm}, {'target': shaped(tm)})
case('mlm_none', lambda x: F.multilabel_margin_loss(x, tm, reduction='none'), {'x': xm}, {'target': shaped(tm)})
case('mlm_1d', lambda x: F.multilabel_margin_loss(x, tm[0]), {'x': xm[0]}, {'target': shaped(tm[0])})

# ---------------------------------------------------------------- conv padding='same', even kernels
for name, (mk, xin) in {
    'conv2d_same_k4_d2_reflect': (lambda: torch.nn.Conv2d(2, 3, (4, 2), padding='same', dilation=(1, 2), padding_mode='reflect'), x2),
    'conv2d_same_k4_circular': (lambda: torch.nn.Conv2d(2, 2, 4, padding='same', padding_mode='circular', groups=1), x2),
    'conv2d_same_k2_depthwise': (lambda: torch.nn.Conv2d(2, 4, 2, padding="same", groups=2), x2),
    'conv1d_same_k4_replicate': (lambda: torch.nn.Conv1d(2, 3, 4, padding='same', dilation=2, padding_mode='replicate'), x1),
}.items():
    conv = mk()
    with torch.no_grad():
        conv.weight.copy_(randn(*conv.weight.shape) * 0.3); conv.bias.copy_(randn(*conv.bias.shape) * 0.3)
    case(name, lambda x, conv=conv: conv(x), {'x': xin}, {'state_dict': {n: shaped(t) for n, t in conv.state_dict().items()}})

with open(os.path.join(here, 'nn_session13.json'), 'w') as f:
    json.dump(cases, f, separators=(',', ':'))
print('wrote', len(cases), 'cases', os.path.getsize(os.path.join(here, 'nn_session13.json')), 'bytes')
