"""PyTorch 1.13 references for test/nn/torch-losses.test.ts: torch.nn.functional's losses (and
F.softplus with beta / threshold) with their options and reductions, values and gradients.

Each case names its inputs (float32 or int64 -> int32, stored once in `tensors`), the options the test passes, the
output, and the gradients of sum(output * cot) with respect to the inputs listed in `grad`
(cot is stored too; 1 for a reduced loss).
Run: /usr/bin/python3 tools/torch-fixtures-losses-more.py"""
import json
import math
import torch
import torch.nn.functional as F

torch.manual_seed(0)
R = lambda v: [None if math.isnan(x) else float("%.7g" % x) for x in v]


def enc(t):
    if t.dtype in (torch.int64, torch.int32):
        return {"shape": list(t.shape), "data": t.reshape(-1).tolist(), "dtype": "int32"}
    return {"shape": list(t.shape), "data": R(t.detach().reshape(-1).tolist()), "dtype": "float32"}


cases = {}
tensors = {}  # inputs shared between cases, stored once: case inputs name them


def shared(t):
    e = enc(t)
    key = json.dumps(e)
    for k, v in tensors.items():
        if json.dumps(v) == key:
            return k
    k = f"t{len(tensors)}"
    tensors[k] = e
    return k


def case(name, fn, inputs, grad=(0,)):
    ts = [t.clone() for t in inputs]
    for i in grad:
        ts[i].requires_grad_(True)
    out = fn(*ts)
    cot = torch.randn(out.shape) if out.dim() > 0 else torch.tensor(1.0)
    entry = {"inputs": [shared(t) for t in inputs], "out": enc(out), "cot": enc(cot), "grad": list(grad), "grads": []}
    if grad:
        gs = torch.autograd.grad((out * cot).sum(), [ts[i] for i in grad])
        entry["grads"] = [enc(g) for g in gs]
    cases[name] = entry


x = torch.randn(6, 5) * 2
y = torch.tensor([0, 3, -100, 4, 1, 3])
w = torch.rand(5) + 0.2
x3 = torch.randn(2, 4, 3)
y3 = torch.tensor([[0, 3, 1], [-100, 2, 2]])
p = torch.softmax(torch.randn(6, 5), 1)
p3 = torch.softmax(torch.randn(2, 4, 3), 1)

case("ce_mean", lambda a, t: F.cross_entropy(a, t), [x, y])
case("ce_sum", lambda a, t: F.cross_entropy(a, t, reduction="sum"), [x, y])
case("ce_none", lambda a, t: F.cross_entropy(a, t, reduction="none"), [x, y])
case("ce_weight_mean", lambda a, t, ww: F.cross_entropy(a, t, weight=ww), [x, y, w])
case("ce_weight_ls_mean", lambda a, t, ww: F.cross_entropy(a, t, weight=ww, label_smoothing=0.1), [x, y, w])
case("ce_weight_ls_none", lambda a, t, ww: F.cross_entropy(a, t, weight=ww, label_smoothing=0.1, reduction="none"), [x, y, w])
case("ce_ls_mean", lambda a, t: F.cross_entropy(a, t, label_smoothing=0.2), [x, y])
case("ce_ls_sum", lambda a, t: F.cross_entropy(a, t, label_smoothing=0.2, reduction="sum"), [x, y])
case("ce_ignore_3", lambda a, t: F.cross_entropy(a, t.clamp_min(0), ignore_index=3), [x, y])
case("ce_nd_weight_mean", lambda a, t, ww: F.cross_entropy(a, t, weight=ww), [x3, y3, w[:4]])
case("ce_nd_ls_none", lambda a, t: F.cross_entropy(a, t, label_smoothing=0.3, reduction="none"), [x3, y3])
case("ce_prob_mean", lambda a, t: F.cross_entropy(a, t), [x, p], grad=(0, 1))
case("ce_prob_weight_ls_mean", lambda a, t, ww: F.cross_entropy(a, t, weight=ww, label_smoothing=0.1), [x, p, w])
case("ce_prob_nd_none", lambda a, t: F.cross_entropy(a, t, reduction="none"), [x3, p3])
case("ce_unbatched", lambda a, t: F.cross_entropy(a, t), [x[0], torch.tensor(2)])
case("ce_all_ignored", lambda a, t: F.cross_entropy(a, t), [x[:2], torch.tensor([-100, -100])], grad=())
case("ce_all_ignored_weight", lambda a, t, ww: F.cross_entropy(a, t, weight=ww), [x[:2], torch.tensor([-100, -100]), w], grad=())
lp = torch.log_softmax(x, 1)
case("nll_mean", lambda a, t: F.nll_loss(a, t), [lp, y])
case("nll_weight_sum", lambda a, t, ww: F.nll_loss(a, t, weight=ww, reduction="sum"), [lp, y, w])
case("nll_nd_weight_mean", lambda a, t, ww: F.nll_loss(a, t, weight=ww), [torch.log_softmax(x3, 1), y3, w[:4]])
case("nll_weight_none", lambda a, t, ww: F.nll_loss(a, t, weight=ww, reduction="none"), [lp, y, w])

