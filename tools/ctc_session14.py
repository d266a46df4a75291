"""References for test/nn/ctc-session14.test.ts: optax's ranking_softmax_loss and
make_fenchel_young_loss (transcribed in float64 torch from optax/losses/_ranking.py and
_fenchel_young.py), and the CTC loss in optax's convention
(optax.ctc_loss_with_forward_probs, transcribed below in float64 torch from optax's
formulas since JAX is not installed here; checked against torch's own F.ctc_loss where the two
conventions meet) and in PyTorch's (F.ctc_loss, PyTorch 1.13).

Each case stores its inputs, the outputs, and the gradient of sum(out * cot) with respect to the
logits (for PyTorch, the logits before log_softmax: PyTorch's kernel returns the gradient
with respect to log_probs plus exp(log_probs), which log_softmax's backward cancels).
Non-finite numbers are stored as the strings "inf", "-inf", "nan".
Run: /usr/bin/python3 tools/ctc_session14.py"""
import json
import math
import torch
import torch.nn.functional as F

torch.manual_seed(14)


def num(x):
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return float("%.7g" % x)


def enc(t):
    t = t.detach()
    if t.dtype in (torch.int64, torch.int32):
        return {"shape": list(t.shape), "data": t.reshape(-1).tolist()}
    return {"shape": list(t.shape), "data": [num(v) for v in t.reshape(-1).tolist()]}


def optax_ctc(logits, logit_paddings, labels, label_paddings, blank_id=0, log_epsilon=-1e5):
    """optax.ctc_loss_with_forward_probs (optax/losses/_classification.py), in torch."""
    b, t, k = logits.shape
    n = labels.shape[1]
    logprobs = torch.log_softmax(logits, -1)
    labellens = n - label_paddings.sum(1).to(torch.int64)
    repeat = (labels[:, :-1] == labels[:, 1:]).to(logits.dtype)
    repeat = F.pad(repeat, (0, 1))[:, :n]
    lp_phi = logprobs[:, :, blank_id:blank_id + 1].permute(1, 0, 2)
    one_hot = F.one_hot(labels, k).to(logits.dtype)
    lp_emit = torch.einsum("btk,bnk->btn", logprobs, one_hot).permute(1, 0, 2)
    phi = torch.full((b, n + 1), log_epsilon, dtype=logits.dtype)
    phi[:, 0] = 0.0
    emit = torch.full((b, n), log_epsilon, dtype=logits.dtype)

    def upd(p, added):
        return torch.cat([p[:, :1], torch.logaddexp(p[:, 1:], added)], -1)

    phis, emits = [], []
    pads = logit_paddings.t()
    for i in range(t):
        prev_phi_orig = phi
        prev_phi = upd(phi, emit + log_epsilon * repeat)
        next_emit = torch.logaddexp(prev_phi[:, :-1] + lp_emit[i], emit + lp_emit[i])
        next_phi = prev_phi + lp_phi[i]
        next_phi = upd(next_phi, emit + lp_phi[i] + log_epsilon * (1.0 - repeat))
        pad = pads[i].reshape(b, 1)
        emit = pad * emit + (1.0 - pad) * next_emit
        phi = pad * prev_phi_orig + (1.0 - pad) * next_phi
        phis.append(phi)
        emits.append(emit)
    last = upd(phis[-1], emits[-1])
    phis[-1] = last
    loss = -(last * F.one_hot(labellens, n + 1).to(logits.dtype)).sum(1)
    return loss, torch.stack(phis), torch.stack(emits)


cases = {}


def optax_case(name, logits, logit_paddings, labels, label_paddings, blank_id=0, log_epsilon=-1e5):
    x = logits.double().requires_grad_(True)
    loss, phi, emit = optax_ctc(x, logit_paddings.double(), labels, label_paddings.double(), blank_id, log_epsilon)
    cot = torch.randn(loss.shape, dtype=torch.float64)
    (g,) = torch.autograd.grad((loss * cot).sum(), x)
    cases[name] = {
        "kind": "optax",
        "inputs": {"logits": enc(logits), "logitPaddings": enc(logit_paddings), "labels": enc(labels), "labelPaddings": enc(label_paddings)},
        "blankId": blank_id,
        "logEpsilon": log_epsilon,
        "loss": enc(loss),
        "logalphaBlank": enc(phi),
        "logalphaLabel": enc(emit),
        "cot": enc(cot),
        "grad": enc(g),
    }
    return loss


