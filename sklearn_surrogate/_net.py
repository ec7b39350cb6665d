"""The skorch side: the net the estimator holds, its batching and its callbacks.

Tabular data fits in memory, so mini-batches are cut from tensors that live on
the training device (moved there once) by slicing with a permutation, instead
of collating items one by one through a ``DataLoader``; see
:class:`TensorBatchIterator`.
"""

import contextlib
import copy
import math
import types

import numpy as np
import torch
from scipy.special import expit, softmax
from skorch import NeuralNet
from skorch.callbacks import BatchScoring, Callback, EarlyStopping, EpochScoring, LRScheduler
from skorch.dataset import Dataset as SkorchDataset
from skorch.utils import to_numpy

from ._sampling import epoch_order
from ._torch_utils import SparseRows

__all__ = ["LabeledView", "OutOfFoldScore", "SurrogateNet", "TensorBatchIterator", "TensorDataset", "logits_to_proba"]


class TensorDataset(torch.utils.data.Dataset):
    """A subset of rows of training data held as tensors, addressed by row index.

    The full feature matrix is shared, not copied: the training and the
    validation sets of one fit are two ``TensorDataset`` objects over the same
    tensors with different ``rows``, and batches gather their rows directly
    from the full matrix. A fit therefore holds the data once (on the CPU,
    a float32 C-contiguous input is not copied at all).

    Parameters
    ----------
    X : Tensor of shape (n, d), or SparseRows
        All rows of the data. Sparse data comes as a
        :class:`~sklearn_surrogate._torch_utils.SparseRows`, whose indexing
        returns the dense tensor of just the rows asked for.
    y : Tensor of int64, shape (n,)
    sample_weight : Tensor of shape (n,) or None
    rows : Tensor of int64 or None, default=None
        The rows of ``X`` this dataset holds, in order; None for all rows.
        Row positions double as the sample indices that losses with
        per-sample state receive.
    with_index : bool, default=True
        Whether batches carry the row indices.
    costs : Tensor of shape (n, K, K) or None, default=None
        One cost matrix per row (``fit(..., costs=...)``), carried with each
        batch like the sample weights, for losses with ``takes_costs``.
    """

    def __init__(self, X, y, sample_weight=None, rows=None, with_index=True, costs=None):
        self.X = X
        self.y = y
        self.sample_weight = sample_weight
        self.rows = rows
        self.with_index = with_index
        self.costs = costs

    def __len__(self):
        return len(self.y) if self.rows is None else len(self.rows)

    def select(self, positions):
        """Row indices (a tensor, or a slice when the dataset holds all rows) of ``positions``.

        Parameters
        ----------
        positions : slice or Tensor of int64
            Positions within this dataset (``0 <= position < len(self)``).
        """
        if self.rows is None:
            return positions
        return self.rows[positions]

    def batch(self, rows):
        """The ``(X, targets)`` pair of a batch of row indices (as returned by :meth:`select`).

        The target dictionary is what the net's ``get_loss`` unpacks. Sample
        indices are included only when ``with_index`` is set (losses with
        per-sample state), so other losses do not pay for them; per-row costs
        only when the dataset holds them.
        """
        target = {"y": self.y[rows]}
        if self.with_index:
            target["index"] = _as_index(rows, len(self.y), self.y.device)
        if self.sample_weight is not None:
            target["sample_weight"] = self.sample_weight[rows]
        if self.costs is not None:
            target["costs"] = self.costs[rows]
        return self.X[rows], target

    def __getitem__(self, i):
        rows = self.select(i)
        return self.batch(rows)

    def labeled(self, classes):
        """This dataset as skorch and its callbacks see it: a :class:`LabeledView` with original labels.

        Parameters
        ----------
        classes : ndarray of shape (n_classes,)
            The labels that the class indices in ``y`` stand for.
        """
        return LabeledView(self, classes)


