"""Metrics a surrogate can be learned for: the built-in ones and a wrapper for user callables.

Each is a function of ``(y, P)``: class indices ``0..K-1`` and class
probabilities ``(n, K)``; higher is better.

Three kinds of name are known:

- :data:`BUILTIN_METRICS`, the metrics of the first learned surrogates,
  which take no options;
- :data:`SCORER_METRICS`, the other metrics of the scorer's table (the top of
  the ranking, costs, F-beta, G-mean, average precision), scored by
  :func:`~sklearn_surrogate.make_surrogate_scorer` with the options given as
  ``metric_params`` (``{"min_precision": 0.8}``, ``{"cost_matrix": ...}``);
  a cost is negated, as the scorer reports it, so that higher is better;
- any callable, to which ``metric_params`` are passed as keyword arguments.
"""

from collections.abc import Iterable
from numbers import Integral

import numpy as np

from .._metric_table import METRIC_TABLE
from .._scorer import _METRIC_OPTIONS as _SCORER_OPTIONS, make_surrogate_scorer

__all__ = ["BUILTIN_METRICS", "LABEL_METRICS", "SCORER_METRICS", "metric_kinds", "resolve_metric"]


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


#: the metric table's options a learned metric can take (``metric_params``): the scorer's operating-region and cost
#: options, and F-beta's beta; the scorer validates their values
_OPTIONS = ("beta", *_SCORER_OPTIONS)

SCORER_METRICS = tuple(name for name in METRIC_TABLE if name not in BUILTIN_METRICS)
"""tuple: the other metrics of :func:`~sklearn_surrogate.make_surrogate_scorer`, learned through their scorer.

Their options (``max_fpr``, ``min_precision``, ``k``, ``cost_matrix``,
``beta``, ``standardize``) come as ``metric_params``; the metrics of the top
of the ranking (``partial_auc``, ``tpr_at_fpr``, ``recall_at_precision``,
``precision_at_k``) are for binary problems only.

Examples
--------
>>> from sklearn_surrogate.learned._metrics import SCORER_METRICS
>>> "recall_at_precision" in SCORER_METRICS, "f1" in SCORER_METRICS
(True, False)
"""

#: the metrics of arg-max predictions (flat wherever the arg-max does not change)
LABEL_METRICS = frozenset({"f1", "balanced_accuracy", "accuracy", "mcc", "macro_f1"}
                          | {name for name in SCORER_METRICS if METRIC_TABLE[name].response == "label"})


def metric_kinds(name):
    """``(binary, multiclass)``: whether the learned metric ``name`` is defined for 2 classes, for 3 or more.

    Parameters
    ----------
    name : str
        A key of :data:`BUILTIN_METRICS` or an entry of :data:`SCORER_METRICS`.

    Returns
    -------
    binary, multiclass : bool

    Examples
    --------
    >>> from sklearn_surrogate.learned._metrics import metric_kinds
    >>> metric_kinds("macro_f1"), metric_kinds("recall_at_precision"), metric_kinds("expected_cost")
    ((False, True), (True, False), (True, True))
    """
    if name in BUILTIN_METRICS:
        return BUILTIN_METRICS[name][1:]
    entry = METRIC_TABLE[name]
    return True, entry.response == "label" or entry.multiclass is not None


def _plain(value):
    """``value`` as plain JSON types (an array of costs becomes nested lists, numpy scalars Python numbers)."""
    if isinstance(value, np.ndarray) or (isinstance(value, (list, tuple)) and np.ndim(value) > 0):
        return np.asarray(value, dtype=np.float64).tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _scorer_metric(name, params, class_counts):
    """``(evaluate, params)`` for an entry of :data:`SCORER_METRICS`, its options checked by the scorer."""
    allowed = [key for key in _OPTIONS if key in METRIC_TABLE[name].options]
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise ValueError(
            f"metric_params {unknown} are not options of the metric {name!r}; its options are "
            f"{allowed if allowed else 'none'}."
        )
    missing = [key for key in allowed if _SCORER_OPTIONS.get(key, (None, False))[1] and key not in params]
    if missing:
        raise ValueError(f"The metric {name!r} needs metric_params={{{missing[0]!r}: ...}}: its operating point.")
    params = {key: _plain(value) for key, value in params.items()}
    scorer = make_surrogate_scorer(name, **params)  # a ValueError naming the option when a value is wrong
    if "cost_matrix" in params:
        size = len(params["cost_matrix"])
        if any(k != size for k in class_counts):
            raise ValueError(
                f"metric_params['cost_matrix'] is {size} x {size}, but the surrogate is learned for n_classes="
                f"{list(class_counts)}: give one K x K matrix and learn for K classes only."
            )
    elif "cost_matrix" in allowed:
        raise ValueError(f"The metric {name!r} needs metric_params={{'cost_matrix': ...}} (per-row costs cannot "
                         "be drawn with the prediction sets).")

    def evaluate(y, P):
        return scorer.score_proba(y, P, np.arange(P.shape[1]))

    return evaluate, params


