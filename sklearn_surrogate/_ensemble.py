"""The cross-fitted ensemble behind ``SurrogateClassifier(metric=...)``.

One network holds ``n_members`` independent multi-layer perceptrons, packed
into batched weight tensors (``(n_members, in, out)`` per layer) so that the
members train together in one forward and backward pass, as in the packed
ensembles that TabM (Gorishniy et al., ICLR 2025) compares with. The training
rows are split into ``n_members`` stratified folds and member ``j`` trains on
every fold but the ``j``-th (:class:`CrossFitLoss` masks its rows out of that
member's loss). So every training row has an *out-of-fold* prediction, from
the one member that never saw it, and those predictions are what the
estimator uses to

- choose the checkpoint (early stopping on the target metric), and
- tune the decision threshold (or class offsets) for the metric,

with every row, positives included, and without the refits of
:class:`~sklearn.model_selection.TunedThresholdClassifierCV`. At prediction
time the members' logits are averaged: the ensemble is also the model.

The members share no parameter (the point of cross-fitting: a shared weight
would carry a row's label into the member meant not to see it). Inputs are
robustly scaled and smoothly clipped inside the network (RealMLP's recipe,
Holzmüller et al., 2024): ``x -> z / sqrt(1 + (z / 3)^2)`` with ``z`` the
feature centred on its median and divided by a robust spread, statistics
computed on the training rows at ``fit`` and kept as buffers of the module,
so they travel with the saved model.
"""

import copy
import math

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.model_selection import StratifiedKFold
from torch import nn

from ._modules import ACTIVATIONS

__all__ = ["CrossFitLoss", "MLPEnsemble", "assign_folds", "dataset_logits", "out_of_fold_logits"]

_STAT_ROWS = 20_000  # rows used for the input statistics (a random subset above that)
_CLIP = 3.0
_N_BINS = 16  # bins of the piecewise-linear encoding of each feature (0: none)
# features with fewer distinct training values get no bins (one-hot columns: their bins would only repeat them). On
# the 8 binary shared datasets that have such columns, 5 x 2 CV, encoding them too (0 here) changed the mean F1 of
# metric="f1" by -0.001 (3 datasets up, 5 down, none significantly better) at 2-8 times the fit time, and adult's
# fit from 9 s to 165 s: benchmarks/results/onehot_encoding_f1.csv
_MIN_VALUES_ENCODED = 3
# the learnable input scale is 1 + _SCALE_RATE * s with s a parameter starting at 0: Adam moves s by about the
# learning rate per step, so the scale moves _SCALE_RATE times faster than a weight (RealMLP's scaling layer gets a
# learning rate several times the weights' for the same reason). On churn's first 4 folds, F1 0.743 without, 0.762
# with a rate of 10, 0.778 with 30
_SCALE_RATE = 30.0


class _PackedLinear(nn.Module):
    """``n_members`` independent linear layers applied to ``(n_members, n, in)`` at once."""

    def __init__(self, n_members, in_features, out_features):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_members, in_features, out_features))
        self.bias = nn.Parameter(torch.empty(n_members, 1, out_features))
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1.0 / math.sqrt(self.weight.shape[1])  # torch.nn.Linear's default initialisation, member by member
        nn.init.uniform_(self.weight, -bound, bound)
        nn.init.uniform_(self.bias, -bound, bound)

    def resize_input(self, in_features):
        """Take ``in_features`` inputs, re-initialised, keeping the same parameter objects (an optimizer holding
        them stays valid)."""
        with torch.no_grad():
            self.weight.data = self.weight.new_empty(self.weight.shape[0], in_features, self.weight.shape[2])
        self.reset_parameters()

    def forward(self, x):
        return torch.baddbmm(self.bias, x, self.weight)


