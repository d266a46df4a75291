"""Reference numbers for test/ssl/sinkhorn-session13.test.ts (PyTorch 1.13).

Sinkhorn-Knopp from the seed's formulas (stable-pretraining's ``SwAVLoss.sinkhorn``; its source
is not imported or copied), on edge shapes and settings:

    Q = exp(scores / eps).T; Q /= sum(Q); K, B = Q.shape
    repeat n: Q *= (1/K) / rowsum(Q); Q *= (1/B) / colsum(Q)
    return (Q / colsum(Q)).T

- ``q_seed_float32``: exactly that, in float32 (NaN where exp overflows);
- ``q_float64``: the same steps in float64 on log Q (max-shifted log-sum-exps), finite at any eps;
- ``q_facebook_float64``: facebookresearch/swav's ``distributed_sinkhorn`` ending (``Q *= B``
  instead of the final column division), which differs only for 0 iterations (its codes are
  then ``B * exp(s / eps) / sum(exp(s / eps))``: a sample's codes do not sum to 1);
- ``marginal_errors``: for the convergence case, ``sum_k |sum_b q[b,k] - B/K| / B`` of the
  float64 codes after 1..N iterations;
- ``nonfinite``: scores with NaN / +-inf and the seed's float32 codes (its ``Q /= sum(Q)`` makes
  every code NaN when the total is NaN or inf, for any iteration count);
- ``grad``: the gradient of the two-view swapped-prediction loss (temperature 0.1) with respect
  to both views' scores, the codes computed under ``torch.no_grad`` as the seed does.

Run: /usr/bin/python3 tools/sinkhorn-session13.py  ->  test/fixtures/sinkhorn_session13.json
"""

import json
import os

import torch


def seed_exp(scores, eps, n):
    """The seed's algorithm as written (exp domain), in the dtype of ``scores``."""
    q = torch.exp(scores / eps).T
    q = q / torch.sum(q)
    k, b = q.shape
    r = torch.ones(k, dtype=q.dtype) / k
    c = torch.ones(b, dtype=q.dtype) / b
    for _ in range(n):
        q = q * (r / torch.sum(q, dim=1)).unsqueeze(1)
        q = q * (c / torch.sum(q, dim=0)).unsqueeze(0)
    return (q / torch.sum(q, dim=0, keepdim=True)).T


def seed_log(scores, eps, n, facebook=False):
    """The same steps on log Q in float64; ``facebook``: end with ``Q *= B`` (distributed_sinkhorn)."""
    lq = (scores.double() / eps).T
    lq = lq - torch.logsumexp(lq.reshape(-1), 0)
    k, b = lq.shape
    for _ in range(n):
        lq = lq - torch.logsumexp(lq, 1, keepdim=True) - torch.log(torch.tensor(float(k), dtype=torch.float64))
        lq = lq - torch.logsumexp(lq, 0, keepdim=True) - torch.log(torch.tensor(float(b), dtype=torch.float64))
    if facebook:
        return (torch.exp(lq) * b).T
    return torch.softmax(lq, 0).T


def marginal_error(q):
    b, k = q.shape
    return float(torch.sum(torch.abs(q.sum(0) - b / k)) / b)


def case(name, scores, eps, n, **extra):
    s = scores.float()
    q32 = seed_exp(s, eps, n)
    q64 = seed_log(s, eps, n)
    e64 = seed_exp(s.double(), eps, n)
    if torch.isfinite(e64).all():
        assert torch.allclose(e64, q64, atol=1e-12, rtol=1e-9), name  # exp and log domain agree in float64
    out = {
        "name": name,
        "B": s.shape[0],
        "K": s.shape[1],
        "epsilon": eps,
        "iterations": n,
        "scores": s.tolist(),
        "q_seed_float32": q32.tolist(),
        "seed_float32_is_finite": bool(torch.isfinite(q32).all()),
        "q_float64": q64.tolist(),
        "q_facebook_float64": seed_log(s, eps, n, facebook=True).tolist(),
    }
    out.update(extra)
    return out


def cosine(b, k, d, gen):
    z = torch.nn.functional.normalize(torch.randn(b, d, generator=gen), dim=1)
    w = torch.nn.functional.normalize(torch.randn(k, d, generator=gen), dim=1)
    return z @ w.T


def main():
    g = torch.Generator().manual_seed(13)
    cases = [
        case("B=1", cosine(1, 5, 4, g), 0.05, 3),
        case("K=1", cosine(6, 1, 4, g), 0.05, 3),
        case("K>B", cosine(3, 7, 4, g), 0.05, 3),
        case("B>K", cosine(9, 2, 4, g), 0.05, 3),
        case("iterations 0", cosine(5, 4, 4, g), 0.1, 0),
        case("iterations 0, B=1", cosine(1, 4, 4, g), 0.1, 0),
    ]
    row = cosine(1, 3, 4, g)
    cases += [case("equal rows", row.repeat(4, 1), 0.05, 3), case("equal rows, iterations 0", row.repeat(4, 1), 0.05, 0)]
    small = cosine(6, 5, 3, g)
    cases += [case(f"epsilon {e}", small, e, 3) for e in (0.01, 0.003, 0.001)]
    base = cosine(4, 3, 3, g)
    shift = torch.tensor([[0.5], [-0.3], [0.8], [0.0]])
    cases += [case("per-sample shift: base", base, 0.5, 1), case("per-sample shift: shifted", base + shift, 0.5, 1)]
    conv = cosine(8, 4, 3, g)
    errors = [marginal_error(seed_log(conv.float(), 0.3, n)) for n in range(1, 13)]
    cases.append(case("convergence", conv, 0.3, 12, marginal_errors=errors))
    cases.append(case("50 iterations", cosine(10, 6, 5, g), 0.05, 50))
    nan, inf = float("nan"), float("inf")
    nonfinite = []
    for scores in ([[nan, 0.2], [0.1, 0.9]], [[inf, 0.2], [0.1, 0.9]], [[-inf, 0.2], [0.1, 0.9]], [[-inf, 0.2], [-inf, 0.9]], [[-inf, -inf], [0.1, 0.9]], [[-inf, -inf], [-inf, -inf]]):
        for n in (0, 1, 3):
            t = torch.tensor(scores)
            nonfinite.append({"scores": scores, "iterations": n, "epsilon": 0.05, "q_seed_float32": seed_exp(t, 0.05, n).tolist()})
    s1, s2 = cosine(4, 3, 3, g).float(), cosine(4, 3, 3, g).float()
    v1, v2 = s1.clone().requires_grad_(), s2.clone().requires_grad_()
    with torch.no_grad():
        q1, q2 = seed_exp(v1, 0.05, 3), seed_exp(v2, 0.05, 3)
    swapped = lambda s, q: -torch.mean(torch.sum(q * torch.log_softmax(s / 0.1, dim=1), dim=1))
    loss = (swapped(v1, q2) + swapped(v2, q1)) / 2
    loss.backward()
    grad = {"scores": [s1.tolist(), s2.tolist()], "epsilon": 0.05, "iterations": 3, "temperature": 0.1, "loss": loss.item(), "grads": [v1.grad.tolist(), v2.grad.tolist()]}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "sinkhorn_session13.json")
    with open(path, "w") as f:
        json.dump({"cases": cases, "nonfinite": nonfinite, "grad": grad}, f)
    print(path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