def torch_case(name, logits, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False):
    """F.ctc_loss on log_softmax(logits) (logits [T, B, C] or [T, C]); the gradient is the logits'."""
    x = logits.clone().requires_grad_(True)
    out = F.ctc_loss(torch.log_softmax(x, -1), targets, input_lengths, target_lengths, blank=blank, reduction=reduction, zero_infinity=zero_infinity)
    cot = torch.randn(out.shape) if out.dim() > 0 else torch.tensor(1.0)
    (g,) = torch.autograd.grad((out * cot).sum(), x)
    lens = lambda v: v.tolist() if torch.is_tensor(v) else list(v)
    cases[name] = {
        "kind": "torch",
        "inputs": {"logits": enc(logits), "targets": enc(targets)},
        "inputLengths": lens(input_lengths),
        "targetLengths": lens(target_lengths),
        "blank": blank,
        "reduction": reduction,
        "zeroInfinity": zero_infinity,
        "out": enc(out),
        "cot": enc(cot),
        "grad": enc(g),
    }
    return out


# optax: repeated labels (1, 1 needs a blank between), a padded label, padded frames.
B, T, K = 3, 7, 5
logits = torch.randn(B, T, K) * 1.5
labels = torch.tensor([[1, 1, 2], [3, 4, 4], [2, 3, 0]])
label_pad = torch.tensor([[0, 0, 0], [0, 0, 0], [0, 0, 1.0]])
logit_pad = torch.zeros(B, T)
logit_pad[1, 5:] = 1.0
logit_pad[2, 6:] = 1.0
l_basic = optax_case("optax_repeats_padding", logits, logit_pad, labels, label_pad)

# The two conventions agree where they meet (optax's log(0) of -1e5 costs nothing here).
ref = F.ctc_loss(torch.log_softmax(logits.double(), -1).permute(1, 0, 2), labels, torch.tensor([7, 5, 6]), torch.tensor([3, 3, 2]), reduction="none")
assert torch.allclose(ref, l_basic.detach(), rtol=1e-9, atol=1e-9), (ref, l_basic)

# optax: blank_id 2 (labels avoid 2), an empty label sequence (all padded), a custom log_epsilon.
logits2 = torch.randn(2, 5, 4)
labels2 = torch.tensor([[0, 3, 3, 1], [1, 1, 1, 1]])
label_pad2 = torch.tensor([[0, 0, 0, 1.0], [1.0, 1, 1, 1]])
optax_case("optax_blank2_empty", logits2, torch.zeros(2, 5), labels2, label_pad2, blank_id=2, log_epsilon=-1e4)

# optax: no alignment fits (3 labels with a repeat need 4 frames; 3 given): a large finite loss.
logits3 = torch.randn(2, 3, 4)
labels3 = torch.tensor([[1, 1, 2], [1, 2, 3]])
optax_case("optax_impossible", logits3, torch.zeros(2, 3), labels3, torch.zeros(2, 3))

# torch: padded targets, repeats, shorter inputs, 'mean' (divides by the target lengths).
Tt, Bt, C = 8, 3, 6
xt = torch.randn(Tt, Bt, C) * 1.5
tg = torch.tensor([[1, 1, 2, 5], [3, 4, 5, 1], [2, 2, 2, 0]])
torch_case("torch_padded_mean", xt, tg, torch.tensor([8, 6, 7]), torch.tensor([3, 4, 3]))
torch_case("torch_padded_sum", xt, tg, torch.tensor([8, 6, 7]), torch.tensor([3, 4, 3]), reduction="sum")

# torch: concatenated targets with an empty one, 'none'.
tg_cat = torch.tensor([1, 5, 3, 3, 2])
torch_case("torch_concat_none", xt, tg_cat, torch.tensor([8, 5, 8]), torch.tensor([2, 0, 3]), reduction="none")
torch_case("torch_concat_mean", xt, tg_cat, torch.tensor([8, 5, 8]), torch.tensor([2, 0, 3]))

# torch: blank 3.
tg_b3 = torch.tensor([[0, 1, 1], [5, 4, 2], [2, 0, 0]])
torch_case("torch_blank3_none", xt, tg_b3, torch.tensor([7, 8, 4]), torch.tensor([3, 3, 1]), blank=3, reduction="none")

# torch: no alignment fits for sequence 0 (1 1 2 needs 4 frames, 3 given) nor 2 (3 labels, 2 frames).
tg_imp = torch.tensor([[1, 1, 2], [1, 2, 3], [4, 5, 1]])
for zi in (False, True):
    suffix = "_zero_inf" if zi else ""
    torch_case("torch_impossible_none" + suffix, xt, tg_imp, torch.tensor([3, 8, 2]), torch.tensor([3, 3, 3]), reduction="none", zero_infinity=zi)
    torch_case("torch_impossible_mean" + suffix, xt, tg_imp, torch.tensor([3, 8, 2]), torch.tensor([3, 3, 3]), zero_infinity=zi)