class MLPEnsemble(nn.Module):
    """``n_members`` independent MLPs in one module, with robust input scaling.

    Parameters
    ----------
    n_features : int
        Input width.
    n_outputs : int
        1 (binary problems) or the number of classes.
    n_members : int, default=4
        Number of members (and of cross-fitting folds).
    hidden_layer_sizes : tuple of int, default=(128, 128)
        Hidden layers of each member.
    activation : str, default="relu"
        One of :data:`~sklearn_surrogate._modules.ACTIVATIONS`.
    dropout : float, default=0.0
        Dropout after each hidden activation.
    n_bins : int, default=16
        Bins of the piecewise-linear encoding of each numerical feature (0: none).
    learn_scale : bool, default=False
        Whether each member multiplies every input of its first layer by a
        learned factor (RealMLP's scaling layer, Holzmüller et al., 2024),
        which lets a member weigh its columns (the informative ones' factors
        grow more than those of an identifier or a noise column) faster than
        its weights alone could. The factor starts at 1 and moves 30 times faster than a
        weight.

    Notes
    -----
    :meth:`set_input_statistics` (called by ``fit``) sets the robust scaling
    and the bins of the piecewise-linear encoding from the training rows, and
    leaves the encoding out for features of two values or fewer (one-hot
    columns): the buffer ``encoded`` lists the encoded features, and the
    first layer's input width is ``n_features + len(encoded) * n_bins``.

    ``forward(X)`` returns the members' mean logits (shape ``(n,)`` or
    ``(n, n_outputs)``) in evaluation mode, and every member's logits
    (``(n, n_members)`` or ``(n, n_members, n_outputs)``) in training mode or
    with ``members=True``.

    Examples
    --------
    >>> import torch
    >>> from sklearn_surrogate._ensemble import MLPEnsemble
    >>> net = MLPEnsemble(n_features=5, n_outputs=3, n_members=4, hidden_layer_sizes=(8,))
    >>> X = torch.randn(10, 5)
    >>> net.train()(X).shape, net.eval()(X).shape
    (torch.Size([10, 4, 3]), torch.Size([10, 3]))
    >>> bool(torch.allclose(net(X), net(X, members=True).mean(dim=1)))
    True
    """

    def __init__(self, n_features, n_outputs, n_members=4, hidden_layer_sizes=(128, 128), activation="relu",
                 dropout=0.0, n_bins=_N_BINS, learn_scale=False):
        super().__init__()
        if int(n_members) < 1:
            raise ValueError(f"n_members must be a positive integer, got {n_members!r}.")
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}.")
        self.n_members = int(n_members)
        self.n_outputs = int(n_outputs)
        self.n_bins = int(n_bins)
        self.register_buffer("input_center", torch.zeros(n_features))
        self.register_buffer("input_scale", torch.ones(n_features))
        # piecewise-linear encoding (Gorishniy et al., NeurIPS 2022): bin edges per feature, from quantiles, for
        # the features it can say something about (set_input_statistics leaves out those with two values or
        # fewer: the one-hot columns, whose bins would only repeat the column); every feature until then
        self.register_buffer("encoded", torch.arange(n_features))
        self.register_buffer("bin_edges", torch.linspace(-1, 1, self.n_bins + 1).repeat(n_features, 1))
        layers, width = [], n_features * (1 + self.n_bins)
        for size in hidden_layer_sizes:
            layers += [_PackedLinear(self.n_members, width, int(size)), ACTIVATIONS[activation]()]
            if dropout > 0:
                layers.append(nn.Dropout(float(dropout)))
            width = int(size)
        layers.append(_PackedLinear(self.n_members, width, self.n_outputs))
        self.layers = nn.Sequential(*layers)
        # per member and first-layer input, the learned scale's parameter s (the scale is 1 + _SCALE_RATE * s)
        self.scale = nn.Parameter(torch.zeros(self.n_members, 1, n_features * (1 + self.n_bins))) if learn_scale else None

    def set_input_statistics(self, X, random_state=0):
        """Set the robust centre and spread of each feature from training data.

        The centre is the median; the spread the interquartile range divided
        by 1.349 (the standard deviation of a normal variable), or, for a
        feature whose quartiles coincide (binary or mostly constant), half its
        range, or 1 for a constant feature.

        Parameters
        ----------
        X : ndarray or sparse matrix of shape (n, n_features)
            Training features (a random subset of 20,000 rows is used above that).
        random_state : int, default=0
            Seed of that subset.
        """
        n = X.shape[0]
        if n > _STAT_ROWS:
            rows = np.sort(np.random.default_rng(random_state).choice(n, _STAT_ROWS, replace=False))
            X = X[rows]
        X = X.toarray() if sp.issparse(X) else np.asarray(X)
        X = X.astype(np.float64, copy=False)
        q25, center, q75 = np.quantile(X, [0.25, 0.5, 0.75], axis=0)
        spread = (q75 - q25) / 1.349
        half_range = (X.max(axis=0) - X.min(axis=0)) / 2
        spread = np.where(spread > 0, spread, np.where(half_range > 0, half_range, 1.0))
        self.input_center.copy_(torch.as_tensor(center, dtype=self.input_center.dtype))
        self.input_scale.copy_(torch.as_tensor(spread, dtype=self.input_scale.dtype))
        if self.n_bins:
            z = (X - center) / spread
            z = z / np.sqrt(1 + (z / _CLIP) ** 2)
            encoded = np.flatnonzero([len(np.unique(column)) >= _MIN_VALUES_ENCODED for column in z.T])
            # quantile edges, every bin holding as many rows. Where one value holds more than a bin's share (a
            # count that is mostly 0), several edges coincide; spreading those over the distinct values instead
            # helped adult (F1 +0.016 on 3 folds) but cost churn, kc1 and spambase significantly on 5 x 2 CV (mean
            # -0.005 on 18 datasets): benchmarks/results/bin_edges_f1.csv
            edges = np.quantile(z[:, encoded], np.linspace(0, 1, self.n_bins + 1), axis=0).T  # (encoded, bins + 1)
            self._resize_encoding(len(encoded))
            self.encoded.copy_(torch.as_tensor(encoded, dtype=self.encoded.dtype))
            self.bin_edges.copy_(torch.as_tensor(edges, dtype=self.bin_edges.dtype).reshape(self.bin_edges.shape))
            plain = self._plain_gain() > 1
            with torch.no_grad():  # the lone inputs' weights start as small as their gain is large
                self.layers[0].weight[:, : len(plain)][:, plain] /= math.sqrt(1 + self.n_bins)

    def _resize_encoding(self, n_encoded):
        """Hold the bins of ``n_encoded`` features; the first layer's input width follows (re-initialised)."""
        if n_encoded == len(self.encoded):
            return
        n_features = len(self.input_center)
        self.encoded = self.encoded.new_zeros(n_encoded)
        self.bin_edges = self.bin_edges.new_zeros(n_encoded, self.n_bins + 1)
        self.layers[0].resize_input(n_features + n_encoded * self.n_bins)
        if self.scale is not None:  # the same parameter object, so that an optimizer holding it stays valid
            self.scale.data = self.scale.new_zeros(self.n_members, 1, n_features + n_encoded * self.n_bins)

    def _plain_gain(self):
        """Input gain per feature: ``1 + n_bins`` for the features without bins, 1 for the others.

        An encoded feature reaches the first layer through ``1 + n_bins``
        inputs, each with its own weight, and Adam moves every weight by about
        the learning rate per step: the feature's effect on the output moves
        ``1 + n_bins`` times faster than a lone input's. Multiplying a lone
        input by ``1 + n_bins`` (with its weights initialised
        ``sqrt(1 + n_bins)`` times smaller, see :meth:`set_input_statistics`)
        keeps that pace and the initial output scale, as if its bins were
        there: without it a decisive one-hot column learns 17 times slower
        (steel-plates-fault: F1 0.93 instead of 0.997).
        """
        gain = torch.full_like(self.input_scale, float(1 + self.n_bins))
        gain[self.encoded] = 1.0
        return gain

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        # a saved model may encode fewer features than this fresh module: take its shapes before loading
        # (torch loads a module's own buffers before its children, so the first layer is resized in time)
        encoded = state_dict.get(prefix + "encoded")
        if encoded is not None and self.n_bins:
            self._resize_encoding(len(encoded))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def forward(self, X, members=None):
        z = (X - self.input_center) / self.input_scale
        z = z / torch.sqrt(1 + (z / _CLIP) ** 2)  # smooth clipping to about +-3 spreads
        if self.n_bins and len(self.encoded) < len(self.input_center):
            z = z * self._plain_gain()
        if self.n_bins and len(self.encoded):
            left, width = self.bin_edges[:, :-1], self.bin_edges[:, 1:] - self.bin_edges[:, :-1]
            # where a bin stands in each feature's range: -1 below it, +1 above it, linear inside. Centred, not
            # the paper's 0..1: with 0..1 a large value switches on every bin at once, so the first steps of a
            # loss that lowers every logit (a bounded loss on imbalanced data) lower large-valued rows the most,
            # and bounded losses (MAE, GCE, LDR) then stall on an inverted ranking (test ROC AUC 0.27 on pc4)
            position = (z[:, self.encoded].unsqueeze(-1) - left) / width.clamp_min(1e-6)
            z = torch.cat([z, 2 * position.clamp(0, 1).flatten(1) - 1], dim=1)
        z = z.unsqueeze(0).expand(self.n_members, -1, -1)  # (members, n, inputs)
        if self.scale is not None:
            z = z * (1 + _SCALE_RATE * self.scale)
        out = self.layers(z)  # (members, n, outputs)
        if members is None:
            members = self.training
        if not members:
            out = out.mean(dim=0)
            return out.squeeze(-1) if self.n_outputs == 1 else out
        out = out.transpose(0, 1)  # (n, members, outputs)
        return out.squeeze(-1) if self.n_outputs == 1 else out


