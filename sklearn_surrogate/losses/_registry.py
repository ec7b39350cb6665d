"""Registry of named surrogate losses: ``get_loss``, ``get_loss_names``, ``register_loss``."""

import inspect

from torch import nn

__all__ = ["get_loss", "get_loss_names", "register_loss"]

# name -> (loss class or factory, default keyword arguments)
_LOSSES = {}


def register_loss(name, cls, *, overwrite=False, **defaults):
    """Register a loss under ``name`` so estimators accept ``loss=name``.

    Parameters
    ----------
    name : str
        The registered name.
    cls : type or callable
        A :class:`torch.nn.Module` subclass (ideally a
        :class:`~sklearn_surrogate.losses.SurrogateLoss`), or a callable that
        returns a module instance from keyword arguments.
    overwrite : bool, default=False
        Allow replacing an existing registration.
    **defaults
        Default keyword arguments bound to this name (for example
        ``register_loss("f2", FBetaLoss, beta=2.0)``); explicit arguments
        to :func:`get_loss` override them.

    Returns
    -------
    cls : type or callable
        ``cls`` unchanged.

    Raises
    ------
    ValueError
        If ``name`` is taken and ``overwrite`` is False.

    Examples
    --------
    >>> from sklearn_surrogate import SurrogateClassifier, get_loss, register_loss
    >>> from sklearn_surrogate.losses import FBetaLoss
    >>> register_loss("my_f2", FBetaLoss, beta=2.0) is FBetaLoss
    True
    >>> get_loss("my_f2")
    FBetaLoss(L=73.0, average='auto', beta=2.0, eps=1e-06, pos_label=None)
    >>> get_loss("my_f2", beta=3.0).beta
    3.0
    >>> clf = SurrogateClassifier(loss="my_f2")  # estimators accept the new name
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"A loss name must be a non-empty string, got {name!r}.")
    if not callable(cls):
        raise TypeError(f"register_loss expects a loss class or factory, got {type(cls).__name__}.")
    if name in _LOSSES and not overwrite:
        raise ValueError(f"A loss named {name!r} is already registered; pass overwrite=True to replace it.")
    _LOSSES[name] = (cls, dict(defaults))
    return cls


def get_loss_names():
    """Names of all registered losses, sorted.

    Returns
    -------
    names : list of str
        A new list on each call.

    Examples
    --------
    >>> from sklearn_surrogate import get_loss_names
    >>> names = get_loss_names()
    >>> "f1" in names and "cross_entropy" in names
    True
    >>> [name for name in names if name.startswith("auc_")]
    ['auc_exp', 'auc_logistic', 'auc_margin', 'auc_square', 'auc_squared_hinge']
    """
    return sorted(_LOSSES)


def get_loss(name, **params):
    """Build the registered loss ``name`` with hyper-parameters ``params``.

    Parameters
    ----------
    name : str
        A name from :func:`get_loss_names`.
    **params
        Hyper-parameters of the loss (for example ``beta=2.0``).

    Returns
    -------
    loss : torch.nn.Module
        A new instance (a :class:`~sklearn_surrogate.losses.SurrogateLoss`
        for the built-in names).

    Raises
    ------
    ValueError
        For an unknown name, or a keyword the loss does not take.

    Examples
    --------
    >>> from sklearn_surrogate.losses import get_loss
    >>> get_loss("fbeta", beta=2.0)
    FBetaLoss(L=73.0, average='auto', beta=2.0, eps=1e-06, pos_label=None)
    >>> get_loss("f1")  # a name can bind defaults: "f1" is F-beta with beta=1
    FBetaLoss(L=73.0, average='auto', beta=1.0, eps=1e-06, pos_label=None)
    """
    if name not in _LOSSES:
        raise ValueError(f"Unknown loss {name!r}. Registered losses: {', '.join(get_loss_names())}.")
    cls, defaults = _LOSSES[name]
    kwargs = {**defaults, **params}
    _check_params(name, cls, kwargs)
    loss = cls(**kwargs)
    if not isinstance(loss, nn.Module):
        raise TypeError(f"The factory registered as {name!r} returned {type(loss).__name__}, not a torch.nn.Module.")
    return loss


def _check_params(name, cls, kwargs):
    """Raise a ValueError naming the bad keyword instead of Python's TypeError."""
    target = cls.__init__ if inspect.isclass(cls) else cls
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):  # builtins without a signature
        return
    parameters = signature.parameters
    if any(p.kind == p.VAR_KEYWORD for p in parameters.values()):
        return
    valid = sorted(n for n, p in parameters.items() if n != "self" and p.kind != p.VAR_POSITIONAL)
    unknown = sorted(set(kwargs) - set(valid))
    if unknown:
        raise ValueError(
            f"Invalid parameter(s) {', '.join(map(repr, unknown))} for loss {name!r}. "
            f"Valid parameters are: {', '.join(map(repr, valid)) or 'none'}."
        )