class LabeledView(SkorchDataset):
    """A :class:`TensorDataset` seen as a skorch ``Dataset`` of its own rows, with original labels.

    The estimator hands these views to skorch as the training and validation
    data, so callbacks that read the data back (skorch's ``EpochScoring`` with
    ``use_caching=False`` calls ``skorch.utils.data_from_dataset``) get the
    rows of this subset: ``X`` their features (a tensor on the training
    device, gathered on access) and ``y`` their labels from ``classes`` (not
    the class indices the losses train on). Batching goes through the
    underlying dataset (:meth:`SurrogateNet.get_iterator` unwraps the view),
    so training is unchanged.

    Parameters
    ----------
    dataset : TensorDataset
    classes : ndarray of shape (n_classes,)
    """

    def __init__(self, dataset, classes):  # noqa: D107  (no skorch Dataset.__init__: nothing to convert)
        self.dataset = dataset
        self.classes = np.asarray(classes)

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, i):
        return self.dataset[i]

    @property
    def X(self):
        """Features of the rows: a tensor on the training device, or, for sparse data, the dataset itself.

        Sparse data is never densified whole: the net's prediction methods
        take the dataset and densify it one batch at a time.
        """
        if isinstance(self.dataset.X, SparseRows):
            return self.dataset
        return self.dataset.X[self.dataset.select(slice(None))]

    @property
    def y(self):
        """Original labels of the rows (an ndarray)."""
        return self.classes[self.dataset.y[self.dataset.select(slice(None))].cpu().numpy()]


def _as_index(rows, n, device):
    if isinstance(rows, slice):
        return torch.arange(n, device=device)[rows]
    if isinstance(rows, int):
        return torch.tensor(rows, device=device)
    return rows


class TensorBatchIterator:
    """Mini-batches of a :class:`TensorDataset` by tensor indexing.

    Parameters
    ----------
    dataset : TensorDataset
    batch_size : int
    shuffle : bool
        Draw a new row order at every pass (else iterate in order, by slices).
    generator : torch.Generator or None
        Source of the orders (on the CPU), for reproducibility.
    sampling : {"random", "stratified", "balanced"}, default="random"
        How a shuffled pass orders the rows; see :mod:`sklearn_surrogate._sampling`.
    n_classes : int, default=2
    shares : sequence of float or None
        Class shares per batch for ``sampling="balanced"``.
    """

    def __init__(self, dataset, batch_size, shuffle=False, generator=None, sampling="random", n_classes=2,
                 shares=None):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = generator
        self.sampling = sampling
        self.n_classes = n_classes
        self.shares = shares
        self._y_cpu = None
        if shuffle and sampling != "random":
            self._y_cpu = dataset.y[dataset.select(slice(None))].cpu()

    def __len__(self):
        return math.ceil(len(self.dataset) / self.batch_size)

    def __iter__(self):
        data, n, size = self.dataset, len(self.dataset), self.batch_size
        if self.shuffle:
            if self.sampling == "random":
                order = torch.randperm(n, generator=self.generator)
            else:
                order = epoch_order(self._y_cpu, self.n_classes, size, self.sampling, self.generator, self.shares)
            rows = data.select(order.to(data.y.device))
            for start in range(0, len(rows), size):
                yield data.batch(rows[start : start + size])
        else:
            for start in range(0, n, size):
                yield data.batch(data.select(slice(start, start + size)))


def _ignores_training_batches(callback):
    """Whether a callback's batch hooks are known to do nothing on training batches.

    skorch's ``EpochScoring`` and ``BatchScoring`` scoring the validation data
    (``on_train=False``) return at once on training batches, as does
    ``LRScheduler`` stepping once per epoch; they leave the lean loop on.
    """
    cls = type(callback)
    if any(getattr(cls, m) is not getattr(Callback, m) for m in ("on_batch_begin", "on_grad_computed")):
        return False
    if cls.on_batch_end in (EpochScoring.on_batch_end, BatchScoring.on_batch_end):
        return not callback.on_train
    if cls.on_batch_end is LRScheduler.on_batch_end:
        return callback.step_every == "epoch"
    return False


def _reads_batch_labels(callbacks):
    """Whether a callback outside this package reads batches (its own ``on_batch_begin``/``on_batch_end``).

    Only those need a batch's labels, which cost a device-to-host copy per
    batch; the package's own callbacks never read them.
    """
    return any(
        not type(callback).__module__.startswith("sklearn_surrogate.")
        and (_overrides(callback, "on_batch_begin") or _overrides(callback, "on_batch_end"))
        for _, callback in callbacks
    )


def _overrides(callback, method):
    """Whether a callback implements ``method`` itself (not skorch's no-op default)."""
    own = getattr(type(callback), method, None)
    return own is not None and own is not getattr(Callback, method)


