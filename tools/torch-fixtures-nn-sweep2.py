"""Reference numbers for test/nn/nn-sweep2.test.ts, in float32 with fixed seeds (PyTorch 1.13):

- nn.MultiheadAttention (batch_first=True): packed and separate (kdim/vdim) projections, bool / float
  attn_mask and key_padding_mask, add_bias_kv, add_zero_attn, averaged and per-head weights;
- torch.nn.utils.weight_norm (dim 0, 1, None) and spectral_norm (power iterations in training, the
  stored u and v after them, eval mode);
- F.pad (constant with negative widths, reflect, replicate, circular), nn.Embedding(max_norm),
  F.triplet_margin_loss(swap, p);
- optax's losses (ntxent, triplet_margin_loss, poly_loss_cross_entropy, generalized/convex KL,
  sparsemax / projection_simplex, multiclass_sparsemax_loss, sparsemax_loss, dice_loss) and Equinox's
  RotaryPositionalEmbedding, transcribed line by line from their sources into float64 torch (JAX is not
  installed here) so autograd gives the gradients.

Run: /usr/bin/python3 tools/torch-fixtures-nn-sweep2.py  (writes test/fixtures/nn_sweep2.json).
Every case holds its inputs, outputs, and the gradients of sum(out * cos(0.37 i + 0.1)) (i the flat
index) with respect to the inputs and parameters named in `grads`. Numbers keep 6 significant digits.
"""
import json, math, os
import torch
import torch.nn.functional as F
from torch_fixture_helpers import cot, flat, grads_of as shared_grads_of

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures')
torch.set_default_dtype(torch.float32)
gen = torch.Generator().manual_seed(0)
randn = lambda *s, dtype=torch.float32: torch.randn(*s, generator=gen).to(dtype)


lst = flat


def grads_of(y, named):
    """Gradients of sum(y * cot) w.r.t. the named tensors that require grad."""
    return shared_grads_of(y, named, lst)


def perturb(module, seed, scale=0.5):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * scale)
    return module


cases = {}

# ---------------------------------------------------------------- nn.MultiheadAttention
def mha_case(name, cfg, q, k, v, attn_mask=None, key_padding_mask=None, average=True):
    m = perturb(torch.nn.MultiheadAttention(batch_first=True, **cfg), len(cases))
    ins = {'query': q.requires_grad_(True)}
    if k is not None:
        ins['key'] = k.requires_grad_(True)
        ins['value'] = v.requires_grad_(True)
    key, value = (k, v) if k is not None else (q, q)
    y, w = m(q, key, value, attn_mask=attn_mask, key_padding_mask=key_padding_mask, need_weights=True, average_attn_weights=average)
    named = dict(ins, **dict(m.named_parameters()))
    cases[name] = dict(
        config=cfg, average=average, inputs={n: lst(t) for n, t in ins.items()},
        attn_mask=None if attn_mask is None else lst(attn_mask), attn_mask_bool=attn_mask is not None and attn_mask.dtype == torch.bool,
        key_padding_mask=None if key_padding_mask is None else lst(key_padding_mask),
        kpm_bool=key_padding_mask is not None and key_padding_mask.dtype == torch.bool,
        state_dict={n: lst(t) for n, t in m.state_dict().items()}, y=lst(y), weights=lst(w), grads=grads_of(y, named))


causal = torch.triu(torch.ones(3, 3, dtype=torch.bool), 1)  # True = masked, as torch
mha_case('mha_self', dict(embed_dim=8, num_heads=2), randn(2, 3, 8), None, None, attn_mask=causal,
         key_padding_mask=torch.tensor([[False, False, True], [False, False, False]]))
mha_case('mha_cross', dict(embed_dim=6, num_heads=3, kdim=4, vdim=5), randn(2, 2, 6), randn(2, 4, 4), randn(2, 4, 5),
         attn_mask=randn(6, 2, 4), key_padding_mask=torch.tensor([[False, True, False, False], [False, False, False, True]]), average=False)
mha_case('mha_biaskv', dict(embed_dim=4, num_heads=2, bias=False, add_bias_kv=True, add_zero_attn=True), randn(2, 3, 4), randn(2, 2, 4), randn(2, 2, 4),
         attn_mask=torch.tensor([[False, True], [False, False], [True, False]]), key_padding_mask=torch.tensor([[False, True], [False, False]]))
