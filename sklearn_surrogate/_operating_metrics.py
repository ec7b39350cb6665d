"""Metrics of an operating region: the top of the ranking, a false-positive budget, and costs.

Where a team works at a fixed false-positive rate, a fixed alert budget or
with money on each decision, the whole ROC curve or a single F1 says little.
These exact metrics back the ``partial_auc``, ``tpr_at_fpr``,
``recall_at_precision``, ``precision_at_k``, ``expected_cost`` and
``expected_profit`` entries of the metric table. The ranking metrics take
binary targets (1 marks the positive class) and continuous scores; the cost
metrics take predicted labels.

Ties. A decision threshold cannot separate rows of equal score, so
:func:`tpr_at_fpr_score` and :func:`recall_at_precision_score` consider only
the thresholds of :func:`sklearn.metrics.roc_curve` and
:func:`sklearn.metrics.precision_recall_curve` (all tied rows on the same
side). :func:`precision_at_k_score` must take exactly ``k`` rows, so a tie
that straddles the cut-off is taken fractionally: each tied row counts by
the share of the group the budget reaches, which is the expected precision
when the ties are broken at random.
"""

import numbers

import numpy as np
from sklearn.metrics import auc, precision_recall_curve, roc_auc_score, roc_curve

__all__ = [
    "expected_cost_score",
    "expected_profit_score",
    "partial_auc_score",
    "precision_at_k_score",
    "recall_at_precision_score",
    "thresholded_recall_at_precision",
    "thresholded_tpr_at_fpr",
    "tpr_at_fpr_score",
]

# Rates are ratios of (weighted) counts: a bound such as max_fpr=0.1 must admit a rate of 10/100
# however the division rounds.
_RATE_TOL = 1e-12


