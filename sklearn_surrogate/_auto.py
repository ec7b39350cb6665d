"""``loss="auto"``: the training loss chosen for the metric and the data.

:func:`choose_loss` is the rule that ``SurrogateClassifier(metric=...)``
follows, derived from ``benchmarks/auto_design.py`` (results in
``benchmarks/results/auto_design.csv``; summary in the user guide's
"Choosing a surrogate"). On 17 binary OpenML datasets of at most 5,404 rows
(3 folds, target F1, the cross-fitted ensemble with a tuned threshold), the
AUC-margin loss beat cross-entropy on 10, tied on 2 and lost on 5, and had
the better mean F1 (0.611 vs 0.605) and mean rank; leaving any one dataset
out does not change that choice. Larger binary data, multiclass problems
and ranking metrics were not measured with the ensemble yet: they keep
cross-entropy, the consistent choice for a tuned threshold on large data.
"""

import numpy as np

__all__ = ["choose_loss"]

# binary problems up to this many training rows train on AUC-margin (the largest measured set had 5,404 rows)
_SMALL_DATA_ROWS = 5_000


def choose_loss(scorer, class_counts):
    """The registered loss name ``loss="auto"`` trains with.

    Parameters
    ----------
    scorer : SurrogateScorer or None
        The estimator's ``metric`` (None: no metric named).
    class_counts : ndarray of int, shape (n_classes,)
        Training rows per class.

    Returns
    -------
    name : str
        ``"auc_margin"`` for a binary problem of at most 5,000 rows whose
        metric scores labels (F1, balanced accuracy, MCC...), else
        ``"cross_entropy"``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_surrogate import make_surrogate_scorer
    >>> from sklearn_surrogate._auto import choose_loss
    >>> choose_loss(None, np.array([900, 100]))
    'cross_entropy'
    >>> choose_loss(make_surrogate_scorer("f1"), np.array([900, 100]))
    'auc_margin'
    >>> choose_loss(make_surrogate_scorer("f1"), np.array([90_000, 10_000]))
    'cross_entropy'
    """
    counts = np.asarray(class_counts)
    if scorer is None or len(counts) != 2 or getattr(scorer, "_kind", "label") != "label":
        return "cross_entropy"
    return "auc_margin" if counts.sum() <= _SMALL_DATA_ROWS else "cross_entropy"
