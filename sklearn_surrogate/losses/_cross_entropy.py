"""Cross-entropy, the baseline every surrogate is compared with."""

import torch
import torch.nn.functional as F

from ._base import SurrogateLoss

__all__ = ["CrossEntropyLoss"]


class CrossEntropyLoss(SurrogateLoss):
    r"""Cross-entropy (log loss) for binary and multiclass problems.

    For a binary problem with positive-class logit :math:`z` and label
    :math:`y \in \{0, 1\}` the per-sample loss is the binary cross-entropy

    .. math:: \ell(z, y) = -y \log \sigma(z) - (1 - y) \log(1 - \sigma(z)),

    computed from the logit (``softplus`` form), so it stays finite for any
    logit. For ``K`` classes it is :math:`-\log \operatorname{softmax}(z)_y`.

    The batch loss is the weighted mean
    :math:`\sum_i c_{y_i} w_i \ell_i / \sum_i c_{y_i} w_i`, where :math:`w_i`
    are the sample weights and :math:`c_k` the class weights.

    Parameters
    ----------
    class_weight : sequence of float or None, default=None
        One weight per class (index order). None weighs classes equally. The
        estimator's own ``class_weight`` parameter, which turns class weights
        into sample weights, works with every loss; this one is specific to
        cross-entropy.

    Notes
    -----
    Cross-entropy targets no particular metric (:attr:`target_metric` is
    None): a classifier trained with it is scored on accuracy.
    """

    target_metric = None
    supports_multiclass = True
    needs_both_classes = False

    def __init__(self, class_weight=None):
        super().__init__()
        self.class_weight = class_weight

    def forward(self, logits, targets, sample_weight=None):
        logits, targets, sample_weight = self._check_inputs(logits, targets, sample_weight)
        if logits.ndim == 1:
            values = F.binary_cross_entropy_with_logits(logits, targets.to(logits.dtype), reduction="none")
        else:
            values = F.cross_entropy(logits, targets, reduction="none")
        if self.class_weight is not None:
            n_classes = 2 if logits.ndim == 1 else logits.shape[1]
            class_weight = torch.as_tensor(self.class_weight, dtype=logits.dtype, device=logits.device)
            if class_weight.shape != (n_classes,):
                raise ValueError(
                    f"CrossEntropyLoss: class_weight has {class_weight.numel()} entries, expected one per class "
                    f"({n_classes})."
                )
            per_sample = class_weight[targets]
            sample_weight = per_sample if sample_weight is None else per_sample * sample_weight
        return self._weighted_mean(values, sample_weight)
