"""``ReLoss``: a frozen learned surrogate used as a training loss."""

import copy
import functools
import math
from numbers import Real

import numpy as np
import torch
import torch.nn.functional as F

from sklearn.utils._param_validation import Interval, StrOptions

from ..losses._base import SurrogateLoss
from ..losses._cross_entropy import per_sample_cross_entropy
from ._io import SHIPPED_METRIC_PARAMS, SHIPPED_METRICS, read_surrogate, shipped_surrogate_path
from ._metrics import BUILTIN_METRICS, SCORER_METRICS, resolve_metric
from ._tabulated import TabulatedSetSurrogate, can_tabulate
from ._tabulated_ranks import TabulatedRankSurrogate, can_tabulate_ranks

__all__ = ["ReLoss", "load_surrogate"]

# learned-metric name -> (scorer metric, scorer parameters)
_TARGETS = {
    "f1": ("f1", {}),
    "roc_auc": ("roc_auc", {}),
    "balanced_accuracy": ("balanced_accuracy", {}),
    "accuracy": ("accuracy", {}),
    "mcc": ("mcc", {}),
    "macro_f1": ("f1", {"average": "macro"}),
    # the scorer's other metrics: the same name, with the loss's metric_params as options
    **{name: (name, {}) for name in SCORER_METRICS},
}
_SCHEDULES = ("constant", "linear", "cosine")
_EVALUATIONS = ("table", "exact")


@functools.lru_cache(maxsize=None)
def _shipped_network(metric, architecture):
    if metric not in SHIPPED_METRICS:
        raise ValueError(
            f"No shipped surrogate for metric {metric!r}; shipped: {sorted(SHIPPED_METRICS)}. Learn one with "
            "sklearn_surrogate.learned.learn_surrogate(metric) and pass it as loss=... or loss__surrogate=...."
        )
    if architecture not in ("set", "per_sample"):
        raise ValueError(f"ReLoss: architecture must be 'set' or 'per_sample', got {architecture!r}.")
    return load_surrogate(shipped_surrogate_path(metric, architecture)).surrogate


