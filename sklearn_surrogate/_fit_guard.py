"""One fit at a time per estimator object, and no prediction from other threads during it.

``fit`` and ``partial_fit`` set an estimator's fitted attributes one after the
other (``classes_`` first, ``net_`` at the end). Two fits of the same object
running at once in two threads would leave the attributes of one fit next to
those of the other: a model that predicts with the wrong labels or shapes,
without an error. So a fit registers the object here (by ``id``, in a
module-level table: the estimator itself holds no lock, so pickling, cloning
and copying it are unaffected) and a second fit, or a prediction, a pickle or
``set_params`` from another thread, is refused while the first runs.
"""

import contextlib
import os
import threading

__all__ = ["check_not_fitting", "exclusive_fit"]

# id(estimator) -> (process id, thread id) of the fit running on it
_FITTING = {}
_LOCK = threading.Lock()


def _owner(estimator):
    with _LOCK:
        owner = _FITTING.get(id(estimator))
    # a table copied into a forked child names the parent's threads: it does not apply there
    return owner if owner is not None and owner[0] == os.getpid() else None


@contextlib.contextmanager
def exclusive_fit(estimator, method="fit"):
    """Register ``estimator`` as fitting for the duration of the block; refuse a fit already running on it.

    Parameters
    ----------
    estimator : object
        The estimator being fitted.
    method : str, default="fit"
        The method called (named in the error).

    Raises
    ------
    RuntimeError
        When a ``fit`` or ``partial_fit`` of the same object is running, in
        another thread or further up this one (a callback fitting the
        estimator it belongs to).

    Examples
    --------
    >>> from sklearn_surrogate._fit_guard import exclusive_fit
    >>> class Model:
    ...     pass
    >>> model = Model()
    >>> with exclusive_fit(model):  # doctest: +ELLIPSIS
    ...     with exclusive_fit(model):
    ...         pass
    Traceback (most recent call last):
    ...
    RuntimeError: Model.fit was called while a fit of the same Model object is running in this thread ...
    """
    key = id(estimator)
    me = (os.getpid(), threading.get_ident())
    name = type(estimator).__name__
    with _LOCK:
        owner = _FITTING.get(key)
        if owner is not None and owner[0] == me[0]:
            where = "in this thread (a callback fitting its own estimator?)" if owner == me else "in another thread"
            raise RuntimeError(
                f"{name}.{method} was called while a fit of the same {name} object is running {where}. One "
                "object cannot be fitted twice at once (its fitted attributes would mix the two fits): fit a "
                "copy in each thread, sklearn.base.clone(estimator), or wait for the running fit to end."
            )
        _FITTING[key] = me
    try:
        yield
    finally:
        with _LOCK:
            if _FITTING.get(key) == me:
                del _FITTING[key]


def check_not_fitting(estimator, action="predict", reason=None):
    """Refuse ``action`` (a prediction, a pickle) on ``estimator`` while another thread fits it.

    The running fit replaces the fitted attributes one by one, so a
    prediction or a pickle in between could mix the old model and the new
    one. The fitting thread itself (a callback, for instance) is not refused.

    Parameters
    ----------
    estimator : object
        The estimator.
    action : str, default="predict"
        What is refused, as the error words it ("cannot <action> while ...").
    reason : str, default=None
        Why, as the error words it; None: the fitted attributes being replaced.

    Raises
    ------
    RuntimeError
        When a fit of ``estimator`` runs in another thread.
    """
    owner = _owner(estimator)
    if owner is not None and owner[1] != threading.get_ident():
        name = type(estimator).__name__
        if reason is None:
            reason = (
                "its fitted attributes are being replaced, so the result could mix the old model and the new one. "
                "Use a fitted copy (copy.deepcopy(estimator) before refitting), or wait for the fit to end."
            )
        raise RuntimeError(f"This {name} cannot {action} while another thread is fitting it: {reason}")