mha_case('mha_unbatched', dict(embed_dim=4, num_heads=1, kdim=3, vdim=3), randn(2, 4), randn(3, 3), randn(3, 3), key_padding_mask=torch.tensor([0.0, -1.5, 0.4]))

# ---------------------------------------------------------------- weight_norm / spectral_norm
def wn_case(name, module, dim, x, kind):
    m = perturb(module, len(cases))
    m = torch.nn.utils.weight_norm(m, dim=dim) if dim != 'none' else torch.nn.utils.weight_norm(m, dim=None)
    x = x.requires_grad_(True)
    y = m(x)
    named = dict(x=x, **dict(m.named_parameters()))
    cases[name] = dict(kind=kind, dim=None if dim == 'none' else dim, x=lst(x), y=lst(y), state_dict={n: lst(t) for n, t in m.state_dict().items()}, grads=grads_of(y, named))


wn_case('wn_linear', torch.nn.Linear(3, 4), 0, randn(2, 3), 'linear')
wn_case('wn_linear_dim1', torch.nn.Linear(3, 4), 1, randn(2, 3), 'linear')
wn_case('wn_conv_none', torch.nn.Conv2d(2, 3, 2), 'none', randn(1, 2, 3, 3), 'conv2d')
wn_case('wn_convt_dim0', torch.nn.ConvTranspose1d(2, 3, 2), 0, randn(1, 2, 3), 'convTranspose1d')


def sn_case(name, module, kind, x, iters, dim=None):
    m = perturb(module, len(cases))
    m = torch.nn.utils.spectral_norm(m, n_power_iterations=iters, dim=dim)
    sd0 = {n: lst(t) for n, t in m.state_dict().items()}
    x = x.requires_grad_(True)
    m.train()
    y = m(x)
    named = dict(x=x, **dict(m.named_parameters()))
    grads = grads_of(y, named)
    u1, v1 = lst(m.weight_u), lst(m.weight_v)
    m.eval()
    with torch.no_grad():
        y_eval = m(x)
    cases[name] = dict(kind=kind, iters=iters, dim=dim, x=lst(x), state_dict=sd0, y=lst(y), grads=grads, u=u1, v=v1, y_eval=lst(y_eval))


sn_case('sn_linear', torch.nn.Linear(4, 3), 'linear', randn(2, 4), 2)
sn_case('sn_conv', torch.nn.Conv2d(2, 3, 2), 'conv2d', randn(1, 2, 3, 3), 1)
sn_case('sn_convt', torch.nn.ConvTranspose2d(3, 2, 2), 'convTranspose2d', randn(1, 3, 2, 2), 3)

# ---------------------------------------------------------------- F.pad, Embedding(max_norm), triplet
for name, shape, pad, mode, value in [
    ('pad_constant', (2, 3, 4), (1, -1, 2, 0), 'constant', 1.5),
    ('pad_reflect', (1, 2, 3, 4), (2, 1, 1, 2), 'reflect', 0),
    ('pad_replicate', (1, 2, 3, 4), (3, 0, 1, 1, 1, 0), 'replicate', 0),
    ('pad_circular', (1, 2, 5), (2, -1), 'circular', 0),
    ('pad_circular2d', (1, 1, 3, 4), (1, 2, 2, 1), 'circular', 0),
]:
    x = randn(*shape).requires_grad_(True)
    y = F.pad(x, pad, mode=mode, value=value) if mode == 'constant' else F.pad(x, pad, mode=mode)
    cases[name] = dict(pad=list(pad), mode=mode, value=value, x=lst(x), y=lst(y), grads=grads_of(y, dict(x=x)))

for name, norm_type in [('emb_maxnorm', 2.0), ('emb_maxnorm_l1', 1.0)]:
    m = torch.nn.Embedding(5, 3, max_norm=1.2, norm_type=norm_type)
    with torch.no_grad():
        m.weight.copy_(randn(5, 3))
    w0 = lst(m.weight)
    idx = torch.tensor([[0, 2, 2], [4, 0, 1]])
    y = m(idx)
    cases[name] = dict(norm_type=norm_type, max_norm=1.2, weight=w0, indices=lst(idx), y=lst(y), weight_after=lst(m.weight), grads=grads_of(y, dict(weight=m.weight)))