pr = torch.rand(4, 3) * 0.9 + 0.05
tb = torch.rand(4, 3)
case("bce_mean", lambda a, t: F.binary_cross_entropy(a, t), [pr, tb], grad=(0, 1))
case("bce_weight_none", lambda a, t, ww: F.binary_cross_entropy(a, t, weight=ww, reduction="none"), [pr, tb, torch.rand(4, 3)])
case("bce_clamped", lambda a, t: F.binary_cross_entropy(a, t, reduction="none"), [torch.tensor([0.0, 1.0, 0.0, 1.0, 1e-30]), torch.tensor([1.0, 0.0, 0.0, 1.0, 1.0])], grad=())
xl = torch.randn(4, 3) * 3
case("bcel_mean", lambda a, t: F.binary_cross_entropy_with_logits(a, t), [xl, tb], grad=(0, 1))
case("bcel_pos_weight_none", lambda a, t, ww, pw: F.binary_cross_entropy_with_logits(a, t, weight=ww, pos_weight=pw, reduction="none"), [xl, tb, torch.rand(4, 3), torch.tensor([0.5, 2.0, 3.0])])
case("bcel_extreme_sum", lambda a, t: F.binary_cross_entropy_with_logits(a, t, reduction="sum"), [torch.tensor([-200.0, 200.0, 90.0, -90.0]), torch.tensor([1.0, 0.0, 1.0, 0.0])])

a = torch.randn(4, 3)
b = torch.randn(4, 3)
case("mse_mean", lambda u, v: F.mse_loss(u, v), [a, b], grad=(0, 1))
case("mse_sum", lambda u, v: F.mse_loss(u, v, reduction="sum"), [a, b])
case("l1_none", lambda u, v: F.l1_loss(u, v, reduction="none"), [a, b])
case("smooth_l1_beta05_none", lambda u, v: F.smooth_l1_loss(u, v, beta=0.5, reduction="none"), [a, b])
case("smooth_l1_mean", lambda u, v: F.smooth_l1_loss(u, v), [a, b])
case("smooth_l1_beta0_sum", lambda u, v: F.smooth_l1_loss(u, v, beta=0.0, reduction="sum"), [a, b])
case("huber_delta07_mean", lambda u, v: F.huber_loss(u, v, delta=0.7), [a, b])
case("huber_none", lambda u, v: F.huber_loss(u, v, reduction="none"), [a * 2, b])

lq = torch.log_softmax(torch.randn(3, 4), 1)
tq = torch.softmax(torch.randn(3, 4), 1)
tq[0, 1] = 0.0
case("kl_batchmean", lambda u, v: F.kl_div(u, v, reduction="batchmean"), [lq, tq])
case("kl_mean", lambda u, v: F.kl_div(u, v, reduction="mean"), [lq, tq])
case("kl_none", lambda u, v: F.kl_div(u, v, reduction="none"), [lq, tq])
case("kl_log_target_sum", lambda u, v: F.kl_div(u, v, reduction="sum", log_target=True), [lq, torch.log_softmax(torch.randn(3, 4), 1)], grad=(0, 1))

