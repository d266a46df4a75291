"""Reference numbers for test/ssl/seed-session14.test.ts (PyTorch 1.13, float64).

Transcribes, from their formulas, stable-pretraining's losses (the seed's source is neither
imported nor copied) on small random inputs with the seed's default arguments, and writes each
loss's value and the gradients of the loss with respect to its differentiable inputs:

- ``losses/joint_embedding.py``: NTXEntLoss (T 0.5), InfoNCELoss (T 0.07, mask), BYOLLoss,
  VICRegLoss (25 / 25 / 1, eps 1e-4), BarlowTwinsLoss (lambd 5e-3);
- ``losses/utils.py``: NegativeCosineSimilarity (torch's CosineSimilarity, eps 1e-8), VCRegLoss,
  sinkhorn_knopp (DINOv2/v3 teacher, 3 iterations);
- ``losses/dino.py``: DINOv1Loss (student T 0.1, softmax_center_teacher, update_center with
  momentum 0.9, the first centre copied), iBOTPatchLoss (student T 0.1);
- ``losses/multimodal.py``: CLIPLoss (T 0.07, symmetric);
- ``losses/reconstruction.py``: ``mae`` (norm_pix_loss) and MAELoss's loss types, mask_only and
  reductions, on patches;
- ``methods/dinov3.py``: ``_koleo_loss`` (eps 1e-8);
- ``methods/wmse.py``: the joint ZCA whitening (``_eigen_whiten``, eps 1e-3), F.normalize and MSE;
- ``backbone/utils.py``: TeacherStudentWrapper.update_ema_coefficient's cosine.

Run: /usr/bin/python3 tools/ssl_seed_session14.py  ->  test/fixtures/ssl_seed_session14.json
"""

import json
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_fixture_helpers import flat  # noqa: E402
from seed_formulas import dino_loss  # noqa: E402

torch.manual_seed(14)
DT = torch.float64


def rnd(*shape, scale=1.0):
    """Float32-representable random values in float64, so float32 code sees the same input."""
    return (torch.randn(*shape) * scale).float().to(DT)


def nested(t):
    values, shape = flat(t)
    return {'values': values, 'shape': shape}


def case(name, fn, inputs, extra=None, grad=None):
    """Runs fn(**inputs); records inputs, the value and the gradients w.r.t. the `grad` inputs."""
    grad = [k for k, v in inputs.items() if v.is_floating_point()] if grad is None else grad
    leaves = {k: (v.clone().requires_grad_(k in grad) if v.is_floating_point() else v) for k, v in inputs.items()}
    value = fn(**leaves)
    gs = torch.autograd.grad(value, [leaves[k] for k in grad]) if grad else []
    return {
        'name': name,
        'inputs': {k: nested(v) for k, v in inputs.items()},
        'value': float(value),
        'grads': {k: nested(g) for k, g in zip(grad, gs)},
        **(extra or {}),
    }


def info_nce(anchors, candidates, targets, mask=None, temperature=0.07):
    logits = F.normalize(anchors, dim=-1) @ F.normalize(candidates, dim=-1).T / temperature
    if mask is not None:
        logits = logits.masked_fill(mask, -torch.inf)
    return F.cross_entropy(logits, targets)


def ntxent(z_i, z_j, temperature=0.5):
    a = torch.cat([z_i, z_j])
    n = z_i.shape[0]
    idx = torch.arange(2 * n)
    return info_nce(a, a, (idx + n) % (2 * n), torch.eye(2 * n, dtype=torch.bool), temperature)


def off_diagonal(x):
    n = x.shape[0]
    return x.flatten()[:-1].view(n - 1, n + 1)[:, 1:].flatten()


def vcreg(z, std_coeff=25.0, cov_coeff=1.0, epsilon=1e-4):
    z = z - z.mean(dim=0)
    std = torch.sqrt(z.var(dim=0) + epsilon)
    cov = (z.T @ z) / (z.shape[0] - 1)
    return std_coeff * torch.mean(F.relu(1 - std)) / 2 + cov_coeff * off_diagonal(cov).pow(2).sum() / z.shape[1]


def vicreg(z_i, z_j):
    return 25 * F.mse_loss(z_i, z_j) + vcreg(z_i) + vcreg(z_j)


