"""``BaseSurrogateEstimator``: what every estimator trained by a skorch net shares.

The base holds everything that is not about classes: the routed
``loss__*``/``module__*``/``optimizer__*`` parameters, building the network,
the optimizer and the net, the training tensors, the fit template (seeds,
early stopping, warm start, ``partial_fit``), the inference path and the
persistence hooks. A concrete estimator (:class:`SurrogateClassifier`; a
regressor would be another) adds its targets through a few hooks:

``_check_targets``
    validate and encode ``y``, return the encoded targets and the sample weights;
``_n_outputs``
    the number of network outputs;
``_make_loss`` / ``_setup_loss``
    build the fit's loss and size its state;
``_resolve_scorer``
    the metric of ``score`` and early stopping;
``_split``
    the early-stopping validation rows (a plain random split by default);
``_output_labels`` / ``_sampling_params``
    what the net needs to know about the targets (labels, batch sampling).
"""

import contextlib
import inspect
import numbers
import warnings
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import BaseEstimator
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import (
    Hidden,
    Interval,
    InvalidParameterError,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch.callbacks import EarlyStopping, EpochTimer, PassthroughScoring, ProgressBar
from skorch.helper import predefined_split
from torch import nn

from ._callbacks import PlainPrintLog, prepare_user_callbacks
from ._doc_link import DocLinkMixin
from ._ensemble import MLPEnsemble
from ._fit_guard import check_not_fitting, exclusive_fit
from ._inference import inference_forward
from ._modules import ACTIVATIONS, MLP, build_module, check_module_output, copy_module_instance
from ._net import EarlyStoppingOnScore, LossEpochHook, NonFiniteLossGuard, SurrogateNet, TensorDataset, ValidationScore
from ._persistence import net_record, restore_net
from ._torch_utils import (
    SparseRows,
    as_float_tensor,
    global_rng_state,
    resolve_device,
    seeded_global_rng,
    to_numpy,
    torch_threads,
)
from ._warm_start import continue_from
from .exceptions import InconsistentVersionWarning

__all__ = ["BaseSurrogateEstimator"]

_PARAM_PREFIXES = ("loss__", "module__", "optimizer__")
# the most values a densified prediction chunk of sparse X holds (128 MiB in float64)
_DENSE_CHUNK_VALUES = 2**24
# skorch's names renamed to scikit-learn's in 0.2 (the old ones warn until 0.3): old -> new
_RENAMED = {"max_epochs": "max_iter", "lr": "learning_rate_init"}
# the key of the pickled state that records the package version (see __getstate__)
_VERSION_KEY = "_sklearn_surrogate_version"
_OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "sgd": torch.optim.SGD,
    "rmsprop": torch.optim.RMSprop,
}


class _Shown:
    """Stands in for a parameter value that must satisfy no constraint, and shows as that value.

    A bool is an ``numbers.Integral`` (``True == 1``), so scikit-learn's
    ``Interval`` constraints would take ``batch_size=True`` as 1; where a
    parameter takes numbers but not booleans, its bool is replaced by this
    before validation, so it fails with scikit-learn's message quoting it.
    """

    def __init__(self, value):
        self.value = value

    def __repr__(self):
        return repr(self.value)


def _whole_positive(size):
    """Whether a hidden layer size is a positive whole number (an int, or a float such as 16.0; no bool)."""
    if isinstance(size, (bool, np.bool_)) or not isinstance(size, numbers.Real):
        return False
    return size >= 1 and (isinstance(size, numbers.Integral) or float(size).is_integer())


def _check_float32_range(X, predicting=False):
    """Raise if float64 ``X`` holds finite values that float32, the training dtype, cannot (they would be inf).

    Prediction refuses them too, although the CPU predicts in float64: a GPU
    (or a float32 ONNX graph) would see inf, and values the network cannot
    have been trained on give no meaningful prediction, so every path says
    the same thing.
    """
    values = X.data if sp.issparse(X) else X
    if values.dtype != np.float64 or values.size == 0:
        return
    largest = max(float(values.max()), -float(values.min()))  # two passes, no temporary copy of X
    limit = float(np.finfo(np.float32).max)
    if largest > limit:
        why = (
            "and the network was trained in float32 (it could not have seen such values)" if predicting
            else "and training runs in float32"
        )
        raise ValueError(
            f"Input X contains values beyond float32's range (largest magnitude {largest:.3g}; float32 holds up to "
            f"{limit:.3g}), {why}. Scale the features first (StandardScaler, or divide the large columns by a "
            "constant)."
        )


