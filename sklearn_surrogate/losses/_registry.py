"""Registry of named surrogate losses: ``get_loss``, ``get_loss_names``, ``register_loss``, ``resolve_loss``.

Packages that build on the losses register theirs from their own
``__init__`` (the learned surrogates: ``reloss`` and ``reloss_<metric>``, from
:mod:`sklearn_surrogate.learned`). So that ``import sklearn_surrogate.losses``
does not load them, they are listed in ``_PLUGINS`` and imported on the first
look-up of the registry (:func:`get_loss`, :func:`get_loss_names`,
:func:`register_loss`, :func:`resolve_loss`), never at import time.
"""

import copy
import importlib
import inspect
import threading

from sklearn.utils._param_validation import validate_params
from torch import nn

from ._base import SurrogateLoss
from ._foreign import ForeignLoss

__all__ = ["get_loss", "get_loss_names", "register_loss", "resolve_loss"]

# name -> (loss class or factory, default keyword arguments, base name or None)
_LOSSES = {}

# modules that register losses when imported, loaded on the registry's first look-up
_PLUGINS = ("sklearn_surrogate.learned",)
_plugins_loaded = False
# held while the plugins import: other threads wait for a complete registry; re-entrant, so that the
# plugins' own register_loss calls (same thread) go through
_PLUGINS_LOCK = threading.RLock()
_loading = False


def _load_plugins():
    """Import the modules of ``_PLUGINS`` once (they call :func:`register_loss`); safe from several threads."""
    global _plugins_loaded, _loading
    if _plugins_loaded:
        return
    with _PLUGINS_LOCK:
        if _plugins_loaded or _loading:  # done meanwhile, or a plugin registering (this thread)
            return
        _loading = True
        try:
            for module in _PLUGINS:
                importlib.import_module(module)
            _plugins_loaded = True  # only once every plugin has registered
        finally:
            _loading = False


def _register(name, cls, defaults, base=None, overwrite=False):
    if not isinstance(name, str) or not name:
        raise TypeError(f"A loss name must be a non-empty string, got {name!r}.")
    if not callable(cls):
        raise TypeError(f"register_loss expects a loss class or factory, got {type(cls).__name__}.")
    if name in _LOSSES and not overwrite:
        raise ValueError(f"A loss named {name!r} is already registered; pass overwrite=True to replace it.")
    _LOSSES[name] = (cls, dict(defaults), base)
    return cls


def register_variant(name, base, **defaults):
    """Register ``name`` as the registered loss ``base`` with more bound defaults.

    A variant builds the same class as ``base``; estimator parameters can
    spell it either way (:func:`estimator_params`). For example the learned
    package registers ``reloss_f1`` as ``reloss`` with ``metric="f1"``.

    Parameters
    ----------
    name : str
        The new name.
    base : str
        A registered name.
    **defaults
        Defaults added to (and overriding) those of ``base``.

    Returns
    -------
    name : str
    """
    cls, base_defaults, _ = _LOSSES[base]
    _register(name, cls, {**base_defaults, **defaults}, base=base)
    return name


def estimator_params(name):
    """Estimator parameters that select the registered loss ``name``.

    A variant (:func:`register_variant`) is spelled as its base name and
    ``loss__*`` parameters, so ``reloss_f1`` gives
    ``{"loss": "reloss", "loss__metric": "f1"}``; any other name gives
    ``{"loss": name}``.

    Parameters
    ----------
    name : str
        A registered name.

    Returns
    -------
    params : dict

    Examples
    --------
    >>> from sklearn_surrogate.losses._registry import estimator_params
    >>> estimator_params("reloss_roc_auc")
    {'loss': 'reloss', 'loss__metric': 'roc_auc'}
    >>> estimator_params("f1")
    {'loss': 'f1'}
    """
    _load_plugins()
    _check_name(name)
    _, defaults, base = _LOSSES[name]
    if base is None:
        return {"loss": name}
    base_defaults = _LOSSES[base][1]
    extra = {key: value for key, value in defaults.items() if key not in base_defaults or base_defaults[key] != value}
    return {"loss": base, **{f"loss__{key}": value for key, value in extra.items()}}


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
    _load_plugins()  # a user's name must not take one that a plugin registers later
    return _register(name, cls, defaults, overwrite=overwrite)


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
    _load_plugins()
    return sorted(_LOSSES)


def base_loss_names():
    """Registered names that are not variants (:func:`register_variant`), sorted.

    ``reloss_f1`` is ``reloss`` with ``metric="f1"``: tests that run over
    every loss run over these names, so that each class and default is run
    once.

    Returns
    -------
    names : list of str
    """
    _load_plugins()
    return sorted(name for name, entry in _LOSSES.items() if entry[2] is None)


def _check_name(name):
    if not isinstance(name, str) or name not in _LOSSES:
        raise ValueError(f"Unknown loss {name!r}. Registered losses: {', '.join(sorted(_LOSSES))}.")


