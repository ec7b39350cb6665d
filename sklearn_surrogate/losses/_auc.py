r"""AUC surrogates: pairwise losses and the AUC-margin min-max loss.

The ROC AUC is the fraction of (positive, negative) pairs that the scores
order correctly. A pairwise surrogate replaces the step function with a smooth
penalty :math:`\phi` of the score difference and averages it over all pairs,
weighted by the product of the two samples' weights:

.. math::

    \mathcal{L} = \frac{\sum_{i \in P} \sum_{j \in N} w_i w_j\, \phi(s_i - s_j)}
                       {\sum_{i \in P} w_i \sum_{j \in N} w_j}.

Exact fast forms are used where they exist:

* **square** :math:`\phi(d) = (m - d)^2` factorises into per-class moments,
  :math:`O(n)`: with :math:`u_i = m - s_i` on positives,
  :math:`\mathcal{L} = \overline{u^2} + 2\bar u \bar s + \overline{s^2}`.
* **exponential** :math:`\phi(d) = e^{-d/\tau}` factorises too:
  :math:`\mathcal{L} = \overline{e^{-s/\tau}}_P \cdot \overline{e^{s/\tau}}_N`, :math:`O(n)`.
* **squared hinge** :math:`\phi(d) = \max(0, m - d)^2` only involves the
  negatives scoring above :math:`s_i - m`; sorting the negatives once and
  using cumulative moments gives the exact value in :math:`O(n \log n)`.
* **logistic** :math:`\phi(d) = \tau \log(1 + e^{-d/\tau})` (written with
  ``softplus`` so it cannot overflow) has no such form and is summed over the
  :math:`|P| \times |N|` pairs, in chunks.

Scores are probabilities, :math:`s = \sigma(z)` for binary problems and
:math:`s = \operatorname{softmax}(z)_c` for class ``c``, as in LibAUC, so
margins live on a fixed scale and the exponential loss cannot overflow; the
logistic loss can instead use raw logits (``score="logit"``).

Multiclass problems (Yang et al., 2021) use either one-vs-rest pairs (``"ovr"``:
class ``c`` against all others, scored by :math:`s_c`, averaged over classes)
or one-vs-one pairs (``"ovo"``: class ``i`` against class ``j``, scored by
:math:`s_i`, averaged over ordered pairs of classes, as in Hand & Till's AUC).

A batch without positives or without negatives has no pairs: its loss is 0
with zero gradient (for AUC-M: only the class-conditional terms present).
Class-balanced or stratified batches avoid that
(``SurrogateClassifier(batch_sampling=...)``).
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

from ._base import SurrogateLoss, check_real

__all__ = [
    "AUCExponentialLoss",
    "AUCLogisticLoss",
    "AUCMarginLoss",
    "AUCSquareLoss",
    "AUCSquaredHingeLoss",
]

_MULTICLASS = ("ovr", "ovo")
# pairs per chunk for the quadratic logistic loss (bounds the temporary memory)
_PAIR_CHUNK = 1 << 22


class _PairwiseAUCLoss(SurrogateLoss):
    """Shared machinery: split into (positive, negative) score sets, average a pair loss."""

    target_metric = "roc_auc"
    needs_both_classes = True
    _default_score = "sigmoid"

    def __init__(self, margin=1.0, multiclass="ovr"):
        super().__init__()
        self.margin = margin
        self.multiclass = multiclass

    def _validate_hyperparameters(self):
        check_real(type(self).__name__, "margin", self.margin)
        if self.multiclass not in _MULTICLASS:
            raise ValueError(f"{type(self).__name__}: multiclass must be one of {_MULTICLASS}, got {self.multiclass!r}.")

    def _scores(self, logits):
        if getattr(self, "score", self._default_score) == "logit":
            return logits if logits.ndim == 1 else logits - logits.mean(1, keepdim=True)
        return torch.sigmoid(logits) if logits.ndim == 1 else torch.softmax(logits, dim=1)

    def forward(self, logits, targets, sample_weight=None):
        logits, targets, sample_weight = self._check_inputs(logits, targets, sample_weight)
        self._validate_hyperparameters()
        scores = self._scores(logits)
        w = torch.ones_like(scores if scores.ndim == 1 else scores[:, 0]) if sample_weight is None else sample_weight
        if logits.ndim == 1:
            return self._pair_mean(scores, targets == 1, targets == 0, w)
        n_classes = logits.shape[1]
        total = scores.new_zeros(())
        count = 0
        for i in range(n_classes):
            pos = targets == i
            others = range(n_classes) if self.multiclass == "ovo" else [None]
            for j in others:
                if j == i:
                    continue
                neg = ~pos if j is None else targets == j
                total = total + self._pair_mean(scores[:, i], pos, neg, w)
                # a class whose samples all weigh 0 is absent, as in _pair_mean
                count += int(bool((w * pos).sum() > 0) and bool((w * neg).sum() > 0))
        return total / max(count, 1)

    def _pair_mean(self, s, pos, neg, w):
        """Weighted mean of the pair loss over (pos, neg) pairs; 0 when either set is empty."""
        wp = w * pos.to(w.dtype)
        wn = w * neg.to(w.dtype)
        total_p, total_n = wp.sum(), wn.sum()
        if not (bool(total_p > 0) and bool(total_n > 0)):
            return (s * 0.0).sum()
        return self._pair_loss(s, wp / total_p, wn / total_n, pos, neg)


class AUCSquareLoss(_PairwiseAUCLoss):
    r"""Squared pairwise AUC surrogate, :math:`\phi(d) = (m - d)^2`, exact in :math:`O(n)`.

    Parameters
    ----------
    margin : float, default=1.0
        The target score gap :math:`m` between a positive and a negative.
    multiclass : {"ovr", "ovo"}, default="ovr"
        One-vs-rest or one-vs-one pairs for multiclass problems.

    References
    ----------
    .. [1] Z. Yuan, Y. Yan, M. Sonka, T. Yang. "Large-scale Robust Deep AUC
       Maximization." ICCV 2021.
    .. [2] Z. Yang, Q. Xu, S. Bao, X. Cao, Q. Huang. "Learning with
       Multiclass AUC: Theory and Algorithms." IEEE TPAMI 2021.
    """

    def _pair_loss(self, s, pw, nw, pos, neg):
        u = self.margin - s
        mean_u, mean_u2 = (pw * u).sum(), (pw * u * u).sum()
        mean_s, mean_s2 = (nw * s).sum(), (nw * s * s).sum()
        return mean_u2 + 2.0 * mean_u * mean_s + mean_s2


class AUCExponentialLoss(_PairwiseAUCLoss):
    r"""Exponential pairwise AUC surrogate, :math:`\phi(d) = e^{-d/\tau}`, exact in :math:`O(n)`.

    :math:`\mathcal{L} = \overline{e^{-s/\tau}}_P \cdot \overline{e^{s/\tau}}_N`
    (RankBoost's loss). Scores are probabilities, so the loss lies in
    :math:`[e^{-1/\tau}, e^{1/\tau}]`.

    Parameters
    ----------
    temperature : float, default=1.0
        The scale :math:`\tau` of score differences.
    multiclass : {"ovr", "ovo"}, default="ovr"

    References
    ----------
    .. [1] Y. Freund, R. Iyer, R. E. Schapire, Y. Singer. "An Efficient
       Boosting Algorithm for Combining Preferences." JMLR 2003.
    """

    def __init__(self, temperature=1.0, multiclass="ovr"):
        super().__init__(margin=0.0, multiclass=multiclass)
        self.temperature = temperature

    def _validate_hyperparameters(self):
        super()._validate_hyperparameters()
        check_real(type(self).__name__, "temperature", self.temperature, low=0.0)

    def _pair_loss(self, s, pw, nw, pos, neg):
        t = float(self.temperature)
        # log-space means keep the product finite for any temperature
        log_p = torch.logsumexp(torch.where(pos, -s / t + torch.log(pw.clamp_min(1e-300)), -math.inf), 0)
        log_n = torch.logsumexp(torch.where(neg, s / t + torch.log(nw.clamp_min(1e-300)), -math.inf), 0)
        return torch.exp(log_p + log_n)


class AUCSquaredHingeLoss(_PairwiseAUCLoss):
    r"""Squared-hinge pairwise AUC surrogate, :math:`\phi(d) = \max(0, m - d)^2`, exact in :math:`O(n \log n)`.

    Only negatives with :math:`s_j > s_i - m` contribute to positive
    :math:`i`; after sorting the negatives' scores, their weighted count and
    first two moments above any threshold are read off cumulative sums.

    Parameters
    ----------
    margin : float, default=1.0
        The margin :math:`m`.
    multiclass : {"ovr", "ovo"}, default="ovr"

    References
    ----------
    .. [1] Z. Yuan et al. "Large-scale Robust Deep AUC Maximization." ICCV 2021
       (LibAUC's pairwise squared-hinge loss).
    """

    def _pair_loss(self, s, pw, nw, pos, neg):
        neg_s, neg_w = s[neg], nw[neg]
        order = torch.argsort(neg_s.detach())
        neg_s, neg_w = neg_s[order], neg_w[order]
        # suffix sums: totals over negatives from position k to the end
        zero = neg_s.new_zeros(1)
        c = torch.cat([torch.flip(torch.cumsum(torch.flip(neg_w, [0]), 0), [0]), zero])
        s1 = torch.cat([torch.flip(torch.cumsum(torch.flip(neg_w * neg_s, [0]), 0), [0]), zero])
        s2 = torch.cat([torch.flip(torch.cumsum(torch.flip(neg_w * neg_s * neg_s, [0]), 0), [0]), zero])
        pos_s, pos_w = s[pos], pw[pos]
        u = self.margin - pos_s  # pair (i, j) is active when s_j > -u_i
        first = torch.searchsorted(neg_s.detach().contiguous(), (-u).detach().contiguous(), right=True)
        per_positive = c[first] * u * u + 2.0 * u * s1[first] + s2[first]
        return (pos_w * per_positive).sum()


class AUCLogisticLoss(_PairwiseAUCLoss):
    r"""Logistic pairwise AUC surrogate (the Mann-Whitney "MW" loss).

    .. math:: \phi(d) = \tau \log(1 + e^{-d/\tau}) = \tau\,\operatorname{softplus}(-d/\tau),

    a smooth upper bound of the pairwise step function whose mean over pairs
    estimates :math:`1 - \text{AUC}` (the Mann-Whitney statistic). Computed
    with ``softplus``, it is finite for any score difference. Costs
    :math:`O(|P||N|)`, evaluated in chunks.

    Parameters
    ----------
    temperature : float, default=1.0
        The scale :math:`\tau`.
    score : {"logit", "sigmoid"}, default="logit"
        Compare raw logits (centred per sample for multiclass) or probabilities.
    multiclass : {"ovr", "ovo"}, default="ovr"

    References
    ----------
    .. [1] "Optimizing What Matters: AUC-Driven Learning" (the MW loss).
    .. [2] C. Burges et al. "Learning to Rank using Gradient Descent." ICML
       2005 (the pairwise logistic loss).
    """

    _default_score = "logit"

    def __init__(self, temperature=1.0, score="logit", multiclass="ovr"):
        super().__init__(margin=0.0, multiclass=multiclass)
        self.temperature = temperature
        self.score = score

    def _validate_hyperparameters(self):
        super()._validate_hyperparameters()
        check_real(type(self).__name__, "temperature", self.temperature, low=0.0)
        if self.score not in ("logit", "sigmoid"):
            raise ValueError(f"AUCLogisticLoss: score must be 'logit' or 'sigmoid', got {self.score!r}.")

    def _pair_loss(self, s, pw, nw, pos, neg):
        t = float(self.temperature)
        ps, pwp = s[pos], pw[pos]
        ns, nwn = s[neg], nw[neg]
        rows = max(1, _PAIR_CHUNK // max(len(ns), 1))
        total = s.new_zeros(())
        for start in range(0, len(ps), rows):
            diff = ps[start : start + rows, None] - ns[None, :]
            values = t * F.softplus(-diff / t)
            total = total + (pwp[start : start + rows, None] * values * nwn[None, :]).sum()
        return total


class _ReverseGradient(torch.autograd.Function):
    """Identity whose gradient is negated: minimising the loss *ascends* in the input."""

    @staticmethod
    def forward(ctx, x):
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad):
        return -grad


class AUCMarginLoss(SurrogateLoss):
    r"""AUC-margin loss (AUC-M), a min-max margin-based AUC surrogate.

    For scores :math:`s = \sigma(z)`, labels :math:`y`, positive share
    :math:`p` and margin :math:`m`, the loss solves
    :math:`\min_{w, a, b} \max_{\alpha \ge 0} \mathcal{L}` with, for batch
    means :math:`\mathbb{E}` over all samples,

    .. math::

        \mathcal{L} = (1-p)\,\mathbb{E}[(s-a)^2 \mathbb{1}_{y=1}]
        + p\,\mathbb{E}[(s-b)^2 \mathbb{1}_{y=0}]
        + 2\alpha\,\big(p(1-p)m + \mathbb{E}[p\,s\,\mathbb{1}_{y=0} - (1-p)\,s\,\mathbb{1}_{y=1}]\big)
        - p(1-p)\,\alpha^2 .

    :math:`a` and :math:`b` (the class-conditional mean scores) are learnable
    and minimised like the network's weights. They start at their ideal
    values, 1 and 0 (LibAUC starts them at 0, which at the learning rates
    usual with Adam first pulls every score towards 0 and erases the ranking). :math:`\alpha` is *maximised*:
    it enters through a gradient-reversal identity, so the same optimizer
    step that descends on the weights ascends on :math:`\alpha`, and it is
    projected onto :math:`\alpha \ge 0` at each forward pass (projected
    gradient ascent, as in LibAUC's PESG). Any torch optimizer (Adam, SGD)
    therefore solves the saddle-point problem; no special optimizer is needed.

    Multiclass problems use one-vs-rest copies of the loss (one
    :math:`a, b, \alpha` per class), averaged.

    Parameters
    ----------
    margin : float, default=1.0
        The margin :math:`m`.
    imratio : float or None, default=None
        The positive share :math:`p`; None estimates it from each batch.
    n_outputs : int or None, default=None
        Number of (a, b, alpha) triples: 1 for binary problems, K for K
        classes. None lets :meth:`setup` (called by the estimator before the
        optimizer is built) or, failing that, the first batch size them.

    Notes
    -----
    The loss value includes :math:`\alpha`-terms and is not a progress signal
    on its own; monitor the validation AUC (the estimator does).

    References
    ----------
    .. [1] Z. Yuan, Y. Yan, M. Sonka, T. Yang. "Large-scale Robust Deep AUC
       Maximization: A New Surrogate Loss and Empirical Studies on Medical
       Image Classification." ICCV 2021.
    """

    target_metric = "roc_auc"
    needs_both_classes = True
    value_tracks_progress = False

    def __init__(self, margin=1.0, imratio=None, n_outputs=None):
        super().__init__()
        self.margin = margin
        self.imratio = imratio
        self.n_outputs = n_outputs
        size = 1 if n_outputs is None else int(n_outputs)
        self.a = nn.Parameter(torch.ones(size))
        self.b = nn.Parameter(torch.zeros(size))
        self.alpha = nn.Parameter(torch.zeros(size))
        self._sized = n_outputs is not None

    def setup(self, n_classes, n_samples):
        if self.n_outputs is None:
            self._ensure_size(1 if n_classes == 2 else n_classes, self.a)

    def _ensure_size(self, k, like):
        if self.a.numel() != k:
            if self._sized:
                raise ValueError(f"AUCMarginLoss was built for {self.a.numel()} outputs, got logits with {k}.")
            with torch.no_grad():
                self.a = nn.Parameter(torch.ones(k, dtype=like.dtype, device=like.device))
                self.b = nn.Parameter(torch.zeros(k, dtype=like.dtype, device=like.device))
                self.alpha = nn.Parameter(torch.zeros(k, dtype=like.dtype, device=like.device))
        self._sized = True

    def forward(self, logits, targets, sample_weight=None):
        logits, targets, sample_weight = self._check_inputs(logits, targets, sample_weight)
        check_real("AUCMarginLoss", "margin", self.margin)
        if self.imratio is not None:
            check_real("AUCMarginLoss", "imratio", self.imratio, low=0.0, high=1.0, high_inclusive=False)
        if logits.ndim == 1:
            s = torch.sigmoid(logits)[:, None]
            y = (targets == 1).to(s.dtype)[:, None]
        else:
            s = torch.softmax(logits, dim=1)
            y = F.one_hot(targets, logits.shape[1]).to(s.dtype)
        self._ensure_size(s.shape[1], s)
        with torch.no_grad():
            self.alpha.clamp_(min=0.0)  # projection of the ascent step onto alpha >= 0
        w = torch.ones_like(s[:, 0]) if sample_weight is None else sample_weight
        w = (w / w.sum().clamp_min(torch.finfo(s.dtype).tiny))[:, None]  # batch mean = weighted sum
        if self.imratio is None:
            p = (w * y).sum(0).detach()
        else:
            p = torch.full_like(s[0], float(self.imratio))
        a, b = self.a.to(s.dtype), self.b.to(s.dtype)
        alpha = _ReverseGradient.apply(self.alpha.to(s.dtype))
        m = float(self.margin)
        pos_term = (1 - p) * (w * (s - a) ** 2 * y).sum(0)
        neg_term = p * (w * (s - b) ** 2 * (1 - y)).sum(0)
        cross = (w * (p * s * (1 - y) - (1 - p) * s * y)).sum(0)
        loss = pos_term + neg_term + 2 * alpha * (p * (1 - p) * m + cross) - p * (1 - p) * alpha**2
        return loss.mean()