def assign_folds(y_idx, n_members, random_state):
    """Each training row's fold: stratified by class where every class has ``n_members`` rows.

    Parameters
    ----------
    y_idx : ndarray of int, shape (n,)
    n_members : int
    random_state : int

    Returns
    -------
    folds : ndarray of int64, shape (n,)
        Values in ``[0, n_members)``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_surrogate._ensemble import assign_folds
    >>> folds = assign_folds(np.array([0] * 8 + [1] * 4), 4, random_state=0)
    >>> np.bincount(folds[:8]).tolist(), np.bincount(folds[8:]).tolist()
    ([2, 2, 2, 2], [1, 1, 1, 1])
    """
    y_idx = np.asarray(y_idx)
    folds = np.empty(len(y_idx), dtype=np.int64)
    if np.bincount(y_idx).min() >= n_members:
        splitter = StratifiedKFold(n_splits=n_members, shuffle=True, random_state=random_state)
        for fold, (_, rows) in enumerate(splitter.split(np.zeros(len(y_idx)), y_idx)):
            folds[rows] = fold
        return folds
    # a class with fewer rows than folds: deal each class's shuffled rows round-robin
    rng = np.random.default_rng(random_state)
    start = 0
    for c in np.unique(y_idx):
        rows = rng.permutation(np.flatnonzero(y_idx == c))
        folds[rows] = (np.arange(len(rows)) + start) % n_members
        start += len(rows)
    return folds


