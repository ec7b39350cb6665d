"""Metrics a surrogate can be learned for: the built-in ones and a wrapper for user callables.

Each is a function of ``(y, P)``: class indices ``0..K-1`` and class
probabilities ``(n, K)``; higher is better.
"""

from collections.abc import Iterable
from numbers import Integral

import numpy as np

from .._metric_table import METRIC_TABLE

__all__ = ["BUILTIN_METRICS", "LABEL_METRICS", "resolve_metric"]


def _on_labels(name, **options):
    """The table's label metric ``name`` on the arg-max predictions of ``P``."""
    entry = METRIC_TABLE[name]

    def evaluate(y, P):
        return entry.score(y, P.argmax(1), **options)

    return evaluate


def _macro_f1(y, P):
    return METRIC_TABLE["f1"].score(y, P.argmax(1), average="macro", labels=np.arange(P.shape[1]))


def _roc_auc(y, P):
    entry = METRIC_TABLE["roc_auc"]
    return entry.score(y, P[:, 1]) if P.shape[1] == 2 else entry.score_multiclass(y, P)


# name -> (function of (y indices, probabilities), binary?, multiclass?)
BUILTIN_METRICS = {
    "f1": (_on_labels("f1"), True, False),
    "roc_auc": (_roc_auc, True, True),
    "balanced_accuracy": (_on_labels("balanced_accuracy"), True, True),
    "accuracy": (_on_labels("accuracy"), True, True),
    "mcc": (_on_labels("mcc"), True, True),
    "macro_f1": (_macro_f1, False, True),
}
"""dict: the metrics :func:`learn_surrogate` knows by name.

Maps each name to ``(evaluate, binary, multiclass)``: ``evaluate(y, P)``
scores class indices ``y`` of shape ``(n,)`` against class probabilities
``P`` of shape ``(n, K)`` (higher is better), and the two booleans say
whether the metric is defined for binary problems and for problems of three
or more classes. ``"f1"`` is the positive class's F1 (binary only),
``"macro_f1"`` the unweighted mean of the per-class F1 (multiclass only),
``"roc_auc"`` one-vs-rest for multiclass problems; the others are
scikit-learn's balanced accuracy, accuracy and Matthews correlation
coefficient of the arg-max predictions.

Examples
--------
>>> import numpy as np
>>> from sklearn_surrogate.learned._metrics import BUILTIN_METRICS
>>> sorted(BUILTIN_METRICS)
['accuracy', 'balanced_accuracy', 'f1', 'macro_f1', 'mcc', 'roc_auc']
>>> evaluate, binary, multiclass = BUILTIN_METRICS["f1"]
>>> binary, multiclass
(True, False)
>>> P = np.array([[0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
>>> round(float(evaluate(np.array([0, 1, 1]), P)), 4)
0.6667
"""


#: the built-in metrics of arg-max predictions (flat wherever the arg-max does not change)
LABEL_METRICS = frozenset({"f1", "balanced_accuracy", "accuracy", "mcc", "macro_f1"})


def _user_metric(metric, response):
    """Wrap ``metric(y_true, y_pred_or_score)`` as a function of (y indices, probabilities)."""

    def evaluate(y, P):
        if response == "predict":
            return metric(y, P.argmax(1))
        return metric(y, P[:, 1] if P.shape[1] == 2 else P)

    return evaluate


def _is_count(k):
    return isinstance(k, Integral) and not isinstance(k, (bool, np.bool_)) and k >= 2


def _class_counts(n_classes):
    """``n_classes`` (an int >= 2 or a non-empty sequence of them) as a sorted tuple of distinct ints; no coercion."""
    if _is_count(n_classes):
        counts = (n_classes,)
    elif isinstance(n_classes, (str, bytes)) or not isinstance(n_classes, Iterable):
        counts = ()
    else:
        counts = tuple(n_classes)
    if not counts or not all(_is_count(k) for k in counts):
        raise ValueError(
            "The 'n_classes' parameter of learn_surrogate must be an int in the range [2, inf) or a non-empty "
            f"sequence of them. Got {n_classes!r} instead."
        )
    return tuple(sorted({int(k) for k in counts}))


def resolve_metric(metric, n_classes, response="predict"):
    """Validate a metric specification and the class counts it is learned for.

    Parameters
    ----------
    metric : str or callable
        A key of :data:`BUILTIN_METRICS` or ``metric(y_true, y_pred_or_score)``.
    n_classes : int or sequence of int
        Class count(s) of the prediction sets.
    response : {"predict", "proba"}, default="predict"
        What a callable receives (see :func:`learn_surrogate`).

    Returns
    -------
    evaluate : callable
        ``evaluate(y, P)`` -> float.
    name : str
        The metric's name (a callable's ``__name__``).
    class_counts : tuple of int
    """
    counts = _class_counts(n_classes)
    if 2 in counts and len(counts) > 1:
        raise ValueError(
            f"n_classes mixes binary and multiclass problems ({counts}); learn separate surrogates for them."
        )
    if isinstance(metric, str):
        if metric not in BUILTIN_METRICS:
            raise ValueError(
                f"Unknown metric {metric!r}; built-in metrics are {sorted(BUILTIN_METRICS)}, or pass a callable."
            )
        evaluate, binary_ok, multi_ok = BUILTIN_METRICS[metric]
        if (counts == (2,) and not binary_ok) or (counts != (2,) and not multi_ok):
            raise ValueError(f"Metric {metric!r} is not defined for n_classes={n_classes!r}.")
        return evaluate, metric, counts
    if callable(metric):
        if response not in ("predict", "proba"):
            raise ValueError(f"response must be 'predict' or 'proba', got {response!r}.")
        return _user_metric(metric, response), getattr(metric, "__name__", type(metric).__name__), counts
    raise TypeError(f"metric must be a metric name or a callable, got {type(metric).__name__}.")


