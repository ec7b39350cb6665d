"""Decision rules tuned for a metric: the binary threshold and multiclass class offsets.

A metric such as F1 or balanced accuracy scores hard predictions, so a
probabilistic classifier still needs a rule that turns scores into labels.
The Bayes-optimal rule for these metrics thresholds the probability (Koyejo
et al., 2014; Lipton et al., 2014) at a value that depends on the data, so
:class:`~sklearn_surrogate.SurrogateClassifier` with ``threshold="auto"``
picks it on held-out predictions made during the fit: out-of-fold logits of
its cross-fitted ensemble, or its validation split.

Binary problems
    :func:`tune_threshold` scans every cut of the sorted scores at once
    (cumulative sums of the weighted labels give the confusion matrix of
    every threshold) for the built-in confusion-matrix metrics; any other
    metric is evaluated on a grid of score quantiles.
Multiclass problems
    :func:`tune_class_offsets` adds one offset per class to the
    log-probabilities and improves them one class at a time (coordinate
    ascent on a grid): the multiclass form of a threshold, which macro F1
    and balanced accuracy need when classes are imbalanced.
"""

import numbers

import numpy as np

__all__ = ["best_threshold_score", "ranking_threshold", "tune_class_offsets", "tune_threshold"]

# binary metrics whose value at every threshold comes from one pass of cumulative sums
_FAST_METRICS = frozenset({"f1", "fbeta", "accuracy", "balanced_accuracy", "mcc", "gmean"})
_N_GRID = 64  # thresholds tried for other metrics (score quantiles)
_N_GRID_CONSTRAINED = 256  # for a constrained rate (TPR at FPR <= x, recall at precision >= x): the edge matters
_OFFSET_GRID = np.linspace(-4.0, 4.0, 33)  # class offsets tried, in log-probability units
_OFFSET_ROUNDS = 2


def _divide(num, den):
    out = np.zeros(np.broadcast(num, den).shape)
    np.divide(num, den, out=out, where=den > 0)
    return out


def _binary_values(metric, tp, fp, fn, tn, beta=1.0):
    """The metric at every cut, from arrays of confusion-matrix counts (positive = the scored class)."""
    pos, neg = tp + fn, fp + tn
    if metric in ("f1", "fbeta"):
        b2 = beta**2
        return _divide((1 + b2) * tp, (1 + b2) * tp + b2 * fn + fp)
    if metric == "accuracy":
        return _divide(tp + tn, pos + neg)
    tpr, tnr = _divide(tp, pos), _divide(tn, neg)
    if metric == "balanced_accuracy":
        return (tpr + tnr) / 2
    if metric == "gmean":
        return np.sqrt(tpr * tnr)
    # mcc
    den = np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return _divide(tp * tn - fp * fn, den)


def _fast_metric(scorer, n_classes):
    """The table name of a scorer's metric when the cumulative-sum path computes it exactly, else None."""
    metric = getattr(scorer, "metric", None)
    if callable(metric) or metric not in _FAST_METRICS or n_classes != 2 or getattr(scorer, "smooth", False):
        return None
    if metric in ("f1", "fbeta") and scorer.average not in ("auto", "binary"):
        return None  # macro/micro/weighted F1 of a binary problem: the generic path
    return metric


def _candidate_cuts(scores):
    """Cut points between consecutive distinct scores, plus one below and one above all of them."""
    unique = np.unique(scores)
    if unique.size == 1:
        return np.array([unique[0] - 1.0, unique[0] + 1.0])
    mids = (unique[:-1] + unique[1:]) / 2
    return np.concatenate([[unique[0] - 1.0], mids, [unique[-1] + 1.0]])


