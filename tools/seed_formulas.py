"""The seed's (stable-pretraining's) loss formulas that more than one fixture generator transcribes."""
import torch.nn.functional as F
import torch


def dino_loss(student_logits, teacher_probs, temperature_student=0.1):
    """losses/dino.py's DINO loss: every student view against every other teacher view, averaged."""
    lp = F.log_softmax(student_logits / temperature_student, dim=-1)
    m = -torch.einsum('sbk,tbk->st', lp, teacher_probs)
    m.fill_diagonal_(0)
    n_terms = m.numel() - m.diagonal().numel()
    return m.sum() / (n_terms * student_logits.shape[1])
