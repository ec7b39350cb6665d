r"""Label-distributionally-robust losses: LDR-KL and adaptive ALDR-KL.

Zhu, Ying & Yang, "Label Distributionally Robust Losses for Multi-class
Classification: Consistency, Robustness and Adaptivity", ICML 2023.

The LDR-KL loss is the worst case, over distributions :math:`q` on the labels
regularised by their KL divergence to the uniform distribution, of the
expected margin violation. Its closed form, for normalised scores :math:`f`
(see below), true class :math:`y`, margin :math:`c` and temperature
:math:`\lambda`, is

.. math::

    \ell_\lambda(f, y) = \lambda \log \frac{1}{K} \sum_{k=1}^{K}
        \exp\!\Big(\frac{f_k - f_y + c\,\mathbb{1}[k \ne y]}{\lambda}\Big).

:math:`\lambda \to \infty` gives the mean violation (robust to label noise),
:math:`\lambda \to 0` the largest one (the Crammer-Singer hinge). The
log-mean-exp is evaluated stably (``logsumexp``).

**Logit normalisation.** As in the authors' code, the raw outputs are first
made positive with ``softplus`` and divided by their mean over the classes,
so that :math:`\frac{1}{K}\sum_k f_k = 1`: the loss cannot be lowered by
inflating the logits, and :math:`\lambda` and :math:`c` live on a fixed scale.

Binary problems (one logit :math:`z`) are treated as two classes with logits
:math:`(0, z)`. With two classes the loss only depends on the gap
:math:`\delta = f_1 - f_0` between the normalised scores: with
:math:`v = c - (2y - 1)\,\delta`,
:math:`\ell_\lambda = \lambda \log\frac{1 + e^{v/\lambda}}{2}
= \lambda\,\operatorname{softplus}(v/\lambda) - \lambda \log 2`,
which is how one-logit problems are computed (a few operations per sample
instead of a two-column ``logsumexp``).
"""

import math

import torch

from numbers import Real

from sklearn.utils._param_validation import Interval

from ._base import SurrogateLoss

__all__ = ["ALDRKLLoss", "LDRKLLoss"]

_LOG2 = math.log(2.0)


def _normalised_scores(logits, softplus=True, eps=1e-12):
    """Positive scores with mean 1 per sample: ``softplus(z) / mean_k softplus(z_k)``.

    Without ``softplus`` the scores are divided by their mean absolute value.
    """
    if logits.ndim == 1:
        logits = torch.stack([torch.zeros_like(logits), logits], dim=1)
    scores = torch.nn.functional.softplus(logits) if softplus else logits
    scale = scores.abs().mean(dim=1, keepdim=True).clamp_min(eps)
    return scores / scale


def _binary_score_gap(logits, softplus=True, eps=1e-12):
    """``f_1 - f_0`` of the normalised scores of two-class logits ``(0, z)``, from ``(n,)`` logits ``z``."""
    if softplus:
        # scores (log 2, softplus(z)), both positive, with mean (log 2 + softplus(z)) / 2
        positive = torch.nn.functional.softplus(logits)
        return (positive - _LOG2) / ((positive + _LOG2) * 0.5)
    return logits / (logits.abs() * 0.5).clamp_min(eps)


def _binary_ldr_values(gap, targets, margin, lam):
    """Per-sample LDR-KL loss of a two-class problem from the score gap ``f_1 - f_0``.

    ``lam`` is a float or a tensor of per-sample temperatures (without gradient).
    """
    # the violation of the wrong class: c - (f_y - f_other)
    sign = 2.0 * targets.to(gap.dtype) - 1.0
    violation = torch.addcmul(torch.full_like(gap, margin), sign, gap, value=-1.0)
    if isinstance(lam, torch.Tensor):
        return lam * torch.nn.functional.softplus(violation / lam) - lam * _LOG2
    # softplus with beta = 1 / lam is lam * softplus(violation / lam)
    return torch.nn.functional.softplus(violation, beta=1.0 / lam) - lam * _LOG2