def barlow(z_i, z_j, lambd=5e-3):
    norm = lambda z: (z - z.mean(dim=0)) / (z.std(dim=0) + 1e-5)  # noqa: E731
    c = norm(z_i).T @ norm(z_j) / z_i.shape[0]
    return (torch.diagonal(c) - 1).pow(2).sum() + lambd * off_diagonal(c).pow(2).sum()


def byol(online_pred, target_proj):
    p = F.normalize(online_pred, dim=-1)
    z = F.normalize(target_proj, dim=-1)
    return (2 - 2 * (p * z).sum(dim=-1)).mean()


def negcos(z_i, z_j):
    return -torch.nn.CosineSimilarity(dim=1)(z_i, z_j).mean()


def sinkhorn_knopp(teacher_output, teacher_temp, num_samples, n_iterations=3):
    q = torch.exp(teacher_output / teacher_temp).t()
    k = q.shape[0]
    q = q / q.sum()
    for _ in range(n_iterations):
        q = q / q.sum(dim=1, keepdim=True) / k
        q = q / q.sum(dim=0, keepdim=True) / num_samples
    return (q * num_samples).t()


def ibot(student_patch_logits, teacher_patch_probs, student_temp=0.1):
    return (-(teacher_patch_probs * F.log_softmax(student_patch_logits / student_temp, dim=-1)).sum(-1)).mean()


def clip(feats_i, feats_j, temperature=0.07):
    t = torch.arange(feats_i.shape[0])
    return 0.5 * (info_nce(feats_i, feats_j, t, temperature=temperature) + info_nce(feats_j, feats_i, t, temperature=temperature))


def koleo(z, eps=1e-8):
    z = F.normalize(z, dim=-1)
    sim = z @ z.T
    sim = sim.clone()
    sim.fill_diagonal_(-1.0)
    nn_sim = sim.max(dim=-1).values
    nn_dist = (2.0 - 2.0 * nn_sim).clamp(min=eps).sqrt()
    return -nn_dist.clamp(min=eps).log().mean()


def wmse(z1, z2, eps=1e-3):
    z = torch.cat([z1, z2])
    z = z - z.mean(dim=0, keepdim=True)
    cov = (z.T @ z) / max(z.shape[0] - 1, 1)
    cov = (cov + cov.T) * 0.5
    w, v = torch.linalg.eigh(cov)
    zw = F.normalize(z @ (v @ torch.diag(w.clamp(min=eps).rsqrt()) @ v.T), dim=-1)
    a, b = zw.chunk(2)
    return F.mse_loss(a, b)


def mae_loss(pred, target, mask, loss_type='mse', patch_normalize=False, mask_only=True, reduction='mean'):
    """MAELoss after patchify (and the functional ``mae`` with its defaults)."""
    if patch_normalize:
        target = (target - target.mean(dim=-1, keepdim=True)) / (target.var(dim=-1, keepdim=True) + 1e-6).sqrt()
    if loss_type == 'mse':
        per = (pred - target).pow(2).mean(dim=-1)
    elif loss_type == 'cosine':
        per = 1 - F.cosine_similarity(pred, target, dim=-1)
    else:
        per = F.smooth_l1_loss(pred, target, reduction='none').mean(dim=-1)
    if mask_only:
        return (per * mask).sum() / mask.sum() if reduction == 'mean' else (per * mask).sum()
    return per.mean() if reduction == 'mean' else per.sum()


