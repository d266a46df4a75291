"""Reference numbers for test/core/jax-tutorials-session14.test.ts: the snippets of JAX's
tutorials ("Autodiff Cookbook", "Automatic vectorization", "Custom derivative rules"), computed
with torch autograd in float64 (JAX is not installed here). Writes
test/fixtures/jax_tutorials_session14.json."""
import json
import math
from pathlib import Path

import numpy as np
import torch

torch.set_default_dtype(torch.float64)


def cookbook():
    """The Autodiff Cookbook's logistic regression: loss, grad in W and b, Hessian in W."""
    inputs = torch.tensor([[0.52, 1.12, 0.77], [0.88, -1.08, 0.15], [0.52, 0.06, -1.30], [0.74, -2.49, 1.39]])
    targets = torch.tensor([1.0, 1.0, 0.0, 1.0])

    def loss(W, b):
        preds = 0.5 * (torch.tanh((inputs @ W + b) * 0.5) + 1)
        label_probs = preds * targets + (1 - preds) * (1 - targets)
        return -torch.sum(torch.log(label_probs))

    W = torch.tensor([0.1, -0.2, 0.3], requires_grad=True)
    b = torch.tensor(0.5, requires_grad=True)
    value = loss(W, b)
    gW, gb = torch.autograd.grad(value, (W, b))
    H = torch.autograd.functional.hessian(lambda w: loss(w, b.detach()), W.detach())
    jac = torch.autograd.functional.jacobian(lambda W: 0.5 * (torch.tanh((inputs @ W + b.detach()) * 0.5) + 1), W.detach())
    return {"loss": value.item(), "gradW": gW.tolist(), "gradb": gb.item(), "hessianW": H.tolist(), "jacW": jac.tolist()}


def mlp():
    """The Pytrees tutorial's MLP: one jitted SGD step on fixed parameters and data."""
    rng = np.random.default_rng(0)
    widths = [1, 8, 8, 1]
    params = [
        {"weights": rng.normal(size=(n_in, n_out)) * math.sqrt(2 / n_in), "biases": np.ones(n_out)}
        for n_in, n_out in zip(widths[:-1], widths[1:])
    ]
    xs = rng.uniform(-1, 1, size=(16, 1))
    ys = xs ** 2
    tp = [{k: torch.tensor(v, requires_grad=True) for k, v in layer.items()} for layer in params]

    def forward(p, x):
        for layer in p[:-1]:
            x = torch.relu(x @ layer["weights"] + layer["biases"])
        return x @ p[-1]["weights"] + p[-1]["biases"]

    loss = torch.mean((forward(tp, torch.tensor(xs)) - torch.tensor(ys)) ** 2)
    leaves = [layer[k] for layer in tp for k in ("biases", "weights")]
    grads = torch.autograd.grad(loss, leaves)
    after = [(leaf - 0.01 * g).tolist() for leaf, g in zip(leaves, grads)]
    return {
        "params": [{k: v.tolist() for k, v in layer.items()} for layer in params],
        "xs": xs.tolist(),
        "loss": loss.item(),
        "after": after,  # per layer: biases, weights (sorted keys, as tfjax's tree order)
    }


def per_example():
    """vmap(grad) of a squared error over a batch: per-example gradients of a linear model."""
    rng = np.random.default_rng(1)
    w = rng.normal(size=3)
    xs = rng.normal(size=(5, 3))
    ys = rng.normal(size=5)
    grads = np.stack([2 * (x @ w - y) * x for x, y in zip(xs, ys)])
    return {"w": w.tolist(), "xs": xs.tolist(), "ys": ys.tolist(), "grads": grads.tolist()}


def main():
    out = {"cookbook": cookbook(), "mlp": mlp(), "perExample": per_example()}
    path = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "jax_tutorials_session14.json"
    path.write_text(json.dumps(out, indent=None) + "\n")
    print("wrote", path, path.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