def _check_optimizer_params(optimizer_class, lr, params):
    """Build the optimizer once on a stand-in parameter, so that a bad ``optimizer__*`` value fails here, named.

    torch checks its optimizers' arguments when they are built (skorch builds
    them inside ``initialize``) and says nothing of where a value came from,
    e.g. ``optimizer__momentum="x"`` gives "'<' not supported between
    instances of 'str' and 'float'". The error is raised again, a ``TypeError``
    for torch's ``TypeError`` and a ``ValueError`` otherwise, naming the parameter: the first one
    that fails on its own, or all of them when only their combination does.
    """

    # skorch's per-group settings (optimizer__param_groups...) are left to skorch
    params = {name: value for name, value in params.items() if "param_groups" not in name}
    lr_name = "optimizer__lr" if "optimizer__lr" in params else "learning_rate_init"
    lr = params.pop("optimizer__lr", lr)

    def build(names):
        probe = torch.zeros(1, requires_grad=True)
        optimizer_class([probe], lr=lr, **{name[len("optimizer__") :]: params[name] for name in names})

    try:
        build(params)
    except (TypeError, ValueError, RuntimeError) as error:  # torch refuses some combinations with a RuntimeError
        culprits = []
        try:
            build([])  # the learning rate alone (optimizer__lr=nan must not be blamed on another parameter)
        except (TypeError, ValueError, RuntimeError):
            params, culprits = {lr_name: lr}, [lr_name]
        for name in [] if culprits else params:
            try:
                build([name])
            except (TypeError, ValueError, RuntimeError):
                culprits = [name]
                break
        culprits = culprits or list(params)
        given = ", ".join(f"{name}={params[name]!r}" for name in culprits) or f"{lr_name}={lr!r}"
        kind = TypeError if isinstance(error, TypeError) and not isinstance(error, ValueError) else ValueError
        raise kind(
            f"{optimizer_class.__name__} cannot be built with {given} ({type(error).__name__}: {error}). "
            f"Pass values that torch.optim.{optimizer_class.__name__} accepts."
        ) from error


def _check_compile_options(options):
    """Have ``torch.compile`` check the ``compile`` dict at the start of ``fit``, so that a bad key or value is named.

    ``torch.compile`` checks its arguments (an unknown ``mode``, a keyword it
    does not take) when it wraps a function, which the net does only at its
    first training batch, and its errors do not say where the values came
    from. Wrapping a stand-in function compiles nothing (compilation happens
    at the first call).
    """
    try:
        torch.compile(_identity, **{"dynamic": False, **options})
    except Exception as exc:  # noqa: BLE001  (TypeError for keywords, RuntimeError/ValueError for values)
        raise ValueError(
            f"compile={options!r} cannot be passed to torch.compile ({type(exc).__name__}: {exc}). Use keyword "
            "arguments that torch.compile accepts (mode, dynamic, fullgraph, backend, options), or compile=True."
        ) from exc


def _identity(x):
    return x


class _TrainingData(NamedTuple):
    """The tensors of one fit, made once on the training device, and the per-row costs for scoring.

    ``costs`` (float32, on the device) is what the loss trains on;
    ``costs_array`` (float64, on the host) is what the metric scores with.
    Both are None when ``fit`` got no ``costs``.
    """

    X: object
    y: torch.Tensor
    sample_weight: object
    costs: object = None
    costs_array: object = None