def main():
    cases = []
    z_i, z_j = rnd(5, 4), rnd(5, 4)
    cases.append(case('ntxent', ntxent, {'z_i': z_i, 'z_j': z_j}))
    anchors, cands = rnd(3, 4), rnd(6, 4)
    mask = torch.zeros(3, 6, dtype=torch.bool)
    mask[0, 1] = mask[2, 3] = True
    cases.append(case('infonce', info_nce, {'anchors': anchors, 'candidates': cands, 'targets': torch.tensor([2, 0, 5]), 'mask': mask}))
    cases.append(case('byol', byol, {'online_pred': z_i, 'target_proj': z_j}))
    cases.append(case('negcos', negcos, {'z_i': z_i, 'z_j': z_j}))
    y_i, y_j = rnd(6, 4, scale=0.5), rnd(6, 4, scale=0.5)
    cases.append(case('vicreg', vicreg, {'z_i': y_i, 'z_j': y_j}))
    cases.append(case('vcreg', vcreg, {'z': y_i}))
    cases.append(case('barlow', barlow, {'z_i': y_i, 'z_j': y_j}))

    # DINOv1: centre from the previous step's teacher logits (copied the first time, then EMA 0.9).
    prev_t, teacher_logits, student = rnd(2, 3, 5), rnd(2, 3, 5), rnd(4, 3, 5)
    center0 = torch.sum(prev_t.mean(1), dim=0, keepdim=True) / 2
    probs = F.softmax((teacher_logits - center0) / 0.04, dim=-1)
    center1 = center0 * 0.9 + torch.sum(teacher_logits.mean(1), dim=0, keepdim=True) / 2 * 0.1
    cases.append(case('dino', dino_loss, {'student_logits': student, 'teacher_probs': probs}, grad=['student_logits'],
                      extra={'prev_teacher_logits': nested(prev_t), 'teacher_logits': nested(teacher_logits),
                             'center0': nested(center0), 'center1': nested(center1)}))
    student1 = rnd(1, 3, 5)
    cases.append(case('dino_one_student', dino_loss, {'student_logits': student1, 'teacher_probs': probs}, grad=['student_logits']))

    # DINOv2/v3 teacher: Sinkhorn-Knopp over the flattened [views * batch, K] logits.
    sk_logits = rnd(2, 3, 6)
    sk = sinkhorn_knopp(sk_logits.view(-1, 6), 0.04, 6).view(2, 3, 6)
    patch_logits, patch_student = rnd(7, 6), rnd(7, 6)
    patch_probs = sinkhorn_knopp(patch_logits, 0.07, torch.tensor(7.0))
    cases.append(case('ibot', ibot, {'student_patch_logits': patch_student, 'teacher_patch_probs': patch_probs}, grad=['student_patch_logits'],
                      extra={'sinkhorn_logits': nested(sk_logits), 'sinkhorn_probs': nested(sk), 'patch_logits': nested(patch_logits)}))

    cases.append(case('clip', clip, {'feats_i': z_i, 'feats_j': z_j}))
    kz = rnd(6, 4)
    kz[3] = kz[1] + 0.05 * rnd(4)  # one close pair: the nearest neighbour is not symmetric everywhere
    cases.append(case('koleo', koleo, {'z': kz}))

    cases.append(case('wmse', wmse, {'z1': rnd(6, 4), 'z2': rnd(6, 4)}))
    small = rnd(4, 4) * 0.01  # eigenvalues below eps: the floor (and its zero gradient) matters
    cases.append(case('wmse_floor', wmse, {'z1': small, 'z2': small + rnd(4, 4) * 0.02}))

    pred, target = rnd(2, 5, 6), rnd(2, 5, 6, scale=2.0) + 0.5
    mmask = torch.tensor([[1, 0, 1, 1, 0], [0, 0, 1, 0, 1]], dtype=DT)
    variants = {
        'mae': {},
        'mae_normpix': {'patch_normalize': True},
        'mae_cosine': {'loss_type': 'cosine', 'patch_normalize': True},
        'mae_smoothl1': {'loss_type': 'smooth_l1'},
        'mae_all_sum': {'mask_only': False, 'reduction': 'sum'},
        'mae_masked_sum': {'reduction': 'sum'},
        'mae_all_mean': {'mask_only': False},
    }
    for name, kw in variants.items():
        cases.append(case(name, lambda pred, target, mask, kw=kw: mae_loss(pred, target, mask, **kw),
                          {'pred': pred, 'target': target, 'mask': mmask}, grad=['pred'], extra={'options': kw}))

    ema = [{'epoch': e, 'total': 7, 'value': 1.0 - 0.5 * (1.0 - 0.996) * (1 + math.cos(e / 7 * math.pi))} for e in range(8)]

    out = {'cases': cases, 'ema_coefficient': ema}
    path = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'ssl_seed_session14.json')
    with open(path, 'w') as f:
        json.dump(out, f, separators=(',', ':'))
    print('wrote', path, os.path.getsize(path), 'bytes')


if __name__ == '__main__':
    main()
