"""Warnings of sklearn_surrogate (:mod:`sklearn_surrogate.exceptions`)."""

__all__ = ["DegenerateFitWarning", "InconsistentVersionWarning"]


class InconsistentVersionWarning(UserWarning):
    """An estimator is unpickled under another version of sklearn_surrogate than the one that pickled it.

    The counterpart of scikit-learn's
    :class:`sklearn.exceptions.InconsistentVersionWarning` for this package's
    own estimators: their state (parameters, the network record) may change
    between versions, so a model saved by one version and loaded by another
    may fail later or predict differently. Refit it, or load it with the
    version that saved it. Filter it like any warning class, e.g.
    ``warnings.simplefilter("error", InconsistentVersionWarning)`` to refuse
    such files.

    Parameters
    ----------
    estimator_name : str
        The estimator's class name.
    current_version : str
        The version of sklearn_surrogate loading the estimator.
    original_version : str
        The version that saved it; ``"unknown"`` for a file saved before
        versions were recorded.

    Attributes
    ----------
    estimator_name : str
        The estimator's class name.
    current_version : str
        The version of sklearn_surrogate loading the estimator.
    original_version : str
        The version that saved it, or ``"unknown"``.

    Examples
    --------
    >>> import pickle
    >>> import warnings
    >>> from sklearn_surrogate import SurrogateClassifier
    >>> from sklearn_surrogate.exceptions import InconsistentVersionWarning
    >>> state = SurrogateClassifier().__getstate__()
    >>> state["_sklearn_surrogate_version"] = "0.0.1"  # as if an older version had saved it
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     SurrogateClassifier.__new__(SurrogateClassifier).__setstate__(state)
    >>> warning = caught[0].message
    >>> type(warning).__name__, warning.original_version
    ('InconsistentVersionWarning', '0.0.1')
    """

    def __init__(self, estimator_name, current_version, original_version):
        # positional, and passed on as args: the warning pickles (joblib workers send it back)
        super().__init__(estimator_name, current_version, original_version)
        self.estimator_name = estimator_name
        self.current_version = current_version
        self.original_version = original_version

    def __str__(self):
        saved = (
            "an unknown version of sklearn_surrogate (saved before versions were recorded)"
            if self.original_version == "unknown"
            else f"sklearn_surrogate version {self.original_version}"
        )
        return (
            f"Trying to unpickle estimator {self.estimator_name} from {saved} when using version "
            f"{self.current_version}. This might lead to breaking code or invalid results. Use at your own risk: "
            "refit the model with this version, or load it with the version that saved it (once checked, "
            "saving it again records this version)."
        )


class DegenerateFitWarning(UserWarning):
    """A fit returned a degenerate model, and the estimator refitted it with its loss's fallback.

    Raised (as a warning) by :class:`~sklearn_surrogate.SurrogateClassifier`
    when its loss names a fallback (a learned surrogate falls back to its
    cross-entropy term) and the fitted network, on the rows it was fitted
    on, ranks them inverted (ROC AUC below 0.5), or predicts one class for
    99 % of them and scores the loss's target metric there below the best
    constant prediction (F1 0 where "all positive" scores more). The
    estimator then refits
    once with the fallback loss and records why in ``fallback_``; the model
    it returns is the fallback's. Filter it like any warning class, e.g.
    ``warnings.simplefilter("error", DegenerateFitWarning)`` to make such a
    fit fail instead.

    Examples
    --------
    >>> import warnings
    >>> from sklearn_surrogate.exceptions import DegenerateFitWarning
    >>> issubclass(DegenerateFitWarning, UserWarning)
    True
    """
