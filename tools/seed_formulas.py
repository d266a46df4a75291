"""The seed's (stable-pretraining's) loss formulas and modules that more than one fixture generator transcribes."""
import copy
import math

import torch
import torch.nn.functional as F
from torch import nn


def dino_loss(student_logits, teacher_probs, temperature_student=0.1):
    """losses/dino.py's DINO loss: every student view against every other teacher view, averaged."""
    lp = F.log_softmax(student_logits / temperature_student, dim=-1)
    m = -torch.einsum('sbk,tbk->st', lp, teacher_probs)
    m.fill_diagonal_(0)
    n_terms = m.numel() - m.diagonal().numel()
    return m.sum() / (n_terms * student_logits.shape[1])


class EmaWrapper(nn.Module):
    """The seed's TeacherStudentWrapper: an EMA teacher next to its student (a warm copy), with
    the coefficient buffers, the cosine schedule over epochs and the EMA over parameters and
    floating buffers."""

    def __init__(self, student, base, final):
        super().__init__()
        self.student = student
        self.teacher = copy.deepcopy(student).requires_grad_(False)
        self.register_buffer("base_ema_coefficient", torch.tensor(base))
        self.register_buffer("final_ema_coefficient", torch.tensor(final))
        self.register_buffer("ema_coefficient", torch.tensor(base))

    def set_epoch(self, epoch, total):
        b, f = float(self.base_ema_coefficient), float(self.final_ema_coefficient)
        self.ema_coefficient.fill_(f - 0.5 * (f - b) * (1 + math.cos(epoch / total * math.pi)))

    @torch.no_grad()
    def ema(self):
        m = self.ema_coefficient
        pairs = zip(list(self.teacher.parameters()) + list(self.teacher.buffers()), list(self.student.parameters()) + list(self.student.buffers()))
        for t, s in pairs:
            if t.dtype.is_floating_point:
                t.mul_(m).add_((1 - m) * s)
