"""Differentiable Spearman correlation: soft ranks of one variable against hard ranks of another.

ReLoss (Huang et al., ICLR 2022) trains a surrogate so that the ranking of
models by the surrogate agrees with their ranking by the metric; the objective
is Spearman's correlation, made differentiable by replacing the surrogate's
hard ranks with soft ranks. We use the pairwise-sigmoid soft rank

.. math:: r_i = \\tfrac12 + \\sum_{j} \\sigma\\!\\left(\\frac{x_i - x_j}{\\tau\\, \\mathrm{sd}(x)}\\right),

which tends to the hard rank (ties averaged) as :math:`\\tau \\to 0`. For the
few hundred values of a training step its :math:`O(m^2)` cost is negligible,
and unlike sorting networks (``diffsort``) or projection-based soft sorting
(``torchsort``, which needs a compiled extension) it needs no dependency.
"""

import torch

__all__ = ["hard_rank", "soft_rank", "spearman", "soft_spearman"]


def hard_rank(x):
    """Ranks 1..m of a 1-D tensor (ties get their mean rank), as float."""
    x = x.detach()
    less = (x[:, None] > x[None, :]).to(torch.float64).sum(1)
    equal = (x[:, None] == x[None, :]).to(torch.float64).sum(1)
    return (less + (equal + 1) / 2).to(x.dtype if x.is_floating_point() else torch.float64)


def soft_rank(x, temperature=0.05):
    """Pairwise-sigmoid soft ranks of a 1-D tensor (differentiable)."""
    scale = x.detach().std().clamp_min(torch.finfo(x.dtype).eps) * temperature
    return 0.5 + torch.sigmoid((x[:, None] - x[None, :]) / scale).sum(1)


def _standardise(v):
    v = v - v.mean()
    return v / v.norm().clamp_min(torch.finfo(v.dtype).eps)


def soft_spearman(x, target, temperature=0.05):
    """Spearman correlation of ``x`` (soft-ranked, differentiable) with ``target`` (hard-ranked)."""
    return (_standardise(soft_rank(x, temperature)) * _standardise(hard_rank(target).to(x.dtype))).sum()


def spearman(x, y):
    """Exact Spearman correlation of two 1-D tensors or arrays (a float)."""
    x, y = torch.as_tensor(x, dtype=torch.float64), torch.as_tensor(y, dtype=torch.float64)
    return float((_standardise(hard_rank(x)) * _standardise(hard_rank(y))).sum())