class BaseSurrogateEstimator(DocLinkMixin, BaseEstimator):
    """Base class of the estimators trained by a :class:`SurrogateNet`; not meant to be used directly.

    Subclasses define ``__init__`` with their full signature (scikit-learn
    reads the parameters from it), pass the shared parameters on to this
    ``__init__``, merge their constraints with
    ``{**BaseSurrogateEstimator._parameter_constraints, ...}`` and implement
    the hooks listed in the module docstring.
    """

    _parameter_constraints = {
        "loss": [str, type, nn.Module],
        "hidden_layer_sizes": ["array-like", Interval(numbers.Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "dropout": [Interval(numbers.Real, 0, 1, closed="left")],
        "module": [None, callable, nn.Module],
        "optimizer": [StrOptions(set(_OPTIMIZERS)), type],
        "learning_rate_init": [Interval(numbers.Real, 0, None, closed="neither")],
        "weight_decay": [Interval(numbers.Real, 0, None, closed="left")],
        "batch_size": [Interval(numbers.Integral, -1, None, closed="left")],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "early_stopping": [StrOptions({"auto"}), "boolean"],
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(numbers.Integral, 1, None, closed="left")],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        "device": [str, torch.device],
        "n_threads": [Interval(numbers.Integral, None, None, closed="neither"), None],
        "mixed_precision": [StrOptions({"bf16"}), None],
        "compile": ["boolean", dict],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        # any sequence but a string: a list or a tuple, like hidden_layer_sizes (not an iterator, which the
        # first fit would use up, leaving clones and refits without callbacks)
        "callbacks": [list, tuple, None],
        # the skorch names of max_iter and learning_rate_init, deprecated in 0.2 (removed in 0.3)
        "max_epochs": [Interval(numbers.Integral, 1, None, closed="left"), Hidden(StrOptions({"deprecated"}))],
        "lr": [Interval(numbers.Real, 0, None, closed="neither"), Hidden(StrOptions({"deprecated"}))],
    }

    #: dtype of the encoded targets on the device (class indices for a classifier)
    _target_dtype = torch.float32

    def __init__(
        self,
        loss,
        *,
        hidden_layer_sizes,
        activation,
        dropout,
        module,
        optimizer,
        learning_rate_init,
        weight_decay,
        batch_size,
        max_iter,
        early_stopping,
        validation_fraction,
        n_iter_no_change,
        tol,
        device,
        n_threads,
        mixed_precision,
        compile,
        warm_start,
        random_state,
        verbose,
        callbacks,
        max_epochs="deprecated",
        lr="deprecated",
        **kwargs,
    ):
        self.loss = loss
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.dropout = dropout
        self.module = module
        self.optimizer = optimizer
        self.learning_rate_init = learning_rate_init
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.device = device
        self.n_threads = n_threads
        self.mixed_precision = mixed_precision
        self.compile = compile
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks
        self.max_epochs = max_epochs
        self.lr = lr
        # Routed sub-parameters (loss__beta, module__width, optimizer__momentum...) are
        # stored as they come; like every parameter they are validated in `fit`.
        for key, value in kwargs.items():
            setattr(self, key, value)

    # -- parameter validation --------------------------------------------
    def _validate_params(self):
        """scikit-learn's parameter validation, where a bool is not a number and layer sizes are whole numbers.

        Called by scikit-learn's ``_fit_context`` at the start of ``fit`` and
        ``partial_fit``. Numpy scalars pass wherever Python numbers do.
        """
        values = {}
        for name, value in self.get_params(deep=False).items():
            allowed = self._parameter_constraints.get(name, ())
            takes_bool = any(c is bool or c in ("boolean", "verbose") for c in allowed)
            if isinstance(value, (bool, np.bool_)) and not takes_bool:
                value = _Shown(value)  # batch_size=True must not pass as 1
            values[name] = value
        validate_parameter_constraints(self._parameter_constraints, values, caller_name=type(self).__name__)
        hidden = self.hidden_layer_sizes
        if not isinstance(hidden, str):
            try:
                sizes = [hidden] if np.ndim(hidden) == 0 else list(hidden) if np.ndim(hidden) == 1 else None
            except ValueError:  # a ragged nesting
                sizes = None
            if sizes is None or not all(_whole_positive(size) for size in sizes):
                raise InvalidParameterError(
                    f"The 'hidden_layer_sizes' parameter of {type(self).__name__} must be 'auto', a positive int or "
                    f"a sequence of positive ints (one per hidden layer). Got {hidden!r} instead."
                )

    # -- the hooks a concrete estimator implements ------------------------
    def _check_targets(self, X, y, sample_weight, *, continuing, incremental, **options):
        """Validate and encode ``y`` (setting fitted target attributes); return ``(y_encoded, weights)``."""
        raise NotImplementedError

    def _check_costs(self, X, costs):
        """Validate per-row ``costs`` for the fitted targets; return them as a float64 array, or None (hook).

        The base has no targets to lay costs out against: it refuses them.
        """
        if costs is None:
            return None
        raise ValueError(f"{type(self).__name__} takes no per-row costs.")

    def _n_outputs(self):
        """Number of network outputs for the fitted targets."""
        raise NotImplementedError

    def _make_loss(self, sample_weighted):
        """A fresh loss module for this fit, from ``loss`` and the ``loss__*`` parameters."""
        raise NotImplementedError

    def _setup_loss(self, loss, n_samples):
        """Size the loss's state for the fitted targets and ``n_samples`` training rows."""
        raise NotImplementedError

    def _resolve_scorer(self, loss):
        """The scorer of ``score`` and early stopping."""
        raise NotImplementedError

    def _output_labels(self):
        """The labels the network's outputs stand for (a classifier's ``classes_``), or None."""
        return None

    def _sampling_params(self, loss):
        """Keyword arguments of :class:`SurrogateNet` that say how batches are sampled."""
        return {}

    def _split(self, y_encoded, early_stopping, seed):
        """Training and validation rows (``None, None`` without early stopping); a random split here."""
        if not early_stopping:
            return None, None
        rows = np.arange(len(y_encoded))
        return train_test_split(rows, test_size=self.validation_fraction, random_state=seed)

    # -- parameters: routed sub-parameters ------------------------------
    def _hidden_layer_sizes(self):
        """``hidden_layer_sizes``, with "auto" resolved (hook: (100,) here)."""
        return (100,) if isinstance(self.hidden_layer_sizes, str) else self.hidden_layer_sizes

    def _n_members(self):
        """Members of the default network: 1 (an :class:`MLP`) or more (an :class:`MLPEnsemble`) (hook)."""
        return 1

    def _ensemble_options(self):
        """Keyword arguments of the ensemble network beyond its shape (``n_bins``, ``learn_scale``; hook).

        Empty here: :class:`MLPEnsemble`'s defaults.
        """
        return {}

    def _early_stopping_enabled(self, n_samples):
        """Whether ``fit`` holds out a validation split for early stopping (``early_stopping``; "auto": > 10,000 rows)."""
        return self.early_stopping is True or (self.early_stopping == "auto" and n_samples > 10_000)

    def _prepare_loss(self, loss, y_encoded, seed):
        """Give the fit's loss what it needs to know about the training rows (hook; nothing by default)."""

    def _monitor_callbacks(self, data, y, weights):
        """Callbacks that score each epoch without a validation split (hook; none by default).

        ``data`` is the fit's :class:`_TrainingData` (``data.costs_array``: the
        rows' costs, or None).

        Returns a list of ``(name, callback)``; a callback recording
        ``valid_score`` in the history drives early stopping, which is then
        added after it.
        """
        return []

    def _after_training(self, data, y_encoded, weights, valid_rows, incremental=False):
        """Set what the fitted model needs beyond the network (hook; nothing by default)."""

    @staticmethod
    def _metric_costs(scorer, data, rows=None):
        """The per-row costs ``scorer`` scores ``rows`` (None: all) with during the fit.

        The fit's costs for a cost metric without a ``cost_matrix`` of its
        own; None for any other scorer (a cost matrix the user gave the
        scorer is what it scores). Such a metric without the fit's costs has
        nothing to score: a ValueError saying what to pass.
        """
        if not getattr(scorer, "_takes_costs", False) or scorer.cost_matrix is not None:
            return None
        costs = None if data is None else data.costs_array
        if costs is None:
            raise ValueError(
                f"{scorer!r} has no cost_matrix, and this fit scores it on held-out rows (early stopping, the "
                "decision threshold): pass the per-row costs to fit (fit(X, y, costs=...)), or give the metric a "
                "cost_matrix (make_surrogate_scorer('expected_cost', cost_matrix=[[TN, FP], [FN, TP]]))."
            )
        return costs if rows is None else costs[rows]

    def _costs_refused_message(self, loss):
        """The error for ``costs`` given to ``fit`` with a loss that does not take them (hook)."""
        name = type(getattr(loss, "base", loss)).__name__
        return (f"costs were passed to fit, but the loss {name} takes no per-example costs (only losses with "
                "takes_costs = True do); use loss='cost_sensitive'.")

    def _metric_weights(self, y, weights):
        """The row weights the metric is scored with on held-out rows (hook; the training weights by default)."""
        return weights

    def _extra_params(self):
        """Parameters stored from ``**kwargs`` (every public, non-fitted attribute beyond the signature)."""
        named = set(self._get_param_names())
        return {
            k: v for k, v in vars(self).items() if k not in named and not k.startswith("_") and not k.endswith("_")
        }

    def _routed_params(self, prefix):
        return {k: v for k, v in self._extra_params().items() if k.startswith(prefix)}

    def _check_extra_params(self):
        unknown = sorted(k for k in self._extra_params() if not k.startswith(_PARAM_PREFIXES))
        unknown = unknown or sorted(k for k in vars(self) if k in _PARAM_PREFIXES)  # loss__=1 given to __init__
        if unknown:
            raise ValueError(
                f"Invalid parameter {unknown[0]!r} for estimator {type(self).__name__}. Valid parameters are: "
                f"{sorted(self._get_param_names())} and parameters starting with {', '.join(_PARAM_PREFIXES)}."
            )

    def get_params(self, deep=True):
        """Get the parameters of this estimator.

        Besides the constructor's parameters, the result holds the routed
        ``loss__*``, ``module__*`` and ``optimizer__*`` parameters that were
        set, so :func:`~sklearn.base.clone` and grid searches keep them.

        Parameters
        ----------
        deep : bool, default=True
            If True, also return the parameters of contained sub-objects that
            are estimators.

        Returns
        -------
        params : dict
            Parameter names mapped to their values.
        """
        params = super().get_params(deep=deep)
        params.update(self._extra_params())
        return params

    def set_params(self, **params):
        """Set the parameters of this estimator.

        Accepts the constructor's parameters and routed ``loss__*``,
        ``module__*`` and ``optimizer__*`` parameters. As in scikit-learn,
        values are not validated here but at ``fit``, which also rejects
        unknown names. While another thread fits the estimator, its
        parameters cannot be changed (a ``RuntimeError``); a callback of the
        running fit may change them.

        Parameters
        ----------
        **params : dict
            Estimator parameters.

        Returns
        -------
        self : estimator instance
            The estimator.
        """
        check_not_fitting(
            self, "change its parameters",
            "the running fit reads them as it goes and records them with the model it builds, so the model would "
            "match neither the old parameters nor the new ones. Set them on a copy "
            "(sklearn.base.clone(estimator).set_params(...)), or wait for the fit to end.",
        )
        named = set(self._get_param_names())
        # Anything beyond the signature is stored and checked in `fit` (scikit-learn's rule that
        # set_params does not validate); `fit` names unknown parameters.
        extra = {k: v for k, v in params.items() if k not in named}
        for key in extra:
            if key.startswith("_") or key.endswith("_"):
                # stored, such a name would pass for a private or fitted attribute and never reach fit, clone or
                # get_params ("loss__" names no sub-parameter): refused now, in scikit-learn's wording
                raise ValueError(
                    f"Invalid parameter {key!r} for estimator {type(self).__name__}. Valid parameters are: "
                    f"{sorted(self._get_param_names())} and parameters starting with {', '.join(_PARAM_PREFIXES)} "
                    "followed by a name."
                )
        for key, value in extra.items():
            setattr(self, key, value)
        others = {k: v for k, v in params.items() if k not in extra}
        if others:
            super().set_params(**others)
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = True
        return tags

    def __sklearn_clone__(self):
        try:
            return super().__sklearn_clone__()
        except Exception:
            # clone deep-copies the parameters: say clearly when it was a module instance that could not be
            if isinstance(self.module, torch.nn.Module):
                copy_module_instance(self.module)  # raises the explanatory TypeError
            raise

    # -- renamed parameters ----------------------------------------------
    def _renamed(self, old, new):
        """The value of ``new``, or of its deprecated name ``old`` when that was set (with a FutureWarning)."""
        value = getattr(self, old, "deprecated")
        if isinstance(value, str) and value == "deprecated":
            return getattr(self, new)
        warnings.warn(
            f"`{old}` was renamed `{new}` in 0.2 (scikit-learn's name) and will be removed in 0.3; "
            f"use {new}={value!r}.",
            FutureWarning,
            stacklevel=4,
        )
        return value

    @staticmethod
    def _current_names(params):
        """``params`` (a dict of parameters) with the values of renamed parameters under their new names.

        Used where an estimator is restored rather than configured by a user
        (unpickling, rebuilding a saved net), so the rename does not warn
        there: pickles from before the rename hold ``max_epochs``/``lr``
        only, and a model fitted with the old names is rebuilt with their
        values under the new ones.
        """
        params = dict(params)
        for old, new in _RENAMED.items():
            value = params.get(old, "deprecated")
            if not (isinstance(value, str) and value == "deprecated"):
                params[new] = value
            elif new not in params:
                continue
            params[old] = "deprecated"
        return params

    def _max_iter(self):
        """``max_iter``, or the deprecated ``max_epochs`` when set."""
        return self._renamed("max_epochs", "max_iter")

    def _learning_rate(self):
        """``learning_rate_init``, or the deprecated ``lr`` when set."""
        return self._renamed("lr", "learning_rate_init")

    # -- fit ----------------------------------------------------------
    def _fit(self, X, y, sample_weight, *, incremental=False, costs=None, **target_options):
        """The fit template behind ``fit`` (``incremental=False``) and ``partial_fit`` (one epoch, continuing).

        ``target_options`` (a classifier's ``classes``) go to ``_check_targets``;
        ``costs`` (per-row cost matrices) to ``_check_costs``, then row by row
        to a loss that ``takes_costs`` and to a cost metric's scorer.

        One fit of an object runs at a time (a second, from another thread, is
        refused: see ``_fit_guard``). A fit that fails leaves the estimator as it
        was before the call, so its fitted attributes never mix two fits. A
        ``KeyboardInterrupt`` during training (Ctrl-C) is the exception: the
        interrupted model is kept, usable and marked ``interrupted_``, and the
        interrupt is raised again, so a model search or a loop around ``fit``
        stops too instead of going on with a truncated fit.
        """
        with exclusive_fit(self, "partial_fit" if incremental else "fit"):
            before = dict(self.__dict__)
            try:
                interruption = self._fit_once(X, y, sample_weight, incremental=incremental, costs=costs,
                                              **target_options)
            except BaseException:
                self.__dict__.clear()
                self.__dict__.update(before)
                raise
        if interruption is not None:
            raise interruption
        return self

    def _fit_once(self, X, y, sample_weight, *, incremental, costs=None, **target_options):
        """Train, and set the fitted attributes; return the ``KeyboardInterrupt`` that cut training short, if any."""
        self._check_extra_params()
        if self.batch_size == 0:
            raise ValueError("batch_size must be a positive integer or -1 (full batch), got 0.")
        if isinstance(self.compile, dict):
            _check_compile_options(self.compile)
        # warm start and partial_fit continue from the fitted network; a plain fit starts afresh
        previous = self.__dict__.get("net_") if (incremental or self.warm_start) else None
        X, y = self._validate_training_data(X, y, reset=previous is None)
        y_encoded, weights = self._check_targets(
            X, y, sample_weight, continuing=previous is not None, incremental=incremental, **target_options
        )
        costs = self._check_costs(X, costs)

        self.device_ = resolve_device(self.device)
        loss = self._make_loss(sample_weighted=weights is not None)
        self.loss_ = loss
        # setup validates the loss's hyper-parameters: before the scorer is derived from them, so that a bad
        # loss__beta is named by the loss (FBetaLoss), not by the scorer made from it
        self._setup_loss(loss, X.shape[0])
        if costs is not None and not getattr(loss, "takes_costs", False):
            raise ValueError(self._costs_refused_message(loss))
        self.scorer_ = self._resolve_scorer(loss)

        rng = check_random_state(self.random_state)
        seeds = rng.randint(0, 2**31 - 1, size=3)
        if incremental and previous is not None:
            # each partial_fit call draws fresh seeds (a new batch order), reproducibly from random_state
            seeds = np.random.SeedSequence([int(seeds[0]), int(self.n_iter_)]).generate_state(3) >> 1
        torch_seed, shuffle_seed, split_seed = (int(seed) for seed in seeds)
        early_stopping = not incremental and self._early_stopping_enabled(X.shape[0])
        train_rows, valid_rows = self._split(y_encoded, early_stopping, split_seed)

        self._prepare_loss(loss, y_encoded, split_seed)
        epochs = 1 if incremental else self._max_iter()
        devices = self._rng_devices()
        # the initialisation draws from torch's global generators, seeded: atomically, so that a fit in another
        # thread cannot reseed or draw in between; training continues from the generators' state after it
        data = self._tensors(X, y_encoded, weights, costs)
        with seeded_global_rng(torch_seed, devices) as initialised:
            module = self._build_module(X.shape[1], self._n_outputs())
            if previous is None and callable(getattr(module, "set_input_statistics", None)):
                module.set_input_statistics(X, random_state=split_seed)  # e.g. MLPEnsemble's robust scaling
            net = self._build_net(module, loss, shuffle_seed, y, weights, data, valid_rows, max_epochs=epochs)
            net.initialize()
            if previous is not None:
                continue_from(net, previous, keep_optimizer=incremental)
        with global_rng_state(initialised["states"], devices):
            interruption = None
            try:
                net.partial_fit(self._dataset(data, train_rows).labeled(self._output_labels()), None)
            except KeyboardInterrupt as exc:
                if not net.__dict__.get("_training_interrupted"):
                    raise  # not during the epochs (a second Ctrl-C, say): the fit fails as a whole
                interruption = exc  # the net ended training cleanly: keep the model, then raise it again
        self.net_ = net
        self._fit_build = {"params": self.get_params(deep=False), "n_samples": X.shape[0]}  # for __getstate__
        self._finish_fit(net, n_previous=self.n_iter_ if previous is not None else 0,
                         history=self.history_ if previous is not None else [], interrupted=interruption is not None)
        self._after_training(data, y_encoded, weights, valid_rows, incremental=incremental)
        return interruption

    def _validate_training_data(self, X, y, reset):
        """``validate_data`` for ``fit``; sparse ``X`` becomes CSR float32, without a copy when it already is."""
        if not sp.issparse(X):  # (a pandas frame of sparse columns comes back as CSR float64; see _tensors)
            X, y = validate_data(self, X, y, accept_sparse="csr", dtype=[np.float32, np.float64], reset=reset)
            _check_float32_range(X)
            return X, y
        # training runs in float32: convert the stored values once, here, not to float64 first; a float64
        # value beyond float32's range becomes inf, which the finiteness check then names
        with np.errstate(over="ignore"):
            return validate_data(self, X, y, accept_sparse="csr", dtype=np.float32, reset=reset)

    def _rng_devices(self):
        return [self.device_] if self.device_.type == "cuda" else []

    def _build_module(self, n_features, n_outputs):
        module_params = {k[len("module__") :]: v for k, v in self._routed_params("module__").items()}
        if self.module is None:
            if module_params:
                raise ValueError(f"module__* parameters {sorted(module_params)} need a custom `module`.")
            hidden = self._hidden_layer_sizes()
            sizes = tuple(int(s) for s in np.atleast_1d(hidden))
            if any(s < 1 for s in sizes):
                raise ValueError(f"hidden_layer_sizes must be positive integers, got {hidden!r}.")
            n_members = self._n_members()
            if n_members > 1:
                module = MLPEnsemble(n_features, n_outputs, n_members, sizes, self.activation, float(self.dropout),
                                     **self._ensemble_options())
            else:
                module = MLP(n_features, n_outputs, sizes, self.activation, float(self.dropout))
        else:
            module = build_module(self.module, n_features, n_outputs, module_params)
        module = module.to(self.device_)
        check_module_output(module, n_features, n_outputs, self.device_)
        return module

    def _optimizer_class(self):
        if isinstance(self.optimizer, str):
            return _OPTIMIZERS[self.optimizer]
        if not (isinstance(self.optimizer, type) and issubclass(self.optimizer, torch.optim.Optimizer)):
            raise TypeError(f"optimizer must be a name or a torch.optim.Optimizer subclass, got {self.optimizer!r}.")
        return self.optimizer

    def _tensors(self, X, y_encoded, weights, costs=None):
        """Features, targets, weights and costs as tensors on the training device, each made once.

        On the CPU a float32 array is shared with the tensor, not copied. A
        sparse ``X`` stays a CSR matrix on the CPU (:class:`SparseRows`),
        densified one batch at a time. Returns a :class:`_TrainingData`.
        """
        if sp.issparse(X):
            X_t = SparseRows(X if X.dtype == np.float32 else X.astype(np.float32), self.device_)
        else:
            X_t = as_float_tensor(X, self.device_)
        y_t = torch.as_tensor(y_encoded, dtype=self._target_dtype, device=self.device_)
        w_t = None if weights is None else torch.as_tensor(weights, dtype=torch.float32, device=self.device_)
        c_t = None if costs is None else torch.as_tensor(costs, dtype=torch.float32, device=self.device_)
        return _TrainingData(X_t, y_t, w_t, c_t, costs)

    def _dataset(self, data, rows):
        """A :class:`TensorDataset` of ``rows`` (None: all) over the shared tensors."""
        data = data if isinstance(data, _TrainingData) else _TrainingData(*data)  # (X, y, weights) from a caller
        if rows is not None:
            rows = torch.as_tensor(rows, dtype=torch.long, device=self.device_)
        return TensorDataset(data.X, data.y, data.sample_weight, rows, with_index=bool(self.loss_.needs_sample_index),
                             costs=data.costs)

    def _build_net(self, module, loss, shuffle_seed, y, weights, data, valid_rows, max_epochs=None):
        labels = self._output_labels()
        callbacks = [
            ("epoch_timer", EpochTimer()),
            ("train_loss", PassthroughScoring(name="train_loss", on_train=True)),
            ("non_finite_guard", NonFiniteLossGuard()),
            ("loss_epoch_hook", LossEpochHook()),
        ]
        train_split = None
        if valid_rows is not None:
            metric_weights = self._metric_weights(y, weights)
            valid_weights = None if metric_weights is None else metric_weights[valid_rows]
            valid_costs = self._metric_costs(self.scorer_, data, valid_rows)
            callbacks += [
                ("valid_loss", PassthroughScoring(name="valid_loss")),
                ("valid_score", ValidationScore(self.scorer_, y[valid_rows], labels, valid_weights, valid_costs)),
                ("early_stopping", EarlyStoppingOnScore(self.n_iter_no_change, self.tol)),
            ]
            train_split = predefined_split(self._dataset(data, valid_rows).labeled(labels))
        elif data is not None:
            monitors = self._monitor_callbacks(data, y, weights)
            if monitors:
                callbacks += monitors + [("early_stopping", EarlyStoppingOnScore(self.n_iter_no_change, self.tol))]
        if self.verbose:
            callbacks.append(("print_log", PlainPrintLog()))
        if self.verbose and self.verbose >= 2:
            callbacks.append(("progress_bar", ProgressBar()))
        no_validation = {True: " (partial_fit never does)", False: " (early_stopping=False)"}.get(
            self.early_stopping, " (early_stopping='auto' holds it out for more than 10,000 samples only)"
        )
        callbacks += prepare_user_callbacks(self.callbacks, labels, valid_rows is not None, no_validation)
        optimizer_params = dict(self._routed_params("optimizer__"))
        optimizer_class = self._optimizer_class()
        if "weight_decay" in inspect.signature(optimizer_class).parameters:
            optimizer_params.setdefault("optimizer__weight_decay", self.weight_decay)
        elif self.weight_decay:
            raise ValueError(
                f"weight_decay={self.weight_decay} needs an optimizer that takes weight_decay; "
                f"{optimizer_class.__name__} does not."
            )
        _check_optimizer_params(optimizer_class, self._learning_rate(), optimizer_params)
        return SurrogateNet(
            module=module,
            criterion=loss,
            optimizer=optimizer_class,
            lr=self._learning_rate(),
            max_epochs=self._max_iter() if max_epochs is None else max_epochs,
            batch_size=int(self.batch_size),
            train_split=train_split,
            callbacks=callbacks,
            predict_nonlinearity=None,
            device=self.device_,
            verbose=int(bool(self.verbose)),
            shuffle_seed=shuffle_seed,
            mixed_precision=self.mixed_precision,
            compile_forward=self.compile,
            classes=labels,
            scorer=self.scorer_,
            **self._sampling_params(loss),
            **optimizer_params,
        )

    def _finish_fit(self, net, n_previous=0, history=(), interrupted=False):
        net.train_split = None  # drop the validation tensors (and their device) from the fitted net
        ran = len(net.history)  # epochs started (skorch adds the row when an epoch begins)
        rows = [{k: v for k, v in row.items() if k != "batches"} for row in net.history]
        for row in rows:  # number epochs across warm starts and partial_fit calls
            row["epoch"] = n_previous + row.get("epoch", 0)
        self.history_ = list(history) + rows
        self.n_iter_ = n_previous + ran
        stopper = dict(net.callbacks_).get("early_stopping")
        best = stopper.best_epoch_ if stopper is not None and stopper.best_epoch_ else ran
        # skorch's EarlyStopping callbacks: load_best restores the module after ours did, so its epoch is kept
        skorch_stoppers = [cb for _, cb in net.callbacks_ if isinstance(cb, EarlyStopping)]
        for cb in skorch_stoppers:
            if cb.load_best and getattr(cb, "best_model_weights_", None) is not None and cb.best_epoch_ != ran:
                best = cb.best_epoch_
        self.best_epoch_ = n_previous + best
        # a KeyboardInterrupt during training (Ctrl-C, or a callback raising it): the model keeps the weights
        # it had (the best epoch's with early stopping) and `_fit` raises the interrupt again; stops asked for
        # (early stopping, net.request_stop(), skorch's EarlyStopping) are not interruptions
        self.interrupted_ = bool(interrupted)

    # -- predict ---------------------------------------------------------
    def _logits(self, X):
        check_is_fitted(self, "net_")
        check_not_fitting(self)
        with torch_threads(self.n_threads):
            return self._batched_logits(X)

    def _batched_logits(self, X):
        # sparse X stays sparse: each chunk is densified on its own, in the forward pass's dtype
        X = validate_data(self, X, reset=False, accept_sparse="csr", dtype=[np.float32, np.float64])
        _check_float32_range(X, predicting=True)
        device = self.net_.device if isinstance(self.net_.device, torch.device) else torch.device(self.net_.device)
        batch = max(int(self.batch_size), 1024) if int(self.batch_size) > 0 else max(X.shape[0], 1)
        if sp.issparse(X):  # a dense chunk of a very wide sparse matrix stays within _DENSE_CHUNK_VALUES
            batch = max(1, min(batch, _DENSE_CHUNK_VALUES // max(X.shape[1], 1)))
        outputs = []
        with torch.inference_mode(), self.net_.autocast() if device.type != "cpu" else contextlib.nullcontext():
            forward, dtype = self._inference_forward(self.net_.module_, device)
            for start in range(0, X.shape[0], batch):
                chunk = as_float_tensor(X[start : start + batch], device, dtype=dtype)
                outputs.append(to_numpy(forward(chunk)).astype(np.float64))
                del chunk  # before the next one is densified
        n_outputs = self._n_outputs()
        logits = np.concatenate(outputs) if outputs else np.zeros((0,) if n_outputs == 1 else (0, n_outputs))
        if logits.ndim == 2 and logits.shape[1] == 1:
            logits = logits[:, 0]
        return logits

    @staticmethod
    def _inference_forward(module, device):
        """The forward function used for prediction, and its input dtype (see :func:`inference_forward`)."""
        return inference_forward(module, device)

    # -- persistence -------------------------------------------------------
    def __getstate__(self):
        # The torch objects (net_, loss_, device_) travel as a portable record of plain values and
        # safetensors bytes, which __setstate__ rebuilds: see sklearn_surrogate/_persistence.py.
        check_not_fitting(self, "be pickled or copied")  # a fit in another thread would be caught half-way
        from . import __version__  # here: the package is fully imported by the time anything is pickled

        state = dict(super().__getstate__())  # a copy: BaseEstimator may return __dict__ itself
        state[_VERSION_KEY] = __version__  # checked by __setstate__, as scikit-learn does with _sklearn_version
        if "net_" in state:
            state["_net_record"] = net_record(self)
            for key in ("net_", "loss_", "device_", "_fit_build"):
                state.pop(key, None)
        return state

    def __setstate__(self, state):
        from . import __version__

        state = dict(state)
        # a state without a version was saved before versions were recorded: warn too (its format predates
        # this check, and only the renames below are known), as scikit-learn does for its "pre-0.18" pickles
        saved = state.pop(_VERSION_KEY, "unknown")
        if saved != __version__:
            warnings.warn(InconsistentVersionWarning(type(self).__name__, __version__, saved), stacklevel=2)
        state.setdefault("warm_start", False)  # pickles from before warm_start existed
        if "max_iter" not in state:  # pickles from before the rename: max_epochs and lr under their new names
            state = self._current_names({"max_iter": 200, "learning_rate_init": 1e-3, **state})
        record = state.pop("_net_record", None)
        super().__setstate__(state)
        if record is not None:
            restore_net(self, record)
            self._fit_build = {"params": record["params"], "n_samples": record["n_samples"]}
            return
        net = self.__dict__.get("net_")
        if net is not None:  # a pickle of the net itself (older versions): skorch maps CUDA to the CPU
            self.device_ = torch.device(net.device)