class CrossFitLoss(nn.Module):
    """A loss per ensemble member, each on the rows outside that member's fold.

    Member ``j`` gets its own copy of the base loss (losses with parameters or
    per-sample state, such as AUC-margin, keep them per member) and, in each
    batch, only the rows whose fold is not ``j``. The batch's loss is the mean
    of the members' losses.

    Parameters
    ----------
    base : nn.Module
        The loss to train each member with (a :class:`SurrogateLoss` or any
        ``loss(logits, targets)`` module).
    n_members : int

    Attributes
    ----------
    members : nn.ModuleList
        The per-member copies of ``base``.
    folds : Tensor of int64, shape (n_samples,)
        Each training row's fold (a buffer, set by :meth:`assign`).
    """

    needs_sample_index = True

    def __init__(self, base, n_members):
        super().__init__()
        self.n_members = int(n_members)
        self.members = nn.ModuleList(copy.deepcopy(base) for _ in range(self.n_members))
        self.register_buffer("folds", torch.zeros(0, dtype=torch.long))

    # what the estimator reads of a loss, from the first member
    @property
    def base(self):
        """The first member's loss (all members are configured alike)."""
        return self.members[0]

    @property
    def takes_costs(self):
        """Whether the members' loss takes per-row costs (each member then gets its rows' costs)."""
        return bool(getattr(self.members[0], "takes_costs", False))

    def __getattr__(self, name):
        try:
            return super().__getattr__(name)
        except AttributeError:
            if name.startswith("_") or name in ("members", "folds"):
                raise
            return getattr(self._modules["members"][0], name)

    def setup(self, n_classes, n_samples):
        """Set up every member's loss, and make room for the folds of ``n_samples`` rows."""
        for loss in self.members:
            if hasattr(loss, "setup"):
                loss.setup(n_classes, n_samples)
        self.folds = torch.zeros(n_samples, dtype=torch.long, device=self.folds.device)

    def assign(self, folds):
        """Set each training row's fold."""
        self.folds = torch.as_tensor(folds, dtype=torch.long, device=self.folds.device)

    def on_epoch_begin(self, epoch, max_epochs):
        for loss in self.members:
            hook = getattr(loss, "on_epoch_begin", None)
            if callable(hook):
                hook(epoch, max_epochs)

    def forward(self, logits, targets, sample_weight=None, index=None, costs=None):
        if index is None:
            raise ValueError("CrossFitLoss needs each row's index in the training set (index=...).")
        folds = self.folds[index]
        total, used = 0.0, 0
        for j, loss in enumerate(self.members):
            keep = folds != j
            kwargs = {}
            if sample_weight is not None:
                kwargs["sample_weight"] = sample_weight[keep]
            if getattr(loss, "needs_sample_index", False):
                kwargs["index"] = index[keep]
            if costs is not None and getattr(loss, "takes_costs", False):
                kwargs["costs"] = costs[keep]
            total = total + loss(logits[keep, j], targets[keep], **kwargs)
            used += 1
        return total / used


