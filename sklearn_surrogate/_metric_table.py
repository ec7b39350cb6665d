"""The metric table: one entry per built-in metric, read by every part of the package.

The scorer (:func:`~sklearn_surrogate.make_surrogate_scorer`), the demo, the
benchmark's ``score_predictions`` and the learned surrogates'
``BUILTIN_METRICS`` all take their metrics from :data:`METRIC_TABLE`. An
entry says

- which function computes the metric exactly (a :mod:`sklearn.metrics`
  function where one exists) and with which fixed keyword arguments;
- which response it needs: predicted labels (``"label"``) or continuous
  scores (``"score"``);
- which of the options ``average``, ``pos_label``, ``labels``, ``beta``,
  ``classes`` and ``multi_class`` its function takes (the others are not
  passed), and how scores of multiclass problems reach it;
- whether it is defined on multilabel-indicator targets;
- its smooth form, a function of the expected confusion matrix, when it has
  one;
- for a score metric that a decision threshold can serve (``tpr_at_fpr``,
  ``recall_at_precision``), its thresholded form, for
  :class:`~sklearn.model_selection.TunedThresholdClassifierCV`;
- the surrogate loss that trains for it (or None while there is none), and
  which scorer parameters become which of the loss's.

Adding a metric
---------------
A contributor adds one :class:`MetricEntry` to :data:`METRIC_TABLE` below
(and, when its function is not in :mod:`sklearn.metrics`, that function and,
optionally, its smooth form in this module), then its tests: a
``tests/test_scorer.py`` case comparing the scorer with the exact function,
and, with a ``smooth`` form, one comparing it with the function of the
expected confusion matrix. The scorer, :func:`~sklearn_surrogate.get_metric_names`
and the scorer's ``surrogate_loss`` pick the entry up with no other edit.
The loss it names must be registered (``sklearn_surrogate.losses``); an
entry without a loss yet says ``loss=None``, and its scorer's
``surrogate_loss`` then refuses with a clear error.
"""

from dataclasses import dataclass, field
from typing import Callable, Mapping, Optional

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    balanced_accuracy_score,
    f1_score,
    fbeta_score,
    matthews_corrcoef,
    recall_score,
    roc_auc_score,
)
from sklearn.preprocessing import label_binarize

from ._operating_metrics import (
    expected_cost_score,
    expected_profit_score,
    partial_auc_score,
    precision_at_k_score,
    recall_at_precision_score,
    thresholded_recall_at_precision,
    thresholded_tpr_at_fpr,
    tpr_at_fpr_score,
)

__all__ = ["METRIC_TABLE", "MetricEntry", "expected_confusion_matrix"]

_OPTIONS = frozenset({
    "average", "pos_label", "labels", "beta", "classes", "multi_class",
    # the operating-region and cost metrics (_operating_metrics.py)
    "max_fpr", "standardize", "min_precision", "k", "cost_matrix", "costs",
})


# ---------------------------------------------------------------------------
# Exact metrics that scikit-learn does not define
# ---------------------------------------------------------------------------
def gmean_score(y_true, y_pred, *, classes, sample_weight=None):
    """Geometric mean of the per-class recalls (sqrt(TPR * TNR) when binary), over the classes in ``y_true``."""
    present = [c for c in classes if np.any(y_true == c)]
    recalls = recall_score(
        y_true, y_pred, labels=present, average=None, sample_weight=sample_weight, zero_division=0.0
    )
    return float(np.prod(recalls) ** (1.0 / len(recalls))) if len(recalls) else 0.0