class SurrogateNet(NeuralNet):
    """A skorch :class:`~skorch.NeuralNet` that trains on a surrogate loss.

    It differs from a plain ``NeuralNet`` in these places:

    * in-memory :class:`TensorDataset` data is batched by
      :class:`TensorBatchIterator`;
    * ``get_loss`` passes sample weights (and sample indices to losses that
      declare ``needs_sample_index``) to the criterion;
    * the permutation seed is a parameter, so training is reproducible;
    * a training pass over a :class:`TensorDataset` runs a lean loop (see
      :meth:`run_single_epoch`) when no callback listens to training batches:
      the per-batch bookkeeping is the same, but batch losses are read back
      from the device once per epoch instead of once per batch;
    * optional bf16 autocast (``mixed_precision``) and ``torch.compile`` of
      the training forward pass and loss (``compile_forward``);
    * for the callbacks, it behaves as a fitted scikit-learn classifier
      would (``classes_``, ``decision_function``, ``predict_proba`` with
      sigmoid or softmax probabilities, ``predict`` with original labels,
      ``score`` with the estimator's scorer), batches reach callbacks as
      ``(X, y)`` with ``y`` the batch's original labels, and datasets as
      :class:`LabeledView`; so skorch's ``EpochScoring`` and
      ``BatchScoring`` score with scikit-learn scorers as on the estimator;
    * a callback may call :meth:`request_stop` to end training once every
      callback has seen the epoch (the estimator's early stopping does);
    * any other ``KeyboardInterrupt`` during training (Ctrl-C, or a callback
      raising it) is not swallowed, as skorch's ``partial_fit`` does: the
      callbacks still see the end of training (best weights are restored),
      then the interrupt propagates, so a model search or a parallel job
      stops too. A skorch ``EarlyStopping`` callback, which stops training by
      raising ``KeyboardInterrupt``, still ends it quietly.

    Parameters
    ----------
    shuffle_seed : int, default=0
        Seed of the generator that draws the training row orders.
    batch_sampling : {"random", "stratified", "balanced"}, default="random"
        Row order of the training batches (see :class:`TensorBatchIterator`).
    n_classes : int, default=2
        Number of classes (for stratified and balanced sampling).
    class_shares : sequence of float or None, default=None
        Class shares per batch for balanced sampling (None: equal).
    mixed_precision : {None, "bf16"}, default=None
        Run the module's forward passes under ``torch.autocast`` with
        bfloat16; the loss is computed in float32 on float32 logits.
    compile_forward : bool or dict, default=False
        Compile the training forward pass, network and loss together, with
        :func:`torch.compile` (a dict is passed on as its keyword arguments).
        The compiled function is a cache: it is not pickled, and validation
        and prediction use the module itself.
    classes : ndarray of shape (n_classes,) or None, default=None
        The original labels, in the order of the network's outputs; needed by
        the scoring methods and the labels callbacks see.
    scorer : callable or None, default=None
        The scorer of :meth:`score` (the estimator's ``scorer_``), so that
        ``EpochScoring(None, ...)`` scores the target metric.
    *args, **kwargs
        As for :class:`skorch.NeuralNet`.
    """

    def __init__(self, *args, shuffle_seed=0, batch_sampling="random", n_classes=2, class_shares=None,
                 mixed_precision=None, compile_forward=False, classes=None, scorer=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.shuffle_seed = shuffle_seed
        self.batch_sampling = batch_sampling
        self.n_classes = n_classes
        self.class_shares = class_shares
        self.mixed_precision = mixed_precision
        self.compile_forward = compile_forward
        self.classes = classes
        self.scorer = scorer

    @property
    def _default_callbacks(self):
        # the estimator passes its own, complete list of callbacks
        return []

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_batch_loss_cache", None)  # a compilation cache, rebuilt on demand
        state.pop("_last_batch_labels", None)  # the last batch's labels, a per-batch cache
        return state

    def partial_fit(self, X, y=None, classes=None, **fit_params):
        """skorch's ``partial_fit``, then the ``KeyboardInterrupt`` that interrupted training, if one did.

        skorch ends training quietly on any ``KeyboardInterrupt`` raised in its
        fit loop. Here only the stops of :meth:`request_stop` and of skorch's
        ``EarlyStopping`` are quiet; an interruption is raised again once the
        callbacks have seen the end of training, so that the net holds the
        weights a stop would have left and the caller still learns of it.
        """
        self._training_interrupted = False  # read by the estimator: whether the last training was interrupted
        self._interruption = None
        super().partial_fit(X, y, classes=classes, **fit_params)
        interruption = self.__dict__.pop("_interruption", None)
        if interruption is not None:
            self._training_interrupted = True
            raise interruption
        return self

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        try:
            return super().fit_loop(X, y, epochs=epochs, **fit_params)
        except KeyboardInterrupt as exc:
            if not (isinstance(exc, _StopTraining) or _raised_by_skorch_early_stopping(exc)):
                self._interruption = exc  # raised again by partial_fit, after on_train_end
            raise

    def _set_training(self, training=True):
        # skorch switches every module's mode before every batch; a recursive
        # ``train()`` per batch is measurable on small tabular networks, so only
        # switch when the mode changes.
        if self.__dict__.get("_training_mode") is training and self.module_.training is training:
            return
        super()._set_training(training)
        self._training_mode = training

    def autocast(self):
        """The autocast context of the forward passes (a no-op unless ``mixed_precision`` is set)."""
        device = self._autocast_device()
        return contextlib.nullcontext() if device is None else torch.autocast(device, dtype=torch.bfloat16)

    def _training_loss_fn(self):
        """The function ``(X, y, sample_weight, index, costs) -> loss`` of a training batch, compiled if asked.

        With ``compile_forward`` the network and the loss are compiled together
        (static shapes unless the options say otherwise: the last, smaller
        batch of an epoch gets its own graph), so the loss's many small tensor
        operations are fused. The compiled function is cached for this module
        and criterion.
        """
        key = (id(self.module_), id(self.criterion_), self.mixed_precision)
        cached = self.__dict__.get("_batch_loss_cache")
        if cached is not None and cached[0] == key:
            return cached[1]
        function = _batch_loss_function(self.module_, self.criterion_, self._autocast_device())
        if self.compile_forward:
            options = {"dynamic": False}
            if isinstance(self.compile_forward, dict):
                options.update(self.compile_forward)
            function = torch.compile(_with_own_code(function), **options)
        self._batch_loss_cache = (key, function)
        return function

    def _autocast_device(self):
        """The device type to autocast on (None without mixed precision)."""
        return torch.device(self.device).type if self.mixed_precision else None

    def infer(self, x, **fit_params):
        with self.autocast():
            y_pred = super().infer(x, **fit_params)
        return y_pred.float() if self.mixed_precision and y_pred.dtype == torch.bfloat16 else y_pred

    def get_iterator(self, dataset, training=False):
        if isinstance(dataset, LabeledView):
            dataset = dataset.dataset
        if not isinstance(dataset, TensorDataset):
            return super().get_iterator(dataset, training=training)
        batch_size = len(dataset) if self.batch_size == -1 else self.batch_size
        generator = None
        if training:
            generator = torch.Generator().manual_seed(int(self.shuffle_seed))
        return TensorBatchIterator(
            dataset,
            max(int(batch_size), 1),
            shuffle=training,
            generator=generator,
            sampling=self.batch_sampling,
            n_classes=self.n_classes,
            shares=self.class_shares,
        )

    def _listens_to_training_batches(self):
        for _, callback in self.callbacks_:
            if not getattr(callback, "listens_to_training_batches", True) or _ignores_training_batches(callback):
                continue
            if any(_overrides(callback, m) for m in ("on_batch_begin", "on_batch_end", "on_grad_computed")):
                return True
        return False

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        """One pass over the data; the training pass over a :class:`TensorDataset` is a lean loop.

        The lean loop does what skorch's loop does for every batch (zero the
        gradients, forward, loss, backward, optimizer step with a closure, a
        new history batch with ``train_loss`` and ``train_batch_size``) but
        skips the callback notifications nobody listens to and keeps the batch
        losses on the device until the end of the pass, so a GPU is not
        synchronised once per batch. Callbacks that implement
        ``on_batch_begin``, ``on_batch_end`` or ``on_grad_computed`` get
        skorch's loop instead.
        """
        lean = (
            training
            and isinstance(iterator, TensorBatchIterator)
            and not fit_params
            and not self._listens_to_training_batches()
        )
        if not lean:
            return super().run_single_epoch(iterator, training, prefix, step_fn, **fit_params)
        self._set_training(True)
        training_loss = self._training_loss_fn()
        optimizer = self.optimizer_
        losses, sizes = [], []
        for Xb, yb in iterator:
            first = []  # the loss of the closure's first evaluation, as skorch's FirstStepAccumulator keeps

            def closure(Xb=Xb, yb=yb, first=first):
                optimizer.zero_grad(set_to_none=True)
                loss = training_loss(Xb, yb["y"], yb.get("sample_weight"), yb.get("index"), yb.get("costs"))
                loss.backward()
                if not first:
                    first.append(loss.detach())
                return loss

            optimizer.step(closure)  # some optimizers return None rather than the closure's loss
            losses.append(first[0])
            sizes.append(len(Xb))
        values = torch.stack(losses).float().cpu().tolist() if losses else []
        for value, size in zip(values, sizes):
            self.history.new_batch()
            self.history.record_batch(prefix + "_loss", value)
            self.history.record_batch(prefix + "_batch_size", size)
        self.history.record(prefix + "_batch_count", len(values))

    def get_loss(self, y_pred, y_true, X=None, training=False):
        if not isinstance(y_true, dict):  # plain skorch data path
            return super().get_loss(y_pred, y_true, X=X, training=training)
        return _criterion_value(self.criterion_, y_pred, y_true["y"], y_true.get("sample_weight"), y_true.get("index"),
                                y_true.get("costs"))

    # -- what the callbacks see ------------------------------------------
    def notify(self, method_name, **cb_kwargs):
        """Call ``method_name`` on the net and every callback, as skorch does, with two differences.

        A batch reaches the callbacks as ``(X, y)`` with ``y`` the original
        labels of its rows (our batches carry a dictionary of class indices,
        weights and sample indices for the loss), so scoring callbacks compare
        predictions with labels as a scikit-learn scorer would. And after
        ``on_epoch_end`` has reached every callback, a stop asked for with
        :meth:`request_stop` ends training.
        """
        if method_name == "on_train_begin":
            self._reads_batch_labels = _reads_batch_labels(self.callbacks_)
        batch = cb_kwargs.get("batch")
        if (self.__dict__.get("_reads_batch_labels", True) and isinstance(batch, (tuple, list)) and len(batch) == 2
                and isinstance(batch[1], dict)):
            cb_kwargs["batch"] = (batch[0], self._batch_labels(batch[1]))
        super().notify(method_name, **cb_kwargs)
        if method_name == "on_epoch_end" and self.__dict__.pop("_stop_requested", False):
            raise _StopTraining  # skorch ends training cleanly on this (a KeyboardInterrupt); not an interruption

    def request_stop(self):
        """End training after the current epoch, once every callback has seen its end."""
        self._stop_requested = True

    def _batch_labels(self, target):
        """The original labels of a batch's targets, converted once for its begin and end notifications."""
        if self.classes is None or "y" not in target:
            return target
        cached = self.__dict__.get("_last_batch_labels")
        if cached is not None and cached[0] is target["y"]:
            return cached[1]
        labels = self.classes_[to_numpy(target["y"])]
        self._last_batch_labels = (target["y"], labels)
        return labels

    @property
    def classes_(self):
        """The original class labels (an AttributeError when the net was built without them)."""
        if self.classes is None:
            raise AttributeError("This SurrogateNet was built without classes.")
        return np.asarray(self.classes)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.estimator_type = "classifier"  # scikit-learn scorers then pick the positive class from classes_
        if tags.classifier_tags is None:
            from sklearn.utils import ClassifierTags

            tags.classifier_tags = ClassifierTags()
        return tags

    def decision_function(self, X):
        """Logits of ``X`` (float64): shape ``(n,)`` for one output (binary problems), else ``(n, n_classes)``.

        Inside a scoring callback the cached predictions of the epoch's pass
        are used, as for every skorch prediction method.
        """
        outputs = [yp[0] if isinstance(yp, tuple) else yp for yp in self.forward_iter(X, training=False)]
        logits = torch.cat(outputs).detach().float().cpu().numpy().astype(np.float64)
        if logits.ndim == 2 and logits.shape[1] == 1:
            logits = logits[:, 0]
        return logits

    def predict_proba(self, X):
        """Class probabilities of ``X`` (sigmoid or softmax of the logits), in the order of ``classes_``."""
        return logits_to_proba(self.decision_function(X))

    def predict(self, X):
        """Predicted original labels of ``X``."""
        logits = self.decision_function(X)
        index = (logits > 0).astype(int) if logits.ndim == 1 else np.argmax(logits, axis=1)
        return self.classes_[index]

    def score(self, X, y, sample_weight=None):
        """``scorer(self, X, y)``: the estimator's target metric, as ``EpochScoring(scoring=None)`` records it."""
        if self.scorer is None:
            raise AttributeError("This SurrogateNet was built without a scorer.")
        return self.scorer(self, X, y, sample_weight=sample_weight)


class _StopTraining(KeyboardInterrupt):
    """The stop :meth:`SurrogateNet.request_stop` asks for: skorch ends training on it as on any ``KeyboardInterrupt``."""


def _raised_by_skorch_early_stopping(exc):
    """Whether ``exc`` is the ``KeyboardInterrupt`` with which a skorch ``EarlyStopping`` callback stops training.

    skorch's ``EarlyStopping`` raises a plain ``KeyboardInterrupt`` from its
    ``on_epoch_end`` once ``misses_`` reaches ``patience``: the innermost frame
    of the traceback is that method of such a callback.
    """
    tb = exc.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    frame = tb.tb_frame
    callback = frame.f_locals.get("self")
    return (frame.f_code.co_name == "on_epoch_end" and isinstance(callback, EarlyStopping)
            and getattr(callback, "misses_", 0) >= getattr(callback, "patience", 1))


def _batch_loss_function(module, criterion, autocast_device=None):
    """A plain function from a batch to its loss: the forward pass, then the criterion.

    A closure over the module and the criterion rather than a method of the
    net, so that ``torch.compile`` guards on those two objects only.

    Parameters
    ----------
    module, criterion : nn.Module
    autocast_device : str or None
        Device type on which the forward pass runs under bfloat16 autocast
        (None: no autocast). The loss always sees float32 (or float64) logits.
    """

    def batch_loss(X, y, sample_weight=None, index=None, costs=None):
        if autocast_device is None:
            y_pred = module(X)
        else:
            with torch.autocast(device_type=autocast_device, dtype=torch.bfloat16):
                y_pred = module(X)
            y_pred = y_pred.float()
        return _criterion_value(criterion, y_pred, y, sample_weight, index, costs)

    return batch_loss


def _criterion_value(criterion, y_pred, y, sample_weight=None, index=None, costs=None):
    """``criterion(y_pred, y, ...)`` with sample weights, plus sample indices and per-row costs for losses taking them."""
    kwargs = {}
    if sample_weight is not None:
        kwargs["sample_weight"] = sample_weight
    if getattr(criterion, "needs_sample_index", False):
        kwargs["index"] = index
    if costs is not None and getattr(criterion, "takes_costs", False):
        kwargs["costs"] = costs
    return criterion(y_pred, y, **kwargs)


def _with_own_code(function):
    """A copy of ``function`` with a code object of its own.

    ``torch.compile`` caches compiled graphs per code object, with a limit on
    recompilations (8 by default) after which it silently runs the code
    eagerly. Every fit builds a new batch-loss closure over new objects; with
    one shared code object, the ninth compiled fit in a process (a grid
    search) would no longer be compiled. A code object per fit keeps the
    cache, and its limit, per fit (torch's on-disk cache still makes repeated
    compilations of the same graph quick).
    """
    return types.FunctionType(
        function.__code__.replace(), function.__globals__, function.__name__, function.__defaults__,
        function.__closure__,
    )


def logits_to_proba(logits):
    """Class probabilities (float64) from logits: sigmoid for one column, softmax otherwise."""
    logits = np.asarray(logits, dtype=np.float64)
    if logits.ndim == 1:
        p = expit(logits)
        return np.column_stack([1.0 - p, p])
    return softmax(logits, axis=1)


class ValidationScore(Callback):
    """Score the validation predictions of each epoch with a surrogate scorer.

    The logits come from the validation pass skorch already makes (no second
    forward pass). Records ``valid_score`` and ``valid_score_best`` in the
    history.

    Parameters
    ----------
    scorer : SurrogateScorer
    y_valid : ndarray
        Validation labels (original labels).
    classes : ndarray
    sample_weight : ndarray or None
    costs : ndarray of shape (n_valid, K, K) or None, default=None
        The validation rows' costs, for a cost scorer that takes them.
    """

    listens_to_training_batches = False  # only validation batches are read

    def __init__(self, scorer, y_valid, classes, sample_weight=None, costs=None):
        self.scorer = scorer
        self.y_valid = y_valid
        self.classes = classes
        self.sample_weight = sample_weight
        self.costs = costs

    def initialize(self):
        self.best_ = -np.inf
        self._logits = []
        return self

    def on_epoch_begin(self, net, **kwargs):
        self._logits = []

    def on_batch_end(self, net, batch=None, training=None, y_pred=None, **kwargs):
        if not training:
            self._logits.append(y_pred.detach())

    def on_epoch_end(self, net, **kwargs):
        if not self._logits:
            return
        logits = torch.cat(self._logits).float().cpu().numpy()
        self._logits = []
        if logits.ndim == 2 and logits.shape[1] == 1:  # a custom module's (n, 1) binary logits, as predict reads them
            logits = logits[:, 0]
        costs = {} if self.costs is None else {"costs": self.costs}
        score = self.scorer.score_proba(
            self.y_valid, logits_to_proba(logits), self.classes, sample_weight=self.sample_weight, **costs
        )
        is_best = bool(score > self.best_)
        if is_best:
            self.best_ = score
        net.history.record("valid_score", float(score))
        net.history.record("valid_score_best", is_best)


class OutOfFoldScore(Callback):
    """Score each epoch's out-of-fold predictions of a cross-fitted ensemble, as ``valid_score``.

    Every training row is predicted by the member that did not train on it
    (:func:`~sklearn_surrogate._ensemble.out_of_fold_logits`), and the metric
    is taken at its best threshold for binary label metrics (the threshold
    the fit will tune), at the arg-max otherwise, or on the probabilities
    for ranking metrics. :class:`EarlyStoppingOnScore` then stops on it and
    restores the best epoch.

    Parameters
    ----------
    scorer : SurrogateScorer
    dataset : TensorDataset
        All training rows.
    folds : Tensor of int64, shape (n,)
    classes : ndarray
    sample_weight : ndarray or None
    costs : ndarray of shape (n, K, K) or None, default=None
        The training rows' costs, for a cost scorer that takes them.
    """

    listens_to_training_batches = False

    def __init__(self, scorer, dataset, folds, classes, sample_weight=None, costs=None):
        self.scorer = scorer
        self.dataset = dataset
        self.folds = folds
        self.classes = classes
        self.sample_weight = sample_weight
        self.costs = costs

    def initialize(self):
        self.best_ = -np.inf
        self._y = self.dataset.y.cpu().numpy()
        return self

    def on_epoch_end(self, net, **kwargs):
        from ._decision import best_threshold_score
        from ._ensemble import out_of_fold_logits

        logits = out_of_fold_logits(net.module_, self.dataset, self.folds)
        costs = {} if self.costs is None else {"costs": self.costs}
        score = best_threshold_score(self._y, logits, self.scorer, self.classes, self.sample_weight, **costs)
        is_best = bool(score > self.best_)
        if is_best:
            self.best_ = score
        net.history.record("valid_score", float(score))
        net.history.record("valid_score_best", is_best)
        # the tie-breaker of early stopping: a metric at its best threshold is flat while the network is still
        # nearly constant (every row predicted positive scores the same F1 for many epochs). The ROC AUC for a
        # binary problem (surrogate losses need not be calibrated, only to rank), else the log-loss
        net.history.record("valid_tiebreak", _tiebreak(self._y, logits, self.sample_weight))


def _tiebreak(y, logits, sample_weight=None):
    """ROC AUC of binary logits (0.5 when one class is missing); minus the mean cross-entropy otherwise."""
    if logits.ndim == 1:
        from sklearn.metrics import roc_auc_score

        if len(np.unique(y)) < 2:
            return 0.5
        return float(roc_auc_score(y, logits, sample_weight=sample_weight))
    top = logits.max(axis=1, keepdims=True)
    log_norm = (top + np.log(np.exp(logits - top).sum(axis=1, keepdims=True)))[:, 0]
    return -float(np.average(log_norm - logits[np.arange(len(y)), y], weights=sample_weight))


class EarlyStoppingOnScore(Callback):
    """Stop when ``valid_score`` has not improved for ``patience`` epochs; restore the best weights.

    The stop is asked of the net (:meth:`SurrogateNet.request_stop`), which
    ends training once every callback has seen the epoch's end. The weights
    are restored in ``on_train_end``, before the callbacks listed after this
    one see the end of training.

    Parameters
    ----------
    patience : int
    tol : float
        Minimum improvement that counts.
    """

    def __init__(self, patience=10, tol=1e-4):
        self.patience = patience
        self.tol = tol

    def initialize(self):
        self.best_score_ = -np.inf
        self._best_tie_loss = -np.inf
        self._best_loss = -np.inf
        self.best_epoch_ = 0
        self._wait = 0
        self._best_state = None
        self.stopped_ = False
        return self

    def on_epoch_end(self, net, **kwargs):
        score = net.history[-1].get("valid_score")
        if score is None:
            return
        # when the scorer records a tie-breaker too (the cross-fitted ensemble's AUC or log-loss), it breaks ties on the
        # score (a metric at its best threshold is flat while the network is still nearly constant), and training
        # goes on while it improves
        loss = net.history[-1].get("valid_tiebreak", -np.inf)
        tied = score >= self.best_score_ - 1e-12 and loss > self._best_tie_loss + self.tol
        if score > self.best_score_ + self.tol or tied or self._best_state is None:
            self.best_score_ = max(score, self.best_score_)
            self._best_tie_loss = loss
            self.best_epoch_ = len(net.history)
            self._wait = 0
            self._best_state = _snapshot(net)
        elif loss > self._best_loss + self.tol:
            self._wait = 0
        else:
            self._wait += 1
        self._best_loss = max(self._best_loss, loss)
        if self._wait >= self.patience:
            self.stopped_ = True
            net.request_stop()  # after the other callbacks (user scores, checkpoints) have seen this epoch

    def on_train_end(self, net, **kwargs):
        if self._best_state is not None:
            _restore(net, self._best_state)
            self._best_state = None


def _snapshot(net):
    return {
        "module": copy.deepcopy(net.module_.state_dict()),
        "criterion": copy.deepcopy(net.criterion_.state_dict()),
    }


def _restore(net, state):
    net.module_.load_state_dict(state["module"])
    net.criterion_.load_state_dict(state["criterion"])


class LossEpochHook(Callback):
    """Tell the criterion which epoch starts (its ``on_epoch_begin(epoch, max_epochs)``, if it has one)."""

    def on_epoch_begin(self, net, **kwargs):
        hook = getattr(net.criterion_, "on_epoch_begin", None)
        if callable(hook):
            hook(len(net.history) - 1, net.max_epochs)


class NonFiniteLossGuard(Callback):
    """Stop training with a clear error once an epoch has seen a non-finite loss or parameter.

    Checked at the end of each epoch from the batch losses skorch records
    and the parameters of the network and the loss (one host read per
    epoch, none per batch); the error names the epoch and the first bad
    batch, or the first non-finite parameter, and suggests remedies.
    """

    remedies = ("Try a lower learning rate (learning_rate_init), feature scaling (StandardScaler), other loss "
                "parameters, or another loss.")

    def on_epoch_end(self, net, **kwargs):
        epoch = len(net.history)
        batches = net.history[-1]["batches"]
        for i, batch in enumerate(batches, start=1):
            value = batch.get("train_loss")
            if value is not None and not math.isfinite(value):
                raise FloatingPointError(f"The training loss became {value} at epoch {epoch}, batch {i}. {self.remedies}")
        named = [("module", net.module_), ("loss", net.criterion_)]
        params = [(f"{owner}.{name}", p) for owner, m in named for name, p in m.named_parameters() if p.requires_grad]
        if not params:
            return
        # one reduction per parameter, gathered on the CPU (parameters may sit on several devices)
        finite = torch.stack([torch.isfinite(p.detach()).all().cpu() for _, p in params])
        if not bool(finite.all()):
            name = params[int(torch.nonzero(~finite)[0, 0])][0]
            raise FloatingPointError(
                f"The parameter {name} became non-finite during epoch {epoch} (after {len(batches)} batches). "
                f"{self.remedies}"
            )