def _user_metric(metric, response, params):
    """Wrap ``metric(y_true, y_pred_or_score, **params)`` as a function of (y indices, probabilities)."""

    def evaluate(y, P):
        if response == "predict":
            return metric(y, P.argmax(1), **params)
        return metric(y, P[:, 1] if P.shape[1] == 2 else P, **params)

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


def resolve_metric(metric, n_classes, response="predict", metric_params=None):
    """Validate a metric specification and the class counts it is learned for.

    Parameters
    ----------
    metric : str or callable
        A key of :data:`BUILTIN_METRICS`, an entry of
        :data:`SCORER_METRICS`, or ``metric(y_true, y_pred_or_score,
        **metric_params)``.
    n_classes : int or sequence of int
        Class count(s) of the prediction sets.
    response : {"predict", "proba"}, default="predict"
        What a callable receives (see :func:`learn_surrogate`).
    metric_params : dict or None, default=None
        The options of a :data:`SCORER_METRICS` metric, or keyword arguments
        of a callable; the metrics of :data:`BUILTIN_METRICS` take none.

    Returns
    -------
    evaluate : callable
        ``evaluate(y, P)`` -> float.
    name : str
        The metric's name (a callable's ``__name__``).
    class_counts : tuple of int
    metric_params : dict
        The options as plain JSON types (an array of costs as nested lists).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_surrogate.learned._metrics import resolve_metric
    >>> evaluate, name, counts, params = resolve_metric("recall_at_precision", 2, metric_params={"min_precision": 0.6})
    >>> P = np.array([[0.1, 0.9], [0.2, 0.8], [0.3, 0.7], [0.4, 0.6], [0.5, 0.5], [0.9, 0.1]])
    >>> evaluate(np.array([0, 1, 1, 0, 1, 0]), P), counts, params
    (1.0, (2,), {'min_precision': 0.6})
    """
    counts = _class_counts(n_classes)
    if 2 in counts and len(counts) > 1:
        raise ValueError(
            f"n_classes mixes binary and multiclass problems ({counts}); learn separate surrogates for them."
        )
    if metric_params is None:
        metric_params = {}
    if not isinstance(metric_params, dict) or not all(isinstance(key, str) for key in metric_params):
        raise TypeError(f"metric_params must be a dict with str keys or None, got {metric_params!r}.")
    if isinstance(metric, str):
        if metric not in BUILTIN_METRICS and metric not in SCORER_METRICS:
            raise ValueError(
                f"Unknown metric {metric!r}; built-in metrics are {sorted([*BUILTIN_METRICS, *SCORER_METRICS])}, or "
                "pass a callable."
            )
        binary_ok, multi_ok = metric_kinds(metric)
        if (counts == (2,) and not binary_ok) or (counts != (2,) and not multi_ok):
            raise ValueError(f"Metric {metric!r} is not defined for n_classes={n_classes!r}.")
        if metric in BUILTIN_METRICS:
            if metric_params:
                raise ValueError(f"The metric {metric!r} takes no metric_params, got {sorted(metric_params)}.")
            return BUILTIN_METRICS[metric][0], metric, counts, {}
        evaluate, params = _scorer_metric(metric, metric_params, counts)
        return evaluate, metric, counts, params
    if callable(metric):
        if response not in ("predict", "proba"):
            raise ValueError(f"response must be 'predict' or 'proba', got {response!r}.")
        name = getattr(metric, "__name__", type(metric).__name__)
        return _user_metric(metric, response, dict(metric_params)), name, counts, dict(metric_params)
    raise TypeError(f"metric must be a metric name or a callable, got {type(metric).__name__}.")
