"""``make_surrogate_scorer``: scikit-learn scorers for the metrics our losses target.

A :class:`SurrogateScorer` is a plain scikit-learn scorer (a callable
``scorer(estimator, X, y_true, sample_weight=None)``) that works with any
classifier, so ``GridSearchCV(..., scoring=make_surrogate_scorer("f1"))``
selects models on F1. It also knows the surrogate loss that trains for its
metric (:meth:`SurrogateScorer.surrogate_loss`), so
``SurrogateClassifier(loss=scorer)`` trains on what the search selects on.
"""

import numbers

import numpy as np
from sklearn.base import is_classifier
from sklearn.utils._param_validation import Interval, StrOptions, validate_parameter_constraints
from sklearn.utils._response import _get_response_values
from sklearn.utils.metadata_routing import UNCHANGED, MetadataRequest, _routing_enabled
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import _check_sample_weight

from ._metric_table import METRIC_TABLE, expected_confusion_matrix
from ._operating_metrics import _cost_array, check_cost_matrix, check_k, check_rate, mean_cost

__all__ = ["SurrogateScorer", "get_metric_names", "make_surrogate_scorer"]

_AVERAGES = ("auto", "binary", "macro", "weighted", "micro", "samples")
_RESPONSE_METHODS = ("predict", "predict_proba", "decision_function")
# options of the operating-region and cost metrics: name -> (default, required by the metrics that take it)
_METRIC_OPTIONS = {
    "max_fpr": (None, True),
    "standardize": (True, False),
    "min_precision": (None, True),
    "k": (None, True),
    "cost_matrix": (None, False),
}


def _is_default(value, default):
    """Whether an option holds its default (None, or a scalar equal to it: ``np.True_`` is ``True``)."""
    if default is None or value is None:
        return value is default
    return np.ndim(value) == 0 and value == default


def get_metric_names():
    """Names of the built-in metrics of :func:`make_surrogate_scorer`.

    Returns
    -------
    names : list of str
        The metric names, sorted.

    Examples
    --------
    >>> from sklearn_surrogate import get_metric_names
    >>> get_metric_names()  # doctest: +NORMALIZE_WHITESPACE
    ['accuracy', 'average_precision', 'balanced_accuracy', 'expected_cost', 'expected_profit', 'f1', 'fbeta',
     'gmean', 'mcc', 'partial_auc', 'precision_at_k', 'recall_at_precision', 'roc_auc', 'tpr_at_fpr']
    """
    return sorted(METRIC_TABLE)


