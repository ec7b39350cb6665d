"""Learned relational surrogates (ReLoss): networks trained to rank models as a metric does.

Work in progress (issue 4): the set-level and per-sample architectures, the
differentiable Spearman objective, ``learn_surrogate`` for built-in and user
metrics, and the ``ReLoss`` loss. Shipped pre-trained surrogates and their
registration as ``loss="reloss"`` come next.
"""

from ._learn import BUILTIN_METRICS, learn_surrogate, make_prediction_sets
from ._networks import PerSampleSurrogate, SetSurrogate, build_surrogate
from ._reloss import ReLoss
from ._spearman import hard_rank, soft_rank, soft_spearman, spearman

__all__ = [
    "BUILTIN_METRICS",
    "PerSampleSurrogate",
    "ReLoss",
    "SetSurrogate",
    "build_surrogate",
    "hard_rank",
    "learn_surrogate",
    "make_prediction_sets",
    "soft_rank",
    "soft_spearman",
    "spearman",
]
