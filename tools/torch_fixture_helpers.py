"""Shared pieces of the PyTorch nn fixture generators (tools/torch-fixtures-nn-*.py): tensors as
flat lists, and gradients of sum(y * cot) with a fixed cotangent."""
import torch


def flat(t):
    """A tensor's values (6 significant digits; bool as 0/1) in row-major order, and its shape."""
    t = t.detach()
    if t.dtype == torch.bool:
        t = t.to(torch.int32)
    return [float(f'{v:.6g}') for v in t.reshape(-1).double().tolist()], list(t.shape)


def cot(y):
    """The fixed cotangent cos(0.37 i + 0.1) over y's entries."""
    return torch.cos(0.37 * torch.arange(y.numel(), dtype=y.dtype) + 0.1).reshape(y.shape)


def grads_of(y, named, lst):
    """Gradients of sum(y * cot) w.r.t. the named tensors that require grad, each written by `lst`."""
    names = [k for k, v in named.items() if v.requires_grad]
    gs = torch.autograd.grad((y * cot(y)).sum(), [named[k] for k in names], allow_unused=True)
    return {k: lst(g if g is not None else torch.zeros_like(named[k])) for k, g in zip(names, gs)}


def shaped(t):
    """A tensor as the fixtures' {data, shape} record (flat's values)."""
    data, shape = flat(t)
    return {'data': data, 'shape': shape}
