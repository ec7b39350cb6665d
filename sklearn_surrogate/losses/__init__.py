"""Surrogate losses: pure-torch modules called as ``loss(logits, targets, sample_weight=None)``.

See :class:`SurrogateLoss` for the contract and :func:`get_loss_names` for
what is registered. One module per family:

* ``_cross_entropy``: cross-entropy, comp-sum (GCE, MAE), focal, Z-loss;
* ``_confusion``: AnyLoss confusion-matrix surrogates (F-beta, accuracy,
  balanced accuracy, G-mean, MCC);
* ``_auc``: pairwise AUC surrogates and the AUC-margin loss;
* ``_ldr``: label-distributionally-robust LDR-KL and adaptive ALDR-KL;
* ``_ensloss``: EnsLoss, stochastic calibrated loss ensembles.
"""

from ._auc import AUCExponentialLoss, AUCLogisticLoss, AUCMarginLoss, AUCSquaredHingeLoss, AUCSquareLoss
from ._base import SurrogateLoss
from ._confusion import AccuracyLoss, BalancedAccuracyLoss, FBetaLoss, GMeanLoss, MCCLoss
from ._ensloss import EnsLoss
from ._ldr import ALDRKLLoss, LDRKLLoss
from ._cross_entropy import CompSumLoss, CrossEntropyLoss, FocalLoss, GeneralizedCrossEntropyLoss, MAELoss, ZLoss
from ._registry import get_loss, get_loss_names, register_loss

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
    "BalancedAccuracyLoss",
    "CompSumLoss",
    "CrossEntropyLoss",
    "FBetaLoss",
    "FocalLoss",
    "GMeanLoss",
    "GeneralizedCrossEntropyLoss",
    "MAELoss",
    "MCCLoss",
    "SurrogateLoss",
    "ZLoss",
    "get_loss",
    "get_loss_names",
    "register_loss",
]

# cross-entropy and relatives
register_loss("cross_entropy", CrossEntropyLoss)
register_loss("comp_sum", CompSumLoss)
register_loss("gce", GeneralizedCrossEntropyLoss)
register_loss("mae", MAELoss)
register_loss("focal", FocalLoss)
register_loss("zloss", ZLoss)
# confusion-matrix surrogates (AnyLoss)
register_loss("f1", FBetaLoss, beta=1.0)
register_loss("fbeta", FBetaLoss)
register_loss("accuracy", AccuracyLoss)
register_loss("balanced_accuracy", BalancedAccuracyLoss)
register_loss("gmean", GMeanLoss)
register_loss("mcc", MCCLoss)
# AUC surrogates
register_loss("auc_square", AUCSquareLoss)
register_loss("auc_squared_hinge", AUCSquaredHingeLoss)
register_loss("auc_logistic", AUCLogisticLoss)
register_loss("auc_exp", AUCExponentialLoss)
register_loss("auc_margin", AUCMarginLoss)
# label-distributionally robust
register_loss("ldr_kl", LDRKLLoss)
register_loss("aldr_kl", ALDRKLLoss)
# stochastic loss ensembles
register_loss("ensloss", EnsLoss)
# learned relational surrogates (ReLoss): loss="reloss", loss__metric="f1" uses the shipped F1 surrogate
from ..learned._reloss import ReLoss  # noqa: E402  (learned builds on this package's base class)

register_loss("reloss", ReLoss)