@validate_params({"name": [str]}, prefer_skip_nested_validation=True)
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
    _load_plugins()
    _check_name(name)
    cls, defaults, _ = _LOSSES[name]
    kwargs = {**defaults, **params}
    _check_params(name, cls, kwargs)
    loss = cls(**kwargs)
    if not isinstance(loss, nn.Module):
        raise TypeError(f"The factory registered as {name!r} returned {type(loss).__name__}, not a torch.nn.Module.")
    return loss


def resolve_loss(loss, params=None, *, n_classes=None, classes=None, sample_weighted=False, check_input=True):
    """Turn what an estimator's ``loss`` parameter may be into a ready :class:`SurrogateLoss`.

    Parameters
    ----------
    loss : str, type, torch.nn.Module or scorer
        A registered name (built by :func:`get_loss` with ``params``); a
        :class:`torch.nn.Module` subclass (built with ``params``); a module
        instance (deep-copied, then ``params`` set on the copy); or a scorer,
        any object with a ``surrogate_loss(**params)`` method (such as a
        :class:`~sklearn_surrogate.SurrogateScorer`). A module that is not a
        :class:`SurrogateLoss` (a plain torch loss such as
        :class:`torch.nn.BCEWithLogitsLoss`) is wrapped so that it is called
        as ``loss(logits, targets)``.
    params : dict, default=None
        Hyper-parameters of the loss (an estimator's ``loss__*`` parameters
        without their prefix).
    n_classes : int, default=None
        Number of classes of the problem; when given, a loss that cannot
        handle it raises here.
    classes : array-like of shape (n_classes,), default=None
        The sorted class labels; when given they are passed to
        :meth:`SurrogateLoss.set_classes` (which resolves a ``pos_label``).
    sample_weighted : bool, default=False
        Whether training passes sample weights; a wrapped torch loss whose
        ``forward`` takes no ``sample_weight`` then raises.
    check_input : bool, default=True
        The loss's :attr:`~SurrogateLoss.check_input` (an estimator that has
        validated its data switches the per-batch checks off).

    Returns
    -------
    loss : SurrogateLoss
        A new instance; ``loss`` itself is never modified.

    Raises
    ------
    ValueError
        An unknown name, an invalid parameter, a loss that does not handle
        ``n_classes`` classes or sample weights, a ``pos_label`` that is not
        one of ``classes``.
    TypeError
        A class that is not a :class:`torch.nn.Module` subclass, or an object
        that is none of the above.

    Examples
    --------
    >>> import torch
    >>> from sklearn_surrogate.losses import FBetaLoss, resolve_loss
    >>> resolve_loss("f1", {"beta": 2.0})
    FBetaLoss(L=73.0, average='auto', beta=2.0, eps=1e-06, pos_label=None)
    >>> resolve_loss(FBetaLoss(), {"L": 20.0}, classes=[0, 1])
    FBetaLoss(L=20.0, average='auto', beta=1.0, eps=1e-06, pos_label=None)
    >>> type(resolve_loss(torch.nn.BCEWithLogitsLoss())).__name__
    'ForeignLoss'
    """
    params = {} if params is None else dict(params)
    _load_plugins()
    if isinstance(loss, str):
        _check_name(loss)
        resolved = get_loss(loss, **params)
    elif isinstance(loss, type):
        if not issubclass(loss, nn.Module):
            raise TypeError(f"loss class {loss.__name__} is not a torch.nn.Module subclass.")
        resolved = loss(**params)
    elif isinstance(loss, nn.Module):
        resolved = copy.deepcopy(loss)
        for key, value in params.items():
            if isinstance(resolved, SurrogateLoss):
                resolved.set_params(**{key: value})
            elif hasattr(resolved, key):
                setattr(resolved, key, value)
            else:
                raise ValueError(f"Invalid parameter loss__{key} for loss {type(resolved).__name__}.")
    elif callable(getattr(loss, "surrogate_loss", None)):  # a scorer builds the loss of its metric
        resolved = loss.surrogate_loss(**params)
    else:
        raise TypeError(
            f"loss must be a registered name, a loss class, a torch.nn.Module or a scorer, got {type(loss).__name__}."
        )
    if not isinstance(resolved, SurrogateLoss):
        resolved = ForeignLoss(resolved)
    if sample_weighted and isinstance(resolved, ForeignLoss) and not resolved.accepts_sample_weight:
        raise ValueError(
            f"The loss {type(resolved.loss).__name__} does not accept sample weights; drop sample_weight and "
            "class_weight or use a loss from sklearn_surrogate.losses."
        )
    name = type(resolved).__name__
    if n_classes is not None and n_classes > 2 and not resolved.supports_multiclass:
        raise ValueError(f"The loss {name} supports binary problems only, but y has {n_classes} classes.")
    if n_classes == 2 and not resolved.supports_binary:
        raise ValueError(f"The loss {name} needs at least 3 classes, but y has 2 (a binary problem).")
    resolved.check_input = check_input
    if classes is not None:
        resolved.set_classes(classes)  # resolves a pos_label (a class label) into its index
    return resolved


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