a, p, n = (randn(3, 4).requires_grad_(True) for _ in range(3))
y = F.triplet_margin_loss(a, p, n, margin=0.7, p=1, swap=True, reduction='none')
cases['torch_triplet_swap'] = dict(inputs={'a': lst(a), 'p': lst(p), 'n': lst(n)}, y=lst(y), grads=grads_of(y, dict(a=a, p=p, n=n)))

# ---------------------------------------------------------------- optax and Equinox, transcribed (float64)
D = torch.float64


def fcase(name, inputs, fn, **extra):
    ins = {k: (v.requires_grad_(True) if v.is_floating_point() else v) for k, v in inputs.items()}
    y = fn(**ins)
    cases[name] = dict(inputs={k: lst(v) for k, v in ins.items()}, y=lst(y), grads=grads_of(y, {k: v for k, v in ins.items() if v.is_floating_point()}), **extra)


def cosine_similarity(a, b, epsilon):  # optax.cosine_similarity
    unit = lambda x: x / torch.sqrt(torch.clamp((x * x).sum(-1, keepdim=True), min=epsilon ** 2))
    return (unit(a) * unit(b)).sum(-1)


def ntxent(embeddings, labels, temperature=0.07):  # optax.losses.ntxent
    xcs = cosine_similarity(embeddings[None, :, :], embeddings[:, None, :], torch.finfo(torch.float32).eps) / temperature
    matches = labels[:, None] == labels[None, :]
    diffs = ~matches
    matches = matches & ~torch.eye(len(labels), dtype=torch.bool)
    ninf = torch.tensor(-math.inf, dtype=D)
    xcs_diffs = torch.where(diffs, xcs, ninf)
    xcs_matches = torch.where(matches, xcs, ninf)
    xcs_max = torch.cat((xcs_diffs, xcs_matches), -1).max(1, keepdim=True).values.detach()
    sd, sm = xcs_diffs - xcs_max, xcs_matches - xcs_max
    denom = torch.exp(sd).sum(1, keepdim=True) + torch.exp(sm)
    log_softm = sm - torch.log(denom)
    return -torch.where(matches, log_softm, torch.zeros((), dtype=D)).sum() / matches.sum()


fcase('ntxent', dict(embeddings=randn(6, 3, dtype=D), labels=torch.tensor([0, 0, 1, 2, 1, 2])), lambda embeddings, labels: ntxent(embeddings, labels, 0.5), temperature=0.5)


def triplet_optax(a, p, n, norm_degree=2, margin=1.0, eps=1e-6):
    dp = ((a - p) ** norm_degree).sum(-1) + eps
    dn = ((a - n) ** norm_degree).sum(-1) + eps
    return torch.clamp(dp ** (1 / norm_degree) - dn ** (1 / norm_degree) + margin, min=0)


fcase('optax_triplet', dict(a=randn(4, 3, dtype=D), p=randn(4, 3, dtype=D), n=randn(4, 3, dtype=D)), lambda a, p, n: triplet_optax(a, p, n, 4, 0.8), norm_degree=4, margin=0.8)


def poly(logits, labels, epsilon=2.0):
    p = torch.softmax(logits, -1)
    return -(labels * torch.log_softmax(logits, -1)).sum(-1) + epsilon * (labels * (1 - p)).sum(-1)


fcase('poly_loss', dict(logits=randn(3, 4, dtype=D), labels=torch.softmax(randn(3, 4, dtype=D) * 2, -1)), lambda logits, labels: poly(logits, labels, -1.0), epsilon=-1.0)


def gen_kl(logp, targets):
    kl = (torch.special.xlogy(targets, targets) - targets * logp).sum(-1)
    return kl + (torch.exp(logp) - targets).sum(-1)


fcase('generalized_kl', dict(logp=randn(3, 4, dtype=D), targets=torch.rand(3, 4, generator=gen).to(D) * 2), gen_kl)