def _binary_kl_to_uniform(x):
    """``KL(q || (1/2, 1/2))`` for ``q = (1 - sigmoid(x), sigmoid(x))``: ``log 2 - softplus(x) + x sigmoid(x)``."""
    return _LOG2 - torch.nn.functional.softplus(x) + x * torch.sigmoid(x)


def _ldr_values(scores, targets, margin, lam):
    r"""Per-sample :math:`\lambda \log \frac{1}{K} \sum_k \exp((f_k - f_y + c\,[k \ne y]) / \lambda)`.

    With :math:`x_k = (f_k + c\,[k \ne y]) / \lambda` (so :math:`x_y = f_y / \lambda`) this is
    :math:`\lambda (\operatorname{logsumexp}_k x_k - x_y - \log K)`: the fused cross-entropy of
    the logits :math:`x`, shifted. ``lam`` is a float or a ``(n,)`` tensor.
    """
    n_classes = scores.shape[1]
    with torch.no_grad():
        offsets = torch.full_like(scores, margin).scatter_(1, targets[:, None], 0.0)
    scale = lam[:, None] if isinstance(lam, torch.Tensor) else lam
    x = (scores + offsets) / scale
    values = torch.nn.functional.cross_entropy(x, targets, reduction="none") - math.log(n_classes)
    return lam * values


class LDRKLLoss(SurrogateLoss):
    r"""LDR-KL loss with a fixed temperature :math:`\lambda`.

    The worst case of the margin violation over label distributions,
    regularised by their KL divergence to the uniform distribution. In closed
    form, for normalised scores :math:`f`, true class :math:`y`, margin
    :math:`c` and temperature :math:`\lambda`,

    .. math::

        \ell_\lambda(f, y) = \lambda \log \frac{1}{K} \sum_{k=1}^{K}
            \exp\!\Big(\frac{f_k - f_y + c\,\mathbb{1}[k \ne y]}{\lambda}\Big).

    A large :math:`\lambda` tends to the mean violation (robust to label
    noise), a small one to the largest violation (the Crammer-Singer hinge).
    The scores are the logits made positive with ``softplus`` and divided by
    their mean over the classes, so inflating the logits cannot lower the
    loss. A binary problem's logit :math:`z` is treated as the two logits
    :math:`(0, z)`.

    Parameters
    ----------
    margin : float, default=2.0
        The margin :math:`c` added to every wrong class (the authors' default).
    lam : float, default=1.0
        The temperature :math:`\lambda` (KL regularisation strength).

    References
    ----------
    .. [1] D. Zhu, Y. Ying, T. Yang. "Label Distributionally Robust Losses for
       Multi-class Classification: Consistency, Robustness and Adaptivity."
       ICML 2023.

    Examples
    --------
    >>> import torch
    >>> from sklearn_surrogate.losses import LDRKLLoss
    >>> logits = torch.tensor([2.0, -1.0, 0.5, -3.0])
    >>> targets = torch.tensor([1, 0, 0, 0])
    >>> [round(LDRKLLoss(lam=lam)(logits, targets).item(), 4) for lam in (0.1, 1.0, 10.0)]
    [1.1393, 0.8221, 0.6285]
    >>> logits = torch.tensor([[2.0, 0.0, -1.0], [0.5, 1.0, 0.0], [-1.0, 0.0, 3.0]])
    >>> round(LDRKLLoss()(logits, torch.tensor([0, 2, 2])).item(), 4)
    0.8402
    """

    target_metric = None

    _parameter_constraints = {"lam": [Interval(Real, 0, None, closed="neither")], "margin": [Interval(Real, 0, None, closed="left")]}

    def __init__(self, margin=2.0, lam=1.0):
        super().__init__()
        self.margin = margin
        self.lam = lam

    def _per_sample(self, logits, targets):
        lam = float(self.lam)
        if logits.ndim == 1:
            return _binary_ldr_values(_binary_score_gap(logits), targets, float(self.margin), lam)
        return _ldr_values(_normalised_scores(logits), targets, float(self.margin), lam)


