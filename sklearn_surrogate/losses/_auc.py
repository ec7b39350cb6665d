r"""Pairwise AUC surrogates.

The ROC AUC is the fraction of (positive, negative) pairs that the scores
order correctly. A pairwise surrogate replaces the step function with a smooth
penalty :math:`\phi` of the score difference and averages it over all pairs:

.. math:: \mathcal{L} = \frac{1}{|P||N|} \sum_{i \in P} \sum_{j \in N} \phi(s_i - s_j).

For the squared loss :math:`\phi(d) = (m - d)^2` the double sum factorises into
per-class moments, so the loss costs :math:`O(n)` instead of :math:`O(n^2)`:
with :math:`u_i = m - s_i` on positives and :math:`s_j` on negatives,

.. math:: \mathcal{L} = \overline{u^2} + 2\,\bar u\,\bar s + \overline{s^2},

(bars are weighted means over each class). Scores are probabilities
:math:`s = \sigma(z)` (binary) or :math:`s = \operatorname{softmax}(z)_c`
(class ``c`` against the rest), as in LibAUC, so the margin ``m`` lives on a
fixed scale.
"""

import torch

from ._base import SurrogateLoss

__all__ = ["AUCSquareLoss"]


def _class_moments(values, mask, weight):
    """Weighted first and second moments of ``values`` over ``mask``.

    Returns ``(mean, mean_of_squares, has_any)``; an empty class gives zeros.
    """
    w = mask.to(values.dtype) if weight is None else mask.to(values.dtype) * weight
    total = w.sum(0)
    safe = total.clamp_min(torch.finfo(values.dtype).tiny)
    mean = (w * values).sum(0) / safe
    mean_sq = (w * values * values).sum(0) / safe
    return mean, mean_sq, total > 0


class AUCSquareLoss(SurrogateLoss):
    r"""Squared pairwise AUC surrogate, computed exactly in :math:`O(n)`.

    .. math:: \mathcal{L} = \frac{1}{|P||N|} \sum_{i \in P,\, j \in N} (m - (s_i - s_j))^2

    with :math:`s = \sigma(z)`; see the module documentation for the
    factorised form. Multiclass problems average the one-vs-rest losses over
    the classes (the one-vs-all multiclass AUC of Yang et al., 2021).

    A batch without positives or without negatives has no pairs: its loss is
    0 with zero gradient. Use class-balanced batches when the minority class
    is rare.

    Parameters
    ----------
    margin : float, default=1.0
        The target score gap :math:`m` between a positive and a negative.

    References
    ----------
    .. [1] Z. Yuan, Y. Yan, M. Sonka, T. Yang. "Large-scale Robust Deep AUC
       Maximization: A New Surrogate Loss and Empirical Studies on Medical
       Image Classification." ICCV 2021.
    .. [2] Z. Yang, Q. Xu, S. Bao, X. Cao, Q. Huang. "Learning with
       Multiclass AUC: Theory and Algorithms." IEEE TPAMI 2021.
    """

    target_metric = "roc_auc"
    needs_both_classes = True

    def __init__(self, margin=1.0):
        super().__init__()
        self.margin = margin

    def forward(self, logits, targets, sample_weight=None):
        logits, targets, sample_weight = self._check_inputs(logits, targets, sample_weight)
        if logits.ndim == 1:
            scores = torch.sigmoid(logits)[:, None]
            positive = (targets == 1)[:, None]
        else:
            scores = torch.softmax(logits, dim=1)
            positive = torch.nn.functional.one_hot(targets, logits.shape[1]).bool()
        weight = None if sample_weight is None else sample_weight[:, None]
        u = self.margin - scores
        mean_u, mean_u2, has_pos = _class_moments(u, positive, weight)
        mean_s, mean_s2, has_neg = _class_moments(scores, ~positive, weight)
        per_class = mean_u2 + 2.0 * mean_u * mean_s + mean_s2
        valid = has_pos & has_neg
        per_class = torch.where(valid, per_class, torch.zeros_like(per_class))
        return per_class.sum() / valid.sum().clamp_min(1)
