"""Learned relational surrogates (ReLoss): networks trained to rank models as a metric does.

* :class:`ReLoss` is the loss (registered as ``loss="reloss"``): a frozen
  surrogate network, the shipped one for ``metric`` or one you learned.
* :func:`learn_surrogate` learns a surrogate for a built-in metric or any
  callable ``metric(y_true, y_pred_or_score)``.
* :class:`SetSurrogate` (batch-level, ours) and :class:`PerSampleSurrogate`
  (the ReLoss paper's) are the two architectures.
* :func:`save_surrogate` / :func:`load_surrogate` store surrogates as
  safetensors files (no pickle); :func:`shipped_surrogates` lists the shipped
  ones, trained by :func:`train_shipped_surrogates`.

Importing this package registers ``loss="reloss"`` and, for each shipped
metric, ``loss="reloss_<metric>"`` (``reloss`` with that ``metric``). The
loss registry imports it on its first look-up, so users never need to.
"""

from ..losses._registry import _register, register_variant
from ._io import SHIPPED_METRICS, save_surrogate, shipped_surrogates
from ._learn import learn_surrogate
from ._metrics import BUILTIN_METRICS
from ._networks import PerSampleSurrogate, SetSurrogate, build_surrogate
from ._prediction_sets import draw_model_sets, fit_model_zoo, make_prediction_sets
from ._reloss import ReLoss, load_surrogate
from ._shipped import train_shipped_surrogates
from ._spearman import hard_rank, soft_rank, soft_spearman, spearman

__all__ = [
    "BUILTIN_METRICS",
    "PerSampleSurrogate",
    "ReLoss",
    "SetSurrogate",
    "build_surrogate",
    "draw_model_sets",
    "fit_model_zoo",
    "hard_rank",
    "learn_surrogate",
    "load_surrogate",
    "make_prediction_sets",
    "save_surrogate",
    "shipped_surrogates",
    "soft_rank",
    "soft_spearman",
    "spearman",
    "train_shipped_surrogates",
]

# registered here, not in sklearn_surrogate.losses, so that importing the losses does not load this package
_register("reloss", ReLoss, {})
for _metric in SHIPPED_METRICS:
    register_variant(f"reloss_{_metric}", "reloss", metric=_metric)
del _metric
