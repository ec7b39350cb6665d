"""Surrogate losses: pure-torch modules called as ``loss(logits, targets, sample_weight=None)``.

See :class:`SurrogateLoss` for the contract, :func:`get_loss_names` for what is
registered.
"""

from ._auc import AUCSquareLoss
from ._base import SurrogateLoss
from ._confusion import AccuracyLoss, BalancedAccuracyLoss, FBetaLoss, GMeanLoss, MCCLoss
from ._cross_entropy import CrossEntropyLoss
from ._registry import get_loss, get_loss_names, register_loss

__all__ = [
    "AUCSquareLoss",
    "AccuracyLoss",
    "BalancedAccuracyLoss",
    "CrossEntropyLoss",
    "FBetaLoss",
    "GMeanLoss",
    "MCCLoss",
    "SurrogateLoss",
    "get_loss",
    "get_loss_names",
    "register_loss",
]

register_loss("cross_entropy", CrossEntropyLoss)
register_loss("f1", FBetaLoss, beta=1.0)
register_loss("fbeta", FBetaLoss)
register_loss("accuracy", AccuracyLoss)
register_loss("balanced_accuracy", BalancedAccuracyLoss)
register_loss("gmean", GMeanLoss)
register_loss("mcc", MCCLoss)
register_loss("auc_square", AUCSquareLoss)