# ---------------------------------------------------------------------------
# Smooth forms: metrics of an expected confusion matrix
# ---------------------------------------------------------------------------
def expected_confusion_matrix(y_true_idx, proba, sample_weight=None):
    """Expected confusion matrix of a probabilistic classifier.

    ``C[i, j] = sum_n w_n [y_n = i] proba[n, j]``: the confusion matrix one
    would observe, on average, by drawing each prediction from the predicted
    distribution.

    Parameters
    ----------
    y_true_idx : ndarray of int, shape (n,)
        True class indices.
    proba : ndarray of shape (n, K)
        Predicted class probabilities.
    sample_weight : ndarray of shape (n,), default=None

    Returns
    -------
    C : ndarray of shape (K, K)

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_surrogate._metric_table import expected_confusion_matrix
    >>> expected_confusion_matrix(np.array([0, 1]), np.array([[0.75, 0.25], [0.5, 0.5]]))
    array([[0.75, 0.25],
           [0.5 , 0.5 ]])
    """
    proba = np.asarray(proba, dtype=np.float64)
    w = np.ones(len(y_true_idx)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    onehot = np.zeros_like(proba)
    onehot[np.arange(len(y_true_idx)), y_true_idx] = 1.0
    return (onehot * w[:, None]).T @ proba


def _safe_divide(num, den):
    num, den = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    out = np.zeros(np.broadcast(num, den).shape)
    np.divide(num, den, out=out, where=den > 0)
    return out


def _smooth_accuracy(C, **_):
    return float(_safe_divide(np.diag(C).sum(), C.sum()))


def _recalls(C):
    support = C.sum(axis=1)
    return _safe_divide(np.diag(C), support)[support > 0]


def _smooth_balanced_accuracy(C, **_):
    recalls = _recalls(C)
    return float(recalls.mean()) if recalls.size else 0.0


def _smooth_gmean(C, **_):
    recalls = _recalls(C)
    return float(np.prod(recalls) ** (1.0 / recalls.size)) if recalls.size else 0.0


def _smooth_mcc(C, **_):
    total, support, predicted = C.sum(), C.sum(axis=1), C.sum(axis=0)
    num = np.diag(C).sum() * total - support @ predicted
    den = np.sqrt((total**2 - predicted @ predicted) * (total**2 - support @ support))
    return float(_safe_divide(num, den))


def _smooth_fbeta(C, *, average, pos_index, beta, **_):
    tp, support = np.diag(C), C.sum(axis=1)
    fn, fp = support - tp, C.sum(axis=0) - tp
    b2 = beta**2

    def fb(tp_, fp_, fn_):
        return _safe_divide((1 + b2) * tp_, (1 + b2) * tp_ + b2 * fn_ + fp_)

    if average == "binary":
        return float(fb(tp[pos_index], fp[pos_index], fn[pos_index]))
    if average == "micro":
        return float(fb(tp.sum(), fp.sum(), fn.sum()))
    scores = fb(tp, fp, fn)
    if average == "macro":
        return float(scores.mean())
    return float(_safe_divide((scores * support).sum(), support.sum()))


def _smooth_f1(C, *, average, pos_index, **_):
    return _smooth_fbeta(C, average=average, pos_index=pos_index, beta=1.0)


# ---------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class MetricEntry:
    """One built-in metric: how to compute it exactly, smoothly, and which loss trains for it.

    Parameters
    ----------
    func : callable
        The exact metric, ``func(y_true, y_pred_or_score, **kwargs)``.
    response : {"label", "score"}
        What ``func`` scores: predicted labels or continuous scores.
    kwargs : mapping, default={}
        Fixed keyword arguments of ``func`` (``zero_division=0.0`` for F1).
    options : frozenset of str, default=frozenset()
        The options of :meth:`score` that ``func`` takes: ``"average"``,
        ``"pos_label"``, ``"labels"`` (the labels averaged over),
        ``"beta"``, ``"classes"`` (all the classifier's classes) and
        ``"multi_class"``; for the operating-region and cost metrics
        ``"max_fpr"``, ``"standardize"``, ``"min_precision"``, ``"k"``,
        ``"cost_matrix"`` and ``"costs"`` (per-row costs, metadata).
        Options outside this set are not passed.
    multiclass : {"ovr", "indicator"} or None, default=None
        For score metrics, how multiclass scores reach ``func`` in
        :meth:`score_multiclass`: the class labels with ``multi_class="ovr"``
        (scores must then be probabilities), or a binarized indicator target.
    multiclass_averages : tuple of str or None, default=None
        The averages ``func`` accepts on multiclass scores (None: all).
    multilabel : bool, default=False
        Whether the metric is defined on multilabel-indicator targets.
    smooth : callable or None, default=None
        ``smooth(C, average=..., pos_index=..., beta=...)``: the metric of a
        (possibly expected) confusion matrix ``C`` (rows: truth).
    loss : str or None
        Registered name of the surrogate loss that trains for the metric;
        None while the package has none.
    loss_params : mapping, default={"pos_label": "pos_label"}
        Scorer parameter -> loss parameter; values that are None are not
        passed. A pair ``(name, key)`` puts the value under ``key`` of the
        loss's dict parameter ``name`` (a learned surrogate's
        ``metric_params``). Without ``"pos_label"`` here the loss trains for
        the greater label, and a scorer with another ``pos_label`` is refused.
    thresholded : callable or None, default=None
        For a score metric that a decision threshold can serve:
        ``thresholded(y_true01, y_pred01, sample_weight=..., **options)``, its
        value on binary predictions, which a threshold tuner maximises.
    greater_is_better : bool, default=True
        False for a metric that is a cost (``func`` returns the cost; the
        scorer negates it, as scikit-learn's ``neg_*`` scorers do).

    Examples
    --------
    >>> from sklearn_surrogate._metric_table import METRIC_TABLE
    >>> entry = METRIC_TABLE["fbeta"]
    >>> entry.func.__name__, entry.response, entry.loss, dict(entry.loss_params)
    ('fbeta_score', 'label', 'fbeta', {'pos_label': 'pos_label', 'average': 'average', 'beta': 'beta'})
    >>> entry.score([0, 1, 1, 0], [0, 1, 0, 0], beta=2.0, average="binary", pos_label=1)
    0.5555555555555556
    """

    func: Callable
    response: str
    loss: Optional[str]
    kwargs: Mapping = field(default_factory=dict)
    options: frozenset = frozenset()
    multiclass: Optional[str] = None
    multiclass_averages: Optional[tuple] = None
    multilabel: bool = False
    smooth: Optional[Callable] = None
    loss_params: Mapping = field(default_factory=lambda: {"pos_label": "pos_label"})
    thresholded: Optional[Callable] = None
    greater_is_better: bool = True

    def score(self, y_true, y, *, sample_weight=None, **options):
        """The exact metric; ``options`` the function does not take are dropped.

        Parameters
        ----------
        y_true : array-like
            True labels (for binary score metrics, 1 marks the positive class).
        y : array-like
            Predicted labels or scores, as ``response`` says.
        sample_weight : array-like of shape (n,), default=None
        **options
            Values for the names in ``options``.

        Returns
        -------
        value : float
        """
        return self.func(y_true, y, **self._kwargs(sample_weight, options))

    def _kwargs(self, sample_weight, options):
        unknown = set(options) - _OPTIONS
        if unknown:
            raise TypeError(f"Unknown metric options {sorted(unknown)}; known: {sorted(_OPTIONS)}.")
        kwargs = dict(self.kwargs)
        kwargs.update((key, value) for key, value in options.items() if key in self.options)
        if sample_weight is not None:
            kwargs["sample_weight"] = sample_weight
        return kwargs

    def score_thresholded(self, y_true, y_pred, *, sample_weight=None, **options):
        """The thresholded form on binary (0/1) labels and predictions; see ``thresholded``."""
        if self.thresholded is None:
            raise ValueError(f"{self.func.__name__} has no thresholded form.")
        return self.thresholded(y_true, y_pred, **self._kwargs(sample_weight, options))

    def score_multiclass(self, y_true, scores, *, classes=None, average="macro", sample_weight=None):
        """A score metric on multiclass scores of shape ``(n, K)``, one column per class of ``classes``.

        ``classes=None`` lets the function find the classes in ``y_true``
        (``multi_class="ovr"`` only).
        """
        if self.multiclass == "ovr":
            return self.score(
                y_true, scores, multi_class="ovr", average=average, labels=classes, sample_weight=sample_weight
            )
        if self.multiclass == "indicator":
            return self.score(label_binarize(y_true, classes=classes), scores, average=average,
                              sample_weight=sample_weight)
        raise ValueError(f"{self.func.__name__} does not score multiclass scores.")


_F_OPTIONS = frozenset({"average", "pos_label", "labels"})
_COST_OPTIONS = frozenset({"cost_matrix", "costs", "classes", "pos_label"})

METRIC_TABLE = {
    "f1": MetricEntry(
        f1_score, "label", "f1", kwargs={"zero_division": 0.0}, options=_F_OPTIONS, multilabel=True,
        smooth=_smooth_f1, loss_params={"pos_label": "pos_label", "average": "average"},
    ),
    "fbeta": MetricEntry(
        fbeta_score, "label", "fbeta", kwargs={"zero_division": 0.0}, options=_F_OPTIONS | {"beta"},
        multilabel=True, smooth=_smooth_fbeta,
        loss_params={"pos_label": "pos_label", "average": "average", "beta": "beta"},
    ),
    "accuracy": MetricEntry(accuracy_score, "label", "accuracy", multilabel=True, smooth=_smooth_accuracy),
    "balanced_accuracy": MetricEntry(
        balanced_accuracy_score, "label", "balanced_accuracy", smooth=_smooth_balanced_accuracy
    ),
    "mcc": MetricEntry(matthews_corrcoef, "label", "mcc", smooth=_smooth_mcc),
    "gmean": MetricEntry(gmean_score, "label", "gmean", options=frozenset({"classes"}), smooth=_smooth_gmean),
    "roc_auc": MetricEntry(
        roc_auc_score, "score", "auc_square", options=frozenset({"average", "labels", "multi_class"}),
        multiclass="ovr", multiclass_averages=("macro", "weighted"), multilabel=True,
    ),
    "average_precision": MetricEntry(
        average_precision_score, "score", "auc_square", options=frozenset({"average"}), multiclass="indicator",
        multilabel=True,
    ),
    # The top of the ranking, a false-positive budget, and costs (issue 19). Binary only, except the costs.
    "partial_auc": MetricEntry(
        partial_auc_score, "score", "pauc_cvar", options=frozenset({"max_fpr", "standardize"}),
        loss_params={"pos_label": "pos_label", "max_fpr": "max_fpr"},
    ),
    "tpr_at_fpr": MetricEntry(
        tpr_at_fpr_score, "score", "np_tpr_at_fpr", options=frozenset({"max_fpr"}),
        loss_params={"pos_label": "pos_label", "max_fpr": "max_fpr"}, thresholded=thresholded_tpr_at_fpr,
    ),
    # no hand-made loss: the learned surrogate (ReLoss) of issue 20, shipped for a precision floor of 0.8
    "recall_at_precision": MetricEntry(
        recall_at_precision_score, "score", "reloss_recall_at_precision", options=frozenset({"min_precision"}),
        loss_params={"min_precision": ("metric_params", "min_precision")},
        thresholded=thresholded_recall_at_precision,
    ),
    "precision_at_k": MetricEntry(
        precision_at_k_score, "score", "precision_at_k", options=frozenset({"k"}),
        loss_params={"pos_label": "pos_label", "k": "k"},
    ),
    "expected_cost": MetricEntry(
        expected_cost_score, "label", "cost_sensitive", options=_COST_OPTIONS,
        loss_params={"pos_label": "pos_label", "cost_matrix": "cost_matrix"}, greater_is_better=False,
    ),
    "expected_profit": MetricEntry(
        expected_profit_score, "label", "cost_sensitive", options=_COST_OPTIONS,
        loss_params={"pos_label": "pos_label", "cost_matrix": "cost_matrix"},
    ),
}
"""dict: metric name -> :class:`MetricEntry`, the package's built-in metrics."""
