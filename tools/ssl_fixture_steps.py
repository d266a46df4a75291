"""Shared pieces of the SSL method fixture generators (tools/ssl-seed-parity.py,
tools/ssl_methods_session15.py, tools/ssl_methods_session16.py): their tiny backbone, the state
rounded as the fixtures write it, and plain SGD."""
import torch
import torch.nn.functional as F
from torch import nn

from torch_fixture_helpers import flat


class Backbone(nn.Module):
    """The tiny encoder: fc Linear d_in->emb, bn BatchNorm1d(emb), ReLU (6 -> 8 in every generator)."""

    def __init__(self, d_in=6, emb=8):
        super().__init__()
        self.fc = nn.Linear(d_in, emb)
        self.bn = nn.BatchNorm1d(emb)

    def forward(self, x):
        return F.relu(self.bn(self.fc(x)))


def as_written(t):
    """`t` rounded as the fixture writes it (6 significant digits), so both sides start from the same numbers."""
    data, shape = flat(t)
    return torch.tensor(data, dtype=t.dtype).reshape(shape)


@torch.no_grad()
def round_state(module):
    for v in module.state_dict().values():
        if v.dtype.is_floating_point:
            v.copy_(as_written(v))


def sgd(module, lr):
    """One plain SGD step on every parameter with a gradient; clears the gradients."""
    with torch.no_grad():
        for p in module.parameters():
            if p.grad is not None:
                p.sub_(lr * p.grad)
                p.grad = None