class ALDRKLLoss(SurrogateLoss):
    r"""Adaptive LDR-KL loss (ALDR-KL): a temperature :math:`\lambda_i` per training sample.

    Each sample's temperature solves, in closed form, the inner problem of the
    adaptive formulation (a KL-regularised worst case with a penalty
    :math:`\frac{\alpha \log K}{2\lambda_0}(\lambda - \lambda_0)^2` keeping
    :math:`\lambda` near :math:`\lambda_0`). With
    :math:`q_i = \operatorname{softmax}(f_i / \lambda_i)` computed from the
    sample's current temperature, the update is

    .. math::

        \lambda_i \leftarrow \lambda_0 \Big(1 - \frac{\mathrm{KL}(q_i \,\|\, \tfrac{1}{K}\mathbf{1})}{\alpha \log K}\Big),

    so confidently classified samples (peaked :math:`q_i`, large KL) get a
    small :math:`\lambda_i` (hinge-like, strict) and ambiguous or possibly
    mislabelled ones a large one (robust). Since the KL divergence is at most
    :math:`\log K`, :math:`\lambda_i \ge \lambda_0 (1 - 1/\alpha) > 0` for
    :math:`\alpha > 1`. The loss of sample :math:`i` is

    .. math::

        \lambda_i \log \frac{1}{K}\sum_k \exp\!\Big(\frac{f_k - f_y + c\,\mathbb{1}[k \ne y]}{\lambda_i}\Big)
        - \frac{\alpha \log K}{2 \lambda_0}(\lambda_i - \lambda_0)^2,

    with :math:`\lambda_i` treated as a constant for the gradient. Scores are
    normalised as for :class:`LDRKLLoss` (``softplus``, then divided by their
    mean). The authors' code skips the ``softplus`` by default and divides raw
    logits by their mean absolute value; for a binary problem, whose two logits
    are :math:`(0, z)`, that leaves only the sign of :math:`z` and no
    gradient, so ``softplus=True`` is our default.

    The temperatures are per-sample state: the loss declares
    ``needs_sample_index`` and :class:`~sklearn_surrogate.SurrogateClassifier`
    passes each batch's row indices; :meth:`setup` sizes the state. They are
    updated in training mode only.

    Parameters
    ----------
    margin : float, default=1.0
        The margin :math:`c` (the authors' default for ALDR-KL).
    lam0 : float, default=1.0
        The reference temperature :math:`\lambda_0`.
    alpha : float, default=2.0
        Strength of the pull towards :math:`\lambda_0`; must exceed 1.
    softplus : bool, default=True
        Apply ``softplus`` before the mean normalisation (see above).
    n_samples : int or None, default=None
        Size of the per-sample state; None lets :meth:`setup` (or the largest
        index seen) decide.

    References
    ----------
    .. [1] D. Zhu, Y. Ying, T. Yang. "Label Distributionally Robust Losses for
       Multi-class Classification: Consistency, Robustness and Adaptivity."
       ICML 2023.

    Examples
    --------
    >>> import torch
    >>> from sklearn_surrogate.losses import ALDRKLLoss
    >>> logits = torch.tensor([2.0, -1.0, 0.5, -3.0])
    >>> targets = torch.tensor([1, 0, 0, 0])
    >>> loss = ALDRKLLoss()
    >>> loss.setup(n_classes=2, n_samples=4)
    >>> loss.lambdas.tolist()
    [1.0, 1.0, 1.0, 1.0]
    >>> round(loss(logits, targets, index=torch.arange(4)).item(), 4)
    0.1702

    The call updated the temperatures; the most confidently classified
    sample, the last, got the smallest:

    >>> [round(lam, 3) for lam in loss.lambdas.tolist()]
    [0.918, 0.952, 0.99, 0.804]
    """

    target_metric = None
    needs_sample_index = True

    _parameter_constraints = {
        "lam0": [Interval(Real, 0, None, closed="neither")],
        "alpha": [Interval(Real, 1, None, closed="neither")],
        "margin": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(self, margin=1.0, lam0=1.0, alpha=2.0, softplus=True, n_samples=None):
        super().__init__()
        self.margin = margin
        self.lam0 = lam0
        self.alpha = alpha
        self.softplus = softplus
        self.n_samples = n_samples
        self.register_buffer("lambdas", torch.full((0 if n_samples is None else int(n_samples),), float(lam0)))

    def setup(self, n_classes, n_samples):
        """Size the per-sample temperatures before training.

        Grows ``lambdas`` to ``n_samples`` entries (or to the ``n_samples``
        given to the constructor), new entries starting at ``lam0``; existing
        entries are kept.

        Parameters
        ----------
        n_classes : int
            Number of classes (unused).
        n_samples : int
            Number of training samples: the row indices passed as ``index``
            lie in ``[0, n_samples)``.
        """
        super().setup(n_classes, n_samples)
        self._resize(n_samples if self.n_samples is None else int(self.n_samples))

    def _resize(self, size):
        if self.lambdas.numel() < size:
            grown = torch.full((size,), float(self.lam0), dtype=self.lambdas.dtype, device=self.lambdas.device)
            grown[: self.lambdas.numel()] = self.lambdas
            self.lambdas = grown

    def forward(self, logits, targets, sample_weight=None, index=None):
        """Compute the loss of a batch: the weighted mean ALDR-KL loss.

        In training mode, first updates the temperatures of the samples in
        ``index``.

        ``logits``, ``targets`` and ``sample_weight`` are as in
        :meth:`SurrogateLoss.forward`.

        Parameters
        ----------
        index : Tensor of int of shape (n,), default=None
            Each sample's row position in the training set. Required: None
            raises a ``ValueError``.

        Returns
        -------
        loss : Tensor of shape ()
            The weighted mean ALDR-KL loss.
        """
        return super().forward(logits, targets, sample_weight, index=index)

    def _per_sample(self, logits, targets, index=None):
        if index is None:
            raise ValueError(
                "ALDRKLLoss keeps a temperature per training sample and needs index= (each sample's row "
                "position); SurrogateClassifier passes it."
            )
        index = torch.as_tensor(index, device=logits.device).long()
        if index.shape != targets.shape:
            raise ValueError(f"ALDRKLLoss: index has shape {tuple(index.shape)}, expected {tuple(targets.shape)}.")
        if self.check_input and index.numel() and bool(index.min() < 0):
            raise ValueError("ALDRKLLoss: index must be non-negative row positions.")
        if self.check_input and index.numel():
            # the estimator sizes the state once in setup() and validates its indices itself, so its
            # training batches skip this read-back of index.max() (a host sync on a GPU)
            self._resize(int(index.max()) + 1)
        if self.lambdas.device != logits.device:
            self.lambdas = self.lambdas.to(logits.device)
        binary = logits.ndim == 1
        if binary:  # two classes: everything follows from the score gap f_1 - f_0
            gap = _binary_score_gap(logits, softplus=bool(self.softplus))
            n_classes = 2
        else:
            scores = _normalised_scores(logits, softplus=bool(self.softplus))
            n_classes = scores.shape[1]
        log_k = math.log(n_classes)
        lam0, alpha = float(self.lam0), float(self.alpha)
        lam = self.lambdas[index].to(logits.dtype)
        if self.training:
            with torch.no_grad():
                if binary:
                    kl = _binary_kl_to_uniform(gap / lam)
                else:
                    q = torch.softmax(scores / lam[:, None], dim=1)
                    kl = (q * (torch.log(q.clamp_min(1e-30)) + log_k)).sum(1)
                lam = (lam0 * (1.0 - kl / (alpha * log_k))).clamp_min(lam0 * (1.0 - 1.0 / alpha))
                self.lambdas[index] = lam.to(self.lambdas.dtype)
        lam = lam.detach()
        if binary:
            values = _binary_ldr_values(gap, targets, float(self.margin), lam)
        else:
            values = _ldr_values(scores, targets, float(self.margin), lam)
        return values - alpha * log_k / (2.0 * lam0) * (lam - lam0) ** 2