class ReLoss(SurrogateLoss):
    """A learned relational surrogate (ReLoss) as a loss, optionally mixed with cross-entropy.

    A small frozen network maps a batch's class probabilities and labels to
    one number whose ranking of models agrees with the metric's (see
    :func:`~sklearn_surrogate.learned.learn_surrogate`). Only the classifier's
    network is trained through it.

    Parameters
    ----------
    metric : str or None, default="f1"
        The metric. Without ``surrogate``, the shipped surrogate for it is
        used: ``"f1"``, ``"roc_auc"``, ``"balanced_accuracy"``, ``"accuracy"``,
        ``"mcc"``, ``"recall_at_precision"`` (binary, at a precision of at
        least 0.8) or ``"macro_f1"`` (multiclass, any number of classes). With
        ``surrogate`` it only names the target: one of these or another
        metric of :func:`~sklearn_surrogate.make_surrogate_scorer` (None for
        a user metric).
    architecture : {"set", "per_sample"}, default="set"
        Which shipped surrogate: the set-level network (sees the whole batch)
        or the ReLoss paper's per-sample one (kept for comparison).
    surrogate : torch.nn.Module or None, default=None
        A learned surrogate network (``learn_surrogate(...).surrogate``);
        frozen (no gradient, evaluation mode) when used.
    ce_weight : float, default=0.5
        Weight of a cross-entropy term added to the surrogate; 0 trains on
        the surrogate alone. A frozen surrogate alone can be exploited: in
        about a quarter of our fits on small datasets (2-fold splits of kc2
        and diabetes) an F1 surrogate alone drove the network to predict
        nearly every sample positive with an inverted ranking (ROC AUC
        0.14-0.23); with 0.5 none did, and over twelve imbalanced datasets
        the mean test F1 rose from 0.446 to 0.461 (``docs/user_guide/learned.md``).
    ce_schedule : {"constant", "linear", "cosine"}, default="constant"
        How the cross-entropy weight evolves over the epochs: constant, or
        decayed from ``ce_weight`` to 0 at the estimator's ``max_iter`` linearly or along a
        half cosine.
    evaluation : {"table", "exact"}, default="table"
        How a set surrogate is evaluated during training. ``"table"`` reads
        its per-sample network from a table over the log-odds, built once
        per fit, device and precision: the same value up to about 2e-4 of
        its range, and a gradient whose cosine to the network's is above
        0.99, for about half the cost of a training step
        (``docs/user_guide/learned.md``, "What a training step costs"). ROC
        AUC's surrogate adds the batch's soft AUC to its table (binary
        problems only). A surrogate with rank features (the recall at a
        precision's) is tabulated on binary problems only, and only in what
        depends on one sample: its rank features and the layer after them
        still run on every batch. ``"exact"`` runs the network on every
        batch. Per-sample surrogates, and soft-AUC and rank surrogates on
        multiclass problems, always run exactly.
    metric_params : dict or None, default=None
        The options of ``metric`` (``{"min_precision": 0.8}``), as
        :func:`~sklearn_surrogate.make_surrogate_scorer` takes them: the
        operating point the surrogate was learned for, which the classifier
        then scores, early-stops and sets its threshold on
        (:meth:`target_metric_params`). :func:`learn_surrogate` and
        :func:`load_surrogate` fill it in. None: the shipped surrogate's
        (``min_precision=0.8`` for ``"recall_at_precision"``), or none. A
        shipped surrogate is only used at its own operating point; learn one
        for another.

    Attributes
    ----------
    shipped_ : torch.nn.Module
        A private copy of the shipped surrogate network, loaded at the first
        use when ``surrogate`` is None.
    info_ : dict
        Training information, on a loss returned by :func:`learn_surrogate`.
    metadata_ : dict
        The file's metadata, on a loss returned by :func:`load_surrogate`.

    See Also
    --------
    learn_surrogate : Learn a surrogate for any metric.
    shipped_surrogates : The shipped surrogates.

    Notes
    -----
    The surrogate was learned on batches of a given size (256 for the shipped
    ones, the default ``batch_size``); other sizes work but rank less
    faithfully. Its value is a rank-preserving score, not the metric itself.

    Cost: a set surrogate without rank features is read from tables built
    once per fit (``evaluation="table"``), so a training epoch costs about
    1.2-1.5x cross-entropy's on a CPU (macro F1 up to 1.65x at batch 256)
    instead of 2.2-3.3x for the network itself; ROC AUC's adds the batch's
    soft AUC (all positive-negative pairs up to 512 samples, binned beyond):
    1.2-1.6x. A surrogate
    with rank features (the recall at a precision's) runs the second layer of
    its per-sample network on every sample and costs more
    (``docs/user_guide/learned.md``).

    References
    ----------
    .. [1] T. Huang, Z. Li, H. Lu, Y. Shan, S. Yang, Y. Feng, F. Wang, S. You,
       C. Xu. "Relational Surrogate Loss Learning." ICLR 2022.

    Examples
    --------
    As a loss on a batch of binary logits (one per sample) and labels:

    >>> import torch
    >>> from sklearn_surrogate.learned import ReLoss
    >>> loss = ReLoss(metric="f1")
    >>> logits = torch.tensor([2.0, -1.0, 0.5, -3.0], requires_grad=True)
    >>> value = loss(logits, torch.tensor([1, 0, 1, 0]))
    >>> value.shape
    torch.Size([])
    >>> value.backward()  # gradients reach the logits, not the frozen surrogate
    >>> logits.grad.shape
    torch.Size([4])
    >>> loss.target_metric, loss.supports_multiclass
    ('f1', False)

    In a classifier, by name or as an instance:

    >>> from sklearn_surrogate import SurrogateClassifier
    >>> clf = SurrogateClassifier(loss="reloss", loss__metric="macro_f1")
    >>> clf = SurrogateClassifier(loss=ReLoss(metric="f1", ce_weight=0.2))
    """

    needs_both_classes = True

    _parameter_constraints = {
        "ce_weight": [Interval(Real, 0, None, closed="left")],
        "ce_schedule": [StrOptions(set(_SCHEDULES))],
        "evaluation": [StrOptions(set(_EVALUATIONS))],
        "metric_params": [dict, None],
    }

    evaluation = "table"  # the defaults for models pickled before the parameters existed
    metric_params = None

    def __init__(self, metric="f1", architecture="set", surrogate=None, ce_weight=0.5, ce_schedule="constant",
                 evaluation="table", metric_params=None):
        super().__init__()
        self.metric = metric
        self.architecture = architecture
        if surrogate is not None and not isinstance(surrogate, torch.nn.Module):
            raise TypeError(f"ReLoss: surrogate must be a torch.nn.Module, got {type(surrogate).__name__}.")
        self.surrogate = surrogate  # stored as given (scikit-learn's clone checks identity); frozen when used
        self.ce_weight = ce_weight
        self.ce_schedule = ce_schedule
        self.evaluation = evaluation
        self.metric_params = metric_params
        self._progress = 0.0

    # -- the metric's options ---------------------------------------------
    def _metric_options(self):
        """The metric's own options: ``metric_params``, else the shipped surrogate's operating point, else none."""
        if self.metric_params is not None:
            return dict(self.metric_params)
        if self.surrogate is None:
            return dict(SHIPPED_METRIC_PARAMS.get(self.metric, {}))
        return {}

    def _check_metric_options(self):
        """A ValueError when ``metric_params`` does not suit ``metric`` or the shipped surrogate."""
        if self.metric is None or self.metric not in _TARGETS:
            return
        options = self._metric_options()
        if self.metric in BUILTIN_METRICS:
            if options:
                raise ValueError(f"ReLoss: the metric {self.metric!r} takes no metric_params, got {sorted(options)}.")
            return
        # the class counts the surrogate serves (a cost matrix must fit them); unknown: the matrix's, else binary
        matrix = options.get("cost_matrix")
        counts = list(self.trained_classes) or (len(matrix) if np.ndim(matrix) == 2 else 2)
        try:
            _, _, _, options = resolve_metric(self.metric, counts, metric_params=options)
        except ValueError as exc:
            raise ValueError(f"ReLoss: {exc}") from None
        shipped = SHIPPED_METRIC_PARAMS.get(self.metric)
        if self.surrogate is None and shipped is not None and options != shipped:
            raise ValueError(
                f"ReLoss: the shipped surrogate for {self.metric!r} is learned for metric_params={shipped}, not "
                f"{options}. Learn one for that operating point with learn_surrogate({self.metric!r}, "
                f"metric_params={options}) and pass it as surrogate=... (or loss=...)."
            )

    def _validate_hyperparameters(self):
        super()._validate_hyperparameters()
        self._check_metric_options()

    # -- the network -----------------------------------------------------
    def _network(self):
        if self.surrogate is not None:
            if self.metric is not None and self.metric not in _TARGETS:  # else scoring would fall back to accuracy
                raise ValueError(
                    f"ReLoss: metric={self.metric!r} is not a built-in metric. With a surrogate, metric names the "
                    f"metric it was learned for, one of {sorted(_TARGETS)}, or None for a user metric."
                )
            if getattr(self, "_frozen_id", None) != id(self.surrogate):  # freeze a given network once
                for parameter in self.surrogate.parameters():
                    parameter.requires_grad_(False)
                self.surrogate.eval()
                self._frozen_id = id(self.surrogate)
            return self.surrogate
        key = (self.metric, self.architecture)
        if getattr(self, "_shipped_key", None) != key:
            self.shipped_ = copy.deepcopy(_shipped_network(*key))
            self._shipped_key = key
        return self.shipped_

    @property
    def trained_classes(self):
        """Class counts the surrogate was learned for, as a tuple of int (empty: unknown).

        ``(2,)`` for the shipped binary surrogates and ``(3,)`` for the
        shipped multiclass one (which serves any count of 3 or more); a given
        ``surrogate``'s own ``trained_classes``.
        """
        if self.surrogate is None:
            kind = SHIPPED_METRICS.get(self.metric)
            return (2,) if kind == "binary" else (3,) if kind == "multiclass" else ()
        return tuple(getattr(self.surrogate, "trained_classes", ()) or ())

    @property
    def supports_binary(self):
        """Whether the surrogate accepts binary problems (True when its class counts are unknown)."""
        return not self.trained_classes or 2 in self.trained_classes

    @property
    def supports_multiclass(self):
        """Whether the surrogate accepts problems of 3 or more classes (True when its class counts are unknown)."""
        return not self.trained_classes or any(k > 2 for k in self.trained_classes)

    @property
    def target_metric(self):
        """Name of the scorer metric ``metric`` designates (``"f1"`` for ``"macro_f1"``), or None.

        :class:`~sklearn_surrogate.SurrogateClassifier` scores and
        early-stops on it; None for a user metric.
        """
        return _TARGETS.get(self.metric, (None, {}))[0]

    def target_metric_params(self):
        """Keyword arguments that complete :attr:`target_metric`.

        Returns
        -------
        params : dict
            ``{"average": "macro"}`` for ``metric="macro_f1"``; the metric's
            options for a metric that has some (``metric_params``, or the
            shipped surrogate's: ``{"min_precision": 0.8}`` for
            ``"recall_at_precision"``); else empty.
        """
        if self.metric not in _TARGETS:
            return {}
        return {**_TARGETS[self.metric][1], **self._metric_options()}

    def setup(self, n_classes, n_samples):
        """Prepare for training: load the surrogate network and restart the cross-entropy schedule.

        Called by the estimator once per ``fit``, before the loss is moved
        to the training device.

        Parameters
        ----------
        n_classes : int
            Number of classes (not used).
        n_samples : int
            Number of training samples (not used).
        """
        super().setup(n_classes, n_samples)
        self._network()  # load the shipped surrogate now, before the loss is moved to a device
        self.__dict__.pop("_tables", None)  # rebuilt from the network as it is now
        self.__dict__.pop("_training_table", None)
        self._fit_classes = int(n_classes)
        self._progress = 0.0

    def on_epoch_begin(self, epoch, max_epochs):
        """Advance the cross-entropy schedule (called by the estimator at each epoch).

        The schedule's progress becomes ``epoch / max_epochs``, clipped to
        [0, 1]; it only matters for ``ce_schedule`` other than
        ``"constant"``.

        Parameters
        ----------
        epoch : int
            Index of the epoch starting, from 0.
        max_epochs : int
            The training budget in epochs.
        """
        self._progress = min(max(epoch / max(max_epochs, 1), 0.0), 1.0)
        self._prepare_training_table()

    def _prepare_training_table(self):
        """Build the float32 table of the training device now, outside any compiled region.

        ``torch.compile`` cannot trace the table cache (it checks the
        network's weights for in-place changes), so a compiled batch loss that
        reached it would break its graph there; the part after the break is a
        frame of its own, shared by every fit in the process, and dynamo stops
        compiling a frame after 8 recompilations. Built here, at the start of
        each epoch (eagerly, by the estimator's epoch hook), the table is an
        attribute the compiled loss reads without a break.
        """
        network = self._network()
        n_classes = self.__dict__.get("_fit_classes", 2)
        tabulable = can_tabulate(network, n_classes) or can_tabulate_ranks(network, n_classes)
        if self.surrogate_off or self.evaluation != "table" or not tabulable:
            return
        device = next(network.parameters()).device
        self._training_table = (device, _cached_table(self, network, torch.float32, device))

    def train(self, mode=True):
        """Set training mode, keeping the surrogate network in evaluation mode.

        Parameters
        ----------
        mode : bool, default=True
            Training (True) or evaluation (False) mode for the loss module.

        Returns
        -------
        self : ReLoss
            The loss itself.
        """
        super().train(mode)
        for name in ("surrogate", "shipped_"):
            network = self._modules.get(name)
            if network is not None:
                network.eval()  # frozen: always in evaluation mode
        return self

    def fallback_loss(self):
        """This loss with the surrogate term off: cross-entropy alone, weight 1.

        :class:`~sklearn_surrogate.SurrogateClassifier` refits with it when a
        fit returns an inverted model (ROC AUC below 0.5 on the fit's rows)
        or one stuck on one class that scores :attr:`target_metric` below a
        constant prediction; the target metric (for early stopping and the threshold)
        is unchanged.

        Returns
        -------
        loss : ReLoss
            A copy whose value is the cross-entropy only.
        """
        loss = copy.deepcopy(self)
        loss._surrogate_off = True
        return loss

    @property
    def surrogate_off(self):
        """Whether this is a :meth:`fallback_loss`: cross-entropy alone, the surrogate unused."""
        return self.__dict__.get("_surrogate_off", False)

    def _current_ce_weight(self):
        self._check_hyperparameters()
        weight = float(self.ce_weight)
        if self.ce_schedule == "linear":
            return weight * (1.0 - self._progress)
        if self.ce_schedule == "cosine":
            return weight * 0.5 * (1.0 + math.cos(math.pi * self._progress))
        return weight

    def _table_for(self, network, logits):
        """The tabulated evaluation of ``network`` in the precision and on the device of ``logits``, cached.

        The cache holds one table per network, precision and device; it is
        emptied by :meth:`setup` and never pickled. A network whose weights
        changed in place since its table was built gets a new one.
        """
        ready = self.__dict__.get("_training_table")
        if (torch.compiler.is_compiling() and ready is not None and logits.dtype == torch.float32
                and logits.device == ready[0]):
            return ready[1]  # built by on_epoch_begin from the network as it is during training
        return _cached_table(self, network, logits.dtype, logits.device)

    def __getstate__(self):
        state = dict(super().__getstate__() if hasattr(super(), "__getstate__") else self.__dict__)
        state.pop("_tables", None)  # derived from the network; rebuilt when needed
        state.pop("_training_table", None)
        return state

    def _exact_value(self, network, logits, targets, sample_weight):
        """The surrogate network run on the batch's probabilities, one-hot targets and weights."""
        if logits.ndim == 1:
            p = torch.sigmoid(logits)
            P = torch.stack([1.0 - p, p], dim=1)
        else:
            P = torch.softmax(logits, dim=1)
        if next(network.parameters()).device != logits.device:
            network.to(logits.device)
        dtype = logits.dtype
        Y = F.one_hot(targets, P.shape[1]).to(dtype)
        weights = None if sample_weight is None else sample_weight.to(dtype)
        if next(network.parameters()).dtype == dtype:
            return network(P, Y, weights)
        # evaluate the float32 network in the caller's precision without converting it in place
        state = {name: t.to(dtype) for name, t in [*network.named_parameters(), *network.named_buffers()]}
        return torch.func.functional_call(network, state, (P, Y, weights))

    def _batch_loss(self, logits, targets, sample_weight):
        """The surrogate's value on the batch plus the weighted cross-entropy term."""
        if self.surrogate_off:
            return self._reduce(per_sample_cross_entropy(logits, targets), sample_weight)
        ce_weight = self._current_ce_weight()
        network = self._network()
        tabulable = can_tabulate(network, _n_classes(logits)) or can_tabulate_ranks(network, _n_classes(logits))
        if self.evaluation == "table" and tabulable:
            return self._table_for(network, logits)(logits, targets, sample_weight, ce_weight=ce_weight)
        value = self._exact_value(network, logits, targets, sample_weight)
        if ce_weight:
            value = value + ce_weight * self._reduce(per_sample_cross_entropy(logits, targets), sample_weight)
        return value


