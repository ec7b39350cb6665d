"""Surrogate losses: pure-torch modules called as ``loss(logits, targets, sample_weight=None)``.

See :class:`SurrogateLoss` for the contract and :func:`get_loss_names` for
what is registered. One module per family:

* ``_cross_entropy``: cross-entropy, comp-sum (GCE, MAE), focal, Z-loss;
* ``_confusion``: AnyLoss confusion-matrix surrogates (F-beta, accuracy,
  balanced accuracy, G-mean, MCC);
* ``_auc``: pairwise AUC surrogates and the AUC-margin loss;
* ``_ranking``: surrogates of the top of the ranking (one- and two-way
  partial AUC, average precision, precision at k, TPR at FPR);
* ``_cost``: the cost-sensitive loss (a cost matrix or per-example costs);
* ``_ldr``: label-distributionally-robust LDR-KL and adaptive ALDR-KL;
* ``_ensloss``: EnsLoss, stochastic calibrated loss ensembles;
* ``_foreign``: the adapter for plain torch losses;
* ``_registry``: the names, and :func:`resolve_loss`, which turns an
  estimator's ``loss`` parameter into a ready loss.

The learned surrogates (``reloss``, ``reloss_<metric>``) register from
:mod:`sklearn_surrogate.learned`, which the registry imports on its first
look-up (not when this package is imported).
"""

from ._auc import AUCExponentialLoss, AUCLogisticLoss, AUCMarginLoss, AUCSquaredHingeLoss, AUCSquareLoss
from ._base import SurrogateLoss
from ._cost import CostSensitiveLoss
from ._confusion import AccuracyLoss, BalancedAccuracyLoss, FBetaLoss, GMeanLoss, MCCLoss
from ._ensloss import EnsLoss
from ._ldr import ALDRKLLoss, LDRKLLoss
from ._cross_entropy import CompSumLoss, CrossEntropyLoss, FocalLoss, GeneralizedCrossEntropyLoss, MAELoss, ZLoss
from ._ranking import (
    AveragePrecisionLoss,
    NeymanPearsonLoss,
    PartialAUCCVaRLoss,
    PartialAUCKLLoss,
    PrecisionAtKLoss,
    TwoWayPartialAUCLoss,
)
from ._registry import _register, get_loss, get_loss_names, register_loss, resolve_loss
from ._registry import register_variant as _register_variant

__all__ = [
    "ALDRKLLoss",
    "EnsLoss",
    "LDRKLLoss",
    "AUCExponentialLoss",
    "AUCLogisticLoss",
    "AUCMarginLoss",
    "AUCSquareLoss",
    "AUCSquaredHingeLoss",
    "AccuracyLoss",
    "AveragePrecisionLoss",
    "BalancedAccuracyLoss",
    "CompSumLoss",
    "CostSensitiveLoss",
    "CrossEntropyLoss",
    "FBetaLoss",
    "FocalLoss",
    "GMeanLoss",
    "GeneralizedCrossEntropyLoss",
    "MAELoss",
    "MCCLoss",
    "NeymanPearsonLoss",
    "PartialAUCCVaRLoss",
    "PartialAUCKLLoss",
    "PrecisionAtKLoss",
    "TwoWayPartialAUCLoss",
    "SurrogateLoss",
    "ZLoss",
    "get_loss",
    "get_loss_names",
    "register_loss",
    "resolve_loss",
]

_BUILT_IN = [
    # cross-entropy and relatives
    ("cross_entropy", CrossEntropyLoss, {}),
    ("comp_sum", CompSumLoss, {}),
    ("gce", GeneralizedCrossEntropyLoss, {}),
    ("mae", MAELoss, {}),
    ("focal", FocalLoss, {}),
    ("zloss", ZLoss, {}),
    # confusion-matrix surrogates (AnyLoss)
    ("f1", FBetaLoss, {"beta": 1.0}),
    ("fbeta", FBetaLoss, {}),
    ("accuracy", AccuracyLoss, {}),
    ("balanced_accuracy", BalancedAccuracyLoss, {}),
    ("gmean", GMeanLoss, {}),
    ("mcc", MCCLoss, {}),
    # AUC surrogates
    ("auc_square", AUCSquareLoss, {}),
    ("auc_squared_hinge", AUCSquaredHingeLoss, {}),
    ("auc_logistic", AUCLogisticLoss, {}),
    ("auc_exp", AUCExponentialLoss, {}),
    ("auc_margin", AUCMarginLoss, {}),
    # the top of the ranking
    ("pauc_cvar", PartialAUCCVaRLoss, {}),
    ("pauc_kl", PartialAUCKLLoss, {}),
    ("pauc_two_way", TwoWayPartialAUCLoss, {}),
    ("soap", AveragePrecisionLoss, {}),
    ("precision_at_k", PrecisionAtKLoss, {}),
    ("np_tpr_at_fpr", NeymanPearsonLoss, {}),
    # costs
    ("cost_sensitive", CostSensitiveLoss, {}),
    # label-distributionally robust
    ("ldr_kl", LDRKLLoss, {}),
    ("aldr_kl", ALDRKLLoss, {}),
    # stochastic loss ensembles
    ("ensloss", EnsLoss, {}),
]
# registered without loading the plugins (register_loss would import sklearn_surrogate.learned)
for _name, _cls, _defaults in _BUILT_IN:
    _register(_name, _cls, _defaults)
del _name, _cls, _defaults
# each top-of-the-ranking loss plus a cross-entropy term of weight 1 (``ce_weight``): alone these losses lose to
# cross-entropy on the shared benchmark, with the term they match or beat it (docs: "The top of the ranking, and
# costs", "Adding cross-entropy")
for _name in ("pauc_cvar", "pauc_kl", "pauc_two_way", "soap", "precision_at_k", "np_tpr_at_fpr"):
    _register_variant(f"{_name}_ce", _name, ce_weight=1.0)
del _name