# ---------------------------------------------------------------------------
# The scorer
# ---------------------------------------------------------------------------
class SurrogateScorer:
    """Scorer for a classification metric that also knows its surrogate loss.

    Usually built with :func:`make_surrogate_scorer`, which documents the
    choices in more detail. The scorer is called as ``scorer(estimator, X,
    y_true, sample_weight=None)`` like any scikit-learn scorer, and
    :meth:`surrogate_loss` builds the loss that trains for its metric.

    Parameters
    ----------
    metric : str or callable
        A name from :func:`get_metric_names`, or a callable
        ``metric(y_true, response, **metric_kwargs)``.
    average : {"auto", "binary", "macro", "weighted", "micro", "samples"}, default="auto"
        Averaging of the per-class scores of F1/F-beta and of the ranking
        metrics on multiclass data; ``"auto"`` is ``"binary"`` for two classes
        and ``"macro"`` otherwise. ``"samples"`` is for multilabel targets
        only; on them ``"auto"`` means ``"macro"`` for the ranking metrics and
        is refused for F1/F-beta (see :func:`make_surrogate_scorer`).
    beta : float, default=1.0
        The ``beta`` of ``"fbeta"``.
    pos_label : label or None, default=None
        Positive class of binary problems; None means the greater label.
    smooth : bool, default=False
        Score label metrics on the expected confusion matrix of the predicted
        probabilities instead of on hard predictions.
    max_fpr : float in (0, 1] or None, default=None
        The false-positive budget of ``"partial_auc"`` and ``"tpr_at_fpr"``
        (required by them).
    standardize : bool, default=True
        ``"partial_auc"``: McClish's standardised area (scikit-learn's
        ``roc_auc_score(max_fpr=)``), or, if False, the raw area in
        ``[0, max_fpr]``.
    min_precision : float in (0, 1] or None, default=None
        The precision floor of ``"recall_at_precision"`` (required by it).
    k : int >= 1, float in (0, 1] or None, default=None
        The budget of ``"precision_at_k"``: a count of rows, or a fraction of
        them (required by it).
    cost_matrix : array-like of shape (2, 2) or (K, K), or None, default=None
        ``"expected_cost"`` and ``"expected_profit"``: ``[[TN, FP], [FN,
        TP]]``, the costs of a true negative, a false positive, a false
        negative and a true positive (rows the truth); for K classes, rows
        and columns in the order of ``classes_``. None: the costs come per
        row, as the ``costs`` metadata.
    response_method : {"predict", "predict_proba", "decision_function"} or None, default=None
        For a callable metric only: which estimator output it receives (None
        means ``"predict"``).
    greater_is_better : bool, default=True
        For a callable metric only: False negates its value, for metrics that
        are losses.
    metric_kwargs : dict or None, default=None
        Extra keyword arguments for a callable metric. With a callable,
        ``average``, ``beta`` and ``pos_label`` given with non-default values
        are added to them.

    See Also
    --------
    make_surrogate_scorer : The usual way to build a scorer.

    Examples
    --------
    >>> from sklearn_surrogate import SurrogateScorer
    >>> scorer = SurrogateScorer("balanced_accuracy")
    >>> scorer
    make_surrogate_scorer(metric='balanced_accuracy')
    >>> scorer.score_predictions([0, 0, 1, 1], [0, 1, 1, 1], classes=[0, 1])
    0.75
    >>> scorer.surrogate_loss()
    BalancedAccuracyLoss(L=73.0, eps=1e-06, pos_label=None)

    Every arg-max prediction below is right, but with ``smooth=True`` the
    score is the accuracy expected when predictions are drawn from the
    probabilities:

    >>> import numpy as np
    >>> proba = np.array([[0.9, 0.1], [0.6, 0.4], [0.2, 0.8], [0.3, 0.7]])
    >>> SurrogateScorer("accuracy").score_proba([0, 0, 1, 1], proba, classes=[0, 1])
    1.0
    >>> round(SurrogateScorer("accuracy", smooth=True).score_proba([0, 0, 1, 1], proba, classes=[0, 1]), 4)
    0.75
    """

    def __init__(
        self,
        metric,
        *,
        average="auto",
        beta=1.0,
        pos_label=None,
        smooth=False,
        max_fpr=None,
        standardize=True,
        min_precision=None,
        k=None,
        cost_matrix=None,
        response_method=None,
        greater_is_better=True,
        metric_kwargs=None,
    ):
        self.metric = metric
        self.average = average
        self.beta = beta
        self.pos_label = pos_label
        self.smooth = smooth
        self.max_fpr = max_fpr
        self.standardize = standardize
        self.min_precision = min_precision
        self.k = k
        self.cost_matrix = cost_matrix
        self.response_method = response_method
        self.greater_is_better = greater_is_better
        self.metric_kwargs = {} if metric_kwargs is None else dict(metric_kwargs)
        self._validate()

    # -- validation -------------------------------------------------------
    # scikit-learn's constraints; those of average and beta apply to the built-in metrics only (a
    # callable metric receives them as keyword arguments), and a built-in name must be in the table.
    _parameter_constraints = {
        "metric": [str, callable],
        "response_method": [StrOptions(set(_RESPONSE_METHODS)), None],
        "smooth": ["boolean"],
        "standardize": ["boolean"],
        "greater_is_better": ["boolean"],
        "pos_label": "no_validation",
        "metric_kwargs": [dict],
    }
    _builtin_constraints = {
        "average": [StrOptions(set(_AVERAGES))],
        "beta": [Interval(numbers.Real, 0, np.inf, closed="neither")],
    }

    def _validate(self):
        params = {key: getattr(self, key) for key in self._parameter_constraints}
        validate_parameter_constraints(self._parameter_constraints, params, caller_name=type(self).__name__)
        if callable(self.metric):
            if self.response_method is None:
                self.response_method = "predict"
            # average, beta and pos_label given explicitly are the user metric's business
            for key, default in (("average", "auto"), ("beta", 1.0), ("pos_label", None)):
                value = getattr(self, key)
                if value is not default and value != default:
                    self.metric_kwargs.setdefault(key, value)
            for key, (default, _) in _METRIC_OPTIONS.items():
                value = getattr(self, key)
                if not _is_default(value, default):
                    self.metric_kwargs.setdefault(key, value)
            return
        if self.metric not in METRIC_TABLE:
            raise ValueError(
                f"Unknown metric {self.metric!r}. Valid metrics are: {', '.join(get_metric_names())}, "
                "or a callable metric(y_true, y_pred_or_score)."
            )
        if self.response_method is not None:
            raise ValueError("response_method is only used with a callable metric.")
        if self.metric_kwargs:
            raise ValueError("Extra keyword arguments are only passed to a callable metric.")
        if isinstance(self.beta, bool):  # a bool is a Real to the Interval constraint
            raise ValueError(f"beta must be a positive finite number, got {self.beta!r}.")
        params = {key: getattr(self, key) for key in self._builtin_constraints}
        validate_parameter_constraints(self._builtin_constraints, params, caller_name=type(self).__name__)
        self._validate_metric_options()

    def _validate_metric_options(self):
        """Each option of the operating-region and cost metrics: given where needed, valid, refused elsewhere."""
        options = self._entry.options
        for key, (default, required) in _METRIC_OPTIONS.items():
            value = getattr(self, key)
            if key not in options:
                if not _is_default(value, default):
                    users = sorted(name for name, entry in METRIC_TABLE.items() if key in entry.options)
                    raise ValueError(f"{key} is only used by the metrics {', '.join(users)}, not by {self.metric}.")
            elif value is None and required:
                raise ValueError(f"The metric {self.metric!r} needs {key}: make_surrogate_scorer({self.metric!r}, "
                                 f"{key}=...).")
        if "max_fpr" in options:
            check_rate(self.max_fpr, "max_fpr")
        if "min_precision" in options:
            check_rate(self.min_precision, "min_precision")
        if "k" in options:
            check_k(self.k)
        if "cost_matrix" in options and self.cost_matrix is not None:
            check_cost_matrix(self.cost_matrix)

    def _metric_options(self):
        """The operating-region and cost options, for the table's functions (each takes its own)."""
        return {key: getattr(self, key) for key in _METRIC_OPTIONS}

    @property
    def _takes_costs(self):
        return not callable(self.metric) and "costs" in self._entry.options

    @property
    def _rates_decisions(self):
        """Whether the metric scores labels without costs (F1, balanced accuracy, MCC...): a metric of decisions."""
        return self._kind == "label" and not self._takes_costs

    @property
    def _entry(self):
        return METRIC_TABLE[self.metric]

    @property
    def _kind(self):
        if callable(self.metric):
            return "label" if self.response_method == "predict" else "score"
        return self._entry.response

    @property
    def _sign(self):
        sign = 1.0 if self.greater_is_better else -1.0
        if not callable(self.metric) and not self._entry.greater_is_better:
            sign = -sign  # a cost: the scorer reports it negated, as scikit-learn's neg_* scorers
        return sign

    def __repr__(self):
        name = getattr(self.metric, "__name__", repr(self.metric)) if callable(self.metric) else repr(self.metric)
        args = [f"metric={name}"]
        defaults = [("average", "auto"), ("beta", 1.0), ("pos_label", None), ("smooth", False)]
        defaults += [(key, default) for key, (default, _) in _METRIC_OPTIONS.items()]
        for key, default in defaults:
            value = getattr(self, key)
            if not _is_default(value, default):
                if key == "cost_matrix":
                    value = np.asarray(value).tolist()
                args.append(f"{key}={value!r}")
        return f"make_surrogate_scorer({', '.join(args)})"

    # -- metadata routing (sample_weight, costs) ----------------------------
    def set_score_request(self, *, sample_weight=UNCHANGED, costs=UNCHANGED):
        """Request ``sample_weight`` (and per-row ``costs``) under scikit-learn's metadata routing.

        Parameters
        ----------
        sample_weight : bool, str or None
            As for any scikit-learn scorer.
        costs : bool, str or None
            The per-row costs of ``"expected_cost"`` and ``"expected_profit"``
            (an array of shape ``(n_samples, 4)``, one ``[TN, FP, FN, TP]``
            per row, or ``(n_samples, K, K)``); other metrics take none.

        Returns
        -------
        self : SurrogateScorer

        Examples
        --------
        >>> import sklearn
        >>> from sklearn_surrogate import make_surrogate_scorer
        >>> with sklearn.config_context(enable_metadata_routing=True):
        ...     scorer = make_surrogate_scorer("expected_cost").set_score_request(costs=True)
        """
        if not _routing_enabled():
            raise RuntimeError(
                "This method is only available when metadata routing is enabled. You can enable it using "
                "sklearn.set_config(enable_metadata_routing=True)."
            )
        if costs is not UNCHANGED and not self._takes_costs:
            raise TypeError(f"{self!r} takes no per-row costs; only 'expected_cost' and 'expected_profit' do.")
        request = self._get_metadata_request()
        for param, alias in (("sample_weight", sample_weight), ("costs", costs)):
            if alias is not UNCHANGED:
                request.score.add_request(param=param, alias=alias)
        self._metadata_request = request
        return self

    def _get_metadata_request(self):
        if hasattr(self, "_metadata_request"):
            return self._metadata_request
        request = MetadataRequest(owner=self)
        request.score.add_request(param="sample_weight", alias=None)
        if self._takes_costs:
            request.score.add_request(param="costs", alias=None)
        return request

    def get_metadata_routing(self):
        """The scorer's metadata request (what scikit-learn routes to it).

        Returns
        -------
        routing : MetadataRequest
        """
        return self._get_metadata_request()

    # -- scoring ----------------------------------------------------------
    def _resolve_average(self, n_classes):
        if self.average == "samples":
            raise ValueError(
                f"average='samples' needs a multilabel-indicator target (a 2-D array of 0/1 columns), but y has "
                f"{n_classes} classes; use 'binary', 'macro', 'weighted' or 'micro'."
            )
        if self.average == "auto":
            return "binary" if n_classes == 2 else "macro"
        if self.average == "binary" and n_classes != 2:
            raise ValueError(
                f"average='binary' needs a binary target, but there are {n_classes} classes; use 'macro', "
                "'weighted' or 'micro'."
            )
        return self.average

    def _resolve_pos_label(self, classes):
        if self.pos_label is None:
            return classes[-1]
        if self.pos_label not in list(classes):
            labels = classes.tolist() if hasattr(classes, "tolist") else list(classes)
            raise ValueError(f"pos_label={self.pos_label!r} is not a valid label. It should be one of {labels}.")
        return self.pos_label

    # -- multilabel-indicator targets ---------------------------------------
    @staticmethod
    def _is_multilabel(y_true):
        """Whether ``y_true`` is 2-D with several columns: a multilabel indicator (or refused)."""
        if y_true.ndim != 2 or y_true.shape[1] < 2:
            return False
        target_type = type_of_target(y_true, input_name="y_true")
        if target_type != "multilabel-indicator":
            raise ValueError(
                "make_surrogate_scorer scores binary, multiclass and multilabel-indicator targets; y_true is "
                f"{target_type!r}."
            )
        return True

    def _multilabel_average(self):
        """The average of F1/F-beta and of the ranking metrics on multilabel targets."""
        average = self.average
        if average == "auto":
            if self._kind == "score":
                return "macro"  # roc_auc_score's and average_precision_score's default, as scoring="roc_auc"
            raise ValueError(
                f"average='auto' is ambiguous for {self.metric} on a multilabel-indicator target: pass "
                "average='micro', 'macro', 'weighted' or 'samples' to make_surrogate_scorer (scikit-learn's "
                f"{self._entry.func.__name__} refuses its default average='binary' "
                "there too)."
            )
        if average == "binary":
            raise ValueError(
                "average='binary' needs a binary target, but y is a multilabel-indicator target; use 'micro', "
                "'macro', 'weighted' or 'samples'."
            )
        return average

    def _check_multilabel_metric(self):
        if callable(self.metric):
            return
        if not self._entry.multilabel:
            raise ValueError(
                f"{self.metric} is not defined for multilabel-indicator targets (nor in scikit-learn); score them "
                "with 'f1' or 'fbeta' (average 'micro', 'macro', 'weighted' or 'samples'), 'accuracy' (subset "
                "accuracy), 'roc_auc' or 'average_precision'."
            )
        if self.smooth:
            raise ValueError("smooth=True scores binary and multiclass targets only, not multilabel-indicator ones.")

    @staticmethod
    def _multilabel_response(estimator, X, method, n_labels):
        """``predict_proba`` or ``decision_function`` of a multilabel estimator as an ``(n, n_labels)`` array.

        ``predict_proba`` may return one ``(n, k)`` array per label (``MultiOutputClassifier``,
        ``KNeighborsClassifier``): each label's score is then the column of its class 1 (zeros, or
        ones, for a label seen with a single class at fit), or the last column when the classes
        are not known.
        """
        if not hasattr(estimator, method):
            raise TypeError(f"{type(estimator).__name__} has no {method}, which scoring multilabel targets needs.")
        response = getattr(estimator, method)(X)
        if isinstance(response, (list, tuple)) or np.ndim(response) == 3:
            classes = getattr(estimator, "classes_", None)
            columns = []
            for j, output in enumerate(response):
                output = np.asarray(output, dtype=np.float64)
                labels = None
                if isinstance(classes, (list, tuple)) and len(classes) == len(response):
                    labels = np.asarray(classes[j])
                if output.ndim == 1:
                    columns.append(output)
                elif labels is not None and len(labels) == output.shape[1]:
                    positive = np.flatnonzero(labels == 1)
                    if len(positive):
                        columns.append(output[:, positive[0]])
                    else:  # only class 0 was seen for this label
                        columns.append(np.zeros(output.shape[0]))
                else:
                    columns.append(output[:, -1])
            response = np.column_stack(columns) if columns else np.zeros((np.shape(X)[0], 0))
        response = np.asarray(response, dtype=np.float64)
        if response.ndim != 2 or response.shape[1] != n_labels:
            raise ValueError(
                f"{type(estimator).__name__}.{method} returned scores of shape {response.shape}; scoring a "
                f"multilabel target of {n_labels} labels needs one column per label."
            )
        return response

    def _score_multilabel(self, estimator, X, y_true, sample_weight):
        n_labels = y_true.shape[1]
        if callable(self.metric):
            if self.response_method == "predict":
                response = estimator.predict(X)
            else:
                response = self._multilabel_response(estimator, X, self.response_method, n_labels)
            return self._sign * float(self._call_user_metric(y_true, response, sample_weight))
        self._check_multilabel_metric()
        if self._kind == "label":
            return self.score_predictions(y_true, estimator.predict(X), None, sample_weight=sample_weight)
        # as scikit-learn's scorers: decision values where the estimator has them, else probabilities
        method = "decision_function" if hasattr(estimator, "decision_function") else "predict_proba"
        scores = self._multilabel_response(estimator, X, method, n_labels)
        return self.score_proba(y_true, scores, None, sample_weight=sample_weight)

    def _multilabel_options(self):
        """Options of the table entry on multilabel targets (its function's default average otherwise)."""
        return {"average": self._multilabel_average()} if "average" in self._entry.options else {}

    def _score_multilabel_predictions(self, y_true, y_pred, sample_weight):
        self._check_multilabel_metric()
        if self._kind != "label":
            raise ValueError(f"{self.metric} is scored from continuous scores, not predicted labels.")
        # accuracy is the subset accuracy
        value = self._entry.score(
            y_true, y_pred, beta=self.beta, sample_weight=sample_weight, **self._multilabel_options()
        )
        return self._sign * float(value)

    def _score_multilabel_scores(self, y_true, scores, sample_weight):
        self._check_multilabel_metric()
        scores = np.asarray(scores, dtype=np.float64)
        if scores.shape != y_true.shape:
            raise ValueError(f"Expected scores of shape {y_true.shape} (one column per label), got {scores.shape}.")
        if self._kind == "label":  # probabilities: a label is predicted above 0.5
            return self._score_multilabel_predictions(y_true, (scores > 0.5).astype(int), sample_weight)
        value = self._entry.score(y_true, scores, sample_weight=sample_weight, **self._multilabel_options())
        return self._sign * float(value)

    def __call__(self, estimator, X, y_true, sample_weight=None, costs=None, **kwargs):
        """Score ``estimator`` on ``X``, ``y_true`` (higher is better).

        Parameters
        ----------
        estimator : fitted classifier
            Any classifier with the methods the metric needs (``predict``,
            ``decision_function`` or ``predict_proba``).
        X : array-like of shape (n_samples, n_features)
            Test samples.
        y_true : array-like of shape (n_samples,) or (n_samples, n_labels)
            True labels, or a multilabel indicator matrix (see
            :func:`make_surrogate_scorer` for the metrics defined on it).
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.
        costs : array-like of shape (n_samples, 4) or (n_samples, K, K), default=None
            Per-row costs of ``"expected_cost"`` and ``"expected_profit"``
            (one ``[TN, FP, FN, TP]`` per row for a binary problem), in place
            of ``cost_matrix``.
        **kwargs
            Ignored (scikit-learn may route other metadata here).

        Returns
        -------
        score : float
            The metric (negated for a callable metric with
            ``greater_is_better=False``).
        """
        y_true = np.asarray(y_true)
        self._check_costs_given(costs)
        if sample_weight is not None:
            # as fit checks them (scikit-learn's metrics take negative weights without a word, giving scores
            # outside the metric's range)
            sample_weight = _check_sample_weight(sample_weight, y_true, ensure_non_negative=True)
        if self._is_multilabel(y_true):
            return self._score_multilabel(estimator, X, y_true, sample_weight)
        classes = getattr(estimator, "classes_", None)
        classes = np.unique(y_true) if classes is None else np.asarray(classes)
        if callable(self.metric):
            return self._sign * float(self._call_user_metric(y_true, self._user_response(estimator, X, classes),
                                                             sample_weight))
        if self._kind == "label" and not self.smooth:
            return self.score_predictions(y_true, estimator.predict(X), classes, sample_weight=sample_weight,
                                          costs=costs)
        if len(classes) == 2 and not self.smooth and hasattr(estimator, "decision_function") and (
            self.response_method in (None, "decision_function")
        ):
            scores = np.asarray(self._positive_scores(estimator, X, "decision_function", classes), dtype=np.float64)
            pos = self._resolve_pos_label(classes)
            proba = np.column_stack([-scores, scores]) if pos == classes[-1] else np.column_stack([scores, -scores])
            return self.score_proba(y_true, proba, classes, sample_weight=sample_weight)
        if self.metric == "average_precision" and not self.smooth and hasattr(estimator, "decision_function"):
            # as scikit-learn's scorer: per-class decision values rank the samples
            scores = np.asarray(estimator.decision_function(X), dtype=np.float64)
            return self.score_proba(y_true, scores, classes, sample_weight=sample_weight)
        if not hasattr(estimator, "predict_proba"):
            raise TypeError(
                f"{type(estimator).__name__} has no predict_proba, which the {self!r} scorer needs."
            )
        return self.score_proba(y_true, estimator.predict_proba(X), classes, sample_weight=sample_weight, costs=costs)

    def _check_costs_given(self, costs):
        if costs is not None and not self._takes_costs:
            raise ValueError(f"{self!r} takes no per-row costs; only 'expected_cost' and 'expected_profit' do.")

    def score_predictions(self, y_true, y_pred, classes, sample_weight=None, costs=None):
        """Score hard label predictions (the exact metric).

        Parameters
        ----------
        y_true, y_pred : array-like of shape (n,) or (n, n_labels)
            True and predicted labels, or multilabel indicator matrices.
        classes : array-like of shape (K,)
            The classifier's classes, sorted (ignored for multilabel
            targets, and may then be None).
        sample_weight : array-like of shape (n,), default=None
        costs : array-like of shape (n, 4) or (n, K, K), default=None
            Per-row costs (``"expected_cost"``, ``"expected_profit"``).

        Returns
        -------
        score : float
        """
        y_true, y_pred, classes = np.asarray(y_true), np.asarray(y_pred), np.asarray(classes)
        self._check_costs_given(costs)
        if callable(self.metric):
            return self._sign * float(self._call_user_metric(y_true, y_pred, sample_weight))
        if self._is_multilabel(y_true):
            return self._score_multilabel_predictions(y_true, y_pred, sample_weight)
        if self._kind != "label":
            raise ValueError(f"{self.metric} is scored from continuous scores, not predicted labels.")
        average = self._resolve_average(len(classes))
        pos = self._resolve_pos_label(classes) if average == "binary" else 1
        options = self._metric_options()
        if costs is not None:
            options["costs"] = costs
        value = self._entry.score(
            y_true, y_pred, average=average, pos_label=pos, labels=list(classes) if average != "binary" else None,
            beta=self.beta, classes=list(classes), sample_weight=sample_weight, **options,
        )
        return self._sign * float(value)

    def score_proba(self, y_true, proba, classes, sample_weight=None, costs=None):
        """Score class probabilities (or any per-class scores).

        Label metrics use the arg-max prediction, or, with ``smooth=True``, the
        expected confusion matrix; ranking metrics use the scores.

        Parameters
        ----------
        y_true : array-like of shape (n,) or (n, n_labels)
            True labels, or a multilabel indicator matrix.
        proba : array-like of shape (n, K) or (n, n_labels)
            Per-class scores in the order of ``classes``; for a multilabel
            target, one score per label (label metrics then predict a label
            where its score exceeds 0.5).
        classes : array-like of shape (K,)
            The classes (ignored for multilabel targets, and may then be
            None).
        sample_weight : array-like of shape (n,), default=None
        costs : array-like of shape (n, 4) or (n, K, K), default=None
            Per-row costs (``"expected_cost"``, ``"expected_profit"``).

        Returns
        -------
        score : float
        """
        y_true, proba, classes = np.asarray(y_true), np.asarray(proba, dtype=np.float64), np.asarray(classes)
        self._check_costs_given(costs)
        if self._is_multilabel(y_true):
            if callable(self.metric):
                response = (proba > 0.5).astype(int) if self.response_method == "predict" else proba
                return self._sign * float(self._call_user_metric(y_true, response, sample_weight))
            return self._score_multilabel_scores(y_true, proba, sample_weight)
        if proba.ndim == 1:
            proba = np.column_stack([1.0 - proba, proba])
        if proba.shape != (len(y_true), len(classes)):
            raise ValueError(
                f"Expected scores of shape {(len(y_true), len(classes))} (one column per class), got {proba.shape}."
            )
        unknown = ~np.isin(y_true, classes)
        if unknown.any():
            raise ValueError(f"y_true contains labels {np.unique(y_true[unknown]).tolist()} not in classes {list(classes)}.")
        n_classes = len(classes)
        if callable(self.metric):
            if self.response_method == "predict":
                return self.score_predictions(y_true, classes[np.argmax(proba, axis=1)], classes, sample_weight)
            pos_index = int(np.flatnonzero(classes == self._resolve_pos_label(classes))[0])
            response = proba[:, pos_index] if n_classes == 2 else proba
            return self._sign * float(self._call_user_metric(y_true, response, sample_weight))
        if self._kind == "label":
            if not self.smooth:
                return self.score_predictions(y_true, classes[np.argmax(proba, axis=1)], classes, sample_weight,
                                              costs=costs)
            average = self._resolve_average(n_classes)
            pos_index = int(np.flatnonzero(classes == self._resolve_pos_label(classes))[0])
            y_idx = np.searchsorted(classes, y_true)
            if self._takes_costs:  # the cost expected when each prediction is drawn from the probabilities
                cost = _cost_array(self.cost_matrix, costs, classes, pos_index, len(y_idx))
                value = mean_cost(y_idx, proba, cost, sample_weight)
                return self._sign * (value if not self._entry.greater_is_better else -value)
            C = expected_confusion_matrix(y_idx, proba, sample_weight)
            smooth = self._entry.smooth(C, average=average, pos_index=pos_index, beta=float(self.beta))
            return self._sign * smooth
        # ranking metrics
        entry, average = self._entry, self._resolve_average(n_classes)
        if n_classes == 2:
            pos_index = int(np.flatnonzero(classes == self._resolve_pos_label(classes))[0])
            y_bin = (y_true == classes[pos_index]).astype(int)
            value = entry.score(y_bin, proba[:, pos_index], sample_weight=sample_weight, **self._metric_options())
            return self._sign * float(value)
        if entry.multiclass is None:
            raise ValueError(
                f"{self.metric} is defined for binary problems only, but there are {n_classes} classes; score one "
                "class against the rest (binarize y) or use 'roc_auc' or 'average_precision'."
            )
        if entry.multiclass_averages is not None and average not in entry.multiclass_averages:
            raise ValueError(
                f"Multiclass {self.metric} supports average {' or '.join(map(repr, entry.multiclass_averages))}, "
                f"got {average!r}."
            )
        if entry.multiclass == "ovr":  # one-vs-rest on probabilities: scikit-learn wants rows summing to 1
            proba = proba / proba.sum(axis=1, keepdims=True)
        value = entry.score_multiclass(y_true, proba, classes=classes, average=average, sample_weight=sample_weight)
        return self._sign * float(value)

    def _positive_scores(self, estimator, X, method, classes):
        """The positive class's scores of a binary classifier, by scikit-learn's response handling.

        ``_get_response_values`` takes the ``pos_label`` column of ``predict_proba`` and negates
        decision values when ``pos_label`` is ``classes_[0]``. Estimators it does not know as
        classifiers of these classes get the same treatment here; 2-D decision values of a binary
        classifier are read from their last column.
        """
        pos = self._resolve_pos_label(classes)
        if _is_classifier_of(estimator, classes):
            response, _ = _get_response_values(estimator, X, method, pos_label=pos)
            response = np.asarray(response)
        else:
            response = np.asarray(getattr(estimator, method)(X))
            if method == "predict_proba":
                return response[:, int(np.flatnonzero(classes == pos)[0])]
            if pos == classes[0]:
                response = -response
        return response[:, -1] if response.ndim == 2 else response

    def _user_response(self, estimator, X, classes):
        """What a callable metric is given: labels, or the positive class's (or every class's) scores."""
        if self.response_method == "predict":
            return estimator.predict(X)
        if not hasattr(estimator, self.response_method):
            raise TypeError(f"{type(estimator).__name__} has no {self.response_method}, which {self!r} needs.")
        if len(classes) == 2:
            return self._positive_scores(estimator, X, self.response_method, classes)
        return np.asarray(getattr(estimator, self.response_method)(X))

    # -- scikit-learn's decision-threshold tuning --------------------------
    # TunedThresholdClassifierCV builds its curve scorer from a scorer's private ``_score_func``,
    # ``_sign`` and ``_kwargs`` (sklearn.metrics._scorer's ``_CurveScorer.from_scorer``); these
    # make ours usable there. Other scikit-learn code probes ``hasattr(scorer, "_score_func")``
    # (LogisticRegressionCV), so a ranking metric answers with an error that is also an
    # AttributeError.
    @property
    def _score_func(self):
        """The label metric as ``f(y_true, y_pred, sample_weight=None, **kwargs)``, unsigned."""
        self._validate()
        if self._kind != "label" and (callable(self.metric) or self._entry.thresholded is None):
            raise _NoThresholdedMetric(
                f"{self!r} scores continuous predictions, which a decision threshold does not change; "
                "tune a threshold on a label metric such as make_surrogate_scorer('f1')."
            )
        return _ThresholdedLabelMetric(self)

    @property
    def _kwargs(self):
        return {} if self.pos_label is None else {"pos_label": self.pos_label}

    def _call_user_metric(self, y_true, response, sample_weight):
        kwargs = dict(self.metric_kwargs)
        if sample_weight is not None:
            kwargs["sample_weight"] = sample_weight
        value = self.metric(y_true, response, **kwargs)
        try:  # the callers take float(value): a value that is not one number is named here, with the metric
            number = float(value)
        except (TypeError, ValueError):
            number = None
        if number is None or isinstance(value, (str, bytes)):
            name = getattr(self.metric, "__name__", type(self.metric).__name__)
            raise TypeError(
                f"The metric {name} must return a number, like scikit-learn's metrics; it returned "
                f"{type(value).__name__}: {value!r}."
            )
        return number

    # -- the matching loss --------------------------------------------------
    def surrogate_loss(self, **params):
        """The surrogate loss that trains for this scorer's metric.

        Parameters
        ----------
        **params
            Hyper-parameters of the loss (for example ``L=50``).

        Returns
        -------
        loss : SurrogateLoss

        Raises
        ------
        ValueError
            For a user-supplied metric, which has no built-in surrogate (pass
            a loss explicitly), and for ``average="samples"``, a multilabel
            average the losses do not train for.

        Notes
        -----
        ``roc_auc`` and ``average_precision`` both map to the squared pairwise
        AUC loss. The scorer's ``pos_label``, when not None, becomes the
        loss's, so the loss trains for the class the scorer scores
        (``SurrogateClassifier`` resolves it against ``classes_`` at ``fit``).

        Examples
        --------
        >>> from sklearn_surrogate import make_surrogate_scorer
        >>> make_surrogate_scorer("f1", pos_label="bad").surrogate_loss()
        FBetaLoss(L=73.0, average='auto', beta=1.0, eps=1e-06, pos_label='bad')
        """
        from .losses import get_loss

        if callable(self.metric):
            raise ValueError(
                f"The user metric {getattr(self.metric, '__name__', self.metric)!r} has no built-in surrogate "
                "loss; pass a loss to the estimator explicitly."
            )
        if self.average == "samples":
            raise ValueError(
                "average='samples' scores multilabel targets, which the surrogate losses do not train on; train "
                "one SurrogateClassifier per label (sklearn.multioutput.MultiOutputClassifier) with a binary loss."
            )
        entry = self._entry
        if entry.loss is None:
            raise ValueError(
                f"The metric {self.metric!r} has no surrogate loss yet; train with loss='cross_entropy' (and, for "
                "a label metric, a tuned threshold) or pass a loss explicitly."
            )
        if self.pos_label is not None and "pos_label" not in entry.loss_params:
            raise ValueError(
                f"The surrogate loss of {self.metric!r} ({entry.loss}) trains for the greater label; it takes no "
                f"pos_label (got {self.pos_label!r}). Encode the positive class as the greater label."
            )
        defaults = {}
        for key, loss_key in entry.loss_params.items():
            value = getattr(self, key)
            if value is None:
                continue
            if isinstance(loss_key, tuple):  # (dict parameter, key): a learned surrogate's metric_params
                defaults.setdefault(loss_key[0], {})[loss_key[1]] = value
            else:
                defaults[loss_key] = value
        return get_loss(entry.loss, **{**defaults, **params})


