#!/usr/bin/env python3
"""Reference values for nn.losses (optax's losses, per example) in test/nn/losses.test.ts:
PyTorch's functional losses where it has the same loss (huber, cross-entropy with probability
and integer targets, binary cross-entropy with logits, KL divergence), float64 NumPy formulas
for the rest. Writes test/fixtures/losses.json; run from the repo root with a Python that has torch:

    /usr/bin/python3 tools/torch-fixtures-losses.py
"""
import json
import numpy as np
import torch
import torch.nn.functional as F

rng = np.random.default_rng(37)
f32 = lambda *s, scale=1.0: (rng.standard_normal(s) * scale).astype(np.float32).round(4)
t64 = lambda a: torch.tensor(np.asarray(a, dtype=np.float64))

pred, targ = f32(3, 4, scale=2), f32(3, 4, scale=2)
logits = f32(4, 5, scale=3)
probs = rng.dirichlet(np.ones(5), 4).astype(np.float32).round(4)
probs[0] = [0, 0.5, 0.5, 0, 0]  # zero targets: 0 log 0 = 0
labels = rng.integers(0, 5, 4).astype(np.int32)
blogits, blabels = f32(3, 4, scale=3), rng.uniform(0, 1, (3, 4)).astype(np.float32).round(3)
blabels[0] = [0, 1, 0, 1]
signs = np.where(rng.uniform(size=(3, 4)) < 0.5, -1, 1).astype(np.float32)

cases = {}


def case(name, inputs, out):
    cases[name] = {"inputs": [{"shape": list(np.shape(x)), "data": np.asarray(x, dtype=np.float64).ravel().tolist()} for x in inputs],
                   "shape": list(np.shape(out)), "data": np.asarray(out, dtype=np.float64).ravel().tolist()}


e = pred.astype(np.float64) - targ
case("squared_error", [pred, targ], e ** 2)
case("l2_loss", [pred, targ], 0.5 * e ** 2)
case("huber_loss", [pred, targ], F.huber_loss(t64(pred), t64(targ), reduction="none", delta=1.0).numpy())
case("huber_loss_delta", [pred, targ], F.huber_loss(t64(pred), t64(targ), reduction="none", delta=2.5).numpy())
case("log_cosh", [pred, targ], np.log(np.cosh(e)))
case("softmax_cross_entropy", [logits, probs], F.cross_entropy(t64(logits), t64(probs), reduction="none").numpy())
case("softmax_cross_entropy_int", [logits, labels], F.cross_entropy(t64(logits), torch.tensor(labels, dtype=torch.long), reduction="none").numpy())
case("sigmoid_bce", [blogits, blabels], F.binary_cross_entropy_with_logits(t64(blogits), t64(blabels), reduction="none").numpy())
p = 1 / (1 + np.exp(-blogits.astype(np.float64)))
ce = F.binary_cross_entropy_with_logits(t64(blogits), t64(blabels), reduction="none").numpy()
pt = p * blabels + (1 - p) * (1 - blabels)
case("focal", [blogits, blabels], ce * (1 - pt) ** 2)
case("focal_alpha_gamma", [blogits, blabels], ce * (1 - pt) ** 1.5 * (0.25 * blabels + 0.75 * (1 - blabels)))
case("hinge", [pred, signs], np.maximum(0, 1 - pred.astype(np.float64) * signs))
logq = F.log_softmax(t64(logits), -1).numpy()
case("kl_divergence", [logq, probs], F.kl_div(t64(logq), t64(probs), reduction="none").sum(-1).numpy())
unit = lambda x: x / np.linalg.norm(x.astype(np.float64), axis=-1, keepdims=True)
case("cosine_similarity", [pred, targ], (unit(pred) * unit(targ)).sum(-1))
case("cosine_distance", [pred, targ], 1 - (unit(pred) * unit(targ)).sum(-1))
case("smooth_labels", [probs], 0.9 * probs.astype(np.float64) + 0.1 / 5)

json.dump({"torch": torch.__version__, "generator": "tools/torch-fixtures-losses.py", "cases": cases}, open("test/fixtures/losses.json", "w"))
print(len(cases), "cases")