def _fast_curve(y_pos, scores, weights, metric, beta, positive_is_one):
    """Cuts (predict class 1 where ``score > cut``) and the metric at each, by cumulative sums."""
    order = np.argsort(-scores, kind="mergesort")
    s, yp, w = scores[order], y_pos[order], weights[order]
    # class-1 counts when the top i rows are predicted as class 1, at the last row of each run of ties
    last = np.r_[np.flatnonzero(np.diff(s) != 0), len(s) - 1]
    ones = np.r_[0.0, np.cumsum(w * yp)[last]]
    zeros = np.r_[0.0, np.cumsum(w * (1 - yp))[last]]
    total_one, total_zero = ones[-1], zeros[-1]
    tp1, fp1 = ones, zeros
    fn1, tn1 = total_one - tp1, total_zero - fp1
    if positive_is_one:
        values = _binary_values(metric, tp1, fp1, fn1, tn1, beta)
    else:  # the metric's positive class is class 0: its true positives are class 1's true negatives
        values = _binary_values(metric, tn1, fn1, fp1, tp1, beta)
    # predicting the top i rows as class 1 = cutting between the i-th and (i+1)-th distinct score
    unique_desc = s[last]
    above = np.r_[unique_desc[0] + 1.0, unique_desc]
    below = np.r_[unique_desc, unique_desc[-1] - 1.0]
    cuts = (above + below) / 2
    cuts[0], cuts[-1] = unique_desc[0] + 1.0, unique_desc[-1] - 1.0
    return cuts, values