def projection_simplex(z):  # sparsemax along the last axis (Martins & Astudillo 2016)
    zs = torch.sort(z, -1, descending=True).values
    k = torch.arange(1, z.shape[-1] + 1, dtype=D)
    cs = zs.cumsum(-1)
    support = (1 + k * zs > cs)
    kz = support.sum(-1, keepdim=True)
    tau = (torch.gather(cs, -1, kz - 1) - 1) / kz
    return torch.clamp(z - tau, min=0)


scores = randn(4, 5, dtype=D) * 1.5
fcase('sparsemax', dict(z=scores.clone()), projection_simplex)


def multiclass_sparsemax_loss(scores, labels):
    out = []
    for s, l in zip(scores, labels):
        proba = projection_simplex(s)
        s2 = s - s[l]
        s2 = torch.where(torch.arange(len(s)) == l, torch.zeros((), dtype=D), s2)
        out.append(torch.dot(proba, torch.where(proba != 0, s2, torch.zeros((), dtype=D))) + 0.5 * (1 - torch.dot(proba, proba)))
    return torch.stack(out)


fcase('multiclass_sparsemax_loss', dict(scores=scores.clone(), labels=torch.tensor([0, 3, 4, 1])), multiclass_sparsemax_loss)


def sparse_plus(x):  # jax.nn.sparse_plus
    return torch.where(x <= -1, torch.zeros((), dtype=D), torch.where(x < 1, (x + 1) ** 2 / 4, x))


fcase('sparsemax_loss', dict(logits=torch.tensor([-2.0, -0.5, 0.3, 1.7, 0.9, -1.2], dtype=D), labels=torch.tensor([0, 1, 1, 0, 0, 1])),
      lambda logits, labels: sparse_plus(torch.where(labels.bool(), -logits, logits)))


def dice(predictions, targets, class_weights=None, smooth=1.0, alpha=0.5, beta=0.5, reduction='mean', ignore_background=False):
    probs = torch.sigmoid(predictions) if predictions.shape[-1] == 1 else torch.softmax(predictions, -1)
    axis = tuple(range(1, probs.ndim - 1))
    inter = (probs * targets).sum(axis)
    ps, ts = probs.sum(axis), targets.sum(axis)
    d = 1 - (inter + smooth) / (inter + alpha * (ps - inter) + beta * (ts - inter) + smooth)
    if class_weights is not None:
        d = d * class_weights
    if ignore_background and probs.shape[-1] > 1:
        d = d[..., 1:]
    return d.mean(-1) if reduction == 'mean' else d.sum(-1) if reduction == 'sum' else d


labels = torch.randint(0, 3, (2, 3, 4), generator=gen)
fcase('dice', dict(predictions=randn(2, 3, 4, 3, dtype=D), targets=F.one_hot(labels, 3).to(D)),
      lambda predictions, targets: dice(predictions, targets, torch.tensor([0.5, 1.0, 2.0], dtype=D), 0.5, 0.3, 0.7, 'sum', True),
      class_weights=[0.5, 1.0, 2.0], smooth=0.5, alpha=0.3, beta=0.7, reduction='sum', ignore_background=True)
fcase('dice_binary', dict(predictions=randn(2, 5, 1, dtype=D), targets=(torch.rand(2, 5, 1, generator=gen) > 0.5).to(D)), lambda predictions, targets: dice(predictions, targets))


def rope(x, theta=10000.0):  # eqx.nn.RotaryPositionalEmbedding on [seq, d]
    seq, d = x.shape
    freqs = 1.0 / theta ** (torch.arange(0.0, d, 2, dtype=D)[None, :] / d)
    outer = torch.arange(float(seq), dtype=D)[:, None] * freqs
    cos, sin = torch.cos(outer).repeat(1, 2), torch.sin(outer).repeat(1, 2)
    rot = torch.cat([-x[..., d // 2:], x[..., : d // 2]], -1)
    return x * cos + rot * sin


fcase('rope', dict(x=randn(5, 6, dtype=D)), lambda x: rope(x, 100.0), theta=100.0)

path = os.path.join(here, 'nn_sweep2.json')
with open(path, 'w') as f:
    json.dump(dict(torch=torch.__version__, cases=cases), f, separators=(',', ':'))
print(path, os.path.getsize(path), 'bytes')