# torch: one unbatched sequence, log_probs [T, C], targets [S].
torch_case("torch_unbatched", xt[:, 0], torch.tensor([1, 1, 2]), (7,), (3,))


def ranking_softmax(logits, labels, where=None, weights=None, reduce_fn="mean"):
    """optax.ranking_softmax_loss (optax/losses/_ranking.py), in torch."""
    labels = labels.to(logits.dtype)
    if where is not None:
        labels = torch.where(where, labels, torch.zeros_like(labels))
        logits = torch.where(where, logits, torch.full_like(logits, -math.inf))
    if weights is not None:
        labels = labels * weights
    terms = labels * torch.log_softmax(logits, -1)
    loss = -(torch.where(where, terms, torch.zeros_like(terms)) if where is not None else terms).sum(-1)
    lw = where.any(-1) if where is not None else None
    if reduce_fn is None:
        return torch.where(lw, loss, torch.zeros_like(loss)) if lw is not None else loss
    if reduce_fn == "sum":
        return loss[lw].sum() if lw is not None else loss.sum()
    out = loss[lw].mean() if lw is not None else loss.mean()
    if torch.isnan(out) and not torch.isnan(loss).any():
        out = torch.zeros_like(out)
    return out


def ranking_case(name, logits, labels, where=None, weights=None, reduce_fn="mean"):
    x = logits.double().requires_grad_(True)
    out = ranking_softmax(x, labels, where, None if weights is None else weights.double(), reduce_fn)
    cot = torch.randn(out.shape, dtype=torch.float64) if out.dim() > 0 else torch.tensor(1.0, dtype=torch.float64)
    # No valid list: optax's mean is where(isnan, 0, ...), whose gradient is 0 (select's cotangent).
    (g,) = torch.autograd.grad((out * cot).sum(), x) if out.requires_grad else (torch.zeros_like(x),)
    entry = {"kind": "ranking", "inputs": {"logits": enc(logits), "labels": enc(labels)}, "reduceFn": reduce_fn, "out": enc(out), "cot": enc(cot), "grad": enc(g)}
    if where is not None:
        entry["inputs"]["where"] = enc(where.to(torch.int64))
    if weights is not None:
        entry["inputs"]["weights"] = enc(weights)
    cases[name] = entry


scores = torch.randn(4, 5) * 2
relevance = torch.tensor([[0, 1, 2, 0, 0], [2, 0, 0, 1, 1], [0, 0, 0, 0, 1], [1, 0, 2, 0, 0]])
mask = torch.tensor([[1, 1, 1, 0, 1], [1, 1, 1, 1, 1], [0, 0, 0, 0, 0], [1, 0, 1, 1, 0]]).bool()
item_weights = torch.rand(4, 5) + 0.5
ranking_case("ranking_mean", scores, relevance)
ranking_case("ranking_where_weights_none", scores, relevance, mask, item_weights, None)
ranking_case("ranking_where_sum", scores, relevance, mask, None, "sum")
ranking_case("ranking_where_mean", scores, relevance, mask, item_weights, "mean")
ranking_case("ranking_all_masked_mean", scores, relevance, torch.zeros(4, 5).bool(), None, "mean")


def fy_case(name, max_name, scores, targets):
    """optax.make_fenchel_young_loss(max_fun)(scores, targets) = max_fun(scores) - <targets, scores> over the last axis."""
    x = scores.double().requires_grad_(True)
    m = torch.logsumexp(x, -1) if max_name == "logsumexp" else x.max(-1).values
    out = m - (targets.double() * x).sum(-1)
    cot = torch.randn(out.shape, dtype=torch.float64)
    (g,) = torch.autograd.grad((out * cot).sum(), x)
    cases[name] = {"kind": "fenchel_young", "maxFun": max_name, "inputs": {"scores": enc(scores), "targets": enc(targets)}, "out": enc(out), "cot": enc(cot), "grad": enc(g)}
    return out


fy_scores = torch.randn(2, 3, 4)
fy_targets = torch.softmax(torch.randn(2, 3, 4), -1)
fy = fy_case("fy_logsumexp", "logsumexp", fy_scores, fy_targets)
# With log-sum-exp it is the softmax cross-entropy of probability targets.
ce = -(fy_targets.double() * torch.log_softmax(fy_scores.double(), -1)).sum(-1)
assert torch.allclose(fy.detach(), ce, atol=1e-12)
fy_case("fy_max", "max", torch.randn(3, 5), F.one_hot(torch.tensor([0, 3, 4]), 5).float())

out = "test/fixtures/ctc_session14.json"
with open(out, "w") as f:
    json.dump(cases, f, separators=(",", ":"))
print(out, len(json.dumps(cases)), "bytes")
