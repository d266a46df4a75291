"""Reference numbers for test/nn/layers-more.test.ts: torch.nn.Embedding, GroupNorm, InstanceNorm2d,
RMSNorm, LSTMCell, GRUCell, PReLU and Conv1d in float32, with fixed seeds.

Run: /usr/bin/python3 tools/torch-fixtures-nn-more.py  (PyTorch 1.13; writes test/fixtures/nn_more.json).

Each case holds `config`, `inputs` (PyTorch layouts: NCHW / NCL, sequences [T, N, in]), the layer's
`state_dict` (PyTorch names and layouts), the outputs `out`, the cotangent `gy` of every output, and
`grads` of loss = sum(out * gy) with respect to every state-dict entry and every float input.
torch 1.13 has no nn.RMSNorm (added in 2.4): it is written out with torch 2.4's formula,
x * rsqrt(mean(x^2, -1) + eps) * weight with eps = finfo(float32).eps when eps is None.
"""
import json, os
import torch

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures')
torch.set_default_dtype(torch.float32)


def lst(t):
    return t.detach().cpu().tolist()


def perturb(module, seed):
    """Moves every parameter away from its default (ones / zeros / 0.25) so loading is tested."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.add_(0.3 * torch.randn(p.shape, generator=g))


def run(name, module, inputs, forward, config, seed):
    """forward(module, *inputs) -> dict of outputs; loss = sum_k sum(out_k * gy_k)."""
    g = torch.Generator().manual_seed(seed + 1000)
    leaves = {k: v.clone().requires_grad_(v.is_floating_point()) for k, v in inputs.items()}
    outs = forward(module, **leaves)
    gys = {k: torch.randn(v.shape, generator=g) for k, v in outs.items()}
    loss = sum((outs[k] * gys[k]).sum() for k in outs)
    named = dict(module.named_parameters())
    wrt = list(named.values()) + [v for v in leaves.values() if v.requires_grad]
    grads = torch.autograd.grad(loss, wrt)
    names = list(named.keys()) + [f'input.{k}' for k, v in leaves.items() if v.requires_grad]
    return name, dict(
        config=config,
        inputs={k: lst(v) for k, v in inputs.items()},
        state_dict={k: lst(v) for k, v in module.state_dict().items()},
        out={k: lst(v) for k, v in outs.items()},
        gy={k: lst(v) for k, v in gys.items()},
        grads={n: lst(gr) for n, gr in zip(names, grads)},
    )


class RMSNorm(torch.nn.Module):
    def __init__(self, dim, eps=None):
        super().__init__()
        self.eps = eps
        self.weight = torch.nn.Parameter(torch.ones(dim))

    def forward(self, x):
        eps = torch.finfo(x.dtype).eps if self.eps is None else self.eps
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * self.weight


def sequence(cell, x, h0, c0=None):
    """Runs a cell over x [T, N, in]; returns the stacked hidden states (and the last c)."""
    h, c, hs = h0, c0, []
    for t in range(x.shape[0]):
        if c is None:
            h = cell(x[t], h)
        else:
            h, c = cell(x[t], (h, c))
        hs.append(h)
    out = dict(hs=torch.stack(hs))
    if c is not None:
        out['c'] = c
    return out


cases = []
torch.manual_seed(0)

# Embedding: init N(0, 1), padding row zero; repeated indices accumulate gradient; the padding row gets none.
emb = torch.nn.Embedding(7, 4, padding_idx=2)
with torch.no_grad():
    emb.weight[2] = torch.tensor([0.5, -0.5, 1.0, 2.0])  # a non-zero padding row still looks up as stored
idx = torch.tensor([[0, 2, 5], [5, 6, 2]])
cases.append(run('embedding', emb, dict(idx=idx), lambda m, idx: dict(y=m(idx)), dict(num=7, dim=4, paddingIdx=2), 1))

torch.manual_seed(1)
gn = torch.nn.GroupNorm(2, 6)
perturb(gn, 2)
cases.append(run('group_norm_2d', gn, dict(x=torch.randn(2, 6, 3, 3) * 2 + 1), lambda m, x: dict(y=m(x)), dict(groups=2, channels=6), 3))

torch.manual_seed(2)
gn1 = torch.nn.GroupNorm(3, 6, eps=1e-3, affine=False)
cases.append(run('group_norm_1d_no_affine', gn1, dict(x=torch.randn(3, 6, 5)), lambda m, x: dict(y=m(x)), dict(groups=3, channels=6, eps=1e-3, affine=False), 4))

torch.manual_seed(3)
inn = torch.nn.InstanceNorm2d(4, affine=True)
perturb(inn, 5)
cases.append(run('instance_norm_2d', inn, dict(x=torch.randn(2, 4, 3, 5)), lambda m, x: dict(y=m(x)), dict(channels=4, affine=True), 6))

torch.manual_seed(4)
rms = RMSNorm(5)
perturb(rms, 7)
cases.append(run('rms_norm', rms, dict(x=torch.randn(2, 3, 5)), lambda m, x: dict(y=m(x)), dict(dim=5), 8))

torch.manual_seed(5)
rms_small = RMSNorm(5)
perturb(rms_small, 9)
# mean(x^2) ~ 1e-7, the size of eps: the default eps matters here.
cases.append(run('rms_norm_small', rms_small, dict(x=torch.randn(4, 5) * 3e-4), lambda m, x: dict(y=m(x)), dict(dim=5), 10))

torch.manual_seed(6)
rms_eps = RMSNorm(5, eps=1e-2)
perturb(rms_eps, 11)
cases.append(run('rms_norm_eps', rms_eps, dict(x=torch.randn(4, 5) * 0.1), lambda m, x: dict(y=m(x)), dict(dim=5, eps=1e-2), 12))

torch.manual_seed(7)
lstm = torch.nn.LSTMCell(3, 4)
cases.append(run('lstm_cell', lstm, dict(x=torch.randn(5, 2, 3), h0=torch.randn(2, 4) * 0.5, c0=torch.randn(2, 4) * 0.5),
                 lambda m, x, h0, c0: sequence(m, x, h0, c0), {'in': 3, 'hidden': 4}, 13))

torch.manual_seed(8)
gru = torch.nn.GRUCell(3, 4)
cases.append(run('gru_cell', gru, dict(x=torch.randn(5, 2, 3), h0=torch.randn(2, 4) * 0.5),
                 lambda m, x, h0: sequence(m, x, h0), {'in': 3, 'hidden': 4}, 14))

torch.manual_seed(9)
pr1 = torch.nn.PReLU()
cases.append(run('prelu', pr1, dict(x=torch.randn(2, 3, 4)), lambda m, x: dict(y=m(x)), dict(num=1), 15))

torch.manual_seed(10)
pr3 = torch.nn.PReLU(3)
perturb(pr3, 16)
cases.append(run('prelu_channels', pr3, dict(x=torch.randn(2, 3, 4)), lambda m, x: dict(y=m(x)), dict(num=3), 17))

torch.manual_seed(11)
c1 = torch.nn.Conv1d(4, 6, 3, stride=2, padding=1, dilation=1, groups=2)
cases.append(run('conv1d', c1, dict(x=torch.randn(2, 4, 9)), lambda m, x: dict(y=m(x)),
                 {'in': 4, 'out': 6, 'kernel': 3, 'stride': 2, 'padding': 1, 'groups': 2}, 18))

torch.manual_seed(12)
c2 = torch.nn.Conv1d(3, 2, 2, dilation=2, bias=False)
cases.append(run('conv1d_dilated_no_bias', c2, dict(x=torch.randn(1, 3, 7)), lambda m, x: dict(y=m(x)),
                 {'in': 3, 'out': 2, 'kernel': 2, 'dilation': 2, 'bias': False}, 19))

out = dict(torch=torch.__version__, cases=dict(cases))
path = os.path.join(here, 'nn_more.json')
with open(path, 'w') as f:
    json.dump(out, f, separators=(',', ':'))
print(f'wrote {path}: {os.path.getsize(path)} bytes, {len(cases)} cases')
