"""The contract every surrogate loss follows.

A surrogate loss is a pure-torch :class:`torch.nn.Module` called as
``loss(logits, targets, sample_weight=None)`` and returning a scalar tensor.

* ``logits`` is the raw network output: shape ``(n,)`` or ``(n, 1)`` for a
  binary problem (the logit of the positive class, index 1), ``(n, K)`` with
  ``K >= 2`` for a problem with ``K`` classes.
* ``targets`` holds class indices, shape ``(n,)``, in ``{0, ..., K - 1}``
  (``{0, 1}`` for binary problems).
* ``sample_weight`` is an optional non-negative tensor of shape ``(n,)``.

Binary losses that take a ``pos_label`` hyper-parameter train for the class it
names instead of index 1: the estimator translates a class label into its
index (:meth:`SurrogateLoss.set_classes`), and :meth:`SurrogateLoss._orient_binary`
negates the logit and flips the targets when that index is 0, so the loss's
formula always sees its positive class as index 1.

Each loss class declares, as class attributes, what the estimator and the
scorers need to know about it (see :class:`SurrogateLoss`), and its
hyper-parameters' valid values in ``_parameter_constraints`` (scikit-learn's
``Interval``/``StrOptions`` constraints). They are validated once: by
:meth:`SurrogateLoss.setup` (once per ``fit``), or by the first call of a loss
used on its own and the first call after a hyper-parameter changes, never on
every batch.
"""

import inspect
import math
import numbers

import torch
from sklearn.utils._param_validation import validate_parameter_constraints
from torch import nn

__all__ = ["SurrogateLoss", "check_real", "resolve_pos_label"]


def check_real(owner, name, value, *, low=None, high=None, low_inclusive=False, high_inclusive=True):
    """Validate a real hyper-parameter (numpy scalars included) and return it as a float.

    Parameters
    ----------
    owner : str
        Name of the loss, for the message.
    name : str
        Name of the hyper-parameter.
    value : object
    low, high : float or None
        Bounds; None leaves that side open.
    low_inclusive, high_inclusive : bool
        Whether the bounds are allowed values.

    Returns
    -------
    value : float

    Raises
    ------
    ValueError
        Naming the parameter, its value and the valid range.
    """
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(float(value))
    if ok and low is not None:
        ok = value >= low if low_inclusive else value > low
    if ok and high is not None:
        ok = value <= high if high_inclusive else value < high
    if not ok:
        lo = "-inf" if low is None else f"{low}"
        hi = "inf" if high is None else f"{high}"
        interval = ("[" if low_inclusive and low is not None else "(") + f"{lo}, {hi}" + (
            "]" if high_inclusive and high is not None else ")"
        )
        raise ValueError(f"{owner}: {name} must be a finite real number in {interval}, got {value!r}.")
    return float(value)


def resolve_pos_label(pos_label, classes):
    """Index of ``pos_label`` among ``classes`` (scikit-learn's error when it is not one of them).

    Parameters
    ----------
    pos_label : label
        A class label.
    classes : array-like of shape (n_classes,)
        The sorted class labels (an estimator's ``classes_``).

    Returns
    -------
    index : int

    Raises
    ------
    ValueError
        ``pos_label=... is not a valid label. It should be one of [...]``, as
        scikit-learn's metrics say.

    Examples
    --------
    >>> from sklearn_surrogate.losses._base import resolve_pos_label
    >>> resolve_pos_label("bad", ["bad", "good"])
    0
    """
    labels = list(classes.tolist() if hasattr(classes, "tolist") else classes)
    for index, label in enumerate(labels):
        try:
            if bool(label == pos_label):
                return index
        except (TypeError, ValueError):  # a pos_label that does not compare to a label (an array...)
            break
    raise ValueError(f"pos_label={pos_label!r} is not a valid label. It should be one of {labels}.")


