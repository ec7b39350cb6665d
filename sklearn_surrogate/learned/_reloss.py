"""``ReLoss``: a frozen learned surrogate used as a training loss."""

import copy

import torch
import torch.nn.functional as F

from ..losses._base import SurrogateLoss, check_real

__all__ = ["ReLoss"]

# learned-metric name -> (scorer metric, scorer parameters)
_TARGETS = {
    "f1": ("f1", {}),
    "roc_auc": ("roc_auc", {}),
    "balanced_accuracy": ("balanced_accuracy", {}),
    "accuracy": ("accuracy", {}),
    "mcc": ("mcc", {}),
    "macro_f1": ("f1", {"average": "macro"}),
}


class ReLoss(SurrogateLoss):
    """A learned relational surrogate (ReLoss) as a loss, optionally mixed with cross-entropy.

    The surrogate network maps a batch's probabilities and labels to one
    number whose ranking of models agrees with the metric's (see
    :func:`~sklearn_surrogate.learned.learn_surrogate`). It is frozen: only
    the classifier's network is trained through it.

    Parameters
    ----------
    metric : str or None, default="f1"
        The metric the surrogate was learned for (None for a user metric);
        sets :attr:`target_metric`.
    surrogate : torch.nn.Module
        The learned surrogate network (from ``learn_surrogate``). It is
        deep-copied and frozen.
    n_classes : int or None, default=None
        Number of classes the surrogate was learned for; checked at call time.
    ce_weight : float, default=0.0
        Weight of a cross-entropy term added to the surrogate (a frozen
        surrogate alone can pull probabilities towards an interior point).

    References
    ----------
    .. [1] T. Huang, Z. Li, H. Lu, Y. Shan, S. Yang, Y. Feng, F. Wang, S. You,
       C. Xu. "Relational Surrogate Loss Learning." ICLR 2022.
    """

    needs_both_classes = True

    def __init__(self, metric="f1", surrogate=None, n_classes=None, ce_weight=0.0):
        super().__init__()
        if surrogate is None:
            raise ValueError(
                "ReLoss needs a learned surrogate network; learn one with "
                "sklearn_surrogate.learned.learn_surrogate(metric)."
            )
        self.metric = metric
        self.surrogate = copy.deepcopy(surrogate)
        for parameter in self.surrogate.parameters():
            parameter.requires_grad_(False)
        self.surrogate.eval()
        self.n_classes = n_classes
        self.ce_weight = ce_weight

    @property
    def target_metric(self):
        return _TARGETS.get(self.metric, (None, {}))[0]

    def target_metric_params(self):
        return dict(_TARGETS.get(self.metric, (None, {}))[1])

    def train(self, mode=True):
        super().train(mode)
        self.surrogate.eval()  # frozen: always in evaluation mode
        return self

    def forward(self, logits, targets, sample_weight=None):
        logits, targets, sample_weight = self._check_inputs(logits, targets, sample_weight)
        ce_weight = check_real("ReLoss", "ce_weight", self.ce_weight, low=0.0, low_inclusive=True)
        if logits.ndim == 1:
            p = torch.sigmoid(logits)
            P = torch.stack([1.0 - p, p], dim=1)
        else:
            P = torch.softmax(logits, dim=1)
        K = P.shape[1]
        if self.n_classes is not None and K != self.n_classes:
            raise ValueError(f"ReLoss: the surrogate was learned for {self.n_classes} classes, got {K}.")
        Y = F.one_hot(targets, K).to(P.dtype)
        dtype = next(self.surrogate.parameters()).dtype
        value = self.surrogate(P.to(dtype), Y.to(dtype), None if sample_weight is None else sample_weight.to(dtype))
        value = value.to(logits.dtype)
        if ce_weight:
            if logits.ndim == 1:
                ce = F.binary_cross_entropy_with_logits(logits, targets.to(logits.dtype), reduction="none")
            else:
                ce = F.cross_entropy(logits, targets, reduction="none")
            value = value + ce_weight * self._weighted_mean(ce, sample_weight)
        return value
