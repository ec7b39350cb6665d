"""The user's skorch callbacks inside :class:`~sklearn_surrogate.SurrogateClassifier`, and its log.

:func:`prepare_user_callbacks` copies the callbacks a user passes, checks
that they can work in this fit (data they read exists, files go where the
user said) and gives string scorers of binary metrics the positive class the
estimator uses (``classes_[1]``). :class:`PlainPrintLog` is skorch's
per-epoch table without colour codes when the output is not a terminal.
"""

import copy
import os
import re
import sys

from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    f1_score,
    jaccard_score,
    make_scorer,
    precision_score,
    recall_score,
)
from skorch.callbacks import Callback, PassthroughScoring, PrintLog
from skorch.callbacks.scoring import ScoringBase

__all__ = ["PlainPrintLog", "prepare_user_callbacks"]

# scikit-learn's string scorers whose metric takes a positive label (1 by default); for a binary problem
# the estimator's positive class is classes_[1], whatever the labels are
_POSITIVE_LABEL_SCORERS = {
    "f1": (f1_score, "predict", True),
    "precision": (precision_score, "predict", True),
    "recall": (recall_score, "predict", True),
    "jaccard": (jaccard_score, "predict", True),
    "average_precision": (average_precision_score, ("decision_function", "predict_proba"), True),
    "neg_brier_score": (brier_score_loss, "predict_proba", False),
}

_ANSI_CODE = re.compile(r"\x1b\[[0-9;]*m")


class PlainPrintLog(PrintLog):
    """skorch's ``PrintLog`` that colours the best values only when printing to a terminal.

    skorch marks each epoch's best scores with ANSI colour codes, which end up
    as escape sequences in a log file. With the default sink (``print``) the
    table keeps its colours only while ``sys.stdout`` is a terminal (checked
    at each epoch, so a redirection made after construction counts); with any
    other sink, colours are dropped.
    """

    def table(self, row):
        text = super().table(row)
        return text if self._colours() else _ANSI_CODE.sub("", text)

    def _colours(self):
        if self.sink is not print:
            return False
        isatty = getattr(sys.stdout, "isatty", None)
        try:
            return bool(isatty()) if callable(isatty) else False
        except ValueError:  # a closed stream
            return False


def prepare_user_callbacks(callbacks, classes, validation, no_validation_reason=""):
    """``(name, callback)`` pairs of the user's callbacks, copied and checked for this fit.

    Parameters
    ----------
    callbacks : list, tuple or None
        Callbacks (instances or classes) or ``(name, callback)`` tuples.
    classes : ndarray
        The estimator's ``classes_``.
    validation : bool
        Whether this fit holds out a validation split.
    no_validation_reason : str
        Why it does not (for the error message).

    Returns
    -------
    pairs : list of (str, Callback)
        Deep copies of the instances (the user's objects are left as they
        were) and new instances of the classes.

    Raises
    ------
    TypeError
        For anything but a skorch callback, or a tuple whose name is not a string.
    ValueError
        For a callback that scores or monitors validation data in a fit
        without a validation split, and for a checkpoint that would write
        into the working directory without being told to (``dirname=''``).
    """
    pairs = []
    if _is_pair(callbacks):  # callbacks=("name", cb): one pair, where a sequence of callbacks or pairs is expected
        raise TypeError(
            f"callbacks must be a list or tuple of skorch callbacks (instances or classes) or (name, callback) "
            f"tuples; callbacks={callbacks!r} is a single (name, callback) pair: wrap it in a list, "
            f"callbacks=[{callbacks!r}]."
        )
    for i, entry in enumerate(callbacks or []):
        name, callback = entry if isinstance(entry, tuple) and len(entry) == 2 else (f"user_{i}", entry)
        is_callback = _is_callback(callback)
        if not is_callback or not isinstance(name, str):
            what = (
                f"{type(callback).__name__} is not a skorch callback" if not is_callback
                else f"its name is of type {type(name).__name__}, not str"
            )
            raise TypeError(
                "callbacks must be a list of skorch callbacks (instances or classes) or (name, callback) tuples "
                f"with a string name; callbacks[{i}] is {entry!r}: {what}."
            )
        # a class is instantiated with its defaults, as skorch would, so that it is checked like an instance
        callback = callback() if isinstance(callback, type) else copy.deepcopy(callback)
        _check_checkpoint_dirname(callback)
        _set_positive_label(callback, classes)
        pairs.append((name, callback))
    if not validation:
        _check_no_validation_needed(pairs, no_validation_reason)
    return pairs


def _is_callback(value):
    return isinstance(value, Callback) or (isinstance(value, type) and issubclass(value, Callback))


def _is_pair(value):
    return isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str) and _is_callback(value[1])


def _set_positive_label(callback, classes):
    """Make a string scorer of a binary metric (``"f1"``...) treat ``classes[1]`` as the positive class."""
    if not isinstance(callback, ScoringBase) or len(classes) != 2:
        return
    spec = _POSITIVE_LABEL_SCORERS.get(callback.scoring) if isinstance(callback.scoring, str) else None
    if spec is None:
        return
    metric, response_method, greater_is_better = spec
    if callback.name is None:
        callback.name = callback.scoring  # the history key the string would have given
    callback.scoring = make_scorer(
        metric, response_method=response_method, greater_is_better=greater_is_better, pos_label=classes[1]
    )


def _check_checkpoint_dirname(callback):
    """A callback with ``dirname=''`` and relative file names would write into the working directory."""
    if getattr(callback, "dirname", None) != "":
        return
    targets = [
        value for key, value in vars(callback).items()
        if key.startswith("f_") and isinstance(value, str) and value and not os.path.isabs(value)
    ]
    if targets:
        raise ValueError(
            f"{type(callback).__name__} would write {', '.join(repr(t) for t in targets)} into the current "
            "working directory (its dirname is ''). Pass dirname='some/folder' (dirname='.' to write into the "
            "working directory on purpose)."
        )


def _reads_validation(callback, valid_names):
    if isinstance(callback, (ScoringBase, PassthroughScoring)) and not callback.on_train:
        return "scores the validation data (on_train=False)"
    monitor = getattr(callback, "monitor", None)
    if isinstance(monitor, str):
        key = monitor[: -len("_best")] if monitor.endswith("_best") else monitor
        if key.startswith("valid_") or key in valid_names:
            return f"monitors {monitor!r}, a validation score"
    return None


def _check_no_validation_needed(pairs, reason):
    valid_names = {
        cb.name or getattr(cb, "scoring", None) for _, cb in pairs
        if isinstance(cb, (ScoringBase, PassthroughScoring)) and not cb.on_train
    }
    for name, callback in pairs:
        what = _reads_validation(callback, valid_names)
        if what:
            raise ValueError(
                f"The callback {name!r} ({type(callback).__name__}) {what}, but this fit holds out no validation "
                f"data{reason}. Set early_stopping=True (the validation split is validation_fraction of the "
                "training data), or have the callback read the training data (on_train=True, a train_* key)."
            )
