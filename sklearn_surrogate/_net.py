"""The skorch side: the net the estimator holds, its batching and its callbacks.

Tabular data fits in memory, so mini-batches are cut from tensors that live on
the training device (moved there once) by slicing with a permutation, instead
of collating items one by one through a ``DataLoader``; see
:class:`TensorBatchIterator`.
"""

import copy
import math

import numpy as np
import torch
from scipy.special import expit, softmax
from skorch import NeuralNet
from skorch.callbacks import Callback

from ._sampling import epoch_order

__all__ = ["SurrogateNet", "TensorDataset", "TensorBatchIterator", "logits_to_proba"]


class TensorDataset(torch.utils.data.Dataset):
    """Training data held as tensors: features, class indices, weights, row indices.

    Parameters
    ----------
    X : Tensor of shape (n, d)
    y : Tensor of int64, shape (n,)
    sample_weight : Tensor of shape (n,) or None
    index : Tensor of int64, shape (n,)
        Each row's position in the full training set (for losses with
        per-sample state).
    with_index : bool, default=True
        Whether batches carry the row indices.
    """

    def __init__(self, X, y, sample_weight=None, index=None, with_index=True):
        self.X = X
        self.y = y
        self.sample_weight = sample_weight
        self.index = torch.arange(len(y), device=y.device) if index is None else index
        self.with_index = with_index

    def __len__(self):
        return len(self.y)

    def targets(self, rows):
        """The target dictionary the net's ``get_loss`` unpacks, for ``rows`` (a slice or index tensor).

        Sample indices are included only when ``with_index`` is set (losses
        with per-sample state), so other losses do not pay for the gather.
        """
        target = {"y": self.y[rows]}
        if self.with_index:
            target["index"] = self.index[rows]
        if self.sample_weight is not None:
            target["sample_weight"] = self.sample_weight[rows]
        return target

    def __getitem__(self, i):
        return self.X[i], self.targets(i)


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
        self._y_cpu = dataset.y.cpu() if shuffle and sampling != "random" else None

    def __len__(self):
        return math.ceil(len(self.dataset) / self.batch_size)

    def __iter__(self):
        data, n, size = self.dataset, len(self.dataset), self.batch_size
        if self.shuffle:
            if self.sampling == "random":
                order = torch.randperm(n, generator=self.generator)
            else:
                order = epoch_order(self._y_cpu, self.n_classes, size, self.sampling, self.generator, self.shares)
            order = order.to(data.y.device)
            for start in range(0, len(order), size):
                rows = order[start : start + size]
                yield data.X[rows], data.targets(rows)
        else:
            for start in range(0, n, size):
                rows = slice(start, start + size)
                yield data.X[rows], data.targets(rows)


class SurrogateNet(NeuralNet):
    """A skorch :class:`~skorch.NeuralNet` that trains on a surrogate loss.

    It differs from a plain ``NeuralNet`` in three places: in-memory
    :class:`TensorDataset` data is batched by :class:`TensorBatchIterator`;
    ``get_loss`` passes sample weights (and sample indices to losses that
    declare ``needs_sample_index``) to the criterion; and the permutation
    seed is a parameter, so training is reproducible.

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
    *args, **kwargs
        As for :class:`skorch.NeuralNet`.
    """

    def __init__(self, *args, shuffle_seed=0, batch_sampling="random", n_classes=2, class_shares=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.shuffle_seed = shuffle_seed
        self.batch_sampling = batch_sampling
        self.n_classes = n_classes
        self.class_shares = class_shares

    @property
    def _default_callbacks(self):
        # the estimator passes its own, complete list of callbacks
        return []

    def _set_training(self, training=True):
        # skorch switches every module's mode before every batch; a recursive
        # ``train()`` per batch is measurable on small tabular networks, so only
        # switch when the mode changes.
        if self.__dict__.get("_training_mode") is training and self.module_.training is training:
            return
        super()._set_training(training)
        self._training_mode = training

    def get_iterator(self, dataset, training=False):
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

    def get_loss(self, y_pred, y_true, X=None, training=False):
        if not isinstance(y_true, dict):  # plain skorch data path
            return super().get_loss(y_pred, y_true, X=X, training=training)
        kwargs = {}
        if y_true.get("sample_weight") is not None:
            kwargs["sample_weight"] = y_true["sample_weight"]
        if getattr(self.criterion_, "needs_sample_index", False):
            kwargs["index"] = y_true["index"]
        return self.criterion_(y_pred, y_true["y"], **kwargs)


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
    """

    def __init__(self, scorer, y_valid, classes, sample_weight=None):
        self.scorer = scorer
        self.y_valid = y_valid
        self.classes = classes
        self.sample_weight = sample_weight

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
        score = self.scorer.score_proba(
            self.y_valid, logits_to_proba(logits), self.classes, sample_weight=self.sample_weight
        )
        is_best = bool(score > self.best_)
        if is_best:
            self.best_ = score
        net.history.record("valid_score", float(score))
        net.history.record("valid_score_best", is_best)


class EarlyStoppingOnScore(Callback):
    """Stop when ``valid_score`` has not improved for ``patience`` epochs; restore the best weights.

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
        self.best_epoch_ = 0
        self._wait = 0
        self._best_state = None
        return self

    def on_epoch_end(self, net, **kwargs):
        score = net.history[-1].get("valid_score")
        if score is None:
            return
        if score > self.best_score_ + self.tol or self._best_state is None:
            self.best_score_ = score
            self.best_epoch_ = len(net.history)
            self._wait = 0
            self._best_state = _snapshot(net)
        else:
            self._wait += 1
        if self._wait >= self.patience:
            raise KeyboardInterrupt  # skorch ends training cleanly on this

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
    """Stop training with a clear error once an epoch has seen a non-finite training loss.

    Checked at the end of each epoch from the batch losses skorch records
    (no extra synchronisation per batch); the error names the epoch and the
    first bad batch.
    """

    def on_epoch_end(self, net, **kwargs):
        batches = net.history[-1]["batches"]
        for i, batch in enumerate(batches, start=1):
            value = batch.get("train_loss")
            if value is not None and not math.isfinite(value):
                raise FloatingPointError(
                    f"The training loss became {value} at epoch {len(net.history)}, batch {i}. Try a lower "
                    "learning rate (lr), feature scaling (StandardScaler), other loss parameters, or another loss."
                )