# ---------------------------------------------------------------------------
# Option checks (shared with the scorer)
# ---------------------------------------------------------------------------
def _is_real(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_rate(value, name):
    """``value`` as a float in (0, 1], or a ValueError naming ``name``."""
    if not _is_real(value) or not (0.0 < float(value) <= 1.0):
        raise ValueError(f"{name} must be a number in (0, 1], got {value!r}.")
    return float(value)


def check_k(k):
    """``k`` as a count (an int >= 1) or a fraction of the rows (a float in (0, 1])."""
    if isinstance(k, numbers.Integral) and not isinstance(k, bool):
        if k < 1:
            raise ValueError(f"k must be a count >= 1 or a fraction in (0, 1], got {k!r}.")
        return int(k)
    if _is_real(k) and 0.0 < float(k) <= 1.0:
        return float(k)
    raise ValueError(f"k must be a count >= 1 (an int) or a fraction of the rows in (0, 1] (a float), got {k!r}.")


def check_cost_matrix(cost_matrix):
    """``cost_matrix`` as a finite square float array of at least 2 x 2."""
    try:
        matrix = np.asarray(cost_matrix, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"cost_matrix must be a 2 x 2 array of numbers, got {cost_matrix!r}.") from exc
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.shape[0] < 2:
        raise ValueError(
            "cost_matrix must be a square array, [[TN, FP], [FN, TP]] for a binary problem (K x K, rows the "
            f"true class, for K classes), got shape {matrix.shape}."
        )
    if not np.all(np.isfinite(matrix)):
        raise ValueError("cost_matrix must hold finite numbers; it holds NaN or infinity.")
    return matrix


def _binary_target(y_true, y_score, sample_weight, name, *, need_positive=True, need_negative=True):
    y_true = np.asarray(y_true)
    y_score = np.asarray(y_score, dtype=np.float64)
    if y_true.ndim != 1 or y_score.shape != y_true.shape:
        raise ValueError(f"{name} needs 1-D y_true and y_score of the same length, got shapes "
                         f"{y_true.shape} and {y_score.shape}.")
    if y_true.dtype.kind not in "biuf" or not np.all(np.isin(y_true, (0, 1))):
        raise ValueError(f"{name} is a binary metric: y_true must hold 0 and 1 (1 marks the positive class).")
    if not np.all(np.isfinite(y_score)):
        raise ValueError(f"{name}: y_score holds NaN or infinity.")
    y_true = y_true.astype(int)
    if need_positive and not y_true.any():
        raise ValueError(f"{name} is not defined without positive rows in y_true.")
    if need_negative and y_true.all():
        raise ValueError(f"{name} is not defined without negative rows in y_true.")
    if sample_weight is not None:
        sample_weight = np.asarray(sample_weight, dtype=np.float64)
    return y_true, y_score, sample_weight


# ---------------------------------------------------------------------------
# Partial AUC and the Neyman-Pearson operating point
# ---------------------------------------------------------------------------
def partial_auc_score(y_true, y_score, *, max_fpr, standardize=True, sample_weight=None):
    """Area under the ROC curve where the false-positive rate is at most ``max_fpr``.

    The raw area :math:`A = \\int_0^{m} \\mathrm{TPR}\\, d\\mathrm{FPR}` (with
    :math:`m` = ``max_fpr``, the curve interpolated linearly at :math:`m`)
    lies in :math:`[0, m]`. With ``standardize=True`` it is mapped by
    McClish's correction (D. K. McClish, "Analyzing a portion of the ROC
    curve", *Medical Decision Making* 9(3), 1989, eq. 6),

    .. math:: \\tfrac12 \\Big(1 + \\frac{A - m^2/2}{m - m^2/2}\\Big),

    so that a random ranking scores 0.5 and a perfect one 1, as
    :func:`sklearn.metrics.roc_auc_score` does with ``max_fpr``.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        0 and 1, 1 marking the positive class.
    y_score : array-like of shape (n,)
        Scores, higher meaning more likely positive.
    max_fpr : float in (0, 1]
        The largest false-positive rate of the region.
    standardize : bool, default=True
        McClish's standardised area (scikit-learn's value), or, if False, the
        raw area in ``[0, max_fpr]``.
    sample_weight : array-like of shape (n,), default=None

    Returns
    -------
    score : float

    Examples
    --------
    >>> from sklearn_surrogate._operating_metrics import partial_auc_score
    >>> y, s = [0, 0, 0, 0, 1, 1], [0.1, 0.2, 0.3, 0.7, 0.6, 0.8]
    >>> partial_auc_score(y, s, max_fpr=0.5, standardize=False)
    0.375
    >>> round(partial_auc_score(y, s, max_fpr=0.5), 4)  # (1 + (0.375 - 0.125) / (0.5 - 0.125)) / 2
    0.8333
    """
    max_fpr = check_rate(max_fpr, "max_fpr")
    y_true, y_score, sample_weight = _binary_target(y_true, y_score, sample_weight, "partial_auc")
    if standardize:
        return float(roc_auc_score(y_true, y_score, max_fpr=max_fpr, sample_weight=sample_weight))
    fpr, tpr, _ = roc_curve(y_true, y_score, sample_weight=sample_weight)
    stop = np.searchsorted(fpr, max_fpr, side="right")  # fpr[:stop] <= max_fpr; fpr[0] == 0
    if stop == len(fpr):
        return float(auc(fpr, tpr))
    # the curve between its last point inside the region and its first point outside, at max_fpr
    end = np.interp(max_fpr, fpr[stop - 1:stop + 1], tpr[stop - 1:stop + 1])
    return float(auc(np.append(fpr[:stop], max_fpr), np.append(tpr[:stop], end)))


def tpr_at_fpr_score(y_true, y_score, *, max_fpr, sample_weight=None):
    """Highest true-positive rate of a threshold whose false-positive rate is at most ``max_fpr``.

    The Neyman-Pearson operating point read off the empirical ROC curve:
    :math:`\\max_t \\{\\mathrm{TPR}(t) : \\mathrm{FPR}(t) \\le \\alpha\\}` over
    the thresholds ``score >= t`` (J. Neyman and E. S. Pearson, *Phil.
    Trans. R. Soc. A* 231, 1933; as a classification criterion, C. Scott and
    R. Nowak, "A Neyman-Pearson approach to statistical learning", *IEEE
    Trans. Inf. Theory* 51(11), 2005, eq. 1). Tied scores are never split
    (the thresholds of :func:`sklearn.metrics.roc_curve`), so the value is
    what a deterministic threshold achieves, not the interpolated curve.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        0 and 1, 1 marking the positive class.
    y_score : array-like of shape (n,)
    max_fpr : float in (0, 1]
    sample_weight : array-like of shape (n,), default=None

    Returns
    -------
    score : float

    Examples
    --------
    >>> from sklearn_surrogate._operating_metrics import tpr_at_fpr_score
    >>> tpr_at_fpr_score([0, 0, 0, 0, 1, 1], [0.1, 0.2, 0.3, 0.7, 0.6, 0.8], max_fpr=0.25)
    1.0
    >>> tpr_at_fpr_score([0, 0, 0, 0, 1, 1], [0.1, 0.2, 0.3, 0.7, 0.6, 0.8], max_fpr=0.2)
    0.5
    """
    max_fpr = check_rate(max_fpr, "max_fpr")
    y_true, y_score, sample_weight = _binary_target(y_true, y_score, sample_weight, "tpr_at_fpr")
    fpr, tpr, _ = roc_curve(y_true, y_score, sample_weight=sample_weight, drop_intermediate=False)
    return float(tpr[fpr <= max_fpr + _RATE_TOL].max())  # fpr[0] == 0: never empty


def recall_at_precision_score(y_true, y_score, *, min_precision, sample_weight=None):
    """Highest recall of a threshold whose precision is at least ``min_precision`` (0 if none).

    :math:`\\max_t \\{\\mathrm{recall}(t) : \\mathrm{precision}(t) \\ge p\\}`
    over the thresholds of :func:`sklearn.metrics.precision_recall_curve`
    (tied scores never split), the "recall at precision" constraint of
    E. Eban et al., "Scalable learning of non-decomposable objectives",
    *AISTATS* 2017, sec. 3 (eq. 6).

    Parameters
    ----------
    y_true : array-like of shape (n,)
        0 and 1, 1 marking the positive class.
    y_score : array-like of shape (n,)
    min_precision : float in (0, 1]
    sample_weight : array-like of shape (n,), default=None

    Returns
    -------
    score : float

    Examples
    --------
    >>> from sklearn_surrogate._operating_metrics import recall_at_precision_score
    >>> y, s = [0, 1, 1, 0, 1, 0], [0.9, 0.8, 0.7, 0.6, 0.5, 0.1]
    >>> recall_at_precision_score(y, s, min_precision=0.6)
    1.0
    >>> round(recall_at_precision_score(y, s, min_precision=0.65), 4)
    0.6667
    """
    min_precision = check_rate(min_precision, "min_precision")
    y_true, y_score, sample_weight = _binary_target(
        y_true, y_score, sample_weight, "recall_at_precision", need_negative=False
    )
    precision, recall, _ = precision_recall_curve(
        y_true, y_score, sample_weight=sample_weight, drop_intermediate=False
    )
    # the curve ends at (recall 0, precision 1): the set is never empty
    return float(recall[precision >= min_precision - _RATE_TOL].max())


def precision_at_k_score(y_true, y_score, *, k, sample_weight=None):
    """Share of positives among the ``k`` highest-scored rows (an alert budget).

    ``k`` is a count of rows (an int) or a fraction of them (a float in
    (0, 1]; ``k * n`` rows, the last counted by its fraction). With
    ``sample_weight`` the budget still counts rows, and the precision is the
    weighted share of positives among them. A group of tied scores that the
    cut-off splits is taken fractionally, each of its rows counted by the
    share of the group within the budget: the expected precision at ``k``
    when ties are broken at random (for unit weights). This is the
    "precision at the top" of S. Boyd, C. Cortes, M. Mohri and A. Radovanovic,
    "Accuracy at the top", *NeurIPS* 2012, sec. 2, for a budget of ``k``
    rows. It differs from :func:`sklearn.metrics.top_k_accuracy_score`,
    which ranks the *classes* of each row.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        0 and 1, 1 marking the positive class.
    y_score : array-like of shape (n,)
    k : int >= 1 or float in (0, 1]
        The budget: rows, or a fraction of the rows.
    sample_weight : array-like of shape (n,), default=None

    Returns
    -------
    score : float

    Examples
    --------
    >>> from sklearn_surrogate._operating_metrics import precision_at_k_score
    >>> y, s = [1, 0, 1, 0, 0, 1], [0.9, 0.8, 0.7, 0.7, 0.2, 0.1]
    >>> precision_at_k_score(y, s, k=1)
    1.0
    >>> precision_at_k_score(y, s, k=3)  # half of the two rows tied at 0.7
    0.5
    >>> precision_at_k_score(y, s, k=0.5)  # three rows of six
    0.5
    """
    k = check_k(k)
    y_true, y_score, sample_weight = _binary_target(
        y_true, y_score, sample_weight, "precision_at_k", need_positive=False, need_negative=False
    )
    n = len(y_true)
    if n == 0:
        raise ValueError("precision_at_k needs at least one row.")
    budget = k * n if isinstance(k, float) else float(k)
    if budget > n:
        raise ValueError(
            f"k={k} exceeds the {n} rows scored; pass a budget of at most {n} rows, or a fraction of the rows "
            "(a float in (0, 1]), which adapts to the size of each fold."
        )
    order = np.argsort(-y_score, kind="stable")
    scores = y_score[order]
    taken = np.clip(budget - np.arange(n), 0.0, 1.0)  # share of each rank within the budget
    # a tie group shares what the budget gives its ranks
    starts = np.flatnonzero(np.r_[True, scores[1:] != scores[:-1]])
    group_share = np.add.reduceat(taken, starts) / np.diff(np.r_[starts, n])
    taken = np.repeat(group_share, np.diff(np.r_[starts, n]))
    weights = np.ones(n) if sample_weight is None else sample_weight[order]
    selected = taken * weights
    total = selected.sum()
    if total <= 0:
        raise ValueError("precision_at_k: the rows within the budget all have sample_weight 0.")
    return float(selected @ y_true[order] / total)


# ---------------------------------------------------------------------------
# Thresholded forms (a decision threshold chooses the operating point)
# ---------------------------------------------------------------------------
def _weighted_counts(y_true, y_pred, sample_weight):
    y_true, y_pred = np.asarray(y_true).astype(bool), np.asarray(y_pred).astype(bool)
    w = np.ones(len(y_true)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    tp, fp = w[y_true & y_pred].sum(), w[~y_true & y_pred].sum()
    return tp, fp, w[y_true].sum(), w[~y_true].sum()


def thresholded_tpr_at_fpr(y_true, y_pred, *, max_fpr, sample_weight=None):
    """TPR of binary predictions whose FPR is at most ``max_fpr``, else 0.

    The form a threshold tuner maximises (its maximum over thresholds is
    :func:`tpr_at_fpr_score`). ``y_true`` and ``y_pred`` are 0/1.

    Examples
    --------
    >>> from sklearn_surrogate._operating_metrics import thresholded_tpr_at_fpr
    >>> thresholded_tpr_at_fpr([0, 0, 1, 1], [0, 1, 1, 0], max_fpr=0.5)
    0.5
    >>> thresholded_tpr_at_fpr([0, 0, 1, 1], [1, 1, 1, 1], max_fpr=0.5)
    0.0
    """
    tp, fp, pos, neg = _weighted_counts(y_true, y_pred, sample_weight)
    if pos <= 0 or neg <= 0:
        raise ValueError("tpr_at_fpr needs positive and negative rows in y_true.")
    return float(tp / pos) if fp / neg <= max_fpr + _RATE_TOL else 0.0


def thresholded_recall_at_precision(y_true, y_pred, *, min_precision, sample_weight=None):
    """Recall of binary predictions whose precision is at least ``min_precision``, else 0.

    The form a threshold tuner maximises (its maximum over thresholds is
    :func:`recall_at_precision_score`); predicting no positive has recall 0.

    Examples
    --------
    >>> from sklearn_surrogate._operating_metrics import thresholded_recall_at_precision
    >>> thresholded_recall_at_precision([0, 1, 1, 1], [0, 1, 1, 0], min_precision=0.9)
    0.6666666666666666
    >>> thresholded_recall_at_precision([0, 1, 1, 1], [1, 1, 1, 1], min_precision=0.9)
    0.0
    """
    tp, fp, pos, _ = _weighted_counts(y_true, y_pred, sample_weight)
    if pos <= 0:
        raise ValueError("recall_at_precision is not defined without positive rows in y_true.")
    if tp + fp <= 0 or tp / (tp + fp) < min_precision - _RATE_TOL:
        return 0.0
    return float(tp / pos)


# ---------------------------------------------------------------------------
# Costs
# ---------------------------------------------------------------------------
def _cost_array(cost_matrix, costs, classes, pos_index, n):
    """The costs in the order of ``classes``: ``(K, K)`` or, per row, ``(n, K, K)`` (rows: the truth)."""
    n_classes = len(classes)
    if cost_matrix is not None and costs is not None:
        raise ValueError(
            "Pass either cost_matrix (one matrix for every row) or per-row costs, not both."
        )
    if costs is not None:
        try:
            M = np.asarray(costs, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError("costs must be an array of numbers of shape (n_samples, 4) or "
                             "(n_samples, K, K).") from exc
        given = M.shape  # (the shape named in the error: before a binary (n, 4) is read as (n, 2, 2))
        if M.ndim == 2 and M.shape[1] == 4 and n_classes == 2:
            M = M.reshape(-1, 2, 2)
        if M.shape != (n, n_classes, n_classes):
            expected = f"({n}, 4) or ({n}, 2, 2)" if n_classes == 2 else f"({n}, {n_classes}, {n_classes})"
            raise ValueError(
                f"costs must have shape {expected} (one cost matrix per row, [TN, FP, FN, TP] for a binary "
                f"problem), got {given}."
            )
        if not np.all(np.isfinite(M)):
            raise ValueError("costs must hold finite numbers; they hold NaN or infinity.")
    elif cost_matrix is not None:
        M = check_cost_matrix(cost_matrix)
        if M.shape != (n_classes, n_classes):
            raise ValueError(
                f"cost_matrix has shape {M.shape}, but there are {n_classes} classes; it must be "
                f"{n_classes} x {n_classes}" + (" ([[TN, FP], [FN, TP]])." if n_classes == 2 else
                                                 " (rows the true class, columns the predicted one).")
            )
    else:
        raise ValueError(
            "The expected cost needs costs: pass cost_matrix=[[TN, FP], [FN, TP]] to make_surrogate_scorer, or "
            "per-row costs (scorer(estimator, X, y, costs=...), or routed with set_score_request(costs=True))."
        )
    if n_classes == 2 and pos_index == 0:  # the layout is (negative, positive); the classes put the positive first
        M = M[..., ::-1, ::-1]
    return M


def mean_cost(y_idx, proba, cost, sample_weight=None):
    """Weighted mean over rows of ``sum_j proba[n, j] * cost[y_n, j]`` (``cost`` per row or shared).

    With one-hot ``proba`` (the predicted labels) this is the cost of the
    decisions; with predicted probabilities, its expectation.
    """
    proba = np.asarray(proba, dtype=np.float64)
    rows = cost[y_idx] if cost.ndim == 2 else cost[np.arange(len(y_idx)), y_idx]
    per_row = np.einsum("nk,nk->n", proba, rows)
    w = np.ones(len(y_idx)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    if w.sum() <= 0:
        raise ValueError("The expected cost needs a positive total sample_weight.")
    return float(per_row @ w / w.sum())


def _labels_to_indices(y_true, y_pred, classes, pos_label):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError(f"y_true and y_pred must be 1-D of the same length, got {y_true.shape} and {y_pred.shape}.")
    classes = np.unique(np.concatenate([y_true, y_pred])) if classes is None else np.asarray(classes)
    if len(classes) < 2:
        raise ValueError("The labels hold fewer than two classes; pass classes=[negative, positive].")
    unknown = ~np.isin(np.concatenate([y_true, y_pred]), classes)
    if unknown.any():
        raise ValueError(f"Labels {np.unique(np.concatenate([y_true, y_pred])[unknown]).tolist()} are not in "
                         f"classes {classes.tolist()}.")
    pos_label = classes[-1] if pos_label is None else pos_label
    if len(classes) == 2 and pos_label not in classes:
        raise ValueError(f"pos_label={pos_label!r} is not a valid label. It should be one of {classes.tolist()}.")
    pos_index = int(np.flatnonzero(classes == pos_label)[0]) if len(classes) == 2 else None
    index = {label: i for i, label in enumerate(classes.tolist())}
    return (np.array([index[v] for v in y_true.tolist()], dtype=int),
            np.array([index[v] for v in y_pred.tolist()], dtype=int), classes, pos_index)


def expected_cost_score(y_true, y_pred, *, cost_matrix=None, costs=None, classes=None, pos_label=None,
                        sample_weight=None):
    """Mean cost of the predictions, from a cost matrix or from per-row costs.

    The cost of a row is ``cost[truth, prediction]``; the metric is the
    (weighted) mean over rows, the empirical risk under a cost matrix of
    C. Elkan, "The foundations of cost-sensitive learning", *IJCAI* 2001,
    eq. 1; per-row costs (example-dependent costs, as in A. Correa Bahnsen,
    D. Aouada and B. Ottersten, "Example-dependent cost-sensitive decision
    trees", *Expert Systems with Applications* 42(19), 2015, eq. 3) replace
    the shared matrix by one matrix per row. Lower is better.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        True and predicted labels.
    cost_matrix : array-like of shape (2, 2) or (K, K), default=None
        For a binary problem ``[[TN, FP], [FN, TP]]``: the costs of a true
        negative, a false positive, a false negative and a true positive
        (rows the truth, negative first; columns the prediction), the layout
        of :func:`sklearn.metrics.confusion_matrix`. For K classes, rows and
        columns follow ``classes``. A gain is a negative cost.
    costs : array-like of shape (n, 4), (n, 2, 2) or (n, K, K), default=None
        Per-row costs instead of ``cost_matrix``: for a binary problem one
        row ``[TN, FP, FN, TP]`` (or one ``[[TN, FP], [FN, TP]]``) per row.
    classes : array-like, default=None
        The classes, sorted (default: those of ``y_true`` and ``y_pred``).
    pos_label : label, default=None
        The positive class of a binary problem (default: the greater one).
    sample_weight : array-like of shape (n,), default=None

    Returns
    -------
    cost : float

    Examples
    --------
    >>> from sklearn_surrogate._operating_metrics import expected_cost_score
    >>> # a missed fraud costs 10, a needless check 1
    >>> expected_cost_score([0, 0, 1, 1], [0, 1, 1, 0], cost_matrix=[[0, 1], [10, 0]])
    2.75
    >>> expected_cost_score([0, 1], [1, 1], costs=[[0, 1, 10, 0], [0, 1, 250, -5]])
    -2.0
    """
    y_idx, pred_idx, classes, pos_index = _labels_to_indices(y_true, y_pred, classes, pos_label)
    cost = _cost_array(cost_matrix, costs, classes, pos_index, len(y_idx))
    return mean_cost(y_idx, np.eye(len(classes))[pred_idx], cost, sample_weight)


def expected_profit_score(y_true, y_pred, *, cost_matrix=None, costs=None, classes=None, pos_label=None,
                          sample_weight=None):
    """Mean profit of the predictions: :func:`expected_cost_score` negated. Higher is better.

    Takes the same costs (a profit is a negative cost), so that a model that
    makes money reads as a positive number.

    Examples
    --------
    >>> from sklearn_surrogate._operating_metrics import expected_profit_score
    >>> # a caught fraud saves 9 after a check costing 1; a needless check costs 1
    >>> expected_profit_score([0, 0, 1, 1], [0, 1, 1, 0], cost_matrix=[[0, 1], [0, -9]])
    2.0
    """
    return -expected_cost_score(y_true, y_pred, cost_matrix=cost_matrix, costs=costs, classes=classes,
                                pos_label=pos_label, sample_weight=sample_weight)
