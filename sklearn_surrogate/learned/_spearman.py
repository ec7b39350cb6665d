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
    """Ranks 1..m of a 1-D tensor, ties getting their mean rank.

    Not differentiable (the input is detached); it ranks the target side of
    :func:`soft_spearman`.

    Parameters
    ----------
    x : Tensor of shape (m,)
        The values to rank; the smallest gets rank 1.

    Returns
    -------
    ranks : Tensor of shape (m,)
        The ranks, in ``x``'s dtype when it is floating point, else float64.

    Examples
    --------
    >>> import torch
    >>> from sklearn_surrogate.learned._spearman import hard_rank
    >>> hard_rank(torch.tensor([3.0, 1.0, 2.0, 1.0])).tolist()
    [4.0, 1.5, 3.0, 1.5]
    """
    x = x.detach()
    less = (x[:, None] > x[None, :]).to(torch.float64).sum(1)
    equal = (x[:, None] == x[None, :]).to(torch.float64).sum(1)
    return (less + (equal + 1) / 2).to(x.dtype if x.is_floating_point() else torch.float64)


def soft_rank(x, temperature=0.05):
    """Pairwise-sigmoid soft ranks of a 1-D tensor (differentiable).

    .. math:: r_i = \\tfrac12 + \\sum_{j=1}^{m} \\sigma\\!\\left(\\frac{x_i - x_j}{\\tau\\, \\mathrm{sd}(x)}\\right)

    with :math:`\\sigma` the logistic sigmoid and :math:`\\tau` the
    temperature. As :math:`\\tau \\to 0` the soft ranks tend to
    :func:`hard_rank`'s (ties averaged).

    Parameters
    ----------
    x : Tensor of shape (m,)
        Floating-point values to rank; gradients flow back to them.
    temperature : float, default=0.05
        Smoothness of the comparisons, relative to the standard deviation of
        ``x`` (so the result does not depend on the scale of ``x``).

    Returns
    -------
    ranks : Tensor of shape (m,)
        Soft ranks between 1 and m; they always sum to ``m (m + 1) / 2``.

    Examples
    --------
    >>> import torch
    >>> from sklearn_surrogate.learned._spearman import soft_rank
    >>> x = torch.tensor([0.3, -1.2, 2.0], requires_grad=True)
    >>> [round(r, 3) for r in soft_rank(x, temperature=0.01).tolist()]
    [2.0, 1.0, 3.0]
    >>> [round(r, 2) for r in soft_rank(x, temperature=0.5).tolist()]
    [1.97, 1.15, 2.88]
    >>> soft_rank(x).requires_grad
    True
    """
    scale = x.detach().std().clamp_min(torch.finfo(x.dtype).eps) * temperature
    return 0.5 + torch.sigmoid((x[:, None] - x[None, :]) / scale).sum(1)


def _standardise(v):
    v = v - v.mean()
    return v / v.norm().clamp_min(torch.finfo(v.dtype).eps)


def soft_spearman(x, target, temperature=0.05):
    """Spearman correlation of ``x`` (soft-ranked, differentiable) with ``target`` (hard-ranked).

    The objective :func:`learn_surrogate` maximises: the Pearson correlation
    of :func:`soft_rank` of ``x`` with :func:`hard_rank` of ``target``.

    Parameters
    ----------
    x : Tensor of shape (m,)
        Floating-point values whose ranking is being trained; gradients flow
        back to them.
    target : Tensor of shape (m,)
        The reference values (no gradient).
    temperature : float, default=0.05
        Soft-rank temperature, relative to the standard deviation of ``x``
        (see :func:`soft_rank`).

    Returns
    -------
    correlation : Tensor of shape ()
        Between -1 and 1; close to :func:`spearman` for a small temperature.

    Examples
    --------
    >>> import torch
    >>> from sklearn_surrogate.learned._spearman import soft_spearman
    >>> x = torch.tensor([0.1, 0.4, 0.2, 0.9], requires_grad=True)
    >>> target = torch.tensor([1.0, 3.0, 2.0, 4.0])
    >>> round(soft_spearman(x, target).item(), 3)
    1.0
    >>> rho = soft_spearman(x, target, temperature=1.0)
    >>> round(rho.item(), 2)
    0.95
    >>> rho.backward()
    >>> x.grad.shape
    torch.Size([4])
    """
    return (_standardise(soft_rank(x, temperature)) * _standardise(hard_rank(target).to(x.dtype))).sum()


def spearman(x, y):
    """Exact Spearman correlation of two 1-D tensors or arrays.

    Parameters
    ----------
    x : array-like or Tensor of shape (m,)
        First variable.
    y : array-like or Tensor of shape (m,)
        Second variable.

    Returns
    -------
    correlation : float
        The Pearson correlation of the ranks (ties get their mean rank).

    Examples
    --------
    >>> from sklearn_surrogate.learned._spearman import spearman
    >>> round(spearman([1, 2, 3, 4], [10, 30, 20, 40]), 6)
    0.8
    >>> round(spearman([1, 2, 3], [3, 2, 1]), 6)
    -1.0
    """
    x, y = torch.as_tensor(x, dtype=torch.float64), torch.as_tensor(y, dtype=torch.float64)
    return float((_standardise(hard_rank(x)) * _standardise(hard_rank(y))).sum())
