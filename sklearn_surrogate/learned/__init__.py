"""Learned relational surrogates (ReLoss): networks trained to rank models as a metric does.

* :class:`ReLoss` is the loss (registered as ``loss="reloss"``): a frozen
  surrogate network, the shipped one for ``metric`` or one you learned.
* :func:`learn_surrogate` learns a surrogate for a built-in metric or any
  callable ``metric(y_true, y_pred_or_score)``.
* :func:`save_surrogate` / :func:`load_surrogate` store surrogates as
  safetensors files (no pickle); :func:`shipped_surrogates` lists the shipped
  ones.

The research machinery behind them stays in private modules, importable
from there: the networks (``_networks``: ``SetSurrogate``, batch-level,
ours, and ``PerSampleSurrogate``, the ReLoss paper's), the prediction sets
(``_prediction_sets``), the soft ranks and Spearman correlations
(``_spearman``), the metric table (``_metrics``) and the recipe that trains
the shipped surrogates (``_shipped``).

Importing this package registers ``loss="reloss"`` and, for each shipped
metric, ``loss="reloss_<metric>"`` (``reloss`` with that ``metric``). The
loss registry imports it on its first look-up, so users never need to.
"""

from ..losses._registry import _register, register_variant
from ._io import SHIPPED_METRICS, save_surrogate, shipped_surrogates
from ._learn import learn_surrogate
from ._reloss import ReLoss, load_surrogate

__all__ = [
    "ReLoss",
    "learn_surrogate",
    "load_surrogate",
    "save_surrogate",
    "shipped_surrogates",
]

# registered here, not in sklearn_surrogate.losses, so that importing the losses does not load this package
_register("reloss", ReLoss, {})
for _metric in SHIPPED_METRICS:
    register_variant(f"reloss_{_metric}", "reloss", metric=_metric)
del _metric