def out_of_fold_logits(module, dataset, folds, batch_size=4096):
    """Each training row's logit from the member that did not train on it.

    Parameters
    ----------
    module : MLPEnsemble
    dataset : TensorDataset
        All training rows.
    folds : Tensor of int64, shape (n,)
    batch_size : int, default=4096

    Returns
    -------
    logits : ndarray of shape (n,) or (n, n_outputs), float64
    """
    return dataset_logits(module, dataset, folds, batch_size)


def dataset_logits(module, dataset, folds=None, batch_size=4096):
    """The evaluation-mode logits of every row of ``dataset``, a chunk at a time (float64 on the host).

    With ``folds``, each row's logit comes from member ``folds[row]`` of an
    :class:`MLPEnsemble` (:func:`out_of_fold_logits`); without, from the
    module's own output (the members' mean for an ensemble). Sparse rows are
    densified one chunk at a time.

    Parameters
    ----------
    module : nn.Module
    dataset : TensorDataset
    folds : Tensor of int64, shape (len(dataset),), default=None
    batch_size : int, default=4096

    Returns
    -------
    logits : ndarray of shape (n,) or (n, n_outputs)
    """
    was_training = module.training
    module.eval()
    outputs = []
    n = len(dataset)
    device = dataset.y.device
    with torch.no_grad():
        for start in range(0, n, batch_size):
            positions = torch.arange(start, min(start + batch_size, n), device=device)
            X, _ = dataset.batch(dataset.select(positions))
            if folds is None:
                out = module(X)
                out = out[:, 0] if out.ndim == 2 and out.shape[1] == 1 else out
            else:
                out = module(X, members=True)[torch.arange(len(positions), device=device), folds[positions]]
            outputs.append(out.float().cpu().numpy().astype(np.float64))
    module.train(was_training)
    return np.concatenate(outputs) if outputs else np.zeros(0)