s1 = torch.randn(5)
s2 = torch.randn(5)
ys = torch.tensor([1.0, -1.0, 1.0, -1.0, -1.0])
case("margin_ranking_m03", lambda u, v, t: F.margin_ranking_loss(u, v, t, margin=0.3), [s1, s2, ys], grad=(0, 1))
case("margin_ranking_none", lambda u, v, t: F.margin_ranking_loss(u, v, t, reduction="none"), [s1, s2, ys], grad=(0, 1))
case("hinge_embedding_m08_none", lambda u, t: F.hinge_embedding_loss(u, t, margin=0.8, reduction="none"), [s1, ys])
case("hinge_embedding_mean", lambda u, t: F.hinge_embedding_loss(u, t), [s1, ys])
e1 = torch.randn(5, 4)
e2 = torch.randn(5, 4)
case("cosine_embedding_m02", lambda u, v, t: F.cosine_embedding_loss(u, v, t, margin=0.2), [e1, e2, ys], grad=(0, 1))
case("cosine_embedding_none", lambda u, v, t: F.cosine_embedding_loss(u, v, t, margin=-0.5, reduction="none"), [e1, e2, ys], grad=(0, 1))
e3 = torch.randn(5, 4)
case("triplet_default", lambda u, v, z: F.triplet_margin_loss(u, v, z), [e1, e2, e3], grad=(0, 1, 2))
case("triplet_p1_swap_none", lambda u, v, z: F.triplet_margin_loss(u, v, z, margin=2.0, p=1, swap=True, reduction="none"), [e1, e2, e3], grad=(0, 1, 2))
case("triplet_p3_sum", lambda u, v, z: F.triplet_margin_loss(u, v, z, margin=1.5, p=3, eps=1e-3, reduction="sum"), [e1, e2, e3], grad=(0, 1, 2))
mx = torch.randn(4, 5)
my = torch.tensor([1, 0, 4, 2])
case("multi_margin_mean", lambda u, t: F.multi_margin_loss(u, t), [mx, my])
case("multi_margin_p2_weight_none", lambda u, t, ww: F.multi_margin_loss(u, t, p=2, margin=0.5, weight=ww, reduction="none"), [mx, my, w])
case("multi_margin_unbatched", lambda u, t: F.multi_margin_loss(u, t), [mx[0], torch.tensor(3)])
case("soft_margin_mean", lambda u, t: F.soft_margin_loss(u, t), [s1 * 3, ys])
case("soft_margin_none", lambda u, t: F.soft_margin_loss(u, t, reduction="none"), [s1 * 3, ys])
rate = torch.randn(6)
counts = torch.tensor([0.0, 1.0, 2.0, 5.0, 3.0, 0.5])
case("poisson_log_mean", lambda u, t: F.poisson_nll_loss(u, t), [rate, counts])
case("poisson_full_none", lambda u, t: F.poisson_nll_loss(u, t, full=True, reduction="none"), [rate, counts])
case("poisson_rate_full_sum", lambda u, t: F.poisson_nll_loss(u, t, log_input=False, full=True, reduction="sum"), [rate.abs() + 0.1, counts])
gi = torch.randn(4, 3)
gt = torch.randn(4, 3)
gv = torch.rand(4, 3) + 0.1
gv[0, 0] = 1e-8  # below eps: clamped, the gradient passes through
case("gaussian_mean", lambda u, t, v: F.gaussian_nll_loss(u, t, v), [gi, gt, gv], grad=(0, 1, 2))
case("gaussian_full_none", lambda u, t, v: F.gaussian_nll_loss(u, t, v, full=True, eps=1e-3, reduction="none"), [gi, gt, gv], grad=(0, 2))
case("gaussian_homoscedastic_sum", lambda u, t, v: F.gaussian_nll_loss(u, t, v, reduction="sum"), [gi, gt, torch.rand(4) + 0.5], grad=(0, 2))
case("gaussian_last1_mean", lambda u, t, v: F.gaussian_nll_loss(u, t, v), [gi, gt, torch.rand(4, 1) + 0.5], grad=(0, 2))

sp = torch.tensor([-30.0, -3.0, -0.5, 0.0, 0.7, 2.4, 2.6, 9.0, 25.0])
case("softplus_default", lambda u: F.softplus(u), [sp])
case("softplus_beta2_threshold5", lambda u: F.softplus(u, beta=2.0, threshold=5.0), [sp])
case("softplus_beta05", lambda u: F.softplus(u, beta=0.5), [sp])

with open("test/fixtures/torch_losses_more.json", "w") as f:
    json.dump({"torch": torch.__version__, "tensors": tensors, "cases": cases}, f, separators=(",", ":"))