def _n_classes(logits):
    """The number of classes of a batch of logits: (n,) for a binary problem, (n, K) for K classes."""
    return 2 if logits.ndim == 1 else logits.shape[1]


def _tabulation(network, dtype, device):
    """The tabulated evaluation that fits ``network``: without rank features, or binary with them."""
    return (TabulatedSetSurrogate if can_tabulate(network) else TabulatedRankSurrogate)(network, dtype=dtype,
                                                                                         device=device)


@torch.compiler.disable  # a compiled graph cannot guard on the cache; it calls this between its parts
def _cached_table(loss, network, dtype, device):
    """``loss``'s tabulation of ``network`` for ``dtype`` (float64, else float32) and ``device``, built if
    missing or if the network's weights changed in place since."""
    tables = loss.__dict__.setdefault("_tables", {})
    dtype = torch.float64 if dtype == torch.float64 else torch.float32
    key = (id(network), dtype, device)
    cached = tables.get(key)
    if cached is None or [t._version for t in cached[0]] != cached[1]:
        tensors = list(network.state_dict(keep_vars=True).values())
        cached = tables[key] = (tensors, [t._version for t in tensors],
                                _tabulation(network, dtype=dtype, device=device))
    return cached[2]


def load_surrogate(path):
    """Load a surrogate saved by :func:`save_surrogate`, as a frozen :class:`ReLoss`.

    No code is executed from the file: it holds only weights and string
    metadata.

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`save_surrogate`.

    Returns
    -------
    loss : ReLoss
        A ``ReLoss`` whose ``surrogate`` is the stored network, frozen (no
        gradient, evaluation mode), with ``trained_classes`` as stored. Its
        ``metric`` is the stored built-in metric name, or None for a
        surrogate of a user metric or a bare network. ``loss.metadata_``
        holds the file's metadata (all strings).

    Raises
    ------
    ValueError
        If the file is not a surrogate file of a known format, or its
        weights do not fit the architecture it declares, or are not finite.
    FileNotFoundError
        If ``path`` does not exist.

    See Also
    --------
    save_surrogate : Write such a file.

    Examples
    --------
    The shipped surrogates are such files:

    >>> from importlib import resources
    >>> from sklearn_surrogate.learned import load_surrogate
    >>> path = resources.files("sklearn_surrogate.learned") / "weights" / "f1-set.safetensors"
    >>> loss = load_surrogate(path)
    >>> loss.metric, loss.architecture, loss.trained_classes
    ('f1', 'set', (2,))
    >>> loss.metadata_["steps"], any(p.requires_grad for p in loss.surrogate.parameters())
    ('1875', False)
    """
    import json

    network, meta, builtin = read_surrogate(path)
    params = json.loads(meta.get("metric_params", "{}")) if builtin else {}  # validated by read_surrogate
    loss = ReLoss(metric=meta["metric"] if builtin else None, architecture=meta["architecture"], surrogate=network,
                  metric_params=params or None)
    loss.metadata_ = meta
    return loss