class SurrogateLoss(nn.Module):
    """Base class of the surrogate losses.

    :meth:`forward` is a template shared by all losses: it checks the inputs
    (:meth:`_check_inputs`; the costly checks only while ``check_input`` is
    on), validates the hyper-parameters against ``_parameter_constraints`` if
    they changed since last validated, flips a binary problem so that index 1
    is the ``pos_label`` class (losses with a ``pos_label`` only), and calls
    :meth:`_batch_loss`. A new loss implements one of two hooks:

    * ``_per_sample(logits, targets, **extra)`` returning a ``(n,)`` tensor,
      the loss of each sample, for losses that are a mean over samples. The
      base reduces it with ``_reduce(values, sample_weight)``, the weighted
      mean shared by all such losses (0, not NaN, when all weights are 0).
    * ``_batch_loss(logits, targets, sample_weight, **extra)`` returning a
      scalar, for set-level losses (confusion-matrix, AUC, learned
      surrogates), or to take a faster route than ``_reduce(_per_sample(...))``
      (a fused unweighted mean).

    The hooks receive checked inputs: ``logits`` of shape ``(n,)`` for a
    binary problem or ``(n, K)``, ``targets`` as int64 class indices,
    ``sample_weight`` None or of the logits' dtype, and ``**extra`` as passed
    to :meth:`forward` (``index`` for losses with ``needs_sample_index``).
    The constructor stores each argument under its own name (they become the
    loss's parameters, see :meth:`get_params`); their valid values go in
    ``_parameter_constraints``, further rules in
    :meth:`_validate_hyperparameters`. Per-class or per-sample state is sized
    in :meth:`setup`. Finally, set the class attributes below.

    Attributes
    ----------
    target_metric : str or None
        Name of the metric the loss is a surrogate of, as understood by
        :func:`sklearn_surrogate.make_surrogate_scorer` (``"f1"``,
        ``"roc_auc"``...), or None for a loss that targets no particular metric
        (cross-entropy). :class:`~sklearn_surrogate.SurrogateClassifier` scores
        and early-stops on this metric.
    supports_multiclass : bool
        Whether the loss accepts ``(n, K)`` logits with ``K > 2``.
    supports_binary : bool
        Whether the loss accepts binary problems.
    needs_both_classes : bool
        Whether the loss is only informative when a batch holds samples of
        every class (pairwise AUC losses, recall-based confusion-matrix
        losses). A batch that lacks a class still gives a finite value.
    needs_mixed_batches : bool
        Whether a batch whose rows all belong to one class gives the loss no
        gradient at all (pairwise AUC losses, AUC-M, G-mean, MCC), so that it
        learns nothing from batches that cannot hold two classes:
        :class:`~sklearn_surrogate.SurrogateClassifier` refuses
        ``batch_size=1`` with it.
    needs_sample_index : bool
        Whether :meth:`forward` takes an ``index`` keyword with each sample's
        position in the training set (losses with per-sample state).
    takes_costs : bool
        Whether :meth:`forward` takes a ``costs`` keyword: one cost matrix per
        sample (:class:`~sklearn_surrogate.losses.CostSensitiveLoss`). Only
        such a loss trains on the ``costs`` passed to
        ``SurrogateClassifier.fit``; the estimator refuses costs for any other.
    value_tracks_progress : bool
        Whether a lower loss value means a better model. False for losses
        whose value is a linearisation or a saddle-point objective (EnsLoss,
        AUC-margin): their ``train_loss`` in the estimator's history says
        nothing about progress; judge them by the validation metric
        (``early_stopping=True`` records and stops on it).
    check_input : bool
        Whether :meth:`forward` validates its inputs (shapes, label range,
        finiteness) and raises :class:`ValueError` on bad input. The estimator
        validates its data once before training and switches this off, so the
        training loop does not pay for the checks (or for the device
        synchronisation they cost on a GPU).

    Examples
    --------
    A custom loss: subclass, store the constructor's arguments under their
    own names (they become the loss's parameters), declare their valid values
    and implement a hook (here the per-sample one):

    >>> from numbers import Real
    >>> import torch
    >>> from sklearn.utils._param_validation import Interval
    >>> from sklearn_surrogate.losses import SurrogateLoss
    >>> class HingeLoss(SurrogateLoss):
    ...     target_metric = "accuracy"
    ...     supports_multiclass = False
    ...
    ...     def __init__(self, margin=1.0):
    ...         super().__init__()
    ...         self.margin = margin
    ...
    ...     _parameter_constraints = {"margin": [Interval(Real, 0, None, closed="left")]}
    ...
    ...     def _per_sample(self, logits, targets):
    ...         signs = 2.0 * targets.to(logits.dtype) - 1.0
    ...         return torch.relu(self.margin - signs * logits)
    >>> loss = HingeLoss(margin=0.5)
    >>> loss
    HingeLoss(margin=0.5)
    >>> loss.get_params()
    {'margin': 0.5}
    >>> round(loss(torch.tensor([2.0, -1.0, 0.2]), torch.tensor([1, 0, 1])).item(), 4)
    0.1
    >>> HingeLoss(margin=-1.0)(torch.tensor([2.0]), torch.tensor([1]))
    Traceback (most recent call last):
    ...
    sklearn.utils._param_validation.InvalidParameterError: The 'margin' parameter of HingeLoss must be a float in the range [0.0, inf). Got -1.0 instead.

    ``SurrogateClassifier(loss=HingeLoss, loss__margin=0.5)`` then trains on
    it and scores on accuracy, its ``target_metric``.
    """

    target_metric = None
    supports_multiclass = True
    supports_binary = True
    needs_both_classes = False
    needs_mixed_batches = False
    needs_sample_index = False
    takes_costs = False
    value_tracks_progress = True
    # (pos_label, index) as resolved by set_classes; None until an estimator calls it
    _resolved_pos_label = None
    # hyper-parameter -> list of scikit-learn constraints (Interval, StrOptions, types, None)
    _parameter_constraints = {}
    # whether the current hyper-parameters were validated; reset when one is set
    _hyperparameters_checked = False

    def __init__(self):
        super().__init__()
        self.check_input = True

    def __setattr__(self, name, value):
        super().__setattr__(name, value)
        if name in type(self)._param_name_set():
            object.__setattr__(self, "_hyperparameters_checked", False)

    @classmethod
    def _param_name_set(cls):
        names = cls.__dict__.get("_cached_param_names")
        if names is None:
            names = frozenset(cls._get_param_names())
            type.__setattr__(cls, "_cached_param_names", names)
        return names

    def _validate_hyperparameters(self):
        """Check the hyper-parameters against ``_parameter_constraints``.

        Subclasses with rules that constraints cannot state (a value that
        depends on another) extend it, calling ``super()`` first.

        Raises
        ------
        ValueError
            scikit-learn's ``InvalidParameterError`` (a ``ValueError`` and a
            ``TypeError``), naming the hyper-parameter, or the subclass's own.
        """
        constraints = self._parameter_constraints
        if constraints:
            values = {}
            for name, allowed in constraints.items():
                value = getattr(self, name)
                if isinstance(value, bool) and not any(c is bool or c == "boolean" for c in allowed):
                    value = str(value)  # a bool is no number here (scikit-learn's Interval would take it as 0 or 1)
                values[name] = value
            validate_parameter_constraints(constraints, values, caller_name=type(self).__name__)

    def _check_hyperparameters(self):
        """Validate the hyper-parameters unless they were since they last changed (one attribute read per batch)."""
        if not self._hyperparameters_checked:
            self._validate_hyperparameters()
            object.__setattr__(self, "_hyperparameters_checked", True)

    def setup(self, n_classes, n_samples):
        """Size any per-class or per-sample state before training starts.

        Called by :class:`~sklearn_surrogate.SurrogateClassifier` once per
        ``fit``, before the optimizer is built (so learnable state created here
        is optimised). The default does nothing.

        Parameters
        ----------
        n_classes : int
            Number of classes (2 for binary problems).
        n_samples : int
            Number of training samples (indices passed to losses with
            ``needs_sample_index`` lie in ``[0, n_samples)``).

        Raises
        ------
        ValueError
            When a hyper-parameter is invalid (validated here, once per
            ``fit``, instead of on every batch).
        """
        object.__setattr__(self, "_hyperparameters_checked", False)
        self._check_hyperparameters()

    def set_classes(self, classes):
        """Tell the loss which labels its class indices stand for.

        Called by :class:`~sklearn_surrogate.SurrogateClassifier` at every
        ``fit`` with its ``classes_`` (index ``i`` of the targets is
        ``classes[i]``). The base class resolves a ``pos_label``
        hyper-parameter, on the losses that have one, into the index of that
        class, which :meth:`forward` then trains for. Losses without
        ``pos_label`` ignore the call.

        ``pos_label`` is a class label when the loss runs inside the
        estimator; a loss called on its own sees class indices, so there it
        must be 0 or 1 (or None: index 1). It must be None on problems with
        more than two classes.

        Parameters
        ----------
        classes : array-like of shape (n_classes,)
            The sorted class labels.

        Raises
        ------
        ValueError
            When ``pos_label`` is not one of ``classes`` (scikit-learn's
            wording), or is set on a problem with more than two classes.

        Examples
        --------
        >>> from sklearn_surrogate.losses import FBetaLoss
        >>> loss = FBetaLoss(pos_label="bad")
        >>> loss.set_classes(["bad", "good"])  # the loss now trains for index 0
        >>> loss.set_classes(["a", "b"])
        Traceback (most recent call last):
        ...
        ValueError: pos_label='bad' is not a valid label. It should be one of ['a', 'b'].
        """
        self._resolved_pos_label = None
        pos_label = getattr(self, "pos_label", None)
        if pos_label is None:
            return
        n_classes = len(classes)
        if n_classes > 2:
            raise ValueError(self._multiclass_pos_label_message(n_classes))
        self._resolved_pos_label = (pos_label, resolve_pos_label(pos_label, classes))

    def _multiclass_pos_label_message(self, n_classes):
        return (
            f"{type(self).__name__}: pos_label={self.pos_label!r} only applies to binary problems, but there are "
            f"{n_classes} classes; leave pos_label=None (multiclass losses treat every class alike)."
        )

    def _positive_index(self, n_classes):
        """Index (0 or 1) of the class a binary problem trains for; 1 unless ``pos_label`` says otherwise."""
        pos_label = getattr(self, "pos_label", None)
        if pos_label is None:
            return 1
        if n_classes > 2:
            raise ValueError(self._multiclass_pos_label_message(n_classes))
        resolved = self._resolved_pos_label
        if resolved is not None and (resolved[0] is pos_label or resolved[0] == pos_label):
            return resolved[1]
        # used on its own, the loss sees class indices: pos_label must be one
        if isinstance(pos_label, numbers.Integral) and pos_label in (0, 1):
            return int(pos_label)
        raise ValueError(
            f"{type(self).__name__}: pos_label={pos_label!r} is not a class index. Called on its own, a loss sees "
            "class indices, so pos_label must be 0, 1 or None; SurrogateClassifier(loss=...) translates a class "
            "label into its index at fit (or call set_classes(classes) first)."
        )

    def _orient_binary(self, logits, targets):
        """Make index 1 stand for the ``pos_label`` class of a binary problem.

        With ``pos_label`` None, or naming index 1, the inputs come back
        unchanged. For index 0 the logit is negated (the two columns of
        ``(n, 2)`` logits swapped) and the targets flipped: the logit of class
        1 is minus that of class 0, so the loss's formula, written for index 1,
        then trains for class 0. Multiclass logits need ``pos_label`` None.

        Parameters
        ----------
        logits : Tensor of shape (n,) or (n, K)
            As returned by :meth:`_check_inputs`.
        targets : Tensor of int64, shape (n,)

        Returns
        -------
        logits, targets : Tensor
        """
        if getattr(self, "pos_label", None) is None:
            return logits, targets
        n_classes = 2 if logits.ndim == 1 else logits.shape[1]
        if self._positive_index(n_classes) == 1:
            return logits, targets
        return (-logits if logits.ndim == 1 else logits.flip(1)), 1 - targets

    def on_epoch_begin(self, epoch, max_epochs):
        """Hook called by the estimator at the start of every epoch.

        Losses whose behaviour follows a schedule over training (for example
        :class:`~sklearn_surrogate.learned.ReLoss`'s cross-entropy weight)
        override it. The default does nothing.

        Parameters
        ----------
        epoch : int
            Index of the epoch starting, from 0.
        max_epochs : int
            The training budget in epochs.
        """

    def fallback_loss(self):
        """The loss to refit with when a fit with this one returns a degenerate model (None: no check).

        A loss that can drive a network to an inverted ranking (a learned
        surrogate in a region where it learned nothing) returns a loss that
        cannot, and :class:`~sklearn_surrogate.SurrogateClassifier` then
        checks every fit with it: a model whose ROC AUC on the fit's rows is
        below 0.5, or that predicts one class for 99 % of them and whose
        :attr:`target_metric` there is worse than the best constant
        prediction's, is refitted once with the returned loss,
        with a :class:`~sklearn_surrogate.exceptions.DegenerateFitWarning`.
        The default returns None: no check.

        Returns
        -------
        loss : SurrogateLoss or None
        """
        return None

    # -- metadata -------------------------------------------------------
    def target_metric_params(self):
        """Keyword arguments that pin down :attr:`target_metric`.

        For example ``{"beta": 2.0}`` for an F-beta loss with ``beta=2``, or
        ``{"average": "weighted"}`` for a weighted-average multiclass loss. A
        loss with a ``pos_label`` other than None passes it on, so the scorer
        scores the class the loss trains for.

        Returns
        -------
        params : dict
            Keyword arguments for :func:`~sklearn_surrogate.make_surrogate_scorer`.
        """
        pos_label = getattr(self, "pos_label", None)
        return {} if pos_label is None else {"pos_label": pos_label}

    @classmethod
    def _get_param_names(cls):
        """Names of the constructor's parameters (the loss's hyper-parameters)."""
        signature = inspect.signature(cls.__init__)
        return sorted(
            name
            for name, p in signature.parameters.items()
            if name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
        )

    def get_params(self, deep=True):
        """Hyper-parameters of the loss, as passed to its constructor.

        Together with :meth:`set_params` this makes losses behave like
        scikit-learn parameters: :func:`sklearn.base.clone` rebuilds a fresh,
        untrained loss from them.

        Parameters
        ----------
        deep : bool, default=True
            Ignored; present for scikit-learn compatibility.

        Returns
        -------
        params : dict
        """
        return {name: getattr(self, name) for name in self._get_param_names()}

    def set_params(self, **params):
        """Set hyper-parameters of the loss.

        Parameters
        ----------
        **params
            Constructor parameters of the loss.

        Returns
        -------
        self : SurrogateLoss
        """
        valid = self._get_param_names()
        for key, value in params.items():
            if key not in valid:
                raise ValueError(
                    f"Invalid parameter {key!r} for loss {type(self).__name__}. "
                    f"Valid parameters are: {', '.join(map(repr, valid)) or 'none'}."
                )
            setattr(self, key, value)
        return self

    def extra_repr(self):
        """The hyper-parameters as ``name=value`` pairs, shown in the loss's ``repr``.

        Returns
        -------
        text : str
            Comma-separated ``name=value`` pairs.
        """
        return ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())

    # -- the template ------------------------------------------------------
    def forward(self, logits, targets, sample_weight=None, **extra):
        """Compute the loss of a batch.

        The same steps for every loss: check the inputs (:meth:`_check_inputs`,
        the costly checks only while ``check_input`` is on), validate the
        hyper-parameters if they changed since they were last validated, turn
        a binary problem so that index 1 is the ``pos_label`` class
        (:meth:`_orient_binary`, losses with a ``pos_label`` only), then
        :meth:`_batch_loss`.

        Parameters
        ----------
        logits : Tensor of shape (n,), (n, 1) or (n, K)
            Raw network outputs: the positive-class logit of a binary problem,
            or one logit per class.
        targets : Tensor of shape (n,)
            Class indices in ``{0, ..., K - 1}`` (0 or 1 for a binary problem).
        sample_weight : Tensor of shape (n,), default=None
            Non-negative sample weights.
        **extra
            Passed on to the hooks: ``index`` (each sample's row position in
            the training set) for losses with ``needs_sample_index``.

        Returns
        -------
        loss : Tensor of shape ()
            The batch's loss; what it is depends on the subclass.
        """
        logits, targets, sample_weight = self._check_inputs(logits, targets, sample_weight)
        if not self._hyperparameters_checked:
            self._check_hyperparameters()
        if self.__dict__.get("pos_label") is not None:
            logits, targets = self._orient_binary(logits, targets)
        return self._batch_loss(logits, targets, sample_weight, **extra)

    def _batch_loss(self, logits, targets, sample_weight, **extra):
        """The loss of a checked batch (hook): by default :meth:`_reduce` of :meth:`_per_sample`.

        Set-level losses (confusion-matrix, AUC, learned surrogates), whose
        value is no mean over samples, override it.

        Parameters
        ----------
        logits : Tensor of shape (n,) or (n, K)
            As returned by :meth:`_check_inputs` (binary logits flattened).
        targets : Tensor of int64, shape (n,)
        sample_weight : Tensor of shape (n,) or None
            In the logits' dtype.
        **extra
            As passed to :meth:`forward`.

        Returns
        -------
        loss : Tensor of shape ()
        """
        return self._reduce(self._per_sample(logits, targets, **extra), sample_weight)

    def _per_sample(self, logits, targets, **extra):
        """The loss of each sample of a checked batch, shape ``(n,)`` (hook of per-sample losses).

        Parameters and inputs as in :meth:`_batch_loss`, without the weights.
        """
        raise NotImplementedError(
            f"{type(self).__name__} must implement _per_sample(logits, targets) or "
            "_batch_loss(logits, targets, sample_weight)."
        )

    def _reduce(self, values, sample_weight):
        """Reduce per-sample values to the batch's loss: their weighted mean (:meth:`_weighted_mean`)."""
        return self._weighted_mean(values, sample_weight)

    # -- shared helpers -------------------------------------------------
    def _check_inputs(self, logits, targets, sample_weight):
        """Validate and normalise the inputs of :meth:`forward`.

        Returns
        -------
        logits : Tensor
            ``(n,)`` for binary problems, ``(n, K)`` otherwise.
        targets : Tensor of int64, shape (n,)
        sample_weight : Tensor of the logits' dtype, shape (n,), or None
        """
        name = type(self).__name__
        if not isinstance(logits, torch.Tensor):
            raise TypeError(f"{name} expects logits as a torch.Tensor, got {type(logits).__name__}.")
        if not isinstance(targets, torch.Tensor):
            targets = torch.as_tensor(targets, device=logits.device)
        if not logits.is_floating_point():
            raise TypeError(f"{name} expects floating-point logits, got dtype {logits.dtype}.")
        if logits.ndim == 2 and logits.shape[1] == 1:
            logits = logits[:, 0]
        if logits.ndim not in (1, 2):
            raise ValueError(
                f"{name} expects logits of shape (n,), (n, 1) or (n, K); got shape {tuple(logits.shape)}."
            )
        targets = targets.reshape(-1) if targets.ndim == 2 and targets.shape[1] == 1 else targets
        if targets.ndim != 1 or targets.shape[0] != logits.shape[0]:
            raise ValueError(
                f"{name}: targets of shape {tuple(targets.shape)} do not match logits of shape "
                f"{tuple(logits.shape)}; expected one class index per sample."
            )
        n_classes = 2 if logits.ndim == 1 else logits.shape[1]
        if n_classes > 2 and not self.supports_multiclass:
            raise ValueError(
                f"{name} supports binary problems only, but the logits have {n_classes} columns (classes)."
            )
        if n_classes == 2 and not self.supports_binary:
            raise ValueError(f"{name} needs at least 3 classes; got a binary problem.")
        if self.check_input:
            if targets.is_floating_point():
                if not bool(torch.all(targets == torch.round(targets))):
                    raise ValueError(f"{name} expects integer class indices as targets, got non-integer values.")
            if targets.numel() and (bool(targets.min() < 0) or bool(targets.max() >= n_classes)):
                raise ValueError(
                    f"{name}: targets must be class indices in [0, {n_classes - 1}], got values in "
                    f"[{int(targets.min())}, {int(targets.max())}]."
                )
            if not bool(torch.isfinite(logits).all()):
                raise ValueError(f"{name}: logits contain NaN or infinity.")
        targets = targets.long()
        if sample_weight is not None:
            sample_weight = torch.as_tensor(sample_weight, dtype=logits.dtype, device=logits.device)
            if sample_weight.shape != targets.shape:
                raise ValueError(
                    f"{name}: sample_weight has shape {tuple(sample_weight.shape)}, expected "
                    f"{tuple(targets.shape)}."
                )
            if self.check_input and not bool(torch.isfinite(sample_weight).all()):
                raise ValueError(f"{name}: sample_weight contains NaN or infinity.")
            if self.check_input and bool((sample_weight < 0).any()):
                raise ValueError(f"{name}: sample_weight must be non-negative.")
        return logits, targets, sample_weight

    @staticmethod
    def _batch_weights(sample_weight, n, dtype):
        """Sample weights normalised to sum to 1 over the batch: ``1 / n`` (a float) when there are none.

        An all-zero weight vector stays all zero (no division by zero).
        """
        if sample_weight is None:
            return 1.0 / max(n, 1)
        return sample_weight.to(dtype) / sample_weight.sum().clamp_min(torch.finfo(dtype).tiny)

    @staticmethod
    def _weighted_mean(values, sample_weight):
        """Mean of per-sample ``values`` weighted by ``sample_weight``.

        A batch whose weights are all zero, or an empty batch, gives 0 (with a
        gradient of 0) rather than NaN.
        """
        if sample_weight is None:
            return values.mean() if values.numel() else values.sum()
        total = sample_weight.sum()
        return (values * sample_weight).sum() / total.clamp_min(torch.finfo(values.dtype).tiny)