def tune_threshold(y_true, logits, scorer, classes, sample_weight=None, costs=None):
    """The decision threshold on class 1's logit that maximises ``scorer`` on these predictions.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        True class indices, 0 or 1 (1 is ``classes[1]``).
    logits : ndarray of shape (n,)
        Class 1's logits (out-of-fold or validation predictions).
    scorer : SurrogateScorer
        The metric (its ``pos_label`` is honoured).
    classes : ndarray of shape (2,)
        The classifier's classes.
    sample_weight : array-like of shape (n,), default=None
    costs : ndarray of shape (n, 2, 2) or (n, 4), default=None
        Per-row costs, for a cost scorer (``"expected_cost"``) that takes them.

    Returns
    -------
    cut : float
        Predict ``classes[1]`` where the logit exceeds ``cut``.
    score : float
        The metric at that cut.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_surrogate import make_surrogate_scorer
    >>> from sklearn_surrogate._decision import tune_threshold
    >>> y = np.array([0, 0, 0, 1, 0, 1, 1])
    >>> logits = np.array([-3.0, -2.0, -1.5, -1.0, -0.5, 0.5, 2.0])
    >>> cut, score = tune_threshold(y, logits, make_surrogate_scorer("f1"), np.array([0, 1]))
    >>> float(cut), round(float(score), 3)
    (-1.25, 0.857)
    """
    y_true = np.asarray(y_true).astype(np.int64)
    logits = np.asarray(logits, dtype=np.float64)
    weights = np.ones(len(y_true)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    classes = np.asarray(classes)
    metric = _fast_metric(scorer, 2) if costs is None else None
    if metric is not None:
        pos_label = scorer.pos_label if scorer.pos_label is not None else classes[-1]
        positive_is_one = metric not in ("f1", "fbeta") or pos_label == classes[1]
        sign = getattr(scorer, "_sign", 1.0)
        cuts, values = _fast_curve(y_true, logits, weights, metric, scorer.beta, positive_is_one)
        best = _middle_of_best(values * sign)
        return float(cuts[best]), float(values[best] * sign)
    cuts = np.quantile(_candidate_cuts(logits), np.linspace(0, 1, _N_GRID))
    values = np.array([
        scorer.score_predictions(classes[y_true], classes[(logits > cut).astype(int)], classes, sample_weight,
                                 **({} if costs is None else {"costs": costs}))
        for cut in cuts
    ])
    best = _middle_of_best(values)
    return float(cuts[best]), float(values[best])


def ranking_threshold(y_true, logits, scorer, classes, sample_weight=None):
    """The decision threshold for a metric of scores: its operating point, or None where it has none.

    A metric of the ranking (``partial_auc``, ``average_precision``,
    ``roc_auc``) does not depend on a threshold: None. Two name an operating
    point, which ``predict`` then follows:

    - ``tpr_at_fpr`` and ``recall_at_precision``: the threshold that
      maximises their thresholded form (the TPR where the FPR stays within
      ``max_fpr``, the recall where the precision reaches
      ``min_precision``, else 0) on these predictions: the Neyman-Pearson
      rule, read off held-out rows;
    - ``precision_at_k``: the score above which the top ``k`` share of these
      rows lies (``k`` as a count is taken as a share of these rows), so that
      ``predict`` flags about that share of new rows.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        True class indices, 0 or 1.
    logits : ndarray of shape (n,)
        Class 1's logits (out-of-fold or validation predictions).
    scorer : SurrogateScorer
        A metric of scores.
    classes : ndarray of shape (2,)
        The classifier's classes.
    sample_weight : array-like of shape (n,), default=None

    Returns
    -------
    cut : float or None
        Predict ``classes[1]`` where the logit exceeds ``cut``; None: keep
        the default threshold.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_surrogate import make_surrogate_scorer
    >>> from sklearn_surrogate._decision import ranking_threshold
    >>> y = np.array([0] * 8 + [1] * 4)
    >>> logits = np.array([-4, -3, -2, -1, 0, 1, 2, 5, -0.5, 3, 4, 6], dtype=float)
    >>> cut = ranking_threshold(y, logits, make_surrogate_scorer("tpr_at_fpr", max_fpr=0.125), np.array([0, 1]))
    >>> int(((logits > cut) & (y == 0)).sum()), int(((logits > cut) & (y == 1)).sum())
    (1, 3)
    """
    metric = scorer.metric if isinstance(scorer.metric, str) else None
    logits = np.asarray(logits, dtype=np.float64)
    if metric == "precision_at_k":
        share = scorer.k / len(logits) if isinstance(scorer.k, numbers.Integral) else float(scorer.k)
        return float(np.quantile(logits, 1.0 - min(share, 1.0)))
    if metric is None or scorer._entry.thresholded is None:
        return None
    y_true = np.asarray(y_true).astype(np.int64)
    classes = np.asarray(classes)
    thresholded = scorer._score_func  # the metric of hard predictions, unsigned
    cuts = _candidate_cuts(logits)
    if cuts.size > _N_GRID_CONSTRAINED:
        cuts = np.unique(np.quantile(cuts, np.linspace(0, 1, _N_GRID_CONSTRAINED)))
    values = np.array([thresholded(classes[y_true], classes[(logits > cut).astype(int)], sample_weight=sample_weight)
                       for cut in cuts])
    return float(cuts[_middle_of_best(values)])


def _middle_of_best(values):
    """Index of the best value; among equal best values, the middle one (a margin on both sides)."""
    best = np.flatnonzero(values >= values.max() - 1e-12)
    return int(best[len(best) // 2])


def best_threshold_score(y_true, logits, scorer, classes, sample_weight=None, costs=None):
    """The metric at its best threshold (binary) or at the arg-max (multiclass): a checkpoint's score.

    Ranking metrics (ROC AUC, average precision), which no threshold changes,
    score the probabilities themselves.

    Parameters
    ----------
    y_true : ndarray of shape (n,)
        Class indices.
    logits : ndarray of shape (n,) or (n, K)
    scorer : SurrogateScorer
    classes : ndarray of shape (K,)
    sample_weight : ndarray of shape (n,), default=None
    costs : ndarray of shape (n, K, K) or None, default=None
        Per-row costs, for a cost scorer that takes them.

    Returns
    -------
    score : float
    """
    from ._net import logits_to_proba

    if getattr(scorer, "_kind", "label") == "label" and logits.ndim == 1:
        return tune_threshold(y_true, logits, scorer, classes, sample_weight, costs=costs)[1]
    extra = {} if costs is None else {"costs": costs}
    return float(scorer.score_proba(classes[y_true], logits_to_proba(logits), classes, sample_weight=sample_weight,
                                    **extra))


def tune_class_offsets(y_true, logits, scorer, classes, sample_weight=None, costs=None):
    """Per-class offsets added to the log-probabilities that maximise ``scorer`` (multiclass).

    The prediction becomes ``argmax(log_softmax(logits) + offsets)``. Starting
    from zero, each class's offset in turn takes the grid value that scores
    best with the others fixed; two rounds. An offset stays 0 unless it
    improves the metric.

    Parameters
    ----------
    y_true : ndarray of shape (n,)
        Class indices.
    logits : ndarray of shape (n, K)
    scorer : SurrogateScorer
    classes : ndarray of shape (K,)
    sample_weight : ndarray of shape (n,), default=None
    costs : ndarray of shape (n, K, K) or None, default=None
        Per-row costs, for a cost scorer that takes them.

    Returns
    -------
    offsets : ndarray of shape (K,)
    score : float
        The metric with these offsets.

    Examples
    --------
    A rare class that the arg-max never predicts gets predicted once the
    offsets move (here the other classes' go down):

    >>> import numpy as np
    >>> from sklearn_surrogate import make_surrogate_scorer
    >>> from sklearn_surrogate._decision import tune_class_offsets
    >>> y = np.array([0, 0, 0, 1, 1, 1, 2, 2])
    >>> logits = np.array([[2, 0, 0], [2, 0, 0], [2, 0, 1.5], [0, 2, 0], [0, 2, 0], [0, 2, 0],
    ...                    [2, 0, 1.6], [0, 2, 1.7]], dtype=float)
    >>> f1 = make_surrogate_scorer("f1")  # macro F1 on a multiclass problem
    >>> round(f1.score_predictions(y, logits.argmax(axis=1), np.arange(3)), 3)
    0.571
    >>> offsets, score = tune_class_offsets(y, logits, f1, np.arange(3))
    >>> score, bool(offsets[2] > max(offsets[0], offsets[1]))
    (1.0, True)
    """
    z = logits - logits.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    n_classes = logp.shape[1]
    weights = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    score_of = _multiclass_scorer(y_true, scorer, classes, weights, n_classes, costs)
    offsets = np.zeros(n_classes)
    best_score = score_of(np.argmax(logp, axis=1))
    for _ in range(_OFFSET_ROUNDS):
        improved = False
        for c in range(n_classes):
            others = np.delete(logp + offsets, c, axis=1)
            best_other = others.max(axis=1)
            other_class = np.argmax(others, axis=1)
            other_class += other_class >= c  # back to class indices
            for value in _OFFSET_GRID:
                score = score_of(np.where(logp[:, c] + value > best_other, c, other_class))
                if score > best_score + 1e-12:
                    best_score, offsets[c], improved = score, value, True
        if not improved:
            break
    return offsets, float(best_score)


def _multiclass_scorer(y_true, scorer, classes, weights, n_classes, costs=None):
    """A function of predicted class indices to the metric, by the confusion matrix where the table allows."""
    from ._metric_table import METRIC_TABLE

    metric = getattr(scorer, "metric", None)
    entry = METRIC_TABLE.get(metric) if isinstance(metric, str) else None
    if entry is not None and entry.smooth is not None and not scorer.smooth and costs is None:
        average = scorer._resolve_average(n_classes)
        w = np.ones(len(y_true)) if weights is None else weights
        sign = getattr(scorer, "_sign", 1.0)

        def score_of(pred):
            C = np.bincount(y_true * n_classes + pred, weights=w, minlength=n_classes**2).reshape(n_classes, -1)
            return sign * entry.smooth(C, average=average, pos_index=None, beta=scorer.beta)

        return score_of

    extra = {} if costs is None else {"costs": costs}

    def score_of(pred):
        return scorer.score_predictions(classes[y_true], classes[pred], classes, weights, **extra)

    return score_of