def _is_classifier_of(estimator, classes):
    """Whether scikit-learn sees ``estimator`` as a classifier whose ``classes_`` are ``classes``."""
    try:
        is_clf = is_classifier(estimator)
    except AttributeError:  # no scikit-learn tags
        return False
    fitted = getattr(estimator, "classes_", None)
    return is_clf and fitted is not None and np.array_equal(np.asarray(fitted), classes)


class _NoThresholdedMetric(ValueError, AttributeError):
    """A ranking metric has no thresholded form: a ValueError for users, an AttributeError for ``hasattr``."""


class _ThresholdedLabelMetric:
    """A scorer's label metric as a plain ``metric(y_true, y_pred, ...)`` function, without its sign.

    The caller (scikit-learn's curve scorer) applies the sign itself. ``pos_label`` is accepted
    because scikit-learn passes the scorer's ``_kwargs`` back; the scorer already knows it. The
    classes are those present in ``y_true`` and ``y_pred``: with thresholded predictions of a
    binary classifier on a stratified fold, both classes are there. Predictions are hard labels,
    so ``smooth=True`` plays no part here.
    """

    def __init__(self, scorer):
        self.scorer = scorer
        self.__name__ = f"{scorer.metric if isinstance(scorer.metric, str) else 'metric'}_thresholded"

    def __call__(self, y_true, y_pred, sample_weight=None, pos_label=None, costs=None):
        y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
        classes = np.unique(np.concatenate([y_true, y_pred]))
        scorer = self.scorer
        if scorer._kind != "label":  # a score metric's thresholded form (tpr_at_fpr, recall_at_precision)
            if len(classes) > 2:
                raise ValueError(f"{scorer.metric} is defined for binary problems only.")
            pos = scorer._resolve_pos_label(classes)
            return float(scorer._entry.score_thresholded(
                (y_true == pos).astype(int), (y_pred == pos).astype(int), sample_weight=sample_weight,
                **scorer._metric_options(),
            ))
        # score_predictions returns sign * metric; multiplying by the sign again undoes it.
        return scorer._sign * scorer.score_predictions(y_true, y_pred, classes, sample_weight=sample_weight,
                                                       costs=costs)


def make_surrogate_scorer(
    metric="f1",
    *,
    average="auto",
    beta=1.0,
    pos_label=None,
    smooth=False,
    max_fpr=None,
    standardize=True,
    min_precision=None,
    k=None,
    cost_matrix=None,
    response_method=None,
    greater_is_better=True,
    **kwargs,
):
    """Make a scorer for a classification metric, usable with any classifier.

    The scorer picks the response the metric needs: labels from ``predict``
    for F1, accuracy and the like; scores from ``decision_function`` or
    ``predict_proba`` for ROC AUC and average precision. Use it as
    ``scoring=`` in :class:`~sklearn.model_selection.GridSearchCV` or
    :func:`~sklearn.model_selection.cross_validate`, as the ``scoring`` of a
    skorch ``EpochScoring`` callback, or as the ``loss`` of
    :class:`~sklearn_surrogate.SurrogateClassifier` (which then trains on the
    matching surrogate loss).

    Parameters
    ----------
    metric : {"f1", "fbeta", "accuracy", "balanced_accuracy", "mcc", "gmean", \
"roc_auc", "average_precision", "partial_auc", "tpr_at_fpr", \
"recall_at_precision", "precision_at_k", "expected_cost", \
"expected_profit"} or callable, default="f1"
        The metric. A callable is called as ``metric(y_true, response,
        **kwargs)`` where ``response`` comes from ``response_method``. The
        operating-region metrics (``partial_auc``, ``tpr_at_fpr``,
        ``recall_at_precision``, ``precision_at_k``) score binary problems'
        continuous scores; ``expected_cost`` and ``expected_profit`` score
        the predicted labels (see Notes).
    average : {"auto", "binary", "macro", "weighted", "micro", "samples"}, default="auto"
        Averaging of per-class scores for F1/F-beta (and the ranking metrics
        on multiclass data). ``"auto"`` is ``"binary"`` for two classes and
        ``"macro"`` otherwise. ``"samples"`` (the mean over samples of each
        sample's score) is defined for multilabel targets only. On multilabel
        targets ``"auto"`` is ``"macro"`` for ``roc_auc`` and
        ``average_precision`` (the default of scikit-learn's functions) and an
        error for F1/F-beta, which need the average named (see Notes).
    beta : float, default=1.0
        The ``beta`` of ``"fbeta"``.
    pos_label : label or None, default=None
        The positive class of binary problems; None means the greater label,
        ``classes_[-1]`` (the positive class of the surrogate losses). As
        ``SurrogateClassifier(loss=scorer)``, the scorer passes it on to its
        surrogate loss, which then trains for that class.
    smooth : bool, default=False
        Score label metrics with the *expected* confusion matrix of the
        predicted probabilities instead of hard predictions. The estimate is
        smooth in the model's output and has lower variance on small folds.
        Ranking metrics already use continuous scores and are unaffected.
        For ``expected_cost`` and ``expected_profit`` it is the cost expected
        when each prediction is drawn from the probabilities.
    max_fpr : float in (0, 1], default=None
        The largest false-positive rate of ``partial_auc`` and
        ``tpr_at_fpr`` (required by them, refused by the other metrics).
    standardize : bool, default=True
        ``partial_auc`` only: McClish's standardised partial area, as
        :func:`~sklearn.metrics.roc_auc_score` with ``max_fpr`` (0.5 for a
        random ranking, 1 for a perfect one), or, if False, the raw area
        under the ROC curve up to ``max_fpr``, in ``[0, max_fpr]``.
    min_precision : float in (0, 1], default=None
        The precision floor of ``recall_at_precision`` (required by it).
    k : int >= 1 or float in (0, 1], default=None
        The budget of ``precision_at_k``: a count of rows (an int), or a
        fraction of the rows scored (a float), which adapts to the size of
        each cross-validation fold (required by it).
    cost_matrix : array-like of shape (2, 2) or (K, K), default=None
        The costs of ``expected_cost`` and ``expected_profit``: for a binary
        problem ``[[TN, FP], [FN, TP]]``, the costs of a true negative, a
        false positive, a false negative and a true positive (rows the true
        class, negative first; columns the predicted one; negative and
        positive as ``pos_label`` says); for K classes, rows and columns in
        the order of ``classes_``. A gain is a negative cost. None: costs
        come per row as metadata (``scorer(est, X, y, costs=...)``, or routed
        after ``set_score_request(costs=True)``), an array of shape
        ``(n_samples, 4)`` (one ``[TN, FP, FN, TP]`` per row) or
        ``(n_samples, K, K)``.
    response_method : {"predict", "predict_proba", "decision_function"}, default=None
        For a callable metric only: what to pass it (``"predict"`` if None).
        For binary problems probabilities and scores are those of the
        positive class.
    greater_is_better : bool, default=True
        For a callable metric that is a loss, pass False: the scorer then
        returns its negation, as scikit-learn scorers do.
    **kwargs
        Passed on to a callable metric, as are ``average``, ``beta`` and
        ``pos_label`` when given (``make_surrogate_scorer(fbeta_score,
        beta=2)`` works as :func:`~sklearn.metrics.make_scorer` would).

    Returns
    -------
    scorer : SurrogateScorer
        Callable as ``scorer(estimator, X, y_true, sample_weight=None)``.

    See Also
    --------
    sklearn.metrics.make_scorer : The scikit-learn equivalent for one metric.

    Notes
    -----
    **Multilabel targets.** On a multilabel indicator ``y`` (a 2-D array of
    0/1 columns, one per label), as fitted by
    :class:`~sklearn.multioutput.MultiOutputClassifier` or by natively
    multilabel estimators such as
    :class:`~sklearn.neighbors.KNeighborsClassifier`, the scorer gives
    scikit-learn's values: ``f1`` and ``fbeta`` with ``average="micro"``,
    ``"macro"``, ``"weighted"`` or ``"samples"``; ``accuracy`` is the subset
    accuracy (a sample counts when all its labels are right); ``roc_auc`` and
    ``average_precision`` rank each label's scores, from
    ``decision_function`` when the estimator has one, else from
    ``predict_proba`` (a list of one ``(n, 2)`` array per label is read as
    the probabilities of class 1). ``average="auto"`` is ``"macro"`` for the
    two ranking metrics, as ``scoring="roc_auc"`` is in scikit-learn; for
    F1/F-beta it raises a ``ValueError`` asking for an explicit average,
    as scikit-learn's ``scoring="f1"`` (``average="binary"``) refuses
    multilabel targets, because micro and macro F1 can differ widely.
    ``balanced_accuracy``, ``mcc`` and ``gmean`` are not defined there (nor
    in scikit-learn) and raise a ``ValueError``, as does ``smooth=True``.
    The matching surrogate losses train binary and multiclass problems only:
    train one :class:`~sklearn_surrogate.SurrogateClassifier` per label.

    **Operating-region and cost metrics.** ``partial_auc``, ``tpr_at_fpr``,
    ``recall_at_precision`` and ``precision_at_k`` rank the positive class's
    scores (``decision_function`` or ``predict_proba``) of a binary problem
    and raise a ``ValueError`` on multiclass and multilabel targets.
    ``tpr_at_fpr`` and ``recall_at_precision`` take the best threshold on
    the scored rows; as the ``scoring`` of
    :class:`~sklearn.model_selection.TunedThresholdClassifierCV` they give
    their thresholded form instead (the TPR where the FPR is within
    ``max_fpr``, the recall where the precision reaches ``min_precision``,
    else 0), so the tuner picks the operating point. ``expected_cost`` is
    the mean cost per row of the estimator's predictions; the scorer returns
    it negated (greater is better, like scikit-learn's ``neg_*`` scorers).
    ``expected_profit`` is the same mean with the opposite sign, for
    reporting a profit. Both tune thresholds with ``TunedThresholdClassifierCV``.
    Their surrogate losses take the scorer's options (``pauc_cvar`` and
    ``np_tpr_at_fpr`` its ``max_fpr``, ``precision_at_k`` its ``k``,
    ``cost_sensitive`` its ``cost_matrix``); ``recall_at_precision`` has none
    yet, and its ``surrogate_loss`` raises.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_surrogate import make_surrogate_scorer
    >>> X, y = make_classification(random_state=0)
    >>> scorer = make_surrogate_scorer("f1")
    >>> round(scorer(LogisticRegression().fit(X, y), X, y), 3)
    0.94
    >>> scorer.surrogate_loss()
    FBetaLoss(L=73.0, average='auto', beta=1.0, eps=1e-06, pos_label=None)
    """
    return SurrogateScorer(
        metric,
        average=average,
        beta=beta,
        pos_label=pos_label,
        smooth=smooth,
        max_fpr=max_fpr,
        standardize=standardize,
        min_precision=min_precision,
        k=k,
        cost_matrix=cost_matrix,
        response_method=response_method,
        greater_is_better=greater_is_better,
        metric_kwargs=kwargs,
    )
